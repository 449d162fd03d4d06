import t from 'tap';
import type { ApplicationObject } from '../../src/applications/application-resource.js';
import { convertApplication, type DesiredApplication } from '../../src/applications/converter.js';
import { sameObject, semanticEqual, withoutServerFields } from '../helpers/semantic-equality.js';
import { mergeOwnedFields, planSync, secretNamesOf, type PlannedOperation } from '../../src/applications/sync-plan.js';
import { api, application, basicAuth, bundle, options } from './director-fixtures.js';

const NS = options.integrationNamespace;

function desired(id: string, name: string, extra = {}): DesiredApplication {
  return convertApplication(application(id, name, extra), name, options);
}

/** Reverses key order at every level, as another serialiser might. */
function reordered<T>(value: T): T {
  if (Array.isArray(value)) return value.map(reordered) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).reverse()) out[key] = reordered((value as Record<string, unknown>)[key]);
    return out as T;
  }
  return value;
}

/** What the API server would return for a created object. */
function stored(app: ApplicationObject, uid = `uid-${app.metadata.name}`): ApplicationObject {
  const copy = reordered(structuredClone(app));
  copy.metadata = {
    ...copy.metadata,
    uid,
    resourceVersion: '42',
    generation: 3,
    creationTimestamp: '2024-01-01T00:00:00Z',
    managedFields: [{ manager: 'runtime-agent' }],
  };
  return copy;
}

function kinds(operations: PlannedOperation[]): Record<string, string> {
  return Object.fromEntries(operations.map((op) => [op.name, op.kind]));
}

const withBundle = {
  bundles: [bundle('b1', 'B', { apiDefinitions: [api('a1', 'A')], defaultInstanceAuth: basicAuth('u', 'p') })],
};

t.test('semantic equality ignores key order, absent-vs-null and server-added metadata', async (t) => {
  t.ok(semanticEqual({ a: 1, b: { c: [1, { d: 2, e: 3 }] } }, { b: { c: [1, { e: 3, d: 2 }] }, a: 1 }));
  t.ok(semanticEqual({ a: 1, b: undefined }, { a: 1, c: null }));
  t.notOk(semanticEqual([1, 2], [2, 1]), 'array order matters');
  t.notOk(semanticEqual({ a: [] }, { a: {} }));
  t.notOk(semanticEqual({ a: '1' }, { a: 1 }));
  t.notOk(semanticEqual([1], [1, 2]));
  t.notOk(semanticEqual({ a: 1 }, null));
  const app = desired('1', 'app').application;
  t.ok(sameObject(app, { ...stored(app), status: { installationStatus: { status: 'deployed' } } }));
  t.notOk(sameObject(app, { ...stored(app), spec: { ...app.spec, description: 'changed' } }));
  t.notOk('uid' in withoutServerFields(stored(app)).metadata);
  t.same(
    withoutServerFields<{ kind: string; metadata?: Record<string, unknown> }>({ kind: 'X' }),
    { kind: 'X' },
    'objects without metadata are kept',
  );
});

t.test('missing apps are created, stored apps that match are unchanged, unassigned apps are deleted', async (t) => {
  const a = desired('id-a', 'app-a', withBundle);
  const b = desired('id-b', 'app-b');
  const gone = stored(desired('id-gone', 'app-gone', withBundle).application);
  const plan = planSync([a, b], [stored(a.application), gone], NS);
  t.same(kinds(plan.operations), { 'app-a': 'unchanged', 'app-b': 'create', 'app-gone': 'delete' });
  const unchanged = plan.operations.find((op) => op.kind === 'unchanged')!;
  t.equal(unchanged.kind === 'unchanged' && unchanged.secrets.length, 1, 'unchanged apps still carry their Secrets');
  const deletion = plan.operations.find((op) => op.kind === 'delete')!;
  t.equal(deletion.applicationId, 'id-gone');
  t.same(deletion.kind === 'delete' && deletion.secrets, [
    { namespace: NS, name: 'app-gone-b1' },
    { namespace: NS, name: 'params-app-gone-b1' },
  ]);
  t.same(plan.duplicates, []);
});

