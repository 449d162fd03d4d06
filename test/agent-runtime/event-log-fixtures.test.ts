// Event logs recorded from real runs of the agent against the simulators (test/fixtures/eventlogs/,
// recorded by test/helpers/record-event-log-fixtures.ts): each replays with this machine, the state,
// the projected status and the requested effects of every event, tells the story it was recorded
// for, and holds no secret. A machine that schedules another backoff, stops advancing lastSuccess or
// renews at another time fails replay of them, naming the event. A version 1 log still replays.
import t, { type Test } from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assign } from 'xstate';
import { agentMachine, type AgentSnapshot, type FailureReport } from '../../machines/agent-machine.js';
import type { ConnectionChecked, EffectFailure, SyncOutcome } from '../../machines/agent-events.js';
import { recordConnectionChecked, recordFailure } from '../../machines/agent-reducers.js';
import { iso, ms } from '../../machines/timing.js';
import { CHECKPOINT_EVENT_TYPE, EventLogFormatError, parseEventLog, type EventLogEntry } from '../../src/event-log.js';
import { replayEventLog, type ReplayReport } from '../../src/event-replay.js';
import { run as replayCommand } from '../../src/commands/replay.js';
import { FAKE_PKCS8_PRIVATE_KEY_PEM } from '../fixtures/fake-pem.js';
import { FIXTURE_DIR, FIXTURE_SCENARIOS, fixturePath, secretScan } from '../helpers/event-log-fixtures.js';

const LEGACY = join(FIXTURE_DIR, 'legacy-v1-lifecycle.jsonl');
const read = (name: string) => readFileSync(fixturePath(name), 'utf8');
const entriesOf = (text: string) => parseEventLog(text).entries;
const types = (entries: EventLogEntry[]) => entries.map((e) => e.event.type);
const count = (entries: EventLogEntry[], type: string) => entries.filter((e) => e.event.type === type).length;
const output = (e: EventLogEntry): Partial<SyncOutcome> => e.event.output ?? {};
const error = (e: EventLogEntry): Partial<EffectFailure> => e.event.error ?? {};
/** Where the machine ended: its state, and in Idle the last synchronization result its context holds. */
const where = (s: AgentSnapshot | null) =>
  s?.matches({ Certified: { Connected: 'Idle' } }) ? `Idle/${s.context.lastSyncResult ?? 'none'}` : JSON.stringify(s?.value ?? null);
const visited = (report: ReplayReport) => new Set(report.states.map((s) => JSON.stringify(s)));

async function command(args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await replayCommand(
    args,
    (s) => (stdout += s),
    (s) => (stderr += s),
  );
  return { code, stdout, stderr };
}

