// The event log: every event the agent machine received, with its time, the state it led to, a digest
// of the status the agent projected and the effects it requested (event-record.ts). JSON lines: a
// header, then one entry per event. Redacted before it is kept or written, bounded in
// memory, optionally written to a file (APP_EVENT_LOG_FILE).
//
// The file is the agent's alone: mode 0600 whatever existed before. Each run appends a segment of its
// own (a header line, then its entries numbered from 0) to the event log a previous run left, so a
// restart keeps the history; a crash may leave a torn last line, which readers skip with a warning.
// The file is bounded too: once it grows past `maxBytes` (or is past it at start) it becomes FILE.1
// (replacing the one before) and FILE starts again with the header and, in the middle of a run, a
// checkpoint entry that holds the machine's state, so that the current file always replays on its own.
// A file that is not an event log is not appended to: it is kept as FILE.1.
import { closeSync, fchmodSync, fstatSync, openSync, readSync, renameSync, chmodSync, statSync, writeSync } from 'node:fs';
import { redact, redactStrings } from '../adapters/redaction.js';
import { AGENT_MACHINE_ID, AGENT_MACHINE_VERSION } from '../machines/agent-machine.js';
import type { EffectRequest } from './event-record.js';
import { errorMessage, errorCode } from '../adapters/unknown-values.js';

export const EVENT_LOG_KIND = 'runtime-agent-event-log';
/**
 * 2 added checkpoint entries (a file that starts after a rotation); 3 records with each entry the
 * digest of the projected status and the effects requested, and the machine's start time in its
 * input. Versions 1 and 2 still replay, their states only.
 */
export const EVENT_LOG_VERSION = 3;
export const READABLE_VERSIONS: readonly number[] = [1, 2, EVENT_LOG_VERSION];
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
  /** Version 3: digest of the CompassConnection the agent projected after the event; null: none (statusDigest). */
  status?: string | null;
  /** Version 3: the effects the machine requested with the event; absent: none. */
  effects?: EffectRequest[];
}

/** The machine's state at a rotation: what the file after it replays from. */
export interface EventLogCheckpoint {
  value: unknown;
  context: unknown;
  /** The conditions last projected (their lastTransitionTime carries on). */
  conditions?: unknown;
}

/** What an entry records besides the event and the state. */
export interface EventLogRecord {
  status?: string | null;
  effects?: EffectRequest[];
  /** The machine's state after the event, for a file that starts after a rotation. */
  checkpoint?: () => EventLogCheckpoint;
}

export interface EventLog {
  readonly header: EventLogHeader;
  /**
   * Redacts `event`, numbers it, keeps it (dropping the oldest beyond capacity) and appends it to the
   * file, with what `record` says the step projected and requested.
   */
  append(at: string, event: { type: string }, state: unknown, record?: EventLogRecord): EventLogEntry;
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
  /**
   * A write to the file failed (disk full, volume gone): the file is given up, the log goes on in
   * memory. Without it the failure is silent. Opening the file fails loudly instead (EventLogFileError).
   */
  onFileError?: (error: EventLogFileError) => void;
}

