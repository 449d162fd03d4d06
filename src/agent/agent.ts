// The agent assembled: Kubernetes stores and watches as event sources, the Compass effects, the
// CompassConnection writer, Kubernetes Events, the event log and the metrics around the runtime of
// the state machine. With leader election (APP_LEADER_ELECTION=true) all of that exists only while
// this replica holds the Lease: a "term" is built when it starts leading and torn down when it
// stops, and every write of a term goes through a client fenced by the Lease (leader-election.ts).
import type { KubeConfig } from '@kubernetes/client-node';
import { combineLatest, distinctUntilChanged, map, tap, NEVER } from 'rxjs';
import type { InspectionEvent, Observer } from 'xstate';
import type { Logger } from '../../adapters/logger.js';
import { systemClock, type Clock } from '../../adapters/clock/clock.js';
import { createKubeClient, type KubeClient } from '../../adapters/kube/kube-client.js';
import { SecretStore, type SecretData } from '../../adapters/kube/secret-store.js';
import {
  COMPASS_CONNECTION_RESOURCE,
  CompassConnectionStore,
  type CompassConnectionObject,
} from '../../adapters/kube/compass-connection-store.js';
import { ApplicationStore } from '../../adapters/kube/application-store.js';
import { apiVersionOf } from '../../adapters/kube/custom-objects.js';
import { defaultIdentity, LeaderElector } from '../../adapters/kube/leader-election.js';
import { EventRecorder, type EventReference } from '../../adapters/kube/event-recorder.js';
import { createAgentMetrics, type AgentMetrics } from '../../adapters/metrics.js';
import type { ProbeResult } from '../../adapters/http/health-server.js';
import { insecureCompassSettings, type AgentConfig } from '../config.js';
import { redact } from '../../adapters/redaction.js';
import { createEventLog, type EventLog } from '../event-log.js';
import { settleWithin } from '../../adapters/clock/settle-within.js';
import { createAgentRuntime, type AgentRuntime } from './runtime.js';
import { createCompassEffects, observedCr, type CompassEffects, type CredentialSecrets } from './compass-effects.js';
import { observeConfiguration } from './configuration-secret.js';
import { currentCredentials, sameObservedCredentials } from './credential-observation.js';
import { sameConnectionCrForTheMachine } from './connection-cr-observation.js';
import { applicationStoreOptions } from './sync-ports.js';
import { buildDebugView, DebugMemory, type AgentDebugView } from './debug-view.js';
import type { AgentEffects, AgentSources, ConnectionProjection, ConnectionWriter } from './effects.js';
import type { AgentTimingConfig } from '../../machines/timing.js';

export interface AgentOptions {
  config: AgentConfig;
  kubeConfig: KubeConfig;
  logger: Logger;
  clock?: Clock;
  /** Extra trust anchor for Compass's servers (demo and tests); production uses NODE_EXTRA_CA_CERTS. */
  compassCaPem?: string;
  metrics?: AgentMetrics;
  eventLog?: EventLog;
  /** This process's identity (Lease holder, Event reportingInstance, User-Agent); hostname_uuid by default. */
  identity?: string;
}

export interface Agent {
  /** The state machine's runtime of the current (or last) term; an idle one on a standby that never led. */
  readonly runtime: AgentRuntime;
  /** The Compass effects of the current (or last) term; undefined on a standby that never led. */
  readonly effects: CompassEffects | undefined;
  readonly metrics: AgentMetrics;
  readonly eventLog: EventLog;
  /** The leader elector, with APP_LEADER_ELECTION=true. */
  readonly election: LeaderElector | undefined;
  readonly identity: string;
  /** Whether this replica runs the agent now (always, without leader election). */
  leading(): boolean;
  start(): void;
  /** Stops the agent (Compass calls aborted, a certificate in flight stored), releases the Lease, closes the event log. */
  stop(): Promise<void>;
  liveness(): ProbeResult;
  readiness(): ProbeResult;
  /** What /debug shows: the state, the last error, the certificate, the last sync, the next cycle, the latest events; redacted. */
  debug(): AgentDebugView;
  /** Calls `listener` after every event the machine records and when leadership changes; returns the unsubscribe. */
  onChange(listener: () => void): () => void;
  /** XState inspection events of the machine, of this term and every later one (the Stately inspector). */
  inspect(observer: Observer<InspectionEvent>): { unsubscribe(): void };
}

/** events.k8s.io reportingController of the agent's Events. */
export const REPORTING_CONTROLLER = 'kyma-project.io/compass-runtime-agent';

/** The longest stop() waits for each part of a term to wind down; SIGTERM must end within 5 s. */
const STOP_STEP_MS = 1_500;

interface Term {
  runtime: AgentRuntime;
  effects: CompassEffects;
  recorder: EventRecorder;
  stopped: Promise<void> | null;
}

