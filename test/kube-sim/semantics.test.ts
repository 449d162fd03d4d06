// The simulator's API semantics over real HTTPS: verbs, selectors, paging, watch, status split,
// finalizers, garbage collection, patches, errors, authentication and every fault kind.
import t from 'tap';
import { request as httpRequest } from 'node:http';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../../sim/kube/index.js';
import { simClient, type SimClient } from './https-client.js';

const CRDS = new URL('../../crds/', import.meta.url).pathname;
const W = '/apis/example.com/v1/namespaces/default/widgets';
const G = '/apis/example.com/v1/namespaces/default/gadgets';
const SECRETS = '/api/v1/namespaces/default/secrets';
const MERGE = { 'content-type': 'application/merge-patch+json' };

const widgetsCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'widgets', singular: 'widget', kind: 'Widget' },
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
      {
        name: 'v2',
        served: true,
        storage: false,
        subresources: { status: {} },
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};
const gadgetsCrd = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'gadgets.example.com' },
  spec: {
    group: 'example.com',
    scope: 'Namespaced',
    names: { plural: 'gadgets', kind: 'Gadget' },
    // apiextensions.k8s.io/v1 requires a schema per version; this one keeps every field.
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        schema: { openAPIV3Schema: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
      },
    ],
  },
};

function control(sim: KubeSim, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${sim.controlUrl}${path}`, { method, headers: { 'content-type': 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString() || 'null') }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

let sim: KubeSim;
let c: SimClient;

t.before(async () => {
  sim = await startKubeSim({ crdDir: CRDS, namespaces: ['default', 'other'], bookmarkIntervalMs: 50 });
  c = await simClient(sim);
  t.equal((await c.call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', widgetsCrd)).status, 201);
  t.equal((await c.call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', gadgetsCrd)).status, 201);
});
t.teardown(() => sim.close());

t.test('authentication: client certificates and bearer tokens pass, anything else gets a 401 Status', async (t) => {
  const anonymous = await simClient(sim, 'none');
  const denied = await anonymous.call('GET', SECRETS);
  t.equal(denied.status, 401);
  t.match(denied.body, { kind: 'Status', reason: 'Unauthorized', code: 401 });
  t.equal((await (await simClient(sim, { token: 'wrong' })).call('GET', SECRETS)).status, 401);
  t.equal((await (await simClient(sim, { token: sim.bearerToken })).call('GET', SECRETS)).status, 200);
  const alice = sim.issueToken({ name: 'alice', groups: ['devs'] });
  await sim.create({
    // RBAC: alice's group may read the namespace's Secrets (rbac.test.ts tests the denials)
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'RoleBinding',
    metadata: { name: 'devs', namespace: 'default' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'devs' }],
  });
  sim.clearRequestLog();
  await (await simClient(sim, { token: alice })).call('GET', SECRETS);
  t.match(sim.requestLog[0], { verb: 'list', resource: 'secrets', namespace: 'default', status: 200, user: 'alice' });
  await c.call('GET', SECRETS);
  t.equal(sim.requestLog[1].user, 'admin', 'the client certificate CN is the user');
});

t.test('discovery lists built-in and CRD resources; /version answers', async (t) => {
  t.match((await c.call('GET', '/version')).body, { major: '1', minor: '32' });
  t.match((await c.call('GET', '/api')).body, { kind: 'APIVersions', versions: ['v1'] });
  const groups = (await c.call('GET', '/apis')).body.groups.map((g: { name: string }) => g.name);
  t.ok(groups.includes('compass.kyma-project.io') && groups.includes('coordination.k8s.io') && groups.includes('events.k8s.io'));
  const core = (await c.call('GET', '/api/v1')).body.resources.map((r: { name: string }) => r.name);
  t.ok(['namespaces', 'secrets', 'configmaps', 'events', 'namespaces/status'].every((n) => core.includes(n)));
  const compass = (await c.call('GET', '/apis/compass.kyma-project.io/v1alpha1')).body;
  t.match(compass.resources, [
    { name: 'compassconnections', namespaced: false, kind: 'CompassConnection' },
    { name: 'compassconnections/status' },
  ]);
  t.match((await c.call('GET', '/apis/example.com')).body, { kind: 'APIGroup', name: 'example.com', preferredVersion: { version: 'v1' } });
  t.equal((await c.call('GET', '/apis/nope.io')).status, 404);
  t.equal((await c.call('GET', '/apis/nope.io/v1')).status, 404);
  t.match((await c.call('GET', '/openapi/v3')).body, {
    paths: { 'apis/example.com/v1': { serverRelativeURL: /^\/openapi\/v3\/apis\/example.com\/v1\?hash=[0-9A-F]{128}$/ } },
  });
  t.equal((await c.call('GET', '/healthz')).body, 'ok');
  t.equal((await c.call('POST', '/version', {})).status, 405);
});

t.test('create fills server fields, honours generateName, and rejects duplicates and bad input', async (t) => {
  const created = await c.call('POST', W, {
    apiVersion: 'example.com/v1',
    kind: 'Widget',
    metadata: { name: 'w1' },
    spec: { size: 1 },
    status: { ready: true },
  });
  t.equal(created.status, 201);
  const meta = created.body.metadata;
  t.match(meta.uid, /^[0-9a-f-]{36}$/);
  t.match(meta.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'second precision');
  t.equal(meta.generation, 1);
  t.match(meta.resourceVersion, /^\d+$/);
  t.notOk('status' in created.body, 'status is dropped on create when the status subresource exists');
  const generated = await c.call('POST', W, { metadata: { generateName: 'gen-' }, spec: {} });
  t.match(generated.body.metadata.name, /^gen-[a-z0-9]{5}$/);
  const dup = await c.call('POST', W, { metadata: { name: 'w1' } });
  t.match(dup, {
    status: 409,
    body: {
      reason: 'AlreadyExists',
      message: 'widgets.example.com "w1" already exists',
      details: { name: 'w1', group: 'example.com', kind: 'widgets' },
    },
  });
  t.match(await c.call('POST', W, '{"metadata": {'), { status: 400, body: { reason: 'BadRequest', message: /json parse error/ } });
  t.match(await c.call('POST', W, '[1]'), { status: 400, body: { reason: 'BadRequest' } });
  t.match(await c.call('POST', W, { metadata: {} }), {
    status: 422,
    body: { reason: 'Invalid', details: { causes: [{ field: 'metadata.name' }] } },
  });
  t.match(await c.call('POST', W, { metadata: { name: 'Bad_Name' } }), { status: 422, body: { reason: 'Invalid' } });
  t.match(await c.call('POST', W, { metadata: { name: 'x', namespace: 'other' } }), {
    status: 400,
    body: { message: /namespace of the provided object does not match/ },
  });
  t.match(await c.call('POST', W, { kind: 'Gadget', metadata: { name: 'x' } }), { status: 400 });
  t.match(await c.call('POST', '/apis/example.com/v1/namespaces/missing/widgets', { metadata: { name: 'x' } }), {
    status: 404,
    body: { message: 'namespaces "missing" not found' },
  });
  t.match(await c.call('POST', W, { metadata: { name: 'x' } }, { 'content-type': 'application/vnd.kubernetes.protobuf' }), { status: 415 });
  const yaml = await c.call('POST', SECRETS, 'metadata:\n  name: from-yaml\nstringData:\n  k: v\n', { 'content-type': 'application/yaml' });
  t.match(yaml.body, { status: undefined, type: 'Opaque', data: { k: Buffer.from('v').toString('base64') } }, 'stringData folds into data');
  t.match(await c.call('POST', `${W}/w1`, {}), { status: 405, body: { reason: 'MethodNotAllowed' } });
});

t.test('get and errors name the missing object; unknown resources get the generic 404', async (t) => {
  t.match(await c.call('GET', `${SECRETS}/nope`), {
    status: 404,
    body: {
      kind: 'Status',
      status: 'Failure',
      reason: 'NotFound',
      message: 'secrets "nope" not found',
      details: { name: 'nope', kind: 'secrets' },
      code: 404,
    },
  });
  t.match(await c.call('GET', '/api/v1/namespaces/default/unicorns'), {
    status: 404,
    body: { message: 'the server could not find the requested resource' },
  });
  t.match(await c.call('GET', `${SECRETS}/a/b/c`), { status: 404 });
  t.match(await c.call('GET', `${G}/x/status`), { status: 404 }, 'no status subresource without the CRD declaring it');
  const v2 = await c.call('GET', '/apis/example.com/v2/namespaces/default/widgets/w1');
  t.equal(v2.body.apiVersion, 'example.com/v2', 'served under the requested version');
});

t.test('update: resourceVersion required for custom resources, stale ones conflict, no-op writes bump nothing', async (t) => {
  const w = (await c.call('GET', `${W}/w1`)).body;
  const { resourceVersion, ...metaWithoutRv } = w.metadata;
  t.match(await c.call('PUT', `${W}/w1`, { ...w, metadata: metaWithoutRv }), {
    status: 422,
    body: { reason: 'Invalid', details: { causes: [{ field: 'metadata.resourceVersion' }] } },
  });
  const same = await c.call('PUT', `${W}/w1`, w);
  t.equal(same.status, 200);
  t.equal(same.body.metadata.resourceVersion, resourceVersion, 'a write that changes nothing keeps the resourceVersion');
  const changed = await c.call('PUT', `${W}/w1`, { ...w, spec: { size: 2 } });
  t.not(changed.body.metadata.resourceVersion, resourceVersion);
  t.equal(changed.body.metadata.generation, 2, 'spec change bumps generation');
  t.match(await c.call('PUT', `${W}/w1`, { ...w, spec: { size: 3 } }), {
    status: 409,
    body: { reason: 'Conflict', message: /Operation cannot be fulfilled on widgets.example.com "w1": the object has been modified/ },
  });
  const labelled = await c.call('PUT', `${W}/w1`, { ...changed.body, metadata: { ...changed.body.metadata, labels: { a: 'b' } } });
  t.equal(labelled.body.metadata.generation, 2, 'label edits leave generation alone');
  t.match(await c.call('PUT', `${W}/w1`, { ...labelled.body, metadata: { ...labelled.body.metadata, name: 'other' } }), {
    status: 400,
    body: { message: /does not match the name on the URL/ },
  });
  t.match(await c.call('PUT', `${W}/absent`, { metadata: { name: 'absent', resourceVersion: '1' } }), { status: 404 });
  const secret = await c.call('POST', SECRETS, { metadata: { name: 'unconditional' }, data: { a: 'YQ==' } });
  const put = await c.call('PUT', `${SECRETS}/unconditional`, { metadata: { name: 'unconditional' }, data: { a: 'Yg==' } });
  t.equal(put.status, 200, 'core types allow updates without a resourceVersion');
  t.equal(put.body.metadata.uid, secret.body.metadata.uid, 'uid is preserved');
  t.equal(put.body.metadata.generation, undefined, 'secrets carry no generation');
});

t.test('status subresource: main resource ignores status, /status ignores everything else', async (t) => {
  const w = (await c.call('GET', `${W}/w1`)).body;
  const main = await c.call('PUT', `${W}/w1`, { ...w, status: { phase: 'ignored' } });
  t.equal(main.body.metadata.resourceVersion, w.metadata.resourceVersion, 'status on the main resource is a no-op');
  const status = await c.call('PUT', `${W}/w1/status`, {
    ...w,
    spec: { size: 99 },
    metadata: { ...w.metadata, labels: { changed: 'yes' } },
    status: { phase: 'Ready' },
  });
  t.equal(status.status, 200);
  t.same(status.body.status, { phase: 'Ready' });
  t.same(status.body.spec, w.spec, '/status ignores spec');
  t.same(status.body.metadata.labels, w.metadata.labels, '/status ignores metadata');
  t.equal(status.body.metadata.generation, w.metadata.generation, 'status writes do not bump generation');
  const patched = await c.call('PATCH', `${W}/w1/status`, { status: { phase: 'Done' } }, MERGE);
  t.equal(patched.body.status.phase, 'Done');
  t.same((await c.call('GET', `${W}/w1/status`)).body.spec, w.spec, 'GET on /status returns the whole object');
  // Without the subresource, status is ordinary and bumps generation.
  const g = await c.call('POST', G, { metadata: { name: 'g1' }, spec: {}, status: { kept: true } });
  t.same(g.body.status, { kept: true });
  const g2 = await c.call('PATCH', `${G}/g1`, { status: { kept: false } }, MERGE);
  t.equal(g2.body.metadata.generation, 2);
});

t.test('patches: merge, JSON patch with test, strategic for built-ins only, apply', async (t) => {
  await c.call('POST', SECRETS, { metadata: { name: 'p1', labels: { a: '1', b: '2' }, finalizers: ['x.io/a'] }, data: { k: 'dg==' } });
  const merged = await c.call('PATCH', `${SECRETS}/p1`, { metadata: { labels: { a: null, c: '3' } } }, MERGE);
  t.same(merged.body.metadata.labels, { b: '2', c: '3' });
  const stale = await c.call('PATCH', `${SECRETS}/p1`, { metadata: { resourceVersion: '1' } }, MERGE);
  t.equal(stale.status, 409, 'a resourceVersion in a merge patch is a precondition');
  t.match(await c.call('PATCH', `${SECRETS}/p1`, [1], MERGE), { status: 400 });
  const jp = await c.call(
    'PATCH',
    `${SECRETS}/p1`,
    [
      { op: 'test', path: '/metadata/labels/b', value: '2' },
      { op: 'add', path: '/metadata/labels/d', value: '4' },
    ],
    { 'content-type': 'application/json-patch+json' },
  );
  t.equal(jp.body.metadata.labels.d, '4');
  const failed = await c.call(
    'PATCH',
    `${SECRETS}/p1`,
    [
      { op: 'test', path: '/metadata/labels/b', value: 'nope' },
      { op: 'add', path: '/metadata/labels/e', value: '5' },
    ],
    { 'content-type': 'application/json-patch+json' },
  );
  t.match(failed, { status: 422, body: { reason: 'Invalid' } });
  t.notOk((await c.call('GET', `${SECRETS}/p1`)).body.metadata.labels.e, 'a failed test applies nothing');
  t.match(await c.call('PATCH', `${SECRETS}/p1`, { metadata: {} }, { 'content-type': 'application/json-patch+json' }), {
    status: 400,
    body: { message: /cannot unmarshal object/ },
  });
  t.match(await c.call('PATCH', `${SECRETS}/p1`, '{', MERGE), { status: 400 });
  const smp = await c.call(
    'PATCH',
    `${SECRETS}/p1`,
    { metadata: { finalizers: ['x.io/b'], $deleteFromPrimitiveList_unused: null } },
    { 'content-type': 'application/strategic-merge-patch+json' },
  );
  t.same(smp.body.metadata.finalizers, ['x.io/a', 'x.io/b'], 'strategic merge unions finalizers');
  const removeFinalizers = await c.call(
    'PATCH',
    `${SECRETS}/p1`,
    { metadata: { $deleteFromPrimitiveList: null, '$deleteFromPrimitiveList/finalizers': ['x.io/a', 'x.io/b'] } },
    { 'content-type': 'application/strategic-merge-patch+json' },
  );
  t.notOk(removeFinalizers.body.metadata.finalizers);
  t.match(await c.call('PATCH', `${W}/w1`, { spec: {} }, { 'content-type': 'application/strategic-merge-patch+json' }), {
    status: 415,
    body: { reason: 'UnsupportedMediaType' },
  });
  t.match(await c.call('PATCH', `${W}/w1`, { spec: {} }, { 'content-type': 'text/plain' }), { status: 415 });
  t.match(await c.call('PATCH', `${W}/nope`, { spec: {} }, MERGE), { status: 404 });
  const apply = { 'content-type': 'application/apply-patch+yaml' };
  t.match(await c.call('PATCH', `${W}/applied`, 'metadata:\n  name: applied\nspec:\n  a: 1\n', apply), {
    status: 422,
    body: { message: /fieldManager/ },
  });
  const created = await c.call(
    'PATCH',
    `${W}/applied?fieldManager=test`,
    'apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: applied\nspec:\n  a: 1\nstatus:\n  s: 1\n',
    apply,
  );
  t.match(created, { status: 201, body: { spec: { a: 1 }, status: { s: 1 } } }, 'apply creates a missing object');
  const updated = await c.call('PATCH', `${W}/applied?fieldManager=test`, 'metadata:\n  name: applied\nspec:\n  b: 2\n', apply);
  t.match(updated, { status: 200, body: { spec: { a: 1, b: 2 } } });
  t.match(await c.call('PATCH', `${W}/applied?fieldManager=test`, 'metadata: [', apply), { status: 400 });
  t.match(await c.call('PATCH', `${W}/applied?fieldManager=test`, 'metadata:\n  name: other\n', apply), { status: 400 });
});

t.test('list: label selectors, field selectors, paging with continue', async (t) => {
  for (let i = 0; i < 7; i++) {
    await c.call('POST', '/api/v1/namespaces/other/configmaps', {
      metadata: { name: `cm-${i}`, labels: { tier: i % 2 ? 'odd' : 'even', ...(i === 3 ? { special: 'yes' } : {}) } },
    });
  }
  const names = async (query: string) => {
    const reply = await c.call('GET', `/api/v1/namespaces/other/configmaps?${query}`);
    t.equal(reply.status, 200, query);
    return reply.body.items.map((i: { metadata: { name: string } }) => i.metadata.name).join(',');
  };
  t.equal(await names('labelSelector=tier%3Dodd'), 'cm-1,cm-3,cm-5');
  t.equal(await names('labelSelector=tier%3D%3Dodd,special'), 'cm-3');
  t.equal(await names('labelSelector=tier!%3Dodd'), 'cm-0,cm-2,cm-4,cm-6');
  t.equal(await names(`labelSelector=${encodeURIComponent('tier in (odd), !special')}`), 'cm-1,cm-5');
  t.equal(await names(`labelSelector=${encodeURIComponent('tier notin (odd,even)')}`), '');
  t.equal(await names('fieldSelector=metadata.name%3Dcm-2'), 'cm-2');
  t.equal(await names('fieldSelector=metadata.name!%3Dcm-2,metadata.namespace%3Dother&labelSelector=tier%3Deven'), 'cm-0,cm-4,cm-6');
  const all = await c.call('GET', '/api/v1/configmaps?fieldSelector=metadata.namespace%3Dother');
  t.equal(all.body.items.length, 7, 'cluster-wide list of a namespaced type');
  t.match(await c.call('GET', '/api/v1/namespaces/other/configmaps?labelSelector=tier%20in%20(odd'), {
    status: 400,
    body: { reason: 'BadRequest' },
  });
  t.match(await c.call('GET', '/api/v1/namespaces/other/configmaps?labelSelector=%3D%3Dx'), { status: 400 });
  t.match(await c.call('GET', '/api/v1/namespaces/other/configmaps?labelSelector=a%3Db%3Dc'), { status: 400 });
  t.match(await c.call('GET', '/api/v1/namespaces/other/configmaps?fieldSelector=spec.x%3D1'), {
    status: 400,
    body: { message: 'field label not supported: spec.x' },
  });
  t.match(await c.call('GET', '/api/v1/namespaces/other/configmaps?fieldSelector=garbage'), { status: 400 });
  t.match(await c.call('GET', '/api/v1/namespaces/other/configmaps?limit=-1'), { status: 400 });
  const seen: string[] = [];
  let token: string | undefined;
  let pages = 0;
  let listRv: string | undefined;
  do {
    const reply = await c.call('GET', `/api/v1/namespaces/other/configmaps?limit=3${token ? `&continue=${token}` : ''}`);
    pages++;
    seen.push(...reply.body.items.map((i: { metadata: { name: string } }) => i.metadata.name));
    listRv ??= reply.body.metadata.resourceVersion;
    t.equal(reply.body.metadata.resourceVersion, listRv, 'pages share the list resourceVersion');
    if (reply.body.metadata.continue) t.ok(reply.body.metadata.remainingItemCount > 0);
    token = reply.body.metadata.continue;
  } while (token);
  t.equal(pages, 3);
  t.equal(seen.join(','), 'cm-0,cm-1,cm-2,cm-3,cm-4,cm-5,cm-6');
  t.match(await c.call('GET', '/api/v1/namespaces/other/configmaps?limit=2&continue=garbage'), { status: 400 });
  const first = await c.call('GET', '/api/v1/namespaces/other/configmaps?limit=2');
  sim.faults.compactHistory();
  t.match(await c.call('GET', `/api/v1/namespaces/other/configmaps?limit=2&continue=${first.body.metadata.continue}`), {
    status: 410,
    body: { reason: 'Expired' },
  });
});

t.test('watch: from a resourceVersion, selector transitions, bookmarks, timeout, 410 then close', async (t) => {
  const base = (await c.call('GET', '/api/v1/namespaces/default/configmaps')).body.metadata.resourceVersion;
  const created = await c.call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'watched', labels: { app: 'x' } } });
  const stream = await c.watch(
    `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${base}&labelSelector=app%3Dx&allowWatchBookmarks=true`,
  );
  t.match(
    await stream.waitFor((e) => e.type === 'ADDED'),
    { object: { metadata: { name: 'watched', resourceVersion: created.body.metadata.resourceVersion } } },
    'replays history after the given RV',
  );
  await c.call('PATCH', '/api/v1/namespaces/default/configmaps/watched', { data: { a: 'b' } }, MERGE);
  t.match(await stream.waitFor((e) => e.type === 'MODIFIED'), { object: { data: { a: 'b' } } });
  await c.call('PATCH', '/api/v1/namespaces/default/configmaps/watched', { metadata: { labels: { app: 'y' } } }, MERGE);
  t.match(
    await stream.waitFor((e) => e.type === 'DELETED'),
    { object: { metadata: { labels: { app: 'y' } } } },
    'leaving the selector is a DELETED',
  );
  await c.call('PATCH', '/api/v1/namespaces/default/configmaps/watched', { metadata: { labels: { app: 'x' } } }, MERGE);
  await stream.waitFor(
    (e) =>
      e.type === 'ADDED' &&
      e.object.metadata.labels.app === 'x' &&
      e.object.metadata.resourceVersion !== created.body.metadata.resourceVersion,
  );
  const bookmark = await stream.waitFor((e) => e.type === 'BOOKMARK');
  t.match(bookmark.object, { kind: 'ConfigMap', apiVersion: 'v1', metadata: { resourceVersion: /^\d+$/ } });
  const rvBefore = sim.resourceVersion;
  await c.call('PATCH', '/api/v1/namespaces/default/configmaps/watched', { data: { a: 'b' } }, MERGE);
  t.equal(sim.resourceVersion, rvBefore, 'a no-op patch bumps no resourceVersion');
  await c.call('DELETE', '/api/v1/namespaces/default/configmaps/watched');
  const deleted = await stream.waitFor((e) => e.type === 'DELETED' && e.object.metadata.labels.app === 'x');
  t.ok(Number(deleted.object.metadata.resourceVersion) > Number(rvBefore), 'DELETED carries the RV of the deletion');
  const types = stream.events
    .filter((e) => e.type !== 'BOOKMARK')
    .map((e) => e.type)
    .join(',');
  t.equal(types, 'ADDED,MODIFIED,DELETED,ADDED,DELETED', 'no event for the no-op write, nothing duplicated');
  stream.close();

  const initial = await c.watch('/api/v1/namespaces/other/configmaps?watch=1&resourceVersion=0&timeoutSeconds=1&labelSelector=special');
  t.match(await initial.waitFor((e) => e.type === 'ADDED'), { object: { metadata: { name: 'cm-3' } } }, 'RV 0 starts with synthetic ADDED');
  t.equal(await initial.ended, 'end', 'timeoutSeconds ends the stream');

  const old = await c.watch('/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=1');
  t.match(await old.waitFor((e) => e.type === 'ERROR'), {
    object: { kind: 'Status', code: 410, reason: 'Expired', message: /too old resource version: 1/ },
  });
  t.equal(await old.ended, 'end', 'the stream closes after the 410');
  const bad = await c.call('GET', '/api/v1/namespaces/default/configmaps?watch=true&labelSelector=%21');
  t.equal(bad.status, 400);
  const badRv = await c.watch('/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=abc');
  t.match(await badRv.waitFor((e) => e.type === 'ERROR'), { object: { code: 400 } });
});

t.test('history limit: watches from before the retained window get 410', async (t) => {
  const small = await startKubeSim({ historyLimit: 3 });
  t.teardown(() => small.close());
  const sc = await simClient(small);
  const start = small.resourceVersion;
  for (let i = 0; i < 5; i++) await sc.call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: `h${i}` } });
  const expired = await sc.watch(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${start}`);
  t.match(await expired.waitFor(() => true), { type: 'ERROR', object: { code: 410 } });
  const recent = await sc.watch(`/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${Number(small.resourceVersion) - 2}`);
  t.match(await recent.waitFor(() => true), { type: 'ADDED', object: { metadata: { name: 'h3' } } });
  recent.close();
});

