// APP_EVENT_LOG_FILE across restarts: each run appends a segment with its own header to the file the
// previous run left (0600, still rotated by size); replay replays segment by segment, skips a torn last
// line (what a crash leaves) with a warning, and reports a gap in seq.
import t from 'tap';
import { appendFileSync, chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../adapters/clock/clock.js';
import { createAgentRuntime } from '../../src/agent/runtime.js';
import { createEventLog, EVENT_LOG_KIND, EventLogFileError, parseEventLog, rotatedFileName } from '../../src/event-log.js';
import { replayEventLog } from '../../src/event-replay.js';
import { run as replay } from '../../src/commands/replay.js';
import { MANAGEMENT, RecordingWriter, ScriptedEffects, flush, scriptedSources, validity } from './scripted-effects.js';

const TIMING = { syncPeriodMs: 20_000, minimalSyncTimeMs: 10_000, renewalThreshold: 0.3, retryBaseMs: 5_000, retryCapMs: 60_000 };
const mode = (path: string) => statSync(path).mode & 0o777;

/** One agent run against scripted effects, writing to `file`: connects, synchronizes `cycles` times, stops. */
async function agentRun(file: string, cycles: number, maxBytes?: number) {
  const clock = new ManualClock('2026-01-01T00:00:00Z');
  const effects = new ScriptedEffects(clock);
  const { sources, config$ } = scriptedSources();
  const eventLog = createEventLog({ file, maxBytes });
  const runtime = createAgentRuntime({
    effects,
    sources,
    writer: new RecordingWriter(),
    clock,
    eventLog,
    config: { timing: TIMING },
    random: () => 0.5,
  });
  const ok = (_: unknown, at: string) => ({
    at,
    result: 'Synchronized' as const,
    summary: { created: 0, updated: 0, deleted: 0, failed: 0, unchanged: 1 },
  });
  effects
    .on('loadState', (_, at) => ({
      at,
      cr: null,
      credentialsSecrets: { clientCertificateSecret: 'missing', caCertificateSecret: 'missing' },
      managementInfo: null,
    }))
    .on('establishConnection', (_, at) => ({
      at,
      certificateValidity: validity(clock.now(), 90),
      managementInfo: MANAGEMENT,
      tokenFingerprint: 'fp-1',
    }))
    .on('synchronize', ok);
  runtime.start();
  config$.next({ present: true, tokenFingerprint: 'fp-1', connectorUrl: 'https://connector.test/graphql' });
  await flush();
  for (let cycle = 0; cycle < cycles; cycle++) {
    effects.on('checkConnection', (_, at) => ({ at, managementInfo: MANAGEMENT, credentialsExist: true })).on('synchronize', ok);
    clock.advance(21_000);
    await flush();
  }
  const state = runtime.getSnapshot().value;
  await runtime.stop();
  eventLog.close?.();
  return { state, entries: eventLog.entries() };
}

async function replayCommand(file: string) {
  let stdout = '';
  let stderr = '';
  const code = await replay(
    [file],
    (s) => (stdout += s),
    (s) => (stderr += s),
  );
  return { code, stdout, stderr };
}

t.test('a restart appends a segment with its own header to the file the previous run left; replay replays each', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'event-log-')), 'events.jsonl');
  const first = await agentRun(file, 2);
  const afterFirst = readFileSync(file, 'utf8');
  chmodSync(file, 0o644);
  const second = await agentRun(file, 3);
  const text = readFileSync(file, 'utf8');
  t.ok(text.startsWith(afterFirst), 'the first run is kept as it was: the second appended');
  t.notOk(existsSync(rotatedFileName(file)), 'nothing was moved aside');
  t.equal(mode(file), 0o600, 'the file is 0600 again');

  const parsed = parseEventLog(text);
  t.equal(parsed.segments.length, 2, 'two segments');
  for (const [i, segment] of parsed.segments.entries()) {
    t.equal(segment.header.kind, EVENT_LOG_KIND, `segment ${i + 1} starts with its own header`);
    t.equal(segment.entries[0].event.type, 'xstate.init', `segment ${i + 1} starts with the machine's start`);
    t.same(
      segment.entries.map((e) => e.seq),
      segment.entries.map((_, n) => n),
      `segment ${i + 1} is numbered from 0 without gaps`,
    );
  }
  t.equal(parsed.segments[0].entries.length, first.entries.length, 'segment 1 holds the first run');
  t.equal(parsed.segments[1].entries.length, second.entries.length, 'segment 2 holds the second run');
  t.same(parsed.warnings, []);

  const report = replayEventLog(text);
  t.equal(report.divergence, null, 'both segments reproduce');
  t.equal(report.segments.length, 2);
  t.same(
    report.segments.map((s) => s.startsWith),
    ['start', 'start'],
  );
  t.equal(report.events, first.entries.length + second.entries.length);
  t.same(report.segments[0].final?.value, first.state, 'segment 1 ends where the first run ended');
  t.same(report.final?.value, second.state, 'the last segment ends where the second run ended');

  const command = await replayCommand(file);
  t.equal(command.code, 0, command.stdout + command.stderr);
  t.match(command.stdout, `reproduces: ${report.events} events in 2 segments`);
  t.match(command.stdout, /segment 1, lines 1-\d+, begins with an agent start: reproduces \d+ events/);
  t.match(command.stdout, /segment 2, lines \d+-\d+, begins with an agent start: reproduces \d+ events/);
  t.equal(command.stderr, '', 'no warning');
});

