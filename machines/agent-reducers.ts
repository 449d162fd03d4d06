// How the agent machine's context changes with what an event brought: pure functions from the
// context and the event's data to the fields that change. agent-machine.ts names each one (an action).
import type {
  CertificateRenewed,
  ConnectionChecked,
  ConnectionEstablished,
  EffectFailure,
  LoadedState,
  ObservedConfig,
  ObservedConnectionCr,
  SyncOutcome,
} from './agent-events.js';
import type { AgentContext, ConfigurationProblem, ConnectionError, FlagRequest } from './agent-context.js';
import { renewalReasonAfter, resumeDistrusted, trustedManagementInfo } from './agent-guards.js';
import { readStoredStatus, type SynchronizationTimestamps } from './stored-status.js';
import { CYCLE_JITTER_FRACTION, RETRY_JITTER_FRACTION, iso, ms, retryDelayMs } from './timing.js';

type Change = Partial<AgentContext>;

/** A failed attempt, by the step that failed: each is counted, recorded and retried with backoff. */
export type FailureReport =
  /** Reading the cluster at start-up failed. */
  | { step: 'start'; failure: EffectFailure }
  /** The configuration Secret is unusable, so establishConnection could not even try. */
  | { step: 'configuration'; failure: EffectFailure }
  /** establishConnection failed (the Connector, or storing the certificate). */
  | { step: 'connect'; failure: EffectFailure }
  /** checkConnection or renewCertificate failed. */
  | { step: 'maintain'; failure: EffectFailure }
  /** Start-up with a healthy CR found the client-certificate Secret missing or broken. */
  | { step: 'client-certificate'; at: string; secret: 'missing' | 'invalid' };

export function observeCr(context: AgentContext, cr: ObservedConnectionCr | null): Change {
  if (!cr) return { cr: null };
  const pick = (flag: boolean | undefined, current: FlagRequest): FlagRequest =>
    flag === true && cr.generation > current.handledGeneration ? { requested: true, handledGeneration: cr.generation } : current;
  return {
    cr,
    resync: pick(cr.spec.resyncNow, context.resync),
    refresh: pick(cr.spec.refreshCredentialsNow, context.refresh),
    consumedTokenFingerprint: context.consumedTokenFingerprint ?? cr.consumedTokenFingerprint ?? null,
  };
}

/** What a start-up learns from the stored CR and the credential Secrets. */
export function restoreAtStart(context: AgentContext, loaded: LoadedState): Change {
  const stored = readStoredStatus(loaded.cr?.status);
  const validity = loaded.credentialsSecrets.certificateValidity;
  const certificate = validity ? { ...validity, acquired: stored.certificate?.acquired } : stored.certificate;
  const state = stored.connectionState;
  const lastSyncResult =
    state === 'Synchronized' ||
    state === 'SynchronizationFailed' ||
    state === 'ResourceApplicationFailed' ||
    state === 'MetadataUpdateFailed'
      ? state
      : null;
  return {
    ...observeCr(context, loaded.cr),
    now: loaded.at,
    credentialsSecrets: loaded.credentialsSecrets,
    managementInfo: trustedManagementInfo(loaded),
    certificate: certificate ?? null,
    connectionState: state ?? null,
    lastSyncResult,
    connection: stored.connection,
    connectionError: stored.connectionError ? { cause: 'stored', text: stored.connectionError } : null,
    synchronization: stored.synchronization,
    synchronizationError: stored.synchronizationError ? { cause: 'stored', text: stored.synchronizationError } : null,
    // Resume the cadence: the last cycle is when the stored status says we last talked to Compass.
    lastCycleAt: stored.connection?.lastSync ?? null,
  };
}

export function noteUntrustedResume(loaded: LoadedState): Change {
  return { untrustedResume: resumeDistrusted(loaded) };
}

export function beginConnectionAttempt(context: AgentContext): Change {
  return { attemptedTokenFingerprint: context.config?.tokenFingerprint ?? null };
}

