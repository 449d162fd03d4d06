// The compact form the Application cache keeps (services replaced by a digest) must let the plan
// reach the same verdicts as the full object: a user's edit of an owned field is still reverted,
// an edit of a user field is still left alone, and an update still writes the user's fields back.
import t from 'tap';
import { MANAGED_BY_LABEL, type ApplicationObject } from '../../src/applications/application-resource.js';
import { convertApplication } from '../../src/applications/converter.js';
import { canonicalJson, ownedFieldsDigest } from '../../src/applications/owned-fields.js';
import { compactApplication, storedSummaryOf } from '../../src/applications/stored-application.js';
import { planSync, secretNamesOf } from '../../src/applications/sync-plan.js';
import { semanticEqual } from '../helpers/semantic-equality.js';
import { api, application, basicAuth, bundle, options } from './director-fixtures.js';

const NS = options.integrationNamespace;
const withBundle = {
  bundles: [
    bundle('b1', 'B', { apiDefinitions: [api('a1', 'A')], defaultInstanceAuth: basicAuth('u', 'p', { additionalHeaders: { h: ['v'] } }) }),
  ],
};
const desired = (extra = {}) => convertApplication(application('id', 'app', { ...withBundle, ...extra }), 'app', options);

/** The object as the API server returns it, with user fields and server bookkeeping. */
function stored(app: ApplicationObject): ApplicationObject {
  const copy = structuredClone(app);
  copy.metadata = { ...copy.metadata, uid: 'uid-app', resourceVersion: '7', managedFields: [{ manager: 'runtime-agent' }] };
  copy.metadata.annotations = { note: 'mine' };
  copy.spec.skipVerify = true;
  copy.status = { installationStatus: { status: 'deployed' } };
  return copy;
}

t.test('canonical JSON is equal exactly where semantic equality holds', async (t) => {
  const pairs: Array<[unknown, unknown]> = [
    [
      { a: 1, b: { c: [1, { d: 2, e: 3 }] } },
      { b: { c: [1, { e: 3, d: 2 }] }, a: 1 },
    ],
    [
      { a: 1, b: undefined },
      { a: 1, c: null },
    ],
    [
      [1, 2],
      [2, 1],
    ],
    [{ a: [] }, { a: {} }],
    [{ a: '1' }, { a: 1 }],
    [{ a: 1 }, null],
    [{}, null],
  ];
  for (const [a, b] of pairs)
    t.equal(canonicalJson(a) === canonicalJson(b), semanticEqual(a, b), `${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
});

t.test('the compact form drops services and managedFields, keeps the rest, and leaves the input alone', async (t) => {
  const full = stored(desired().application);
  const compact = compactApplication(full);
  t.notOk('services' in compact.spec);
  t.notOk('managedFields' in compact.metadata);
  t.equal(compact.spec.skipVerify, true);
  t.same(compact.metadata.annotations, { note: 'mine' });
  t.same(compact.status, full.status);
  t.ok(Array.isArray(full.spec.services) && 'managedFields' in full.metadata, 'input not mutated');
  t.equal(storedSummaryOf(compact).ownedDigest, ownedFieldsDigest(full.spec));
  t.same(secretNamesOf(compact), secretNamesOf(full));
  t.same(Object.keys({ ...compact }).sort(), Object.keys(compact).sort(), 'the summary is not copied by a spread');
  t.not(storedSummaryOf({ ...compact }).ownedDigest, storedSummaryOf(compact).ownedDigest, 'a copy is summarized from what it holds');
  t.same(
    [compact.apiVersion, compact.kind, compact.metadata.labels],
    [full.apiVersion, full.kind, full.metadata.labels],
    'apiVersion, kind and labels keep their values',
  );
  t.not(compact.metadata.labels, full.metadata.labels, "the input's labels are not the compact form's");
  const foreign = compactApplication({
    ...full,
    apiVersion: 'applicationconnector.kyma-project.io/v1alpha2',
    kind: 'application',
    metadata: { ...full.metadata, labels: { [MANAGED_BY_LABEL]: 'someone-else' } },
  });
  t.same(
    [foreign.apiVersion, foreign.kind, foreign.metadata.labels],
    ['applicationconnector.kyma-project.io/v1alpha2', 'application', { [MANAGED_BY_LABEL]: 'someone-else' }],
    'other values stay as they are',
  );
  const { labels: _labels, ...unlabelled } = full.metadata;
  t.notOk('labels' in compactApplication({ ...full, metadata: unlabelled }).metadata, 'no labels are added to an object without');
  t.notOk(JSON.stringify(compact).includes('ownedDigest'), 'nor sent to the API server');
});

t.test('against the compact form, an owned-field edit is an update and a user-field edit is not', async (t) => {
  const app = desired();
  t.same(
    planSync([app], [compactApplication(stored(app.application))], NS).operations.map((op) => op.kind),
    ['unchanged'],
  );

  const edited = stored(app.application);
  edited.spec.services[0].entries[0].targetUrl = 'https://attacker.example';
  const [op] = planSync([app], [compactApplication(edited)], NS).operations;
  t.equal(op.kind, 'update', 'the edit is reverted');
  if (op.kind === 'update') {
    const next = op.application;
    t.ok(semanticEqual(next.spec.services, app.application.spec.services), 'services come from the desired state');
    t.equal(next.spec.skipVerify, true, 'user fields are written back');
    t.same(next.metadata.annotations, { note: 'mine' });
    t.equal(next.metadata.resourceVersion, '7', 'a conflict-safe write');
    t.same(op.obsoleteSecrets, []);
  }

  const userEdited = stored(app.application);
  userEdited.spec.encodeUrl = true;
  userEdited.metadata.labels = { ...userEdited.metadata.labels, team: 'x' };
  t.same(
    planSync([app], [compactApplication(userEdited)], NS).operations.map((op) => op.kind),
    ['unchanged'],
  );
});

t.test('a compact Application that is no longer assigned is deleted with its Secrets', async (t) => {
  const compact = compactApplication(stored(desired().application));
  const [op] = planSync([], [compact], NS).operations;
  t.equal(op.kind, 'delete');
  t.same(op.kind === 'delete' && op.secrets.map((ref) => ref.name), ['app-b1', 'params-app-b1']);
});