export function createAgent(options: AgentOptions): Agent {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const identity = options.identity ?? defaultIdentity();
  const userAgent = `runtime-agent (${identity})`;
  const metrics = options.metrics ?? createAgentMetrics();
  const recorded = options.eventLog ?? createEventLog({ file: config.eventLogFile, maxBytes: config.eventLogMaxBytes });
  const debugMemory = new DebugMemory();
  const changeListeners = new Set<() => void>();
  const changed = () => {
    for (const listener of changeListeners) {
      try {
        listener();
      } catch (err) {
        logger.warn({ err }, 'a /debug listener failed');
      }
    }
  };
  const eventLog: EventLog = {
    header: recorded.header,
    append(at, event, state, record) {
      metrics.countEvent(event.type);
      const entry = recorded.append(at, event, state, record);
      // The runtime records an event once its actor holds the snapshot after it.
      debugMemory.observe(entry, (current ?? last)?.runtime.getSnapshot().context);
      changed();
      return entry;
    },
    entries: () => recorded.entries(),
    toText: () => recorded.toText(),
    close: () => recorded.close?.(),
  };
  const insecureSettings = insecureCompassSettings(config);
  metrics.setInsecureCompassSettings(insecureSettings);
  const configRef = `${config.agentConfigurationSecret.namespace}/${config.agentConfigurationSecret.name}`;
  const electionConfig = config.leaderElection;
  const leaseRef = `${electionConfig.namespace}/${electionConfig.name}`;

  let election: LeaderElector | undefined;
  let current: Term | undefined;
  let last: Term | undefined;
  let idleRuntime: AgentRuntime | undefined;

  /** Everything that talks to Compass and writes, built for one term of leadership. */
  const createTerm = (client: KubeClient): Term => {
    const secrets = new SecretStore(client, { logger });
    const connections = new CompassConnectionStore(client, { logger });
    const applications = new ApplicationStore(client, { logger, ...applicationStoreOptions });
    // The configuration Secret as config$ below last saw it (a watch, or polling where that is forbidden).
    let watchedConfiguration: { data: SecretData | null } | undefined;
    // The credential Secrets as credentials$ below last saw them, while both their watches are current.
    let watchedCredentials: CredentialSecrets | undefined;
    const effects = createCompassEffects({
      config,
      secrets,
      connections,
      applications,
      logger,
      metrics,
      now: () => clock.now(),
      compassCaPem: options.compassCaPem,
      watchedConfiguration: () => watchedConfiguration,
      watchedCredentials: () => watchedCredentials,
    });
    const recorder = new EventRecorder({
      client,
      reportingController: REPORTING_CONTROLLER,
      reportingInstance: identity,
      clock,
      logger,
      onOutcome: (outcome, reason) => metrics.countKubernetesEvent(outcome, reason),
    });
    const regarding = (object: CompassConnectionObject | null): EventReference | null =>
      object?.metadata.uid
        ? {
            apiVersion: apiVersionOf(COMPASS_CONNECTION_RESOURCE),
            kind: COMPASS_CONNECTION_RESOURCE.kind,
            name: object.metadata.name,
            uid: object.metadata.uid,
          }
        : null;
    const sources: AgentSources = {
      config$: secrets
        .observeSecret(config.agentConfigurationSecret.namespace, config.agentConfigurationSecret.name, {
          pollMs: Math.min(config.controllerSyncPeriodMs, 10_000),
        })
        .pipe(
          tap((data) => (watchedConfiguration = { data })),
          map((data) => observeConfiguration(data, configRef, { allowPlainHttp: config.allowInsecureCompassHttp })),
        ),
      // Events are about the CR as it exists now: a deleted CR's Events wait for the new one.
      connectionCr$: connections.observe().pipe(
        tap((object) => recorder.setRegarding(regarding(object))),
        // The echoes of the agent's own status writes are not events (connection-cr-observation.ts).
        distinctUntilChanged(sameConnectionCrForTheMachine),
        map(observedCr),
      ),
      // Watched by name (polled once per sync period where list/watch is forbidden): a Secret deleted or
      // edited is seen at once, and an idle cycle's connection check reads neither while both watches
      // are current (compass-effects.ts, decision 0016).
      credentials$: combineLatest([
        secrets.followSecret(config.clusterCertificatesSecret.namespace, config.clusterCertificatesSecret.name, {
          pollMs: config.controllerSyncPeriodMs,
        }),
        secrets.followSecret(config.caCertificatesSecret.namespace, config.caCertificatesSecret.name, {
          pollMs: config.controllerSyncPeriodMs,
        }),
      ]).pipe(
        tap(([cluster, ca]) => (watchedCredentials = currentCredentials(cluster, ca))),
        distinctUntilChanged(([cluster, ca], [nextCluster, nextCa]) => cluster.data === nextCluster.data && ca.data === nextCa.data),
        map(([cluster, ca]) => effects.credentialsOf({ cluster: cluster.data, ca: ca.data })),
        distinctUntilChanged(sameObservedCredentials),
      ),
    };
    const writer: ConnectionWriter = {
      async write(projection: ConnectionProjection) {
        const stored = await connections.write({
          spec: {
            ...projection.spec,
            managementInfo: projection.spec.managementInfo ?? { connectorUrl: '', directorUrl: '' },
          },
          status: { ...projection.status },
          annotations: projection.annotations,
        });
        recorder.setRegarding(regarding(stored));
        metrics.setConnectionState(projection.status.connectionState);
      },
    };
    const runtime = createAgentRuntime({
      effects,
      sources,
      writer,
      clock,
      logger,
      eventLog,
      events: recorder,
      stopGraceMs: STOP_STEP_MS,
      config: {
        timing: machineTiming(config),
        secretNames: {
          configurationSecret: configRef,
          clientCertificateSecret: `${config.clusterCertificatesSecret.namespace}/${config.clusterCertificatesSecret.name}`,
          caCertificateSecret: `${config.caCertificatesSecret.namespace}/${config.caCertificatesSecret.name}`,
        },
        insecureCompassSettings: insecureSettings,
      },
    });
    return { runtime, effects, recorder, stopped: null };
  };

  // Inspection observers and their subscriptions to the actors of the terms they saw.
  const inspectors = new Map<Observer<InspectionEvent>, Array<{ unsubscribe(): void }>>();
  const startTerm = (term: Term) => {
    current = term;
    last = term;
    for (const [observer, subscriptions] of inspectors) subscriptions.push(inspectActor(term.runtime.actor, observer));
    term.runtime.start();
  };

  const stopTerm = (term: Term): Promise<void> => {
    term.stopped ??= (async () => {
      if (current === term) current = undefined;
      await term.runtime.stop();
      await settleWithin(term.recorder.close(), 500);
      await term.effects.close();
    })();
    return term.stopped;
  };

  if (electionConfig.enabled) {
    const leaseClient = createKubeClient(options.kubeConfig, { userAgent, timeoutMs: electionConfig.renewDeadlineMs });
    let fenced: KubeClient | undefined;
    election = new LeaderElector({
      client: leaseClient,
      namespace: electionConfig.namespace,
      name: electionConfig.name,
      identity,
      leaseDurationMs: electionConfig.leaseDurationMs,
      renewDeadlineMs: electionConfig.renewDeadlineMs,
      retryPeriodMs: electionConfig.retryPeriodMs,
      clock,
      logger,
      onStartedLeading: ({ transitions }) => {
        // One fenced client for the process: keep-alive connections outlive terms.
        fenced ??= createKubeClient(options.kubeConfig, { userAgent, guard: election!.guard });
        const term = createTerm(fenced);
        metrics.setLeader(leaseRef, true);
        startTerm(term);
        changed();
        term.recorder.record({
          type: 'Normal',
          reason: 'LeaderElected',
          action: 'LeaderElection',
          note: `${identity} leads (Lease ${leaseRef}, ${transitions} transition${transitions === 1 ? '' : 's'})`,
        });
      },
      onStoppedLeading: async () => {
        metrics.setLeader(leaseRef, false);
        if (current) await stopTerm(current);
        changed();
      },
    });
    metrics.setLeader(leaseRef, false);
  } else {
    // Without leader election there is one term, from the start, writing unfenced.
    const term = createTerm(createKubeClient(options.kubeConfig, { userAgent }));
    current = term;
    last = term;
    metrics.setLeader(leaseRef, true);
  }

  const standbyRuntime = (): AgentRuntime => {
    idleRuntime ??= createAgentRuntime({
      effects: idleEffects,
      sources: { config$: NEVER, connectionCr$: NEVER },
      writer: { write: async () => {} },
      clock,
      config: {
        timing: machineTiming(config),
      },
    });
    return idleRuntime;
  };

  let started = false;
  let stopping: Promise<void> | undefined;

  return {
    get runtime() {
      return (current ?? last)?.runtime ?? standbyRuntime();
    },
    get effects() {
      return (current ?? last)?.effects;
    },
    metrics,
    eventLog,
    election,
    identity,
    leading: () => (election ? election.isLeader() : true),
    start() {
      if (started) return;
      started = true;
      for (const setting of insecureSettings) {
        logger.warn(
          { setting },
          `${setting}=true: the connection to Compass is not protected (${setting === 'APP_SKIP_COMPASS_TLS_VERIFY' ? "Compass's server certificate is not verified" : 'plain http:// URLs are accepted, the token travels in cleartext'}); for labs only, every such connection is logged`,
        );
      }
      if (election) {
        logger.info({ lease: leaseRef, identity }, 'leader election: standing by until this replica holds the Lease');
        election.start();
      } else if (current) startTerm(current);
    },
    stop() {
      stopping ??= (async () => {
        // The elector stops the term (fence still open) before it releases the Lease.
        if (election) await election.stop({ release: true });
        else if (current) await stopTerm(current);
        eventLog.close?.();
      })();
      return stopping;
    },
    liveness() {
      if (!current) return { ok: true, detail: election ? `standby (Lease ${leaseRef})` : 'stopped' };
      const status = current.runtime.getSnapshot().status;
      return status === 'active' ? { ok: true, detail: 'state machine running' } : { ok: false, detail: `state machine ${status}` };
    },
    readiness() {
      if (election && !current) {
        return election.following()
          ? {
              ok: true,
              detail: `standby: ${election.observedLeader() ? `${election.observedLeader()} leads` : 'no replica leads yet'} (Lease ${leaseRef})`,
            }
          : { ok: false, detail: `standby: the Lease ${leaseRef} could not be read recently` };
      }
      const term = current ?? last;
      const identityNow = term?.effects.currentIdentity();
      if (!identityNow) return { ok: false, detail: 'no client certificate yet' };
      const notAfter = Date.parse(identityNow.validity.notAfter);
      if (notAfter <= clock.now()) return { ok: false, detail: `client certificate expired at ${identityNow.validity.notAfter}` };
      if (Date.parse(identityNow.validity.notBefore) > clock.now()) {
        return { ok: false, detail: `client certificate not valid before ${identityNow.validity.notBefore} by this node's clock` };
      }
      // Revoked or unknown to Compass: the certificate is refused whatever its dates say.
      if (term?.runtime.getSnapshot().context.certificateRejected) {
        return {
          ok: false,
          detail: `Compass refuses the client certificate (revoked or unknown to it); put a fresh one-time token into Secret ${configRef}`,
        };
      }
      return { ok: true, detail: `client certificate valid until ${identityNow.validity.notAfter}` };
    },
    debug() {
      // Already redacted (events and effect results are); scrubbed once more since /debug leaves the process.
      // Through JSON first: entries share state objects, which redact() would take for cycles.
      return redact(
        jsonCopy(
          buildDebugView({
            snapshot: (current ?? last)?.runtime.getSnapshot(),
            memory: debugMemory,
            entries: eventLog.entries(),
            timing: { renewalThreshold: config.certValidityRenewalThreshold, minimalSyncTimeMs: config.minimalCompassSyncTimeMs },
            leaderElection: election
              ? { lease: leaseRef, identity, leading: election.isLeader(), leader: election.observedLeader() ?? null }
              : { enabled: false },
          }),
        ),
      );
    },
    onChange(listener) {
      changeListeners.add(listener);
      return () => changeListeners.delete(listener);
    },
    inspect(observer) {
      const subscriptions = current ? [inspectActor(current.runtime.actor, observer)] : [];
      inspectors.set(observer, subscriptions);
      return {
        unsubscribe: () => {
          inspectors.delete(observer);
          for (const subscription of subscriptions) subscription.unsubscribe();
        },
      };
    },
  };
}

