// The Event recorder against the Kubernetes simulator, on a manual clock: Events wait for the object
// they are about, a repeat becomes a series on the first Event (written when it starts, then at most
// once per refresh), a series that goes quiet is finished, an Event the API server let expire goes
// on in a new one, new Events are rate-limited per object, notes are redacted and bounded, a full
// queue drops the oldest, and nothing it does throws.
import t from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim } from '../../sim/kube/index.js';
import { ManualClock } from '../../adapters/clock/clock.js';
import { createKubeClient, loadKubeConfig } from '../../adapters/kube/kube-client.js';
import { EventRecorder, type RecordOutcome } from '../../adapters/kube/event-recorder.js';
import { registerSecret } from '../../adapters/redaction.js';
import { FAKE_PRIVATE_KEY_PEM } from '../fixtures/fake-pem.js';

const sim = await startKubeSim({ namespaces: ['default'] });
t.teardown(() => sim.close());
const { kubeConfig } = loadKubeConfig({
  kubeconfigPath: await sim.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'events-')), 'kubeconfig')),
});
const client = createKubeClient(kubeConfig);
const regarding = {
  apiVersion: 'compass.kyma-project.io/v1alpha1',
  kind: 'CompassConnection',
  name: 'compass-connection',
  uid: '6d34615d-208c-4282-b8de-255b3cd3b874',
};

interface Stored {
  metadata: { name: string; namespace: string };
  reason: string;
  note: string;
  type: string;
  action: string;
  eventTime: string;
  series?: { count: number; lastObservedTime: string };
  regarding: Record<string, string>;
  reportingController: string;
  reportingInstance: string;
}
const events = () => sim.list('events.k8s.io/v1', 'Event', 'default') as Stored[];
const byReason = (reason: string) => events().filter((e) => e.reason === reason);

function recorder(options: Partial<ConstructorParameters<typeof EventRecorder>[0]> = {}) {
  const clock = new ManualClock('2026-06-01T10:00:00Z');
  const outcomes: Array<[RecordOutcome, string]> = [];
  const r = new EventRecorder({
    client,
    reportingController: 'kyma-project.io/compass-runtime-agent',
    reportingInstance: 'host_1',
    clock,
    seriesRefreshMs: 100,
    seriesFinishMs: 1_000,
    onOutcome: (outcome, reason) => outcomes.push([outcome, reason]),
    ...options,
  });
  return { r, clock, outcomes };
}

t.test("Events wait for their object, then are written as events.k8s.io/v1 with client-go's name and fields", async (t) => {
  const { r, clock } = recorder();
  r.record({ type: 'Normal', reason: 'Waited', action: 'Connect', note: 'one' });
  await r.flush();
  t.same(byReason('Waited'), [], 'no object yet: nothing written');
  r.setRegarding({ ...regarding, uid: '' });
  await r.flush();
  t.same(byReason('Waited'), [], 'an object without uid is no object');
  r.setRegarding(regarding);
  await r.flush();
  const [written] = byReason('Waited');
  t.match(
    written,
    {
      metadata: { name: /^compass-connection\.[0-9a-f]+$/, namespace: 'default' },
      type: 'Normal',
      action: 'Connect',
      note: 'one',
      eventTime: '2026-06-01T10:00:00.000000Z',
      reportingController: 'kyma-project.io/compass-runtime-agent',
      reportingInstance: 'host_1',
      regarding,
    },
    'in default (the object is cluster-scoped), named <object>.<hex nanoseconds>',
  );
  const name = written.metadata.name;
  t.equal(BigInt(`0x${name.split('.')[1]}`) / 1_000_000n, BigInt(clock.now()), 'the suffix is the time in nanoseconds');
  t.ok(sim.get('v1', 'Event', name, 'default'), 'and the same Event through core/v1');
  await r.close();
});

t.test('a repeat is a series on the first Event: written when it starts, then at most once per refresh; quiet series finish', async (t) => {
  const { r, clock, outcomes } = recorder();
  r.setRegarding(regarding);
  const failure = (id: string) => ({
    type: 'Warning' as const,
    reason: 'Refused',
    action: 'Maintain',
    note: `refused (x-request-id ${id})`,
  });
  r.record(failure('11111111-1111-4111-8111-111111111111'));
  await r.flush();
  t.equal(byReason('Refused')[0].series, undefined, 'one occurrence: no series');
  clock.advance(10);
  r.record(failure('22222222-2222-4222-8222-222222222222'));
  await r.flush();
  t.match(
    byReason('Refused'),
    [{ series: { count: 2, lastObservedTime: '2026-06-01T10:00:00.010000Z' } }],
    'the second is the same Event (request ids aside), series count 2 at once',
  );
  t.match(byReason('Refused')[0].note, /11111111/, 'the note of the first occurrence');
  for (let i = 0; i < 3; i++) r.record(failure('33333333-3333-4333-8333-333333333333'));
  await r.flush();
  t.equal(byReason('Refused')[0].series!.count, 2, 'more repeats within the refresh period are not written yet');
  clock.advance(100);
  await r.flush();
  t.equal(byReason('Refused')[0].series!.count, 5, 'the refresh writes the count');
  clock.advance(1_000);
  await r.flush();
  r.record(failure('44444444-4444-4444-8444-444444444444'));
  await r.flush();
  t.equal(byReason('Refused').length, 2, 'after a quiet finish period the series is over: a new Event');
  r.record({ ...failure('55555555-5555-4555-8555-555555555555'), note: 'another error' });
  await r.flush();
  t.equal(byReason('Refused').length, 3, 'another note is another Event');
  t.ok(outcomes.some(([o]) => o === 'series') && outcomes.some(([o]) => o === 'created'));
  await r.close();
});

