// The Runtime Agent's behaviour as one XState machine: connect with the one-time token, keep the
// certificate valid, synchronise Applications each cycle. Pure: every input (time included) arrives
// in an event, every effect is a named actor or action provided by the runtime (machine.provide).
import { assign, fromPromise, setup, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import {
  EFFECT_IDS,
  type AgentEvent,
  type CertificateInfo,
  type CertificateRenewed,
  type ConnectionChecked,
  type ConnectionEstablished,
  type ConnectionState,
  type EffectFailure,
  type LoadedState,
  type ManagementInfo,
  type ObservedConfig,
  type ObservedConnectionCr,
  type ObservedCredentials,
  type SyncOutcome,
  type SyncResult,
  type SyncSummary,
} from './agent-events.js';
import { readStoredStatus, type ConnectionTimestamps, type SynchronizationTimestamps } from './stored-status.js';
import {
  CYCLE_JITTER_FRACTION,
  DEFAULT_TIMING,
  RETRY_JITTER_FRACTION,
  iso,
  ms,
  renewalReason,
  retryDelayMs,
  type AgentTimingConfig,
  type RenewalReason,
} from './timing.js';

export const AGENT_MACHINE_ID = 'runtime-agent';
/** Bump when a change makes old event logs replay differently. */
export const AGENT_MACHINE_VERSION = 1;

/** Secret names, only used to write errors that say which Secret to fix. */
export interface SecretNames {
  configuration: string;
  clientCertificate: string;
  caCertificate: string;
}

export interface AgentMachineInput {
  timing?: Partial<AgentTimingConfig>;
  secretNames?: Partial<SecretNames>;
  /** Lab settings that weaken the connection to Compass (e.g. APP_SKIP_COMPASS_TLS_VERIFY), for the status. */
  insecureCompassSettings?: string[];
}

export interface FlagRequest {
  requested: boolean;
  /** CR generation at which the flag was last picked up; older or equal events are stale echoes. */
  handledGeneration: number;
}

export interface AgentContext {
  timing: AgentTimingConfig;
  secretNames: SecretNames;
  insecureCompassSettings: string[];
  /** Why a start-up went to the token flow instead of resuming with the certificate; added to its failure. */
  connectNote: string | null;
  /** Time of the latest event that carried one. */
  now: string | null;
  config: ObservedConfig | null;
  cr: ObservedConnectionCr | null;
  credentialsSecrets: ObservedCredentials | null;
  managementInfo: ManagementInfo | null;
  certificate: (CertificateInfo & { acquired?: string }) | null;
  certificateRejected: boolean;
  credentialsExist: boolean;
  consumedTokenFingerprint: string | null;
  /** Token of the latest connection attempt; a different one in the config Secret means "try again now". */
  attemptedTokenFingerprint: string | null;
  connectionState: ConnectionState | null;
  lastSyncResult: SyncResult | null;
  connection: ConnectionTimestamps | null;
  synchronization: SynchronizationTimestamps | null;
  syncSummary: SyncSummary | null;
  /** The latest sync outcome's note (SyncOutcome.note), for the Synchronized condition. */
  syncNote: string | null;
  /** Consecutive failed connection or maintenance attempts, for the backoff. */
  failures: number;
  lastCycleAt: string | null;
  nextCycleAt: string | null;
  /** The wake-up the runtime should deliver (read by the `requestWake` action). */
  wake: { at: string; jitterMs: number } | null;
  resync: FlagRequest;
  refresh: FlagRequest;
  lastError: EffectFailure | null;
  /** Why the latest renewal was started (kept after it ends, for the record of it). */
  renewalReason: RenewalReason | null;
}

export const ERROR_PREFIX = {
  retrieve: 'Failed to retrieve certificate: ',
  preserve: 'Failed to preserve certificate: ',
  maintain: 'Error while trying to maintain connection: ',
  runtimeConfig: 'Failed to read Runtime config: ',
  fetch: 'Failed to fetch configuration: ',
  apply: 'Failed to apply configuration: ',
  labels: 'Failed to reconcile Runtime labels with proper URLs: ',
} as const;

type Ev = { type: string; at?: string; output?: { at?: string }; error?: unknown };

/** The time an event happened: its own `at`, its output's `at`, or its failure's `at`. */
function timeOf(event: Ev, context: AgentContext): string {
  if (typeof event.at === 'string') return event.at;
  if (typeof event.output?.at === 'string') return event.output.at;
  const err = event.error as { at?: unknown } | undefined;
  if (err && typeof err.at === 'string') return err.at;
  return context.now ?? iso(0);
}

/** An effect error as data; anything that is not already a failure becomes an internal one. */
export function toFailure(error: unknown, at: string): EffectFailure {
  const e = error as Partial<EffectFailure> | null;
  if (e && typeof e === 'object' && typeof e.kind === 'string' && typeof e.message === 'string') {
    return { kind: e.kind, message: e.message, at: typeof e.at === 'string' ? e.at : at };
  }
  return { kind: 'internal', message: String((e as { message?: unknown } | null)?.message ?? error), at };
}

function observeCr(context: AgentContext, cr: ObservedConnectionCr | null): Partial<AgentContext> {
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

function configUsable(config: ObservedConfig | null): config is ObservedConfig & { tokenFingerprint: string } {
  return !!config && config.present && !config.problem && !!config.tokenFingerprint;
}

function hasUnusedToken(context: AgentContext): boolean {
  return configUsable(context.config) && context.config.tokenFingerprint !== context.consumedTokenFingerprint;
}

function certificateUnusable(context: AgentContext, now: string): boolean {
  if (context.certificateRejected) return true;
  const client = context.credentialsSecrets?.clientCertificateSecret;
  if (client === 'missing' || client === 'invalid') return true;
  return !!context.certificate && ms(context.certificate.notAfter) <= ms(now);
}

function syncDue(context: AgentContext, now: string): boolean {
  const last = context.synchronization?.lastAttempt;
  return context.resync.requested || !last || ms(now) - ms(last) >= context.timing.minimalSyncTimeMs;
}

function renewalNeeded(context: AgentContext, now: string): boolean {
  return whyRenew(context, now) !== null;
}

function whyRenew(context: AgentContext, now: string): RenewalReason | null {
  return (
    renewalReason({
      certificate: context.certificate,
      now,
      renewalThreshold: context.timing.renewalThreshold,
      minimalSyncTimeMs: context.timing.minimalSyncTimeMs,
      refreshRequested: context.refresh.requested,
      credentialsExist: context.credentialsExist && context.credentialsSecrets?.caCertificateSecret !== 'missing',
    })
  );
}

/** When the next cycle is due: a requested resync/refresh comes early, but never sooner than the minimal sync time. */
function nextCycle(context: AgentContext, now: string): Pick<AgentContext, 'nextCycleAt' | 'wake'> {
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

function retryWake(context: AgentContext, now: string): Pick<AgentContext, 'nextCycleAt' | 'wake'> {
  const delay = retryDelayMs(context.failures, context.timing);
  const due = ms(now) + Math.max(delay, context.timing.minimalSyncTimeMs);
  return { nextCycleAt: iso(due), wake: { at: iso(due), jitterMs: Math.round(delay * RETRY_JITTER_FRACTION) } };
}

function managementInfoFromCr(cr: ObservedConnectionCr | null): ManagementInfo | null {
  const m = cr?.spec.managementInfo;
  return m?.directorUrl && m.connectorUrl ? { directorUrl: m.directorUrl, connectorUrl: m.connectorUrl } : null;
}

/**
 * The management info a start-up may resume with: what the agent stored beside its key. The CR's
 * copy is only a projection of it. Logs recorded before the agent stored it (no field) replay as
 * they ran, from the CR.
 */
function trustedManagementInfo(loaded: LoadedState): ManagementInfo | null {
  return loaded.managementInfo === undefined ? managementInfoFromCr(loaded.cr) : loaded.managementInfo;
}

/** The start-up note when a certificate is present but nothing the agent wrote says where to use it. */
function untrustedResumeNote(context: AgentContext, loaded: LoadedState): string | null {
  if (trustedManagementInfo(loaded) || !managementInfoFromCr(loaded.cr) || loaded.credentialsSecrets.clientCertificateSecret !== 'present') return null;
  return (
    `the certificate in Secret ${context.secretNames.clientCertificate} was not resumed: that Secret holds no management info written by this agent ` +
    `(a cluster left by the Go agent, or the keys were removed), and the URLs in the CompassConnection are not trusted because editing the CR must not redirect the agent; ` +
    `put a fresh one-time token into Secret ${context.secretNames.configuration}`
  );
}

const IDLE_STATE_OF: Record<ConnectionState, string> = {
  Connected: 'AwaitingSync',
  ConnectionFailed: 'AwaitingSync',
  ConnectionMaintenanceFailed: 'AwaitingSync',
  Synchronized: 'Synchronized',
  SynchronizationFailed: 'SynchronizationFailed',
  ResourceApplicationFailed: 'ResourceApplicationFailed',
  MetadataUpdateFailed: 'MetadataUpdateFailed',
};

function notProvided(name: string) {
  return async (): Promise<never> => {
    throw { kind: 'internal', message: `effect ${name} was not provided to the machine`, at: iso(0) } satisfies EffectFailure;
  };
}

export const agentMachine = setup({
  types: {
    context: {} as AgentContext,
    events: {} as AgentEvent,
    input: {} as AgentMachineInput,
  },
  actors: {
    [EFFECT_IDS.loadState]: fromPromise<LoadedState>(notProvided('loadState')),
    [EFFECT_IDS.establishConnection]: fromPromise<ConnectionEstablished>(notProvided('establishConnection')),
    [EFFECT_IDS.checkConnection]: fromPromise<ConnectionChecked, { managementInfo: ManagementInfo }>(notProvided('checkConnection')),
    [EFFECT_IDS.renewCertificate]: fromPromise<CertificateRenewed, { managementInfo: ManagementInfo }>(notProvided('renewCertificate')),
    [EFFECT_IDS.synchronize]: fromPromise<SyncOutcome, { managementInfo: ManagementInfo; resync: boolean }>(notProvided('synchronize')),
  },
  actions: {
    /** Ask the runtime for a WAKE event at `context.wake.at` (+ up to `jitterMs`); replaces any earlier request. */
    requestWake: () => {},
    observeConfig: assign(({ event }) => (event.type === 'CONFIG_OBSERVED' ? { config: event.config, now: event.at } : {})),
    observeConnectionCr: assign(({ context, event }) =>
      event.type === 'CONNECTION_CR_OBSERVED' ? { ...observeCr(context, event.cr), now: event.at } : {},
    ),
    forgetConnectionCr: assign(({ event }) => (event.type === 'CONNECTION_CR_DELETED' ? { cr: null, now: event.at } : {})),
    observeCredentials: assign(({ event }) =>
      event.type === 'CREDENTIALS_OBSERVED' ? { credentialsSecrets: event.secrets, now: event.at } : {},
    ),
    noteTime: assign(({ context, event }) => ({ now: timeOf(event as Ev, context) })),
    beginConnectionAttempt: assign(({ context, event }) => ({
      now: timeOf(event as Ev, context),
      attemptedTokenFingerprint: context.config?.tokenFingerprint ?? null,
    })),
    recordConfigurationProblem: assign(({ context, event }) => {
      const at = timeOf(event as Ev, context);
      const problem = context.config?.present === false ? 'it does not exist' : (context.config?.problem ?? 'it has no TOKEN');
      const message = `${ERROR_PREFIX.retrieve}configuration Secret ${context.secretNames.configuration} is unusable: ${problem}; put CONNECTOR_URL and a fresh TOKEN into it`;
      const failures = context.failures + 1;
      const updated = {
        ...context,
        now: at,
        failures,
        attemptedTokenFingerprint: context.config?.tokenFingerprint ?? null,
        connectionState: 'ConnectionFailed' as const,
        connection: { ...context.connection, lastSync: at, error: message },
        lastError: { kind: 'invalid-config' as const, message, at },
      };
      return { ...updated, ...retryWake(updated, at) };
    }),
    scheduleRetry: assign(({ context, event }) => retryWake(context, timeOf(event as Ev, context))),
    scheduleNextCycle: assign(({ context, event }) => nextCycle(context, timeOf(event as Ev, context))),
    recordConnectionChecked: assign(({ context, event }) => {
      const out = (event as unknown as { output: ConnectionChecked }).output;
      return {
        now: out.at,
        managementInfo: out.managementInfo,
        credentialsExist: out.credentialsExist,
        failures: 0,
        certificateRejected: false,
        connectionState: context.lastSyncResult ?? 'Connected',
        connection: { ...context.connection, lastSync: out.at, lastSuccess: out.at, error: undefined },
      };
    }),
    recordRenewal: assign(({ context, event }) => {
      const out = (event as unknown as { output: CertificateRenewed }).output;
      return {
        now: out.at,
        managementInfo: out.managementInfo,
        certificate: { ...out.certificateValidity, acquired: out.at },
        credentialsExist: true,
        credentialsSecrets: { clientCertificateSecret: 'present' as const, caCertificateSecret: 'present' as const, certificateValidity: out.certificateValidity },
        certificateRejected: false,
        connection: { ...context.connection, renewed: out.at },
        refresh: { ...context.refresh, requested: false },
      };
    }),
    recordMaintenanceFailure: assign(({ context, event }) => {
      const failure = toFailure((event as { error?: unknown }).error, context.now ?? iso(0));
      const message = ERROR_PREFIX.maintain + failure.message;
      const updated: AgentContext = {
        ...context,
        now: failure.at,
        failures: context.failures + 1,
        certificateRejected: failure.kind === 'rejected',
        connectionState: 'ConnectionMaintenanceFailed',
        connection: { ...context.connection, lastSync: failure.at, error: message },
        lastError: failure,
      };
      return { ...updated, ...retryWake(updated, failure.at) };
    }),
    recordSyncOutcome: assign(({ context, event }) => {
      const out = (event as unknown as { output: SyncOutcome }).output;
      return {
        now: out.at,
        connectionState: out.result,
        lastSyncResult: out.result,
        synchronization: synchronizationAfter(context.synchronization, out),
        resync: { ...context.resync, requested: false },
        syncSummary: out.summary ?? context.syncSummary,
        syncNote: out.note ?? null,
      };
    }),
    recordSyncCrash: assign(({ context, event }) => {
      const failure = toFailure((event as { error?: unknown }).error, context.now ?? iso(0));
      const out: SyncOutcome = { at: failure.at, result: 'SynchronizationFailed', error: failure.message };
      return {
        now: failure.at,
        connectionState: 'SynchronizationFailed' as const,
        lastSyncResult: 'SynchronizationFailed' as const,
        synchronization: synchronizationAfter(context.synchronization, out),
        resync: { ...context.resync, requested: false },
        lastError: failure,
      };
    }),
    startCycle: assign(({ context, event }) => ({ now: timeOf(event as Ev, context), lastCycleAt: timeOf(event as Ev, context) })),
    /** After recordConnectionChecked, on the way into Renewing: why (threshold, requested, a changed Secret). */
    noteRenewalReason: assign(({ context, event }) => ({ renewalReason: whyRenew(context, timeOf(event as Ev, context)) })),
  },
  guards: {
    cycleDue: ({ context, event }) => !!context.nextCycleAt && ms(timeOf(event as Ev, context)) >= ms(context.nextCycleAt),
    configurationUnusable: ({ context }) => !!context.config && !configUsable(context.config),
    newTokenSinceLastAttempt: ({ context }) =>
      configUsable(context.config) && context.config.tokenFingerprint !== context.attemptedTokenFingerprint,
    certificateUnusableAndUnusedToken: ({ context, event }) =>
      certificateUnusable(context, timeOf(event as Ev, context)) && hasUnusedToken(context),
    renewalNeeded: ({ context, event }) => {
      // Evaluated before the check's result is assigned: take the probe from the event itself.
      const probe = (event as { output?: Partial<ConnectionChecked> }).output?.credentialsExist;
      const current = typeof probe === 'boolean' ? { ...context, credentialsExist: probe } : context;
      return renewalNeeded(current, timeOf(event as Ev, context));
    },
    syncDue: ({ context, event }) => syncDue(context, timeOf(event as Ev, context)),
    idleStateIs: ({ context }, params: { state: string }) => IDLE_STATE_OF[context.connectionState ?? 'Connected'] === params.state,
    /** The CR brings a resyncNow/refreshCredentialsNow the machine has not picked up yet. */
    crRequestsEarlyCycle: ({ context, event }) => {
      if (event.type !== 'CONNECTION_CR_OBSERVED') return false;
      const { generation, spec } = event.cr;
      return (
        (spec.resyncNow === true && generation > context.resync.handledGeneration) ||
        (spec.refreshCredentialsNow === true && generation > context.refresh.handledGeneration)
      );
    },
    credentialSecretMissing: ({ event }) =>
      event.type === 'CREDENTIALS_OBSERVED' &&
      (event.secrets.caCertificateSecret === 'missing' || event.secrets.clientCertificateSecret !== 'present'),
  },
}).createMachine({
  id: AGENT_MACHINE_ID,
  context: ({ input }) => ({
    timing: { ...DEFAULT_TIMING, ...input?.timing },
    secretNames: {
      configuration: 'kyma-system/compass-agent-configuration',
      clientCertificate: 'kyma-system/cluster-client-certificates',
      caCertificate: 'istio-system/ca-certificates',
      ...input?.secretNames,
    },
    insecureCompassSettings: input?.insecureCompassSettings ?? [],
    connectNote: null,
    now: null,
    config: null,
    cr: null,
    credentialsSecrets: null,
    managementInfo: null,
    certificate: null,
    certificateRejected: false,
    credentialsExist: true,
    consumedTokenFingerprint: null,
    attemptedTokenFingerprint: null,
    connectionState: null,
    lastSyncResult: null,
    connection: null,
    synchronization: null,
    syncSummary: null,
    syncNote: null,
    failures: 0,
    lastCycleAt: null,
    nextCycleAt: null,
    wake: null,
    resync: { requested: false, handledGeneration: 0 },
    refresh: { requested: false, handledGeneration: 0 },
    lastError: null,
    renewalReason: null,
  }),
  initial: 'Starting',
  // Observations are recorded wherever the machine is; states that react to them override these.
  on: {
    CONFIG_OBSERVED: { actions: 'observeConfig' },
    CONNECTION_CR_OBSERVED: { actions: 'observeConnectionCr' },
    CONNECTION_CR_DELETED: { actions: 'forgetConnectionCr' },
    CREDENTIALS_OBSERVED: { actions: 'observeCredentials' },
    WAKE: { actions: 'noteTime' },
  },
  states: {
    /** Reads what the cluster already holds (CR, credential Secrets) and decides where to resume. */
    Starting: {
      invoke: {
        id: EFFECT_IDS.loadState,
        src: EFFECT_IDS.loadState,
        onDone: [
          {
            // No CR, a failed one, or one that never had management info: connect with the token.
            guard: ({ event }) =>
              !event.output.cr ||
              readStoredStatus(event.output.cr.status).connectionState === 'ConnectionFailed' ||
              !managementInfoFromCr(event.output.cr),
            target: 'Connecting',
            actions: [
              assign(({ context, event }) => ({
                ...observeCr(context, event.output.cr),
                ...restoreFromCr(event.output),
              })),
              'beginConnectionAttempt',
            ],
          },
          {
            // Healthy CR but the client certificate Secret is gone: we cannot talk mTLS any more.
            guard: ({ event }) => event.output.credentialsSecrets.clientCertificateSecret !== 'present',
            target: 'MaintenanceFailed',
            actions: assign(({ context, event }) => {
              const at = event.output.at;
              const secret = context.secretNames.clientCertificate;
              const what = event.output.credentialsSecrets.clientCertificateSecret === 'missing' ? 'is missing' : 'does not hold a usable certificate and key';
              const message = `${ERROR_PREFIX.maintain}client certificate Secret ${secret} ${what}; put a new one-time token into the configuration Secret ${context.secretNames.configuration} to reconnect`;
              const updated: AgentContext = {
                ...context,
                ...observeCr(context, event.output.cr),
                ...restoreFromCr(event.output),
                now: at,
                failures: context.failures + 1,
                connectionState: 'ConnectionMaintenanceFailed',
                // The Secret is missing or broken: a configuration problem, not a failed Kubernetes request.
                lastError: { kind: 'invalid-config', message, at },
              };
              updated.connection = { ...updated.connection, lastSync: at, error: message };
              return { ...updated, ...retryWake(updated, at) };
            }),
          },
          {
            // A certificate, but no management info the agent itself stored (a cluster left by the Go
            // agent): the URLs in the CR are not trusted, so the token flow it is.
            guard: ({ event }) => !trustedManagementInfo(event.output),
            target: 'Connecting',
            actions: [
              assign(({ context, event }) => ({
                ...observeCr(context, event.output.cr),
                ...restoreFromCr(event.output),
                connectNote: untrustedResumeNote(context, event.output),
              })),
              'beginConnectionAttempt',
            ],
          },
          {
            // Restart with a healthy CR: no Compass call now, the next cycle comes on schedule.
            target: 'Connected.Resuming',
            actions: assign(({ context, event }) => {
              const restored = { ...context, ...observeCr(context, event.output.cr), ...restoreFromCr(event.output), now: event.output.at };
              return restored;
            }),
          },
        ],
        onError: {
          target: 'StartFailed',
          actions: assign(({ context, event }) => {
            const failure = toFailure(event.error, context.now ?? iso(0));
            const updated = { ...context, now: failure.at, failures: context.failures + 1, lastError: failure };
            return { ...updated, ...retryWake(updated, failure.at) };
          }),
        },
      },
    },
    /** Reading the cluster failed (e.g. API server unreachable); retried with backoff. */
    StartFailed: {
      entry: 'requestWake',
      on: { WAKE: [{ guard: 'cycleDue', target: 'Starting', actions: 'noteTime' }, { actions: 'noteTime' }] },
    },
    /** No usable certificate; waiting for the retry deadline or a new token. */
    Unconnected: {
      entry: 'requestWake',
      always: { guard: 'newTokenSinceLastAttempt', target: 'Connecting', actions: 'beginConnectionAttempt' },
      on: {
        WAKE: [
          { guard: 'cycleDue', actions: ['noteTime', 'beginConnectionAttempt'], target: '#runtime-agent.Connecting' },
          { actions: 'noteTime' },
        ],
      },
    },
    /** token → configuration → CSR → certificate → Secrets. */
    Connecting: {
      invoke: {
        id: EFFECT_IDS.establishConnection,
        src: EFFECT_IDS.establishConnection,
        onDone: {
          target: 'Connected.Synchronizing',
          actions: assign(({ context, event }) => {
            const { at, certificateValidity, managementInfo, tokenFingerprint } = event.output;
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
              connectionState: 'Connected' as const,
              connection: { established: at, lastSync: at, lastSuccess: at },
              lastCycleAt: at,
              lastError: null,
              connectNote: null,
              // A fresh connection has fresh credentials: a pending refresh request is satisfied.
              refresh: { ...context.refresh, requested: false },
            };
          }),
        },
        onError: [
          {
            // Failed while the config Secret is unusable: say so instead of the effect's generic error.
            guard: 'configurationUnusable',
            target: 'Unconnected',
            actions: 'recordConfigurationProblem',
          },
          {
            target: 'Unconnected',
            actions: assign(({ context, event }) => {
              const failure = toFailure(event.error, context.now ?? iso(0));
              const prefix = failure.kind === 'kubernetes' ? ERROR_PREFIX.preserve : ERROR_PREFIX.retrieve;
              const message = prefix + failure.message + (context.connectNote ? `; ${context.connectNote}` : '');
              const updated: AgentContext = {
                ...context,
                now: failure.at,
                failures: context.failures + 1,
                connectionState: 'ConnectionFailed',
                connection: { ...context.connection, lastSync: failure.at, error: message },
                lastError: failure,
              };
              return { ...updated, ...retryWake(updated, failure.at) };
            }),
          },
        ],
      },
    },
    Connected: {
      initial: 'Resuming',
      on: {
        CONNECTION_CR_DELETED: { actions: ['forgetConnectionCr', 'beginConnectionAttempt'], target: '#runtime-agent.Connecting' },
      },
      states: {
        /** Entered after a restart with a healthy CR: waits for the first cycle. */
        Resuming: {
          always: [
            { guard: { type: 'idleStateIs', params: { state: 'Synchronized' } }, target: 'Synchronized', actions: 'scheduleNextCycle' },
            { guard: { type: 'idleStateIs', params: { state: 'SynchronizationFailed' } }, target: 'SynchronizationFailed', actions: 'scheduleNextCycle' },
            { guard: { type: 'idleStateIs', params: { state: 'ResourceApplicationFailed' } }, target: 'ResourceApplicationFailed', actions: 'scheduleNextCycle' },
            { guard: { type: 'idleStateIs', params: { state: 'MetadataUpdateFailed' } }, target: 'MetadataUpdateFailed', actions: 'scheduleNextCycle' },
            { target: 'AwaitingSync', actions: 'scheduleNextCycle' },
          ],
        },
        /** Certificate-secured `configuration` query and the credential Secrets probe. */
        Maintaining: {
          invoke: {
            id: EFFECT_IDS.checkConnection,
            src: EFFECT_IDS.checkConnection,
            input: ({ context }) => ({ managementInfo: context.managementInfo! }),
            onDone: [
              { guard: 'renewalNeeded', target: '#runtime-agent.Renewing', actions: ['recordConnectionChecked', 'noteRenewalReason'] },
              { guard: 'syncDue', target: 'Synchronizing', actions: 'recordConnectionChecked' },
              ...toIdle(['recordConnectionChecked', 'scheduleNextCycle']),
            ],
            onError: { target: '#runtime-agent.MaintenanceFailed', actions: 'recordMaintenanceFailure' },
          },
        },
        /** Director fetch → apply Applications → runtime labels. */
        Synchronizing: {
          invoke: {
            id: EFFECT_IDS.synchronize,
            src: EFFECT_IDS.synchronize,
            input: ({ context }) => ({ managementInfo: context.managementInfo!, resync: context.resync.requested }),
            onDone: [
              { guard: ({ event }) => event.output.result === 'Synchronized', target: 'Synchronized', actions: ['recordSyncOutcome', 'scheduleNextCycle'] },
              { guard: ({ event }) => event.output.result === 'ResourceApplicationFailed', target: 'ResourceApplicationFailed', actions: ['recordSyncOutcome', 'scheduleNextCycle'] },
              { guard: ({ event }) => event.output.result === 'MetadataUpdateFailed', target: 'MetadataUpdateFailed', actions: ['recordSyncOutcome', 'scheduleNextCycle'] },
              { target: 'SynchronizationFailed', actions: ['recordSyncOutcome', 'scheduleNextCycle'] },
            ],
            onError: { target: 'SynchronizationFailed', actions: ['recordSyncCrash', 'scheduleNextCycle'] },
          },
        },
        /** Connected, no synchronisation result yet (or maintenance just recovered). */
        AwaitingSync: idleState(),
        Synchronized: idleState(),
        SynchronizationFailed: idleState(),
        ResourceApplicationFailed: idleState(),
        MetadataUpdateFailed: idleState(),
      },
    },
    /** CSR over the certificate-secured Connector, new Secrets. */
    Renewing: {
      on: {
        CONNECTION_CR_DELETED: { actions: ['forgetConnectionCr', 'beginConnectionAttempt'], target: '#runtime-agent.Connecting' },
      },
      invoke: {
        id: EFFECT_IDS.renewCertificate,
        src: EFFECT_IDS.renewCertificate,
        input: ({ context }) => ({ managementInfo: context.managementInfo! }),
        onDone: [
          { guard: 'syncDue', target: 'Connected.Synchronizing', actions: 'recordRenewal' },
          ...toIdle(['recordRenewal', 'scheduleNextCycle'], 'Connected.'),
        ],
        onError: { target: 'MaintenanceFailed', actions: 'recordMaintenanceFailure' },
      },
    },
    /** The certificate-secured Connector is unreachable or refuses us; retried with backoff. */
    MaintenanceFailed: {
      entry: 'requestWake',
      // An expired/rejected/missing certificate cannot recover by itself: use a fresh token when one appears.
      always: { guard: 'certificateUnusableAndUnusedToken', target: 'Connecting', actions: 'beginConnectionAttempt' },
      on: {
        WAKE: [{ guard: 'cycleDue', target: 'Connected.Maintaining', actions: 'startCycle' }, { actions: 'noteTime' }],
        CONNECTION_CR_DELETED: { actions: ['forgetConnectionCr', 'beginConnectionAttempt'], target: '#runtime-agent.Connecting' },
      },
    },
  },
});

/** Reference §2.5: which synchronizationStatus fields each outcome sets or clears. */
export function synchronizationAfter(previous: SynchronizationTimestamps | null, out: SyncOutcome): SynchronizationTimestamps {
  const at = out.at;
  switch (out.result) {
    case 'Synchronized':
      return { lastAttempt: at, lastSuccessfulFetch: out.fetchedAt ?? at, lastSuccessfulApplication: out.appliedAt ?? at };
    case 'ResourceApplicationFailed':
      return { lastAttempt: at, lastSuccessfulFetch: out.fetchedAt ?? at, error: prefixed(ERROR_PREFIX.apply, out.error) };
    case 'MetadataUpdateFailed':
      return { lastAttempt: at, lastSuccessfulFetch: out.fetchedAt ?? at, error: prefixed(ERROR_PREFIX.labels, out.error) };
    case 'SynchronizationFailed':
    default:
      return { ...previous, lastAttempt: at, error: syncFailureText(out.error) };
  }
}

function prefixed(prefix: string, error: string | undefined): string {
  const text = error ?? 'unknown error';
  return text.startsWith(prefix) ? text : prefix + text;
}

/** Runtime-config problems keep their own reference text; everything else is a fetch failure. */
function syncFailureText(error: string | undefined): string {
  const text = error ?? 'unknown error';
  if (text.startsWith(ERROR_PREFIX.runtimeConfig) || text.startsWith(ERROR_PREFIX.fetch) || text.startsWith('Failed to prepare configuration client: ')) {
    return text;
  }
  return ERROR_PREFIX.fetch + text;
}

/** What a restart learns from the stored CR and the credential Secrets. */
function restoreFromCr(loaded: LoadedState): Partial<AgentContext> {
  const stored = readStoredStatus(loaded.cr?.status);
  const validity = loaded.credentialsSecrets.certificateValidity;
  const certificate = validity ? { ...validity, acquired: stored.certificate?.acquired } : stored.certificate;
  const lastSyncResult =
    stored.connectionState === 'Synchronized' ||
    stored.connectionState === 'SynchronizationFailed' ||
    stored.connectionState === 'ResourceApplicationFailed' ||
    stored.connectionState === 'MetadataUpdateFailed'
      ? stored.connectionState
      : null;
  return {
    now: loaded.at,
    credentialsSecrets: loaded.credentialsSecrets,
    managementInfo: trustedManagementInfo(loaded),
    certificate: certificate ?? null,
    connectionState: stored.connectionState ?? null,
    lastSyncResult,
    connection: stored.connection,
    synchronization: stored.synchronization,
    // Resume the cadence: the last cycle is when the stored status says we last talked to Compass.
    lastCycleAt: stored.connection?.lastSync ?? null,
  };
}

/** Back to the idle state that matches the last synchronisation result. */
function toIdle<const A extends readonly string[]>(actions: A, prefix = '') {
  const states = ['Synchronized', 'SynchronizationFailed', 'ResourceApplicationFailed', 'MetadataUpdateFailed'] as const;
  return [
    ...states.map((state) => ({
      guard: { type: 'idleStateIs' as const, params: { state: state as string } },
      target: prefix + state,
      actions,
    })),
    { target: prefix + 'AwaitingSync', actions },
  ];
}

/** Waiting between cycles: the due WAKE starts maintenance; requests and missing Secrets bring it forward. */
function idleState() {
  return {
    entry: 'requestWake',
    on: {
      WAKE: [{ guard: 'cycleDue', target: 'Maintaining', actions: 'startCycle' }, { actions: 'noteTime' }],
      CONNECTION_CR_OBSERVED: [
        { guard: 'crRequestsEarlyCycle', actions: ['observeConnectionCr', 'scheduleNextCycle', 'requestWake'] },
        { actions: 'observeConnectionCr' },
      ],
      CREDENTIALS_OBSERVED: [
        { guard: 'credentialSecretMissing', actions: ['observeCredentials', 'scheduleNextCycle', 'requestWake'] },
        { actions: 'observeCredentials' },
      ],
    },
  } as const;
}

export type AgentMachine = typeof agentMachine;
export type AgentSnapshot = SnapshotFrom<AgentMachine>;
export type AgentActorRef = ActorRefFrom<AgentMachine>;
