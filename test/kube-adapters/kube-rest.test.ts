import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim } from '../../sim/kube/index.js';
import { createKubeClient, kubeCall, loadKubeConfig, KubeError } from '../../adapters/kube/kube-client.js';
import { KubeResponseError, KubeRest } from '../../adapters/kube/kube-rest.js';
import type { KubeList } from '../../adapters/kube/kube-apis.js';

const dir = await mkdtemp(join(tmpdir(), 'kube-rest-'));
const sim = await startKubeSim({ crdDir: join(process.cwd(), 'crds'), namespaces: ['default'] });
const kubeconfigPath = await sim.writeKubeconfig(join(dir, 'kubeconfig'));
const { kubeConfig } = loadKubeConfig({ kubeconfigPath });
const client = createKubeClient(kubeConfig);
const secret = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default', labels }, type: 'Opaque', data: { k: Buffer.from(name).toString('base64') },
});

await t.test('the agent API calls answer plain wire JSON, with continue tokens and selectors', async (t) => {
  for (const name of ['r-1', 'r-2', 'r-3']) await client.core.createNamespacedSecret({ namespace: 'default', body: secret(name, { suite: 'rest' }) });
  await client.core.createNamespacedSecret({ namespace: 'default', body: secret('other') });
  const read = await client.core.readNamespacedSecret<{ metadata: { creationTimestamp: unknown; resourceVersion: string } }>({ namespace: 'default', name: 'r-1' });
  t.type(read.metadata.creationTimestamp, 'string', 'timestamps stay RFC 3339 strings, not Date objects');
  const first = await client.core.listNamespacedSecret<{ metadata: { name: string } }>({ namespace: 'default', labelSelector: 'suite=rest', limit: 2 });
  t.same(first.items.map((s) => s.metadata.name), ['r-1', 'r-2']);
  t.ok(first.metadata?.continue, 'a continue token for the rest');
  const rest = await client.core.listNamespacedSecret<{ metadata: { name: string } }>({ namespace: 'default', labelSelector: 'suite=rest', limit: 2, _continue: first.metadata?.continue });
  t.same(rest.items.map((s) => s.metadata.name), ['r-3']);
  const listed = sim.requestLog.filter((e) => e.verb === 'list' && e.resource === 'secrets').map((e) => e.path);
  t.match(listed[0], /labelSelector=suite%3Drest/);
  t.notMatch(listed[0], /continue=|fieldSelector=/, 'absent query values are left out');
});

await t.test('a merge patch keeps the fields it does not name; status goes through /status', async (t) => {
  const coordinates = { group: 'compass.kyma-project.io', version: 'v1alpha1', plural: 'compassconnections', name: 'rest-test' };
  await client.customObjects.createClusterCustomObject({ ...coordinates, body: { apiVersion: 'compass.kyma-project.io/v1alpha1', kind: 'CompassConnection', metadata: { name: 'rest-test', labels: { a: '1' } }, spec: {} } });
  const patched = await client.customObjects.patchClusterCustomObject<{ metadata: { labels: Record<string, string> } }>({ ...coordinates, body: { metadata: { labels: { b: '2' } } } });
  t.same(patched.metadata.labels, { a: '1', b: '2' }, 'merged, not replaced');
  const withStatus = await client.customObjects.patchClusterCustomObjectStatus<{ status: unknown }>({ ...coordinates, body: { status: { connectionState: 'Connected' } } });
  t.same(withStatus.status, { connectionState: 'Connected' });
  t.ok(sim.requestLog.some((e) => e.verb === 'patch' && e.subresource === 'status' && e.name === 'rest-test'));
  await client.customObjects.deleteClusterCustomObject(coordinates);
  const gone = await kubeCall('get', () => client.customObjects.getClusterCustomObject(coordinates)).catch((e: unknown) => e);
  t.match(gone, { status: 404 });
});

await t.test('an error status becomes a KubeError with the server reason; a slow server a timeout', async (t) => {
  sim.faults.failNext({ verb: 'get', resource: 'secrets', status: 500, message: 'etcd is unhappy' });
  const failed = await kubeCall('get Secret default/r-1', () => client.core.readNamespacedSecret({ namespace: 'default', name: 'r-1' })).catch((e: unknown) => e);
  t.ok(failed instanceof KubeError);
  t.match(failed, { status: 500, message: /HTTP 500 InternalError: etcd is unhappy/ });

  const impatient = new KubeRest(kubeConfig, { timeoutMs: 100 });
  sim.faults.addLatency({ verb: 'get', resource: 'secrets', ms: 1_000 });
  const slow = await impatient.request({ method: 'GET', path: '/api/v1/namespaces/default/secrets/r-1' }).catch((e: unknown) => e);
  sim.faults.clear();
  t.match(slow, { message: /no answer within 100 ms/ });
  t.notOk(slow instanceof KubeResponseError);
});

await t.test('a server URL with a path prefix keeps the prefix', async (t) => {
  const { kubeConfig: prefixed } = loadKubeConfig({ kubeconfigPath });
  const cluster = prefixed.getCurrentCluster()!;
  (cluster as { server: string }).server = `${cluster.server}/k8s/clusters/c-1/`;
  const err = await new KubeRest(prefixed).request<KubeList<unknown>>({ method: 'GET', path: '/api/v1/namespaces/default/secrets' }).catch((e: unknown) => e);
  t.ok(err instanceof KubeResponseError, 'the simulator serves no prefix, so it answers an error');
  t.ok(sim.requestLog.some((e) => e.path.startsWith('/k8s/clusters/c-1/api/v1/namespaces/default/secrets')), 'the request went to the prefixed path');
});

await t.test('teardown', async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});