t.test('delete: finalizers, deletionTimestamp, preconditions, Status answers', async (t) => {
  const w = await c.call('POST', W, { metadata: { name: 'fin', finalizers: ['example.com/keep'] }, spec: {} });
  const stream = await c.watch(`${W}?watch=true&resourceVersion=${w.body.metadata.resourceVersion}`);
  const marked = await c.call('DELETE', `${W}/fin`);
  t.equal(marked.status, 200);
  t.match(marked.body.metadata, { deletionTimestamp: /Z$/, deletionGracePeriodSeconds: 0, generation: 2 });
  t.match(await stream.waitFor((e) => e.type === 'MODIFIED'), { object: { metadata: { deletionTimestamp: /Z$/ } } });
  t.equal(
    (await c.call('DELETE', `${W}/fin`)).body.metadata.resourceVersion,
    marked.body.metadata.resourceVersion,
    'repeated DELETE is harmless',
  );
  t.match(await c.call('PATCH', `${W}/fin`, { metadata: { finalizers: ['example.com/keep', 'example.com/new'] } }, MERGE), {
    status: 422,
    body: { message: /no new finalizers/ },
  });
  t.equal((await c.call('PATCH', `${W}/fin`, { metadata: { finalizers: null } }, MERGE)).status, 200);
  t.match(await stream.waitFor((e) => e.type === 'DELETED'), { object: { metadata: { name: 'fin' } } });
  t.equal((await c.call('GET', `${W}/fin`)).status, 404, 'emptying the finalizers removes the object');
  stream.close();

  const s = await c.call('POST', SECRETS, { metadata: { name: 'pre' } });
  t.match(await c.call('DELETE', `${SECRETS}/pre`, { preconditions: { uid: 'other' } }), {
    status: 409,
    body: { message: /Precondition failed: UID/ },
  });
  t.match(await c.call('DELETE', `${SECRETS}/pre`, { preconditions: { resourceVersion: '1' } }), { status: 409 });
  t.match(await c.call('DELETE', `${SECRETS}/pre`, '{'), { status: 400 });
  t.match(await c.call('DELETE', `${SECRETS}/pre?dryRun=All`), { status: 200 });
  const gone = await c.call('DELETE', `${SECRETS}/pre`, { preconditions: { uid: s.body.metadata.uid } });
  t.match(gone.body, { kind: 'Status', status: 'Success', details: { name: 'pre', kind: 'secrets', uid: s.body.metadata.uid } });
  t.match(await c.call('DELETE', `${SECRETS}/pre`), { status: 404 });
  const many = await c.call('DELETE', '/api/v1/namespaces/other/configmaps?labelSelector=tier%3Dodd');
  t.equal(many.body.items.length, 3, 'deletecollection honours the selector');
  t.equal((await c.call('GET', '/api/v1/namespaces/other/configmaps')).body.items.length, 4);
});

