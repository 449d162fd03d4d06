// The agent's side effects as the runtime sees them. src/agent/compass-effects.ts implements them with
// the Connector/Director clients and the Kubernetes stores; the machine receives only plain data.
import type { Observable } from 'rxjs';
import type {
  CertificateRenewed,
  ConnectionChecked,
  ConnectionEstablished,
  EffectErrorKind,
  LoadedState,
  ManagementInfo,
  ObservedConfig,
  ObservedConnectionCr,
  ObservedCredentials,
  SyncOutcome,
} from '../../machines/agent-events.js';
import type { ConnectionProjection } from '../status-projection.js';

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

export interface AgentEffects {
  /** Start-up: what the cluster already holds. */
  loadState(signal: AbortSignal): Promise<LoadedState>;
  /** token → configuration → CSR → certificate → Secrets, with the token currently in the config Secret. */
  establishConnection(signal: AbortSignal): Promise<ConnectionEstablished>;
  /** Certificate-secured `configuration` query + "do the credential Secrets exist" probe. */
  checkConnection(input: { managementInfo: ManagementInfo }, signal: AbortSignal): Promise<ConnectionChecked>;
  /** CSR over the certificate-secured Connector, new Secrets. */
  renewCertificate(input: { managementInfo: ManagementInfo }, signal: AbortSignal): Promise<CertificateRenewed>;
  /** Director fetch → apply Applications → runtime labels; the outcome is data, not an exception. */
  synchronize(input: { managementInfo: ManagementInfo; resync: boolean }, signal: AbortSignal): Promise<SyncOutcome>;
}

/** Streams the runtime subscribes to; each emission becomes an event stamped with the clock. */
export interface AgentSources {
  config$: Observable<ObservedConfig>;
  /** null = the CR is absent or was deleted. */
  connectionCr$: Observable<ObservedConnectionCr | null>;
  credentials$?: Observable<ObservedCredentials>;
}

/** Writes the projected CompassConnection (create if missing, spec + status, conflict-aware). */
export interface ConnectionWriter {
  write(projection: ConnectionProjection): Promise<void>;
}
