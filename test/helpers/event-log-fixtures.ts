// The event log fixtures in test/fixtures/eventlogs/: what each scenario is, how it is recorded (a real
// run of the agent against both simulators, as the end-to-end tests run it), and the secret scan every
// fixture must pass. test/agent-runtime/event-log-fixtures.test.ts replays and scans the committed files;
// `node --import=./scripts/ts-loader.mjs test/helpers/record-event-log-fixtures.ts [NAME...]`
// records them again (after a change that alters what the agent does, on purpose).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { redact, redactText } from '../../adapters/redaction.js';
import type { CompassSimOptions } from '../../sim/compass/index.js';
import { CA_SECRET, CLIENT_SECRET, startHarness, type Harness } from './agent-harness.js';
import { clientCertificate } from './connection-checks.js';

export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/eventlogs/', import.meta.url));
export const fixturePath = (name: string) => join(FIXTURE_DIR, `${name}.jsonl`);

export interface FixtureScenario {
  name: string;
  /** What the run does, for the reader of the fixture. */
  story: string;
  compass?: CompassSimOptions;
  env?: Record<string, string>;
  /** Drives the started agent through the scenario; returns when the story has been told. */
  run(h: Harness, mint: () => Promise<string>): Promise<void>;
}

/** Waits until the CR shows `state` (the agent's output, as an operator sees it). */
const crState = (h: Harness, state: string) => h.waitForState(state, 30_000);

/** An extra quiet cycle at the end: the fixture shows the agent settled, not only the moment it got there. */
const oneMoreCycle = (h: Harness) => h.waitForSyncCycles(1, 30_000);

export const FIXTURE_SCENARIOS: FixtureScenario[] = [
  {
    name: 'first-connection',
    story: 'a fresh Runtime: the one-time token exchanged for a certificate, the Applications synchronized, two more cycles',
    async run(h) {
      await crState(h, 'Synchronized');
      await h.waitForSyncCycles(2, 30_000);
    },
  },
  {
    name: 'renewal',
    story:
      'certificates valid for 8 s and a renewal threshold of 0.6: the certificate is renewed over the certificate-secured Connector, then a cycle',
    compass: { certificateValidityMs: 8_000 },
    env: { APP_CERT_VALIDITY_RENEWAL_THRESHOLD: '0.6' },
    async run(h) {
      await crState(h, 'Synchronized');
      await h.waitFor(
        'a renewal',
        () => h.agent!.eventLog.entries().some((e) => e.event.type === 'xstate.done.actor.renewCertificate') || undefined,
        30_000,
      );
      await oneMoreCycle(h);
    },
  },
  {
    name: 'maintenance-failure-and-recovery',
    story:
      'the certificate-secured Connector answers 503 three times: ConnectionMaintenanceFailed, retries with backoff, recovery with the same certificate',
    async run(h) {
      await crState(h, 'Synchronized');
      h.sims.compass.control.armFault({
        operation: 'configuration',
        surface: 'connector-mtls',
        kind: 'http-status',
        status: 503,
        body: 'upstream connect error',
        count: 3,
      });
      await crState(h, 'ConnectionMaintenanceFailed');
      await crState(h, 'Synchronized');
      await oneMoreCycle(h);
    },
  },
  {
    name: 'cr-deletion',
    story:
      'the CompassConnection is deleted: the agent connects again with the used token (refused: ConnectionFailed) until a fresh token arrives',
    async run(h, mint) {
      await crState(h, 'Synchronized');
      await h.sims.kube.delete('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection');
      await crState(h, 'ConnectionFailed');
      await mint();
      await h.waitFor(
        'a new certificate',
        () => h.agent!.eventLog.entries().filter((e) => e.event.type === 'xstate.done.actor.establishConnection').length >= 2 || undefined,
        30_000,
      );
      await crState(h, 'Synchronized');
    },
  },
  {
    name: 'token-fallback-after-revocation',
    story:
      'Compass revokes the certificate: ConnectionMaintenanceFailed (rejected), retried without spending anything; a fresh token arrives and connects',
    async run(h, mint) {
      await crState(h, 'Synchronized');
      h.sims.compass.control.revokeCertificate(clientCertificate(h)!.sha256);
      await h.waitFor('the certificate refused', () => h.agent!.runtime.getSnapshot().context.certificateRejected || undefined, 30_000);
      await h.waitFor(
        'a second refusal',
        () => h.agent!.eventLog.entries().filter((e) => e.event.type === 'xstate.error.actor.checkConnection').length >= 2 || undefined,
        30_000,
      );
      await mint();
      await h.waitFor(
        'a new certificate',
        () => h.agent!.eventLog.entries().filter((e) => e.event.type === 'xstate.done.actor.establishConnection').length >= 2 || undefined,
        30_000,
      );
      await crState(h, 'Synchronized');
    },
  },
  {
    name: 'synchronization-failure',
    story:
      'the Director answers 503 to the Applications query twice: SynchronizationFailed (the connection stays healthy), then Synchronized again',
    async run(h) {
      await crState(h, 'Synchronized');
      h.sims.compass.control.armFault({
        operation: 'applicationsForRuntime',
        kind: 'http-status',
        status: 503,
        body: 'upstream connect error',
        count: 2,
      });
      await crState(h, 'SynchronizationFailed');
      await crState(h, 'Synchronized');
      await oneMoreCycle(h);
    },
  },
];