t.test('an expired Event (deleted by the API server) goes on in a new one carrying the series; close writes what is pending', async (t) => {
  const { r, clock } = recorder();
  r.setRegarding(regarding);
  const event = { type: 'Warning' as const, reason: 'Expiring', action: 'Synchronize', note: 'x' };
  r.record(event);
  await r.flush();
  await sim.delete('events.k8s.io/v1', 'Event', byReason('Expiring')[0].metadata.name, 'default');
  clock.advance(5);
  r.record(event);
  await r.flush();
  t.match(byReason('Expiring'), [{ series: { count: 2 } }], 'a new Event with the series');
  r.record(event);
  await r.flush();
  t.equal(byReason('Expiring')[0].series!.count, 2, 'pending');
  await r.close();
  t.equal(byReason('Expiring')[0].series!.count, 3, 'close wrote the last count');
  r.record(event);
  await r.flush();
  t.equal(byReason('Expiring')[0].series!.count, 3, 'a closed recorder records nothing');
});

t.test('new Events are rate-limited per object (a token bucket); a full queue drops the oldest; failures never throw', async (t) => {
  const { r, clock, outcomes } = recorder({ burst: 2, refillMs: 1_000, maxQueued: 2 });
  r.setRegarding(regarding);
  for (const n of [1, 2, 3]) r.record({ type: 'Normal', reason: 'Burst', action: 'Synchronize', note: `n=${n}` });
  await r.flush();
  t.same(
    byReason('Burst')
      .map((e) => e.note)
      .sort(),
    ['n=1', 'n=2'],
    'the burst, then no more',
  );
  t.ok(outcomes.some(([o, reason]) => o === 'rate-limited' && reason === 'Burst'));
  clock.advance(1_000);
  r.record({ type: 'Normal', reason: 'Burst', action: 'Synchronize', note: 'n=4' });
  await r.flush();
  t.equal(byReason('Burst').length, 3, 'one more after the refill period');

  r.setRegarding(null);
  for (const n of [1, 2, 3, 4]) r.record({ type: 'Normal', reason: 'Queued', action: 'Synchronize', note: `q=${n}` });
  t.equal(outcomes.filter(([o, reason]) => o === 'failed' && reason === 'Queued').length, 2, 'two dropped from a full queue');
  clock.advance(10_000);
  r.setRegarding({ ...regarding, uid: '7e8f0000-0000-4000-8000-000000000001' });
  await r.flush();
  t.same(
    byReason('Queued')
      .map((e) => e.note)
      .sort(),
    ['q=3', 'q=4'],
    'the newest kept, written once the object is known (another object: a bucket of its own)',
  );
  await r.close();

  const forbidden = new EventRecorder({
    client: createKubeClient(
      loadKubeConfig({
        kubeconfigPath: await sim.writeKubeconfig(join(mkdtempSync(join(tmpdir(), 'events-')), 'nobody'), { name: 'nobody' }),
      }).kubeConfig,
    ),
    reportingController: 'kyma-project.io/compass-runtime-agent',
    reportingInstance: 'host_2',
    onOutcome: (o, reason) => outcomes.push([o, reason]),
  });
  forbidden.setRegarding(regarding);
  forbidden.record({ type: 'Normal', reason: 'Denied', action: 'Connect', note: 'x' });
  await forbidden.flush();
  t.ok(
    outcomes.some(([o, reason]) => o === 'failed' && reason === 'Denied'),
    'a 403 is counted, not thrown',
  );
  await forbidden.close();
});

t.test("notes never carry a secret and fit the API server's limit", async (t) => {
  const { r } = recorder();
  r.setRegarding(regarding);
  registerSecret('tok-3f9a1c7e', 'token');
  r.record({
    type: 'Warning',
    reason: 'Leaky',
    action: 'Connect',
    note: `upstream said: token tok-3f9a1c7e is bad; key ${FAKE_PRIVATE_KEY_PEM}`,
  });
  r.record({ type: 'Warning', reason: 'Long', action: 'Connect', note: 'e'.repeat(5_000) });
  await r.flush();
  const note = byReason('Leaky')[0].note;
  t.notMatch(note, /tok-3f9a1c7e/, 'a remembered token is removed');
  t.notMatch(note, /BEGIN|PRIVATE KEY/, 'a PEM block is removed');
  t.match(note, /\[REDACTED\]/);
  t.ok(Buffer.byteLength(byReason('Long')[0].note) <= 1024, 'bounded to 1024 bytes');
  r.record({ type: 'Warning', reason: 'Wide', action: 'Connect', note: '€'.repeat(1_000) });
  await r.flush();
  t.ok(Buffer.byteLength(byReason('Wide')[0].note) <= 1024, 'in bytes, not characters');
  await r.close();
});

