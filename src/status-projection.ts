// Projects the machine's state into the CompassConnection resource: what the cluster (and its
// operators) see. Pure: the same snapshot always gives the same projection.
import type { AgentContext } from '../machines/agent-machine.js';
import type { ConnectionState, ManagementInfo } from '../machines/agent-events.js';

/** Annotation that remembers which one-time token was consumed (a fingerprint, never the token). */
export const CONSUMED_TOKEN_ANNOTATION = 'compass.kyma-project.io/consumed-token-fingerprint';

export type ConditionType = 'Connected' | 'CertificateValid' | 'Synchronized' | 'SecureCompassTransport' | 'Ready';
export type ConditionStatus = 'True' | 'False' | 'Unknown';

export interface ProjectedCondition {
  type: ConditionType;
  status: ConditionStatus;
  /** CamelCase; every reason is listed in CONDITION_REASONS (and the README). */
  reason: string;
  message: string;
  /** When `status` last changed: kept while the status stays, whatever the message does. */
  lastTransitionTime?: string;
  /** The CR generation the condition was computed for. */
  observedGeneration?: number;
}

/** Every reason a condition can carry, by condition, with its meaning (the README lists the same). */
export const CONDITION_REASONS: Record<ConditionType, Record<string, string>> = {
  // Otherwise Ready carries the reason of the first of Connected, CertificateValid and Synchronized that is not True.
  Ready: {
    ConnectedAndSynchronized: 'connected to Compass with a valid certificate, and the Applications match the Director',
  },
  Connected: {
    Connected: 'Compass accepts the Runtime\'s client certificate',
    ConnectionFailed: 'no certificate could be obtained with the one-time token',
    ConnectionMaintenanceFailed: 'the certificate-secured Connector is unreachable or refuses the certificate',
    KubernetesRequestFailed: 'maintenance failed on a Kubernetes request: the connection to Compass is unknown',
  },
  CertificateValid: {
    Valid: 'the client certificate is within its validity and Compass has not refused it',
    NoCertificate: 'the Runtime holds no client certificate yet',
    Expired: 'the client certificate is past its notAfter (by the agent\'s clock)',
    NotYetValid: 'the client certificate is before its notBefore (by the agent\'s clock)',
    Rejected: 'Compass refuses the client certificate (revoked, or unknown to it)',
  },
  Synchronized: {
    Synchronized: 'the Applications match the Director and the Runtime labels are set',
    AwaitingSynchronization: 'no synchronization has ended since the connection was made',
    SynchronizationFailed: 'the Runtime configuration or the Director could not be read',
    ResourceApplicationFailed: 'some Applications or their Secrets could not be written',
    MetadataUpdateFailed: 'the Runtime labels could not be set in the Director',
  },
  SecureCompassTransport: {
    VerifiedTLS: 'Compass is reached over https with its server certificate verified',
    InsecureSettings: 'a lab setting weakens the connection (APP_SKIP_COMPASS_TLS_VERIFY, APP_ALLOW_INSECURE_COMPASS_HTTP)',
  },
};

export interface ConnectionStatusProjection {
  connectionState: ConnectionState;
  connectionStatus: {
    established?: string;
    renewed?: string;
    lastSync?: string;
    lastSuccess?: string;
    /** Always present (the CRD requires it); null timestamps while there is no certificate, as the Go agent writes. */
    certificateStatus: { acquired: string | null; notBefore: string | null; notAfter: string | null };
    error?: string;
  };
  synchronizationStatus: {
    lastAttempt?: string;
    lastSuccessfulFetch?: string;
    lastSuccessfulApplication?: string;
    error?: string;
  } | null;
  conditions: ProjectedCondition[];
  observedGeneration?: number;
}

export interface ConnectionProjection {
  spec: { managementInfo?: ManagementInfo; resyncNow?: false; refreshCredentialsNow?: false };
  status: ConnectionStatusProjection;
  annotations: Record<string, string>;
}

