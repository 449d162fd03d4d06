import t from 'tap';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../adapters/clock/clock.js';
import { createLogger } from '../../adapters/logger.js';
import { EffectError } from '../../src/agent/effects.js';
import { createAgentRuntime, effectFailure, stateOutline, STATUS_WRITE_DELAY_MS } from '../../src/agent/runtime.js';
import { createEventLog, parseEventLog } from '../../src/event-log.js';
import { replayEventLog } from '../../src/event-replay.js';
import { statusDigest } from '../../src/event-record.js';
import { FAKE_PRIVATE_KEY_PEM } from '../fixtures/fake-pem.js';
import { MANAGEMENT, RecordingWriter, ScriptedEffects, flush, scriptedSources, validity } from './scripted-effects.js';

const TIMING = { syncPeriodMs: 20_000, minimalSyncTimeMs: 10_000, renewalThreshold: 0.3, retryBaseMs: 5_000, retryCapMs: 60_000 };
const PEM = FAKE_PRIVATE_KEY_PEM;
const LONG_TOKEN = 'tok_' + 'a1B2c3D4'.repeat(12);

function setup(file?: string) {
  const clock = new ManualClock('2026-01-01T00:00:00Z');
  const effects = new ScriptedEffects(clock);
  const { sources, config$, connectionCr$, credentials$ } = scriptedSources();
  const writer = new RecordingWriter();
  const eventLog = createEventLog({ file, capacity: 10_000 });
  const logLines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void logLines.push(line) } });
  const runtime = createAgentRuntime({
    effects,
    sources,
    writer,
    clock,
    eventLog,
    logger,
    config: { timing: TIMING, secretNames: { configurationSecret: 'kyma-system/compass-agent-configuration' } },
    random: () => 0.5,
  });
  const advance = async (ms: number) => {
    clock.advance(ms);
    await flush();
  };
  /** Where the machine is: its state, and in Idle the last synchronization result its context holds. */
  const state = () => {
    const snapshot = runtime.getSnapshot();
    return snapshot.matches({ Certified: { Connected: 'Idle' } })
      ? `Idle/${snapshot.context.lastSyncResult ?? 'none'}`
      : JSON.stringify(snapshot.value);
  };
  return { clock, effects, config$, connectionCr$, credentials$, writer, eventLog, runtime, advance, state, logLines };
}

const ok = (at: string) => ({
  at,
  result: 'Synchronized' as const,
  summary: { created: 1, updated: 0, deleted: 0, failed: 0, unchanged: 0 },
});

/** A first start: no CR and no Secrets, the token `fingerprint` exchanged, one synchronization; it has run when this resolves. */
async function connectFirstTime(h: ReturnType<typeof setup>, fingerprint: string) {
  const t0 = h.clock.now();
  h.effects
    .on('loadState', (_, at) => ({
      at,
      cr: null,
      credentialsSecrets: { clientCertificateSecret: 'missing', caCertificateSecret: 'missing' },
    }))
    .on('establishConnection', (_, at) => ({
      at,
      certificateValidity: validity(t0, 90),
      managementInfo: MANAGEMENT,
      tokenFingerprint: fingerprint,
    }))
    .on('synchronize', (_, at) => ok(at));
  h.runtime.start();
  h.config$.next({ present: true, tokenFingerprint: fingerprint, connectorUrl: 'https://connector.test/graphql' });
  await flush();
}

