// @kubernetes/client-node 1.4.0 against the simulator: typed calls, merge patches, 409s, and an informer
// that survives dropped watches and relists after a forced 410.
import t from 'tap';
import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  PatchStrategy,
  makeInformer,
  setHeaderOptions,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type KubeSim } from '../../sim/kube/index.js';

const CRDS = new URL('../../crds/', import.meta.url).pathname;
const CC = { group: 'compass.kyma-project.io', version: 'v1alpha1', plural: 'compassconnections' };

let sim: KubeSim;
let kc: KubeConfig;
let core: CoreV1Api;
let custom: CustomObjectsApi;

t.before(async () => {
  sim = await startKubeSim({ crdDir: CRDS });
  kc = new KubeConfig();
  kc.loadFromString(await sim.kubeconfig());
  core = kc.makeApiClient(CoreV1Api);
  custom = kc.makeApiClient(CustomObjectsApi);
});
t.teardown(() => sim.close());

function statusOf(error: unknown): { code: number; reason?: string; message?: string } {
  if (!(error instanceof ApiException)) throw error;
  const body = typeof error.body === 'string' && error.body ? JSON.parse(error.body) : {};
  return { code: error.code, reason: body.reason, message: body.message };
}

t.test('CoreV1Api: create, read, replace, merge patch, list with selector, delete Secrets', async (t) => {
  const created = await core.createNamespacedSecret({
    namespace: 'default',
    body: { metadata: { name: 'cred', labels: { app: 'agent' } }, stringData: { token: 'x' } },
  });
  t.equal(created.data?.token, Buffer.from('x').toString('base64'));
  const read = await core.readNamespacedSecret({ name: 'cred', namespace: 'default' });
  t.equal(read.metadata?.uid, created.metadata?.uid);
  const replaced = await core.replaceNamespacedSecret({ name: 'cred', namespace: 'default', body: { ...read, data: { token: 'eQ==' } } });
  t.equal(replaced.data?.token, 'eQ==');
  const patched = await core.patchNamespacedSecret(
    { name: 'cred', namespace: 'default', body: { metadata: { labels: { extra: 'yes' } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  t.same(patched.metadata?.labels, { app: 'agent', extra: 'yes' });
  t.equal(sim.requestLog.filter((e) => e.verb === 'patch').length, 1);
  try {
    await core.patchNamespacedSecret({ name: 'cred', namespace: 'default', body: { metadata: {} } });
    t.fail('a merge-patch body sent as JSON patch must fail');
  } catch (error) {
    t.match(
      statusOf(error),
      { code: 400, message: /cannot unmarshal object/ },
      'the default JSON-patch content type rejects an object body (issue #2160)',
    );
  }
  const list = await core.listNamespacedSecret({ namespace: 'default', labelSelector: 'app=agent,extra in (yes)' });
  t.equal(list.items.length, 1);
  try {
    await core.replaceNamespacedSecret({ name: 'cred', namespace: 'default', body: read });
    t.fail('stale update must conflict');
  } catch (error) {
    t.match(statusOf(error), { code: 409, reason: 'Conflict' }, 'a stale resourceVersion gets 409');
  }
  try {
    await core.readNamespacedSecret({ name: 'missing', namespace: 'default' });
    t.fail('missing secret must 404');
  } catch (error) {
    t.match(statusOf(error), { code: 404, reason: 'NotFound', message: 'secrets "missing" not found' });
  }
  await core.deleteNamespacedSecret({ name: 'cred', namespace: 'default' });
  t.equal((await core.listNamespacedSecret({ namespace: 'default' })).items.length, 0);
});

t.test('CustomObjectsApi: cluster-scoped CompassConnection with status subresource and optimistic concurrency', async (t) => {
  const created = await custom.createClusterCustomObject({
    ...CC,
    body: {
      apiVersion: 'compass.kyma-project.io/v1alpha1',
      kind: 'CompassConnection',
      metadata: { name: 'compass-connection' },
      spec: { managementInfo: { connectorUrl: 'https://c', directorUrl: 'https://d' } },
      status: { connectionState: 'dropped' },
    },
  });
  t.notOk(created.status, 'status is dropped on create');
  const withStatus = await custom.patchClusterCustomObjectStatus(
    { ...CC, name: 'compass-connection', body: { status: { connectionState: 'Connected', connectionStatus: { certificateStatus: {} } } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
  t.equal(withStatus.status.connectionState, 'Connected');
  t.equal(withStatus.metadata.generation, 1);
  const replaced = await custom.replaceClusterCustomObject({
    ...CC,
    name: 'compass-connection',
    body: { ...withStatus, spec: { ...withStatus.spec, resyncNow: true } },
  });
  t.equal(replaced.metadata.generation, 2);
  t.equal(replaced.status.connectionState, 'Connected');
  try {
    await custom.replaceClusterCustomObject({ ...CC, name: 'compass-connection', body: withStatus });
    t.fail('stale update must conflict');
  } catch (error) {
    t.match(statusOf(error), { code: 409, reason: 'Conflict', message: /compassconnections.compass.kyma-project.io "compass-connection"/ });
  }
  try {
    await custom.patchClusterCustomObject(
      { ...CC, name: 'compass-connection', body: { spec: {} } },
      setHeaderOptions('Content-Type', PatchStrategy.StrategicMergePatch),
    );
    t.fail('strategic merge on a CR must be refused');
  } catch (error) {
    t.match(statusOf(error), { code: 415, reason: 'UnsupportedMediaType' });
  }
  const list = await custom.listClusterCustomObject({ ...CC });
  t.equal(list.items.length, 1);
  await custom.deleteClusterCustomObject({ ...CC, name: 'compass-connection' });
  t.equal((await custom.listClusterCustomObject({ ...CC })).items.length, 0);
});

t.test('loadFromCluster with a bearer token reaches the simulator', async (t) => {
  const root = mkdtempSync(join(tmpdir(), 'kube-sim-incluster-'));
  const dir = join(root, 'var/run/secrets/kubernetes.io/serviceaccount');
  const { mkdirSync } = await import('node:fs');
  mkdirSync(dir, { recursive: true });
  // A bound ServiceAccount token, with RBAC that lets it list namespaces.
  await sim.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kyma-system' } });
  await sim.create({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'runtime-agent', namespace: 'kyma-system' } });
  await sim.create({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRoleBinding',
    metadata: { name: 'runtime-agent-admin' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
    subjects: [{ kind: 'ServiceAccount', name: 'runtime-agent', namespace: 'kyma-system' }],
  });
  writeFileSync(join(dir, 'token'), sim.serviceAccountToken('kyma-system', 'runtime-agent'));
  writeFileSync(join(dir, 'ca.crt'), sim.caPem);
  writeFileSync(join(dir, 'namespace'), 'kyma-system');
  const url = new URL(sim.url);
  const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
  process.env.KUBERNETES_SERVICE_HOST = url.hostname;
  process.env.KUBERNETES_SERVICE_PORT = url.port;
  t.teardown(() => {
    process.env.KUBERNETES_SERVICE_HOST = saved.host;
    process.env.KUBERNETES_SERVICE_PORT = saved.port;
  });
  const inCluster = new KubeConfig();
  inCluster.loadFromCluster(root);
  sim.clearRequestLog();
  await inCluster.makeApiClient(CoreV1Api).listNamespace();
  t.equal(sim.requestLog[0].user, 'system:serviceaccount:kyma-system:runtime-agent');
});

t.test('informer: survives clean and abrupt watch drops and relists after a forced 410', async (t) => {
  const path = '/api/v1/namespaces/default/configmaps';
  const informer = makeInformer<KubernetesObject>(kc, path, () => core.listNamespacedConfigMap({ namespace: 'default' }));
  const added: string[] = [];
  const deleted: string[] = [];
  let errors = 0;
  // Polls: the conditions read the request log as well as informer callbacks.
  const until = (check: () => boolean) =>
    new Promise<void>((resolve) => {
      const timer = setInterval(() => {
        if (check()) {
          clearInterval(timer);
          resolve();
        }
      }, 10);
    });
  informer.on('add', (o) => {
    added.push(o.metadata!.name!);
  });
  informer.on('delete', (o) => {
    deleted.push(o.metadata!.name!);
  });
  // client-node 1.4 stops on any non-410 error; the documented pattern restarts it from the error handler.
  let stopped = false;
  informer.on('error', () => {
    errors++;
    if (!stopped)
      setTimeout(() => {
        if (!stopped) void informer.start();
      }, 20);
  });
  await sim.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'before-start' } });
  await informer.start();
  t.teardown(() => {
    // no restart once the test is over: a restarting informer would keep the process alive
    stopped = true;
    return informer.stop();
  });
  await until(() => added.includes('before-start'));

  const watchesBefore = () => sim.requestLog.filter((e) => e.verb === 'watch').length;
  await until(() => watchesBefore() >= 1);
  t.ok(sim.faults.dropWatches('clean') >= 1);
  await until(() => watchesBefore() >= 2);
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after-clean-drop' } } });
  await until(() => added.includes('after-clean-drop'));
  t.pass('a cleanly ended watch is resumed');

  const watchCount = watchesBefore();
  sim.faults.dropWatches('abrupt');
  await until(() => errors >= 1 && watchesBefore() > watchCount);
  await core.createNamespacedConfigMap({ namespace: 'default', body: { metadata: { name: 'after-reset' } } });
  await until(() => added.includes('after-reset'));
  t.pass('after a reset the restarted informer sees new objects');

  const lists = () => sim.requestLog.filter((e) => e.verb === 'list' && e.resource === 'configmaps').length;
  const listsBefore = lists();
  const errorsBefore = errors;
  // All synchronous, so the informer cannot reconnect in between: its watch ends, one object goes and one
  // comes while it is away, and history is compacted, so its resourceVersion is too old when it returns.
  sim.faults.dropWatches('clean');
  void sim.delete('v1', 'ConfigMap', 'before-start', 'default');
  void sim.create({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'after-410', namespace: 'default' } });
  sim.faults.compactHistory();
  await until(() => lists() > listsBefore && added.includes('after-410') && deleted.includes('before-start'));
  t.equal(errors, errorsBefore, 'no error callback: the relist came from the 410, not from a restart');
  t.pass('the informer relisted after the 410 and saw what it missed');
  t.ok(
    sim.requestLog.some((e) => e.verb === 'watch' && e.status === 200),
    'watches were served',
  );
  t.same(
    informer
      .list('default')
      .map((o) => o.metadata!.name)
      .sort(),
    ['after-410', 'after-clean-drop', 'after-reset'],
  );
});
