import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim } from '../../sim/kube/index.js';
import { createKubeClient, kubeCall, loadKubeConfig, KubeError, toKubeError } from '../../adapters/kube/kube-client.js';
import { KubeResponseError, KubeRest, parseRetryAfter } from '../../adapters/kube/kube-rest.js';
import type { KubeList } from '../../adapters/kube/kube-apis.js';

const dir = await mkdtemp(join(tmpdir(), 'kube-rest-'));
const sim = await startKubeSim({ crdDir: join(process.cwd(), 'crds'), namespaces: ['default'] });
const kubeconfigPath = await sim.writeKubeconfig(join(dir, 'kubeconfig'));
const { kubeConfig } = loadKubeConfig({ kubeconfigPath });
const client = createKubeClient(kubeConfig);
const secret = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'Secret',
  metadata: { name, namespace: 'default', labels },
  type: 'Opaque',
  data: { k: Buffer.from(name).toString('base64') },
});

await t.test('the agent API calls answer plain wire JSON, with continue tokens and selectors', async (t) => {
  for (const name of ['r-1', 'r-2', 'r-3'])
    await client.core.createNamespacedSecret({ namespace: 'default', body: secret(name, { suite: 'rest' }) });
  await client.core.createNamespacedSecret({ namespace: 'default', body: secret('other') });
  const read = await client.core.readNamespacedSecret<{ metadata: { creationTimestamp: unknown; resourceVersion: string } }>({
    namespace: 'default',
    name: 'r-1',
  });
  t.type(read.metadata.creationTimestamp, 'string', 'timestamps stay RFC 3339 strings, not Date objects');
  const first = await client.core.listNamespacedSecret<{ metadata: { name: string } }>({
    namespace: 'default',
    labelSelector: 'suite=rest',
    limit: 2,
  });
  t.same(
    first.items.map((s) => s.metadata.name),
    ['r-1', 'r-2'],
  );
  t.ok(first.metadata?.continue, 'a continue token for the rest');
  const rest = await client.core.listNamespacedSecret<{ metadata: { name: string } }>({
    namespace: 'default',
    labelSelector: 'suite=rest',
    limit: 2,
    _continue: first.metadata?.continue,
  });
  t.same(
    rest.items.map((s) => s.metadata.name),
    ['r-3'],
  );
  const listed = sim.requestLog.filter((e) => e.verb === 'list' && e.resource === 'secrets').map((e) => e.path);
  t.match(listed[0], /labelSelector=suite%3Drest/);
  t.notMatch(listed[0], /continue=|fieldSelector=/, 'absent query values are left out');
});

await t.test('a merge patch keeps the fields it does not name; status goes through /status', async (t) => {
  const coordinates = { group: 'compass.kyma-project.io', version: 'v1alpha1', plural: 'compassconnections', name: 'rest-test' };
  await client.customObjects.createClusterCustomObject({
    ...coordinates,
    body: {
      apiVersion: 'compass.kyma-project.io/v1alpha1',
      kind: 'CompassConnection',
      metadata: { name: 'rest-test', labels: { a: '1' } },
      spec: { managementInfo: { connectorUrl: 'https://connector', directorUrl: 'https://director' } },
    },
  });
  const patched = await client.customObjects.patchClusterCustomObject<{ metadata: { labels: Record<string, string> } }>({
    ...coordinates,
    body: { metadata: { labels: { b: '2' } } },
  });
  t.same(patched.metadata.labels, { a: '1', b: '2' }, 'merged, not replaced');
  // The CRD's schema requires connectionStatus.certificateStatus next to connectionState.
  const status = { connectionState: 'Connected', connectionStatus: { certificateStatus: {} } };
  const withStatus = await client.customObjects.patchClusterCustomObjectStatus<{ status: unknown }>({ ...coordinates, body: { status } });
  t.same(withStatus.status, status);
  t.ok(sim.requestLog.some((e) => e.verb === 'patch' && e.subresource === 'status' && e.name === 'rest-test'));
  await client.customObjects.deleteClusterCustomObject(coordinates);
  const gone = await kubeCall('get', () => client.customObjects.getClusterCustomObject(coordinates)).catch((e: unknown) => e);
  t.match(gone, { status: 404 });
});

await t.test('an error status becomes a KubeError with the server reason; a slow server a timeout', async (t) => {
  sim.faults.failNext({ verb: 'get', resource: 'secrets', status: 500, message: 'etcd is unhappy' });
  const failed = await kubeCall('get Secret default/r-1', () =>
    client.core.readNamespacedSecret({ namespace: 'default', name: 'r-1' }),
  ).catch((e: unknown) => e);
  t.ok(failed instanceof KubeError);
  t.match(failed, { status: 500, message: /HTTP 500 InternalError: etcd is unhappy/ });

  const impatient = new KubeRest(kubeConfig, { timeoutMs: 100 });
  sim.faults.addLatency({ verb: 'get', resource: 'secrets', ms: 1_000 });
  const slow = await impatient.request({ method: 'GET', path: '/api/v1/namespaces/default/secrets/r-1' }).catch((e: unknown) => e);
  sim.faults.clear();
  t.match(slow, { message: /no answer within 100 ms/ });
  t.notOk(slow instanceof KubeResponseError);
});

