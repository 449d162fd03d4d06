// Replays an event log through the pure transition function: no effect runs, and after every event
// the state, the digest of the projected status and the effects requested must equal the recorded
// ones. A file holds one segment per agent start (and one after each rotation): each segment is
// replayed on its own, from its init or checkpoint entry. Logs of versions 1 and 2 recorded no status
// or effects: their states are compared, named as this machine names them.
import { initialTransition, transition, type EventFromLogic } from 'xstate';
import {
  AGENT_MACHINE_ID,
  AGENT_MACHINE_VERSION,
  agentMachine,
  type AgentMachine,
  type AgentMachineInput,
  type AgentSnapshot,
} from '../machines/agent-machine.js';
import { CHECKPOINT_EVENT_TYPE, machineHeader, parseEventLog, type EventLogEntry, type EventLogSegment } from './event-log.js';
import { canonicalJson, effectRequestsOf, statusDigest, type EffectRequest } from './event-record.js';
import { StatusProjector, type ConnectionProjection, type ProjectedCondition } from './status-projection.js';

/** The first entry of a log records the machine input (timing, Secret names, start time) under this event type. */
export const INIT_EVENT_TYPE = 'xstate.init';

export type ReplayAspect = 'state' | 'status' | 'effects';

export interface ReplayDivergence {
  seq: number;
  eventType: string;
  /** The segment (1-based) it happened in. */
  segment: number;
  /** What differs: the state, the projected status (its digest) or the effects requested. */
  aspect: ReplayAspect;
  recorded: unknown;
  replayed: unknown;
  /** For a status divergence: the status the replay projected (the log holds only its digest). */
  replayedStatus?: ConnectionProjection | null;
}

export interface SegmentReport {
  /** 1-based, in file order. */
  index: number;
  firstLine: number;
  lastLine: number;
  machine: string;
  /** The event log version of the segment's header. */
  version: number;
  /** How the segment begins: an agent start, a rotation checkpoint, or neither (its beginning was dropped). */
  startsWith: 'start' | 'checkpoint' | 'cut';
  /** What replay compares after each event: version 3 records status and effects, older versions states only. */
  compares: readonly ReplayAspect[];
  events: number;
  reproduced: number;
  divergence: ReplayDivergence | null;
  /** Why the segment cannot be replayed at all (nothing of it was compared). */
  refused: string | null;
  final: AgentSnapshot | null;
}

export interface ReplayReport {
  /** The machine that recorded the first segment. */
  machine: string;
  /** The machine this build runs. */
  expectedMachine: string;
  /** Totals over all segments. */
  events: number;
  reproduced: number;
  /** The first divergence of any segment. */
  divergence: ReplayDivergence | null;
  /** The segments that cannot be replayed. */
  refused: SegmentReport[];
  /** State values in the order they were visited (from the replay). */
  states: unknown[];
  /** The last segment's final snapshot. */
  final: AgentSnapshot | null;
  segments: SegmentReport[];
  /** Torn lines skipped and gaps in seq (see parseEventLog). */
  warnings: string[];
}

/** The version N of a machine id `runtime-agent@N`, or null. */
function machineVersion(machine: string): number | null {
  const match = /^(.+)@(\d+)$/.exec(machine);
  return match && match[1] === AGENT_MACHINE_ID ? Number(match[2]) : null;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A state value recorded by machine `machine`, as this machine names it. runtime-agent@1 had an idle
 * state per synchronization result (now one Idle, the result in the context) and no Certified parent
 * around Connected, Renewing and MaintenanceFailed.
 */
export function stateInThisMachine(machine: string, state: unknown): unknown {
  if (machineVersion(machine) !== 1) return state;
  if (state === 'Renewing' || state === 'MaintenanceFailed') return { Certified: state };
  if (isRecord(state) && typeof state.Connected === 'string') {
    const inner = state.Connected;
    return { Certified: { Connected: inner === 'Maintaining' || inner === 'Synchronizing' ? inner : 'Idle' } };
  }
  return state;
}

/** Throws EventLogFormatError for a malformed log; a divergence or a refused segment is a result, not an exception. */
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
    refused: segments.filter((s) => s.refused),
    states,
    final: segments.at(-1)?.final ?? null,
    segments,
    warnings: parsed.warnings,
  };
}

/** The machine input an init entry recorded; logs before version 3 did not record the start time: the entry's. */
function inputOf(entry: EventLogEntry): AgentMachineInput {
  const recorded = isRecord(entry.event.input) ? entry.event.input : {};
  return { ...recorded, startedAt: typeof recorded.startedAt === 'string' ? recorded.startedAt : entry.at };
}

