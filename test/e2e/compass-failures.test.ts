// Acceptance: a certificate-secured Connector that fails without refusing the certificate (connections
// reset for 30 s, 5xx answers, timeouts) is a transient failure: the agent backs off, retries and
// recovers with the same certificate, and never spends the unused one-time token waiting in the
// configuration Secret. Only a TLS alert against the certificate or the Connector's own refusal may
// do that (test/e2e/connection-recovery.test.ts: revoked and expired certificates).
import t, { type Test } from 'tap';
import { startHarness } from '../helpers/agent-harness.js';
import { SecretLedger, calls, clientCertificate, sleep } from '../helpers/connection-checks.js';
import { agentFor, configurationQuery, post } from '../compass-sim/compass-client.js';
import { tokenFingerprint } from '../../src/agent/configuration-secret.js';

t.test('transient failures of the certificate-secured Connector never spend a token', async (t) => {
  const h = await startHarness({ apps: 1 });
  t.teardown(() => h.close());
  const ledger = new SecretLedger();
  const compass = h.sims.compass.control;
  ledger.addToken(await h.writeConfigSecret());
  const agent = h.startAgent({ APP_COMPASS_REQUEST_TIMEOUT: '1s' });
  await h.waitForState('Synchronized');
  const certificate = clientCertificate(h)!;

  // An unused token the agent knows of: what a misclassified failure would spend.
  const unused = ledger.addToken(await h.writeConfigSecret());
  await h.waitFor(
    'the agent to see the new token',
    () => agent.runtime.getSnapshot().context.config?.tokenFingerprint === tokenFingerprint(unused) || undefined,
  );
  const tokenCalls = calls(h, 'connector', 'configuration').length;

  /** Samples the agent while `run` lasts: the states of the CR and whether the machine ever took the certificate for refused. */
  const watch = async (run: () => Promise<void>) => {
    const states = new Set<string>();
    let rejected = 0;
    let running = true;
    const sampling = (async () => {
      while (running) {
        const state = h.connection()?.status?.connectionState;
        if (state) states.add(state);
        if (agent.runtime.getSnapshot().context.certificateRejected) rejected++;
        await sleep(100);
      }
    })();
    await run();
    running = false;
    await sampling;
    return { states, rejected };
  };
  const maintenanceErrors = (afterSeq: number) =>
    agent.eventLog
      .entries()
      .filter(
        (e) =>
          e.seq > afterSeq &&
          (e.event.type === 'xstate.error.actor.checkConnection' || e.event.type === 'xstate.error.actor.renewCertificate'),
      )
      .map((e) => (e.event as { type: string; error: { kind: string; message: string } }).error);
  /** Waits for a successful maintenance after `since` (ms) and Synchronized. */
  const recovered = (since: number) =>
    h.waitFor(
      'Synchronized after a successful maintenance',
      () => {
        const status = h.connection()?.status;
        return status?.connectionState === 'Synchronized' && Date.parse(String(status.connectionStatus?.lastSuccess)) > since
          ? status
          : undefined;
      },
      30_000,
    );
  const unchanged = (t: Test, what: string) => {
    t.equal(clientCertificate(h)?.sha256, certificate.sha256, `${what}: the same certificate in the Secret`);
    t.equal(calls(h, 'connector', 'configuration').length, tokenCalls, `${what}: no call to the token-secured Connector`);
    t.equal(calls(h, 'connector-mtls', 'signCertificateSigningRequest').length, 0, `${what}: no renewal either`);
  };

  await t.test('every connection to the certificate-secured Connector reset for 30 s', async (t) => {
    const mark = h.lastEventSeq();
    const armedAt = Date.now();
    compass.armFault({ operation: '*', surface: 'connector-mtls', kind: 'connection-reset', count: 'unlimited', durationMs: 30_000 });
    const { states, rejected } = await watch(async () => {
      await h.waitFor('the fault to end', () => compass.faults().length === 0 || undefined, 40_000);
    });
    const resets = calls(h, 'connector-mtls', 'configuration').filter((c) => 'rejected' in c.outcome && c.outcome.rejected === 'reset');
    t.ok(states.has('ConnectionMaintenanceFailed'), 'the agent saw maintenance fail');
    t.ok(resets.length >= 5, `it kept retrying: ${resets.length} reset connections`);
    t.ok(resets.length <= 40, `with backoff, not in a tight loop: ${resets.length} in 30 s`);
    const errors = maintenanceErrors(mark);
    t.ok(
      errors.length > 0 && errors.every((e) => e.kind === 'unreachable'),
      `each failure is "unreachable" (${[...new Set(errors.map((e) => e.kind))].join(', ')})`,
    );
    t.ok(
      errors.every((e) => /closed the connection \(ECONNRESET\)/.test(e.message)),
      'and says the connection was reset',
    );
    t.equal(rejected, 0, 'the machine never took the certificate for refused');
    await recovered(armedAt + 30_000);
    unchanged(t, 'after the resets');
  });

  await t.test('5xx answers and timeouts', async (t) => {
    const mark = h.lastEventSeq();
    // One after the other (skip): two gateway 503s, the Compass timeout answer, two answers too late for the agent's 1 s timeout.
    const mtlsConfiguration = { operation: 'configuration', surface: 'connector-mtls' as const };
    compass.armFault({
      ...mtlsConfiguration,
      kind: 'http-status',
      status: 503,
      body: 'upstream connect error or disconnect/reset before headers',
      count: 2,
    });
    compass.armFault({ ...mtlsConfiguration, kind: 'timeout', skip: 2 });
    compass.armFault({ ...mtlsConfiguration, kind: 'delay', delayMs: 2_000, skip: 3, count: 2 });
    const { rejected } = await watch(async () => {
      await h.waitFor('the faults to be used up', () => compass.faults().length === 0 || undefined, 40_000);
      await recovered(Date.now());
    });
    const errors = maintenanceErrors(mark);
    t.equal(errors.length, 5, 'five failed maintenance attempts');
    t.same(
      [...new Set(errors.map((e) => e.kind))].sort(),
      ['invalid-response', 'unreachable'],
      'failures are invalid responses (5xx) and unreachable (timeouts)',
    );
    t.equal(rejected, 0, 'never a rejection');
    unchanged(t, 'after 5xx and timeouts');
  });

  await t.test('the token is still unused: the Connector accepts it now', async (t) => {
    const plain = agentFor(h.sims.compass.serverCaPem);
    t.teardown(() => plain.close());
    const answer = await post(h.sims.compass.connectorUrl, plain, configurationQuery, { 'Connector-Token': unused });
    t.ok(answer.json?.data?.result?.token?.token, 'the token from the configuration Secret still works');
    await ledger.assertNoLeaks(t, h, 'the agent through the failures');
  });
});
