// Leader election against the Kubernetes simulator, two electors in this process (each its own
// identity and client, as two replicas): the Lease holds client-go's record, a standby takes over
// not before the lease duration since the last renewal it saw and not much after, a release hands
// over at the next try, a leader that cannot renew stops writing before anyone could take over, and
// the fence refuses every write of a replica that does not lead. Times are measured from the
// simulator's request log where the test can (its clock is the server's).
import t, { type Test } from 'tap';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubeSim, type RequestLogEntry } from '../../sim/kube/index.js';
import { createKubeClient, isForbidden, KubeError, loadKubeConfig } from '../../adapters/kube/kube-client.js';
import { claimLease, firstRecord, microTime, recordOfLease, releasedRecord } from '../../adapters/kube/lease-record.js';
import { defaultIdentity, JITTER_FACTOR, LeaderElector } from '../../adapters/kube/leader-election.js';
import { loadConfig, ConfigError } from '../../src/config.js';

const LEASE = { namespace: 'kyma-system', name: 'compass-runtime-agent' };
const DURATIONS = { leaseDurationMs: 2_000, renewDeadlineMs: 1_200, retryPeriodMs: 300 };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, probe: () => T | undefined | false, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(20);
  }
}

interface Replica {
  id: string;
  elector: LeaderElector;
  /** Local times (ms) it started and stopped leading. */
  started: number[];
  stopped: Array<{ at: number; reason: string }>;
}

async function setup(t: Test) {
  const sim = await startKubeSim({ namespaces: ['default', 'kyma-system'] });
  t.teardown(() => sim.close());
  const dir = mkdtempSync(join(tmpdir(), 'lease-'));
  const { kubeConfig } = loadKubeConfig({ kubeconfigPath: await sim.writeKubeconfig(join(dir, 'kubeconfig')) });
  const replicas: Replica[] = [];
  const replica = (id: string, durations = DURATIONS): Replica => {
    const started: Replica['started'] = [];
    const stopped: Replica['stopped'] = [];
    const elector = new LeaderElector({
      client: createKubeClient(kubeConfig, { userAgent: `test (${id})`, timeoutMs: durations.renewDeadlineMs }),
      ...LEASE,
      identity: id,
      ...durations,
      onStartedLeading: () => started.push(Date.now()),
      onStoppedLeading: (reason) => {
        stopped.push({ at: Date.now(), reason });
      },
    });
    const r: Replica = { id, started, stopped, elector };
    replicas.push(r);
    t.teardown(() => r.elector.stop());
    return r;
  };
  const lease = () => sim.get('coordination.k8s.io/v1', 'Lease', LEASE.name, LEASE.namespace);
  /** Successful writes of the Lease by one replica, from the request log (server time). */
  const leaseWrites = (id: string): RequestLogEntry[] =>
    sim.requestLog.filter(
      (e) => e.resource === 'leases' && ['create', 'update'].includes(e.verb) && e.status < 300 && e.userAgent === `test (${id})`,
    );
  return { sim, kubeConfig, replica, lease, leaseWrites };
}

t.test("the record: client-go's rules for acquiring, renewing and releasing", async (t) => {
  const now = Date.parse('2026-01-01T00:00:00Z');
  t.equal(microTime(now), '2026-01-01T00:00:00.000000Z', 'MicroTime: six fractional digits');
  const first = firstRecord('a', 15, now);
  t.same(first, {
    holderIdentity: 'a',
    leaseDurationSeconds: 15,
    acquireTime: '2026-01-01T00:00:00.000000Z',
    renewTime: '2026-01-01T00:00:00.000000Z',
    leaseTransitions: 0,
  });
  const observed = { record: first, observedAt: now };
  t.match(
    claimLease(observed, 'b', 15, now + 14_999),
    { kind: 'held', holder: 'a', expiresAt: now + 15_000 },
    'a standby waits the lease duration by its own clock',
  );
  t.match(
    claimLease(observed, 'b', 15, now + 15_000),
    { kind: 'write', record: { holderIdentity: 'b', leaseTransitions: 1, acquireTime: microTime(now + 15_000) } },
    'then takes it, one more transition',
  );
  t.match(
    claimLease({ record: first, observedAt: now + 60_000 }, 'b', 15, now + 70_000),
    { kind: 'held' },
    'the times written in the record do not count, when it was seen does',
  );
  t.match(
    claimLease(observed, 'a', 15, now + 2_000),
    {
      kind: 'write',
      record: { holderIdentity: 'a', leaseTransitions: 0, acquireTime: first.acquireTime, renewTime: microTime(now + 2_000) },
    },
    'the holder renews: acquireTime and transitions stay',
  );
  const released = releasedRecord({ ...first, leaseTransitions: 3 }, now + 5_000);
  t.same(released, {
    holderIdentity: '',
    leaseDurationSeconds: 1,
    acquireTime: microTime(now + 5_000),
    renewTime: microTime(now + 5_000),
    leaseTransitions: 3,
  });
  t.match(
    claimLease({ record: released, observedAt: now + 5_000 }, 'b', 15, now + 5_001),
    { kind: 'write', record: { holderIdentity: 'b', leaseTransitions: 4 } },
    'nobody holds a released Lease: taken at once',
  );
  t.same(recordOfLease(undefined), {
    holderIdentity: '',
    leaseDurationSeconds: 0,
    acquireTime: null,
    renewTime: null,
    leaseTransitions: 0,
  });
  t.match(defaultIdentity(), /^[^_]+_[0-9a-f-]{36}$/, 'hostname_uuid, as controller-runtime builds it');
});

