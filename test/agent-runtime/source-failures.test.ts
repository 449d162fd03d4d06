// A source of observations that fails (its watch gave up with an error) is logged by name, and the agent
// goes on with the others: one broken stream never stops the machine or hides what the others report.
import t from 'tap';
import { ManualClock } from '../../adapters/clock/clock.js';
import { createLogger } from '../../adapters/logger.js';
import { createAgentRuntime } from '../../src/agent/runtime.js';
import { createEventLog } from '../../src/event-log.js';
import { RecordingWriter, ScriptedEffects, flush, scriptedSources } from './scripted-effects.js';

const TIMING = { syncPeriodMs: 20_000, minimalSyncTimeMs: 10_000, renewalThreshold: 0.3, retryBaseMs: 5_000, retryCapMs: 60_000 };

t.test('each failed source is logged by name once, and the machine keeps taking the other sources', async (t) => {
  const clock = new ManualClock('2026-01-01T00:00:00Z');
  const effects = new ScriptedEffects(clock);
  effects.on('loadState', (_, at) => ({
    at,
    cr: null,
    credentialsSecrets: { clientCertificateSecret: 'missing', caCertificateSecret: 'missing' },
    managementInfo: null,
  }));
  const { sources, config$, connectionCr$, credentials$ } = scriptedSources();
  const lines: Array<{ level: string; msg: string; err?: { message?: string } }> = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line)) } });
  const eventLog = createEventLog({ capacity: 100 });
  const runtime = createAgentRuntime({
    effects,
    sources,
    writer: new RecordingWriter(),
    clock,
    eventLog,
    logger,
    config: { timing: TIMING },
  });
  t.teardown(() => runtime.stop());
  runtime.start();
  await flush();

  const failures = () => lines.filter((l) => / source failed$/.test(l.msg));
  config$.error(new Error('watch of compass-agent-configuration gave up'));
  credentials$.error(new Error('watch of the credential Secrets gave up'));
  await flush();
  t.same(
    failures().map((l) => [l.msg, l.err?.message, l.level]),
    [
      ['the configuration Secret source failed', 'watch of compass-agent-configuration gave up', 'error'],
      ['the credential Secrets source failed', 'watch of the credential Secrets gave up', 'error'],
    ],
    'logged at error level, naming the source and what failed',
  );

  const before = eventLog.entries().length;
  connectionCr$.next(null);
  await flush();
  const taken = eventLog
    .entries()
    .slice(before)
    .map((e) => e.event.type);
  t.same(taken, ['CONNECTION_CR_DELETED'], 'the CompassConnection source still reaches the machine');

  connectionCr$.error(new Error('watch of compassconnections gave up'));
  await flush();
  t.equal(failures().at(-1)?.msg, 'the CompassConnection source failed');
  t.equal(failures().length, 3, 'one line per failed source');
});