t.test('garbage collection removes dependents when their owners are gone; Orphan keeps them', async (t) => {
  const owner = (await c.call('POST', W, { metadata: { name: 'owner' }, spec: {} })).body;
  const ref = { apiVersion: 'example.com/v1', kind: 'Widget', name: 'owner', uid: owner.metadata.uid };
  await c.call('POST', SECRETS, { metadata: { name: 'owned', ownerReferences: [ref] } });
  await c.call('POST', '/api/v1/namespaces/default/configmaps', { metadata: { name: 'owned-cm', ownerReferences: [ref] } });
  const other = (await c.call('POST', W, { metadata: { name: 'co-owner' }, spec: {} })).body;
  await c.call('POST', SECRETS, {
    metadata: { name: 'shared', ownerReferences: [ref, { ...ref, name: 'co-owner', uid: other.metadata.uid }] },
  });
  const watch = await c.watch(`${SECRETS}?watch=true&resourceVersion=${sim.resourceVersion}`);
  await c.call('DELETE', `${W}/owner`);
  await watch.waitFor((e) => e.type === 'DELETED' && e.object.metadata.name === 'owned');
  t.equal((await c.call('GET', '/api/v1/namespaces/default/configmaps/owned-cm')).status, 404);
  t.equal((await c.call('GET', `${SECRETS}/shared`)).status, 200, 'a dependent with a living owner stays');
  watch.close();

  await c.call('POST', SECRETS, { metadata: { name: 'orphan', ownerReferences: [{ ...ref, name: 'co-owner', uid: other.metadata.uid }] } });
  const orphanWatch = await c.watch(`${SECRETS}?watch=true&resourceVersion=${sim.resourceVersion}&fieldSelector=metadata.name%3Dorphan`);
  await c.call('DELETE', `${W}/co-owner`, { propagationPolicy: 'Orphan' });
  const modified = await orphanWatch.waitFor((e) => e.type === 'MODIFIED');
  t.notOk(modified.object.metadata.ownerReferences, 'Orphan strips the owner reference');
  orphanWatch.close();

  // Written after its owner was deleted (a writer that had not seen the deletion yet): kube-controller-manager's
  // collector finds the owner absent and deletes the dependent as well.
  const lateWatch = await c.watch(`${SECRETS}?watch=true&resourceVersion=${sim.resourceVersion}&fieldSelector=metadata.name%3Dlate`);
  t.equal((await c.call('POST', SECRETS, { metadata: { name: 'late', ownerReferences: [ref] } })).status, 201);
  await lateWatch.waitFor((e) => e.type === 'DELETED');
  t.equal((await c.call('GET', `${SECRETS}/late`)).status, 404, 'a dependent of an owner that is gone is collected');
  lateWatch.close();
  const living = (await c.call('POST', W, { metadata: { name: 'living' }, spec: {} })).body;
  await c.call('POST', SECRETS, {
    metadata: { name: 'kept', ownerReferences: [ref, { ...ref, name: 'living', uid: living.metadata.uid }] },
  });
  await new Promise((resolve) => setImmediate(resolve));
  t.equal((await c.call('GET', `${SECRETS}/kept`)).status, 200, 'one written with a living owner besides the absent one stays');
});

