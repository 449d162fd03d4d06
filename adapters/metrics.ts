// Prometheus metrics of the agent. Label values are state names, event types and operation kinds:
// never a token, a certificate or a credential.
import { Registry, Gauge, Counter, Histogram, collectDefaultMetrics } from 'prom-client';

export const CONNECTION_STATES = [
  'ConnectionFailed',
  'Connected',
  'Synchronized',
  'SynchronizationFailed',
  'ResourceApplicationFailed',
  'MetadataUpdateFailed',
  'ConnectionMaintenanceFailed',
] as const;

export interface AgentMetrics {
  registry: Registry;
  setConnectionState(state: string | undefined): void;
  setCertificateExpiry(notAfter: string | undefined): void;
  observeSync(result: string, seconds: number): void;
  countApplicationOperations(counts: Partial<Record<'created' | 'updated' | 'deleted' | 'failed' | 'unchanged', number>>): void;
  setManagedApplications(count: number): void;
  countDirectorPages(pages: { read: number; reused: number }): void;
  /** Application pages requested ahead along the cursor chain: used, or discarded on a mismatch. */
  countDirectorPrefetch(prefetch: { used: number; discarded: number }): void;
  countEvent(type: string): void;
  /** 1 for each lab setting in effect that weakens the connection to Compass, 0 for the others. */
  setInsecureCompassSettings(settings: readonly string[]): void;
  /** Leader election: 1 while this replica holds the Lease (always 1 without leader election). */
  setLeader(lease: string, leading: boolean): void;
  /** Kubernetes Events: created, added to a series, rate-limited or failed, by reason. */
  countKubernetesEvent(outcome: string, reason: string): void;
}

/** How often the event loop lag of the default metrics is sampled. */
export const EVENT_LOOP_LAG_RESOLUTION_MS = 1000;

/** The settings the insecure-transport gauge reports on (config names). */
export const INSECURE_COMPASS_SETTINGS = ['APP_SKIP_COMPASS_TLS_VERIFY', 'APP_ALLOW_INSECURE_COMPASS_HTTP'] as const;

export function createAgentMetrics(options: { defaultMetrics?: boolean } = {}): AgentMetrics {
  const registry = new Registry();
  // The event loop lag is sampled every second, not every 10 ms (prom-client's default): that timer
  // alone cost the idle agent about 4.5 ms of CPU a second, half of everything it did between cycles.
  if (options.defaultMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: 'runtime_agent_', eventLoopMonitoringPrecision: EVENT_LOOP_LAG_RESOLUTION_MS });
  const state = new Gauge({
    name: 'runtime_agent_connection_state',
    help: 'CompassConnection state: 1 for the current state, 0 for the others',
    labelNames: ['state'],
    registers: [registry],
  });
  const expiry = new Gauge({
    name: 'runtime_agent_certificate_expiry_timestamp_seconds',
    help: 'NotAfter of the current client certificate, as a Unix timestamp',
    registers: [registry],
  });
  const syncDuration = new Histogram({
    name: 'runtime_agent_sync_duration_seconds',
    help: 'Duration of synchronization cycles (Director fetch, apply, labels) by outcome',
    labelNames: ['result'],
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [registry],
  });
  const operations = new Counter({
    name: 'runtime_agent_application_operations_total',
    help: 'Application resources created, updated, deleted, failed or left unchanged by synchronization',
    labelNames: ['operation'],
    registers: [registry],
  });
  const managed = new Gauge({
    name: 'runtime_agent_managed_applications',
    help: 'Applications assigned by Compass in the last successful fetch',
    registers: [registry],
  });
  const directorPages = new Counter({
    name: 'runtime_agent_director_application_pages_total',
    help: 'Application pages of successful Director fetches: read from the answer, or reused (the answer was identical to the last fetch)',
    labelNames: ['answer'],
    registers: [registry],
  });
  const prefetch = new Counter({
    name: 'runtime_agent_director_prefetched_pages_total',
    help: 'Application pages of Director fetches requested ahead along the cursor chain of the last complete fetch: used, or discarded when an answer did not match the chain',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const events = new Counter({
    name: 'runtime_agent_machine_events_total',
    help: 'Events received by the agent state machine, by type',
    labelNames: ['type'],
    registers: [registry],
  });
  const insecure = new Gauge({
    name: 'runtime_agent_insecure_compass_transport',
    help: 'Lab settings that weaken the connection to Compass: 1 when the setting is on (TLS verification skipped, plain http accepted)',
    labelNames: ['setting'],
    registers: [registry],
  });
  const leader = new Gauge({
    name: 'runtime_agent_leader',
    help: 'Whether this replica holds the leader election Lease and runs the agent (1) or stands by (0); always 1 without leader election',
    labelNames: ['lease'],
    registers: [registry],
  });
  const kubernetesEvents = new Counter({
    name: 'runtime_agent_kubernetes_events_total',
    help: 'Kubernetes Events about the CompassConnection: created, counted in a series, rate-limited or failed, by reason',
    labelNames: ['outcome', 'reason'],
    registers: [registry],
  });
  for (const s of CONNECTION_STATES) state.set({ state: s }, 0);
  for (const setting of INSECURE_COMPASS_SETTINGS) insecure.set({ setting }, 0);

  return {
    registry,
    setConnectionState(current) {
      for (const s of CONNECTION_STATES) state.set({ state: s }, s === current ? 1 : 0);
    },
    setCertificateExpiry(notAfter) {
      const ms = notAfter ? Date.parse(notAfter) : NaN;
      if (Number.isFinite(ms)) expiry.set(ms / 1000);
    },
    observeSync(result, seconds) {
      syncDuration.observe({ result }, seconds);
    },
    countApplicationOperations(counts) {
      for (const [operation, n] of Object.entries(counts)) if (n) operations.inc({ operation }, n);
    },
    setManagedApplications(count) {
      managed.set(count);
    },
    countDirectorPages({ read, reused }) {
      directorPages.inc({ answer: 'read' }, read);
      directorPages.inc({ answer: 'reused' }, reused);
    },
    countDirectorPrefetch({ used, discarded }) {
      prefetch.inc({ outcome: 'used' }, used);
      prefetch.inc({ outcome: 'discarded' }, discarded);
    },
    setInsecureCompassSettings(settings) {
      for (const setting of INSECURE_COMPASS_SETTINGS) insecure.set({ setting }, settings.includes(setting) ? 1 : 0);
    },
    setLeader(lease, leading) {
      leader.set({ lease }, leading ? 1 : 0);
    },
    countKubernetesEvent(outcome, reason) {
      // Reasons are the agent's own fixed set (connection-events.ts); bounded anyway.
      kubernetesEvents.inc({ outcome, reason: reason.slice(0, 64) });
    },
    countEvent(type) {
      // done/error events carry the invoke id, a bounded set; keep the label set bounded anyway
      events.inc({ type: type.length > 80 ? type.slice(0, 80) : type });
    },
  };
}
