import t from 'tap';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim } from '../../sim/kube/index.js';
import { createKubeClient, kubeCall, loadKubeConfig } from '../../adapters/kube/kube-client.js';
import type { KubeList } from '../../adapters/kube/kube-apis.js';
import {
  backoffDelay,
  objectKey,
  objectKeyIn,
  watchStream,
  type WatchEvent,
  type WatchStreamOptions,
} from '../../adapters/kube/watch-stream.js';
import { record, waitUntil } from './event-recorder.js';

type ConfigMap = {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string };
  data?: Record<string, string>;
};

const dir = await mkdtemp(join(tmpdir(), 'watch-stream-'));
const sim = await startKubeSim({ bookmarkIntervalMs: 60_000 });
const { kubeConfig } = loadKubeConfig({ kubeconfigPath: await sim.writeKubeconfig(join(dir, 'kubeconfig')) });
const client = createKubeClient(kubeConfig);

const ns = 'default';
const path = `/api/v1/namespaces/${ns}/configmaps`;
function options(overrides: Partial<WatchStreamOptions<ConfigMap>> = {}): WatchStreamOptions<ConfigMap> {
  return {
    kubeConfig,
    path,
    labelSelector: 'suite=watch',
    backoff: { initialMs: 20, maxMs: 200 },
    list: async (query) => {
      const list = await kubeCall('list ConfigMaps', () =>
        client.rest.request<KubeList<ConfigMap>>({
          method: 'GET',
          path,
          query: { labelSelector: query.labelSelector, limit: query.limit, continue: query.continue },
        }),
      );
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '', continue: list.metadata?.continue };
    },
    ...overrides,
  };
}
const configMap = (name: string, data: Record<string, string> = {}) => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: ns, labels: { suite: 'watch' } },
  data,
});
const names = (event: WatchEvent<ConfigMap> | undefined) => (event && 'cache' in event ? [...event.cache.keys()].sort() : []);
const last = <T>(events: T[]) => events[events.length - 1];
const count = (verb: string) => sim.requestLog.filter((e) => e.verb === verb && e.resource === 'configmaps').length;
const openWatches = () => sim.faults.dropWatches('clean');
/** Resolves once `n` watches on configmaps were started since the request log was last cleared. */
const watchesStarted = (n: number) => waitUntil(() => count('watch') >= n, `${n} watch(es) started`);

await t.test('backoff doubles up to the ceiling and jitters within its upper half', async (t) => {
  t.equal(
    backoffDelay(1, 100, 1000, () => 0),
    50,
  );
  t.equal(
    backoffDelay(1, 100, 1000, () => 0.999),
    100,
  );
  t.equal(
    backoffDelay(3, 100, 1000, () => 1),
    400,
  );
  t.equal(
    backoffDelay(10, 100, 1000, () => 0),
    500,
    'capped at maxMs',
  );
  t.equal(objectKey({ metadata: { name: 'a', namespace: 'ns' } }), 'ns/a');
  t.equal(objectKey({ metadata: { name: 'cluster-wide' } }), 'cluster-wide');
});

await t.test(
  'a watch in one namespace or of cluster-scoped objects keys its cache by name, one across namespaces by namespace/name',
  async (t) => {
    const secret = { metadata: { name: 'a', namespace: 'ns' } };
    t.equal(objectKeyIn('/api/v1/namespaces/ns/secrets')(secret), 'a', 'core group, one namespace');
    t.equal(objectKeyIn('/apis/apps/v1/namespaces/ns/deployments')(secret), 'a', 'named group, one namespace');
    t.equal(objectKeyIn('/api/v1/secrets')(secret), 'ns/a', 'core group, every namespace');
    t.equal(objectKeyIn('/apis/apps/v1/deployments')(secret), 'ns/a', 'named group, every namespace');
    t.equal(
      objectKeyIn('/apis/applicationconnector.kyma-project.io/v1alpha1/applications')({ metadata: { name: 'app' } }),
      'app',
      'cluster-scoped objects',
    );
  },
);