t.test("configuration: client-go's defaults, off by default, and its rules on the durations", async (t) => {
  const defaults = loadConfig({}).leaderElection;
  t.same(defaults, {
    enabled: false,
    namespace: 'kyma-system',
    name: 'compass-runtime-agent',
    leaseDurationMs: 15_000,
    renewDeadlineMs: 10_000,
    retryPeriodMs: 2_000,
  });
  t.equal(loadConfig({ APP_LEADER_ELECTION: 'true' }).leaderElection.enabled, true);
  t.throws(
    () => loadConfig({ APP_LEADER_ELECTION_RENEW_DEADLINE: '15s' }),
    ConfigError,
    'the renew deadline must be shorter than the lease',
  );
  t.throws(
    () => loadConfig({ APP_LEADER_ELECTION_RETRY_PERIOD: '9s' }),
    /APP_LEADER_ELECTION_RETRY_PERIOD/,
    'the jittered retry must fit in the renew deadline',
  );
  t.throws(() => loadConfig({ APP_LEADER_ELECTION_LEASE_DURATION: '1500ms' }), /whole seconds/);
  t.throws(() => loadConfig({ APP_LEADER_ELECTION_NAMESPACE: 'Not_A_Namespace' }), /APP_LEADER_ELECTION_NAMESPACE/);
  t.throws(() => loadConfig({ APP_LEADER_ELECTION_NAME: 'no/slashes' }), /APP_LEADER_ELECTION_NAME/);
});

t.test(
  'one leads, the other stands by; renewals keep acquireTime; a stopped leader is replaced after the lease duration, not before',
  async (t) => {
    const { sim, replica, lease, leaseWrites } = await setup(t);
    const a = replica('replica-a');
    a.elector.start();
    await until('a leads', () => a.elector.isLeader());
    const b = replica('replica-b');
    b.elector.start();
    await until('b reads the Lease', () => b.elector.observedLeader() === 'replica-a');
    t.equal(b.elector.isLeader(), false, 'b stands by');
    t.ok(b.elector.following(), 'b follows (it read the Lease recently)');
    const acquired = lease()!.spec;
    t.match(acquired, { holderIdentity: 'replica-a', leaseDurationSeconds: 2, leaseTransitions: 0 });
    t.match(acquired.acquireTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/, 'acquireTime is a MicroTime');
    await until('a renewed twice', () => leaseWrites('replica-a').length >= 3);
    const renewed = lease()!.spec;
    t.equal(renewed.acquireTime, acquired.acquireTime, 'acquireTime stays while a leads');
    t.not(renewed.renewTime, acquired.renewTime, 'renewTime moves');
    const gaps = leaseWrites('replica-a')
      .slice(1)
      .map((e, i) => Date.parse(e.at) - Date.parse(leaseWrites('replica-a')[i].at));
    t.ok(
      gaps.every((g) => g < DURATIONS.renewDeadlineMs),
      `a renews every retry period (${gaps.join(', ')} ms)`,
    );

    // a stops without releasing (a process that died): b must wait the whole lease duration.
    await a.elector.stop();
    const lastRenewal = Date.parse(leaseWrites('replica-a').at(-1)!.at);
    await until('b leads', () => b.elector.isLeader(), 15_000);
    const takeover = Date.parse(leaseWrites('replica-b')[0].at);
    const waited = takeover - lastRenewal;
    t.ok(
      waited >= DURATIONS.leaseDurationMs,
      `b took over ${waited} ms after a's last renewal: not before the lease duration (${DURATIONS.leaseDurationMs} ms)`,
    );
    const bound = DURATIONS.leaseDurationMs + 2 * (1 + JITTER_FACTOR) * DURATIONS.retryPeriodMs + 1_000;
    t.ok(waited <= bound, `and not much after (at most ${bound} ms: two jittered tries and slack)`);
    t.match(lease()!.spec, { holderIdentity: 'replica-b', leaseTransitions: 1 });
    t.not(lease()!.spec.acquireTime, acquired.acquireTime, 'a new acquireTime');
    t.same(
      a.stopped.map((s) => s.reason),
      ['the agent is shutting down'],
      'a stopped its work before stopping',
    );
    t.equal(sim.requestLog.filter((e) => e.resource === 'leases' && e.status >= 500).length, 0);
  },
);