t.test('one Event, two APIs: the simulator keeps Events once and serves them as core/v1 and events.k8s.io/v1', async (t) => {
  const rest = client.rest;
  const core = '/api/v1/namespaces/default/events';
  const group = '/apis/events.k8s.io/v1/namespaces/default/events';
  const regarding = {
    apiVersion: 'compass.kyma-project.io/v1alpha1',
    kind: 'CompassConnection',
    name: 'two-apis',
    uid: 'cc000000-0000-4000-8000-000000000002',
  };
  const involved = { apiVersion: 'v1', kind: 'Pod', name: 'p', namespace: 'default', uid: '0a0a0a0a-0000-4000-8000-000000000001' };
  const created = await rest.request<Record<string, any>>({
    method: 'POST',
    path: core,
    body: {
      metadata: { name: 'pod-p.1' },
      involvedObject: involved,
      reason: 'Pulled',
      message: 'image pulled',
      type: 'Normal',
      source: { component: 'kubelet' },
      count: 3,
    },
  });
  const seen = await rest.request<Record<string, any>>({ method: 'GET', path: `${group}/pod-p.1` });
  t.match(
    seen,
    {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      regarding: involved,
      note: 'image pulled',
      reason: 'Pulled',
      deprecatedSource: { component: 'kubelet' },
      deprecatedCount: 3,
    },
    'a core/v1 Event read through events.k8s.io/v1',
  );
  t.equal(seen.metadata.uid, created.metadata.uid);
  t.equal(seen.metadata.resourceVersion, created.metadata.resourceVersion, 'the same object: same uid and resourceVersion');

  const watched: Array<Record<string, any>> = [];
  const { Watch } = await import('@kubernetes/client-node');
  const watch = await new Watch(kubeConfig).watch(
    group,
    { resourceVersion: created.metadata.resourceVersion },
    (type, object) => watched.push({ type, object }),
    () => undefined,
  );
  const written = await rest.request<Record<string, any>>({
    method: 'POST',
    path: group,
    body: {
      metadata: { name: 'cc.2' },
      eventTime: '2026-06-01T10:00:00.000000Z',
      regarding,
      reason: 'Connected',
      action: 'Connect',
      note: 'hello',
      type: 'Normal',
      reportingController: 'example.com/two-apis',
      reportingInstance: 'i',
    },
  });
  await rest.request({
    method: 'PATCH',
    path: `${group}/cc.2`,
    body: { series: { count: 2, lastObservedTime: '2026-06-01T10:00:01.000000Z' } },
    contentType: 'application/merge-patch+json',
  });
  const asCore = await rest.request<Record<string, any>>({ method: 'GET', path: `${core}/cc.2` });
  t.match(
    asCore,
    {
      apiVersion: 'v1',
      involvedObject: regarding,
      message: 'hello',
      reportingComponent: 'example.com/two-apis',
      reportingInstance: 'i',
      action: 'Connect',
      series: { count: 2 },
      source: {},
      firstTimestamp: null,
    },
    'an events.k8s.io/v1 Event read through core/v1, series included',
  );
  t.equal(asCore.metadata.uid, written.metadata.uid);
  const fields = async (path: string, selector: string) =>
    (
      await rest.request<{ items: Array<{ metadata: { name: string } }> }>({ method: 'GET', path, query: { fieldSelector: selector } })
    ).items.map((e) => e.metadata.name);
  t.same(
    await fields(core, `involvedObject.uid=${regarding.uid},involvedObject.kind=CompassConnection,involvedObject.namespace=`),
    ['cc.2'],
    'core field labels (what kubectl describe sends)',
  );
  t.same(await fields(group, `regarding.name=p,reason=Pulled`), ['pod-p.1'], "events.k8s.io field labels map onto core's");
  t.same(await fields('/api/v1/events', 'reportingComponent=example.com/two-apis,source!=kubelet'), ['cc.2'], 'across namespaces');
  const refused = await rest.request({ method: 'GET', path: group, query: { fieldSelector: 'note=hello' } }).catch((e: unknown) => e);
  t.match(refused, { statusCode: 400, body: /field label not supported: note/ });
  await rest.request({ method: 'DELETE', path: `${core}/cc.2` });
  await new Promise((r) => setTimeout(r, 100));
  watch.abort();
  t.same(
    watched.map((e) => `${e.type} ${e.object.metadata.name} ${e.object.apiVersion}`),
    ['ADDED cc.2 events.k8s.io/v1', 'MODIFIED cc.2 events.k8s.io/v1', 'DELETED cc.2 events.k8s.io/v1'],
    'a watch through events.k8s.io/v1 sees every change, in its own shape',
  );
  t.equal(
    await rest.request({ method: 'GET', path: `${group}/cc.2` }).catch((e: { statusCode: number }) => e.statusCode),
    404,
    'deleted through one API, gone from the other',
  );
});