export interface RecordedFixture {
  text: string;
  /** Every one-time token and distinctive piece of every key and certificate the run handled. */
  secrets: string[];
}

/** Distinctive pieces of a PEM text: 48-character runs from the base64 body of each block. */
function pemFragments(pem: string | undefined): string[] {
  const fragments: string[] = [];
  for (const block of pem?.match(/-----BEGIN [A-Z ]+-----[\s\S]*?-----END [A-Z ]+-----/g) ?? []) {
    const body = block.replace(/-----(BEGIN|END) [A-Z ]+-----/g, '').replace(/\s+/g, '');
    for (let i = 0; i + 48 <= body.length; i += 200) fragments.push(body.slice(i, i + 48));
  }
  return fragments;
}

/** Runs `scenario` against fresh simulators with the event log on, and returns the log the agent wrote. */
export async function recordFixture(scenario: FixtureScenario): Promise<RecordedFixture> {
  const h = await startHarness({ apps: 2, compass: scenario.compass });
  const secrets = new Set<string>();
  const collect = () => {
    const client = h.secretData(CLIENT_SECRET) ?? {};
    const ca = h.secretData(CA_SECRET) ?? {};
    for (const pem of [client.key, client.crt, client.crtChain, ca.cacert]) for (const fragment of pemFragments(pem)) secrets.add(fragment);
  };
  const mint = async () => {
    collect();
    const token = await h.writeConfigSecret();
    secrets.add(token);
    return token;
  };
  try {
    const file = join(h.dir, 'events.jsonl');
    await mint();
    h.startAgent({ ...scenario.env, APP_EVENT_LOG_FILE: file });
    await scenario.run(h, mint);
    collect();
    await h.stopAgent();
    return { text: readFileSync(file, 'utf8'), secrets: [...secrets] };
  } finally {
    await h.close();
  }
}

/**
 * What a fixture must not hold, line by line: a secret-shaped value (PEM blocks, base64-encoded PEM,
 * JWTs, bearer credentials, long token-like runs: whatever redactText would remove), a value under a
 * key the redaction rules call secret, DER in base64. Returns the problems found (none: clean).
 */
export function secretScan(text: string, known: readonly string[] = []): string[] {
  const problems: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (!line.trim()) return;
    const n = i + 1;
    if (redactText(line) !== line) problems.push(`line ${n}: a secret-shaped value (redactText would change the line)`);
    if (/-----BEGIN |-----END |PRIVATE KEY|LS0tLS1CRUdJTi/.test(line)) problems.push(`line ${n}: a PEM block or a base64-encoded one`);
    if (/MII[A-Za-z0-9+/]{40,}/.test(line)) problems.push(`line ${n}: base64 DER (a key or certificate body)`);
    const value: unknown = JSON.parse(line);
    if (JSON.stringify(redact(value)) !== line)
      problems.push(`line ${n}: a value under a secret-named key (redact would change the entry)`);
    for (const secret of known) if (line.includes(secret)) problems.push(`line ${n}: a token, key or certificate of the recorded run`);
  });
  return problems;
}
