// Acceptance: the reference's TestFailedToInitializeConnection table (reference-agent.md §9.2) —
// every way the first connection can fail ends in ConnectionFailed with the reference's error text,
// the CR is still created, the agent keeps running, and nothing secret is written anywhere.
import t, { type Test } from 'tap';
import { startHarness, CLIENT_SECRET, CA_SECRET, CONFIG_SECRET, type Harness } from '../helpers/agent-harness.js';
import { SecretLedger, calls, waitForStateWithError } from '../helpers/connection-checks.js';

// No retry during a case: the error of the first attempt stays in the status.
const NO_RETRY = { APP_RETRY_INITIAL_DELAY: '2m', APP_RETRY_MAX_DELAY: '5m' };

async function freshCluster(h: Harness): Promise<void> {
  await h.stopAgent();
  h.sims.kube.faults.clear();
  h.sims.compass.control.clearFaults();
  for (const [kind, ref] of [
    ['Secret', CLIENT_SECRET],
    ['Secret', CA_SECRET],
    ['Secret', CONFIG_SECRET],
  ] as const) {
    if (h.sims.kube.get('v1', kind, ref.name, ref.namespace)) await h.sims.kube.delete('v1', kind, ref.name, ref.namespace);
  }
  if (h.connection()) await h.sims.kube.delete('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection');
  h.sims.compass.control.clearCallLog();
  h.logs.length = 0;
}

