// Diagrams of the agent machine, generated from the machine itself (xstate/graph), so they cannot
// drift from the behaviour. Optionally highlights what a recorded event log visited.
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';
import { agentMachine } from '../../machines/agent-machine.js';

export interface DiagramEdge {
  source: string;
  target: string;
  label: string;
  event: string;
}

export interface DiagramState {
  id: string;
  name: string;
  parent: string | null;
  initial: string | null;
  children: string[];
}

export interface MachineDiagram {
  root: string;
  states: DiagramState[];
  edges: DiagramEdge[];
}

/** Highlights: state ids and "source→target" edge keys the log visited. */
export interface Visited {
  states: Set<string>;
  edges: Set<string>;
}

function eventLabel(event: string): string {
  const done = /^xstate\.done\.actor\.(.+)$/.exec(event);
  if (done) return `${done[1]} done`;
  const error = /^xstate\.error\.actor\.(.+)$/.exec(event);
  if (error) return `${error[1]} failed`;
  return event === '' ? 'always' : event;
}

export function describeMachine(): MachineDiagram {
  const graph = toDirectedGraph(agentMachine);
  const states: DiagramState[] = [];
  const edges: DiagramEdge[] = [];
  const seen = new Set<string>();
  const walk = (node: DirectedGraphNode, parent: string | null) => {
    const stateNode = node.stateNode;
    const initial = stateNode.initial?.target?.[0]?.id ?? null;
    if (parent !== null) states.push({ id: node.id, name: stateNode.key, parent, initial, children: node.children.map((c) => c.id) });
    // toDirectedGraph leaves out eventless (`always`) transitions: add them from the state node.
    const transitions = [
      ...node.edges.map((edge) => ({ transition: edge.transition, source: edge.source.id })),
      ...(stateNode.always ?? []).map((transition) => ({ transition, source: node.id })),
    ];
    for (const { transition, source } of transitions) {
      // Target-less transitions only record an observation: not a change of state.
      for (const targetNode of transition.target ?? []) {
        const event = String(transition.eventType ?? '');
        const g = transition.guard as unknown;
        const guard = typeof g === 'string' ? g : g && typeof g === 'object' && 'type' in g ? String(g.type) : '';
        const label = eventLabel(event) + (guard && !guard.startsWith('xstate.') ? ` [${guard}]` : '');
        const key = `${source}|${targetNode.id}|${label}`;
        if (seen.has(key)) continue;
        seen.add(key);
        edges.push({ source, target: targetNode.id, label, event });
      }
    }
    for (const child of node.children) walk(child, node.id);
  };
  walk(graph, null);
  return { root: graph.id, states, edges };
}

/** State ids of a state value, e.g. {Certified: 'Renewing'} → [root.Certified, root.Certified.Renewing]. */
export function stateIds(root: string, value: unknown): string[] {
  if (typeof value === 'string') return [`${root}.${value}`];
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([key, child]) => [`${root}.${key}`, ...stateIds(`${root}.${key}`, child)]);
  }
  return [];
}

/** What a sequence of (event type, state after it) visited, mapped onto the diagram. */
export function visitedBy(diagram: MachineDiagram, steps: Array<{ eventType: string; state: unknown }>): Visited {
  const visited: Visited = { states: new Set(), edges: new Set() };
  let previous: string[] = [];
  for (const step of steps) {
    const current = stateIds(diagram.root, step.state);
    current.forEach((id) => visited.states.add(id));
    const leaf = current.at(-1);
    if (leaf && previous.length > 0) {
      for (const edge of diagram.edges) {
        if (
          edge.event === step.eventType &&
          previous.includes(edge.source) &&
          (leaf === edge.target || leaf.startsWith(edge.target + '.'))
        ) {
          visited.edges.add(`${edge.source}→${edge.target}`);
        }
      }
    }
    previous = current;
  }
  return visited;
}

const mermaidId = (id: string) => id.replace(/^[^.]+\./, '').replace(/\./g, '_');
const dotId = (id: string) => JSON.stringify(id);

export function toMermaid(diagram: MachineDiagram, visited?: Visited): string {
  const lines = ['stateDiagram-v2'];
  const byId = new Map(diagram.states.map((s) => [s.id, s]));
  const emit = (state: DiagramState, indent: string) => {
    const id = mermaidId(state.id);
    if (state.children.length === 0) {
      lines.push(`${indent}state "${state.name}" as ${id}`);
      return;
    }
    lines.push(`${indent}state "${state.name}" as ${id} {`);
    if (state.initial) lines.push(`${indent}  [*] --> ${mermaidId(state.initial)}`);
    for (const child of state.children) emit(byId.get(child)!, indent + '  ');
    lines.push(`${indent}}`);
  };
  const top = diagram.states.filter((s) => s.parent === diagram.root);
  const initial = agentMachine.root.initial?.target?.[0]?.id;
  if (initial) lines.push(`  [*] --> ${mermaidId(initial)}`);
  for (const state of top) emit(state, '  ');
  for (const edge of diagram.edges)
    lines.push(`  ${mermaidId(edge.source)} --> ${mermaidId(edge.target)}: ${edge.label.replace(/:/g, ' ')}`);
  if (visited && visited.states.size > 0) {
    lines.push('  classDef visited fill:#d7f0d7,stroke:#2e7d32,stroke-width:2px');
    for (const id of visited.states)
      if (byId.has(id) && byId.get(id)!.children.length === 0) lines.push(`  class ${mermaidId(id)} visited`);
  }
  return lines.join('\n') + '\n';
}

export function toDot(diagram: MachineDiagram, visited?: Visited): string {
  const lines = [
    `digraph ${dotId(diagram.root)} {`,
    '  rankdir=LR; compound=true;',
    '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica"];',
    '  edge [fontname="Helvetica", fontsize=10];',
  ];
  const byId = new Map(diagram.states.map((s) => [s.id, s]));
  const hot = (id: string) => visited?.states.has(id) ?? false;
  // Edges to or from a compound state attach to its initial (or first) child, clipped at the cluster.
  const anchor = (id: string): string => {
    const state = byId.get(id)!;
    return state.children.length === 0 ? id : anchor(state.initial ?? state.children[0]);
  };
  const emit = (state: DiagramState, indent: string) => {
    if (state.children.length === 0) {
      const fill = hot(state.id) ? ', fillcolor="#d7f0d7", color="#2e7d32", penwidth=2' : '';
      lines.push(`${indent}${dotId(state.id)} [label=${JSON.stringify(state.name)}${fill}];`);
      return;
    }
    lines.push(`${indent}subgraph ${dotId('cluster_' + state.id)} {`, `${indent}  label=${JSON.stringify(state.name)}; style=rounded;`);
    for (const child of state.children) emit(byId.get(child)!, indent + '  ');
    lines.push(`${indent}}`);
  };
  for (const state of diagram.states.filter((s) => s.parent === diagram.root)) emit(state, '  ');
  for (const edge of diagram.edges) {
    const attrs = [`label=${JSON.stringify(edge.label)}`];
    if (byId.get(edge.source)!.children.length > 0) attrs.push(`ltail=${dotId('cluster_' + edge.source)}`);
    if (byId.get(edge.target)!.children.length > 0) attrs.push(`lhead=${dotId('cluster_' + edge.target)}`);
    if (visited?.edges.has(`${edge.source}→${edge.target}`)) attrs.push('color="#2e7d32"', 'penwidth=2');
    lines.push(`  ${dotId(anchor(edge.source))} -> ${dotId(anchor(edge.target))} [${attrs.join(', ')}];`);
  }
  lines.push('}');
  return lines.join('\n') + '\n';
}