/** That the run told its story: what each scenario must show beyond replaying. */
const STORIES: Record<string, (t: Test, entries: EventLogEntry[], report: ReplayReport) => void> = {
  'first-connection': (t, entries, report) => {
    t.equal(count(entries, 'xstate.done.actor.establishConnection'), 1, 'one connection with the token');
    t.ok(
      entries.filter((e) => e.event.type === 'xstate.done.actor.synchronize' && output(e).result === 'Synchronized').length >= 3,
      'three synchronizations',
    );
    t.equal(where(report.final), 'Idle/Synchronized');
  },
  renewal: (t, entries, report) => {
    t.ok(count(entries, 'xstate.done.actor.renewCertificate') >= 1, 'a renewal');
    t.equal(count(entries, 'xstate.done.actor.establishConnection'), 1, 'no second token exchange');
    t.match(report.final?.context.renewalReason, /^(below-threshold|expires-before-next-sync)$/, 'renewed by the threshold');
    t.ok(visited(report).has('{"Certified":"Renewing"}'));
    t.equal(where(report.final), 'Idle/Synchronized');
  },
  'maintenance-failure-and-recovery': (t, entries, report) => {
    const failures = entries.filter((e) => e.event.type === 'xstate.error.actor.checkConnection');
    t.ok(failures.length >= 1, `${failures.length} failed maintenance attempt(s)`);
    t.notOk(
      failures.some((e) => error(e).kind === 'rejected'),
      'a 503 is not a refusal of the certificate',
    );
    const lastFailure = entries.indexOf(failures.at(-1)!);
    t.ok(
      entries.slice(lastFailure).some((e) => e.event.type === 'xstate.done.actor.checkConnection'),
      'a successful maintenance after the failures',
    );
    t.ok(visited(report).has('{"Certified":"MaintenanceFailed"}'));
    t.equal(count(entries, 'xstate.done.actor.establishConnection'), 1, 'the same certificate throughout');
    t.equal(where(report.final), 'Idle/Synchronized');
  },
  'cr-deletion': (t, entries, report) => {
    const deleted = entries.findIndex(
      (e, i) => e.event.type === 'CONNECTION_CR_DELETED' && i > types(entries).indexOf('xstate.done.actor.establishConnection'),
    );
    t.ok(deleted > 0, 'the CR deleted while connected');
    t.ok(
      entries.slice(deleted).some((e) => e.event.type === 'xstate.error.actor.establishConnection'),
      'the used token refused after it',
    );
    t.equal(count(entries, 'xstate.done.actor.establishConnection'), 2, 'then a connection with the fresh token');
    t.equal(where(report.final), 'Idle/Synchronized');
  },
  'token-fallback-after-revocation': (t, entries, report) => {
    const refusals = entries.filter((e) => e.event.type === 'xstate.error.actor.checkConnection' && error(e).kind === 'rejected');
    t.ok(refusals.length >= 2, 'Compass refused the revoked certificate, and again on the retry');
    const firstRefusal = entries.indexOf(refusals[0]);
    const reconnect = entries.findIndex((e, i) => i > firstRefusal && e.event.type === 'xstate.done.actor.establishConnection');
    t.notOk(
      entries.slice(firstRefusal, reconnect).some((e) => e.event.type === 'xstate.error.actor.establishConnection'),
      'no token spent until a fresh one arrived',
    );
    t.equal(count(entries, 'xstate.done.actor.establishConnection'), 2, 'the fresh token connected');
    t.equal(where(report.final), 'Idle/Synchronized');
  },
  'synchronization-failure': (t, entries, report) => {
    t.ok(
      entries.some((e) => e.event.type === 'xstate.done.actor.synchronize' && output(e).result === 'SynchronizationFailed'),
      'a failed synchronization',
    );
    t.notOk(visited(report).has('{"Certified":"MaintenanceFailed"}'), 'the connection stayed healthy');
    t.equal(where(report.final), 'Idle/Synchronized');
  },
};

for (const scenario of FIXTURE_SCENARIOS) {
  t.test(`${scenario.name}: replays (state, status, effects), tells its story, holds no secret`, async (t) => {
    const text = read(scenario.name);
    const report = replayEventLog(text);
    t.equal(report.divergence, null, 'no divergence');
    t.same(report.refused, [], 'nothing refused');
    t.equal(report.reproduced, report.events, `${report.events} events reproduced`);
    t.same(
      report.segments.map((s) => [s.startsWith, s.compares]),
      [['start', ['state', 'status', 'effects']]],
      'one agent start; states, status and effects compared',
    );
    t.ok(Buffer.byteLength(text) < 64 * 1024, `small (${Buffer.byteLength(text)} bytes)`);
    const entries = entriesOf(text);
    t.ok(
      entries.some((e) => e.effects?.some((r) => 'wake' in r)),
      'wake-ups recorded',
    );
    t.ok(
      entries.some((e) => typeof e.status === 'string'),
      'statuses recorded',
    );
    t.notMatch(JSON.stringify(entries[0].event), /\[REDACTED\]/, 'the machine input is recorded whole (replay starts from the same one)');
    t.same(secretScan(text), [], 'no PEM, token, key or secret-named value');
    STORIES[scenario.name](t, entries, report);
  });
}

t.test('every fixture is covered by a story', async (t) => {
  t.same(Object.keys(STORIES).sort(), FIXTURE_SCENARIOS.map((s) => s.name).sort());
});

