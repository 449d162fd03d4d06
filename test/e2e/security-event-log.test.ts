// Acceptance: the event log file is the agent's alone and bounded. A world-readable file left behind
// becomes 0600 (kept as FILE.1), the file rotates at APP_EVENT_LOG_MAX_SIZE, and `replay` works on the
// current file by itself after a rotation.
import t from 'tap';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness } from '../helpers/agent-harness.js';
import { SecretLedger } from '../helpers/connection-checks.js';
import { CHECKPOINT_EVENT_TYPE, parseEventLog, rotatedFileName } from '../../src/event-log.js';
import { run as replay } from '../../src/commands/replay.js';

const mode = (path: string) => statSync(path).mode & 0o777;

t.test('the event log file: 0600 whatever existed, rotated at the configured size, replayable alone', async (t) => {
  const h = await startHarness({ apps: 2 });
  t.teardown(() => h.close());
  const ledger = new SecretLedger();
  const file = join(h.dir, 'events.jsonl');
  writeFileSync(file, '{"left":"by an earlier run"}\n');
  chmodSync(file, 0o644);
  t.equal(mode(file), 0o644, 'precondition: a world-readable file is there');

  ledger.addToken(await h.writeConfigSecret());
  h.startAgent({ APP_EVENT_LOG_FILE: file, APP_EVENT_LOG_MAX_SIZE: '16Ki' });
  // Read FILE.1 as soon as this run's file is there: the run's own first rotation replaces it later.
  await h.waitFor("this run's event log", () => {
    try {
      return readFileSync(file, 'utf8').startsWith('{"kind":"runtime-agent-event-log"') || undefined;
    } catch {
      return undefined;
    }
  });
  t.equal(mode(file), 0o600, 'the current file is 0600');
  t.equal(readFileSync(rotatedFileName(file), 'utf8'), '{"left":"by an earlier run"}\n', 'the earlier file is kept as FILE.1');
  t.equal(mode(rotatedFileName(file)), 0o600, 'and made 0600 too');
  await h.waitForState('Synchronized');

  await h.waitFor(
    'a rotation: FILE starts with a checkpoint',
    () => {
      const first = parseEventLog(readFileSync(file, 'utf8')).entries[0];
      return first?.event.type === CHECKPOINT_EVENT_TYPE || undefined;
    },
    60_000,
  );
  await h.waitForSyncCycles(1);
  t.ok(statSync(file).size < 16 * 1024 + 16 * 1024, `FILE stays near the limit (${statSync(file).size} bytes)`);
  t.equal(mode(file), 0o600, 'a rotated-in file is 0600');
  t.equal(mode(rotatedFileName(file)), 0o600, 'and so is the rotated-out one');
  t.match(
    readFileSync(rotatedFileName(file), 'utf8'),
    /^\{"kind":"runtime-agent-event-log"/,
    'FILE.1 now holds the previous part of this run',
  );

  await h.stopAgent();
  const out: string[] = [];
  const code = await replay(
    [file],
    (text) => out.push(text),
    (text) => out.push(text),
  );
  t.equal(code, 0, `replay of the current file alone: ${out.join('')}`);
  t.match(out.join(''), /reproduces: \d+ events/);
  t.match(out.join(''), /connectionState: Synchronized/);
  for (const text of [readFileSync(file, 'utf8'), readFileSync(rotatedFileName(file), 'utf8')]) {
    t.notMatch(text, /-----BEGIN|LS0tLS1CRUdJTi/, 'no key or certificate in the files');
  }
  await ledger.assertNoLeaks(t, h);
});
