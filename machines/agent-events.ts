// The agent's event vocabulary and the plain data that travels in events. Everything here must
// survive JSON (the event log) and redaction: no field is named like a secret (`certificate`,
// `credentials`, `token`, `data`, ...) because `redact` would replace it and replay would diverge.

export interface ManagementInfo {
  directorUrl: string;
  /** The certificate-secured Connector. */
  connectorUrl: string;
}

/** Validity of the client certificate, RFC 3339. */
export interface CertificateInfo {
  notBefore: string;
  notAfter: string;
}

/**
 * - `kubernetes`: writing the agent's objects (the credential Secrets) failed;
 * - `kubernetes-read`: reading from the Kubernetes API failed (the API server is unreachable or refuses):
 *   not a Compass failure, and never reported as one.
 */
export type EffectErrorKind =
  'unreachable' | 'rejected' | 'invalid-response' | 'invalid-config' | 'kubernetes' | 'kubernetes-read' | 'internal';

/** An effect failure as the machine sees it: already redacted, plain data. */
export interface EffectFailure {
  kind: EffectErrorKind;
  message: string;
  /** When the effect failed (the runtime stamps it from its clock). */
  at: string;
}

export interface ObservedConnectionCr {
  generation: number;
  resourceVersion: string;
  spec: { managementInfo?: Partial<ManagementInfo>; resyncNow?: boolean; refreshCredentialsNow?: boolean };
  /** The status as stored; read defensively (a user-created CR has none). */
  status?: unknown;
  /** From the consumed-token annotation. */
  consumedTokenFingerprint?: string;
}

export interface ObservedCredentials {
  clientCertificateSecret: 'present' | 'missing' | 'invalid';
  caCertificateSecret: 'present' | 'missing';
  /** Validity of the client certificate in the Secret, when it parses. */
  certificateValidity?: CertificateInfo;
}

export interface ObservedConfig {
  present: boolean;
  /** What is wrong with it, e.g. "key TOKEN is missing". */
  problem?: string;
  /** A sha256 prefix of TOKEN, never the token. */
  tokenFingerprint?: string;
  connectorUrl?: string;
}

export interface LoadedState {
  at: string;
  cr: ObservedConnectionCr | null;
  credentialsSecrets: ObservedCredentials;
  /**
   * The management info the agent stored beside the key in the client-certificate Secret: the only
   * source it resumes from (a CR edit must not redirect its mutual-TLS traffic). null: that Secret
   * holds none (a cluster left by the Go agent) and the token flow is needed. Absent only in event
   * logs recorded before the agent kept it there; such logs replay as recorded, from the CR.
   */
  managementInfo?: ManagementInfo | null;
}

export interface ConnectionEstablished {
  at: string;
  certificateValidity: CertificateInfo;
  managementInfo: ManagementInfo;
  tokenFingerprint: string;
}

export interface ConnectionChecked {
  at: string;
  managementInfo: ManagementInfo;
  /** Whether the CA Secret (and the client certificate Secret) exist. */
  credentialsExist: boolean;
}

export interface CertificateRenewed {
  at: string;
  certificateValidity: CertificateInfo;
  managementInfo: ManagementInfo;
}

export interface SyncSummary {
  created: number;
  updated: number;
  deleted: number;
  failed: number;
  unchanged: number;
}

export type SyncResult = 'Synchronized' | 'SynchronizationFailed' | 'ResourceApplicationFailed' | 'MetadataUpdateFailed';

export interface SyncOutcome {
  at: string;
  result: SyncResult;
  /** Redacted; the projection prefixes it with the reference's text for the result. */
  error?: string;
  fetchedAt?: string;
  appliedAt?: string;
  summary?: SyncSummary;
  /** What the cycle deliberately left undone, and why (e.g. Runtime labels whose URLs are not configured). */
  note?: string;
}

/** Events the world sends to the machine. Effect results arrive as xstate.done/error.actor.<id> (effect-boundary.ts). */
export type AgentEvent =
  | { type: 'CONFIG_OBSERVED'; at: string; config: ObservedConfig }
  | { type: 'CONNECTION_CR_OBSERVED'; at: string; cr: ObservedConnectionCr }
  | { type: 'CONNECTION_CR_DELETED'; at: string }
  | { type: 'CREDENTIALS_OBSERVED'; at: string; secrets: ObservedCredentials }
  /** The wake-up the machine asked for (via the `requestWake` action) is due. */
  | { type: 'WAKE'; at: string };

export type ConnectionState =
  | 'Connected'
  | 'ConnectionFailed'
  | 'ConnectionMaintenanceFailed'
  | 'Synchronized'
  | 'SynchronizationFailed'
  | 'ResourceApplicationFailed'
  | 'MetadataUpdateFailed';