t.test(
  'a full lifecycle (connect, sync, renewal, failure, recovery, CR deletion) is recorded and replays to the same states',
  async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'agent-log-'));
    const file = join(dir, 'lifecycle.jsonl');
    const h = setup(file);
    const { effects, writer } = h;

    await connectFirstTime(h, 'fp-token-1');
    t.equal(h.state(), 'Idle/Synchronized', 'first connection, then an immediate synchronisation');
    await h.runtime.settled();
    t.equal(writer.last?.status.connectionState, 'Synchronized');
    t.same(writer.last?.spec.managementInfo, MANAGEMENT, 'management info from the Connector goes into spec');
    t.equal(writer.last?.annotations['compass.kyma-project.io/consumed-token-fingerprint'], 'fp-token-1');
    t.equal(writer.last?.status.connectionStatus.established, '2026-01-01T00:00:00Z', 'RFC 3339 seconds');

    // One sync period (+ half of the 10 % jitter) later: maintenance then synchronisation.
    effects
      .on('checkConnection', (_, at) => ({ at, managementInfo: MANAGEMENT, credentialsExist: true }))
      .on('synchronize', (_, at) => ok(at));
    await h.advance(20_999);
    t.equal(h.state(), 'Idle/Synchronized', 'nothing happens before the wake-up is due');
    t.same(effects.calls, ['loadState', 'establishConnection', 'synchronize']);
    await h.advance(1);
    t.same(effects.calls.slice(3), ['checkConnection', 'synchronize'], 'one cycle: check, then sync');

    // The user asks for new credentials: the cycle comes early, but not before the minimal sync time.
    effects
      .on('checkConnection', (_, at) => ({ at, managementInfo: MANAGEMENT, credentialsExist: true }))
      .on('renewCertificate', (_, at) => ({ at, certificateValidity: validity(Date.parse(at), 90), managementInfo: MANAGEMENT }))
      .on('synchronize', (_, at) => ok(at));
    h.connectionCr$.next({ generation: 2, resourceVersion: '12', spec: { managementInfo: MANAGEMENT, refreshCredentialsNow: true } });
    await flush();
    await h.advance(9_999);
    t.equal(effects.calls.length, 5, 'rate limited by the minimal sync time');
    await h.advance(1);
    t.same(effects.calls.slice(5), ['checkConnection', 'renewCertificate', 'synchronize']);
    await h.runtime.settled();
    t.equal(writer.last?.spec.refreshCredentialsNow, false, 'the consumed flag is written back to false');
    t.equal(writer.last?.status.connectionStatus.renewed, '2026-01-01T00:00:31Z');
    t.equal(writer.last?.status.connectionStatus.certificateStatus?.acquired, '2026-01-01T00:00:31Z');
    // The watch echoes our own write: flag cleared, higher generation; a stale echo does not re-trigger.
    h.connectionCr$.next({ generation: 2, resourceVersion: '13', spec: { managementInfo: MANAGEMENT, refreshCredentialsNow: true } });
    h.connectionCr$.next({ generation: 3, resourceVersion: '14', spec: { managementInfo: MANAGEMENT } });
    await flush();

    // The certificate-secured Connector goes away (its error carries a PEM block: it must not leak).
    effects.on('checkConnection', () => {
      throw new EffectError('unreachable', `connect ECONNREFUSED 127.0.0.1:1 while presenting ${PEM}`);
    });
    writer.failNext = 1;
    await h.advance(21_000);
    t.equal(h.state(), '{"Certified":"MaintenanceFailed"}');
    await h.runtime.settled();
    t.equal(writer.written.at(-1)?.status.connectionState, 'Synchronized', 'the failed write is not recorded');
    // Recovery on the retry: 10 s (minimal sync time) + 625 ms jitter.
    effects
      .on('checkConnection', (_, at) => ({ at, managementInfo: MANAGEMENT, credentialsExist: true }))
      .on('synchronize', (_, at) => ({
        at,
        result: 'SynchronizationFailed',
        error: `Director answered 502 for token ${LONG_TOKEN}`,
      }));
    await h.advance(10_624);
    t.equal(h.state(), '{"Certified":"MaintenanceFailed"}');
    await h.advance(1);
    t.equal(h.state(), 'Idle/SynchronizationFailed');
    await h.runtime.settled();
    t.equal(writer.last?.status.connectionState, 'SynchronizationFailed', 'the write is retried with the next change');
    t.match(writer.last?.status.synchronizationStatus?.error, /^Failed to fetch configuration: Director answered 502/);

    // The CR is deleted while the token is already used: ConnectionFailed, then a new token connects at once.
    effects.on('establishConnection', () => {
      throw new EffectError('rejected', 'the Connector refused the one-time token: token already used');
    });
    h.connectionCr$.next(null);
    await flush();
    t.equal(h.state(), '"Unconnected"');
    await h.runtime.settled();
    t.equal(writer.last?.status.connectionState, 'ConnectionFailed');
    t.equal(
      writer.last?.status.connectionStatus.error,
      'Failed to retrieve certificate: the Connector refused the one-time token: token already used',
    );
    effects
      .on('establishConnection', (_, at) => ({
        at,
        certificateValidity: validity(Date.parse(at), 90),
        managementInfo: MANAGEMENT,
        tokenFingerprint: 'fp-token-2',
      }))
      .on('synchronize', (_, at) => ok(at));
    h.config$.next({ present: true, tokenFingerprint: 'fp-token-2', connectorUrl: 'https://connector.test/graphql' });
    await flush();
    t.equal(h.state(), 'Idle/Synchronized', 'a new token is used without waiting for the retry');
    await h.runtime.stop();
    t.equal(writer.last?.annotations['compass.kyma-project.io/consumed-token-fingerprint'], 'fp-token-2');

    const text = readFileSync(file, 'utf8');
    t.notMatch(text, /BEGIN RSA|MIIEow|a1B2c3D4a1B2/, 'no PEM block or token in the event log');
    t.notMatch(h.logLines.join(''), /BEGIN RSA|MIIEow|a1B2c3D4a1B2/, 'nor in the logs');
    t.equal(text.split('\n')[0], '{"kind":"runtime-agent-event-log","version":3,"machine":"runtime-agent@2"}');
    t.equal(text, h.eventLog.toText(), 'the file holds what the ring buffer holds');
    const report = replayEventLog(text);
    t.equal(report.divergence, null);
    t.equal(report.reproduced, report.events);
    t.ok(report.events > 20, `replayed ${report.events} events`);
    t.same(report.final?.context.connectionState, 'Synchronized');
    t.same(
      report.segments.map((s) => s.compares),
      [['state', 'status', 'effects']],
      'the states, the projected status and the requested effects are compared',
    );
    // What the runtime recorded is what it did: the wake-ups it scheduled and the statuses it wrote.
    const entries = parseEventLog(text).entries;
    const wakes = entries.flatMap((e) => e.effects ?? []).filter((r) => 'wake' in r);
    t.ok(wakes.length >= 5, `${wakes.length} wake-ups recorded`);
    t.ok(
      wakes.some((r) => 'wake' in r && r.wake.at === '2026-01-01T00:00:20.000Z' && r.wake.jitterMs === 2_000),
      'the first cycle at one sync period, 10 % jitter',
    );
    const projected = new Set(entries.map((e) => e.status));
    t.ok(writer.written.length >= 5, `${writer.written.length} statuses written`);
    for (const written of writer.written)
      t.ok(projected.has(statusDigest(written)), `the written ${written.status.connectionState} status is the digest of an entry`);
  },
);

