// Acceptance: a malformed Director application fails alone. An application whose name becomes empty,
// one whose bundle id cannot form a Secret name and one whose description no API server would store
// are not applied; the other applications are created, updated and deleted in the same cycle; the
// existing Application of the malformed one is kept (not deleted as "no longer assigned"); the sync
// ends ResourceApplicationFailed naming each by its Compass id, and counts them.
import t from 'tap';
import { startHarness } from '../helpers/agent-harness.js';
import { APP_API, uuid, type Json } from '../helpers/sync-checks.js';

const NS = 'kyma-system';
const basic = (password: string) => ({ credential: { __typename: 'BasicCredentialData' as const, username: 'user', password } });

t.test('a malformed Director application fails alone, its Application kept, and the status names it', async (t) => {
  const h = await startHarness({ apps: 0 });
  t.teardown(() => h.close());
  const compass = h.sims.compass.control;
  const application = (name: string) => h.sims.kube.get(APP_API, 'Application', name) as Json | undefined;
  const app = (n: number, name: string, extra: Json = {}) => ({
    id: uuid('a2000000', n),
    name,
    description: `${name} description`,
    bundles: [
      {
        id: uuid('b2000000', n),
        name: 'b',
        defaultInstanceAuth: basic(`password-${n}`),
        apiDefinitions: [{ id: uuid('d2000000', n), name: 'api', targetURL: 'https://t.example.com' }],
      },
    ],
    ...extra,
  });
  const RENAMED = app(1, 'renamed');
  const CHANGED = app(2, 'changed');
  const GONE = app(3, 'gone');
  for (const input of [RENAMED, CHANGED, GONE]) compass.upsertApplication(input);
  await h.writeConfigSecret();
  h.startAgent();
  await h.waitForState('Synchronized');
  const kept = application('mp-renamed')!;
  const keptSecret = JSON.stringify(h.sims.kube.get('v1', 'Secret', `mp-renamed-${uuid('b2000000', 1)}`, NS));

  // One Director change: three malformed applications, and an update, a deletion and a creation.
  const BAD_BUNDLE = app(4, 'bad-bundle', { bundles: [{ id: 'Not A Valid Id', name: 'b', defaultInstanceAuth: basic('password-4') }] });
  const HUGE = app(5, 'huge', { description: 'x'.repeat(3_200_000) });
  const FRESH = app(6, 'fresh');
  const seq = h.lastEventSeq();
  compass.upsertApplication({ ...RENAMED, name: '' });
  compass.upsertApplication(BAD_BUNDLE);
  compass.upsertApplication(HUGE);
  compass.upsertApplication({ ...CHANGED, description: 'changed in Compass' });
  compass.removeApplication(GONE.id);
  compass.upsertApplication(FRESH);

  const outcome = await h.waitFor(
    'the cycle that saw the change',
    () => h.syncOutcomes(seq).find((o) => o.result !== 'Synchronized' || (o.summary?.created ?? 0) > 0),
    60_000,
  );
  t.equal(outcome.result, 'ResourceApplicationFailed');
  t.match(
    outcome.summary,
    { created: 1, updated: 1, deleted: 1, failed: 3 },
    'the others applied in the same cycle; three failures counted',
  );
  t.match(outcome.error, new RegExp(`^3 of 6 applications failed: `));
  t.match(
    outcome.error,
    `Compass application ${RENAMED.id} named "" is not applied: its name is empty; its existing Application, if any, is kept`,
  );
  t.match(
    outcome.error,
    `Compass application ${BAD_BUNDLE.id} named "bad-bundle" is not applied: bundle id "Not A Valid Id" is not a Compass id`,
  );
  t.match(
    outcome.error,
    new RegExp(
      `Compass application ${HUGE.id} named "huge" is not applied: the Application would be \\d+ bytes \\(its description 3200000\\)`,
    ),
  );
  t.notMatch(outcome.error, /xxxxxxxx/, 'the description is not quoted');

  t.equal(application('mp-changed')?.spec.description, 'changed in Compass', 'updated');
  t.notOk(application('mp-gone'), 'deleted');
  t.ok(application('mp-fresh'), 'created');
  t.notOk(application('mp-bad-bundle'), 'not created');
  t.notOk(application('mp-huge'), 'not created');
  t.notOk(
    h.sims.kube.requestLog.some((entry) => entry.name === 'mp-huge' || entry.name === 'mp-bad-bundle'),
    'not even attempted',
  );
  const cr = await h.waitForState('ResourceApplicationFailed');
  t.match(cr.status?.synchronizationStatus?.error, /^Failed to apply configuration: 3 of 6 applications failed: /);
  for (const id of [RENAMED.id, BAD_BUNDLE.id, HUGE.id]) t.match(cr.status?.synchronizationStatus?.error, id, `the CR status names ${id}`);

  await h.waitForSyncCycles(2);
  const still = application('mp-renamed');
  t.equal(still?.metadata.uid, kept.metadata.uid, 'the Application of the renamed-to-nothing application is kept');
  t.equal(still?.metadata.resourceVersion, kept.metadata.resourceVersion, 'unchanged');
  t.equal(JSON.stringify(h.sims.kube.get('v1', 'Secret', `mp-renamed-${uuid('b2000000', 1)}`, NS)), keptSecret, 'and so is its Secret');

  // Fixed in Compass: the next cycles converge.
  compass.upsertApplication(RENAMED);
  compass.removeApplication(BAD_BUNDLE.id);
  compass.upsertApplication({ ...HUGE, description: 'a short one' });
  await h.waitForState('Synchronized');
  t.equal(application('mp-renamed')?.metadata.uid, kept.metadata.uid);
  t.equal(application('mp-huge')?.spec.description, 'a short one');
});
