// The token exchange says what it means: an attempt with a one-time token the agent already used
// says so (and does not send it to Compass again), and a configuration Secret without RUNTIME_ID or
// TENANT is reported before the token is spent, so that the same token still connects once it is fixed.
import t from 'tap';
import { startHarness, CLIENT_SECRET, CONFIG_SECRET } from '../helpers/agent-harness.js';
import { calls, clientCertificate, SecretLedger, startConnectedScenario } from '../helpers/connection-checks.js';
import { CONSUMED_TOKEN_ANNOTATION } from '../../src/status-projection.js';
import { tokenFingerprint } from '../../src/agent/configuration-secret.js';

const CONFIG = `${CONFIG_SECRET.namespace}/${CONFIG_SECRET.name}`;
const ALREADY_USED = new RegExp(
  `^Failed to retrieve certificate: the one-time token in Secret ${CONFIG} was already used by this agent \\((.*)\\) and a one-time token works once, so it was not sent again; put a fresh one-time token into Secret ${CONFIG}`,
);

t.test('a connection attempt with a token the agent already used says so, and the token is not sent again', async (t) => {
  const { h, ledger, token } = await startConnectedScenario(t);
  const first = await h.waitForState('Synchronized', 60_000);
  t.equal(first.metadata.annotations?.[CONSUMED_TOKEN_ANNOTATION], tokenFingerprint(token), 'the CR records the consumed token');
  const sent = calls(h, 'connector', 'configuration').length;

  await t.test('the CR deleted without a fresh token (the Reconnect steps half done)', async (t) => {
    t.match(await h.kubectl('delete', 'compassconnection', 'compass-connection'), /deleted/);
    const cr = await h.waitForState('ConnectionFailed');
    const error = cr.status?.connectionStatus?.error ?? '';
    t.match(error, ALREADY_USED, 'the status says the token was already used and what to do');
    t.match(ALREADY_USED.exec(error)?.[1], /^it was exchanged for a certificate at \d{4}-\d\d-\d\dT/, 'and how the agent knows');
    t.equal(calls(h, 'connector', 'configuration').length, sent, 'the used token was not sent to Compass again');
    t.ok(
      h.logs.some((line) => line.includes('"level":"warn"') && line.includes('was already used by this agent')),
      'the log says it too',
    );

    ledger.addToken(await h.writeConfigSecret());
    await h.waitForState('Synchronized');
    t.pass('a fresh token connects at once');
  });

  await t.test('after a restart the CR annotation tells: the Go agent upgrade case, where the certificate is not resumed', async (t) => {
    await h.stopAgent();
    const secret = h.sims.kube.get('v1', 'Secret', CLIENT_SECRET.name, CLIENT_SECRET.namespace)!;
    const { directorUrl: _d, connectorUrl: _c, ...goAgentData } = secret.data as Record<string, string>;
    await h.sims.kube.update({ ...secret, data: goAgentData });
    const before = calls(h, 'connector', 'configuration').length;
    h.startAgent({ APP_RETRY_INITIAL_DELAY: '2m', APP_RETRY_MAX_DELAY: '5m' });
    const cr = await h.waitForState('ConnectionFailed');
    t.match(cr.status?.connectionStatus?.error, ALREADY_USED);
    t.match(
      cr.status?.connectionStatus?.error,
      `its fingerprint is in the annotation ${CONSUMED_TOKEN_ANNOTATION} of compass-connection`,
      'the evidence: the CR annotation',
    );
    t.equal(calls(h, 'connector', 'configuration').length, before, 'nothing was sent to Compass');
    await ledger.assertNoLeaks(t, h);
  });
});

for (const key of ['RUNTIME_ID', 'TENANT'] as const) {
  t.test(
    `a configuration Secret without ${key} is reported before the token is spent; the same token connects once ${key} is there`,
    async (t) => {
      const h = await startHarness({ apps: 1 });
      t.teardown(() => h.close());
      const ledger = new SecretLedger();
      const token = ledger.addToken(await h.writeConfigSecret({ [key]: '' }));
      h.startAgent();
      const cr = await h.waitForState('ConnectionFailed');
      const error = cr.status?.connectionStatus?.error ?? '';
      t.match(error, /^Failed to retrieve certificate: /);
      t.match(error, `key ${key} is missing or empty in Secret ${CONFIG}`, `the status names ${key}`);
      t.match(
        error,
        'the one-time token was not sent to Compass and stays usable until the Secret is complete',
        'and says the token is kept',
      );
      t.equal(calls(h, 'connector', 'configuration').length, 0, 'nothing reached the Connector: the token is not spent');
      t.equal(clientCertificate(h), undefined, 'no certificate');

      await h.writeConfigSecret({ TOKEN: token });
      await h.waitForState('Synchronized', 60_000);
      t.equal(calls(h, 'connector', 'configuration').length, 1, 'the same token, sent once, connected');
      t.equal(h.connection()?.metadata.annotations?.[CONSUMED_TOKEN_ANNOTATION], tokenFingerprint(token));
      await ledger.assertNoLeaks(t, h);
    },
  );
}