function configurationProblem(config: ObservedConfig | null): ConfigurationProblem {
  if (config?.present === false) return { kind: 'absent' };
  return config?.problem ? { kind: 'malformed', detail: config.problem } : { kind: 'no-token' };
}

/** Count the failure, record it, schedule the retry. */
export function recordFailure(context: AgentContext, report: FailureReport): Change {
  const at = report.step === 'client-certificate' ? report.at : report.failure.at;
  const counted: AgentContext = { ...context, now: at, failures: context.failures + 1 };
  const updated: AgentContext =
    report.step === 'start' ? { ...counted, lastError: report.failure } : { ...counted, ...connectionFailure(context, report, at) };
  return { ...updated, ...retryWake(updated, at) };
}

function connectionFailure(context: AgentContext, report: Exclude<FailureReport, { step: 'start' }>, at: string): Change {
  const connection = { ...context.connection, lastSync: at };
  const failed = (connectionError: ConnectionError): Change => ({ connection, connectionError, connectionState: 'ConnectionFailed' });
  const maintenanceFailed = (connectionError: ConnectionError): Change => ({
    connection,
    connectionError,
    connectionState: 'ConnectionMaintenanceFailed',
  });
  switch (report.step) {
    case 'configuration':
      return {
        ...failed({ cause: 'configuration-unusable', problem: configurationProblem(context.config) }),
        lastError: report.failure,
        attemptedTokenFingerprint: context.config?.tokenFingerprint ?? null,
      };
    case 'connect':
      return {
        ...failed({ cause: 'connection-failed', failure: report.failure, untrustedResume: context.untrustedResume }),
        lastError: report.failure,
      };
    case 'maintain':
      return {
        ...maintenanceFailed({ cause: 'maintenance-failed', failure: report.failure }),
        lastError: report.failure,
        certificateRejected: report.failure.kind === 'rejected',
      };
    case 'client-certificate':
      return maintenanceFailed({ cause: 'client-certificate-unusable', secret: report.secret });
  }
}

export function recordConnection(context: AgentContext, out: ConnectionEstablished): Change {
  const { at, certificateValidity, managementInfo, tokenFingerprint } = out;
  return {
    now: at,
    failures: 0,
    certificateRejected: false,
    credentialsExist: true,
    credentialsSecrets: { clientCertificateSecret: 'present', caCertificateSecret: 'present', certificateValidity },
    certificate: { ...certificateValidity, acquired: at },
    managementInfo,
    consumedTokenFingerprint: tokenFingerprint,
    attemptedTokenFingerprint: tokenFingerprint,
    connectionState: 'Connected',
    connection: { established: at, lastSync: at, lastSuccess: at },
    connectionError: null,
    lastCycleAt: at,
    lastError: null,
    untrustedResume: false,
    // A fresh connection has fresh credentials: a pending refresh request is satisfied.
    refresh: { ...context.refresh, requested: false },
  };
}

export function recordConnectionChecked(context: AgentContext, out: ConnectionChecked): Change {
  return {
    now: out.at,
    managementInfo: out.managementInfo,
    credentialsExist: out.credentialsExist,
    failures: 0,
    certificateRejected: false,
    connectionState: context.lastSyncResult ?? 'Connected',
    connection: { ...context.connection, lastSync: out.at, lastSuccess: out.at },
    connectionError: null,
  };
}

/** On the way into Renewing: why (threshold, requested, a changed Secret), for the record of it. */
export function noteRenewalReason(context: AgentContext, check: ConnectionChecked): Change {
  return { renewalReason: renewalReasonAfter(context, check) };
}