/**
 * Feeds `observer` the actor's inspection events from now on. The actor announced itself (the
 * `@xstate.actor` event an inspector needs first) when it was created, so that is repeated here.
 */
/** The machine's timing from the agent's configuration. */
function machineTiming(config: AgentConfig): AgentTimingConfig {
  return {
    syncPeriodMs: config.controllerSyncPeriodMs,
    minimalSyncTimeMs: config.minimalCompassSyncTimeMs,
    renewalThreshold: config.certValidityRenewalThreshold,
    retryBaseMs: config.retryInitialDelayMs,
    retryCapMs: config.retryMaxDelayMs,
  };
}

function inspectActor(actor: AgentRuntime['actor'], observer: Observer<InspectionEvent>): { unsubscribe(): void } {
  observer.next?.({ type: '@xstate.actor', actorRef: actor, rootId: actor.sessionId });
  return actor.system.inspect(observer);
}

/** Effects of the idle runtime a standby shows (never started, so never called). */
const notLeading = (): Promise<never> => Promise.reject(new Error('standby: this replica does not lead'));
const idleEffects: AgentEffects = {
  loadState: notLeading,
  establishConnection: notLeading,
  checkConnection: notLeading,
  renewCertificate: notLeading,
  synchronize: notLeading,
};

/** A copy through JSON, of a value that is plain JSON data (so the copy has its type): shared objects become separate ones. */
function jsonCopy<T>(value: T): T;
function jsonCopy(value: unknown): unknown {
  const copy: unknown = JSON.parse(JSON.stringify(value));
  return copy;
}
