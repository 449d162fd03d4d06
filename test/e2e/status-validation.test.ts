// Every status the agent writes must be one a real API server accepts. The simulator validates
// custom resources against their CRD's schema as kube-apiserver does, so this drives the agent
// through every connectionState, under the project's CRD (status subresource) and under the
// upstream one a Kyma cluster keeps (no status subresource, status written with the object), and
// fails on any write to the CompassConnection that the API server refused.
import t, { type Test } from 'tap';
import { existsSync } from 'node:fs';
import { startHarness, type Harness } from '../helpers/agent-harness.js';
import { APPLICATION_RESOURCE } from '../helpers/connection-checks.js';
import { upstreamInstallFile } from '../helpers/upstream-files.js';

const UPSTREAM_CRD = upstreamInstallFile('compassconnections-crd.yaml');
const WRITES = ['create', 'update', 'patch'];

/** Writes to the CompassConnection the API server refused for their content (not conflicts or absence). */
function refusedWrites(h: Harness): string[] {
  return h.sims.kube.requestLog
    .filter(
      (e) => e.resource === 'compassconnections' && WRITES.includes(e.verb) && e.status >= 400 && e.status !== 404 && e.status !== 409,
    )
    .map((e) => `${e.status} ${e.verb} ${e.path}${e.subresource ? ` (${e.subresource})` : ''}`);
}

async function throughEveryState(t: Test, h: Harness): Promise<void> {
  const compass = h.sims.compass.control;
  const states: string[] = [];
  const reach = async (state: string) => {
    await h.waitForState(state, 30_000);
    states.push(state);
  };

  // A token the Connector does not know: the first connection fails.
  await h.writeConfigSecret({ TOKEN: 'not-a-token-the-connector-issued' });
  h.startAgent();
  await reach('ConnectionFailed');
  await h.writeConfigSecret();
  await reach('Synchronized');

  compass.upsertRuntime({ id: h.sims.compass.runtimeId, labels: { scenarios: ['DEFAULT'] } });
  compass.armFault({ operation: 'setRuntimeLabel', kind: 'graphql-error', count: 'unlimited', message: 'label store unavailable' });
  await reach('MetadataUpdateFailed');
  compass.clearFaults();
  await reach('Synchronized');

  compass.generateApplications(1, 7001);
  h.sims.kube.faults.failNext({
    verb: 'create',
    resource: APPLICATION_RESOURCE,
    status: 500,
    times: 10_000,
    message: 'etcdserver: request timed out',
  });
  await reach('ResourceApplicationFailed');
  h.sims.kube.faults.clear();
  await reach('Synchronized');

  compass.armFault({ operation: 'applicationsForRuntime', kind: 'http-status', status: 503, count: 'unlimited' });
  await reach('SynchronizationFailed');
  compass.clearFaults();
  await reach('Synchronized');

  compass.armFault({ operation: 'configuration', kind: 'graphql-error', count: 'unlimited', message: 'connector overloaded' });
  await reach('ConnectionMaintenanceFailed');
  compass.clearFaults();
  await reach('Synchronized');

  t.same(
    states,
    [
      'ConnectionFailed',
      'Synchronized',
      'MetadataUpdateFailed',
      'Synchronized',
      'ResourceApplicationFailed',
      'Synchronized',
      'SynchronizationFailed',
      'Synchronized',
      'ConnectionMaintenanceFailed',
      'Synchronized',
    ],
    'every connectionState was written and read back',
  );
  t.ok(
    h.sims.kube.requestLog.some((e) => e.resource === 'compassconnections' && WRITES.includes(e.verb) && e.status < 300),
    'the agent wrote the CR',
  );
  t.strictSame(refusedWrites(h), [], 'the API server accepted every write of the CompassConnection');
}

t.test("under the project's CRD (status subresource) every connection state validates", async (t) => {
  const h = await startHarness({ apps: 2 });
  t.teardown(() => h.close());
  await throughEveryState(t, h);
  t.ok(
    h.sims.kube.requestLog.some(
      (e) => e.resource === 'compassconnections' && e.subresource === 'status' && e.verb === 'patch' && e.status === 200,
    ),
    'status went through /status',
  );
});

t.test(
  'under the upstream CRD (no status subresource) every connection state validates',
  { skip: UPSTREAM_CRD && existsSync(UPSTREAM_CRD) ? false : 'the upstream install files (../shared/spec/upstream-install) are absent' },
  async (t) => {
    const h = await startHarness({ apps: 2 });
    t.teardown(() => h.close());
    t.match(await h.kubectl('apply', '-f', UPSTREAM_CRD!), /compassconnections\.compass\.kyma-project\.io (configured|unchanged)/);
    await throughEveryState(t, h);
    t.notOk(
      h.sims.kube.requestLog.some((e) => e.resource === 'compassconnections' && e.subresource === 'status' && e.status < 300),
      'no write reached a /status the CRD does not serve',
    );
  },
);