await t.test('lists, then streams added, modified and deleted with a consistent cache', async (t) => {
  await sim.create(configMap('a', { v: '1' }));
  await sim.create({ ...configMap('ignored'), metadata: { name: 'ignored', namespace: ns, labels: { suite: 'other' } } });
  sim.clearRequestLog();
  const rec = record(watchStream(options()));
  t.teardown(() => rec.stop());
  await rec.until((e) => e.some((x) => x.type === 'synced'), 'first sync');
  t.same(names(rec.events[0]), ['a'], 'the first emission is the listed state, selector applied');
  await watchesStarted(1);
  const watchRequest = sim.requestLog.find((e) => e.verb === 'watch');
  t.match(watchRequest?.path, /allowWatchBookmarks=true/, 'asks for bookmarks');
  t.match(watchRequest?.path, /timeoutSeconds=300/, 'bounds the watch on the server side');

  await sim.create(configMap('b'));
  await rec.until((e) => e.some((x) => x.type === 'added'), 'ADDED b');
  const cm = sim.get('v1', 'ConfigMap', 'a', ns)!;
  await sim.update({ ...cm, data: { v: '2' } });
  await rec.until((e) => e.some((x) => x.type === 'modified'), 'MODIFIED a');
  await sim.delete('v1', 'ConfigMap', 'b', ns);
  await rec.until((e) => e.some((x) => x.type === 'deleted'), 'DELETED b');
  const final = last(rec.events);
  t.same(names(final), ['a']);
  t.equal(final.type === 'deleted' && final.cache.get('a')?.data?.v, '2', 'the cache holds the modified object');
  t.equal(count('list'), 1, 'one LIST for the whole sequence');
});

await t.test('survives a clean and an abrupt drop of the watch without relisting', async (t) => {
  const rec = record(watchStream(options()));
  t.teardown(() => rec.stop());
  sim.clearRequestLog();
  await rec.until((e) => e.some((x) => x.type === 'synced'), 'first sync');
  await watchesStarted(1);
  sim.clearRequestLog();

  t.ok(sim.faults.dropWatches('clean') >= 1, 'a watch was open');
  await sim.create(configMap('after-clean-drop'));
  await rec.until((e) => e.some((x) => x.type === 'added' && x.object.metadata.name === 'after-clean-drop'), 'event after clean drop');
  await watchesStarted(1);

  t.ok(sim.faults.dropWatches('abrupt') >= 1, 'a watch was open');
  await sim.create(configMap('after-abrupt-drop'));
  await rec.until((e) => e.some((x) => x.type === 'added' && x.object.metadata.name === 'after-abrupt-drop'), 'event after abrupt drop');
  t.equal(count('list'), 0, 'resumed from the last resourceVersion, no relist');
  t.ok(count('watch') >= 2, 're-watched after each drop');
  t.notOk(
    rec.events.some((x) => x.type === 'added' && x.object.metadata.name === 'a'),
    'no duplicate ADDED for known objects',
  );
});

await t.test('resumes from the last event it received even when the projection keeps no resourceVersion', async (t) => {
  const project = (object: ConfigMap): ConfigMap => ({ metadata: { name: object.metadata.name, namespace: object.metadata.namespace } });
  const rec = record(watchStream(options({ project })));
  t.teardown(() => rec.stop());
  sim.clearRequestLog();
  await rec.until((e) => e.some((x) => x.type === 'synced'), 'first sync');
  await watchesStarted(1);
  await sim.create(configMap('unversioned-1'));
  await rec.until((e) => e.some((x) => x.type === 'added' && x.object.metadata.name === 'unversioned-1'), 'the first object');
  sim.clearRequestLog();

  t.ok(sim.faults.dropWatches('clean') >= 1, 'a watch was open');
  await sim.create(configMap('unversioned-2'));
  await rec.until((e) => e.some((x) => x.type === 'added' && x.object.metadata.name === 'unversioned-2'), 'the second object');
  t.equal(count('list'), 0, 'no relist');
  t.equal(
    rec.events.filter((x) => x.type === 'added' && x.object.metadata.name === 'unversioned-1').length,
    1,
    're-watched from the version of the last event, not of the LIST: the first object is not delivered again',
  );
  t.notOk(
    rec.events.some((x) => 'object' in x && x.object.metadata.resourceVersion !== undefined),
    'the emitted objects are the projection',
  );
  await sim.delete('v1', 'ConfigMap', 'unversioned-1', ns);
  await sim.delete('v1', 'ConfigMap', 'unversioned-2', ns);
});

await t.test('relists when the resourceVersion expired: ERROR event 410 and HTTP 410', async (t) => {
  const rec = record(watchStream(options()));
  t.teardown(() => rec.stop());
  sim.clearRequestLog();
  await rec.until((e) => e.filter((x) => x.type === 'synced').length === 1, 'first sync');
  await watchesStarted(1);
  sim.clearRequestLog();

  // Compaction, then a drop: the re-watch from the old resourceVersion gets an ERROR 410 event.
  sim.faults.compactHistory();
  await sim.delete('v1', 'ConfigMap', 'after-clean-drop', ns);
  await rec.until((e) => e.some((x) => x.type === 'deleted'), 'live delete');
  sim.faults.compactHistory();
  openWatches();
  await rec.until((e) => e.filter((x) => x.type === 'synced').length === 2, 'relist after ERROR 410');
  t.equal(count('list'), 1, 'one relist');
  t.notOk(names(last(rec.events)).includes('default/after-clean-drop'));

  sim.faults.failNext({ verb: 'watch', resource: 'configmaps', status: 410 });
  openWatches();
  await rec.until((e) => e.filter((x) => x.type === 'synced').length === 3, 'relist after HTTP 410');
  t.equal(count('list'), 2, 'another relist');
  t.notOk(
    rec.events.some((x) => x.type === 'problem' && x.problem.status === 410),
    '410 is routine, not a problem',
  );
});

