// What happened, told as Kubernetes Events on the CompassConnection: derived from one step of the
// machine (the context before, the event, the context after). Pure: the same step always tells the
// same Events, so a recorded event log can be told again. Notes are redacted again by the recorder.
import type { AgentContext } from '../machines/agent-machine.js';
import type { ConnectionState } from '../machines/agent-events.js';
import type { RenewalReason } from '../machines/timing.js';
import { renderConnectionError, renderSynchronizationError, toRfc3339Seconds } from './status-projection.js';
import type { EffectId, EffectOutput } from '../machines/effect-boundary.js';
import { isRecord } from '../adapters/unknown-values.js';

export interface ConnectionEvent {
  type: 'Normal' | 'Warning';
  /** CamelCase, one of EVENT_REASONS. */
  reason: string;
  /** What the agent was doing (events.k8s.io/v1 `action`). */
  action: 'Connect' | 'Maintain' | 'RenewCertificate' | 'Synchronize' | 'LeaderElection';
  note: string;
  /** When it happened (RFC 3339), from the event. */
  at: string;
}

/** Every reason an Event of the agent carries, with its meaning (the README lists the same). */
export const EVENT_REASONS = {
  ConnectionEstablished: 'a client certificate was obtained with the one-time token',
  ConnectionFailed: 'a connection attempt with the one-time token failed',
  CertificateRenewed: 'the client certificate was renewed; the note says why: threshold, requested or Secret changed',
  ConnectionMaintenanceFailed: 'the certificate-secured Connector was unreachable or refused the certificate, or renewing failed',
  SynchronizationFailed: 'the Runtime configuration or the Director could not be read',
  ResourceApplicationFailed: 'some Applications or their Secrets could not be written',
  MetadataUpdateFailed: 'the Runtime labels could not be set in the Director',
  ApplicationsSynchronized: 'a synchronization created, updated or deleted Applications (the counts, one Event per cycle)',
  Connected: 'connectionState became Connected',
  Synchronized: 'connectionState became Synchronized',
  LeaderElected: 'this replica acquired the leader election Lease and runs the agent',
} as const;

const FAILURE_STATES: readonly ConnectionState[] = [
  'ConnectionFailed',
  'ConnectionMaintenanceFailed',
  'SynchronizationFailed',
  'ResourceApplicationFailed',
  'MetadataUpdateFailed',
];

interface StepEvent {
  type: string;
  output?: unknown;
}

/** Why a renewal ran, in the words of the issue: threshold, requested, Secret changed. */
export function renewalCause(reason: RenewalReason | null | undefined, threshold: number): string {
  switch (reason) {
    case 'refresh-requested':
      return 'requested (spec.refreshCredentialsNow)';
    case 'credentials-missing':
      return 'Secret changed (a credential Secret is missing or no longer holds the certificate in use)';
    case 'below-threshold':
      return `threshold (less than ${Math.round(threshold * 100)}% of its validity left)`;
    case 'expires-before-next-sync':
      return 'threshold (it would expire before the next cycle)';
    case 'validity-unknown':
      return 'threshold (its validity was unknown)';
    default:
      return 'unknown';
  }
}

/**
 * The Events one step of the machine tells. Failures are told on every attempt with the error as
 * note, so repeats of the same error aggregate into one Event's series; a change of connectionState
 * into Connected or Synchronized is told once, with the state it left.
 */