t.test('the event log ring buffer keeps the newest entries and numbers them on', async (t) => {
  const log = createEventLog({ capacity: 2 });
  for (let i = 0; i < 5; i++) log.append('2026-01-01T00:00:00Z', { type: 'WAKE' }, 'Unconnected');
  t.same(
    log.entries().map((e) => e.seq),
    [3, 4],
  );
  const secret = log.append('2026-01-01T00:00:00Z', { type: 'X', token: 'abc', note: PEM } as { type: string }, 'S');
  t.same(secret.event, { type: 'X', token: '[REDACTED]', note: '[REDACTED]' });
});

t.test('effect errors become redacted data; unexpected errors are internal', async (t) => {
  t.same(effectFailure(new EffectError('rejected', `bad ${PEM}`), 'T'), { kind: 'rejected', message: 'bad [REDACTED]', at: 'T' });
  t.same(effectFailure(new TypeError('boom'), 'T'), { kind: 'internal', message: 'unexpected failure: boom', at: 'T' });
  t.same(effectFailure('plain', 'T'), { kind: 'internal', message: 'unexpected failure: plain', at: 'T' });
});

t.test('a restart with a healthy CR resumes without calling Compass, then cycles on schedule', async (t) => {
  const h = setup();
  const t0 = h.clock.now();
  const status = {
    connectionState: 'Synchronized',
    connectionStatus: {
      established: '2025-12-01T00:00:00Z',
      lastSync: '2025-12-31T23:59:55Z',
      certificateStatus: validity(t0 - 86_400_000, 90),
    },
    synchronizationStatus: { lastAttempt: '2025-12-31T23:59:55Z' },
  };
  h.effects.on('loadState', (_, at) => ({
    at,
    cr: { generation: 7, resourceVersion: '70', spec: { managementInfo: MANAGEMENT }, status, consumedTokenFingerprint: 'fp-old' },
    credentialsSecrets: {
      clientCertificateSecret: 'present',
      caCertificateSecret: 'present',
      certificateValidity: validity(t0 - 86_400_000, 90),
    },
  }));
  h.runtime.start();
  await flush();
  t.equal(h.state(), 'Idle/Synchronized');
  t.same(h.effects.calls, ['loadState'], 'no Compass call at start-up');
  h.effects
    .on('checkConnection', (_, at) => ({ at, managementInfo: MANAGEMENT, credentialsExist: true }))
    .on('synchronize', (_, at) => ok(at));
  await h.advance(21_000);
  t.same(h.effects.calls, ['loadState', 'checkConnection', 'synchronize']);
  await h.runtime.settled();
  t.equal(h.writer.last?.status.connectionStatus.established, '2025-12-01T00:00:00Z', 'stored timestamps survive the restart');
  t.equal(h.writer.last?.status.observedGeneration, 7);
  await h.runtime.stop();
});