/** The event log file cannot be opened or written; `file` names it, `code` is the system error code. */
export class EventLogFileError extends Error {
  override name = 'EventLogFileError';
  constructor(
    readonly file: string,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function createEventLog(options: EventLogOptions = {}): EventLog {
  const capacity = Math.max(1, options.capacity ?? 1000);
  const header = machineHeader();
  const ring: EventLogEntry[] = [];
  let seq = 0;
  let file = options.file
    ? new EventLogFile(options.file, Math.max(1, options.maxBytes ?? DEFAULT_EVENT_LOG_MAX_BYTES), header)
    : undefined;
  return {
    header,
    append(at, event, state, record = {}) {
      const entry: EventLogEntry = { seq: seq++, at, event: redact(event), state };
      if (record.status !== undefined) entry.status = record.status;
      if (record.effects?.length) entry.effects = redact(record.effects);
      ring.push(entry);
      if (ring.length > capacity) ring.shift();
      if (file) {
        try {
          file.write(entry, record.checkpoint);
        } catch (error) {
          // The agent must not stop because its diary cannot be written: memory only from here on.
          const failed = file;
          file = undefined;
          failed.closeQuietly();
          options.onFileError?.(asFileError(failed.path, 'write', error));
        }
      }
      return entry;
    },
    entries: () => ring.slice(),
    toText: () => [header, ...ring].map((line) => JSON.stringify(line)).join('\n') + '\n',
    close() {
      file?.closeQuietly();
      file = undefined;
    },
  };
}

function asFileError(path: string, doing: 'open' | 'write', error: unknown): EventLogFileError {
  if (error instanceof EventLogFileError) return error;
  const code = errorCode(error) ?? 'EIO';
  const what = doing === 'open' ? 'cannot be opened for appending' : 'cannot be written';
  const detail = errorMessage(error);
  return new EventLogFileError(
    path,
    code,
    `the event log file ${path} ${what} (${detail.startsWith(code) ? detail : `${code}: ${detail}`})`,
    { cause: error },
  );
}

/** The file of the event log: written synchronously, so that entries land in order and survive a crash right after. */
class EventLogFile {
  private fd = -1;
  private bytes = 0;

  constructor(
    readonly path: string,
    private readonly maxBytes: number,
    private readonly header: EventLogHeader,
  ) {
    try {
      this.openAtStart();
    } catch (error) {
      this.closeQuietly();
      throw asFileError(path, 'open', error);
    }
  }

  write(entry: EventLogEntry, checkpoint?: () => EventLogCheckpoint): void {
    this.append(entry);
    if (this.bytes < this.maxBytes) return;
    closeSync(this.fd);
    this.fd = -1;
    this.moveAside();
    this.open();
    if (checkpoint) {
      // The context holds no secret (events are redacted before the machine sees them) but has fields
      // named like one (`certificate` holds validity dates): scrub values only, so it replays as it was.
      this.append({
        seq: entry.seq,
        at: entry.at,
        event: { type: CHECKPOINT_EVENT_TYPE, snapshot: redactStrings(checkpoint()) },
        state: entry.state,
      });
    }
  }

  closeQuietly(): void {
    if (this.fd < 0) return;
    try {
      closeSync(this.fd);
    } catch {
      // already unusable
    }
    this.fd = -1;
  }

  /** A previous run's event log gets this run's segment appended; anything else is kept aside as FILE.1. */
  private openAtStart(): void {
    const existing = sizeOf(this.path);
    if (existing > 0 && (existing >= this.maxBytes || !startsWithEventLogHeader(this.path))) this.moveAside();
    this.open();
  }

  private open(): void {
    this.fd = openSync(this.path, 'a+', 0o600);
    // `mode` applies only to a file that did not exist.
    fchmodSync(this.fd, 0o600);
    this.bytes = fstatSync(this.fd).size;
    // A crash may have torn the last line: end it, so that this segment's header starts a line of its own.
    if (this.bytes > 0 && !endsWithNewline(this.fd, this.bytes)) this.bytes += writeSync(this.fd, '\n');
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

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 0;
    throw error;
  }
}

/** Whether the file's first line is an event log header (of any version). */
function startsWithEventLogHeader(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(4096);
    const read = readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.subarray(0, read).toString('utf8');
    const end = text.indexOf('\n');
    const first = end < 0 ? text : text.slice(0, end);
    return isHeader(tryJson(first));
  } finally {
    closeSync(fd);
  }
}

function endsWithNewline(fd: number, size: number): boolean {
  const last = Buffer.alloc(1);
  readSync(fd, last, 0, 1, size - 1);
  return last[0] === 0x0a;
}

export class EventLogFormatError extends Error {
  override name = 'EventLogFormatError';
}

/** One run of the agent (or the rest of one after a rotation): a header and the entries after it. */
export interface EventLogSegment {
  header: EventLogHeader;
  entries: EventLogEntry[];
  /** Line numbers (1-based) of the header and of the segment's last line. */
  firstLine: number;
  lastLine: number;
}

export interface ParsedEventLog {
  /** The first segment's header. */
  header: EventLogHeader;
  /** Every entry of every segment, in file order. */
  entries: EventLogEntry[];
  segments: EventLogSegment[];
  /** What a reader should know but that does not make the log unusable: torn lines, gaps in seq. */
  warnings: string[];
}

const NOT_JSON = Symbol('not JSON');

function tryJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return NOT_JSON;
  }
}

