import t from 'tap';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run as visualize } from '../../src/commands/visualize.js';
import { run as replay } from '../../src/commands/replay.js';
import { describeMachine } from '../../src/agent/machine-diagram.js';

// A version 1 log (machine 1's state names): replay and the diagram read it as this machine names them.
const FIXTURE = fileURLToPath(new URL('../fixtures/eventlogs/legacy-v1-lifecycle.jsonl', import.meta.url));
const RECORDED = fileURLToPath(new URL('../fixtures/eventlogs/cr-deletion.jsonl', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'agent-cmd-'));

async function capture(run: (args: string[], out: (s: string) => void, err: (s: string) => void) => Promise<number>, args: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await run(
    args,
    (s) => (stdout += s),
    (s) => (stderr += s),
  );
  return { code, stdout, stderr };
}

t.test('visualize --format mermaid names every state and transition target of the machine', async (t) => {
  const { code, stdout } = await capture(visualize, []);
  t.equal(code, 0);
  t.match(stdout, /^stateDiagram-v2\n/);
  for (const state of describeMachine().states) t.match(stdout, `state "${state.name}"`, `${state.name} is drawn`);
  t.match(stdout, 'Starting --> Connecting: loadState done');
  t.match(stdout, 'Certified_MaintenanceFailed --> Connecting: always [certificateUnusableAndUnusedToken]');
  t.match(stdout, 'Certified --> Connecting: CONNECTION_CR_DELETED', 'CR deletion, once, from the parent of the certificate states');
  t.notMatch(stdout, 'idleStateIs');
  t.match(stdout, '[*] --> Starting');
});

t.test('visualize --format dot and svg render the same machine; --log highlights what a run visited', async (t) => {
  const dot = await capture(visualize, ['--format', 'dot']);
  t.equal(dot.code, 0);
  t.match(dot.stdout, /^digraph "runtime-agent" \{/);
  t.match(dot.stdout, 'subgraph "cluster_runtime-agent.Certified.Connected"');
  t.notMatch(dot.stdout, '#2e7d32', 'nothing highlighted without a log');
  const svg = await capture(visualize, ['--format=svg', '--log', FIXTURE]);
  t.equal(svg.code, 0);
  t.match(svg.stdout, /<svg[\s\S]*<\/svg>\s*$/);
  t.match(svg.stdout, '>Idle</text>', 'the states are drawn');
  t.match(svg.stdout, '#2e7d32', 'visited states are highlighted');
  const highlighted = await capture(visualize, ['--format', 'dot', '--log', FIXTURE]);
  t.match(highlighted.stdout, /"runtime-agent.Unconnected" \[label="Unconnected", fillcolor="#d7f0d7"/, 'the run went through Unconnected');
  t.notMatch(highlighted.stdout, /"runtime-agent.StartFailed" \[label="StartFailed", fillcolor/, 'but never through StartFailed');
  t.match(highlighted.stdout, /label="renewCertificate done[^"]*", color="#2e7d32"/, 'visited transitions are highlighted');
  const html = await capture(visualize, ['--format', 'html']);
  t.match(html.stdout, /^<!doctype html>[\s\S]*<svg[\s\S]*<\/html>\n$/);
  const mermaid = await capture(visualize, ['--log', FIXTURE]);
  t.match(mermaid.stdout, 'class Certified_Connected_Idle visited');
  const recorded = await capture(visualize, ['--log', RECORDED]);
  t.match(recorded.stdout, 'class Unconnected visited', 'a log of this machine too');
});

t.test('visualize rejects bad arguments with exit code 2', async (t) => {
  t.equal((await capture(visualize, ['--format', 'png'])).code, 2);
  t.equal((await capture(visualize, ['--bogus'])).code, 2);
  t.equal((await capture(visualize, ['--log'])).code, 2);
  const missing = await capture(visualize, ['--log', join(dir, 'nope.jsonl')]);
  t.equal(missing.code, 2);
  t.match(missing.stderr, 'cannot read the event log');
  t.equal((await capture(visualize, ['--help'])).code, 0);
});

t.test('replay exits 0 on a reproducing log, 1 on a divergence, 2 on a malformed file', async (t) => {
  const good = await capture(replay, [FIXTURE]);
  t.equal(good.code, 0);
  t.match(good.stdout, /reproduces: \d+ events/);
  t.match(good.stdout, 'final state: {"Certified":{"Connected":"Idle"}}, connectionState: Synchronized');
  const recorded = await capture(replay, [RECORDED]);
  t.equal(recorded.code, 0, recorded.stdout + recorded.stderr);
  t.match(recorded.stdout, /reproduces: \d+ events, \d+ distinct states \(states, status and effects\)/);

  const lines = readFileSync(FIXTURE, 'utf8').trim().split('\n');
  const i = lines.findIndex((l) => l.includes('xstate.error.actor.checkConnection'));
  const entry = JSON.parse(lines[i]);
  entry.state = { Connected: 'Synchronized' };
  lines[i] = JSON.stringify(entry);
  const tampered = join(dir, 'tampered.jsonl');
  writeFileSync(tampered, lines.join('\n'));
  const bad = await capture(replay, [tampered]);
  t.equal(bad.code, 1);
  t.match(bad.stdout, `diverges at seq ${entry.seq} (xstate.error.actor.checkConnection)`);
  t.match(bad.stdout, 'recorded state: {"Certified":{"Connected":"Idle"}}', 'the recorded state of machine 1, as this machine names it');
  t.match(bad.stdout, 'replayed state: {"Certified":"MaintenanceFailed"}');

  const notJson = join(dir, 'broken.jsonl');
  // Not JSON in the middle of a segment (a torn last line is only a warning: see event-log-segments.test.ts).
  writeFileSync(
    notJson,
    '{"kind":"runtime-agent-event-log","version":1,"machine":"runtime-agent@1"}\n{not json\n{"seq":1,"at":"2026-01-01T00:00:00.000Z","event":{"type":"WAKE"},"state":"Starting"}\n',
  );
  const broken = await capture(replay, [notJson]);
  t.equal(broken.code, 2);
  t.match(broken.stderr, 'line 2 of the event log is not JSON');
  const wrongKind = join(dir, 'other.jsonl');
  writeFileSync(wrongKind, '{"hello":1}\n');
  t.equal((await capture(replay, [wrongKind])).code, 2);
  const future = join(dir, 'future.jsonl');
  writeFileSync(future, '{"kind":"runtime-agent-event-log","version":9,"machine":"runtime-agent@9"}\n');
  t.match((await capture(replay, [future])).stderr, 'version 9 is not supported');
  const noEntry = join(dir, 'entry.jsonl');
  writeFileSync(noEntry, '{"kind":"runtime-agent-event-log","version":1,"machine":"runtime-agent@1"}\n{"seq":1}\n');
  t.equal((await capture(replay, [noEntry])).code, 2);
  const empty = join(dir, 'empty.jsonl');
  writeFileSync(empty, '');
  t.equal((await capture(replay, [empty])).code, 2);
  t.equal((await capture(replay, [join(dir, 'absent.jsonl')])).code, 2);
  t.equal((await capture(replay, [])).code, 2);
  t.equal((await capture(replay, ['--help'])).code, 0);
});
