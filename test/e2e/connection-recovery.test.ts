// Acceptance: improvements over the reference agent that need a one-time token (reference-agent.md
// §2.8, §2.10 items 5–6, §12). The reference never falls back to the token by itself and crash-loops
// without its client-certificate Secret; this agent reconnects on its own when its certificate is
// unusable and an unused token is present, and otherwise keeps running with a clear error.
import { createHash } from 'node:crypto';
import t from 'tap';
import { startHarness, CLIENT_SECRET } from '../helpers/agent-harness.js';
import { SecretLedger, calls, clientCertificate, waitForStateWithError } from '../helpers/connection-checks.js';

t.test('recovering the connection with a fresh one-time token', async (t) => {
  const h = await startHarness({ apps: 1 });
  t.teardown(() => h.close());
  const ledger = new SecretLedger();
  const compass = h.sims.compass.control;

  /**
   * Waits until the agent is Synchronized with a certificate other than `previous`, exchanged for
   * `token`, and the CR says so: it records the token as consumed (README, the annotation's
   * fingerprint: the first 16 hex digits of the token's SHA-256), and its certificate status is the new
   * certificate's. The Secret is written before the CR, and a CR still showing the last run's
   * Synchronized must not end the wait early: two certificates issued in one second share their
   * NotAfter, so only the annotation tells the runs apart. A test that stops the agent after this wait
   * leaves the next start-up a CR that knows the token is spent.
   */
  const reconnected = (previous: string | undefined, token: string) =>
    h.waitFor('Synchronized with a new client certificate, the token recorded as consumed', () => {
      const cr = h.connection();
      const certificate = clientCertificate(h);
      const crNotAfter = Date.parse(String(cr?.status?.connectionStatus?.certificateStatus?.notAfter));
      const consumed = createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 16);
      return cr?.status?.connectionState === 'Synchronized' &&
        cr.metadata.annotations?.['compass.kyma-project.io/consumed-token-fingerprint'] === consumed &&
        certificate &&
        certificate.sha256 !== previous &&
        Math.floor(certificate.notAfter / 1000) === Math.floor(crNotAfter / 1000)
        ? certificate
        : undefined;
    });

  /** Writes a configuration Secret with a fresh token, which the ledger looks for in every output. */
  const freshToken = async () => {
    const token = await h.writeConfigSecret();
    ledger.addToken(token);
    return token;
  };

  await t.test('a new token while ConnectionFailed is used at once, long before the retry backoff', async (t) => {
    await h.writeConfigSecret({ TOKEN: 'an-already-used-or-invented-token' });
    // The first retry would come after two minutes: only the new token can explain a quick recovery.
    h.startAgent({ APP_RETRY_INITIAL_DELAY: '2m', APP_RETRY_MAX_DELAY: '5m' });
    const failed = await waitForStateWithError(h, 'ConnectionFailed', 'connection', 'Failed to retrieve certificate: ');
    t.match(failed.status?.connectionStatus?.error, /Failed to authenticate/, 'the Connector refused the token');
    await reconnected(undefined, await freshToken());
    t.equal(calls(h, 'connector', 'configuration').length, 2, 'exactly one attempt per token');
    await ledger.assertNoLeaks(t, h, 'the agent with the retry backoff');
    await h.stopAgent();
  });

  await t.test(
    'a missing client-certificate Secret at start-up with a healthy CR and an unused token: the agent reconnects by itself',
    async (t) => {
      ledger.collect(h);
      const before = clientCertificate(h)?.sha256;
      await h.sims.kube.delete('v1', 'Secret', CLIENT_SECRET.name, CLIENT_SECRET.namespace);
      const token = await freshToken();
      h.startAgent();
      await reconnected(before, token);
      t.ok(h.secretData(CLIENT_SECRET)?.key, 'the client-certificate Secret is back');
      await h.stopAgent();
    },
  );

  await t.test(
    'a missing client-certificate Secret at start-up without an unused token: ConnectionMaintenanceFailed naming the Secret, no crash loop, recovery when a token arrives',
    async (t) => {
      ledger.collect(h);
      const before = clientCertificate(h)?.sha256;
      await h.sims.kube.delete('v1', 'Secret', CLIENT_SECRET.name, CLIENT_SECRET.namespace);
      h.startAgent();
      const cr = await waitForStateWithError(h, 'ConnectionMaintenanceFailed', 'connection', 'Error while trying to maintain connection: ');
      t.match(cr.status?.connectionStatus?.error, /kyma-system\/cluster-client-certificates/, 'the error names the Secret');
      t.match(cr.status?.connectionStatus?.error, /one-time token/, 'and says how to recover');
      const tokenCalls = calls(h, 'connector', 'configuration').length;
      // Retries continue inside the running agent (the reference exits and crash-loops instead).
      const failures = () => h.agent!.eventLog.entries().filter((e) => e.event.type === 'xstate.error.actor.checkConnection').length;
      await h.waitFor('two more failed maintenance attempts', () => failures() >= 2 || undefined);
      t.equal(h.agent!.liveness().ok, true, 'the agent is alive');
      t.equal(calls(h, 'connector', 'configuration').length, tokenCalls, 'the used token is not tried again');
      t.ok(
        h.logs.some((line) => line.includes('kyma-system/cluster-client-certificates') && line.includes('"level":"warn"')),
        'a warning in the log names the Secret',
      );
      await reconnected(before, await freshToken());
      t.pass('a token arriving later reconnects the running agent');
    },
  );

  await t.test('a revoked certificate: ConnectionMaintenanceFailed and retries without a token; an unused token reconnects', async (t) => {
    ledger.collect(h);
    const revoked = clientCertificate(h)!;
    compass.revokeCertificate(revoked.sha256);
    const cr = await waitForStateWithError(h, 'ConnectionMaintenanceFailed', 'connection', 'Error while trying to maintain connection: ');
    t.match(cr.status?.connectionStatus?.error, /Failed to authenticate/, 'Compass refuses the certificate');
    t.match(
      cr.status?.conditions?.find((c) => c.type === 'CertificateValid'),
      { status: 'False', reason: 'Rejected' },
    );
    const refused = () => calls(h, 'connector-mtls', 'configuration').filter((c) => c.identity.kind === 'none').length;
    const first = refused();
    await h.waitFor('another refused maintenance attempt', () => refused() > first || undefined);
    const fresh = await reconnected(revoked.sha256, await freshToken());
    t.notOk(compass.issuedCertificates().find((c) => c.sha256 === fresh.sha256)?.revoked, 'the new certificate is not revoked');
  });

  await t.test(
    'an expired certificate (simulator clock past NotAfter) with an unused token in the config Secret: the agent reconnects by itself',
    async (t) => {
      ledger.collect(h);
      const expired = clientCertificate(h)!;
      const refusals = () => h.agent!.eventLog.entries().filter((e) => e.event.type === 'xstate.error.actor.checkConnection').length;
      const refusedBefore = refusals();
      compass.advanceClock(expired.notAfter - compass.now().getTime() + 60_000);
      const token = await freshToken(); // minted on the advanced clock, so it is valid
      const fresh = await reconnected(expired.sha256, token);
      t.ok(fresh.notAfter > compass.now().getTime(), 'the new certificate is valid on the Compass clock');
      t.ok(refusals() > refusedBefore, 'the expired certificate was refused before the reconnect');
      await ledger.assertNoLeaks(t, h, 'the recovering agent');
    },
  );
});
