// What /debug says about the agent (src/agent/debug-view.ts): the renewal time is the machine's own
// rule, the last error outlives the recovery, the last synchronization is the latest outcome.
import t from 'tap';
import { renewalReason } from '../../machines/timing.js';
import { buildDebugView, DebugMemory, renewalDueAt, synchronizationOf, type DebugSnapshot } from '../../src/agent/debug-view.js';
import type { EventLogEntry } from '../../src/event-log.js';

const entry = (seq: number, event: EventLogEntry['event'], at = `2026-11-30T10:00:${String(seq).padStart(2, '0')}Z`): EventLogEntry => ({
  seq,
  at,
  event,
  state: 'Starting',
});

t.test("the renewal is due exactly when the machine's renewal rule starts to hold", async (t) => {
  const cases = [
    {
      name: 'the threshold decides (less than 30 % of 10,000 s left)',
      validity: { notBefore: '2026-11-30T00:00:00Z', notAfter: '2026-11-30T02:46:40Z' },
      timing: { renewalThreshold: 0.3, minimalSyncTimeMs: 10_000 },
      expected: '2026-11-30T01:56:41.000Z',
    },
    {
      name: 'twice the minimal sync time decides (a short certificate)',
      validity: { notBefore: '2026-11-30T00:00:00Z', notAfter: '2026-11-30T00:01:00Z' },
      timing: { renewalThreshold: 0.3, minimalSyncTimeMs: 20_000 },
      expected: '2026-11-30T00:00:21.000Z',
    },
  ];
  for (const c of cases) {
    const due = renewalDueAt(c.validity, c.timing);
    t.equal(due, c.expected, c.name);
    const rule = (now: number) =>
      renewalReason({
        certificate: c.validity,
        now: new Date(now).toISOString(),
        ...c.timing,
        refreshRequested: false,
        credentialsExist: true,
      });
    t.ok(rule(Date.parse(due!)), 'the rule holds at that time');
    t.equal(rule(Date.parse(due!) - 1000), null, 'and not a second before');
  }
  t.equal(
    renewalDueAt(
      { notBefore: '2026-11-30T00:00:00Z', notAfter: '2026-11-30T00:00:10Z' },
      { renewalThreshold: 0.3, minimalSyncTimeMs: 10_000 },
    ),
    '2026-11-30T00:00:00.000Z',
    'a certificate shorter than two sync times is due from its start',
  );
  t.equal(
    renewalDueAt({ notBefore: 'garbage', notAfter: '2026-11-30T00:00:10Z' }, { renewalThreshold: 0.3, minimalSyncTimeMs: 10_000 }),
    null,
    'dates that do not parse give no time',
  );
});

t.test('the last error stays after the agent recovered; the newest one wins', async (t) => {
  const memory = new DebugMemory();
  const failure = { kind: 'unreachable', message: 'connect ECONNREFUSED 10.0.0.1:443', at: '2026-11-30T10:00:01Z' };
  memory.observe(entry(1, { type: 'xstate.error.actor.establishConnection', error: failure }), { lastError: failure });
  t.same(memory.lastError, {
    at: failure.at,
    event: 'xstate.error.actor.establishConnection',
    kind: 'unreachable',
    message: failure.message,
  });
  memory.observe(entry(2, { type: 'WAKE', at: '2026-11-30T10:00:02Z' }), { lastError: failure });
  t.equal(memory.lastError?.event, 'xstate.error.actor.establishConnection', 'the same failure seen again is not a new error');
  memory.observe(entry(3, { type: 'xstate.done.actor.establishConnection' }), { lastError: null });
  t.equal(memory.lastError?.message, failure.message, 'kept after the machine forgot it');

  const outcome = {
    at: '2026-11-30T10:00:04Z',
    result: 'ResourceApplicationFailed',
    error: 'applications "orders": 422 Invalid',
    summary: { created: 1, updated: 0, deleted: 0, unchanged: 3, failed: 1 },
  };
  memory.observe(entry(4, { type: 'xstate.done.actor.synchronize', output: outcome }), { lastError: null });
  t.same(
    memory.lastError,
    { at: outcome.at, event: 'xstate.done.actor.synchronize', kind: 'ResourceApplicationFailed', message: outcome.error },
    'a failed synchronization is an error too',
  );
  t.same(memory.lastSynchronization, {
    at: outcome.at,
    result: 'ResourceApplicationFailed',
    error: outcome.error,
    summary: outcome.summary,
  });

  const ok = { at: '2026-11-30T10:00:05Z', result: 'Synchronized', summary: { created: 1, updated: 0, deleted: 0, unchanged: 4 } };
  memory.observe(entry(5, { type: 'xstate.done.actor.synchronize', output: ok }), { lastError: null });
  t.same(
    memory.lastSynchronization,
    { at: ok.at, result: 'Synchronized', error: null, summary: { created: 1, updated: 0, deleted: 0, unchanged: 4, failed: 0 } },
    'the latest synchronization, missing counts as 0',
  );
  t.equal(memory.lastError?.at, outcome.at, 'a successful one leaves the last error as it was');
});

t.test('a synchronization that threw counts as failed, without counts', async (t) => {
  const error = { kind: 'internal', message: 'unexpected failure: boom', at: '2026-11-30T10:00:06Z' };
  t.same(synchronizationOf(entry(6, { type: 'xstate.error.actor.synchronize', error })), {
    at: error.at,
    result: 'SynchronizationFailed',
    error: error.message,
    summary: null,
  });
  t.equal(synchronizationOf(entry(7, { type: 'WAKE' })), null, 'other events end no synchronization');
});

t.test('the view: state, certificate with renewal time, next cycle and the latest events', async (t) => {
  const memory = new DebugMemory();
  const entries = Array.from({ length: 60 }, (_, i) => entry(i, { type: 'WAKE' }));
  const snapshot: DebugSnapshot = {
    value: { Certified: { Connected: 'Idle' } },
    status: 'active',
    context: {
      connectionState: 'Synchronized',
      certificate: { notBefore: '2026-11-30T00:00:00Z', notAfter: '2026-11-30T02:46:40Z', acquired: '2026-11-30T00:00:01Z' },
      certificateRejected: false,
      nextCycleAt: '2026-11-30T10:01:00.000Z',
    },
  };
  const view = buildDebugView({
    snapshot,
    memory,
    entries,
    timing: { renewalThreshold: 0.3, minimalSyncTimeMs: 10_000 },
    leaderElection: { enabled: false },
  });
  t.same(view.state, { Certified: { Connected: 'Idle' } });
  t.equal(view.connectionState, 'Synchronized');
  t.same(view.certificateValidity, {
    notBefore: '2026-11-30T00:00:00Z',
    notAfter: '2026-11-30T02:46:40Z',
    acquired: '2026-11-30T00:00:01Z',
    renewalDueAt: '2026-11-30T01:56:41.000Z',
    rejected: false,
  });
  t.equal(view.nextCycleAt, '2026-11-30T10:01:00.000Z');
  t.same(
    view.recentEvents.map((e) => e.seq),
    entries.slice(-50).map((e) => e.seq),
    'the 50 latest events',
  );
  const empty = buildDebugView({
    snapshot: undefined,
    memory,
    entries: [],
    timing: { renewalThreshold: 0.3, minimalSyncTimeMs: 10_000 },
    leaderElection: { enabled: false },
  });
  t.same(
    { state: empty.state, certificate: empty.certificateValidity, next: empty.nextCycleAt },
    { state: null, certificate: null, next: null },
    'a standby that never led has no state yet',
  );
});
