// Acceptance: the failure scenarios of the reference's TestCompassConnectionController
// (reference-agent.md §9.2, sub-tests 5–7 and 10–14) against the simulators over real TLS: each
// fault is injected in Compass (per GraphQL operation) or in the Kubernetes API, the CR must show
// the reference's state and error text, and the agent must recover once the fault is gone.
import t from 'tap';
import { CLIENT_SECRET } from '../helpers/agent-harness.js';
import {
  APPLICATION_KIND,
  APPLICATION_RESOURCE,
  applicationNames,
  calls,
  startConnectedScenario,
  waitForStateWithError,
} from '../helpers/connection-checks.js';
import { normalizeApplicationName } from '../../src/applications/normalizer.js';

t.test('TestCompassConnectionController failure scenarios, against the simulators', async (t) => {
  const scenario = await startConnectedScenario(t);
  const { h, ledger } = scenario;
  let { token } = scenario;
  const compass = h.sims.compass.control;
  const runtimeId = h.sims.compass.runtimeId;
  await h.waitForState('Synchronized');

  await t.test('5. the runtime label mutation failing → MetadataUpdateFailed', async (t) => {
    compass.upsertRuntime({ id: runtimeId, labels: { scenarios: ['DEFAULT'] } });
    compass.armFault({ operation: 'setRuntimeLabel', kind: 'graphql-error', count: 'unlimited', message: 'label store unavailable' });
    const cr = await waitForStateWithError(
      h,
      'MetadataUpdateFailed',
      'synchronization',
      'Failed to reconcile Runtime labels with proper URLs: ',
    );
    t.match(cr.status?.synchronizationStatus?.error, /label store unavailable/, 'the Director’s message is kept');
    t.ok(cr.status?.synchronizationStatus?.lastSuccessfulFetch, 'the fetch itself succeeded');
    t.notOk(cr.status?.synchronizationStatus?.lastSuccessfulApplication, 'no successful application recorded');
    compass.clearFaults();
    await h.waitForState('Synchronized');
    t.match(
      compass.runtimeLabels(runtimeId),
      { runtime_eventServiceUrl: h.config!.runtimeEventsUrl, runtime_consoleUrl: h.config!.runtimeConsoleUrl },
      'labels set after recovery',
    );
  });

  await t.test(
    '6. applying fails (Kubernetes 500 on Application creates) → ResourceApplicationFailed with synchronizationStatus.error',
    async (t) => {
      const [added] = compass.generateApplications(1, 4242);
      const addedName = normalizeApplicationName(added.name);
      h.sims.kube.faults.failNext({
        verb: 'create',
        resource: APPLICATION_RESOURCE,
        status: 500,
        times: 10_000,
        message: 'etcdserver: request timed out',
      });
      const cr = await waitForStateWithError(h, 'ResourceApplicationFailed', 'synchronization', 'Failed to apply configuration: ');
      t.match(cr.status?.synchronizationStatus?.error, addedName, 'the error names the Application');
      t.ok(cr.status?.synchronizationStatus?.lastSuccessfulFetch, 'lastSuccessfulFetch set');
      t.notOk(cr.status?.synchronizationStatus?.lastSuccessfulApplication, 'lastSuccessfulApplication cleared');
      h.sims.kube.faults.clear();
      await h.waitForState('Synchronized');
      t.ok(applicationNames(h).includes(addedName), 'the Application is created once the API server recovers');
    },
  );

  await t.test('7. the Director fetch failing → SynchronizationFailed with the error', async (t) => {
    const fetched = h.connection()!.status!.synchronizationStatus!.lastSuccessfulFetch;
    compass.armFault({ operation: 'applicationsForRuntime', kind: 'http-status', status: 503, count: 'unlimited' });
    const cr = await waitForStateWithError(h, 'SynchronizationFailed', 'synchronization', 'Failed to fetch configuration: ');
    t.match(cr.status?.synchronizationStatus?.error, /503/, 'the HTTP status is reported');
    t.ok(
      cr.status?.synchronizationStatus?.lastSuccessfulFetch && cr.status.synchronizationStatus.lastSuccessfulFetch >= fetched!,
      'lastSuccessfulFetch kept',
    );
    t.equal(h.sims.kube.list(...APPLICATION_KIND).length, compass.applications().length, 'no Application deleted after a failed fetch');
    compass.clearFaults();
    await h.waitForState('Synchronized');
  });

  await t.test(
    '10. the Director client cannot be built (the Connector names an unusable Director URL) → SynchronizationFailed',
    async (t) => {
      compass.armFault({
        operation: 'configuration',
        kind: 'management-info',
        count: 'unlimited',
        managementPlaneInfo: {
          directorURL: 'director.invalid/graphql',
          certificateSecuredConnectorURL: h.sims.compass.certSecuredConnectorUrl,
        },
      });
      const cr = await waitForStateWithError(h, 'SynchronizationFailed', 'synchronization', 'Failed to prepare configuration client: ');
      t.match(cr.status?.synchronizationStatus?.error, /not a valid URL/);
      compass.clearFaults();
      const back = await h.waitForState('Synchronized');
      t.equal(back.spec.managementInfo?.directorUrl, h.sims.compass.directorUrl, 'the Director URL from the Connector is back in spec');
    },
  );

  await t.test('11. reading the runtime configuration fails (no RUNTIME_ID in the config Secret) → SynchronizationFailed', async (t) => {
    await h.writeConfigSecret({ RUNTIME_ID: '', TOKEN: token });
    const cr = await waitForStateWithError(h, 'SynchronizationFailed', 'synchronization', 'Failed to read Runtime config: ');
    t.match(cr.status?.synchronizationStatus?.error, /RUNTIME_ID/, 'the missing key is named');
    t.match(cr.status?.synchronizationStatus?.error, /kyma-system\/compass-agent-configuration/, 'the Secret is named');
    await h.writeConfigSecret({ TOKEN: token });
    await h.waitForState('Synchronized');
  });

  await t.test('12. the certificate-secured configuration answers without management info → ConnectionMaintenanceFailed', async (t) => {
    compass.armFault({ operation: 'configuration', kind: 'management-info', count: 'unlimited', managementPlaneInfo: null });
    const cr = await waitForStateWithError(h, 'ConnectionMaintenanceFailed', 'connection', 'Error while trying to maintain connection: ');
    t.match(cr.status?.connectionStatus?.error, /managementPlaneInfo/, 'the missing field is named');
    compass.clearFaults();
    await h.waitForState('Synchronized');
    t.notOk(h.connection()?.status?.connectionStatus?.error, 'the error is cleared after recovery');
  });

  await t.test('13. the certificate-secured configuration failing → ConnectionMaintenanceFailed', async (t) => {
    const tokenCalls = calls(h, 'connector', 'configuration').length;
    compass.armFault({ operation: 'configuration', kind: 'graphql-error', count: 'unlimited', message: 'connector overloaded' });
    const cr = await waitForStateWithError(h, 'ConnectionMaintenanceFailed', 'connection', 'Error while trying to maintain connection: ');
    t.match(cr.status?.connectionStatus?.error, /connector overloaded/);
    t.equal(calls(h, 'connector', 'configuration').length, tokenCalls, 'no fallback to the token-secured Connector');
    compass.clearFaults();
    await h.waitForState('Synchronized');
  });

  await t.test(
    '14. the certificate-secured client cannot be created (unusable Connector URL stored beside the key) → ConnectionMaintenanceFailed; a fresh token and CR deletion recover',
    async (t) => {
      await ledger.assertNoLeaks(t, h, 'the first agent');
      await h.stopAgent();
      // The agent resumes with the URLs it stored in its Secret (an edit of the CR is ignored by design).
      const secret = h.sims.kube.get('v1', 'Secret', CLIENT_SECRET.name, CLIENT_SECRET.namespace)!;
      await h.sims.kube.update({
        ...secret,
        data: { ...(secret.data as Record<string, string>), connectorUrl: Buffer.from('connector.invalid/graphql').toString('base64') },
      });
      h.startAgent();
      const cr = await waitForStateWithError(h, 'ConnectionMaintenanceFailed', 'connection', 'Error while trying to maintain connection: ');
      t.match(cr.status?.connectionStatus?.error, /not a valid URL/);
      t.equal(h.agent!.liveness().ok, true, 'the agent keeps running');
      ledger.collect(h);
      token = ledger.addToken(await h.writeConfigSecret());
      await h.kubectl('delete', 'compassconnection', 'compass-connection');
      const back = await h.waitFor('Synchronized with the real Connector URL', () => {
        const current = h.connection();
        return current?.status?.connectionState === 'Synchronized' &&
          current.spec.managementInfo?.connectorUrl === h.sims.compass.certSecuredConnectorUrl
          ? current
          : undefined;
      });
      t.ok(back);
      t.ok(h.secretData(CLIENT_SECRET)?.crt, 'a client certificate is stored');
      await ledger.assertNoLeaks(t, h, 'the last agent');
    },
  );
});
