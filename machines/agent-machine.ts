// The Runtime Agent's behaviour as one XState machine: connect with the one-time token, keep the
// certificate valid, synchronise Applications each cycle. Pure: every input (time included) arrives
// in an event, every effect is a named actor or action that the runtime provides (machine.provide).
// The context and its start value are in agent-context.ts, the guards' questions in agent-guards.ts,
// the context changes in agent-reducers.ts, the effects in effect-boundary.ts: here they get names.
import { assign, setup, type ActorRefFrom, type SnapshotFrom } from 'xstate';
import type {
  AgentEvent,
  CertificateRenewed,
  ConnectionChecked,
  ConnectionEstablished,
  EffectFailure,
  LoadedState,
  SyncOutcome,
} from './agent-events.js';
import { AGENT_MACHINE_TYPES, initialContext, type AgentContext, type WakeRequest } from './agent-context.js';
import * as guard from './agent-guards.js';
import * as reduce from './agent-reducers.js';
import { EFFECT_IDS, effectActors, effectNotProvided, failureOf } from './effect-boundary.js';

export type { AgentContext, AgentMachineInput, SecretNames } from './agent-context.js';
export type { FailureReport } from './agent-reducers.js';

export const AGENT_MACHINE_ID = 'runtime-agent';
/** Bump when a change makes old event logs replay differently. 2: one Idle state, a Certified parent. */
export const AGENT_MACHINE_VERSION = 2;

// Where a transition's data comes from: the event's own time, or an effect's result.
const eventTime = ({ event }: { event: { at: string } }) => ({ at: event.at });
const outputTime = ({ event }: { event: { output: { at: string } } }) => ({ at: event.output.at });
const loaded = ({ event }: { event: { output: LoadedState } }) => event.output;
const checked = ({ event }: { event: { output: ConnectionChecked } }) => event.output;
const failed =
  (step: 'start' | 'configuration' | 'connect' | 'maintain') =>
  ({ context, event }: { context: AgentContext; event: { error: unknown } }): reduce.FailureReport => ({
    step,
    failure: failureOf(event.error, context.now),
  });
const requestWake: { type: 'requestWake'; params: (args: { context: AgentContext }) => WakeRequest | null } = {
  type: 'requestWake',
  params: ({ context }) => context.wake,
};