await t.test('429 Too Many Requests: the request is sent again after Retry-After, capped, and given up after the retries', async (t) => {
  const getsOf = (name: string) =>
    sim.requestLog.filter((e) => e.verb === 'get' && e.name === name).map((e) => ({ status: e.status, at: Date.parse(e.at) }));
  sim.clearRequestLog();
  sim.faults.failNext({ verb: 'get', resource: 'secrets', name: 'r-2', status: 429, retryAfterSeconds: 2 });
  const started = Date.now();
  const read = await client.rest.request<{ metadata: { name: string } }>({ method: 'GET', path: '/api/v1/namespaces/default/secrets/r-2' });
  const waited = Date.now() - started;
  t.equal(read.metadata.name, 'r-2', 'answered by the retry');
  t.ok(waited >= 1_950, `waited the 2 s Retry-After asked for (${waited} ms)`);
  const gets = getsOf('r-2');
  t.same(
    gets.map((g) => g.status),
    [429, 200],
  );
  t.ok(gets[1].at - gets[0].at >= 1_950, `the API server saw the retry ${gets[1].at - gets[0].at} ms after the 429`);

  // A server asking for 10 minutes: the client caps the wait.
  const capped = new KubeRest(kubeConfig, { maxRetryAfterMs: 300 });
  sim.faults.failNext({ verb: 'get', resource: 'secrets', name: 'r-3', status: 429, retryAfterSeconds: 600 });
  const cappedStart = Date.now();
  await capped.request({ method: 'GET', path: '/api/v1/namespaces/default/secrets/r-3' });
  const cappedWait = Date.now() - cappedStart;
  t.ok(cappedWait >= 290 && cappedWait < 60_000, `waited the 300 ms cap, not 600 s (${cappedWait} ms)`);

  // Writes are retried too (a 429 is refused before it runs); after maxThrottleRetries the 429 is the answer.
  const patient = new KubeRest(kubeConfig, { maxThrottleRetries: 2, maxRetryAfterMs: 50 });
  sim.faults.failNext({ verb: 'create', resource: 'secrets', status: 429, retryAfterSeconds: 1, times: 3 });
  sim.clearRequestLog();
  const refused = await patient
    .request({ method: 'POST', path: '/api/v1/namespaces/default/secrets', body: secret('r-throttled') })
    .catch((e: unknown) => e);
  t.ok(refused instanceof KubeResponseError && refused.statusCode === 429, 'the third 429 is returned');
  t.equal((refused as KubeResponseError).retryAfterSeconds, 1, 'with the Retry-After it carried');
  t.match(toKubeError(refused, 'create Secret default/r-throttled'), {
    status: 429,
    reason: 'TooManyRequests',
    message: /kept throttling the agent after its retries/,
  });
  t.same(
    sim.requestLog.filter((e) => e.verb === 'create').map((e) => e.status),
    [429, 429, 429],
    'sent three times, then given up',
  );
  sim.faults.clear();
});

await t.test('Retry-After is read as seconds or as an HTTP date', async (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  t.equal(parseRetryAfter('3', now), 3);
  t.equal(parseRetryAfter(' 0 ', now), 0);
  t.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now), 5);
  t.equal(parseRetryAfter('Wed, 31 Dec 2025 23:59:00 GMT', now), 0, 'a date in the past: no wait');
  t.equal(parseRetryAfter('soon', now), undefined);
  t.equal(parseRetryAfter('-1', now), undefined);
  t.equal(parseRetryAfter(undefined, now), undefined);
});

await t.test('a server URL with a path prefix keeps the prefix', async (t) => {
  const { kubeConfig: prefixed } = loadKubeConfig({ kubeconfigPath });
  const cluster = prefixed.getCurrentCluster()!;
  (cluster as { server: string }).server = `${cluster.server}/k8s/clusters/c-1/`;
  const err = await new KubeRest(prefixed)
    .request<KubeList<unknown>>({ method: 'GET', path: '/api/v1/namespaces/default/secrets' })
    .catch((e: unknown) => e);
  t.ok(err instanceof KubeResponseError, 'the simulator serves no prefix, so it answers an error');
  t.ok(
    sim.requestLog.some((e) => e.path.startsWith('/k8s/clusters/c-1/api/v1/namespaces/default/secrets')),
    'the request went to the prefixed path',
  );
});

await t.test('teardown', async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});
