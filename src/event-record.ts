// What an event log entry records besides the event and the state it led to: a digest of the
// CompassConnection the agent projected after it and the effects the machine requested with it (an
// effect started, a wake-up asked for). The runtime records both; replay recomputes and compares
// them, so a change that moves a timestamp, a backoff or a renewal fails replay at the event.
import { createHash } from 'node:crypto';
import { redact } from '../adapters/redaction.js';
import type { ConnectionProjection } from './status-projection.js';

/** One effect the machine requested: a wake-up (the `requestWake` action) or an invoked effect. */
export type EffectRequest = { wake: { at: string; jitterMs: number } } | { invoke: string; input?: unknown };

/** JSON with the keys of every object sorted: the same value gives the same text whatever built it. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v !== null && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}

/** sha256 (first 16 hex digits) of the canonical projection; null when nothing was projected. */
export function statusDigest(projection: ConnectionProjection | null): string | null {
  return projection ? createHash('sha256').update(canonicalJson(projection)).digest('hex').slice(0, 16) : null;
}

function isWake(params: unknown): params is { at: string; jitterMs: number } {
  return (
    typeof params === 'object' &&
    params !== null &&
    'at' in params &&
    typeof params.at === 'string' &&
    'jitterMs' in params &&
    typeof params.jitterMs === 'number'
  );
}

/**
 * The effect request an executed action stands for, or null for the machine's other actions (context
 * changes, stopping a finished effect). `action` is what XState reports: the `@xstate.action`
 * inspection event of the running actor, or an action that `transition()` returns in replay.
 */
export function effectRequestOf(action: { type: string; params?: unknown }): EffectRequest | null {
  const { type, params } = action;
  if (type === 'requestWake') return isWake(params) ? { wake: { at: params.at, jitterMs: params.jitterMs } } : null;
  if (type === 'xstate.spawnChild' && typeof params === 'object' && params !== null && 'id' in params && typeof params.id === 'string') {
    const input = 'input' in params ? params.input : undefined;
    // Redacted as the event log is: what is compared is what can be written.
    return input === undefined ? { invoke: params.id } : { invoke: params.id, input: redact(input) };
  }
  return null;
}

export function effectRequestsOf(actions: ReadonlyArray<{ type: string; params?: unknown }>): EffectRequest[] {
  return actions.flatMap((action) => effectRequestOf(action) ?? []);
}
