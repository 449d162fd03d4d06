// Reads a CompassConnection status as stored in the cluster. The CR may have been written by the Go
// agent, by an older version of this one, or by a user (no status at all): read every field
// defensively and keep only what has the expected type.
import type { ConnectionState } from './agent-events.js';

export interface ConnectionTimestamps {
  established?: string;
  renewed?: string;
  lastSync?: string;
  lastSuccess?: string;
}

export interface SynchronizationTimestamps {
  lastAttempt?: string;
  lastSuccessfulFetch?: string;
  lastSuccessfulApplication?: string;
}

export interface StoredStatus {
  connectionState?: ConnectionState;
  connection: ConnectionTimestamps | null;
  /** connectionStatus.error as another run (or the Go agent) rendered it. */
  connectionError?: string;
  synchronization: SynchronizationTimestamps | null;
  /** synchronizationStatus.error as rendered. */
  synchronizationError?: string;
  certificate: { acquired?: string; notBefore: string; notAfter: string } | null;
}

const STATES: readonly ConnectionState[] = [
  'Connected',
  'ConnectionFailed',
  'ConnectionMaintenanceFailed',
  'Synchronized',
  'SynchronizationFailed',
  'ResourceApplicationFailed',
  'MetadataUpdateFailed',
];

function record(value: unknown): Record<string, unknown> | null {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return null;
  return Object.fromEntries(Object.entries(value));
}

function pickStrings<K extends string>(source: Record<string, unknown> | null, keys: readonly K[]): Partial<Record<K, string>> | null {
  if (!source) return null;
  const out: Partial<Record<K, string>> = {};
  for (const key of keys) {
    const v = source[key];
    if (typeof v === 'string' && v !== '') out[key] = v;
  }
  return out;
}

export function readStoredStatus(status: unknown): StoredStatus {
  const s = record(status);
  const state = s?.connectionState;
  const connectionStatus = record(s?.connectionStatus);
  const certificateStatus = record(connectionStatus?.certificateStatus);
  const cert = pickStrings(certificateStatus, ['acquired', 'notBefore', 'notAfter'] as const);
  const synchronizationStatus = record(s?.synchronizationStatus);
  const connectionError = pickStrings(connectionStatus, ['error'] as const)?.error;
  const synchronizationError = pickStrings(synchronizationStatus, ['error'] as const)?.error;
  return {
    connectionState: STATES.find((known) => known === state),
    connection: pickStrings(connectionStatus, ['established', 'renewed', 'lastSync', 'lastSuccess'] as const),
    ...(connectionError ? { connectionError } : {}),
    synchronization: pickStrings(synchronizationStatus, ['lastAttempt', 'lastSuccessfulFetch', 'lastSuccessfulApplication'] as const),
    ...(synchronizationError ? { synchronizationError } : {}),
    certificate: cert?.notBefore && cert.notAfter ? { acquired: cert.acquired, notBefore: cert.notBefore, notAfter: cert.notAfter } : null,
  };
}
