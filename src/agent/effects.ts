// The agent's side effects as the runtime sees them. src/agent/compass-effects.ts implements them with
// the Connector/Director clients and the Kubernetes stores; the machine receives only plain data.
// Their ids, inputs and outputs are declared once, in machines/effect-boundary.ts.
import type { Observable } from 'rxjs';
import type { EffectErrorKind, ObservedConfig, ObservedConnectionCr, ObservedCredentials } from '../../machines/agent-events.js';
import type { EffectImplementations } from '../../machines/effect-boundary.js';
import type { ConnectionProjection } from '../status-projection.js';

export type { AgentEffectMap, EffectId, EffectInput, EffectOutput } from '../../machines/effect-boundary.js';
export type {
  CertificateInfo,
  CertificateRenewed,
  ConnectionChecked,
  ConnectionEstablished,
  EffectErrorKind,
  EffectFailure,
  LoadedState,
  ManagementInfo,
  ObservedConfig,
  ObservedConnectionCr,
  ObservedCredentials,
  SyncOutcome,
  SyncResult,
  SyncSummary,
} from '../../machines/agent-events.js';
export type { ConnectionProjection } from '../status-projection.js';

/**
 * What effect implementations throw. `message` must already be free of secrets (the runtime scrubs
 * it again) and say what failed with which input. Kinds that matter to the machine:
 * - `rejected` from checkConnection/renewCertificate: Compass refuses the certificate → a fresh
 *   token, if one appears, is used to reconnect;
 * - `kubernetes` from establishConnection: writing the credential Secrets failed
 *   ("Failed to preserve certificate"); every other kind there reads as "Failed to retrieve certificate";
 * - `invalid-config`: the configuration Secret is missing or malformed.
 */
export class EffectError extends Error {
  override name = 'EffectError';
  constructor(
    readonly kind: EffectErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Every effect of the machine (machines/effect-boundary.ts): `(input, signal) => Promise<output>`. */
export type AgentEffects = EffectImplementations;

/** Streams the runtime subscribes to; each emission becomes an event stamped with the clock. */
export interface AgentSources {
  config$: Observable<ObservedConfig>;
  /** null = the CR is absent or was deleted. */
  connectionCr$: Observable<ObservedConnectionCr | null>;
  /** The credential Secrets, whenever what the machine records of them changes. */
  credentials$?: Observable<ObservedCredentials>;
}

/** Writes the projected CompassConnection (create if missing, spec + status, conflict-aware). */
export interface ConnectionWriter {
  write(projection: ConnectionProjection): Promise<void>;
}