t.test('the secret scan finds what it looks for', async (t) => {
  const entry = (event: object) => JSON.stringify({ seq: 1, at: 'T', event, state: 'Starting', status: null });
  t.match(secretScan(entry({ type: 'X', note: FAKE_PKCS8_PRIVATE_KEY_PEM }))[0], 'secret-shaped');
  t.match(secretScan(entry({ type: 'X', token: 'abc' })), [/secret-named key/]);
  t.match(secretScan(entry({ type: 'X', note: `token ${'A1b2-C3d4_'.repeat(8)}` })), [/secret-shaped/]);
  t.match(secretScan(entry({ type: 'X', note: 'short-token-1' }), ['short-token-1']), [/of the recorded run/]);
  t.same(secretScan(entry({ type: 'X', note: 'Failed to authenticate with one time token [REDACTED]' })), []);
});

// A machine changed in a way replay must notice: the same fixture, another behaviour, the event named.
t.test('a machine that backs off differently fails replay at the first failure', async (t) => {
  const slower = agentMachine.provide({
    actions: {
      recordFailure: assign(({ context }, report: FailureReport) => {
        const change = recordFailure(context, report);
        const wake = change.wake ? { ...change.wake, at: iso(ms(change.wake.at) + 100) } : null;
        return { ...change, wake, nextCycleAt: wake?.at ?? null };
      }),
    },
  });
  const text = read('maintenance-failure-and-recovery');
  const report = replayEventLog(text, slower);
  const firstFailure = entriesOf(text).find((e) => e.event.type === 'xstate.error.actor.checkConnection')!;
  t.match(
    report.divergence,
    { seq: firstFailure.seq, eventType: 'xstate.error.actor.checkConnection', aspect: 'effects' },
    'the requested wake-up differs',
  );
});

t.test('a machine whose lastSuccess no longer advances fails replay at the first maintenance after the connection', async (t) => {
  const stuck = agentMachine.provide({
    actions: {
      recordConnectionChecked: assign(({ context }, out: ConnectionChecked) => {
        const change = recordConnectionChecked(context, out);
        return { ...change, connection: { ...change.connection, lastSuccess: context.connection?.lastSuccess } };
      }),
    },
  });
  const text = read('first-connection');
  const report = replayEventLog(text, stuck);
  const firstCheck = entriesOf(text).find((e) => e.event.type === 'xstate.done.actor.checkConnection')!;
  t.match(
    report.divergence,
    { seq: firstCheck.seq, eventType: 'xstate.done.actor.checkConnection', aspect: 'status' },
    'the same state, another status',
  );
  t.match(report.divergence?.replayedStatus?.status.connectionStatus.lastSuccess, /Z$/, 'the status replay projected is shown');
});

t.test('a machine that renews at another time fails replay where the recorded one started renewing', async (t) => {
  const never = agentMachine.provide({ guards: { renewalNeeded: () => false } });
  const text = read('renewal');
  const report = replayEventLog(text, never);
  const renewing = entriesOf(text).find((e) => JSON.stringify(e.state) === '{"Certified":"Renewing"}')!;
  t.match(report.divergence, {
    seq: renewing.seq,
    eventType: 'xstate.done.actor.checkConnection',
    aspect: 'state',
    recorded: { Certified: 'Renewing' },
  });
});