export const agentMachine = setup({
  types: AGENT_MACHINE_TYPES,
  actors: effectActors(effectNotProvided),
  actions: {
    /** Ask the runtime for a WAKE event at `at` (+ up to `jitterMs`); replaces any earlier request. */
    requestWake: (_, _wake: WakeRequest | null) => {},
    noteTime: assign((_, { at }: { at: string }) => ({ now: at })),
    observeConfig: assign((_, { at, config }: Extract<AgentEvent, { type: 'CONFIG_OBSERVED' }>) => ({ config, now: at })),
    observeConnectionCr: assign(({ context }, { at, cr }: Extract<AgentEvent, { type: 'CONNECTION_CR_OBSERVED' }>) => ({
      ...reduce.observeCr(context, cr),
      now: at,
    })),
    forgetConnectionCr: assign((_, { at }: { at: string }) => ({ cr: null, now: at })),
    observeCredentials: assign((_, { at, secrets }: Extract<AgentEvent, { type: 'CREDENTIALS_OBSERVED' }>) => ({
      credentialsSecrets: secrets,
      now: at,
    })),
    restoreAtStart: assign(({ context }, state: LoadedState) => reduce.restoreAtStart(context, state)),
    noteUntrustedResume: assign((_, state: LoadedState) => reduce.noteUntrustedResume(state)),
    beginConnectionAttempt: assign(({ context }) => reduce.beginConnectionAttempt(context)),
    recordFailure: assign(({ context }, report: reduce.FailureReport) => reduce.recordFailure(context, report)),
    recordConnection: assign(({ context }, out: ConnectionEstablished) => reduce.recordConnection(context, out)),
    recordConnectionChecked: assign(({ context }, out: ConnectionChecked) => reduce.recordConnectionChecked(context, out)),
    noteRenewalReason: assign(({ context }, out: ConnectionChecked) => reduce.noteRenewalReason(context, out)),
    recordRenewal: assign(({ context }, out: CertificateRenewed) => reduce.recordRenewal(context, out)),
    recordSyncOutcome: assign(({ context }, out: SyncOutcome) => reduce.recordSyncOutcome(context, out)),
    recordSyncCrash: assign(({ context }, { failure }: { failure: EffectFailure }) => reduce.recordSyncCrash(context, failure)),
    startCycle: assign((_, { at }: { at: string }) => ({ now: at, lastCycleAt: at })),
    scheduleNextCycle: assign(({ context }, { at }: { at: string }) => reduce.scheduleNextCycle(context, at)),
  },
  guards: {
    cycleDue: ({ context }, { at }: { at: string }) => guard.cycleDue(context, at),
    syncDue: ({ context }, { at }: { at: string }) => guard.syncDue(context, at),
    renewalNeeded: ({ context }, check: ConnectionChecked) => guard.renewalReasonAfter(context, check) !== null,
    configurationUnusable: ({ context }) => guard.configurationUnusable(context),
    newTokenSinceLastAttempt: ({ context }) => guard.newTokenSinceLastAttempt(context),
    certificateUnusableAndUnusedToken: ({ context }) => guard.certificateUnusable(context, context.now) && guard.hasUnusedToken(context),
    crRequestsEarlyCycle: ({ context }, { cr }: Extract<AgentEvent, { type: 'CONNECTION_CR_OBSERVED' }>) =>
      guard.crRequestsEarlyCycle(context, cr),
    credentialSecretMissing: (_, { secrets }: Extract<AgentEvent, { type: 'CREDENTIALS_OBSERVED' }>) =>
      guard.credentialSecretMissing(secrets),
    needsTokenFlow: (_, state: LoadedState) => guard.needsTokenFlow(state),
    clientCertificateSecretUnusable: (_, state: LoadedState) => guard.clientCertificateSecretUnusable(state),
    noTrustedManagementInfo: (_, state: LoadedState) => guard.noTrustedManagementInfo(state),
  },
}).createMachine({
  id: AGENT_MACHINE_ID,
  context: ({ input }) => initialContext(input),
  initial: 'Starting',
  // Observations are recorded wherever the machine is; states that react to them add a transition.
  on: {
    CONFIG_OBSERVED: { actions: { type: 'observeConfig', params: ({ event }) => event } },
    CONNECTION_CR_OBSERVED: { actions: { type: 'observeConnectionCr', params: ({ event }) => event } },
    CONNECTION_CR_DELETED: { actions: { type: 'forgetConnectionCr', params: eventTime } },
    CREDENTIALS_OBSERVED: { actions: { type: 'observeCredentials', params: ({ event }) => event } },
    WAKE: { actions: { type: 'noteTime', params: eventTime } },
  },
  states: {
    /** Reads what the cluster already holds (CR, credential Secrets) and decides where to resume. */
    Starting: {
      invoke: {
        id: EFFECT_IDS.loadState,
        src: EFFECT_IDS.loadState,
        onDone: [
          {
            guard: { type: 'needsTokenFlow', params: loaded },
            target: 'Connecting',
            actions: [{ type: 'restoreAtStart', params: loaded }, 'beginConnectionAttempt'],
          },
          {
            guard: { type: 'clientCertificateSecretUnusable', params: loaded },
            target: 'Certified.MaintenanceFailed',
            actions: [
              { type: 'restoreAtStart', params: loaded },
              {
                type: 'recordFailure',
                params: ({ event }) => ({
                  step: 'client-certificate',
                  at: event.output.at,
                  secret: event.output.credentialsSecrets.clientCertificateSecret === 'invalid' ? 'invalid' : 'missing',
                }),
              },
            ],
          },
          {
            // A certificate, but no URLs the agent itself stored (a cluster left by the Go agent): token flow.
            guard: { type: 'noTrustedManagementInfo', params: loaded },
            target: 'Connecting',
            actions: [
              { type: 'restoreAtStart', params: loaded },
              { type: 'noteUntrustedResume', params: loaded },
              'beginConnectionAttempt',
            ],
          },
          {
            // Restart with a healthy CR: no Compass call now, the next cycle comes on schedule.
            target: 'Certified.Connected.Idle',
            actions: [
              { type: 'restoreAtStart', params: loaded },
              { type: 'scheduleNextCycle', params: outputTime },
            ],
          },
        ],
        onError: { target: 'StartFailed', actions: { type: 'recordFailure', params: failed('start') } },
      },
    },
    /** Reading the cluster failed (e.g. API server unreachable); retried with backoff. */
    StartFailed: {
      entry: requestWake,
      on: {
        WAKE: { guard: { type: 'cycleDue', params: eventTime }, target: 'Starting', actions: { type: 'noteTime', params: eventTime } },
      },
    },
    /** No usable certificate; waiting for the retry deadline or a new token. */
    Unconnected: {
      entry: requestWake,
      always: { guard: 'newTokenSinceLastAttempt', target: 'Connecting', actions: 'beginConnectionAttempt' },
      on: {
        WAKE: {
          guard: { type: 'cycleDue', params: eventTime },
          target: 'Connecting',
          actions: [{ type: 'noteTime', params: eventTime }, 'beginConnectionAttempt'],
        },
      },
    },
    /** token → configuration → CSR → certificate → Secrets. */
    Connecting: {
      invoke: {
        id: EFFECT_IDS.establishConnection,
        src: EFFECT_IDS.establishConnection,
        onDone: { target: 'Certified.Connected.Synchronizing', actions: { type: 'recordConnection', params: ({ event }) => event.output } },
        onError: [
          { guard: 'configurationUnusable', target: 'Unconnected', actions: { type: 'recordFailure', params: failed('configuration') } },
          { target: 'Unconnected', actions: { type: 'recordFailure', params: failed('connect') } },
        ],
      },
    },
    /** The agent holds a client certificate Compass issued (or held one, in MaintenanceFailed). */
    Certified: {
      initial: 'Connected',
      on: {
        // The CR is gone: connect again with the token (a used one fails, and says so in a new CR).
        CONNECTION_CR_DELETED: {
          target: 'Connecting',
          actions: [{ type: 'forgetConnectionCr', params: eventTime }, 'beginConnectionAttempt'],
        },
      },
      states: {
        Connected: {
          initial: 'Idle',
          states: {
            /** Between cycles; the last synchronization result is in the context. Requests and missing Secrets bring the cycle forward. */
            Idle: {
              entry: requestWake,
              on: {
                WAKE: {
                  guard: { type: 'cycleDue', params: eventTime },
                  target: 'Maintaining',
                  actions: { type: 'startCycle', params: eventTime },
                },
                CONNECTION_CR_OBSERVED: {
                  guard: { type: 'crRequestsEarlyCycle', params: ({ event }) => event },
                  actions: [
                    { type: 'observeConnectionCr', params: ({ event }) => event },
                    { type: 'scheduleNextCycle', params: eventTime },
                    requestWake,
                  ],
                },
                CREDENTIALS_OBSERVED: {
                  guard: { type: 'credentialSecretMissing', params: ({ event }) => event },
                  actions: [
                    { type: 'observeCredentials', params: ({ event }) => event },
                    { type: 'scheduleNextCycle', params: eventTime },
                    requestWake,
                  ],
                },
              },
            },
            /** Certificate-secured `configuration` query and the credential Secrets probe. */
            Maintaining: {
              invoke: {
                id: EFFECT_IDS.checkConnection,
                src: EFFECT_IDS.checkConnection,
                input: ({ context }) => ({ managementInfo: context.managementInfo }),
                onDone: [
                  {
                    guard: { type: 'renewalNeeded', params: checked },
                    target: '#runtime-agent.Certified.Renewing',
                    actions: [
                      { type: 'recordConnectionChecked', params: checked },
                      { type: 'noteRenewalReason', params: checked },
                    ],
                  },
                  {
                    guard: { type: 'syncDue', params: outputTime },
                    target: 'Synchronizing',
                    actions: { type: 'recordConnectionChecked', params: checked },
                  },
                  {
                    target: 'Idle',
                    actions: [
                      { type: 'recordConnectionChecked', params: checked },
                      { type: 'scheduleNextCycle', params: outputTime },
                    ],
                  },
                ],
                onError: {
                  target: '#runtime-agent.Certified.MaintenanceFailed',
                  actions: { type: 'recordFailure', params: failed('maintain') },
                },
              },
            },
            /** Director fetch → apply Applications → runtime labels. */
            Synchronizing: {
              invoke: {
                id: EFFECT_IDS.synchronize,
                src: EFFECT_IDS.synchronize,
                input: ({ context }) => ({ managementInfo: context.managementInfo, resync: context.resync.requested }),
                onDone: {
                  target: 'Idle',
                  actions: [
                    { type: 'recordSyncOutcome', params: ({ event }) => event.output },
                    { type: 'scheduleNextCycle', params: outputTime },
                  ],
                },
                onError: {
                  target: 'Idle',
                  actions: [
                    { type: 'recordSyncCrash', params: ({ context, event }) => ({ failure: failureOf(event.error, context.now) }) },
                    { type: 'scheduleNextCycle', params: ({ context }) => ({ at: context.now }) },
                  ],
                },
              },
            },
          },
        },
        /** CSR over the certificate-secured Connector, new Secrets. */
        Renewing: {
          invoke: {
            id: EFFECT_IDS.renewCertificate,
            src: EFFECT_IDS.renewCertificate,
            input: ({ context }) => ({ managementInfo: context.managementInfo }),
            onDone: [
              {
                guard: { type: 'syncDue', params: outputTime },
                target: 'Connected.Synchronizing',
                actions: { type: 'recordRenewal', params: ({ event }) => event.output },
              },
              {
                target: 'Connected.Idle',
                actions: [
                  { type: 'recordRenewal', params: ({ event }) => event.output },
                  { type: 'scheduleNextCycle', params: outputTime },
                ],
              },
            ],
            onError: { target: 'MaintenanceFailed', actions: { type: 'recordFailure', params: failed('maintain') } },
          },
        },
        /** The certificate-secured Connector is unreachable or refuses us; retried with backoff. */
        MaintenanceFailed: {
          entry: requestWake,
          // An expired/rejected/missing certificate cannot recover by itself: use a fresh token when one appears.
          always: { guard: 'certificateUnusableAndUnusedToken', target: '#runtime-agent.Connecting', actions: 'beginConnectionAttempt' },
          on: {
            WAKE: {
              guard: { type: 'cycleDue', params: eventTime },
              target: 'Connected.Maintaining',
              actions: { type: 'startCycle', params: eventTime },
            },
          },
        },
      },
    },
  },
});

export type AgentMachine = typeof agentMachine;
export type AgentSnapshot = SnapshotFrom<AgentMachine>;
export type AgentActorRef = ActorRefFrom<AgentMachine>;
