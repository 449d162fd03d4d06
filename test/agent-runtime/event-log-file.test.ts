// The event log file (APP_EVENT_LOG_FILE): 0600 whatever existed before, a file that is not an event
// log kept as FILE.1 (a previous run's event log is appended to: event-log-segments.test.ts), rotation
// at the configured size, and the current file replays on its own after a rotation.
import t from 'tap';
import { chmodSync, existsSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../adapters/clock/clock.js';
import { createAgentRuntime } from '../../src/agent/runtime.js';
import { CHECKPOINT_EVENT_TYPE, createEventLog, parseEventLog, rotatedFileName } from '../../src/event-log.js';
import { replayEventLog } from '../../src/event-replay.js';
import { MANAGEMENT, RecordingWriter, ScriptedEffects, flush, scriptedSources, validity } from './scripted-effects.js';

const TIMING = { syncPeriodMs: 20_000, minimalSyncTimeMs: 10_000, renewalThreshold: 0.3, retryBaseMs: 5_000, retryCapMs: 60_000 };
const mode = (path: string) => statSync(path).mode & 0o777;

t.test('an existing world-readable file that is not an event log: kept as FILE.1, both end up 0600', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'event-log-'));
  const file = join(dir, 'events.jsonl');
  writeFileSync(file, 'previous run\n', { mode: 0o644 });
  chmodSync(file, 0o644);
  t.equal(mode(file), 0o644, 'precondition: 0644');
  const log = createEventLog({ file });
  t.teardown(() => log.close?.());
  t.equal(mode(file), 0o600, 'the current file is 0600');
  t.equal(mode(rotatedFileName(file)), 0o600, 'so is the kept one');
  t.equal(readFileSync(rotatedFileName(file), 'utf8'), 'previous run\n', 'it is neither overwritten nor appended to');
  t.same(parseEventLog(readFileSync(file, 'utf8')).entries, [], 'the new file starts with a header');

  const empty = join(dir, 'empty.jsonl');
  writeFileSync(empty, '', { mode: 0o644 });
  chmodSync(empty, 0o644);
  const second = createEventLog({ file: empty });
  t.teardown(() => second.close?.());
  t.equal(mode(empty), 0o600, 'an empty file left behind is reused, 0600');
  t.notOk(existsSync(rotatedFileName(empty)), 'and not kept aside');
});

t.test('the file rotates at the configured size and the current file replays on its own', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'event-log-'));
  const file = join(dir, 'events.jsonl');
  const maxBytes = 6_000;
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
  t.teardown(async () => {
    await runtime.stop();
    eventLog.close?.();
  });
  const t0 = clock.now();
  const ok = (_: unknown, at: string) => ({
    at,
    result: 'Synchronized' as const,
    summary: { created: 0, updated: 0, deleted: 0, failed: 0, unchanged: 3 },
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
      certificateValidity: validity(t0, 90),
      managementInfo: MANAGEMENT,
      tokenFingerprint: 'fp-1',
    }))
    .on('synchronize', ok);
  runtime.start();
  config$.next({ present: true, tokenFingerprint: 'fp-1', connectorUrl: 'https://connector.test/graphql' });
  await flush();
  let rotations = 0;
  let previousFirstSeq = -1;
  // Cycles until the file rotated three times and the current file holds a few entries after its checkpoint.
  for (let cycle = 0; cycle < 100; cycle++) {
    effects.on('checkConnection', (_, at) => ({ at, managementInfo: MANAGEMENT, credentialsExist: true })).on('synchronize', ok);
    clock.advance(21_000);
    await flush();
    const entries = parseEventLog(readFileSync(file, 'utf8')).entries;
    if (entries[0] && entries[0].seq !== previousFirstSeq && entries[0].event.type === CHECKPOINT_EVENT_TYPE) {
      rotations++;
      previousFirstSeq = entries[0].seq;
    }
    if (rotations >= 3 && entries.length > 6) break;
  }
  t.ok(rotations >= 3, `rotated ${rotations} times`);

  const current = readFileSync(file, 'utf8');
  t.ok(Buffer.byteLength(current) < maxBytes + 4_000, `the current file stays near the limit (${Buffer.byteLength(current)} bytes)`);
  t.equal(mode(file), 0o600);
  t.equal(mode(rotatedFileName(file)), 0o600);
  const { entries } = parseEventLog(current);
  t.equal(entries[0].event.type, CHECKPOINT_EVENT_TYPE, 'after a rotation the file starts with a checkpoint');
  const report = replayEventLog(current);
  t.equal(report.divergence, null, 'the current file replays without the files before it');
  t.ok(report.events > 3, `${report.events} entries replayed`);
  t.same(report.final?.value, runtime.getSnapshot().value, 'to the live state');
  t.equal(
    report.final?.context.certificate?.notAfter,
    runtime.getSnapshot().context.certificate?.notAfter,
    'with the context the live machine has (the certificate dates survive)',
  );
  const rotated = replayEventLog(readFileSync(rotatedFileName(file), 'utf8'));
  t.equal(rotated.divergence, null, 'FILE.1 replays on its own too');
  t.ok(
    parseEventLog(readFileSync(rotatedFileName(file), 'utf8')).entries.at(-1)!.seq < entries[1].seq,
    'FILE.1 holds the entries before those of FILE',
  );
});
