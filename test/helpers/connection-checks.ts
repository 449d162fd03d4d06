// Checks shared by the connection-lifecycle acceptance tests (test/e2e/connection-*.test.ts): which
// Compass calls the agent made, what the client certificate in the cluster is, and that no secret
// (one-time token, private key, certificate) reached a log line, the CR status, the event log or the
// metrics.
import { createHash, X509Certificate } from 'node:crypto';
import type { Test } from 'tap';
import type { CallLogEntry } from '../../sim/compass/index.js';
import type { EffectId } from '../../machines/effect-boundary.js';
import { CLIENT_SECRET, CA_SECRET, startHarness, type Harness, type CompassConnectionView } from './agent-harness.js';
import { APP_API } from './sync-checks.js';

export const CONNECTION_RESOURCE = 'compassconnections.compass.kyma-project.io';
export const APPLICATION_RESOURCE = 'applications.applicationconnector.kyma-project.io';

/** The Application CRs in the Kubernetes simulator (apiVersion and kind, for `sims.kube.list`). */
export const APPLICATION_KIND = [APP_API, 'Application'] as const;

/** Names of the Application CRs in the Kubernetes simulator, sorted. */
export function applicationNames(h: Harness): string[] {
  return h.sims.kube
    .list(...APPLICATION_KIND)
    .map((a) => a.metadata.name as string)
    .sort();
}

/** Compass calls of one surface that contain the operation. */
export function calls(h: Harness, surface: CallLogEntry['surface'], operation: string): CallLogEntry[] {
  return h.sims.compass.control.callLog().filter((c) => c.surface === surface && c.operations.includes(operation));
}

/** SHA-256 (hex) of the DER of the first certificate in the PEM: how the simulator names certificates. */
export function certificateSha256(pem: string): string {
  return createHash('sha256').update(new X509Certificate(pem).raw).digest('hex');
}

export interface ClientCertificateView {
  pem: string;
  sha256: string;
  notBefore: number;
  notAfter: number;
}

/** The client certificate currently stored in the cluster client-certificate Secret. */
export function clientCertificate(h: Harness): ClientCertificateView | undefined {
  const pem = h.secretData(CLIENT_SECRET)?.crt;
  if (!pem) return undefined;
  try {
    const x509 = new X509Certificate(pem);
    return { pem, sha256: certificateSha256(pem), notBefore: Date.parse(x509.validFrom), notAfter: Date.parse(x509.validTo) };
  } catch {
    return undefined;
  }
}

const CONNECTION_CR = ['compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection'] as const;

/**
 * Sets fields of the CompassConnection's spec the way a user does, in process (no kubectl start-up
 * time): a status write of the agent in between is a conflict, and the edit is made again on a fresh read.
 */
export async function editConnectionSpec(h: Harness, fields: Record<string, unknown>): Promise<void> {
  for (;;) {
    const cr = h.sims.kube.get(...CONNECTION_CR) as { spec: Record<string, unknown> } | undefined;
    if (!cr) throw new Error('compass-connection does not exist');
    try {
      await h.sims.kube.update({ ...cr, spec: { ...cr.spec, ...fields } });
      return;
    } catch (err) {
      if ((err as { code?: number }).code !== 409) throw err;
    }
  }
}

/** How many times the agent's machine took `effect`'s result after event-log entry `mark`. */
export function effectsDoneAfter(h: Harness, effect: EffectId, mark: number): number {
  return h.agent!.eventLog.entries().filter((e) => e.seq > mark && e.event.type === `xstate.done.actor.${effect}`).length;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for the state and returns the CR; also requires the given error prefix in connectionStatus.error or synchronizationStatus.error. */
export async function waitForStateWithError(
  h: Harness,
  state: string,
  where: 'connection' | 'synchronization',
  prefix: string,
  timeoutMs?: number,
): Promise<CompassConnectionView> {
  return h.waitFor(
    `connectionState ${state} with ${where} error "${prefix}…"`,
    () => {
      const cr = h.connection();
      if (cr?.status?.connectionState !== state) return undefined;
      const error = where === 'connection' ? cr.status.connectionStatus?.error : cr.status.synchronizationStatus?.error;
      return typeof error === 'string' && error.startsWith(prefix) ? cr : undefined;
    },
    timeoutMs,
  );
}

/**
 * Collects the secrets the tests must never see anywhere: tokens they wrote into the config Secret
 * and every key and certificate the cluster Secrets held when `collect` ran.
 */
export class SecretLedger {
  private readonly values = new Set<string>();

  addToken(token: string): string {
    this.values.add(token);
    return token;
  }

  /** Remembers the key, certificate, chain and CA currently in the cluster Secrets. */
  collect(h: Harness): void {
    const client = h.secretData(CLIENT_SECRET) ?? {};
    const ca = h.secretData(CA_SECRET) ?? {};
    for (const pem of [client.key, client.crt, client.crtChain, ca.cacert]) {
      if (!pem) continue;
      for (const fragment of pemFragments(pem)) this.values.add(fragment);
    }
  }

  get size(): number {
    return this.values.size;
  }

  /** Asserts that no remembered secret, PEM block or base64-encoded PEM appears in any of the agent's outputs. */
  async assertNoLeaks(t: Test, h: Harness, what = 'the agent'): Promise<void> {
    this.collect(h);
    const outputs: Array<[string, string]> = [
      ['log', h.logs.join('\n')],
      ['CompassConnection', JSON.stringify(h.connection() ?? {})],
    ];
    if (h.agent) {
      outputs.push(['event log', h.agent.eventLog.toText()]);
      outputs.push(['metrics', await h.agent.metrics.registry.metrics()]);
    }
    for (const [name, text] of outputs) {
      const leaked = [...this.values].filter((secret) => text.includes(secret)).length;
      t.equal(leaked, 0, `${what}: no token, key or certificate of this test appears in the ${name} (${this.values.size} secrets checked)`);
      t.notMatch(text, /-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)/, `${what}: no PEM block in the ${name}`);
      t.notMatch(text, /LS0tLS1CRUdJTi/, `${what}: no base64-encoded PEM in the ${name}`);
    }
  }
}

/** Distinctive pieces of a PEM text: 48-character runs from the base64 body of each block. */
function pemFragments(pem: string): string[] {
  const fragments: string[] = [];
  for (const block of pem.match(/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g) ?? []) {
    const body = block.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
    for (let i = 0; i + 48 <= body.length; i += 400) fragments.push(body.slice(i, i + 48));
  }
  return fragments;
}

/**
 * The setup of the reference controller test: two applications in Compass, the configuration Secret
 * with a fresh token (recorded in a ledger that later checks nothing leaked), the agent started.
 * The harness is closed when `t` ends.
 */
export async function startConnectedScenario(t: Test): Promise<{ h: Harness; ledger: SecretLedger; token: string }> {
  const h = await startHarness({ apps: 2 });
  t.teardown(() => h.close());
  const ledger = new SecretLedger();
  const token = ledger.addToken(await h.writeConfigSecret());
  h.startAgent();
  return { h, ledger, token };
}
