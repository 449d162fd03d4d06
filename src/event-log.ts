// The event log: every event the agent machine received, with its time and the state it led to.
// JSON lines: a header, then one entry per event. Redacted before it is kept or written, bounded in
// memory, optionally written to a file (APP_EVENT_LOG_FILE).
//
// The file is the agent's alone: mode 0600 whatever existed before. It is bounded too: a file left by
// a previous run, and the current file once it grows past `maxBytes`, become FILE.1 (replacing the
// one before), and FILE starts again with the header and, after a rotation, a checkpoint entry that
// holds the machine's state, so that the current file always replays on its own.
import { chmodSync, closeSync, existsSync, fchmodSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { redact, redactStrings } from '../adapters/redaction.js';
import { AGENT_MACHINE_ID, AGENT_MACHINE_VERSION } from '../machines/agent-machine.js';

export const EVENT_LOG_KIND = 'runtime-agent-event-log';
/** 2 added checkpoint entries (a file that starts after a rotation); version 1 logs read the same. */
export const EVENT_LOG_VERSION = 2;
const READABLE_VERSIONS: readonly unknown[] = [1, EVENT_LOG_VERSION];
/** An entry of this type holds the machine's state (`snapshot`: value and context) instead of an event. */
export const CHECKPOINT_EVENT_TYPE = 'runtime-agent.checkpoint';
/** Where a rotated event log file goes: FILE.1. */
export const rotatedFileName = (file: string) => `${file}.1`;
export const DEFAULT_EVENT_LOG_MAX_BYTES = 10 * 1024 * 1024;

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
  /**
   * Redacts `event`, numbers it, keeps it (dropping the oldest beyond capacity) and appends it to the
   * file. `checkpoint` gives the machine's state after it, for a file that starts after a rotation.
   */
  append(at: string, event: { type: string }, state: unknown, checkpoint?: () => { value: unknown; context: unknown }): EventLogEntry;
  /** The entries still held in memory, oldest first. */
  entries(): EventLogEntry[];
  /** Header + held entries as JSON lines. */
  toText(): string;
  /** Closes the file, if any; entries appended afterwards are kept in memory only. */
  close?(): void;
}

export function machineHeader(): EventLogHeader {
  return { kind: EVENT_LOG_KIND, version: EVENT_LOG_VERSION, machine: `${AGENT_MACHINE_ID}@${AGENT_MACHINE_VERSION}` };
}

export interface EventLogOptions {
  /** Entries kept in memory (for /debug). */
  capacity?: number;
  file?: string;
  /** Size past which the file is rotated; default 10 MiB. */
  maxBytes?: number;
}

export function createEventLog(options: EventLogOptions = {}): EventLog {
  const capacity = Math.max(1, options.capacity ?? 1000);
  const header = machineHeader();
  const ring: EventLogEntry[] = [];
  let seq = 0;
  let file = options.file ? new EventLogFile(options.file, Math.max(1, options.maxBytes ?? DEFAULT_EVENT_LOG_MAX_BYTES), header) : undefined;
  return {
    header,
    append(at, event, state, checkpoint) {
      const entry: EventLogEntry = { seq: seq++, at, event: redact(event) as EventLogEntry['event'], state };
      ring.push(entry);
      if (ring.length > capacity) ring.shift();
      file?.write(entry, checkpoint);
      return entry;
    },
    entries: () => ring.slice(),
    toText: () => [header, ...ring].map((line) => JSON.stringify(line)).join('\n') + '\n',
    close() {
      file?.close();
      file = undefined;
    },
  };
}

/** The file of the event log: written synchronously, so that entries land in order and survive a crash right after. */
class EventLogFile {
  private fd = -1;
  private bytes = 0;

  constructor(
    private readonly path: string,
    private readonly maxBytes: number,
    private readonly header: EventLogHeader,
  ) {
    // A previous run's log is kept as FILE.1 rather than overwritten.
    if (existsSync(path) && statSync(path).size > 0) this.moveAside();
    this.open();
  }

  write(entry: EventLogEntry, checkpoint?: () => { value: unknown; context: unknown }): void {
    this.append(entry);
    if (this.bytes < this.maxBytes) return;
    closeSync(this.fd);
    this.moveAside();
    this.open();
    if (checkpoint) {
      // The context holds no secret (events are redacted before the machine sees them) but has fields
      // named like one (`certificate` holds validity dates): scrub values only, so it replays as it was.
      this.append({ seq: entry.seq, at: entry.at, event: { type: CHECKPOINT_EVENT_TYPE, snapshot: redactStrings(checkpoint()) }, state: entry.state });
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  private open(): void {
    this.fd = openSync(this.path, 'w', 0o600);
    // `mode` applies only to a file that did not exist.
    fchmodSync(this.fd, 0o600);
    this.bytes = 0;
    this.append(this.header);
  }

  private append(line: unknown): void {
    const text = JSON.stringify(line) + '\n';
    this.bytes += writeSync(this.fd, text);
  }

  private moveAside(): void {
    chmodSync(this.path, 0o600);
    renameSync(this.path, rotatedFileName(this.path));
  }
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
  if (!READABLE_VERSIONS.includes(header.version)) {
    throw new EventLogFormatError(`event log version ${String(header.version)} is not supported; this build reads versions ${READABLE_VERSIONS.join(' and ')}`);
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