t.test('a released Lease is taken over at the next try (client-go: no holder, one second)', async (t) => {
  const { replica, lease, leaseWrites } = await setup(t);
  const a = replica('replica-a');
  a.elector.start();
  await until('a leads', () => a.elector.isLeader());
  await a.elector.stop({ release: true });
  t.match(lease()!.spec, { holderIdentity: '', leaseDurationSeconds: 1, leaseTransitions: 0 }, 'released: no holder, one second');
  t.equal(a.stopped.length, 1, 'a stopped its work before releasing');

  const b = replica('replica-b');
  const c = replica('replica-c');
  b.elector.start();
  await until('b leads', () => b.elector.isLeader(), 5_000);
  t.match(
    lease()!.spec,
    { holderIdentity: 'replica-b', leaseDurationSeconds: 2, leaseTransitions: 1 },
    'taken at once, one more transition',
  );
  c.elector.start();
  await until('c reads the Lease', () => c.elector.observedLeader() === 'replica-b');
  await b.elector.stop({ release: true });
  const released = leaseWrites('replica-b').at(-1)!;
  await until('c leads', () => c.elector.isLeader(), 5_000);
  const waited = Date.parse(leaseWrites('replica-c')[0].at) - Date.parse(released.at);
  t.ok(
    waited <= (1 + JITTER_FACTOR) * DURATIONS.retryPeriodMs + 500,
    `c took over ${waited} ms after the release: at once (it watches the Lease), not after the lease duration`,
  );
  t.match(lease()!.spec, { holderIdentity: 'replica-c', leaseTransitions: 2 });
});

t.test('a leader that cannot renew stops writing within the renew deadline, before a standby could take over', async (t) => {
  const { sim, kubeConfig, replica, leaseWrites } = await setup(t);
  const a = replica('replica-a');
  a.elector.start();
  await until('a leads', () => a.elector.isLeader());
  const fenced = createKubeClient(kubeConfig, { guard: a.elector.guard, userAgent: 'test (replica-a fenced)' });
  const write = () =>
    fenced.core.createNamespacedSecret({ namespace: 'default', body: { metadata: { generateName: 'w-' }, stringData: { x: '1' } } });
  await write();
  t.pass('the leader writes');
  // From now on every Lease update fails: a cannot renew (nor could anyone take over).
  sim.faults.failNext({ verb: 'update', resource: 'leases', status: 500, times: 1_000_000, message: 'etcdserver: leader changed' });
  const failingFrom = Date.now();
  const lastRenewal = Date.parse(leaseWrites('replica-a').at(-1)!.at);
  await until('a stops leading', () => a.stopped.length > 0, 10_000);
  const stoppedAfter = a.stopped[0].at - lastRenewal;
  t.ok(
    stoppedAfter <= DURATIONS.renewDeadlineMs + 200,
    `a stopped ${stoppedAfter} ms after its last successful renewal (renew deadline ${DURATIONS.renewDeadlineMs} ms)`,
  );
  t.ok(stoppedAfter < DURATIONS.leaseDurationMs, 'before the lease duration, after which a standby could take over');
  t.match(a.stopped[0].reason, /could not be renewed within 1200 ms/);
  t.notOk(a.elector.isLeader());
  const refused = await write().catch((e: unknown) => e);
  t.ok(refused instanceof KubeError && refused.reason === 'NotLeader', 'a write is refused before it is sent');
  t.match((refused as Error).message, /was not sent: this replica does not hold the Lease kyma-system\/compass-runtime-agent/);
  t.notOk(isForbidden(refused));
  const sentWrites = sim.requestLog.filter((e) => e.userAgent === 'test (replica-a fenced)' && e.verb === 'create');
  t.equal(sentWrites.length, 1, 'only the write made while leading reached the API server');
  t.ok(Date.now() - failingFrom < DURATIONS.leaseDurationMs + 5_000);
  const read = await fenced.core.readNamespacedSecret({ namespace: 'default', name: 'x' }).catch((e: unknown) => e);
  t.match(read, { message: 'HTTP 404' }, 'reads are never fenced: this one reached the API server');

  // The API server recovers: a tries again as a candidate and leads again.
  sim.faults.clear();
  await until('a leads again', () => a.elector.isLeader(), 10_000);
  t.equal(a.started.length, 2, 'a second term');
  await write();
  t.pass('and writes again');
});

t.test('the fence is closed for a replica that never led', async (t) => {
  const { kubeConfig, replica } = await setup(t);
  const a = replica('replica-a');
  const fenced = createKubeClient(kubeConfig, { guard: a.elector.guard });
  const refused = await fenced.core
    .createNamespacedSecret({ namespace: 'default', body: { metadata: { name: 'no' } } })
    .catch((e: unknown) => e);
  t.match(refused, { reason: 'NotLeader' });
  t.notOk(a.elector.following(), 'it never read the Lease');
  await a.elector.stop({ release: true });
  t.pass('stopping an elector that never started is harmless');
});
