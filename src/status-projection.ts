// Projects the machine's state into the CompassConnection resource: what the cluster (and its
// operators) see. Pure: the same snapshot always gives the same projection. The machine keeps why
// something failed as data; the reference's texts (its error prefixes, the Secret to fix) are
// rendered here.
import type { AgentContext, AgentSnapshot } from '../machines/agent-machine.js';
import type { ConnectionError, SecretNames, SynchronizationError } from '../machines/agent-context.js';
import type { ConnectionState, EffectErrorKind, ManagementInfo } from '../machines/agent-events.js';
import { isRecord } from '../adapters/unknown-values.js';

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
    Connected: "Compass accepts the Runtime's client certificate",
    ConnectionFailed: 'no certificate could be obtained with the one-time token',
    ConnectionMaintenanceFailed: 'the certificate-secured Connector is unreachable or refuses the certificate',
    KubernetesRequestFailed: 'maintenance failed on a Kubernetes request: the connection to Compass is unknown',
  },
  CertificateValid: {
    Valid: 'the client certificate is within its validity and Compass has not refused it',
    NoCertificate: 'the Runtime holds no client certificate yet',
    Expired: "the client certificate is past its notAfter (by the agent's clock)",
    NotYetValid: "the client certificate is before its notBefore (by the agent's clock)",
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

/** The reference's prefixes of connectionStatus.error and synchronizationStatus.error. */
export const ERROR_PREFIX = {
  retrieve: 'Failed to retrieve certificate: ',
  preserve: 'Failed to preserve certificate: ',
  maintain: 'Error while trying to maintain connection: ',
  runtimeConfig: 'Failed to read Runtime config: ',
  prepareClient: 'Failed to prepare configuration client: ',
  fetch: 'Failed to fetch configuration: ',
  apply: 'Failed to apply configuration: ',
  labels: 'Failed to reconcile Runtime labels with proper URLs: ',
} as const;

/** Said with a failed token flow that a start-up chose over a certificate whose URLs it did not trust. */
function untrustedResumeNote(names: SecretNames): string {
  return (
    `the certificate in Secret ${names.clientCertificateSecret} was not resumed: that Secret holds no management info written by this agent ` +
    `(a cluster left by the Go agent, or the keys were removed), and the URLs in the CompassConnection are not trusted because editing the CR must not redirect the agent; ` +
    `put a fresh one-time token into Secret ${names.configurationSecret}`
  );
}

/** connectionStatus.error (and the Connected condition's message), in the reference's words. */
export function renderConnectionError(error: ConnectionError | null, names: SecretNames): string | undefined {
  if (!error) return undefined;
  switch (error.cause) {
    case 'connection-failed': {
      const prefix = error.failure.kind === 'kubernetes' ? ERROR_PREFIX.preserve : ERROR_PREFIX.retrieve;
      return prefix + error.failure.message + (error.untrustedResume ? `; ${untrustedResumeNote(names)}` : '');
    }
    case 'configuration-unusable': {
      const problem =
        error.problem.kind === 'absent'
          ? 'it does not exist'
          : error.problem.kind === 'no-token'
            ? 'it has no TOKEN'
            : error.problem.detail;
      return `${ERROR_PREFIX.retrieve}configuration Secret ${names.configurationSecret} is unusable: ${problem}; put CONNECTOR_URL and a fresh TOKEN into it`;
    }
    case 'maintenance-failed':
      return ERROR_PREFIX.maintain + error.failure.message;
    case 'client-certificate-unusable': {
      const what = error.secret === 'missing' ? 'is missing' : 'does not hold a usable certificate and key';
      return `${ERROR_PREFIX.maintain}client certificate Secret ${names.clientCertificateSecret} ${what}; put a new one-time token into the configuration Secret ${names.configurationSecret} to reconnect`;
    }
    case 'stored':
      return error.text;
  }
}

/** What kind of failure is behind the connection error (the log line says whether Compass or Kubernetes failed). */
export function connectionErrorKind(error: ConnectionError | null): EffectErrorKind | undefined {
  switch (error?.cause) {
    case 'connection-failed':
    case 'maintenance-failed':
      return error.failure.kind;
    case 'configuration-unusable':
    case 'client-certificate-unusable':
      return 'invalid-config';
    default:
      return undefined;
  }
}

/** synchronizationStatus.error (and the Synchronized condition's message), in the reference's words. */
export function renderSynchronizationError(error: SynchronizationError | null): string | undefined {
  if (!error) return undefined;
  if (error.cause === 'stored') return error.text;
  const text = error.message ?? 'unknown error';
  switch (error.result) {
    case 'ResourceApplicationFailed':
      return prefixed(ERROR_PREFIX.apply, text);
    case 'MetadataUpdateFailed':
      return prefixed(ERROR_PREFIX.labels, text);
    case 'SynchronizationFailed':
      // The effect names the step that failed before the fetch (Runtime config, client); anything else is a fetch failure.
      return [ERROR_PREFIX.runtimeConfig, ERROR_PREFIX.prepareClient, ERROR_PREFIX.fetch].some((p) => text.startsWith(p))
        ? text
        : ERROR_PREFIX.fetch + text;
  }
}

function prefixed(prefix: string, text: string): string {
  return text.startsWith(prefix) ? text : prefix + text;
}

/** RFC 3339 at second precision, as the Go agent wrote metav1.Time. */
export function toRfc3339Seconds(at: string | undefined): string | undefined {
  if (!at) return undefined;
  const t = Date.parse(at);
  return Number.isNaN(t) ? undefined : new Date(Math.floor(t / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

// The overload keeps the caller's type: dropping the keys whose value is undefined leaves a T.
function compact<T extends Record<string, unknown>>(value: T): T;
function compact(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/**
 * The projection of a snapshot, or null while there is nothing to report yet (before the first
 * connection attempt ends). Connecting and Renewing keep the previous state: the context only
 * changes when they end. `previousConditions` are the conditions last projected (the runtime keeps
 * them); without them, those stored in the CR as last observed: a condition whose status did not
 * change keeps its lastTransitionTime, one that changed gets the time of the event that changed it.
 */
export function projectConnection(
  snapshot: { context: AgentContext },
  previousConditions?: readonly ProjectedCondition[],
): ConnectionProjection | null {
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
        error: renderSynchronizationError(c.synchronizationError),
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
        error: renderConnectionError(c.connectionError, c.secretNames),
      }),
      synchronizationStatus: sync,
      conditions: withTransitionTimes(conditionsOf(c), previousConditions ?? storedConditions(c), s(c.now), cr?.generation),
      observedGeneration: cr?.generation,
    }),
    annotations: c.consumedTokenFingerprint ? { [CONSUMED_TOKEN_ANNOTATION]: c.consumedTokenFingerprint } : {},
  };
}

