// Acceptance: Go-era Applications (compassMetadata, no managed-by label) are deleted only after a
// complete Director fetch. The agent, installed with deploy/, starts on a cluster holding Go-era
// Applications; while the Director's answers are incomplete (a truncated page, then an error on a
// later page) nothing is adopted or deleted and the Go agent's objects stay byte-identical; the first
// complete fetch adopts the assigned one and deletes the other, and an Application without
// compassMetadata is never touched.
import t from 'tap';
import { startHarness } from '../helpers/agent-harness.js';
import { APP_API, uuid } from '../helpers/sync-checks.js';

const MANAGED_BY = 'applicationconnector.kyma-project.io/managed-by';

function goEra(name: string, applicationId: string) {
  return {
    apiVersion: APP_API,
    kind: 'Application',
    metadata: { name },
    spec: {
      description: `${name}, by the Go agent`,
      services: [],
      labels: { 'connected-app': name },
      compassMetadata: { applicationId, authentication: { clientIds: [] } },
    },
  };
}

t.test('Go-era Applications: nothing adopted or deleted on an incomplete fetch; the first complete one does both', async (t) => {
  const h = await startHarness({ apps: 0, compass: { pageSize: 2 } });
  t.teardown(() => h.close());
  const compass = h.sims.compass.control;
  const runtimeId = h.sims.compass.runtimeId;
  compass.upsertRuntime({ id: runtimeId, labels: { ...compass.runtimeLabels(runtimeId), isNormalized: 'true' } });
  for (let n = 1; n <= 5; n++) compass.upsertApplication({ id: uuid('7a000000', n), name: `app-${n}` });
  await h.sims.kube.create(goEra('app-1', uuid('7a000000', 1)));
  await h.sims.kube.create(goEra('retired', uuid('7a000000', 9)));
  await h.sims.kube.create({
    apiVersion: APP_API,
    kind: 'Application',
    metadata: { name: 'hand-made' },
    spec: { description: 'no compassMetadata', services: [] },
  });
  const before = Object.fromEntries(
    ['app-1', 'retired', 'hand-made'].map((name) => [name, JSON.stringify(h.sims.kube.get(APP_API, 'Application', name))]),
  );

  // Page 2 of 3 comes back short, then page 3 fails: two incomplete fetches in a row.
  compass.armFault({ operation: 'applicationsForRuntime', kind: 'truncated-page', skip: 1 });
  compass.armFault({ operation: 'applicationsForRuntime', kind: 'http-status', status: 503, body: 'upstream connect error', skip: 3 });
  await h.writeConfigSecret();
  h.startAgent();
  const failed = await h.waitFor(
    'two failed fetches',
    () => {
      const outcomes = h.syncOutcomes();
      return outcomes.length >= 2 ? outcomes.slice(0, 2) : undefined;
    },
    60_000,
  );
  for (const outcome of failed) t.equal(outcome.result, 'SynchronizationFailed');
  t.match(failed[0].error, /totalCount \d+ but \d+ items arrived/, 'the truncated page');
  t.match(failed[1].error, /503/, 'the failed page');
  for (const [name, json] of Object.entries(before))
    t.equal(JSON.stringify(h.sims.kube.get(APP_API, 'Application', name)), json, `${name} untouched meanwhile`);
  const writes = h.sims.kube.requestLog.filter((e) => e.resource === 'applications' && ['update', 'patch', 'delete'].includes(e.verb));
  t.same(
    writes.map((e) => `${e.verb} ${e.name}`),
    [],
    'no Application updated or deleted during the failed cycles',
  );

  await h.waitForState('Synchronized', 60_000);
  const adopted = h.sims.kube.get(APP_API, 'Application', 'app-1')!;
  t.equal(adopted.metadata.labels?.[MANAGED_BY], 'compass-runtime-agent', 'the assigned one adopted');
  t.equal(adopted.metadata.uid, JSON.parse(before['app-1']).metadata.uid, 'in place');
  t.equal(h.sims.kube.get(APP_API, 'Application', 'retired'), undefined, 'the unassigned one deleted');
  t.equal(
    JSON.stringify(h.sims.kube.get(APP_API, 'Application', 'hand-made')),
    before['hand-made'],
    'the one without compassMetadata byte-identical',
  );
  for (let n = 2; n <= 5; n++) t.ok(h.sims.kube.get(APP_API, 'Application', `app-${n}`), `app-${n} created`);
});