t.test(
  'TestFailedToInitializeConnection: each failure of the first connection gives ConnectionFailed with the reference text',
  async (t) => {
    const h = await startHarness({ apps: 1 });
    t.teardown(() => h.close());
    const ledger = new SecretLedger();
    const compass = h.sims.compass.control;

    const expectConnectionFailed = async (t: Test, prefix: string, detail: RegExp) => {
      const cr = await waitForStateWithError(h, 'ConnectionFailed', 'connection', prefix);
      t.match(cr.status?.connectionStatus?.error, detail, `the error says what failed: ${cr.status?.connectionStatus?.error}`);
      t.ok(cr.status?.connectionStatus?.lastSync, 'lastSync is set');
      t.notOk(cr.status?.connectionStatus?.established, 'never established');
      t.same(cr.spec.managementInfo, { connectorUrl: '', directorUrl: '' }, 'the CR is created with empty management info');
      t.equal(h.agent!.liveness().ok, true, 'the agent keeps running');
      t.equal(h.agent!.readiness().ok, false, 'and is not ready without a certificate');
      await ledger.assertNoLeaks(t, h);
      return cr;
    };

    await t.test('preserving the credentials fails (Kubernetes 500 on Secret writes) → "Failed to preserve certificate"', async (t) => {
      await freshCluster(h);
      ledger.addToken(await h.writeConfigSecret());
      h.sims.kube.faults.failNext({ verb: 'create', resource: 'secrets', namespace: CLIENT_SECRET.namespace, status: 500, times: 1000 });
      h.sims.kube.faults.failNext({ verb: 'update', resource: 'secrets', namespace: CLIENT_SECRET.namespace, status: 500, times: 1000 });
      h.startAgent(NO_RETRY);
      await expectConnectionFailed(t, 'Failed to preserve certificate: ', new RegExp(`${CLIENT_SECRET.namespace}/${CLIENT_SECRET.name}`));
      t.equal(calls(h, 'connector', 'signCertificateSigningRequest').length, 1, 'the certificate was signed before the write failed');
      t.notOk(h.secretData(CLIENT_SECRET), 'no partial client-certificate Secret');
    });

    await t.test('SignCSR fails → "Failed to retrieve certificate"', async (t) => {
      await freshCluster(h);
      ledger.addToken(await h.writeConfigSecret());
      compass.armFault({ operation: 'signCertificateSigningRequest', kind: 'graphql-error', message: 'CSR subject mismatch' });
      h.startAgent(NO_RETRY);
      await expectConnectionFailed(t, 'Failed to retrieve certificate: ', /CSR subject mismatch/);
      t.notOk(h.secretData(CLIENT_SECRET), 'no client-certificate Secret');
    });

    await t.test('the configuration query fails → "Failed to retrieve certificate"', async (t) => {
      await freshCluster(h);
      ledger.addToken(await h.writeConfigSecret());
      compass.armFault({ operation: 'configuration', kind: 'http-status', status: 500 });
      h.startAgent(NO_RETRY);
      await expectConnectionFailed(t, 'Failed to retrieve certificate: ', /HTTP 500/);
      t.equal(calls(h, 'connector', 'signCertificateSigningRequest').length, 0, 'no CSR after a failed configuration');
    });

    await t.test(
      'the token-secured client cannot be created (CONNECTOR_URL is not a URL) → "Failed to retrieve certificate", named in status and log',
      async (t) => {
        await freshCluster(h);
        ledger.addToken(await h.writeConfigSecret({ CONNECTOR_URL: 'connector.example.com/graphql' }));
        h.startAgent(NO_RETRY);
        await expectConnectionFailed(
          t,
          'Failed to retrieve certificate: ',
          /CONNECTOR_URL in Secret kyma-system\/compass-agent-configuration is not an http\(s\) URL/,
        );
        t.equal(compass.callLog().length, 0, 'Compass is not called');
        t.ok(
          h.logs.some((line) => line.includes('CONNECTOR_URL in Secret kyma-system/compass-agent-configuration is not an http(s) URL')),
          'the log says the same',
        );
      },
    );

    await t.test('the connector URL is empty → "Failed to retrieve certificate" naming CONNECTOR_URL', async (t) => {
      await freshCluster(h);
      ledger.addToken(await h.writeConfigSecret({ CONNECTOR_URL: '' }));
      h.startAgent(NO_RETRY);
      await expectConnectionFailed(
        t,
        'Failed to retrieve certificate: ',
        /key CONNECTOR_URL is missing or empty in Secret kyma-system\/compass-agent-configuration/,
      );
      t.equal(compass.callLog().length, 0, 'Compass is not called');
    });

    await t.test('the configuration Secret is missing → "Failed to retrieve certificate" naming the Secret', async (t) => {
      await freshCluster(h);
      h.startAgent(NO_RETRY);
      await expectConnectionFailed(
        t,
        'Failed to retrieve certificate: ',
        /configuration Secret kyma-system\/compass-agent-configuration is unusable: it does not exist/,
      );
      t.equal(compass.callLog().length, 0, 'Compass is not called');
    });

    await t.test(
      'reading the configuration Secret fails (Kubernetes 500) → "Failed to retrieve certificate", not a preserve failure',
      async (t) => {
        await freshCluster(h);
        ledger.addToken(await h.writeConfigSecret());
        h.sims.kube.faults.failNext({
          verb: 'get',
          resource: 'secrets',
          namespace: CONFIG_SECRET.namespace,
          name: CONFIG_SECRET.name,
          status: 500,
          times: 1000,
        });
        h.startAgent(NO_RETRY);
        await expectConnectionFailed(t, 'Failed to retrieve certificate: ', /cannot read Secret kyma-system\/compass-agent-configuration/);
        t.equal(compass.callLog().length, 0, 'Compass is not called');
      },
    );

    await t.test('a malformed configuration Secret (no TOKEN, bad URL) gives one clear error in the status and the log', async (t) => {
      await freshCluster(h);
      await h.sims.kube.create({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { ...CONFIG_SECRET },
        stringData: { CONNECTOR_URL: 'not a url', RUNTIME_ID: h.sims.compass.runtimeId },
      });
      h.startAgent(NO_RETRY);
      const cr = await expectConnectionFailed(t, 'Failed to retrieve certificate: ', /kyma-system\/compass-agent-configuration/);
      const error = cr.status!.connectionStatus!.error!;
      for (const problem of ['CONNECTOR_URL', 'TOKEN', 'TENANT']) t.match(error, problem, `the error names ${problem}`);
      t.ok(
        h.logs.some((line) => line.includes('key TOKEN is missing or empty')),
        'the log names the missing TOKEN',
      );
      t.equal(compass.callLog().length, 0, 'Compass is not called');
    });
  },
);