await t.test('reconnects with backoff after the API server stops and restarts, without giving up', async (t) => {
  const rec = record(watchStream(options()));
  t.teardown(() => rec.stop());
  sim.clearRequestLog();
  await rec.until((e) => e.some((x) => x.type === 'synced'), 'first sync');
  await watchesStarted(1);
  await sim.stop();
  await rec.until((e) => e.filter((x) => x.type === 'problem').length >= 3, 'several failed reconnects');
  const problems = rec.events.flatMap((x) => (x.type === 'problem' ? [x.problem] : []));
  t.equal(problems[0].status, 0, 'unreachable server has no HTTP status');
  t.ok(
    problems.every((p, i) => i === 0 || p.attempt === problems[i - 1].attempt + 1),
    'attempts count up',
  );
  t.ok(
    problems.every((p) => p.retryInMs <= 200),
    'delays stay under the ceiling',
  );
  await sim.create(configMap('while-down'));
  await sim.restart();
  await rec.until((e) => e.some((x) => x.type === 'added' && x.object.metadata.name === 'while-down'), 'the change made while down');
});

await t.test('a failed LIST is retried and reported, never fatal', async (t) => {
  sim.faults.failNext({ verb: 'list', resource: 'configmaps', status: 500, times: 2 });
  const rec = record(watchStream(options()));
  t.teardown(() => rec.stop());
  await rec.until((e) => e.some((x) => x.type === 'synced'), 'sync after failures');
  const problems = rec.events.flatMap((x) => (x.type === 'problem' ? [x.problem] : []));
  t.same(
    problems.map((p) => [p.phase, p.status, p.reason]),
    [
      ['list', 500, 'InternalError'],
      ['list', 500, 'InternalError'],
    ],
  );
  t.match(problems[0].message, /list ConfigMaps failed with HTTP 500 InternalError/);
});

await t.test('a watch that goes silent is abandoned and re-established', async (t) => {
  sim.clearRequestLog();
  const rec = record(watchStream(options({ idleTimeoutMs: 400 })));
  t.teardown(() => rec.stop());
  await rec.until((e) => e.some((x) => x.type === 'synced'), 'first sync');
  await rec.until((e) => e.some((x) => x.type === 'problem' && x.problem.reason === 'Idle'), 'idle detection');
  const idle = rec.events.find((x) => x.type === 'problem' && x.problem.reason === 'Idle');
  t.match(idle, { problem: { phase: 'watch', status: 0, message: /no event or bookmark for 400 ms/ } });
  await watchesStarted(2);
  t.equal(count('list'), 1, 'a silent watch is re-established without relisting');
  await sim.create(configMap('after-idle'));
  await rec.until((e) => e.some((x) => x.type === 'added' && x.object.metadata.name === 'after-idle'), 'event on the new watch');
});

await t.test('a watch request whose response never starts is abandoned too', async (t) => {
  sim.clearRequestLog();
  // A short server-side timeout: the simulator still starts the abandoned request after its delay
  // and keeps a timer for it as long as timeoutSeconds.
  const rec = record(watchStream(options({ idleTimeoutMs: 400, watchTimeoutSeconds: 2 })));
  t.teardown(() => rec.stop());
  await rec.until((e) => e.some((x) => x.type === 'synced'), 'first sync');
  await watchesStarted(1);
  sim.faults.addLatency({ verb: 'watch', resource: 'configmaps', ms: 1_500 });
  openWatches();
  await rec.until((e) => e.some((x) => x.type === 'problem' && x.problem.reason === 'Idle'), 'hung request detected');
  t.ok(
    rec.events.some((x) => x.type === 'problem' && x.problem.reason === 'Idle'),
    'the hang is reported as an idle watch',
  );
  sim.faults.clear();
  await sim.create(configMap('after-hang'));
  await rec.until((e) => e.some((x) => x.type === 'added' && x.object.metadata.name === 'after-hang'), 'event after the hang');
});

await t.test('unsubscribing closes the watch and emits nothing more', async (t) => {
  sim.clearRequestLog();
  const rec = record(watchStream(options()));
  await rec.until((e) => e.some((x) => x.type === 'synced'), 'first sync');
  await watchesStarted(1);
  rec.stop();
  const before = rec.events.length;
  await waitUntil(() => sim.faults.dropWatches('clean') === 0, 'no open watch');
  await sim.create(configMap('after-unsubscribe'));
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(rec.events.length, before);
});

// The simulator keeps the event loop alive, so it is closed here rather than in a root teardown.
await sim.close();
await rm(dir, { recursive: true, force: true });
