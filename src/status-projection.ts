// Projects the machine's state into the CompassConnection resource: what the cluster (and its
// operators) see. Pure: the same snapshot always gives the same projection.
import type { AgentContext } from '../machines/agent-machine.js';
import type { ConnectionState, ManagementInfo } from '../machines/agent-events.js';

/** Annotation that remembers which one-time token was consumed (a fingerprint, never the token). */
export const CONSUMED_TOKEN_ANNOTATION = 'compass.kyma-project.io/consumed-token-fingerprint';

export interface ProjectedCondition {
  type: 'Connected' | 'CertificateValid' | 'Synchronized' | 'SecureCompassTransport';
  status: 'True' | 'False' | 'Unknown';
  reason: string;
  message: string;
  lastTransitionTime?: string;
}

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
 * changes when they end.
 */
export function projectConnection(snapshot: { context: AgentContext }): ConnectionProjection | null {
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
      conditions: conditionsOf(c),
      observedGeneration: cr?.generation,
    }),
    annotations: c.consumedTokenFingerprint ? { [CONSUMED_TOKEN_ANNOTATION]: c.consumedTokenFingerprint } : {},
  };
}

function conditionsOf(c: AgentContext): ProjectedCondition[] {
  const s = toRfc3339Seconds;
  const state = c.connectionState!;
  const connected = state !== 'ConnectionFailed' && state !== 'ConnectionMaintenanceFailed';
  // Maintenance that failed on a Kubernetes request says nothing about Compass: the connection is unknown, not failed.
  const kubernetesFailure = state === 'ConnectionMaintenanceFailed' && (c.lastError?.kind === 'kubernetes' || c.lastError?.kind === 'kubernetes-read');
  const conditions: ProjectedCondition[] = [
    compact({
      type: 'Connected' as const,
      status: connected ? ('True' as const) : kubernetesFailure ? ('Unknown' as const) : ('False' as const),
      reason: connected ? 'Connected' : kubernetesFailure ? 'KubernetesRequestFailed' : state,
      message: connected ? 'The Runtime holds a certificate that Compass accepts' : (c.connection?.error ?? state),
      lastTransitionTime: s(connected ? (c.connection?.lastSuccess ?? c.connection?.established) : c.connection?.lastSync),
    }),
  ];
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
    conditions.push(compact({ type: 'CertificateValid' as const, status, reason, message, lastTransitionTime: s(c.certificate.acquired) }));
  }
  const insecure = c.insecureCompassSettings ?? [];
  conditions.push(
    insecure.length
      ? {
          type: 'SecureCompassTransport',
          status: 'False',
          reason: 'InsecureSettings',
          message: `${insecure.map((name) => `${name}=true`).join(' and ')}: the connection to Compass can be read or redirected on the network; for labs only`,
        }
      : { type: 'SecureCompassTransport', status: 'True', reason: 'VerifiedTLS', message: 'Compass is reached over https only, with its server certificate verified' },
  );
  if (c.lastSyncResult) {
    const ok = c.lastSyncResult === 'Synchronized';
    conditions.push(
      compact({
        type: 'Synchronized' as const,
        status: ok ? ('True' as const) : ('False' as const),
        reason: c.lastSyncResult,
        message: ok ? 'Applications match the Director' : (c.synchronization?.error ?? c.lastSyncResult),
        lastTransitionTime: s(c.synchronization?.lastAttempt),
      }),
    );
  }
  return conditions;
}