function replaySegment(segment: EventLogSegment, index: number, machine: AgentMachine, states: unknown[]): SegmentReport {
  const first = segment.entries[0];
  const recordsSteps = segment.header.version >= 3;
  const report: SegmentReport = {
    index,
    firstLine: segment.firstLine,
    lastLine: segment.lastLine,
    machine: segment.header.machine,
    version: segment.header.version,
    startsWith: first?.event.type === INIT_EVENT_TYPE ? 'start' : first?.event.type === CHECKPOINT_EVENT_TYPE ? 'checkpoint' : 'cut',
    compares: recordsSteps ? ['state', 'status', 'effects'] : ['state'],
    events: segment.entries.length,
    reproduced: 0,
    divergence: null,
    refused: null,
    final: null,
  };
  if (first && report.startsWith === 'cut') {
    report.refused = `it begins at seq ${first.seq} (${first.event.type}), neither with an agent start nor with a checkpoint: its beginning was dropped (the in-memory log keeps only the newest entries), so there is no state to replay it from`;
    return report;
  }
  let snapshot: AgentSnapshot | null = null;
  let projector = new StatusProjector();
  for (const entry of segment.entries) {
    let requested: EffectRequest[] = [];
    if (entry.event.type === INIT_EVENT_TYPE) {
      const [initial, actions] = initialTransition(machine, inputOf(entry));
      snapshot = initial;
      requested = effectRequestsOf(actions);
      projector = new StatusProjector();
    } else if (entry.event.type === CHECKPOINT_EVENT_TYPE) {
      // A file that starts after a rotation: resume from the state recorded at that point.
      if (machineVersion(report.machine) !== AGENT_MACHINE_VERSION) {
        report.refused = `it begins with a checkpoint of ${report.machine}, whose context this build (${machineHeader().machine}) does not read; replay the file it continues (FILE.1) from its agent start instead`;
        return report;
      }
      // eslint-disable-next-line @typescript-eslint/no-unsafe-type-assertion -- a checkpoint this machine version wrote (checked above)
      const recorded = entry.event.snapshot as {
        value: AgentSnapshot['value'];
        context: AgentSnapshot['context'];
        conditions?: ProjectedCondition[];
      };
      snapshot = machine.resolveState({ value: recorded.value, context: recorded.context });
      projector = new StatusProjector(recorded.conditions);
    } else if (snapshot) {
      // eslint-disable-next-line @typescript-eslint/no-unsafe-type-assertion -- an event the machine took when it was recorded: replay hands it back
      const recordedEvent = entry.event as EventFromLogic<AgentMachine>;
      const [next, actions]: [AgentSnapshot, ReadonlyArray<{ type: string; params?: unknown }>] = transition(
        machine,
        snapshot,
        recordedEvent,
      );
      snapshot = next;
      requested = effectRequestsOf(actions);
    }
    if (!snapshot) break;
    states.push(snapshot.value);
    report.divergence = compare(entry, snapshot, requested, projector, report);
    if (report.divergence) break;
    report.reproduced++;
  }
  report.final = snapshot;
  return report;
}

/** The first aspect of the step that differs from the recording, or null. */
function compare(
  entry: EventLogEntry,
  snapshot: AgentSnapshot,
  requested: EffectRequest[],
  projector: StatusProjector,
  report: SegmentReport,
): ReplayDivergence | null {
  const diverges = (
    aspect: ReplayAspect,
    recorded: unknown,
    replayed: unknown,
    extra: Partial<ReplayDivergence> = {},
  ): ReplayDivergence => ({
    seq: entry.seq,
    eventType: entry.event.type,
    segment: report.index,
    aspect,
    recorded,
    replayed,
    ...extra,
  });
  const recordedState = stateInThisMachine(report.machine, entry.state);
  if (canonicalJson(snapshot.value) !== canonicalJson(recordedState)) return diverges('state', recordedState, snapshot.value);
  // A checkpoint records the state it resumes from, nothing it did.
  if (!report.compares.includes('status') || entry.event.type === CHECKPOINT_EVENT_TYPE) return null;
  const projection = projector.project(snapshot);
  const digest = statusDigest(projection);
  if (digest !== (entry.status ?? null)) return diverges('status', entry.status ?? null, digest, { replayedStatus: projection });
  const recordedEffects = entry.effects ?? [];
  if (canonicalJson(requested) !== canonicalJson(recordedEffects)) return diverges('effects', recordedEffects, requested);
  return null;
}

export type { EventLogEntry };
