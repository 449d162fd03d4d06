import t from 'tap';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { startKubeSim } from '../../sim/kube/index.js';
import {
  createKubeClient,
  isAlreadyExists,
  isConflict,
  isForbidden,
  isGone,
  isNotFound,
  KubeError,
  kubeCall,
  loadKubeConfig,
  SERVICE_ACCOUNT_DIR,
  toKubeError,
} from '../../adapters/kube/kube-client.js';
import { SecretStore, decodeSecretData, encodeSecretData, type SecretObject } from '../../adapters/kube/secret-store.js';
import { CompassConnectionStore, type CompassConnectionWrite } from '../../adapters/kube/compass-connection-store.js';
import { ApplicationStore, MANAGED_BY_LABEL, MANAGED_BY_VALUE, type ApplicationObject } from '../../adapters/kube/application-store.js';
import { createMergePatch, jsonEqual } from '../../adapters/kube/merge-patch.js';
import { record } from './event-recorder.js';
import { FAKE_PRIVATE_KEY_PEM } from '../fixtures/fake-pem.js';

const dir = await mkdtemp(join(tmpdir(), 'kube-stores-'));
const crdDir = join(process.cwd(), 'crds');
const sim = await startKubeSim({ crdDir, namespaces: ['default', 'kyma-system', 'istio-system'] });
const { kubeConfig } = loadKubeConfig({ kubeconfigPath: await sim.writeKubeconfig(join(dir, 'kubeconfig')) });
const client = createKubeClient(kubeConfig);
/** Polls `probe` every 10 ms until it holds; fails after 10 s. */
async function waitUntil(probe: () => unknown, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`still not so after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
const writes = (resource: string) =>
  sim.requestLog.filter((e) => e.resource === resource && ['create', 'update', 'patch', 'delete'].includes(e.verb));

await t.test('merge patches: minimal, null for removed keys, arrays whole, undefined when equal', async (t) => {
  t.equal(createMergePatch({ a: 1, b: { c: 2 } }, { b: { c: 2 }, a: 1 }), undefined);
  t.same(createMergePatch({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { a: 1, b: { c: 4 }, e: [1, 2], f: 'x' }), {
    b: { c: 4, d: null },
    e: [1, 2],
    f: 'x',
  });
  t.same(createMergePatch(undefined, { a: 1 }), { a: 1 });
  // A stored object cannot hold a null that a merge patch wrote: null in `desired` is absent.
  t.equal(createMergePatch({ s: { c: {} } }, { s: { c: { at: null } } }), undefined, 'null where the key is absent changes nothing');
  t.same(
    createMergePatch({ s: { c: { at: 'x' } } }, { s: { c: { at: null } } }),
    { s: { c: { at: null } } },
    'null where the key is set removes it',
  );
  t.same(
    createMergePatch({ s: {} }, { s: { c: { at: null } } }),
    { s: { c: { at: null } } },
    'an absent object is created, even with only nulls',
  );
  t.ok(jsonEqual({ a: [1, { b: 2 }], u: undefined }, { a: [1, { b: 2 }] }));
  t.notOk(jsonEqual([1], [2]));
});

await t.test('KubeError carries status, reason and the server message, never the raw response', async (t) => {
  const err = await kubeCall('get Secret default/nope', () =>
    client.core.readNamespacedSecret({ namespace: 'default', name: 'nope' }),
  ).catch((e: unknown) => e);
  t.ok(err instanceof KubeError);
  t.match(err, { status: 404, reason: 'NotFound', operation: 'get Secret default/nope' });
  t.match((err as Error).message, /^get Secret default\/nope failed with HTTP 404 NotFound: secrets "nope" not found$/);
  t.ok(isNotFound(err) && !isConflict(err) && !isForbidden(err) && !isGone(err) && !isAlreadyExists(err));
  t.match(toKubeError({ statusCode: 403 }, 'watch x'), { status: 403, reason: 'Forbidden', message: /grant the agent this verb/ });
  t.match(toKubeError(new Error('connect ECONNREFUSED 127.0.0.1:1'), 'list y'), { status: 0, reason: 'Unreachable', message: /reachable/ });
  t.equal(toKubeError(err, 'other'), err, 'a KubeError passes through');
});

await t.test('in-cluster configuration: service-account token and CA, KUBERNETES_SERVICE_HOST/PORT', async (t) => {
  const root = join(dir, 'pod');
  await mkdir(join(root, SERVICE_ACCOUNT_DIR), { recursive: true });
  await writeFile(join(root, SERVICE_ACCOUNT_DIR, 'token'), sim.bearerToken);
  await writeFile(join(root, SERVICE_ACCOUNT_DIR, 'ca.crt'), sim.caPem);
  await writeFile(join(root, SERVICE_ACCOUNT_DIR, 'namespace'), 'kyma-system');
  const url = new URL(sim.url);
  const env = { KUBERNETES_SERVICE_HOST: url.hostname, KUBERNETES_SERVICE_PORT: url.port };
  const loaded = loadKubeConfig({ env, inClusterRoot: root });
  t.equal(loaded.origin, 'in-cluster');
  t.equal(process.env.KUBERNETES_SERVICE_HOST, undefined, 'the injected environment does not leak into the process');
  const inCluster = createKubeClient(loaded.kubeConfig);
  t.equal(inCluster.server, sim.url);
  const secrets = new SecretStore(inCluster);
  await secrets.upsertMerge('kyma-system', 'in-cluster-probe', { hello: 'world' });
  t.same(await secrets.getData('kyma-system', 'in-cluster-probe'), { hello: 'world' });
  t.equal(sim.requestLog.filter((e) => e.name === 'in-cluster-probe').at(-1)?.user, 'admin', 'authenticated with the bearer token');
  t.equal(loadKubeConfig({ env: { KUBECONFIG: join(dir, 'kubeconfig') } }).origin, 'kubeconfig-env');
});

await t.test('secret store', async (t) => {
  const secrets = new SecretStore(client);
  const ns = 'kyma-system';

  await t.test('upsertMerge creates, then overlays keys keeping others, labels, annotations, type and owners', async (t) => {
    t.equal(await secrets.get(ns, 'cluster-client-certificates'), null);
    await secrets.upsertMerge(ns, 'cluster-client-certificates', { crt: 'CERT-1', key: 'KEY-1' });
    t.same(await secrets.getData(ns, 'cluster-client-certificates'), { crt: 'CERT-1', key: 'KEY-1' });
    t.equal((await secrets.get(ns, 'cluster-client-certificates'))?.type, 'Opaque');

    const existing = sim.get('v1', 'Secret', 'cluster-client-certificates', ns)!;
    // A real owner: the simulator, like the garbage collector, removes Secrets whose owners do not exist.
    const ownerMap = await sim.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'owner', namespace: ns } });
    const owner = { apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: ownerMap.metadata.uid as string };
    await sim.update({
      ...existing,
      metadata: { ...existing.metadata, labels: { team: 'a' }, annotations: { note: 'keep me' }, ownerReferences: [owner] },
      data: { ...existing.data, extra: encodeSecretData({ x: 'kept' }).x },
    });
    await secrets.upsertMerge(ns, 'cluster-client-certificates', { crt: 'CERT-2', crtChain: 'CHAIN-2' });
    const after = (await secrets.get(ns, 'cluster-client-certificates'))!;
    t.same(decodeSecretData(after.data), { crt: 'CERT-2', key: 'KEY-1', extra: 'kept', crtChain: 'CHAIN-2' });
    t.same(after.metadata.labels, { team: 'a' });
    t.same(after.metadata.annotations, { note: 'keep me' });
    t.match(after.metadata.ownerReferences, [owner]);
    t.equal(after.type, 'Opaque');
    t.match(after.metadata.creationTimestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'timestamps are wire strings');

    sim.clearRequestLog();
    await secrets.upsertMerge(ns, 'cluster-client-certificates', { crt: 'CERT-2' });
    t.same(writes('secrets'), [], 'an upsert that changes nothing writes nothing');
  });

  await t.test('upsertMerge retries a conflicting write with a fresh read', async (t) => {
    sim.faults.failNext({ verb: 'update', resource: 'secrets', name: 'cluster-client-certificates', status: 409, times: 2 });
    sim.clearRequestLog();
    await secrets.upsertMerge(ns, 'cluster-client-certificates', { crt: 'CERT-3' });
    t.equal((await secrets.getData(ns, 'cluster-client-certificates'))?.crt, 'CERT-3');
    const log = sim.requestLog.filter((e) => e.resource === 'secrets').map((e) => `${e.verb}:${e.status}`);
    t.same(log.slice(0, 6), ['get:200', 'update:409', 'get:200', 'update:409', 'get:200', 'update:200']);

    sim.faults.failNext({ verb: 'update', resource: 'secrets', status: 409, times: 10 });
    const stubborn = await new SecretStore(client, { maxAttempts: 2 })
      .upsertMerge(ns, 'cluster-client-certificates', { crt: 'CERT-4' })
      .catch((e: unknown) => e);
    t.match(stubborn, { status: 409, reason: 'Conflict', message: /kept conflicting with other writers after 2 attempts/ });
    sim.faults.clear();
  });

  await t.test('errors name the Secret and never carry its data', async (t) => {
    sim.faults.failNext({ verb: 'get', resource: 'secrets', status: 500 });
    const err = await secrets.upsertMerge(ns, 'cluster-client-certificates', { key: FAKE_PRIVATE_KEY_PEM }).catch((e: unknown) => e);
    t.match(err, { status: 500, message: /get Secret kyma-system\/cluster-client-certificates failed with HTTP 500/ });
    t.notMatch((err as Error).message, /PRIVATE KEY|MIIEow/);
  });

  await t.test('create, replace and delete of application credential Secrets', async (t) => {
    const secret: SecretObject = {
      metadata: { name: 'app-1-credentials', namespace: ns, labels: { app: 'app-1', bundleId: 'b1' } },
      type: 'Opaque',
      data: encodeSecretData({ username: 'u', password: 'p' }),
    };
    await secrets.create(secret);
    const dup = await secrets.create(secret).catch((e: unknown) => e);
    t.ok(isAlreadyExists(dup), 'create does not overwrite');

    await secrets.replace({
      ...secret,
      metadata: { ...secret.metadata, labels: { app: 'app-1', bundleId: 'b2' } },
      data: encodeSecretData({ clientId: 'c', clientSecret: 's' }),
    });
    const replaced = (await secrets.get(ns, 'app-1-credentials'))!;
    t.same(decodeSecretData(replaced.data), { clientId: 'c', clientSecret: 's' }, 'replace sets the whole data');
    t.same(replaced.metadata.labels, { app: 'app-1', bundleId: 'b2' });

    sim.clearRequestLog();
    await secrets.replace({
      ...secret,
      metadata: { ...secret.metadata, labels: { app: 'app-1', bundleId: 'b2' } },
      data: encodeSecretData({ clientId: 'c', clientSecret: 's' }),
    });
    t.same(writes('secrets'), [], 'replacing with identical content writes nothing');

    await secrets.replace({
      metadata: { name: 'app-2-credentials', namespace: ns },
      data: encodeSecretData({ username: 'x', password: 'y' }),
    });
    t.same(await secrets.getData(ns, 'app-2-credentials'), { username: 'x', password: 'y' }, 'replace creates a missing Secret');

    await secrets.delete(ns, 'app-1-credentials');
    t.equal(await secrets.get(ns, 'app-1-credentials'), null);
    await secrets.delete(ns, 'app-1-credentials');
    t.pass('deleting a missing Secret succeeds');
    sim.faults.failNext({ verb: 'delete', resource: 'secrets', status: 403 });
    t.ok(isForbidden(await secrets.delete(ns, 'app-2-credentials').catch((e: unknown) => e)), 'other delete errors surface');
  });

  await t.test(
    'update and delete are conditional on the version read: a Secret changed since is neither overwritten nor deleted',
    async (t) => {
      await secrets.create({
        metadata: { name: 'conditional', namespace: ns, labels: { app: 'a' } },
        type: 'Opaque',
        data: encodeSecretData({ username: 'u1' }),
      });
      const read = (await secrets.get(ns, 'conditional'))!;
      await secrets.update({ ...read, data: encodeSecretData({ username: 'u2' }) });
      t.same(await secrets.getData(ns, 'conditional'), { username: 'u2' }, 'the version read is replaced');

      const stale = read; // an older resourceVersion
      const refused = await secrets.update({ ...stale, data: encodeSecretData({ username: 'u3' }) }).catch((e: unknown) => e);
      t.ok(isConflict(refused), 'a stale version is a 409 Conflict');
      t.same(await secrets.getData(ns, 'conditional'), { username: 'u2' }, 'not overwritten');
      sim.clearRequestLog();
      t.ok(isConflict(await secrets.update({ ...stale, data: encodeSecretData({ username: 'u3' }) }).catch((e: unknown) => e)));
      t.same(
        sim.requestLog.filter((e) => e.resource === 'secrets').map((e) => e.verb),
        ['update'],
        'no re-read, no retry',
      );
      await t.rejects(
        secrets.update({ ...read, metadata: { ...read.metadata, resourceVersion: undefined } }),
        /resourceVersion it was read at is required/,
      );

      const current = (await secrets.get(ns, 'conditional'))!;
      const wrongVersion = await secrets
        .delete(ns, 'conditional', { uid: current.metadata.uid, resourceVersion: read.metadata.resourceVersion })
        .catch((e: unknown) => e);
      t.ok(isConflict(wrongVersion), 'a changed Secret is not deleted');
      const wrongUid = await secrets
        .delete(ns, 'conditional', { uid: '00000000-0000-4000-8000-000000000000', resourceVersion: current.metadata.resourceVersion })
        .catch((e: unknown) => e);
      t.ok(isConflict(wrongUid), 'a Secret recreated under the same name is not deleted');
      t.ok(await secrets.get(ns, 'conditional'), 'still there');
      await secrets.delete(ns, 'conditional', { uid: current.metadata.uid, resourceVersion: current.metadata.resourceVersion });
      t.equal(await secrets.get(ns, 'conditional'), null, 'deleted when it is still the one read');
      await secrets.delete(ns, 'conditional', { uid: current.metadata.uid, resourceVersion: current.metadata.resourceVersion });
      t.pass('a missing Secret counts as deleted');
    },
  );

  await t.test('observeSecret follows a Secret through a name-restricted watch', async (t) => {
    sim.clearRequestLog();
    const rec = record(secrets.observeSecret(ns, 'observed', { pollMs: 60_000 }));
    t.teardown(() => rec.stop());
    await rec.until((e) => e.length === 1, 'initial absence');
    t.same(rec.events, [null]);
    t.match(sim.requestLog.find((e) => e.verb === 'list')?.path, /fieldSelector=metadata.name(%3D|=)observed/);
    await secrets.upsertMerge(ns, 'observed', { TOKEN: 'one' });
    await rec.until((e) => e.length === 2, 'created');
    await secrets.upsertMerge(ns, 'other-secret', { TOKEN: 'unrelated' });
    await secrets.upsertMerge(ns, 'observed', { TOKEN: 'two' });
    await rec.until((e) => e.length === 3, 'updated');
    await secrets.delete(ns, 'observed');
    await rec.until((e) => e.length === 4, 'deleted');
    t.same(rec.events, [null, { TOKEN: 'one' }, { TOKEN: 'two' }, null]);
  });

  await t.test('observeSecret falls back to polling GETs when list/watch of Secrets is forbidden', async (t) => {
    sim.faults.failNext({ verb: 'list', resource: 'secrets', status: 403, times: 1 });
    sim.clearRequestLog();
    const rec = record(secrets.observeSecret(ns, 'polled', { pollMs: 50 }));
    t.teardown(() => rec.stop());
    await rec.until((e) => e.length === 1, 'initial absence');
    await secrets.upsertMerge(ns, 'polled', { RUNTIME_ID: 'r1' });
    await rec.until((e) => e.length === 2, 'seen by polling');
    sim.faults.failNext({ verb: 'get', resource: 'secrets', name: 'polled', status: 500 });
    await secrets.upsertMerge(ns, 'polled', { RUNTIME_ID: 'r2' }).catch(() => secrets.upsertMerge(ns, 'polled', { RUNTIME_ID: 'r2' }));
    await rec.until((e) => e.length === 3, 'change seen by polling despite a failed GET');
    t.same(rec.events, [null, { RUNTIME_ID: 'r1' }, { RUNTIME_ID: 'r2' }]);
    t.equal(sim.requestLog.filter((e) => e.verb === 'watch' && e.resource === 'secrets').length, 0, 'no watch after the 403');
    t.ok(sim.requestLog.filter((e) => e.verb === 'get' && e.name === 'polled').length >= 3, 'polled with GETs');

    const forced = record(secrets.observeSecret(ns, 'polled', { pollMs: 50, mode: 'poll' }));
    await forced.until((e) => e.length === 1, 'forced polling');
    forced.stop();
    t.same(forced.events, [{ RUNTIME_ID: 'r2' }]);
  });

  await t.test('followSecret says when what it delivered stopped being the API server word, and when it is again', async (t) => {
    await secrets.upsertMerge(ns, 'followed', { crt: 'one' });
    const rec = record(secrets.followSecret(ns, 'followed', { pollMs: 60_000 }));
    t.teardown(() => rec.stop());
    await rec.until((e) => e.length === 1, 'delivered');
    t.same(rec.events, [{ data: { crt: 'one' }, current: true }]);
    // The watch breaks and cannot be opened again at once: the last delivery is no longer current.
    sim.faults.failNext({ verb: 'watch', resource: 'secrets', status: 500, times: 1 });
    t.ok(sim.faults.dropWatches('abrupt') > 0, 'the watch was dropped');
    await rec.until((e) => e.length === 2, 'not current');
    t.same(rec.events[1], { data: { crt: 'one' }, current: false });
    t.equal(rec.events[1].data, rec.events[0].data, 'the same data object: nothing new was delivered');
    await secrets.upsertMerge(ns, 'followed', { crt: 'two' });
    await rec.until((e) => e.length === 3, 'current again with the change');
    t.same(rec.events[2], { data: { crt: 'two' }, current: true });

    // Polling: a failed GET makes it not current; the next answer, unchanged, current again with the same object.
    const polled = record(secrets.followSecret(ns, 'followed', { pollMs: 50, mode: 'poll' }));
    t.teardown(() => polled.stop());
    await polled.until((e) => e.length === 1, 'polled');
    sim.faults.failNext({ verb: 'get', resource: 'secrets', name: 'followed', status: 500, times: 1 });
    await polled.until((e) => e.length === 3, 'a failed poll, then an answer');
    t.same(polled.events, [
      { data: { crt: 'two' }, current: true },
      { data: { crt: 'two' }, current: false },
      { data: { crt: 'two' }, current: true },
    ]);
    t.equal(polled.events[2].data, polled.events[0].data, 'unchanged data keeps its object');
  });
});

const connectionSpec = { managementInfo: { connectorUrl: 'https://connector/graphql', directorUrl: 'https://director/graphql' } };
const connectionStatus = (state: string, at = '2026-11-28T09:00:00Z') => ({
  connectionState: state,
  connectionStatus: {
    established: at,
    lastSync: at,
    lastSuccess: at,
    certificateStatus: { acquired: at, notBefore: at, notAfter: '2027-02-26T09:00:00Z' },
  },
});

await t.test('compass-connection store', async (t) => {
  const store = new CompassConnectionStore(client);
  const resource = 'compassconnections';

  await t.test('creates the CR with spec, annotations and status (status via /status)', async (t) => {
    t.equal(await store.get(), null);
    sim.clearRequestLog();
    const desired: CompassConnectionWrite = {
      spec: connectionSpec,
      status: connectionStatus('Connected'),
      annotations: { 'compass.kyma-project.io/agent': 'ts' },
    };
    const stored = await store.write(desired);
    t.same(stored.spec, connectionSpec);
    t.same(stored.status, desired.status);
    t.same(stored.metadata.annotations, { 'compass.kyma-project.io/agent': 'ts' });
    t.same(
      writes(resource).map((e) => `${e.verb}${e.subresource ? '/' + e.subresource : ''}:${e.status}`),
      ['create:201', 'patch/status:200'],
    );
    t.same(sim.get('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection')?.status, desired.status);
  });

  await t.test('a write that changes nothing sends no write request', async (t) => {
    sim.clearRequestLog();
    await store.write({
      spec: connectionSpec,
      status: connectionStatus('Connected'),
      annotations: { 'compass.kyma-project.io/agent': 'ts' },
    });
    t.same(writes(resource), []);
  });

  await t.test('spec and annotations go as one merge patch on the main resource, status on /status', async (t) => {
    const current = sim.get('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection')!;
    await sim.update({
      ...current,
      spec: { ...current.spec, resyncNow: true },
      metadata: { ...current.metadata, annotations: { ...current.metadata.annotations, user: 'kept' } },
    });
    sim.clearRequestLog();
    const stored = await store.write({
      spec: connectionSpec,
      status: connectionStatus('Synchronized', '2026-11-28T09:05:00Z'),
      annotations: { 'compass.kyma-project.io/agent': null, added: 'yes' },
    });
    // A merge-patch body sent with client-node's default JSON-patch content type would be a 400.
    t.same(
      writes(resource).map((e) => `${e.verb}${e.subresource ? '/' + e.subresource : ''}:${e.status}`),
      ['patch:409', 'patch:200', 'patch/status:200'],
      'the change made since the last write fails the precondition; then one patch from a fresh read, status on /status',
    );
    t.equal(stored.spec.resyncNow, true, 'a user request flag the write does not name is kept');
    t.same(stored.metadata.annotations, { user: 'kept', added: 'yes' });
    t.equal(stored.status?.connectionState, 'Synchronized');

    sim.clearRequestLog();
    const reset = await store.write({
      spec: { ...connectionSpec, resyncNow: false },
      status: connectionStatus('Synchronized', '2026-11-28T09:05:00Z'),
    });
    t.equal(reset.spec.resyncNow, false, 'naming the flag resets it');
    t.same(
      writes(resource).map((e) => e.verb),
      ['patch'],
      'only the spec changed, so only the main resource is patched',
    );
  });

  await t.test('a conflicting patch is retried from a fresh read', async (t) => {
    sim.faults.failNext({ verb: 'patch', resource: 'compassconnections/status', status: 409 });
    sim.clearRequestLog();
    const stored = await store.write({ spec: connectionSpec, status: connectionStatus('SynchronizationFailed') });
    t.equal(stored.status?.connectionState, 'SynchronizationFailed');
    t.same(
      sim.requestLog.filter((e) => e.resource === resource).map((e) => `${e.verb}:${e.status}`),
      ['patch:409', 'get:200', 'patch:200'],
    );
  });

  await t.test('observe emits the CR on change and null once deleted', async (t) => {
    const rec = record(store.observe());
    t.teardown(() => rec.stop());
    await rec.until((e) => e.length === 1, 'current state');
    t.equal(rec.events[0]?.status?.connectionState, 'SynchronizationFailed');
    await store.write({ spec: connectionSpec, status: connectionStatus('Synchronized') });
    await rec.until((e) => e.length === 2, 'status change');
    t.equal(rec.events[1]?.status?.connectionState, 'Synchronized');
    await sim.delete('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection');
    await rec.until((e) => e.length === 3, 'deletion');
    t.equal(rec.events[2], null);
  });

  await t.test('a write patches from what the last write stored, without reading the CR first', async (t) => {
    await store.write({ spec: connectionSpec, status: connectionStatus('Synchronized', '2026-11-28T09:05:00Z') });
    sim.clearRequestLog();
    await store.write({ spec: connectionSpec, status: connectionStatus('Synchronized', '2026-11-28T09:06:00Z') });
    await store.write({ spec: connectionSpec, status: connectionStatus('Synchronized', '2026-11-28T09:07:00Z') });
    t.same(
      sim.requestLog.filter((e) => e.resource === resource).map((e) => `${e.verb}${e.subresource ? '/' + e.subresource : ''}:${e.status}`),
      ['patch/status:200', 'patch/status:200'],
      'one request per write',
    );
    const stored = sim.get('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection') as
      { status?: { connectionStatus?: { lastSync?: string } } } | undefined;
    t.equal(stored?.status?.connectionStatus?.lastSync, '2026-11-28T09:07:00Z', 'the second write is what the CR holds');
  });

  await t.test('a CR deleted since the last write is created again, its status still on /status', async (t) => {
    await sim.delete('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection');
    sim.clearRequestLog();
    const stored = await store.write({ spec: connectionSpec, status: connectionStatus('ConnectionFailed') });
    t.equal(stored.status?.connectionState, 'ConnectionFailed');
    t.same(
      sim.requestLog.filter((e) => e.resource === resource).map((e) => `${e.verb}${e.subresource ? '/' + e.subresource : ''}:${e.status}`),
      ['patch/status:404', 'get:404', 'create:201', 'patch/status:200'],
      'the 404 of the object that is gone is not taken for a CRD without a status subresource',
    );
    t.equal(
      sim.get('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection')?.status?.connectionState,
      'ConnectionFailed',
    );
    await sim.delete('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection');
  });

  await t.test('without a status subresource (/status is 404) status is written through the main resource', async (t) => {
    const crd = parseYaml(await readFile(join(crdDir, 'compassconnections.compass.kyma-project.io.yaml'), 'utf8')) as {
      spec: { versions: Array<{ subresources?: unknown }> };
    };
    for (const version of crd.spec.versions) delete version.subresources;
    const variant = join(dir, 'compassconnections-without-status.yaml');
    await writeFile(variant, stringifyYaml(crd));
    await sim.applyFile(variant);

    const legacy = new CompassConnectionStore(client);
    sim.clearRequestLog();
    const created = await legacy.write({ spec: connectionSpec, status: connectionStatus('ConnectionFailed') });
    t.equal(created.status?.connectionState, 'ConnectionFailed');
    t.same(
      writes(resource).map((e) => e.verb),
      ['create'],
      'status travels with the create when the server keeps it',
    );

    sim.clearRequestLog();
    const updated = await legacy.write({ spec: connectionSpec, status: connectionStatus('Connected') });
    t.equal(updated.status?.connectionState, 'Connected');
    t.same(
      sim.requestLog.filter((e) => e.method === 'PATCH').map((e) => `${e.path.replace(/.*compassconnections/, '')}:${e.status}`),
      // The first 404 comes for the object as the create left it, which may be gone: a read confirms it exists.
      ['/compass-connection/status:404', '/compass-connection/status:404', '/compass-connection:200'],
    );
    t.equal(sim.get('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection')?.status?.connectionState, 'Connected');

    sim.clearRequestLog();
    await legacy.write({ spec: { ...connectionSpec, resyncNow: true }, status: connectionStatus('Synchronized') });
    t.same(
      writes(resource).map((e) => `${e.verb}${e.subresource ? '/' + e.subresource : ''}:${e.status}`),
      ['patch:200'],
      'then spec and status go in one patch',
    );
  });
});

const application = (name: string, spec: Record<string, unknown> = {}): ApplicationObject => ({
  apiVersion: 'applicationconnector.kyma-project.io/v1alpha1',
  kind: 'Application',
  metadata: { name, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
  spec: {
    description: `${name} from Compass`,
    skipVerify: false,
    compassMetadata: { applicationId: `id-${name}`, authentication: { clientIds: [] } },
    ...spec,
  },
});

await t.test('application store', async (t) => {
  await sim.create({ ...application('hand-made'), metadata: { name: 'hand-made' } });
  await sim.create(application('pre-existing'));
  const store = new ApplicationStore(client, { syncTimeoutMs: 10_000, watch: { backoff: { initialMs: 20, maxMs: 200 } } });
  t.teardown(() => store.close());

  await t.test('lists only compass-managed Applications once the cache has synced', async (t) => {
    t.same(
      (await store.listManaged()).map((a) => a.metadata.name),
      ['pre-existing'],
    );
  });

  await t.test('create returns the stored object and the cache sees it at once', async (t) => {
    const created = await store.create(application('app-a'));
    t.match(created.metadata.uid, /^[0-9a-f-]{36}$/);
    t.ok(created.metadata.resourceVersion);
    t.same(
      (await store.listManaged()).map((a) => a.metadata.name),
      ['app-a', 'pre-existing'],
    );
  });

  await t.test('update replaces with the resourceVersion; a conflict re-applies the owned fields onto a fresh read', async (t) => {
    const [appA] = (await store.listManaged()).filter((a) => a.metadata.name === 'app-a');
    // Someone else edits app-a (a field we do not own, and an annotation) after we read it.
    const theirs = sim.get('applicationconnector.kyma-project.io/v1alpha1', 'Application', 'app-a')!;
    await sim.update({
      ...theirs,
      metadata: { ...theirs.metadata, annotations: { 'their/note': 'x' } },
      spec: { ...theirs.spec, skipVerify: true },
    });
    sim.clearRequestLog();
    const updated = await store.update({ ...appA, spec: { description: 'new description', compassMetadata: appA.spec.compassMetadata } });
    t.equal(updated.spec.description, 'new description');
    t.equal(updated.spec.skipVerify, true, 'the other writer’s field survives');
    t.same(updated.metadata.annotations, { 'their/note': 'x' });
    t.same(
      sim.requestLog.filter((e) => e.resource === 'applications' && e.verb !== 'watch').map((e) => `${e.verb}:${e.status}`),
      ['update:409', 'get:200', 'update:200'],
      'the watch the store runs aside',
    );
    t.equal((await store.listManaged()).find((a) => a.metadata.name === 'app-a')?.spec.description, 'new description');

    const noVersion = await store.update({ ...application('app-a'), spec: { description: 'third' } });
    t.equal(noVersion.spec.description, 'third', 'an update without resourceVersion applies onto the latest');
  });

  await t.test('the cache follows changes made by others and resyncs after a relist', async (t) => {
    await sim.create(application('made-elsewhere'));
    const names = async () => (await store.listManaged()).map((a) => a.metadata.name);
    const deadline = Date.now() + 10_000;
    while (!(await names()).includes('made-elsewhere') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    t.ok((await names()).includes('made-elsewhere'), 'watch event reached the cache');
    sim.faults.compactHistory();
    await sim.delete('applicationconnector.kyma-project.io/v1alpha1', 'Application', 'made-elsewhere');
    sim.faults.dropWatches('clean');
    while ((await names()).includes('made-elsewhere') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    t.notOk((await names()).includes('made-elsewhere'));
  });

  await t.test('delete removes the Application; a missing one is not an error', async (t) => {
    await store.delete('app-a');
    t.notOk((await store.listManaged()).some((a) => a.metadata.name === 'app-a'));
    t.equal(sim.get('applicationconnector.kyma-project.io/v1alpha1', 'Application', 'app-a'), undefined);
    await store.delete('app-a');
    t.pass('second delete succeeded');
  });

  await t.test(
    'cacheVersion counts the changes of the cache; ownCacheChanges those the store’s own writes made, echoes included',
    async (t) => {
      const counted = new ApplicationStore(client, { syncTimeoutMs: 10_000, watch: { backoff: { initialMs: 20, maxMs: 200 } } });
      t.teardown(() => counted.close());
      t.equal(counted.cacheVersion, undefined, 'before the first list: unknown');
      await counted.listManaged();
      let markers = 0;
      /** Someone else's Application, waited for in the cache: every watch event before it (the echoes) has arrived. */
      const marker = async () => {
        const name = `marker-${++markers}`;
        await sim.create(application(name));
        const deadline = Date.now() + 10_000;
        while (!(await counted.listManaged()).some((a) => a.metadata.name === name) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      const counts = () => [counted.cacheVersion!, counted.ownCacheChanges];
      const since = (from: number[]) => counts().map((value, i) => value - from[i]);

      let from = counts();
      const created = await counted.create(application('mine'));
      t.same(since(from), [1, 1], 'a create: one change, the store’s own, as soon as it returns');
      await marker();
      t.same(since(from), [2, 1], 'its echo changes nothing; the marker is someone else’s change');

      from = counts();
      const updated = await counted.update({ ...created, spec: { ...created.spec, description: 'second' } });
      await marker();
      t.same(since(from), [2, 1], 'an update, then its echo');

      from = counts();
      const theirs = sim.get('applicationconnector.kyma-project.io/v1alpha1', 'Application', 'mine')!;
      await sim.update({ ...theirs, spec: { ...theirs.spec, description: 'by hand' } });
      await marker();
      t.same(since(from), [2, 0], 'an edit by someone else is a change, not the store’s');
      t.equal(theirs.metadata.resourceVersion, updated.metadata.resourceVersion, 'edited on top of the store’s update');

      from = counts();
      await counted.delete('mine');
      await marker();
      t.same(since(from), [2, 1], 'a delete, then its echo');

      from = counts();
      await sim.create(application('gone-by-hand'));
      await marker();
      await sim.delete('applicationconnector.kyma-project.io/v1alpha1', 'Application', 'gone-by-hand');
      await counted.delete('gone-by-hand'); // 404: someone else's delete
      await marker();
      t.same(since(from), [4, 0], 'an Application someone else deleted is nobody’s own change, whoever noticed first');

      // The watch away (reconnecting late) while someone else deletes an Application: the store's own
      // delete (404) is the first to tell the cache.
      await sim.create(application('gone-unseen'));
      await marker();
      sim.faults.addLatency({ verb: 'watch', resource: 'applications', ms: 1_000 });
      sim.faults.dropWatches('clean');
      await sim.delete('applicationconnector.kyma-project.io/v1alpha1', 'Application', 'gone-unseen');
      from = counts();
      await counted.delete('gone-unseen');
      t.same(since(from), [1, 0], 'the cache drops it: a change, not the store’s own');
      t.notOk((await counted.listManaged()).some((a) => a.metadata.name === 'gone-unseen'));
      sim.faults.clear();
      await marker();

      // A busy API server: the watch brings each write before the answer to it.
      for (const verb of ['create', 'update', 'delete'])
        sim.faults.addLatency({ verb, resource: 'applications', ms: 150, afterHandling: true });
      from = counts();
      const early = await counted.create(application('echo-first'));
      t.same(since(from), [1, 1], 'a create whose echo came first: one change, the store’s own');
      from = counts();
      await counted.update({ ...early, spec: { ...early.spec, description: 'again' } });
      t.same(since(from), [1, 1], 'an update whose echo came first');
      from = counts();
      await counted.delete('echo-first');
      t.same(since(from), [1, 1], 'a delete whose echo came first');
      sim.faults.clear();
      for (let i = 1; i <= markers; i++) await sim.delete('applicationconnector.kyma-project.io/v1alpha1', 'Application', `marker-${i}`);
    },
  );

  await t.test('an Application someone deletes after the store’s update, before its answer, stays deleted in the cache', async (t) => {
    const store = new ApplicationStore(client, { syncTimeoutMs: 10_000 });
    t.teardown(() => store.close());
    const created = await store.create(application('deleted-meanwhile'));
    const inCache = async (description?: string) =>
      (await store.listManaged()).find(
        (a) => a.metadata.name === 'deleted-meanwhile' && (!description || a.spec.description === description),
      );
    await waitUntil(() => inCache());
    // The update is carried out and watched at once; its answer comes 300 ms later.
    sim.faults.addLatency({ verb: 'update', resource: 'applications', ms: 300, afterHandling: true });
    const from = [store.cacheVersion!, store.ownCacheChanges];
    const updating = store.update({ ...created, spec: { ...created.spec, description: 'updated, then deleted' } });
    await waitUntil(() => inCache('updated, then deleted'));
    await sim.delete('applicationconnector.kyma-project.io/v1alpha1', 'Application', 'deleted-meanwhile');
    await waitUntil(async () => !(await inCache()));
    const stored = await updating;
    sim.faults.clear();
    t.equal(stored.spec.description, 'updated, then deleted', 'the update succeeded');
    t.notOk(await inCache(), 'its answer does not bring the deleted Application back');
    t.same(
      [store.cacheVersion! - from[0], store.ownCacheChanges - from[1]],
      [2, 1],
      'two changes: the update’s echo, the store’s own, and the delete, someone else’s',
    );
  });

  await t.test('listManaged lists directly when list/watch is forbidden, and fails clearly when unreachable', async (t) => {
    sim.faults.failNext({ verb: 'list', resource: 'applications.applicationconnector.kyma-project.io', status: 403, times: 1 });
    const forbidden = new ApplicationStore(client, { syncTimeoutMs: 10_000 });
    t.teardown(() => forbidden.close());
    t.same(
      (await forbidden.listManaged()).map((a) => a.metadata.name),
      ['pre-existing'],
    );

    sim.faults.failNext({ verb: 'list', resource: 'applications', status: 500, times: 1000 });
    const failing = new ApplicationStore(client, { syncTimeoutMs: 300, watch: { backoff: { initialMs: 20, maxMs: 50 } } });
    t.teardown(() => failing.close());
    const err = await failing.listManaged().catch((e: unknown) => e);
    t.match(err, {
      status: 500,
      message:
        /list Applications \(applicationconnector.kyma-project.io\/managed-by=compass-runtime-agent\) did not complete within 300 ms: list applications.applicationconnector.kyma-project.io failed with HTTP 500/,
    });
    sim.faults.clear();
  });
});

// The simulator keeps the event loop alive, so it is closed here rather than in a root teardown.
await sim.close();
await rm(dir, { recursive: true, force: true });