export function connectionEventsOf(before: AgentContext | undefined, event: StepEvent, after: AgentContext): ConnectionEvent[] {
  if (!before) return [];
  const at = after.now;
  const s = toRfc3339Seconds;
  const connectionError = renderConnectionError(after.connectionError, after.secretNames);
  const synchronizationError = renderSynchronizationError(after.synchronizationError);
  const events: ConnectionEvent[] = [];
  switch (event.type) {
    case 'xstate.done.actor.establishConnection': {
      const out = outputOf('establishConnection', event);
      events.push({
        type: 'Normal',
        reason: 'ConnectionEstablished',
        action: 'Connect',
        note: `Connected to Compass with the one-time token; client certificate valid until ${s(out.certificateValidity.notAfter)}`,
        at: out.at,
      });
      break;
    }
    case 'xstate.error.actor.establishConnection':
      events.push({
        type: 'Warning',
        reason: 'ConnectionFailed',
        action: 'Connect',
        note: connectionError ?? 'the connection attempt failed',
        at,
      });
      break;
    case 'xstate.done.actor.renewCertificate': {
      const out = outputOf('renewCertificate', event);
      const cause = renewalCause(after.renewalReason, after.timing.renewalThreshold);
      events.push({
        type: 'Normal',
        reason: 'CertificateRenewed',
        action: 'RenewCertificate',
        note: `Client certificate renewed, reason: ${cause}; valid until ${s(out.certificateValidity.notAfter)}`,
        at: out.at,
      });
      break;
    }
    case 'xstate.error.actor.renewCertificate':
    case 'xstate.error.actor.checkConnection':
      events.push({
        type: 'Warning',
        reason: 'ConnectionMaintenanceFailed',
        action: event.type.endsWith('renewCertificate') ? 'RenewCertificate' : 'Maintain',
        note: connectionError ?? 'maintaining the connection failed',
        at,
      });
      break;
    case 'xstate.done.actor.synchronize': {
      const out = outputOf('synchronize', event);
      const summary = out.summary;
      if (summary && (summary.created || summary.updated || summary.deleted)) {
        events.push({
          type: 'Normal',
          reason: 'ApplicationsSynchronized',
          action: 'Synchronize',
          note: `Applications: ${summary.created} created, ${summary.updated} updated, ${summary.deleted} deleted, ${summary.failed} failed, ${summary.unchanged} unchanged`,
          at: out.at,
        });
      }
      if (out.result !== 'Synchronized') {
        events.push({ type: 'Warning', reason: out.result, action: 'Synchronize', note: synchronizationError ?? out.result, at: out.at });
      }
      break;
    }
    case 'xstate.error.actor.synchronize':
      events.push({
        type: 'Warning',
        reason: 'SynchronizationFailed',
        action: 'Synchronize',
        note: synchronizationError ?? 'synchronization failed',
        at,
      });
      break;
  }
  const from = before.connectionState;
  const to = after.connectionState;
  // A restart restores the stored state: not a change. Every other change is told once.
  if (to && to !== from && !(from === null && event.type === 'xstate.done.actor.loadState' && to === restoredState(after))) {
    const told = events.some((e) => e.reason === to || (to === 'Connected' && e.reason === 'ConnectionEstablished'));
    if (!told) {
      const failure = FAILURE_STATES.includes(to);
      const error = to === 'ConnectionFailed' || to === 'ConnectionMaintenanceFailed' ? connectionError : synchronizationError;
      events.push({
        type: failure ? 'Warning' : 'Normal',
        reason: to,
        action:
          to === 'ConnectionFailed' ? 'Connect' : to === 'ConnectionMaintenanceFailed' || to === 'Connected' ? 'Maintain' : 'Synchronize',
        note: failure && error ? error : `connectionState ${to}${from ? ` (was ${from})` : ''}`,
        at,
      });
    }
  }
  return events;
}

/** The connectionState a start-up restored from the stored status (the CR holds it). */
function restoredState(after: AgentContext): string | null {
  const status = after.cr?.status;
  const stored = isRecord(status) ? status.connectionState : undefined;
  return typeof stored === 'string' ? stored : null;
}

/** What effect `id` resolved with, from its `xstate.done.actor.<id>` event. */
function outputOf<K extends EffectId>(_id: K, event: StepEvent): EffectOutput<K> {
  // eslint-disable-next-line @typescript-eslint/no-unsafe-type-assertion -- XState's done event of effect K carries what K resolved with (machines/effect-boundary.ts)
  return event.output as EffectOutput<K>;
}
