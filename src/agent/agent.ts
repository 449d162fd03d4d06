// The agent assembled: Kubernetes stores and watches as event sources, the Compass effects, the
// CompassConnection writer, the event log and the metrics around the runtime of the state machine.
import type { KubeConfig } from '@kubernetes/client-node';
import { defer, exhaustMap, map, timer, catchError, EMPTY } from 'rxjs';
import type { Logger } from '../../adapters/logger.js';
import { systemClock, type Clock } from '../../adapters/clock/clock.js';
import { createKubeClient } from '../../adapters/kube/kube-client.js';
import { SecretStore } from '../../adapters/kube/secret-store.js';
import { CompassConnectionStore } from '../../adapters/kube/compass-connection-store.js';
import { ApplicationStore } from '../../adapters/kube/application-store.js';
import { createAgentMetrics, type AgentMetrics } from '../../adapters/metrics.js';
import type { ProbeResult } from '../../adapters/http/health-server.js';
import { insecureCompassSettings, type AgentConfig } from '../config.js';
import { redact } from '../../adapters/redaction.js';
import { createEventLog, type EventLog } from '../event-log.js';
import { createAgentRuntime, type AgentRuntime } from './runtime.js';
import { createCompassEffects, observedCr, type CompassEffects } from './compass-effects.js';
import { observeConfiguration } from './configuration-secret.js';
import { applicationCacheProjection } from './sync-ports.js';
import type { AgentSources, ConnectionProjection, ConnectionWriter } from './effects.js';

export interface AgentOptions {
  config: AgentConfig;
  kubeConfig: KubeConfig;
  logger: Logger;
  clock?: Clock;
  /** Extra trust anchor for Compass's servers (demo and tests); production uses NODE_EXTRA_CA_CERTS. */
  compassCaPem?: string;
  metrics?: AgentMetrics;
  eventLog?: EventLog;
}

export interface Agent {
  readonly runtime: AgentRuntime;
  readonly effects: CompassEffects;
  readonly metrics: AgentMetrics;
  readonly eventLog: EventLog;
  start(): void;
  stop(): Promise<void>;
  liveness(): ProbeResult;
  readiness(): ProbeResult;
  debug(): unknown;
}

export function createAgent(options: AgentOptions): Agent {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const client = createKubeClient(options.kubeConfig);
  const secrets = new SecretStore(client, { logger });
  const connections = new CompassConnectionStore(client, { logger });
  const applications = new ApplicationStore(client, { logger, project: applicationCacheProjection });
  const metrics = options.metrics ?? createAgentMetrics();
  const recorded = options.eventLog ?? createEventLog({ file: config.eventLogFile, maxBytes: config.eventLogMaxBytes });
  const eventLog: EventLog = {
    header: recorded.header,
    append(at, event, state, checkpoint) {
      metrics.countEvent(event.type);
      return recorded.append(at, event, state, checkpoint);
    },
    entries: () => recorded.entries(),
    toText: () => recorded.toText(),
    close: () => recorded.close?.(),
  };
  const insecureSettings = insecureCompassSettings(config);
  metrics.setInsecureCompassSettings(insecureSettings);
  const effects = createCompassEffects({
    config,
    secrets,
    connections,
    applications,
    logger,
    metrics,
    now: () => clock.now(),
    compassCaPem: options.compassCaPem,
  });

  const configRef = `${config.agentConfigurationSecret.namespace}/${config.agentConfigurationSecret.name}`;
  const sources: AgentSources = {
    config$: secrets
      .observeSecret(config.agentConfigurationSecret.namespace, config.agentConfigurationSecret.name, {
        pollMs: Math.min(config.controllerSyncPeriodMs, 10_000),
      })
      .pipe(map((data) => observeConfiguration(data, configRef, { allowPlainHttp: config.allowInsecureCompassHttp }))),
    connectionCr$: connections.observe().pipe(map(observedCr)),
    // Secrets are read by name (no list/watch in the agent's Role), once per cycle.
    credentials$: timer(config.controllerSyncPeriodMs, config.controllerSyncPeriodMs).pipe(
      exhaustMap(() =>
        defer(() => effects.observeCredentials()).pipe(
          catchError((err: unknown) => {
            logger.warn({ err }, 'reading the credential Secrets failed; trying again next cycle');
            return EMPTY;
          }),
        ),
      ),
    ),
  };

  const writer: ConnectionWriter = {
    async write(projection: ConnectionProjection) {
      await connections.write({
        spec: {
          ...projection.spec,
          managementInfo: projection.spec.managementInfo ?? { connectorUrl: '', directorUrl: '' },
        },
        status: projection.status as unknown as Record<string, unknown>,
        annotations: projection.annotations,
      });
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
    config: {
      timing: {
        syncPeriodMs: config.controllerSyncPeriodMs,
        minimalSyncTimeMs: config.minimalCompassSyncTimeMs,
        renewalThreshold: config.certValidityRenewalThreshold,
        retryBaseMs: config.retryInitialDelayMs,
        retryCapMs: config.retryMaxDelayMs,
      },
      secretNames: {
        configuration: configRef,
        clientCertificate: `${config.clusterCertificatesSecret.namespace}/${config.clusterCertificatesSecret.name}`,
        caCertificate: `${config.caCertificatesSecret.namespace}/${config.caCertificatesSecret.name}`,
      },
      insecureCompassSettings: insecureSettings,
    },
  });

  return {
    runtime,
    effects,
    metrics,
    eventLog,
    start() {
      for (const setting of insecureSettings) {
        logger.warn(
          { setting },
          `${setting}=true: the connection to Compass is not protected (${setting === 'APP_SKIP_COMPASS_TLS_VERIFY' ? "Compass's server certificate is not verified" : 'plain http:// URLs are accepted, the token travels in cleartext'}); for labs only, every such connection is logged`,
        );
      }
      runtime.start();
    },
    async stop() {
      await runtime.stop();
      await effects.close();
      eventLog.close?.();
    },
    liveness() {
      const status = runtime.getSnapshot().status;
      return status === 'active'
        ? { ok: true, detail: 'state machine running' }
        : { ok: false, detail: `state machine ${status}` };
    },
    readiness() {
      const identity = effects.currentIdentity();
      if (!identity) return { ok: false, detail: 'no client certificate yet' };
      const notAfter = Date.parse(identity.validity.notAfter);
      if (notAfter <= clock.now()) return { ok: false, detail: `client certificate expired at ${identity.validity.notAfter}` };
      if (Date.parse(identity.validity.notBefore) > clock.now()) {
        return { ok: false, detail: `client certificate not valid before ${identity.validity.notBefore} by this node's clock` };
      }
      return { ok: true, detail: `client certificate valid until ${identity.validity.notAfter}` };
    },
    debug() {
      const snapshot = runtime.getSnapshot();
      // Already redacted (events and effect results are); scrubbed once more since /debug leaves the process.
      return redact({
        state: snapshot.value,
        status: snapshot.status,
        connectionState: snapshot.context.connectionState,
        recentEvents: eventLog.entries().slice(-50),
      });
    },
  };
}