t.test('CRD lifecycle: deleting a CRD stops serving it and ends its watches; namespaces take their objects along', async (t) => {
  await c.call('POST', G, { metadata: { name: 'doomed' } });
  const stream = await c.watch(`${G}?watch=true`);
  await stream.waitFor((e) => e.type === 'ADDED');
  t.equal((await c.call('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/gadgets.example.com')).status, 200);
  t.ok(
    stream.events.some((e) => e.type === 'DELETED'),
    'instances are deleted with their CRD',
  );
  t.equal(await stream.ended, 'end');
  t.equal((await c.call('GET', G)).status, 404);
  t.match(
    await c.call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      ...gadgetsCrd,
      metadata: { name: 'wrong.example.com' },
    }),
    { status: 422 },
  );
  t.match(await c.call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', { metadata: { name: 'x.y' }, spec: {} }), {
    status: 422,
  });
  t.match(
    await c.call('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {
      ...gadgetsCrd,
      metadata: { name: 'secrets.' },
      spec: { ...gadgetsCrd.spec, group: '', names: { plural: 'secrets', kind: 'Secret' } },
    }),
    { status: 422 },
  );

  await c.call('POST', '/api/v1/namespaces', { metadata: { name: 'temp' } });
  await c.call('POST', '/api/v1/namespaces/temp/secrets', { metadata: { name: 's', finalizers: ['x/y'] } });
  t.equal((await c.call('GET', '/api/v1/namespaces/temp')).body.status.phase, 'Active');
  await c.call('DELETE', '/api/v1/namespaces/temp');
  t.equal((await c.call('GET', '/api/v1/namespaces/temp/secrets/s')).status, 404);
});