type Condition = Omit<ProjectedCondition, 'lastTransitionTime' | 'observedGeneration'>;

/** The conditions last written, as the CR observed at start-up holds them (absent under the upstream CRD, which prunes them). */
function storedConditions(c: AgentContext): ProjectedCondition[] {
  const status = c.cr?.status;
  const conditions = isRecord(status) ? status.conditions : undefined;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-type-assertion -- as stored; withTransitionTimes reads them defensively (p?.type, typeof lastTransitionTime)
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
    const kept =
      before && before.status === condition.status && typeof before.lastTransitionTime === 'string' ? before.lastTransitionTime : undefined;
    return compact({ ...condition, lastTransitionTime: kept ?? now, observedGeneration: generation });
  });
}

function conditionsOf(c: AgentContext): Condition[] {
  const s = toRfc3339Seconds;
  const state = c.connectionState!;
  const connected = state !== 'ConnectionFailed' && state !== 'ConnectionMaintenanceFailed';
  // Maintenance that failed on a Kubernetes request says nothing about Compass: the connection is unknown, not failed.
  const failedOn = c.connectionError?.cause === 'maintenance-failed' ? c.connectionError.failure.kind : undefined;
  const kubernetesFailure = state === 'ConnectionMaintenanceFailed' && (failedOn === 'kubernetes' || failedOn === 'kubernetes-read');
  const connection: Condition = {
    type: 'Connected',
    status: connected ? 'True' : kubernetesFailure ? 'Unknown' : 'False',
    reason: connected ? 'Connected' : kubernetesFailure ? 'KubernetesRequestFailed' : state,
    message: connected
      ? 'The Runtime holds a certificate that Compass accepts'
      : (renderConnectionError(c.connectionError, c.secretNames) ?? state),
  };
  let certificate: Condition;
  if (c.certificate) {
    // By the agent's clock: an expired certificate is refused too, but "Expired" is the reason to tell.
    const now = Date.parse(c.now);
    const expired = Date.parse(c.certificate.notAfter) <= now;
    const notYetValid = Date.parse(c.certificate.notBefore) > now;
    const [status, reason, message] = expired
      ? (['False', 'Expired', `The client certificate expired at ${s(c.certificate.notAfter)}`] as const)
      : notYetValid
        ? ([
            'False',
            'NotYetValid',
            `The client certificate is not valid before ${s(c.certificate.notBefore)} by the agent's clock; check the clocks of the node and of Compass`,
          ] as const)
        : c.certificateRejected
          ? (['False', 'Rejected', 'Compass refuses the client certificate'] as const)
          : (['True', 'Valid', `The client certificate is valid until ${s(c.certificate.notAfter)}`] as const);
    certificate = { type: 'CertificateValid', status, reason, message };
  } else {
    certificate = {
      type: 'CertificateValid',
      status: 'False',
      reason: 'NoCertificate',
      message: 'The Runtime holds no client certificate yet',
    };
  }
  const insecure = c.insecureCompassSettings ?? [];
  const transport: Condition = insecure.length
    ? {
        type: 'SecureCompassTransport',
        status: 'False',
        reason: 'InsecureSettings',
        message: `${insecure.map((name) => `${name}=true`).join(' and ')}: the connection to Compass can be read or redirected on the network; for labs only`,
      }
    : {
        type: 'SecureCompassTransport',
        status: 'True',
        reason: 'VerifiedTLS',
        message: 'Compass is reached over https only, with its server certificate verified',
      };
  const synchronized: Condition = c.lastSyncResult
    ? {
        type: 'Synchronized',
        status: c.lastSyncResult === 'Synchronized' ? 'True' : 'False',
        reason: c.lastSyncResult,
        message:
          c.lastSyncResult === 'Synchronized'
            ? `Applications match the Director${c.syncNote ? `; ${c.syncNote}` : ''}`
            : (renderSynchronizationError(c.synchronizationError) ?? c.lastSyncResult),
      }
    : {
        type: 'Synchronized',
        status: 'Unknown',
        reason: 'AwaitingSynchronization',
        message: 'No synchronization with the Director has ended yet',
      };
  return [connection, certificate, transport, synchronized, readiness([connection, certificate, synchronized])];
}

