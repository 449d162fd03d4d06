// The event log: every event the agent machine received, with its time and the state it led to.
// JSON lines: a header, then one entry per event. Redacted before it is kept or written, bounded in
// memory, optionally appended to a file (APP_EVENT_LOG_FILE).
import { appendFileSync, writeFileSync } from 'node:fs';
import { redact } from '../adapters/redaction.js';
import { AGENT_MACHINE_ID, AGENT_MACHINE_VERSION } from '../machines/agent-machine.js';

export const EVENT_LOG_KIND = 'runtime-agent-event-log';
export const EVENT_LOG_VERSION = 1;

export interface EventLogHeader {
  kind: typeof EVENT_LOG_KIND;
  version: number;
  machine: string;
}

export interface EventLogEntry {
  seq: number;
  at: string;
  event: { type: string; [key: string]: unknown };
  state: unknown;
}

export interface EventLog {
  readonly header: EventLogHeader;
  /** Redacts `event`, numbers it, keeps it (dropping the oldest beyond capacity) and appends it to the file. */
  append(at: string, event: { type: string }, state: unknown): EventLogEntry;
  /** The entries still held in memory, oldest first. */
  entries(): EventLogEntry[];
  /** Header + held entries as JSON lines. */
  toText(): string;
}

export function machineHeader(): EventLogHeader {
  return { kind: EVENT_LOG_KIND, version: EVENT_LOG_VERSION, machine: `${AGENT_MACHINE_ID}@${AGENT_MACHINE_VERSION}` };
}

export function createEventLog(options: { capacity?: number; file?: string } = {}): EventLog {
  const capacity = Math.max(1, options.capacity ?? 1000);
  const header = machineHeader();
  const ring: EventLogEntry[] = [];
  let seq = 0;
  if (options.file) writeFileSync(options.file, JSON.stringify(header) + '\n', { mode: 0o600 });
  return {
    header,
    append(at, event, state) {
      const entry: EventLogEntry = { seq: seq++, at, event: redact(event) as EventLogEntry['event'], state };
      ring.push(entry);
      if (ring.length > capacity) ring.shift();
      // Synchronous so that entries land in order and survive a crash right after.
      if (options.file) appendFileSync(options.file, JSON.stringify(entry) + '\n');
      return entry;
    },
    entries: () => ring.slice(),
    toText: () => [header, ...ring].map((line) => JSON.stringify(line)).join('\n') + '\n',
  };
}

export class EventLogFormatError extends Error {
  override name = 'EventLogFormatError';
}

export function parseEventLog(text: string): { header: EventLogHeader; entries: EventLogEntry[] } {
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  if (lines.length === 0) throw new EventLogFormatError('the event log is empty; expected a header line');
  const parse = (line: string, n: number): unknown => {
    try {
      return JSON.parse(line);
    } catch {
      throw new EventLogFormatError(`line ${n} of the event log is not JSON`);
    }
  };
  const header = parse(lines[0]!, 1) as Partial<EventLogHeader>;
  if (header?.kind !== EVENT_LOG_KIND || typeof header.machine !== 'string') {
    throw new EventLogFormatError(`line 1 is not an event log header; expected {"kind":"${EVENT_LOG_KIND}",...}`);
  }
  if (header.version !== EVENT_LOG_VERSION) {
    throw new EventLogFormatError(`event log version ${String(header.version)} is not supported; this build reads version ${EVENT_LOG_VERSION}`);
  }
  const entries = lines.slice(1).map((line, i) => {
    const e = parse(line, i + 2) as Partial<EventLogEntry>;
    if (typeof e?.seq !== 'number' || typeof e.at !== 'string' || typeof e.event?.type !== 'string' || !('state' in e)) {
      throw new EventLogFormatError(`line ${i + 2} is not an event log entry; expected seq, at, event.type and state`);
    }
    return e as EventLogEntry;
  });
  return { header: header as EventLogHeader, entries };
}