t.test('a cycle writes the status once: a change while the next effect runs waits for its end, at most a second', async (t) => {
  const h = setup();
  await connectFirstTime(h, 'fp');
  await h.runtime.settled();
  t.equal(h.state(), 'Idle/Synchronized');
  t.equal(h.writer.written.length, 2, 'the CR, not there yet, is created at once (Connected), then Synchronized');
  h.connectionCr$.next({ generation: 1, resourceVersion: '1', spec: { managementInfo: MANAGEMENT } });
  await flush();
  await h.runtime.settled();

  // A quiet cycle: the check's timestamps and the sync's come in one write.
  let finishSync: () => void = () => undefined;
  h.effects
    .on('checkConnection', (_, at) => ({ at, managementInfo: MANAGEMENT, credentialsExist: true }))
    .on('synchronize', (_, at) => new Promise((resolve) => (finishSync = () => resolve(ok(at)))));
  const before = h.writer.written.length;
  await h.advance(21_000);
  t.equal(h.state(), '{"Certified":{"Connected":"Synchronizing"}}', 'checked, now synchronizing');
  t.equal(h.writer.written.length, before, 'the checked status waits for the synchronization');
  finishSync();
  await flush();
  await h.runtime.settled();
  t.equal(h.writer.written.length, before + 1, 'one write for the cycle');
  t.equal(h.writer.last?.status.connectionStatus.lastSync, '2026-01-01T00:00:21Z', 'with the check of this cycle');
  t.equal(h.writer.last?.status.synchronizationStatus?.lastAttempt, '2026-01-01T00:00:21Z', 'and its synchronization');

  // A synchronization that takes long: the checked status is written after STATUS_WRITE_DELAY_MS.
  h.effects
    .on('checkConnection', (_, at) => ({ at, managementInfo: MANAGEMENT, credentialsExist: true }))
    .on('synchronize', (_, at) => new Promise((resolve) => (finishSync = () => resolve(ok(at)))));
  await h.advance(21_000);
  t.equal(h.state(), '{"Certified":{"Connected":"Synchronizing"}}');
  await h.advance(STATUS_WRITE_DELAY_MS - 1);
  t.equal(h.writer.written.length, before + 1, 'not before the delay');
  await h.advance(1);
  await flush();
  t.equal(h.writer.written.length, before + 2, 'then the check is shown while the synchronization runs');
  t.equal(h.writer.last?.status.connectionStatus.lastSync, '2026-01-01T00:00:42Z');
  t.equal(h.writer.last?.status.synchronizationStatus?.lastAttempt, '2026-01-01T00:00:21Z');
  finishSync();
  await flush();
  await h.runtime.settled();
  t.equal(h.writer.written.length, before + 3, 'and the synchronization once it ends');

  // A status waiting for the effect in flight is written by settled() and by stop(), without the delay.
  const hanging = () => new Promise<never>(() => undefined);
  h.effects.on('checkConnection', (_, at) => ({ at, managementInfo: MANAGEMENT, credentialsExist: true })).on('synchronize', hanging);
  await h.advance(21_000);
  t.equal(h.writer.written.length, before + 3, 'the checked status waits');
  await h.runtime.settled();
  t.equal(h.writer.written.length, before + 4, 'settled() writes it');
  t.equal(h.writer.last?.status.connectionStatus.lastSync, '2026-01-01T00:01:03Z');
  await h.runtime.stop();
  t.equal(h.writer.written.length, before + 4, 'nothing new to write at stop');
});