/** RFC 3339 at second precision, as the Go agent wrote metav1.Time. */
export function toRfc3339Seconds(at: string | undefined): string | undefined {
  if (!at) return undefined;
  const t = Date.parse(at);
  return Number.isNaN(t) ? undefined : new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

function compact<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * The projection of a snapshot, or null while there is nothing to report yet (before the first
 * connection attempt ends). Connecting and Renewing keep the previous state: the context only
 * changes when they end. `previousConditions` are the conditions last projected (the runtime keeps
 * them); without them, those stored in the CR as last observed: a condition whose status did not
 * change keeps its lastTransitionTime, one that changed gets the time of the event that changed it.
 */
export function projectConnection(snapshot: { context: AgentContext }, previousConditions?: readonly ProjectedCondition[]): ConnectionProjection | null {
  const c = snapshot.context;
  if (!c.connectionState) return null;
  const s = toRfc3339Seconds;
  const connection = c.connection ?? {};
  const certificateStatus = {
    acquired: s(c.certificate?.acquired) ?? null,
    notBefore: s(c.certificate?.notBefore) ?? null,
    notAfter: s(c.certificate?.notAfter) ?? null,
  };
  const sync = c.synchronization
    ? compact({
        lastAttempt: s(c.synchronization.lastAttempt),
        lastSuccessfulFetch: s(c.synchronization.lastSuccessfulFetch),
        lastSuccessfulApplication: s(c.synchronization.lastSuccessfulApplication),
        error: c.synchronization.error,
      })
    : null;

  const cr = c.cr;
  const spec: ConnectionProjection['spec'] = {};
  if (c.managementInfo) spec.managementInfo = { ...c.managementInfo };
  // Write a consumed flag back to false, once; never touch a flag the user has not set.
  if (cr?.spec.resyncNow === true && !c.resync.requested && c.resync.handledGeneration >= cr.generation) spec.resyncNow = false;
  if (cr?.spec.refreshCredentialsNow === true && !c.refresh.requested && c.refresh.handledGeneration >= cr.generation) {
    spec.refreshCredentialsNow = false;
  }

  return {
    spec,
    status: compact({
      connectionState: c.connectionState,
      connectionStatus: compact({
        established: s(connection.established),
        renewed: s(connection.renewed),
        lastSync: s(connection.lastSync),
        lastSuccess: s(connection.lastSuccess),
        certificateStatus,
        error: connection.error,
      }),
      synchronizationStatus: sync,
      conditions: withTransitionTimes(conditionsOf(c), previousConditions ?? storedConditions(c), s(c.now ?? c.connection?.lastSync), cr?.generation),
      observedGeneration: cr?.generation,
    }),
    annotations: c.consumedTokenFingerprint ? { [CONSUMED_TOKEN_ANNOTATION]: c.consumedTokenFingerprint } : {},
  };
}

type Condition = Omit<ProjectedCondition, 'lastTransitionTime' | 'observedGeneration'>;

/** The conditions last written, as the CR observed at start-up holds them (absent under the upstream CRD, which prunes them). */
function storedConditions(c: AgentContext): ProjectedCondition[] {
  const conditions = (c.cr?.status as { conditions?: unknown } | undefined)?.conditions;
  return Array.isArray(conditions) ? (conditions as ProjectedCondition[]) : [];
}

/** Kubernetes API conventions: lastTransitionTime moves only when status changes; observedGeneration on each. */
function withTransitionTimes(
  conditions: Condition[],
  previous: readonly ProjectedCondition[],
  now: string | undefined,
  generation: number | undefined,
): ProjectedCondition[] {
  return conditions.map((condition) => {
    const before = previous.find((p) => p?.type === condition.type);
    const kept = before && before.status === condition.status && typeof before.lastTransitionTime === 'string' ? before.lastTransitionTime : undefined;
    return compact({ ...condition, lastTransitionTime: kept ?? now, observedGeneration: generation });
  });
}

function conditionsOf(c: AgentContext): Condition[] {
  const s = toRfc3339Seconds;
  const state = c.connectionState!;
  const connected = state !== 'ConnectionFailed' && state !== 'ConnectionMaintenanceFailed';
  // Maintenance that failed on a Kubernetes request says nothing about Compass: the connection is unknown, not failed.
  const kubernetesFailure = state === 'ConnectionMaintenanceFailed' && (c.lastError?.kind === 'kubernetes' || c.lastError?.kind === 'kubernetes-read');
  const connection: Condition = {
    type: 'Connected',
    status: connected ? 'True' : kubernetesFailure ? 'Unknown' : 'False',
    reason: connected ? 'Connected' : kubernetesFailure ? 'KubernetesRequestFailed' : state,
    message: connected ? 'The Runtime holds a certificate that Compass accepts' : (c.connection?.error ?? state),
  };
  let certificate: Condition;
  if (c.certificate) {
    // By the agent's clock: an expired certificate is refused too, but "Expired" is the reason to tell.
    const now = c.now === null ? NaN : Date.parse(c.now);
    const expired = Date.parse(c.certificate.notAfter) <= now;
    const notYetValid = Date.parse(c.certificate.notBefore) > now;
    const [status, reason, message] = expired
      ? (['False', 'Expired', `The client certificate expired at ${s(c.certificate.notAfter)}`] as const)
      : notYetValid
        ? (['False', 'NotYetValid', `The client certificate is not valid before ${s(c.certificate.notBefore)} by the agent's clock; check the clocks of the node and of Compass`] as const)
        : c.certificateRejected
          ? (['False', 'Rejected', 'Compass refuses the client certificate'] as const)
          : (['True', 'Valid', `The client certificate is valid until ${s(c.certificate.notAfter)}`] as const);
    certificate = { type: 'CertificateValid', status, reason, message };
  } else {
    certificate = { type: 'CertificateValid', status: 'False', reason: 'NoCertificate', message: 'The Runtime holds no client certificate yet' };
  }
  const insecure = c.insecureCompassSettings ?? [];
  const transport: Condition = insecure.length
    ? {
        type: 'SecureCompassTransport',
        status: 'False',
        reason: 'InsecureSettings',
        message: `${insecure.map((name) => `${name}=true`).join(' and ')}: the connection to Compass can be read or redirected on the network; for labs only`,
      }
    : { type: 'SecureCompassTransport', status: 'True', reason: 'VerifiedTLS', message: 'Compass is reached over https only, with its server certificate verified' };
  const synchronized: Condition = c.lastSyncResult
    ? {
        type: 'Synchronized',
        status: c.lastSyncResult === 'Synchronized' ? 'True' : 'False',
        reason: c.lastSyncResult,
        message: c.lastSyncResult === 'Synchronized' ? `Applications match the Director${c.syncNote ? `; ${c.syncNote}` : ''}` : (c.synchronization?.error ?? c.lastSyncResult),
      }
    : { type: 'Synchronized', status: 'Unknown', reason: 'AwaitingSynchronization', message: 'No synchronization with the Director has ended yet' };
  return [connection, certificate, transport, synchronized, readiness([connection, certificate, synchronized])];
}

/** The summary: True when every part is; otherwise the first part that is not, False before Unknown. */
function readiness(parts: Condition[]): Condition {
  const failing = parts.find((p) => p.status === 'False') ?? parts.find((p) => p.status === 'Unknown');
  if (!failing) {
    return { type: 'Ready', status: 'True', reason: 'ConnectedAndSynchronized', message: 'Connected to Compass with a valid certificate; Applications match the Director' };
  }
  return { type: 'Ready', status: failing.status, reason: failing.reason, message: `${failing.type}: ${failing.message}` };
}
