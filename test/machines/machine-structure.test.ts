// The machine reads as the specification: named guards and actions only (so the diagram says them),
// one Idle state whose last synchronization result is context, CONNECTION_CR_DELETED handled once
// around everything that holds a certificate, one failure action for every failed attempt, no casts in
// the machine file, and the machines/ folder importing nothing but xstate.
import t from 'tap';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { AnyStateNode } from 'xstate';
import { agentMachine } from '../../machines/agent-machine.js';
import { EFFECT_IDS } from '../../machines/effect-boundary.js';
import { describeMachine } from '../../src/agent/machine-diagram.js';

const MACHINES = fileURLToPath(new URL('../../machines/', import.meta.url));

interface Transition {
  source: string;
  event: string;
  guard: unknown;
  actions: unknown[];
  targets: string[];
}

function transitionsOf(node: AnyStateNode): Transition[] {
  const own = [...node.transitions.values()].flat().concat(node.always ?? []);
  return [
    ...own.map((tr) => ({
      source: node.id,
      event: tr.eventType,
      guard: tr.guard,
      actions: [...tr.actions],
      targets: (tr.target ?? []).map((n) => n.id),
    })),
    ...Object.values(node.states).flatMap(transitionsOf),
  ];
}
const transitions = transitionsOf(agentMachine.root);
const nodesOf = (node: AnyStateNode): AnyStateNode[] => [node, ...Object.values(node.states).flatMap(nodesOf)];
const nameOf = (x: unknown) => (typeof x === 'string' ? x : typeof x === 'object' && x !== null && 'type' in x ? String(x.type) : null);

/** The source with comments and string literals blanked out, for looking at the code alone. */
function code(source: string): string {
  return source
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\/\/.*$/gm, '')
    .replace(/'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`|"(?:[^"\\\n]|\\.)*"/g, "''");
}

t.test('every guard and every action of the chart is named and implemented in setup()', async (t) => {
  const guards = Object.keys(agentMachine.implementations.guards);
  const actions = Object.keys(agentMachine.implementations.actions);
  const guarded = transitions.filter((tr) => tr.guard !== undefined);
  t.ok(guarded.length > 10, `${guarded.length} guarded transitions`);
  for (const tr of guarded) {
    const name = nameOf(tr.guard);
    t.ok(name && guards.includes(name), `${tr.source} on ${tr.event || 'always'}: guard ${name ?? 'inline function'} is named in setup()`);
  }
  const entries = nodesOf(agentMachine.root).flatMap((node) => [...node.entry, ...node.exit]);
  for (const action of [...transitions.flatMap((tr) => tr.actions), ...entries]) {
    const name = nameOf(action);
    if (name?.startsWith('xstate.')) continue; // invoke's own start and stop
    t.ok(name && actions.includes(name), `action ${name ?? 'inline function'} is named in setup()`);
  }
  const labels = describeMachine().edges.map((e) => e.label);
  for (const label of labels) {
    const guard = /\[(.+)\]$/.exec(label)?.[1];
    if (guard) t.ok(guards.includes(guard), `the diagram labels the edge "${label}" with a named guard`);
  }
});

t.test('one Idle state: the last synchronization result is context, and no diagram edge is "always [idleStateIs]"', async (t) => {
  const { states, edges } = describeMachine();
  const connected = states.find((s) => s.id === 'runtime-agent.Certified.Connected');
  t.same(connected?.children, [
    'runtime-agent.Certified.Connected.Idle',
    'runtime-agent.Certified.Connected.Maintaining',
    'runtime-agent.Certified.Connected.Synchronizing',
  ]);
  t.notOk(
    edges.some((e) => e.label.includes('idleStateIs')),
    'no edge chooses an idle state by the last result',
  );
  t.notOk(
    states.some((s) =>
      ['AwaitingSync', 'Synchronized', 'SynchronizationFailed', 'ResourceApplicationFailed', 'MetadataUpdateFailed', 'Resuming'].includes(
        s.name,
      ),
    ),
    'no state per synchronization result',
  );
  const intoIdle = edges.filter((e) => e.target.endsWith('.Idle'));
  t.ok(intoIdle.length >= 4, `${intoIdle.length} edges end in Idle`);
  t.notOk(
    intoIdle.some((e) => e.event === ''),
    'none of them eventless',
  );
});

t.test('CONNECTION_CR_DELETED reconnects from one place: the parent of every state that holds a certificate', async (t) => {
  const reconnecting = transitions.filter((tr) => tr.event === 'CONNECTION_CR_DELETED' && tr.targets.length > 0);
  t.same(
    reconnecting.map((tr) => [tr.source, tr.targets]),
    [['runtime-agent.Certified', ['runtime-agent.Connecting']]],
  );
  const certified = Object.keys(agentMachine.root.states.Certified.states);
  t.same(certified.sort(), ['Connected', 'MaintenanceFailed', 'Renewing']);
});

t.test('every failed attempt goes through the one failure action: counted, recorded, retried', async (t) => {
  const failures = transitions.filter((tr) =>
    /^xstate\.error\.actor\.(loadState|establishConnection|checkConnection|renewCertificate)$/.test(tr.event),
  );
  t.equal(failures.length, 5, 'start-up, configuration, connection, maintenance, renewal');
  for (const tr of failures) t.same(tr.actions.map(nameOf), ['recordFailure'], `${tr.source} on ${tr.event}`);
  const missingSecret = transitions.find(
    (tr) => tr.event === `xstate.done.actor.${EFFECT_IDS.loadState}` && tr.targets.includes('runtime-agent.Certified.MaintenanceFailed'),
  );
  t.same(missingSecret?.actions.map(nameOf), ['restoreAtStart', 'recordFailure'], 'and the client-certificate Secret missing at start-up');
});

t.test('the machine file has no casts; machines/ imports nothing but xstate and itself', async (t) => {
  const machine = code(readFileSync(`${MACHINES}agent-machine.ts`, 'utf8'));
  t.notMatch(machine, /\bas\s+(unknown|const|[A-Z{([])/, 'no `as` cast (nor `as const`)');
  t.notMatch(machine, /[\w)\]]!(?=[.,;)\]\s])/, 'no non-null assertion');
  t.notMatch(machine, /(^|[^\w.\s]|[=(,:]\s*)<[A-Z]\w*>\s*[\w({[]/m, 'no angle-bracket cast');
  for (const file of readdirSync(MACHINES).filter((f) => f.endsWith('.ts'))) {
    const imports = [...readFileSync(`${MACHINES}${file}`, 'utf8').matchAll(/^import[^;]*?from '([^']+)'/gms)].map((m) => m[1]);
    const foreign = imports.filter((from) => from !== 'xstate' && !from.startsWith('./'));
    t.same(foreign, [], `${file} imports only xstate and machines/`);
  }
});
