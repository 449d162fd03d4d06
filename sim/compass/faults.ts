// Fault injection: faults armed per operation (a root field such as `configuration` or
// `applicationsForRuntime`, a nested page such as `bundles`, or `*`), optionally on one surface, each
// applying to a number of calls or for a while. Request faults act before or instead of execution;
// page faults alter one produced page.
import { randomUUID } from 'node:crypto';

export const requestFaultKinds = [
  'http-status',
  'timeout',
  'graphql-error',
  'malformed-json',
  'delay',
  'tls-reject',
  'connection-reset',
  'management-info',
  'http-management-info',
  'echo-token',
] as const;
export const faultSurfaces = ['connector', 'connector-mtls', 'director'] as const;
export type FaultSurface = (typeof faultSurfaces)[number];
export const pageFaultKinds = ['truncated-page', 'wrong-total-count'] as const;
export type RequestFaultKind = (typeof requestFaultKinds)[number];
export type PageFaultKind = (typeof pageFaultKinds)[number];
export type FaultKind = RequestFaultKind | PageFaultKind;

/**
 * Kinds that end a call without an answer: `tls-reject` closes the connection (what Node's own TLS
 * server does to a certificate it refuses: no alert, the client sees the socket closed);
 * `connection-reset` resets it (a TCP RST after the request arrived, as a failing gateway or network
 * sends). Neither says anything about the certificate.
 */
export interface FaultSpec {
  /** Root field name (`configuration`, `runtime`, ...), page name (`applicationsForRuntime`, `bundles`, `apiDefinitions`, `eventDefinitions`) or `*`. */
  operation: string;
  kind: FaultKind;
  /** Only calls to this surface: `connector` (token-secured), `connector-mtls` (certificate-secured), `director`. Default: any. */
  surface?: FaultSurface;
  /** How many calls (or pages) it applies to; default 1. */
  count?: number | 'unlimited';
  /** Applies only this many wall-clock milliseconds after it was armed (with count "unlimited": every call in that time). */
  durationMs?: number;
  /**
   * Matching calls (or pages) to let through before it applies: 2 on `applicationsForRuntime` hits the
   * third to arrive (page 3 for a client that reads one page after the other). Default 0.
   */
  skip?: number;
  /**
   * Only calls (or pages) requested with this `after` cursor ('' for none): a fault on one page
   * whatever order a client's requests arrive in.
   */
  after?: string;
  /**
   * http-status: the status (default 500). echo-token: the status of an answer that echoes the
   * one-time token the request carried, as a careless gateway does (default 401; 200 = a GraphQL error).
   */
  status?: number;
  /** http-status: the body (default an Oathkeeper-style JSON error). */
  body?: string;
  /** graphql-error: the message (Director default: a masked internal error). */
  message?: string;
  /** delay, timeout: milliseconds to wait before answering. */
  delayMs?: number;
  /** wrong-total-count: added to the true count (default +1). */
  delta?: number;
  /**
   * management-info: the `configuration` answer carries this managementPlaneInfo instead of the real
   * one; null or absent = an answer without management info (reference §4.3 "Management info is empty").
   */
  managementPlaneInfo?: { directorURL?: string | null; certificateSecuredConnectorURL?: string | null } | null;
  /**
   * http-management-info: the `configuration` answer names the real Director and certificate-secured
   * Connector URLs with the http:// scheme, on this origin (e.g. `http://127.0.0.1:8080`) when given.
   */
  httpOrigin?: string;
}

export interface ArmedFault extends FaultSpec {
  id: string;
  /** Wall-clock time (ms since the epoch) after which it no longer applies, for a fault with durationMs. */
  until?: number;
  remaining: number | 'unlimited';
  applied: number;
  /** Matching calls still to let through before it applies. */
  toSkip: number;
}

const allKinds: readonly string[] = [...requestFaultKinds, ...pageFaultKinds];

