// What the agent machine remembers between events, and its value at start. Everything that decides
// a transition is here as data: the texts the CompassConnection shows are rendered from it by
// src/status-projection.ts, never built by the machine.
import type {
  AgentEvent,
  CertificateInfo,
  ConnectionState,
  EffectFailure,
  ManagementInfo,
  ObservedConfig,
  ObservedConnectionCr,
  ObservedCredentials,
  SyncResult,
  SyncSummary,
} from './agent-events.js';
import type { ConnectionTimestamps, SynchronizationTimestamps } from './stored-status.js';
import { DEFAULT_TIMING, type AgentTimingConfig, type RenewalReason } from './timing.js';

/**
 * Secret names (namespace/name), only used to render errors that say which Secret to fix. The keys end
 * in `Secret` so that the redaction rules (which blank any field called `clientCertificate`) keep them
 * in the event log, and replay renders the same texts.
 */
export interface SecretNames {
  configurationSecret: string;
  clientCertificateSecret: string;
  caCertificateSecret: string;
}

export const DEFAULT_SECRET_NAMES: SecretNames = {
  configurationSecret: 'kyma-system/compass-agent-configuration',
  clientCertificateSecret: 'kyma-system/cluster-client-certificates',
  caCertificateSecret: 'istio-system/ca-certificates',
};

export interface AgentMachineInput {
  /** When the machine was created (RFC 3339): the time it knows before any event. */
  startedAt: string;
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

/** What is wrong with the configuration Secret, as the observation of it says. */
export type ConfigurationProblem = { kind: 'absent' } | { kind: 'no-token' } | { kind: 'malformed'; detail: string };

/** Why the connection to Compass is not healthy (rendered into connectionStatus.error and the Connected condition). */
export type ConnectionError =
  /** A connection attempt with the one-time token failed; `kubernetes`: storing the certificate failed. */
  | { cause: 'connection-failed'; failure: EffectFailure; untrustedResume: boolean }
  /** No attempt could be made: the configuration Secret is absent or malformed. */
  | { cause: 'configuration-unusable'; problem: ConfigurationProblem }
  /** The certificate-secured Connector (or a Secret read around it) failed, or refused the certificate. */
  | { cause: 'maintenance-failed'; failure: EffectFailure }
  /** Start-up found no usable client-certificate Secret and no unused token. */
  | { cause: 'client-certificate-unusable'; secret: 'missing' | 'invalid' }
  /** The text a previous run wrote, read back from the CR at start-up. */
  | { cause: 'stored'; text: string };

export type SyncFailureResult = Exclude<SyncResult, 'Synchronized'>;

/** Why the latest synchronization failed (rendered into synchronizationStatus.error and the Synchronized condition). */
export type SynchronizationError = { cause: 'outcome'; result: SyncFailureResult; message?: string } | { cause: 'stored'; text: string };

export interface AgentContext {
  timing: AgentTimingConfig;
  secretNames: SecretNames;
  insecureCompassSettings: string[];
  /** Time of the latest event (the machine's start before any). */
  now: string;
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
  /**
   * A start-up found a certificate but no URLs the agent itself stored (a cluster left by the Go agent),
   * so it went to the token flow instead of trusting the CR's URLs; said with the failure of that flow.
   */
  untrustedResume: boolean;
  connectionState: ConnectionState | null;
  lastSyncResult: SyncResult | null;
  connection: ConnectionTimestamps | null;
  connectionError: ConnectionError | null;
  synchronization: SynchronizationTimestamps | null;
  synchronizationError: SynchronizationError | null;
  syncSummary: SyncSummary | null;
  /** The latest sync outcome's note (SyncOutcome.note), for the Synchronized condition. */
  syncNote: string | null;
  /** Consecutive failed start-up, connection or maintenance attempts, for the backoff. */
  failures: number;
  lastCycleAt: string | null;
  nextCycleAt: string | null;
  /** The wake-up the runtime should deliver (the `requestWake` action's params). */
  wake: WakeRequest | null;
  resync: FlagRequest;
  refresh: FlagRequest;
  /** The latest effect failure (start-up, connection, maintenance or a synchronization that threw). */
  lastError: EffectFailure | null;
  /** Why the latest renewal was started (kept after it ends, for the record of it). */
  renewalReason: RenewalReason | null;
}

/** A WAKE event is wanted at `at`; the timer may add up to `jitterMs` (never subtract: deadlines are "not before"). */
export interface WakeRequest {
  at: string;
  jitterMs: number;
}

export function initialContext(input: AgentMachineInput): AgentContext {
  return {
    timing: { ...DEFAULT_TIMING, ...input.timing },
    secretNames: { ...DEFAULT_SECRET_NAMES, ...input.secretNames },
    insecureCompassSettings: input.insecureCompassSettings ?? [],
    now: input.startedAt,
    config: null,
    cr: null,
    credentialsSecrets: null,
    managementInfo: null,
    certificate: null,
    certificateRejected: false,
    credentialsExist: true,
    consumedTokenFingerprint: null,
    attemptedTokenFingerprint: null,
    untrustedResume: false,
    connectionState: null,
    lastSyncResult: null,
    connection: null,
    connectionError: null,
    synchronization: null,
    synchronizationError: null,
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
  };
}

/**
 * The types setup() needs (context, events, input), given as plain values because XState reads only
 * their types: a value of each, so that the machine's file needs no cast.
 */
export const AGENT_MACHINE_TYPES: { context: AgentContext; events: AgentEvent; input: AgentMachineInput } = {
  context: initialContext({ startedAt: '' }),
  events: { type: 'WAKE', at: '' },
  input: { startedAt: '' },
};