/** The summary: True when every part is; otherwise the first part that is not, False before Unknown. */
function readiness(parts: Condition[]): Condition {
  const failing = parts.find((p) => p.status === 'False') ?? parts.find((p) => p.status === 'Unknown');
  if (!failing) {
    return {
      type: 'Ready',
      status: 'True',
      reason: 'ConnectedAndSynchronized',
      message: 'Connected to Compass with a valid certificate; Applications match the Director',
    };
  }
  return { type: 'Ready', status: failing.status, reason: failing.reason, message: `${failing.type}: ${failing.message}` };
}

/**
 * What the runtime projects after each step of the machine, and replay checks: nothing while Starting
 * or Connecting (they would only repeat the old state), otherwise the projection with the conditions
 * last projected (their lastTransitionTime stays while their status does).
 */
export class StatusProjector {
  constructor(private conditions?: ProjectedCondition[]) {}

  /** The conditions last projected (a checkpoint of the event log keeps them). */
  get lastConditions(): ProjectedCondition[] | undefined {
    return this.conditions;
  }

  project(snapshot: AgentSnapshot): ConnectionProjection | null {
    if (snapshot.matches('Starting') || snapshot.matches('Connecting')) return null;
    const projection = projectConnection(snapshot, this.conditions);
    if (projection) this.conditions = projection.status.conditions;
    return projection;
  }
}