/** Checks a fault from the control API; throws an Error naming the bad field. */
export function validateFaultSpec(input: unknown): FaultSpec {
  if (typeof input !== 'object' || input === null) throw new Error('fault must be a JSON object with "operation" and "kind"');
  const spec = input as Record<string, unknown>;
  if (typeof spec.operation !== 'string' || spec.operation === '')
    throw new Error('fault.operation must be a non-empty string (a root field name, a page name or "*")');
  if (typeof spec.kind !== 'string' || !allKinds.includes(spec.kind))
    throw new Error(`fault.kind must be one of ${allKinds.join(', ')}; got ${JSON.stringify(spec.kind)}`);
  const count = spec.count ?? 1;
  if (count !== 'unlimited' && !(typeof count === 'number' && Number.isInteger(count) && count > 0))
    throw new Error('fault.count must be a positive integer or "unlimited"');
  if (
    spec.status !== undefined &&
    !(typeof spec.status === 'number' && Number.isInteger(spec.status) && spec.status >= 100 && spec.status <= 599)
  )
    throw new Error('fault.status must be an HTTP status between 100 and 599');
  if (spec.delayMs !== undefined && !(typeof spec.delayMs === 'number' && spec.delayMs >= 0 && spec.delayMs <= 600_000))
    throw new Error('fault.delayMs must be between 0 and 600000');
  if (spec.delta !== undefined && !(typeof spec.delta === 'number' && Number.isInteger(spec.delta)))
    throw new Error('fault.delta must be an integer');
  if (spec.skip !== undefined && !(typeof spec.skip === 'number' && Number.isInteger(spec.skip) && spec.skip >= 0))
    throw new Error('fault.skip must be a non-negative integer');
  if (spec.after !== undefined && typeof spec.after !== 'string')
    throw new Error('fault.after must be a page cursor (a string; "" for the first page)');
  if (spec.surface !== undefined && !(faultSurfaces as readonly unknown[]).includes(spec.surface))
    throw new Error(`fault.surface must be one of ${faultSurfaces.join(', ')}`);
  if (spec.durationMs !== undefined && !(typeof spec.durationMs === 'number' && spec.durationMs > 0 && spec.durationMs <= 3_600_000))
    throw new Error('fault.durationMs must be between 1 and 3600000');
  const info = spec.managementPlaneInfo;
  if (info !== undefined && info !== null) {
    const fields = info as Record<string, unknown>;
    const ok =
      typeof info === 'object' &&
      !Array.isArray(info) &&
      Object.entries(fields).every(
        ([k, v]) => ['directorURL', 'certificateSecuredConnectorURL'].includes(k) && (v === null || typeof v === 'string'),
      );
    if (!ok)
      throw new Error(
        'fault.managementPlaneInfo must be null or an object with string (or null) directorURL and certificateSecuredConnectorURL',
      );
  }
  if (spec.httpOrigin !== undefined && !(typeof spec.httpOrigin === 'string' && /^http:\/\/[^/\s]+$/.test(spec.httpOrigin))) {
    throw new Error('fault.httpOrigin must be an http origin such as "http://127.0.0.1:8080" (no path)');
  }
  for (const key of ['body', 'message'] as const) {
    if (spec[key] !== undefined && typeof spec[key] !== 'string') throw new Error(`fault.${key} must be a string`);
  }
  // Each field was checked above; the check of `kind` does not narrow it to the union.
  return { ...(spec as Partial<FaultSpec>), operation: spec.operation, kind: spec.kind as FaultKind, count };
}

export class FaultBoard {
  private armed: ArmedFault[] = [];

  arm(spec: FaultSpec): ArmedFault {
    const valid = validateFaultSpec(spec);
    const fault: ArmedFault = {
      ...valid,
      id: randomUUID(),
      remaining: valid.count ?? 1,
      applied: 0,
      toSkip: valid.skip ?? 0,
      ...(valid.durationMs !== undefined ? { until: Date.now() + valid.durationMs } : {}),
    };
    this.armed.push(fault);
    return { ...fault };
  }

  clear(): void {
    this.armed = [];
  }

  /** Whether no fault is armed (expired ones may still count: then it says false). */
  get empty(): boolean {
    return this.armed.length === 0;
  }

  list(): ArmedFault[] {
    const now = Date.now();
    return this.armed.filter((fault) => fault.until === undefined || fault.until > now).map((fault) => ({ ...fault }));
  }

  /**
   * Consumes one use of every armed fault of the given kinds that matches one of the operations (on
   * `surface`, when given; requested with the cursor `after`, for a fault that names one).
   */
  take(operations: readonly string[], kinds: readonly FaultKind[], surface?: FaultSurface, after?: unknown): ArmedFault[] {
    if (this.armed.length === 0) return []; // every page asks: keep the common case free
    const now = Date.now();
    this.armed = this.armed.filter((fault) => fault.until === undefined || fault.until > now);
    const taken: ArmedFault[] = [];
    for (const fault of this.armed) {
      if (!kinds.includes(fault.kind)) continue;
      if (fault.operation !== '*' && !operations.includes(fault.operation)) continue;
      if (fault.surface !== undefined && fault.surface !== surface) continue;
      if (fault.after !== undefined && fault.after !== (after ?? '')) continue;
      if (fault.toSkip > 0) {
        fault.toSkip -= 1;
        continue;
      }
      fault.applied += 1;
      if (fault.remaining !== 'unlimited') fault.remaining -= 1;
      taken.push({ ...fault });
    }
    this.armed = this.armed.filter((fault) => fault.remaining === 'unlimited' || fault.remaining > 0);
    return taken;
  }
}