export function recordRenewal(context: AgentContext, out: CertificateRenewed): Change {
  return {
    now: out.at,
    managementInfo: out.managementInfo,
    certificate: { ...out.certificateValidity, acquired: out.at },
    credentialsExist: true,
    credentialsSecrets: {
      clientCertificateSecret: 'present',
      caCertificateSecret: 'present',
      certificateValidity: out.certificateValidity,
    },
    certificateRejected: false,
    connection: { ...context.connection, renewed: out.at },
    refresh: { ...context.refresh, requested: false },
  };
}

/** Reference §2.5: which synchronizationStatus timestamps each outcome sets or keeps. */
export function synchronizationAfter(
  previous: SynchronizationTimestamps | null,
  out: Pick<SyncOutcome, 'at' | 'result' | 'fetchedAt' | 'appliedAt'>,
): SynchronizationTimestamps {
  const at = out.at;
  switch (out.result) {
    case 'Synchronized':
      return { lastAttempt: at, lastSuccessfulFetch: out.fetchedAt ?? at, lastSuccessfulApplication: out.appliedAt ?? at };
    case 'ResourceApplicationFailed':
    case 'MetadataUpdateFailed':
      return { lastAttempt: at, lastSuccessfulFetch: out.fetchedAt ?? at };
    case 'SynchronizationFailed':
      return { ...previous, lastAttempt: at };
  }
}

export function recordSyncOutcome(context: AgentContext, out: SyncOutcome): Change {
  return {
    now: out.at,
    connectionState: out.result,
    lastSyncResult: out.result,
    synchronization: synchronizationAfter(context.synchronization, out),
    synchronizationError:
      out.result === 'Synchronized'
        ? null
        : { cause: 'outcome', result: out.result, ...(out.error === undefined ? {} : { message: out.error }) },
    resync: { ...context.resync, requested: false },
    syncSummary: out.summary ?? context.syncSummary,
    syncNote: out.note ?? null,
  };
}

/** The synchronize effect threw instead of reporting an outcome: a failed fetch, as far as the status goes. */
export function recordSyncCrash(context: AgentContext, failure: EffectFailure): Change {
  return {
    now: failure.at,
    connectionState: 'SynchronizationFailed',
    lastSyncResult: 'SynchronizationFailed',
    synchronization: synchronizationAfter(context.synchronization, { at: failure.at, result: 'SynchronizationFailed' }),
    synchronizationError: { cause: 'outcome', result: 'SynchronizationFailed', message: failure.message },
    resync: { ...context.resync, requested: false },
    lastError: failure,
  };
}

/** When the next cycle is due: a requested resync/refresh comes early, but never sooner than the minimal sync time. */
export function scheduleNextCycle(context: AgentContext, now: string): Change {
  const early =
    context.resync.requested ||
    context.refresh.requested ||
    context.credentialsSecrets?.caCertificateSecret === 'missing' ||
    // 'invalid' too: a tampered Secret must bring the renewal forward like a deleted one (and a
    // non-early reschedule on every credentials poll would postpone the cycle again and again).
    (!!context.credentialsSecrets && context.credentialsSecrets.clientCertificateSecret !== 'present');
  const rateLimit = context.lastCycleAt ? ms(context.lastCycleAt) + context.timing.minimalSyncTimeMs : ms(now);
  const due = early ? Math.max(ms(now), rateLimit) : Math.max(ms(now), rateLimit, ms(now) + context.timing.syncPeriodMs);
  const jitterMs = early ? 0 : Math.round(context.timing.syncPeriodMs * CYCLE_JITTER_FRACTION);
  return { nextCycleAt: iso(due), wake: { at: iso(due), jitterMs } };
}

/** The retry after the n-th consecutive failure: exponential backoff, never sooner than the minimal sync time. */
export function retryWake(context: AgentContext, now: string): Change {
  const delay = retryDelayMs(context.failures, context.timing);
  const due = ms(now) + Math.max(delay, context.timing.minimalSyncTimeMs);
  return { nextCycleAt: iso(due), wake: { at: iso(due), jitterMs: Math.round(delay * RETRY_JITTER_FRACTION) } };
}
