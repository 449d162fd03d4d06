// What /debug says about the agent, as plain data: the machine's state, then what an operator asks
// first (the last error and when, the certificate's validity and when it is renewed, the last
// synchronization's counts, the next cycle) and the latest events. Read from the machine's snapshot
// and the event log; nothing here decides anything. The agent redacts the whole view before it
// leaves the process.
import type { CertificateInfo, SyncSummary } from '../../machines/agent-events.js';
import { renewalReason, type AgentTimingConfig } from '../../machines/timing.js';
import type { AgentSnapshot } from '../../machines/agent-machine.js';
import type { EventLogEntry } from '../event-log.js';
import { isRecord } from '../../adapters/unknown-values.js';

export interface DebugError {
  at: string;
  /** The event that brought it (e.g. `xstate.error.actor.establishConnection`). */
  event: string;
  /** The failure's kind (`unreachable`, `rejected`, …) or the synchronization's result. */
  kind: string | null;
  message: string;
}

export interface DebugCertificate {
  notBefore: string;
  notAfter: string;
  acquired: string | null;
  /** From when the renewal rule holds (the first cycle after it renews); null when it never does. */
  renewalDueAt: string | null;
  /** Compass refuses it (revoked or unknown): a fresh token is needed, not a renewal. */
  rejected: boolean;
}

export interface DebugSynchronization {
  at: string;
  result: string;
  error: string | null;
  /** Applications created, updated, deleted, unchanged and failed; null when the cycle got no answer to count. */
  summary: SyncSummary | null;
}

export interface AgentDebugView {
  state: unknown;
  status: string | null;
  connectionState: string | null;
  leaderElection: { enabled: false } | { lease: string; identity: string; leading: boolean; leader: string | null };
  /** The latest failure since the process started, kept after the agent recovered. */
  lastError: DebugError | null;
  /** Named so that redaction (which replaces any `certificate` field) keeps the dates. */
  certificateValidity: DebugCertificate | null;
  lastSynchronization: DebugSynchronization | null;
  nextCycleAt: string | null;
  /** The latest entries of the event log, oldest first (redacted when recorded). */
  recentEvents: EventLogEntry[];
}

// Recorded event names: effect ids never change (old event logs depend on them).
const SYNC_DONE = 'xstate.done.actor.synchronize';
const SYNC_FAILED = 'xstate.error.actor.synchronize';

const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

function summaryOf(value: unknown): SyncSummary | null {
  if (!isRecord(value)) return null;
  const s = value;
  return {
    created: count(s.created),
    updated: count(s.updated),
    deleted: count(s.deleted),
    unchanged: count(s.unchanged),
    failed: count(s.failed),
  };
}

/** The synchronization an event log entry ends, if it ends one. */
export function synchronizationOf(entry: EventLogEntry): DebugSynchronization | null {
  if (entry.event.type === SYNC_DONE) {
    const output = entry.event.output;
    const out = isRecord(output) ? output : {};
    return {
      at: text(out.at) ?? entry.at,
      result: text(out.result) ?? 'unknown',
      error: text(out.error) ?? null,
      summary: summaryOf(out.summary),
    };
  }
  if (entry.event.type === SYNC_FAILED) {
    const failure = entry.event.error;
    const error = isRecord(failure) ? failure : {};
    return {
      at: text(error.at) ?? entry.at,
      result: 'SynchronizationFailed',
      error: text(error.message) ?? 'unknown error',
      summary: null,
    };
  }
  return null;
}

/**
 * What the view remembers across events: the last error (the machine forgets it once it recovers)
 * and the last synchronization. Fed with every entry the event log records and the machine's
 * context after it.
 */
export class DebugMemory {
  lastError: DebugError | null = null;
  lastSynchronization: DebugSynchronization | null = null;
  private seenFailure: string | null = null;

  observe(entry: EventLogEntry, context: { lastError?: { at: string; kind: string; message: string } | null } | undefined): void {
    const failure = context?.lastError;
    const key = failure ? `${failure.at}\n${failure.message}` : null;
    if (failure && key !== this.seenFailure)
      this.lastError = { at: failure.at, event: entry.event.type, kind: failure.kind, message: failure.message };
    this.seenFailure = key;
    const sync = synchronizationOf(entry);
    if (sync) {
      this.lastSynchronization = sync;
      if (sync.error) this.lastError = { at: sync.at, event: entry.event.type, kind: sync.result, message: sync.error };
    }
  }
}

const ms = (at: string) => Date.parse(at);
const iso = (t: number) => new Date(t).toISOString();

/**
 * The earliest time at which the machine's renewal rule (machines/timing.ts) holds for this
 * certificate, found by bisection over its validity rather than by restating the rule here, so the
 * page cannot drift from what the machine does. To the second; null when the dates do not parse or
 * the rule never holds before the certificate expires.
 */
export function renewalDueAt(
  validity: CertificateInfo,
  timing: Pick<AgentTimingConfig, 'renewalThreshold' | 'minimalSyncTimeMs'>,
): string | null {
  // The rule reads whole seconds: search over seconds.
  let lo = Math.floor(ms(validity.notBefore) / 1000);
  let hi = Math.floor(ms(validity.notAfter) / 1000);
  if (Number.isNaN(lo) || Number.isNaN(hi) || hi < lo) return null;
  const due = (second: number) =>
    renewalReason({
      certificate: validity,
      now: iso(second * 1000),
      renewalThreshold: timing.renewalThreshold,
      minimalSyncTimeMs: timing.minimalSyncTimeMs,
      refreshRequested: false,
      credentialsExist: true,
    }) !== null;
  if (due(lo)) return iso(lo * 1000);
  if (!due(hi)) return null;
  // Invariant: the rule does not hold at lo and holds at hi (once it holds, it keeps holding).
  while (hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    if (due(mid)) hi = mid;
    else lo = mid;
  }
  return iso(hi * 1000);
}

/** What the view reads of the machine's snapshot. */
export type DebugSnapshot = Pick<AgentSnapshot, 'value' | 'status'> & {
  context: Pick<AgentSnapshot['context'], 'connectionState' | 'certificate' | 'certificateRejected' | 'nextCycleAt'>;
};

export interface DebugViewInput {
  snapshot: DebugSnapshot | undefined;
  memory: DebugMemory;
  entries: EventLogEntry[];
  timing: Pick<AgentTimingConfig, 'renewalThreshold' | 'minimalSyncTimeMs'>;
  leaderElection: AgentDebugView['leaderElection'];
  /** How many of the latest events to include (default 50). */
  recent?: number;
}

export function buildDebugView(input: DebugViewInput): AgentDebugView {
  const { snapshot } = input;
  const context = snapshot?.context;
  const certificate = context?.certificate;
  return {
    state: snapshot?.value ?? null,
    status: snapshot?.status ?? null,
    connectionState: context?.connectionState ?? null,
    leaderElection: input.leaderElection,
    lastError: input.memory.lastError,
    certificateValidity: certificate
      ? {
          notBefore: certificate.notBefore,
          notAfter: certificate.notAfter,
          acquired: certificate.acquired ?? null,
          renewalDueAt: renewalDueAt(certificate, input.timing),
          rejected: !!context?.certificateRejected,
        }
      : null,
    lastSynchronization: input.memory.lastSynchronization,
    nextCycleAt: context?.nextCycleAt ?? null,
    recentEvents: input.entries.slice(-(input.recent ?? 50)),
  };
}