t.test('a torn last line (a crash while writing): the next run starts on a new line, replay skips it with a warning', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'event-log-')), 'events.jsonl');
  await agentRun(file, 1);
  const torn = '{"seq":41,"at":"2026-01-01T00:01:03.000Z","event":{"type":"WA';
  appendFileSync(file, torn);

  const crashed = await replayCommand(file);
  t.equal(crashed.code, 0, 'the file as the crash left it replays');
  t.match(
    crashed.stderr,
    /replay: warning: line \d+ is not JSON: the last line of segment 1 was torn \(the agent stopped while writing it\); it is skipped/,
  );

  await agentRun(file, 1);
  const text = readFileSync(file, 'utf8');
  t.match(text, `${torn}\n{"kind":"${EVENT_LOG_KIND}"`, 'the torn line was ended, the new header has a line of its own');
  const command = await replayCommand(file);
  t.equal(command.code, 0, command.stdout + command.stderr);
  t.match(command.stdout, /in 2 segments/);
  t.match(command.stderr, /the last line of segment 1 was torn/);
  t.match(command.stdout, '1 warning(s) on stderr');

  const middle = join(mkdtempSync(join(tmpdir(), 'event-log-')), 'broken.jsonl');
  const lines = text.split('\n');
  lines.splice(2, 0, '{"seq":');
  writeFileSync(middle, lines.join('\n'));
  const broken = await replayCommand(middle);
  t.equal(broken.code, 2, 'a line that is not JSON inside a segment is not a torn last line: the file is unusable');
  t.match(broken.stderr, 'line 3 of the event log is not JSON');
});

t.test('a gap in seq is reported with the segment, the line and the number of missing events', async (t) => {
  const file = join(mkdtempSync(join(tmpdir(), 'event-log-')), 'events.jsonl');
  await agentRun(file, 1);
  await agentRun(file, 2);
  const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
  const secondHeader = lines.findIndex((l, i) => i > 0 && l.includes(`"kind":"${EVENT_LOG_KIND}"`));
  // Two entries from the middle of the second segment are lost.
  const removed = lines.splice(secondHeader + 5, 2).map((l) => JSON.parse(l).seq as number);
  const gapped = join(mkdtempSync(join(tmpdir(), 'event-log-')), 'gapped.jsonl');
  writeFileSync(gapped, lines.join('\n') + '\n');
  const { warnings } = parseEventLog(lines.join('\n'));
  t.same(warnings, [
    `segment 2: seq jumps from ${removed[0] - 1} to ${removed[1] + 1} at line ${secondHeader + 6}: 2 event(s) missing, so the replay after it may diverge`,
  ]);
  const command = await replayCommand(gapped);
  t.match(command.stderr, `replay: warning: segment 2: seq jumps from ${removed[0] - 1} to ${removed[1] + 1}`);
  t.ok(command.code === 0 || command.code === 1, `replay still runs (exit ${command.code})`);
});

t.test(
  'size rotation goes on: a file already past the limit at start becomes FILE.1, a run past it rotates with a checkpoint',
  async (t) => {
    const file = join(mkdtempSync(join(tmpdir(), 'event-log-')), 'events.jsonl');
    await agentRun(file, 3);
    const big = readFileSync(file, 'utf8');
    const maxBytes = Buffer.byteLength(big) - 10;
    await agentRun(file, 1, maxBytes);
    t.equal(readFileSync(rotatedFileName(file), 'utf8'), big, 'the file over the limit was moved aside whole');
    t.equal(mode(rotatedFileName(file)), 0o600);
    const parsed = parseEventLog(readFileSync(file, 'utf8'));
    t.equal(parsed.segments.length, 1, 'FILE holds the new run alone');
    t.equal(parsed.entries[0].event.type, 'xstate.init');

    const small = join(mkdtempSync(join(tmpdir(), 'event-log-')), 'events.jsonl');
    await agentRun(small, 1);
    await agentRun(small, 8, 2_500);
    const current = parseEventLog(readFileSync(small, 'utf8'));
    t.equal(
      current.segments[0].entries[0].event.type,
      'runtime-agent.checkpoint',
      'after a rotation in the middle of a run FILE starts with a checkpoint',
    );
    t.equal(replayEventLog(readFileSync(small, 'utf8')).divergence, null, 'and replays on its own');
    t.equal(replayEventLog(readFileSync(rotatedFileName(small), 'utf8')).divergence, null, 'so does FILE.1');
  },
);

t.test('a file that cannot be opened is an EventLogFileError naming the file and the system error', async (t) => {
  const missingDir = join(mkdtempSync(join(tmpdir(), 'event-log-')), 'no-such-dir', 'events.jsonl');
  const error = t.throws(() => createEventLog({ file: missingDir })) as EventLogFileError;
  t.type(error, EventLogFileError);
  t.equal(error.code, 'ENOENT');
  t.equal(error.file, missingDir);
  t.match(error.message, `the event log file ${missingDir} cannot be opened for appending (ENOENT`);
});
