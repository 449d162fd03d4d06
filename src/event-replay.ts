// Replays an event log through the pure transition function: no effect runs, and the state after
// every event must equal the recorded one.
import { initialTransition, transition, type EventFromLogic } from 'xstate';
import { agentMachine, type AgentMachine, type AgentMachineInput, type AgentSnapshot } from '../machines/agent-machine.js';
import { CHECKPOINT_EVENT_TYPE, machineHeader, parseEventLog, type EventLogEntry } from './event-log.js';

/** The first entry of a log records the machine input (timing, Secret names) under this event type. */
export const INIT_EVENT_TYPE = 'xstate.init';

export interface ReplayDivergence {
  seq: number;
  eventType: string;
  recorded: unknown;
  replayed: unknown;
}

export interface ReplayReport {
  machine: string;
  /** The machine this build runs; a log from another version may diverge. */
  expectedMachine: string;
  events: number;
  reproduced: number;
  divergence: ReplayDivergence | null;
  /** State values in the order they were visited (from the replay). */
  states: unknown[];
  final: AgentSnapshot | null;
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Throws EventLogFormatError for a malformed log; a divergence is a result, not an exception. */
export function replayEventLog(text: string, machine: AgentMachine = agentMachine): ReplayReport {
  const { header, entries } = parseEventLog(text);
  const report: ReplayReport = {
    machine: header.machine,
    expectedMachine: machineHeader().machine,
    events: entries.length,
    reproduced: 0,
    divergence: null,
    states: [],
    final: null,
  };
  let snapshot: AgentSnapshot | null = null;
  for (const entry of entries) {
    if (entry.event.type === INIT_EVENT_TYPE) {
      [snapshot] = initialTransition(machine, (entry.event.input ?? {}) as AgentMachineInput);
    } else if (entry.event.type === CHECKPOINT_EVENT_TYPE) {
      // A file that starts after a rotation: resume from the state recorded at that point.
      const recorded = entry.event.snapshot as { value: AgentSnapshot['value']; context: AgentSnapshot['context'] };
      snapshot = machine.resolveState({ value: recorded.value, context: recorded.context });
    } else {
      // A log cut by the ring buffer has no init entry: it cannot be replayed from the start.
      snapshot ??= initialTransition(machine, {})[0];
      [snapshot] = transition(machine, snapshot, entry.event as EventFromLogic<AgentMachine>);
    }
    report.states.push(snapshot.value);
    if (!equal(snapshot.value, entry.state)) {
      report.divergence = { seq: entry.seq, eventType: entry.event.type, recorded: entry.state, replayed: snapshot.value };
      break;
    }
    report.reproduced++;
  }
  report.final = snapshot;
  return report;
}

export type { EventLogEntry };