function isHeader(value: unknown): value is Partial<EventLogHeader> {
  return typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === EVENT_LOG_KIND;
}

/**
 * Reads an event log of one or more segments. A line that is not JSON is tolerated only as the last
 * line of a segment (a crash while writing it), with a warning; anywhere else the log is unusable.
 * Gaps and steps back in `seq` within a segment are warnings.
 */
export function parseEventLog(text: string): ParsedEventLog {
  const lines = text
    .split('\n')
    .map((line, index) => ({ n: index + 1, line }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ n, line }) => ({ n, value: tryJson(line) }));
  if (lines.length === 0) throw new EventLogFormatError('the event log is empty; expected a header line');
  const segments: EventLogSegment[] = [];
  const warnings: string[] = [];
  let current: EventLogSegment | undefined;
  lines.forEach(({ n, value }, index) => {
    if (value === NOT_JSON) {
      const next = lines[index + 1];
      if (current && (next === undefined || isHeader(next.value))) {
        current.lastLine = n;
        warnings.push(
          `line ${n} is not JSON: the last line of segment ${segments.length} was torn (the agent stopped while writing it); it is skipped`,
        );
        return;
      }
      throw new EventLogFormatError(`line ${n} of the event log is not JSON`);
    }
    if (isHeader(value)) {
      if (typeof value.machine !== 'string')
        throw new EventLogFormatError(`line ${n} is not an event log header; expected {"kind":"${EVENT_LOG_KIND}",...}`);
      if (typeof value.version !== 'number' || !READABLE_VERSIONS.includes(value.version)) {
        throw new EventLogFormatError(
          `event log version ${String(value.version)} is not supported (line ${n}); this build reads versions ${READABLE_VERSIONS.slice(0, -1).join(', ')} and ${READABLE_VERSIONS.at(-1)}`,
        );
      }
      current = {
        header: { ...value, kind: EVENT_LOG_KIND, version: value.version, machine: value.machine },
        entries: [],
        firstLine: n,
        lastLine: n,
      };
      segments.push(current);
      return;
    }
    if (!current) throw new EventLogFormatError(`line ${n} is not an event log header; expected {"kind":"${EVENT_LOG_KIND}",...}`);
    // eslint-disable-next-line @typescript-eslint/no-unsafe-type-assertion -- a line of the file, its fields checked on the next line
    const e = value as Partial<EventLogEntry> | null;
    if (typeof e?.seq !== 'number' || typeof e.at !== 'string' || typeof e.event?.type !== 'string' || !('state' in e)) {
      throw new EventLogFormatError(`line ${n} is not an event log entry; expected seq, at, event.type and state`);
    }
    const previous = current.entries.at(-1);
    if (previous && e.seq !== previous.seq + 1) {
      warnings.push(
        e.seq > previous.seq
          ? `segment ${segments.length}: seq jumps from ${previous.seq} to ${e.seq} at line ${n}: ${e.seq - previous.seq - 1} event(s) missing, so the replay after it may diverge`
          : `segment ${segments.length}: seq goes back from ${previous.seq} to ${e.seq} at line ${n}: entries of two writers are mixed`,
      );
    }
    current.entries.push({ ...e, seq: e.seq, at: e.at, event: e.event, state: e.state });
    current.lastLine = n;
  });
  return { header: segments[0].header, entries: segments.flatMap((s) => s.entries), segments, warnings };
}