t.test('stop() writes a status that waits for the effect in flight', async (t) => {
  const h = setup();
  await connectFirstTime(h, 'fp');
  h.connectionCr$.next({ generation: 1, resourceVersion: '1', spec: { managementInfo: MANAGEMENT } });
  await flush();
  await h.runtime.settled();
  h.effects
    .on('checkConnection', (_, at) => ({ at, managementInfo: MANAGEMENT, credentialsExist: true }))
    .on('synchronize', () => new Promise<never>(() => undefined));
  const before = h.writer.written.length;
  await h.advance(21_000);
  t.equal(h.state(), '{"Certified":{"Connected":"Synchronizing"}}');
  t.equal(h.writer.written.length, before, 'the checked status waits for the synchronization');
  await h.runtime.stop();
  t.equal(h.writer.written.length, before + 1, 'stop() writes it');
  t.equal(h.writer.last?.status.connectionStatus.lastSync, '2026-01-01T00:00:21Z');
});

t.test('the steps of each cycle are logged at debug; a new phase or connection state at info', async (t) => {
  const h = setup();
  await connectFirstTime(h, 'fp');
  h.effects
    .on('checkConnection', (_, at) => ({ at, managementInfo: MANAGEMENT, credentialsExist: true }))
    .on('synchronize', (_, at) => ok(at));
  await h.advance(21_000);
  t.equal(h.state(), 'Idle/Synchronized');
  const changes = h.logLines
    .map((line) => JSON.parse(line) as { level: number | string; msg: string; state: unknown; connectionState: string })
    .filter((entry) => entry.msg === 'agent state changed');
  const levelName = (level: number | string) =>
    level === 30 || level === 'info' ? 'info' : level === 20 || level === 'debug' ? 'debug' : String(level);
  const info = changes
    .filter((c) => levelName(c.level) === 'info')
    .map((c) => `${JSON.stringify(stateOutline(c.state))} ${c.connectionState}`);
  t.same(new Set(info).size, info.length, 'no phase is announced twice in a row at info');
  t.ok(
    info.some((line) => line.startsWith('{"Certified":"Connected"}')),
    'the connected phase is announced',
  );
  const cycle = changes.slice(-3);
  t.same(
    cycle.map((c) => [JSON.stringify(c.state), levelName(c.level)]),
    [
      ['{"Certified":{"Connected":"Maintaining"}}', 'debug'],
      ['{"Certified":{"Connected":"Synchronizing"}}', 'debug'],
      ['{"Certified":{"Connected":"Idle"}}', 'debug'],
    ],
    'a quiet cycle logs its steps at debug only',
  );
  t.same(stateOutline({ Certified: { Connected: 'Idle' } }), { Certified: 'Connected' });
  t.same(stateOutline('Unconnected'), 'Unconnected');
  await h.runtime.stop();
});
