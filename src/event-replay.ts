// Replays an event log through the pure transition function: no effect runs, and the state after
// every event must equal the recorded one. A file holds one segment per agent start (and one after
// each rotation): each segment is replayed on its own, from its init or checkpoint entry.
import { initialTransition, transition, type EventFromLogic } from 'xstate';
import { agentMachine, type AgentMachine, type AgentMachineInput, type AgentSnapshot } from '../machines/agent-machine.js';
import { CHECKPOINT_EVENT_TYPE, machineHeader, parseEventLog, type EventLogEntry, type EventLogSegment } from './event-log.js';

/** The first entry of a log records the machine input (timing, Secret names) under this event type. */
export const INIT_EVENT_TYPE = 'xstate.init';

export interface ReplayDivergence {
  seq: number;
  eventType: string;
  recorded: unknown;
  replayed: unknown;
  /** The segment (1-based) it happened in. */
  segment: number;
}

export interface SegmentReport {
  /** 1-based, in file order. */
  index: number;
  firstLine: number;
  lastLine: number;
  machine: string;
  /** How the segment begins: an agent start, a rotation checkpoint, or neither (a log cut short). */
  startsWith: 'start' | 'checkpoint' | 'cut';
  events: number;
  reproduced: number;
  divergence: ReplayDivergence | null;
  final: AgentSnapshot | null;
}

export interface ReplayReport {
  /** The machine that recorded the first segment. */
  machine: string;
  /** The machine this build runs; a log from another version may diverge. */
  expectedMachine: string;
  /** Totals over all segments. */
  events: number;
  reproduced: number;
  /** The first divergence of any segment. */
  divergence: ReplayDivergence | null;
  /** State values in the order they were visited (from the replay). */
  states: unknown[];
  /** The last segment's final snapshot. */
  final: AgentSnapshot | null;
  segments: SegmentReport[];
  /** Torn lines skipped and gaps in seq (see parseEventLog). */
  warnings: string[];
}

function equal(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** Throws EventLogFormatError for a malformed log; a divergence is a result, not an exception. */
export function replayEventLog(text: string, machine: AgentMachine = agentMachine): ReplayReport {
  const parsed = parseEventLog(text);
  const states: unknown[] = [];
  const segments = parsed.segments.map((segment, i) => replaySegment(segment, i + 1, machine, states));
  return {
    machine: parsed.header.machine,
    expectedMachine: machineHeader().machine,
    events: segments.reduce((sum, s) => sum + s.events, 0),
    reproduced: segments.reduce((sum, s) => sum + s.reproduced, 0),
    divergence: segments.find((s) => s.divergence)?.divergence ?? null,
    states,
    final: segments.at(-1)?.final ?? null,
    segments,
    warnings: parsed.warnings,
  };
}

function replaySegment(segment: EventLogSegment, index: number, machine: AgentMachine, states: unknown[]): SegmentReport {
  const first = segment.entries[0]?.event.type;
  const report: SegmentReport = {
    index,
    firstLine: segment.firstLine,
    lastLine: segment.lastLine,
    machine: segment.header.machine,
    startsWith: first === INIT_EVENT_TYPE ? 'start' : first === CHECKPOINT_EVENT_TYPE ? 'checkpoint' : 'cut',
    events: segment.entries.length,
    reproduced: 0,
    divergence: null,
    final: null,
  };
  let snapshot: AgentSnapshot | null = null;
  for (const entry of segment.entries) {
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
    states.push(snapshot.value);
    if (!equal(snapshot.value, entry.state)) {
      report.divergence = { seq: entry.seq, eventType: entry.event.type, recorded: entry.state, replayed: snapshot.value, segment: index };
      break;
    }
    report.reproduced++;
  }
  report.final = snapshot;
  return report;
}

export type { EventLogEntry };