t.test('a changed description, service or compassMetadata is an update; user fields are kept', async (t) => {
  const before = desired('id', 'app', withBundle);
  const current = stored(before.application);
  current.metadata.annotations = { note: 'mine' };
  current.metadata.labels = { ...current.metadata.labels, team: 'blue' };
  current.spec.skipVerify = true;
  current.spec.encodeUrl = true;
  current.spec.tags = ['user-tag'];

  for (const change of [
    { description: 'new description' },
    { auths: [{ id: 'other-client' }] },
    { bundles: [bundle('b1', 'Renamed', { apiDefinitions: [api('a1', 'A')], defaultInstanceAuth: basicAuth('u', 'p') })] },
  ]) {
    const after = desired('id', 'app', { ...withBundle, ...change });
    const [op] = planSync([after], [current], NS).operations;
    t.equal(op.kind, 'update', JSON.stringify(change));
    if (op.kind !== 'update') continue;
    const next = op.application;
    t.equal(next.metadata.resourceVersion, '42', 'carries the cached resourceVersion for a conflict-safe write');
    t.equal(next.metadata.uid, current.metadata.uid);
    t.notOk('managedFields' in next.metadata);
    t.same(next.metadata.annotations, { note: 'mine' });
    t.same(next.metadata.labels, { 'applicationconnector.kyma-project.io/managed-by': 'compass-runtime-agent', team: 'blue' });
    t.equal(next.spec.skipVerify, true);
    t.equal(next.spec.encodeUrl, true);
    t.same(next.spec.tags, ['user-tag']);
    t.ok(semanticEqual(next.spec.services, after.application.spec.services));
    t.ok(semanticEqual(next.spec.compassMetadata, after.application.spec.compassMetadata));
    t.equal(next.spec.description, after.application.spec.description);
  }
});

t.test('a user edit of an agent-owned field is reverted; an edit of a user field is left alone', async (t) => {
  const app = desired('id', 'app', withBundle);
  const edited = stored(app.application);
  edited.spec.services[0].entries[0].targetUrl = 'https://attacker.example';
  t.same(kinds(planSync([app], [edited], NS).operations), { app: 'update' });

  const labelEdited = stored(app.application);
  labelEdited.spec.labels = { 'connected-app': 'app', extra: 'x' };
  t.same(kinds(planSync([app], [labelEdited], NS).operations), { app: 'update' });

  const userEdited = stored(app.application);
  userEdited.spec.skipVerify = true;
  userEdited.spec.encodeUrl = true;
  userEdited.metadata.annotations = { a: 'b' };
  userEdited.metadata.labels = { ...userEdited.metadata.labels, team: 'x' };
  t.same(kinds(planSync([app], [userEdited], NS).operations), { app: 'unchanged' });
});

t.test("objects without compassMetadata or with another manager's label are never touched, even with the same name", async (t) => {
  const app = desired('id', 'app');
  const noMetadata = stored(app.application);
  delete noMetadata.spec.compassMetadata;
  const plan = planSync([app], [noMetadata], NS);
  t.equal(plan.operations.length, 1);
  t.equal(plan.operations[0].kind, 'conflict');
  t.match(plan.operations[0].kind === 'conflict' && plan.operations[0].message, /app exists but is not managed/);

  // Without any managed-by label, an object with compassMetadata is the Go agent's: test/applications/sync-adoption.test.ts.
  const otherManager = stored(desired('id-x', 'user-app').application);
  otherManager.metadata.labels = { 'applicationconnector.kyma-project.io/managed-by': 'someone-else' };
  t.same(planSync([], [otherManager, noMetadata], NS).operations, [], 'unmanaged objects are never deleted');
  const taken = planSync([desired('id-x', 'user-app')], [otherManager], NS).operations;
  t.same(
    taken.map((operation) => operation.kind),
    ['conflict'],
    "another manager's object of the same name is a conflict",
  );
});

t.test('all applications sharing a name after normalisation are skipped and named; the rest is applied', async (t) => {
  const one = desired('id-1', 'mp-dup');
  const two = desired('id-2', 'mp-dup');
  const three = desired('id-3', 'mp-dup');
  const other = desired('id-4', 'mp-other');
  const existingDuplicate = stored(one.application);
  const plan = planSync([one, other, two, three], [existingDuplicate], NS);
  t.same(plan.duplicates, [{ name: 'mp-dup', applicationIds: ['id-1', 'id-2', 'id-3'] }]);
  t.same(kinds(plan.operations), { 'mp-other': 'create' }, 'the existing CR of a duplicate name is neither updated nor deleted');
});