t.test('table output: default and printer columns with JSONPath and dates', async (t) => {
  const accept = { accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' };
  const list = await c.call('GET', '/api/v1/namespaces/other/configmaps', undefined, accept);
  t.match(list.body, { kind: 'Table', columnDefinitions: [{ name: 'Name' }, { name: 'Data' }, { name: 'Age' }] });
  t.match(
    list.body.rows[0],
    { cells: ['cm-0', 0, /^\d+s$/], object: { kind: 'PartialObjectMetadata' } },
    'Data counts keys, even of an absent map',
  );
  await c.call('POST', '/apis/compass.kyma-project.io/v1alpha1/compassconnections', {
    metadata: { name: 'compass-connection' },
    spec: { managementInfo: { connectorUrl: '', directorUrl: '' } },
  });
  await c.call(
    'PATCH',
    '/apis/compass.kyma-project.io/v1alpha1/compassconnections/compass-connection/status',
    {
      status: {
        connectionState: 'Synchronized',
        connectionStatus: { certificateStatus: { notAfter: '2099-01-01T00:00:00Z' } },
        synchronizationStatus: { lastSuccessfulApplication: new Date(Date.now() - 3_600_000).toISOString() },
      },
    },
    MERGE,
  );
  const row = await c.call(
    'GET',
    '/apis/compass.kyma-project.io/v1alpha1/compassconnections/compass-connection?includeObject=Object',
    undefined,
    accept,
  );
  t.same(
    row.body.columnDefinitions.map((d: { name: string }) => d.name),
    ['Name', 'State', 'Last Sync', 'Cert Expiry', 'Age'],
  );
  t.match(row.body.rows[0].cells, ['compass-connection', 'Synchronized', /^(59m|60m)$/, '2099-01-01T00:00:00Z', /s$/]);
  t.equal(row.body.rows[0].object.kind, 'CompassConnection');
  const tableWatch = await c.watch('/apis/compass.kyma-project.io/v1alpha1/compassconnections?watch=true&includeObject=None', accept);
  t.match(await tableWatch.waitFor(() => true), { type: 'ADDED', object: { kind: 'Table', rows: [{ cells: ['compass-connection'] }] } });
  tableWatch.close();
});

t.test('faults: failures with status and Retry-After, latency, dropped watches, stop and restart', async (t) => {
  sim.faults.failNext({ verb: 'create', resource: 'secrets', status: 500, times: 2 });
  sim.faults.failNext({ verb: 'get', resource: 'widgets.example.com', status: 429, retryAfterSeconds: 3 });
  sim.faults.failNext({ resource: 'widgets/status', status: 409 });
  sim.faults.failNext({ namespace: 'other', name: 'cm-0', status: 403 });
  t.equal(sim.faults.pendingFailures.length, 4);
  t.match(await c.call('POST', SECRETS, { metadata: { name: 'f1' } }), { status: 500, body: { reason: 'InternalError' } });
  t.match(await c.call('POST', SECRETS, { metadata: { name: 'f1' } }), { status: 500 });
  t.equal((await c.call('POST', SECRETS, { metadata: { name: 'f1' } })).status, 201, 'only the next N fail');
  const limited = await c.call('GET', `${W}/w1`);
  t.match(limited, {
    status: 429,
    headers: { 'retry-after': '3' },
    body: { reason: 'TooManyRequests', details: { retryAfterSeconds: 3 } },
  });
  t.match(await c.call('PATCH', `${W}/w1/status`, { status: {} }, MERGE), { status: 409, body: { reason: 'Conflict' } });
  t.match(await c.call('GET', '/api/v1/namespaces/other/configmaps/cm-0'), { status: 403, body: { reason: 'Forbidden' } });
  t.throws(() => sim.faults.failNext({ status: 200 }));
  t.throws(() => sim.faults.addLatency({ ms: -1 }));

  sim.faults.addLatency({ verb: 'get', resource: 'secrets', ms: 30 });
  let settled = false;
  const slow = c.call('GET', `${SECRETS}/f1`).then((r) => {
    settled = true;
    return r;
  });
  await new Promise((r) => setTimeout(r, 5));
  t.notOk(settled, 'a delayed request is still pending');
  t.equal((await slow).status, 200);
  sim.faults.clear();

  // afterHandling: the write is carried out (and watched) at once, its answer comes later.
  const watching = await c.watch(`${SECRETS}?watch=true&resourceVersion=${(await c.call('GET', SECRETS)).body.metadata.resourceVersion}`);
  sim.faults.addLatency({ verb: 'create', resource: 'secrets', ms: 200, afterHandling: true });
  let answered = false;
  const late = c.call('POST', SECRETS, { metadata: { name: 'answered-late' } }).then((r) => {
    answered = true;
    return r;
  });
  const seen = await watching.waitFor((e) => e.type === 'ADDED' && e.object.metadata.name === 'answered-late');
  t.notOk(answered, 'the watch event arrives before the answer');
  t.equal((await late).body.metadata.resourceVersion, seen.object.metadata.resourceVersion, 'and the answer names the version it carried');
  t.equal((await c.call('GET', `${SECRETS}/f1`)).status, 200, 'other requests are not delayed');
  watching.close();
  sim.faults.clear();

  const clean = await c.watch(`${SECRETS}?watch=true`);
  const abrupt = await c.watch(`${W}?watch=true`);
  await clean.waitFor(() => true);
  t.equal(sim.faults.dropWatches('clean') >= 2, true);
  t.equal(await clean.ended, 'end');
  const abrupt2 = await c.watch(`${SECRETS}?watch=true`);
  await abrupt2.waitFor(() => true);
  sim.faults.dropWatches('abrupt');
  t.equal(await abrupt2.ended, 'reset');
  abrupt.close();

  await sim.stop();
  await t.rejects(c.call('GET', SECRETS), 'the listener is closed');
  await sim.stop();
  await sim.restart();
  t.equal((await c.call('GET', `${SECRETS}/f1`)).status, 200, 'state survives a restart on the same port');
});

t.test('control endpoint drives the same faults over loopback HTTP', async (t) => {
  t.equal((await control(sim, 'GET', '/healthz')).body, 'ok');
  t.equal((await control(sim, 'POST', '/faults/fail', { verb: 'list', resource: 'secrets', status: 503 })).status, 200);
  t.match((await control(sim, 'GET', '/faults')).body, { pendingFailures: [{ status: 503, times: 1 }] });
  t.equal((await c.call('GET', SECRETS)).status, 503);
  await control(sim, 'POST', '/faults/latency', { ms: 1 });
  await control(sim, 'POST', '/faults/clear');
  const stream = await c.watch(`${SECRETS}?watch=true`);
  await stream.waitFor(() => true);
  t.match((await control(sim, 'POST', '/faults/drop-watches', { mode: 'clean' })).body, { dropped: 1 });
  await stream.ended;
  const { body } = await control(sim, 'POST', '/faults/compact');
  t.equal(body.resourceVersion, sim.resourceVersion);
  await control(sim, 'DELETE', '/requests');
  await c.call('GET', SECRETS);
  t.match((await control(sim, 'GET', '/requests')).body, [{ verb: 'list', status: 200 }]);
  t.equal((await control(sim, 'POST', '/listener/stop')).status, 200);
  await t.rejects(c.call('GET', SECRETS));
  t.match((await control(sim, 'POST', '/listener/restart')).body, { url: sim.url });
  t.equal((await c.call('GET', SECRETS)).status, 200);
  t.equal((await control(sim, 'POST', '/nope')).status, 404);
  t.equal((await control(sim, 'POST', '/faults/fail', { status: 'x' })).status, 400);
  const broken = await new Promise<number>((resolve) => {
    const req = httpRequest(`${sim.controlUrl}/faults/fail`, { method: 'POST' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.end('{');
  });
  t.equal(broken, 400);
});

t.test('in-process access: create, get, list, update, delete, applyFile, kubeconfig', async (t) => {
  const created = await sim.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'direct' }, data: { a: '1' } });
  t.equal(sim.get('v1', 'ConfigMap', 'direct')?.metadata.uid, created.metadata.uid);
  t.equal(sim.get('v1', 'ConfigMap', 'absent'), undefined);
  const updated = await sim.update({ ...created, data: { a: '2' } });
  t.equal(updated.data.a, '2');
  t.ok(sim.list('v1', 'ConfigMap', 'default').some((o) => o.metadata.name === 'direct'));
  await sim.delete('v1', 'ConfigMap', 'direct');
  t.equal(sim.get('v1', 'ConfigMap', 'direct'), undefined);
  t.throws(() => sim.get('nope/v1', 'Nope', 'x'), /apply its CRD first/);
  const dir = mkdtempSync(join(tmpdir(), 'kube-sim-'));
  const { writeFileSync } = await import('node:fs');
  writeFileSync(
    join(dir, 'objs.yaml'),
    [
      'apiVersion: v1\nkind: Secret\nmetadata:\n  name: from-file\nstringData:\n  a: b',
      'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: listed',
      'apiVersion: compass.kyma-project.io/v1alpha1\nkind: CompassConnection\nmetadata:\n  name: seeded\nspec:\n  managementInfo: {connectorUrl: a, directorUrl: b}\nstatus:\n  connectionState: Connected\n  connectionStatus: {certificateStatus: {}}',
    ].join('\n---\n'),
  );
  await sim.applyFile(join(dir, 'objs.yaml'));
  await sim.applyFile(join(dir, 'objs.yaml'));
  t.ok(sim.get('v1', 'Secret', 'from-file'));
  t.ok(sim.get('v1', 'ConfigMap', 'listed'));
  t.equal(
    sim.get('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'seeded')?.status?.connectionState,
    'Connected',
    'applyFile writes status too',
  );
  writeFileSync(join(dir, 'one.json'), JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'json' } }));
  await sim.applyFile(join(dir, 'one.json'));
  t.ok(sim.get('v1', 'ConfigMap', 'json'));
  writeFileSync(join(dir, 'bad.yaml'), 'a: [');
  await t.rejects(sim.applyFile(join(dir, 'bad.yaml')), /not valid YAML/);
  const path = await sim.writeKubeconfig(join(dir, 'kubeconfig'), { name: 'bob', groups: ['g1', 'g2'] });
  const { readFileSync } = await import('node:fs');
  t.match(readFileSync(path, 'utf8'), /server: https:\/\/127\.0\.0\.1:\d+/);
});