t.test('a tampered recording fails replay too: a synchronization result changes the status, not the state', async (t) => {
  const lines = read('first-connection').trimEnd().split('\n');
  const index = lines.findIndex((l) => l.includes('"type":"xstate.done.actor.synchronize"'));
  const entry = JSON.parse(lines[index]);
  entry.event.output.result = 'MetadataUpdateFailed';
  entry.event.output.error = 'label mutation failed';
  lines[index] = JSON.stringify(entry);
  const file = join(mkdtempSync(join(tmpdir(), 'fixture-')), 'tampered.jsonl');
  writeFileSync(file, lines.join('\n') + '\n');
  const report = replayEventLog(readFileSync(file, 'utf8'));
  t.match(
    report.divergence,
    { seq: entry.seq, eventType: 'xstate.done.actor.synchronize', aspect: 'status' },
    'Idle either way: the status says it',
  );
  const out = await command([file]);
  t.equal(out.code, 1);
  t.match(out.stdout, `diverges at seq ${entry.seq} (xstate.done.actor.synchronize): the projected CompassConnection differs`);
  t.match(out.stdout, /replayed status digest: "[0-9a-f]{16}", of: \{.*"connectionState":"MetadataUpdateFailed"/);
});

t.test('a log without its header, or whose start was dropped, is refused', async (t) => {
  const lines = read('first-connection').trimEnd().split('\n');
  const dir = mkdtempSync(join(tmpdir(), 'fixture-'));
  t.throws(() => replayEventLog(lines.slice(1).join('\n')), EventLogFormatError, 'no header');
  t.throws(() => replayEventLog(lines.slice(1).join('\n')), /line 1 is not an event log header/);
  const headless = join(dir, 'headless.jsonl');
  writeFileSync(headless, lines.slice(1).join('\n') + '\n');
  const noHeader = await command([headless]);
  t.equal(noHeader.code, 2);
  t.match(noHeader.stderr, 'is not a usable event log: line 1 is not an event log header');

  const cut = join(dir, 'cut.jsonl');
  writeFileSync(cut, [lines[0], ...lines.slice(5)].join('\n') + '\n');
  const report = replayEventLog(readFileSync(cut, 'utf8'));
  t.equal(report.refused.length, 1);
  t.match(report.refused[0].refused, /neither with an agent start nor with a checkpoint: its beginning was dropped/);
  const refused = await command([cut]);
  t.equal(refused.code, 2);
  t.match(refused.stderr, /segment 1 of .* cannot be replayed: it begins at seq 4/);
});

t.test('a version 1 log still replays, its states as this machine names them; a checkpoint of machine 1 is refused', async (t) => {
  const text = readFileSync(LEGACY, 'utf8');
  t.match(text.split('\n')[0], '"version":1,"machine":"runtime-agent@1"');
  const report = replayEventLog(text);
  t.equal(report.divergence, null, 'reproduces');
  t.same(
    report.segments.map((s) => s.compares),
    [['state']],
    'states only: version 1 recorded no status or effects',
  );
  t.ok(visited(report).has('{"Certified":"MaintenanceFailed"}') && visited(report).has('"Unconnected"'));
  const out = await command([LEGACY]);
  t.equal(out.code, 0);
  t.match(out.stdout, 'states only: the log records no status or effects');
  t.match(out.stdout, '(recorded by runtime-agent@1, replayed with runtime-agent@2)');

  // A recorded state of machine 1 that this one does not reach is still a divergence.
  const lines = text.trimEnd().split('\n');
  const index = lines.findIndex((l) => l.includes('xstate.error.actor.checkConnection'));
  const entry = JSON.parse(lines[index]);
  entry.state = { Connected: 'Synchronized' };
  lines[index] = JSON.stringify(entry);
  t.match(replayEventLog(lines.join('\n')).divergence, {
    seq: entry.seq,
    aspect: 'state',
    recorded: { Certified: { Connected: 'Idle' } },
    replayed: { Certified: 'MaintenanceFailed' },
  });

  const checkpoint = [
    '{"kind":"runtime-agent-event-log","version":2,"machine":"runtime-agent@1"}',
    JSON.stringify({
      seq: 7,
      at: '2026-01-01T00:00:00.000Z',
      event: { type: CHECKPOINT_EVENT_TYPE, snapshot: { value: { Connected: 'Synchronized' }, context: {} } },
      state: { Connected: 'Synchronized' },
    }),
  ].join('\n');
  const refused = replayEventLog(checkpoint);
  t.match(
    refused.refused[0]?.refused,
    /begins with a checkpoint of runtime-agent@1, whose context this build \(runtime-agent@2\) does not read/,
  );
});