t.test('an update deletes the Secrets the old CR used and the new one does not', async (t) => {
  const twoBundles = {
    bundles: [
      bundle('b1', 'B1', {
        apiDefinitions: [api('a1', 'A')],
        defaultInstanceAuth: basicAuth('u', 'p', { additionalHeaders: { h: ['v'] } }),
      }),
      bundle('b2', 'B2', { apiDefinitions: [api('a2', 'A')], defaultInstanceAuth: basicAuth('u', 'p') }),
    ],
  };
  const before = stored(desired('id', 'app', twoBundles).application);
  const after = desired('id', 'app', {
    bundles: [bundle('b2', 'B2', { apiDefinitions: [api('a2', 'A')], defaultInstanceAuth: basicAuth('u', 'p') })],
  });
  const [op] = planSync([after], [before], NS).operations;
  t.equal(op.kind, 'update');
  t.same(
    op.kind === 'update' && op.obsoleteSecrets.map((ref) => ref.name),
    ['app-b1', 'params-app-b1'],
    'no delete for a Secret of a kept service that the old CR did not name',
  );
});

t.test('an update that changes no Secret deletes none', async (t) => {
  const bundles = {
    bundles: [bundle('b1', 'B1', { apiDefinitions: [api('a1', 'A')] }), bundle('b2', 'B2', { defaultInstanceAuth: basicAuth('u', 'p') })],
  };
  const before = stored(desired('id', 'app', { ...bundles, description: 'old' }).application);
  const [op] = planSync([desired('id', 'app', { ...bundles, description: 'new' })], [before], NS).operations;
  t.equal(op.kind, 'update');
  t.same(op.kind === 'update' && op.obsoleteSecrets, []);
});

t.test('secretNamesOf ignores references a user pointed at Secrets of another shape', async (t) => {
  const app = stored(desired('id', 'app', withBundle).application);
  app.spec.services[0].entries[0].credentials.secretName = 'kyma-gateway-certs-cacert';
  app.spec.services[0].entries[0].requestParametersSecretName = 'app-custom-params';
  t.same(secretNamesOf(app), ['app-b1', 'app-custom-params', 'params-app-b1']);
});

t.test('mergeOwnedFields restores the managed-by label and keeps everything else', async (t) => {
  const app = desired('id', 'app').application;
  const current = stored(app);
  current.metadata.labels = { other: 'x' };
  const merged = mergeOwnedFields(current, app);
  t.same(merged.metadata.labels, { other: 'x', 'applicationconnector.kyma-project.io/managed-by': 'compass-runtime-agent' });
  t.equal(current.metadata.labels['applicationconnector.kyma-project.io/managed-by'], undefined, 'input not mutated');
});

t.test(
  'a malformed application is rejected and keeps the CR of its name and the CR of its Compass id; nothing else is held back',
  async (t) => {
    const shop = stored(desired('id-shop', 'shop', withBundle).application);
    const crm = stored(desired('id-crm', 'crm').application);
    const gone = stored(desired('id-gone', 'gone').application);
    // The shop's bundle id became invalid: same name. The crm was renamed to nothing: only its id matches.
    const badBundle = convertApplication(application('id-shop', 'shop', { bundles: [bundle('Bad Id', 'B')] }), 'shop', options);
    const emptyName = convertApplication(application('id-crm', ''), '', options);
    const plan = planSync([badBundle, emptyName, desired('id-new', 'new')], [shop, crm, gone], NS);
    t.same(kinds(plan.operations), { new: 'create', gone: 'delete' });
    t.same(
      plan.rejected.map((r) => [r.applicationId, r.name, r.directorName]),
      [
        ['id-shop', 'shop', 'shop'],
        ['id-crm', '', ''],
      ],
    );
    t.match(plan.rejected[0].problems, [/bundle id "Bad Id" is not a Compass id/]);
    t.match(plan.rejected[1].problems, ['its name is empty']);
  },
);

t.test('update and delete operations carry the stored Application, whose uid the Secrets must name', async (t) => {
  const before = stored(desired('id', 'app', withBundle).application, 'uid-before');
  const [update] = planSync([desired('id', 'app', { ...withBundle, description: 'new' })], [before], NS).operations;
  t.equal(update.kind === 'update' && update.current.metadata.uid, 'uid-before');
  const [deletion] = planSync([], [before], NS).operations;
  t.equal(deletion.kind === 'delete' && deletion.current.metadata.uid, 'uid-before');
});
