// The agent's configuration: the reference agent's APP_* environment variables, names and defaults
// (spec/reference-agent.md §1.3), plus a few of our own. A malformed value stops start-up with a
// message that names the variable.
import { parseGoDuration } from './go-duration.js';
import { errorMessage } from '../adapters/unknown-values.js';

export interface NamespacedName {
  namespace: string;
  name: string;
}

export interface AgentConfig {
  agentConfigurationSecret: NamespacedName;
  controllerSyncPeriodMs: number;
  minimalCompassSyncTimeMs: number;
  certValidityRenewalThreshold: number;
  clusterCertificatesSecret: NamespacedName;
  caCertificatesSecret: NamespacedName;
  skipCompassTlsVerify: boolean;
  /** APP_ALLOW_INSECURE_COMPASS_HTTP: accept http:// Compass URLs (labs only; off by default). */
  allowInsecureCompassHttp: boolean;
  /** Parsed for compatibility; unused, as in the reference. */
  gatewayPort: number;
  skipAppsTlsVerify: boolean;
  centralGatewayServiceUrl: string;
  queryLogging: boolean;
  metricsLoggingTimeIntervalMs: number;
  healthPort: number;
  integrationNamespace: string;
  /** APP_RUNTIME_EVENTS_URL; undefined when not configured (unset, empty or the deploy/ placeholder): the label is left alone. */
  runtimeEventsUrl: string | undefined;
  /** APP_RUNTIME_CONSOLE_URL; undefined when not configured, as runtimeEventsUrl. */
  runtimeConsoleUrl: string | undefined;
  // ours
  eventLogFile: string | undefined;
  /** The event log file is rotated once it grows past this many bytes. */
  eventLogMaxBytes: number;
  /** Where /debug listens (loopback by default); null = not served. */
  debugAddress: ListenAddress | null;
  /** APP_STATELY_INSPECT: the ws(s):// URL of a Stately inspector relay the machine's events go to; undefined = off. */
  statelyInspectUrl: string | undefined;
  rsaKeyBits: number;
  compassRequestTimeoutMs: number;
  retryInitialDelayMs: number;
  retryMaxDelayMs: number;
  logLevel: string;
  /** APP_LEADER_ELECTION*: one active replica at a time, chosen through a coordination.k8s.io Lease. */
  leaderElection: LeaderElectionSettings;
}

export interface LeaderElectionSettings {
  enabled: boolean;
  namespace: string;
  name: string;
  /** How long a follower waits after the last renewal it saw before it takes the Lease over. */
  leaseDurationMs: number;
  /** How long the leader keeps acting without a successful renewal; shorter than the lease. */
  renewDeadlineMs: number;
  /** Time between two tries to acquire or renew. */
  retryPeriodMs: number;
}

export interface ListenAddress {
  host: string;
  port: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export interface ConfigVariable {
  name: string;
  default: string;
  description: string;
}

/** Every variable the agent reads, in the order the README documents them. */
export const CONFIG_VARIABLES: ConfigVariable[] = [
  {
    name: 'APP_AGENT_CONFIGURATION_SECRET',
    default: 'kyma-system/compass-agent-configuration',
    description: 'Secret with CONNECTOR_URL, TOKEN, RUNTIME_ID, TENANT',
  },
  { name: 'APP_CONTROLLER_SYNC_PERIOD', default: '20s', description: 'period of the maintenance and synchronization cycle (jittered)' },
  {
    name: 'APP_MINIMAL_COMPASS_SYNC_TIME',
    default: '10s',
    description: 'minimum time between two calls to Compass; also used by the renewal rule',
  },
  {
    name: 'APP_CERT_VALIDITY_RENEWAL_THRESHOLD',
    default: '0.3',
    description: 'renew when the remaining validity drops below this fraction of the total',
  },
  {
    name: 'APP_CLUSTER_CERTIFICATES_SECRET',
    default: 'kyma-system/cluster-client-certificates',
    description:
      'Secret for the client key, certificate and chain (keys key, crt, crtChain) and the Compass URLs the agent resumes with (directorUrl, connectorUrl)',
  },
  {
    name: 'APP_CA_CERTIFICATES_SECRET',
    default: 'istio-system/ca-certificates',
    description: 'Secret for the Compass CA certificate (key cacert)',
  },
  {
    name: 'APP_SKIP_COMPASS_TLS_VERIFY',
    default: 'false',
    description:
      "skip verification of Compass's server certificate (labs only: logged as a warning at start and on every connection, shown in the CR's SecureCompassTransport condition and in a metric)",
  },
  {
    name: 'APP_ALLOW_INSECURE_COMPASS_HTTP',
    default: 'false',
    description:
      'accept plain http:// Compass URLs from the configuration Secret and the Connector (labs only: the token and the Tenant header travel in cleartext; warned about like APP_SKIP_COMPASS_TLS_VERIFY). Off: such URLs are refused and nothing is sent to them',
  },
  { name: 'APP_GATEWAY_PORT', default: '8080', description: 'unused; accepted for compatibility' },
  { name: 'APP_SKIP_APPS_TLS_VERIFY', default: 'false', description: 'spec.skipVerify of Application resources created by the agent' },
  {
    name: 'APP_CENTRAL_GATEWAY_SERVICE_URL',
    default: 'http://central-application-gateway.kyma-system.svc.cluster.local:8082',
    description: 'prefix of centralGatewayUrl in Application entries',
  },
  { name: 'APP_QUERY_LOGGING', default: 'false', description: 'log GraphQL operations (redacted) at debug level' },
  { name: 'APP_METRICS_LOGGING_TIME_INTERVAL', default: '30m', description: 'accepted for compatibility; metrics are served on /metrics' },
  {
    name: 'APP_HEALTH_PORT',
    default: '8090',
    description: 'port of /healthz, /readyz and /metrics (all interfaces: probes and Prometheus)',
  },
  {
    name: 'APP_DEBUG_ADDRESS',
    default: '127.0.0.1:8091',
    description:
      'HOST:PORT of /debug, loopback only by default (reach it with kubectl port-forward); off disables it; any other host exposes the live state to the network',
  },
  {
    name: 'APP_STATELY_INSPECT',
    default: '',
    description:
      "ws:// or wss:// URL of a Stately inspector relay (@statelyai/inspect): the state machine's events, redacted, are sent there for development (docs/debugging.md); unset: off, and the inspector is not loaded",
  },
  {
    name: 'APP_INTEGRATION_NAMESPACE',
    default: 'kyma-system',
    description: 'namespace of the Applications’ credential and request-parameter Secrets',
  },
  {
    name: 'APP_RUNTIME_EVENTS_URL',
    default: '',
    description:
      'value of the runtime label runtime_eventServiceUrl; unset, or still holding the deploy/ placeholder CLUSTER_DOMAIN: the label is left as it is in the Director (said in the CR status and the log)',
  },
  {
    name: 'APP_RUNTIME_CONSOLE_URL',
    default: '',
    description: 'value of the runtime label runtime_consoleUrl; unset or the placeholder: left alone, as APP_RUNTIME_EVENTS_URL',
  },
  {
    name: 'APP_EVENT_LOG_FILE',
    default: '',
    description:
      'append the redacted event log to this file (JSON lines, mode 0600), for replay: each start adds a segment with its own header; a file that is not an event log becomes FILE.1',
  },
  {
    name: 'APP_EVENT_LOG_MAX_SIZE',
    default: '10Mi',
    description:
      'size (bytes, Ki or Mi) at which the event log file is rotated: FILE becomes FILE.1 (replacing the older one) and FILE starts again with a checkpoint',
  },
  { name: 'APP_RSA_KEY_BITS', default: '4096', description: 'size of the RSA key generated for each certificate (2048, 3072 or 4096)' },
  { name: 'APP_COMPASS_REQUEST_TIMEOUT', default: '30s', description: 'timeout of each request to Compass' },
  {
    name: 'APP_RETRY_INITIAL_DELAY',
    default: '2s',
    description: 'first retry delay after a failed connection attempt (doubles, jittered)',
  },
  { name: 'APP_RETRY_MAX_DELAY', default: '5m', description: 'longest retry delay after failed connection attempts' },
  { name: 'APP_LOG_LEVEL', default: 'info', description: 'log level: debug, info, warn, error' },
  {
    name: 'APP_LEADER_ELECTION',
    default: 'false',
    description:
      'run as one of several replicas: only the holder of a coordination.k8s.io Lease talks to Compass and writes (true in deploy/)',
  },
  { name: 'APP_LEADER_ELECTION_NAMESPACE', default: 'kyma-system', description: 'namespace of the leader election Lease' },
  { name: 'APP_LEADER_ELECTION_NAME', default: 'compass-runtime-agent', description: 'name of the leader election Lease' },
  {
    name: 'APP_LEADER_ELECTION_LEASE_DURATION',
    default: '15s',
    description: 'how long a standby replica waits, after the last renewal it saw, before it takes the Lease over',
  },
  {
    name: 'APP_LEADER_ELECTION_RENEW_DEADLINE',
    default: '10s',
    description: 'how long the leader acts without a successful renewal before it stops writing (shorter than the lease duration)',
  },
  { name: 'APP_LEADER_ELECTION_RETRY_PERIOD', default: '2s', description: 'time between two tries to acquire or renew the Lease' },
];

/** The reference's namespaced-name rules (reference §1.4), with an empty name rejected. */
export function parseNamespacedName(value: string): NamespacedName {
  const [first, second] = value.split('/');
  let namespace = second === undefined ? '' : first;
  let name = second === undefined ? first : second;
  if (name === '' && namespace !== '') {
    name = namespace;
    namespace = '';
  }
  return { namespace: namespace || 'default', name };
}

const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * What deploy/ writes in place of the cluster's domain until it is set (deploy/kustomization.yaml):
 * `_` is no hostname character, so no real domain holds it. A runtime URL that does is not configured.
 */
export const CLUSTER_DOMAIN_PLACEHOLDER = 'CLUSTER_DOMAIN';

export function loadConfig(env: Record<string, string | undefined> = process.env): AgentConfig {
  const raw = (name: string): string => {
    const variable = CONFIG_VARIABLES.find((v) => v.name === name);
    const value = env[name];
    return value === undefined || value === '' ? (variable?.default ?? '') : value.trim();
  };
  const secretRef = (name: string): NamespacedName => {
    const ref = parseNamespacedName(raw(name));
    if (!DNS_SUBDOMAIN.test(ref.name) || ref.name.length > 253) {
      throw new ConfigError(
        name,
        `"${raw(name)}" is not a Secret reference; expected NAMESPACE/NAME, e.g. kyma-system/compass-agent-configuration`,
      );
    }
    if (!DNS_LABEL.test(ref.namespace)) throw new ConfigError(name, `namespace "${ref.namespace}" is not a valid namespace name`);
    return ref;
  };
  const duration = (name: string, min = 0): number => {
    let ms: number;
    try {
      ms = parseGoDuration(raw(name));
    } catch (err) {
      throw new ConfigError(name, `${errorMessage(err)}; use Go duration syntax such as 20s, 5m or 1h30m`);
    }
    if (ms < min) throw new ConfigError(name, `"${raw(name)}" is too short; the minimum is ${min} ms`);
    return ms;
  };
  const bool = (name: string): boolean => {
    const value = raw(name).toLowerCase();
    if (['true', '1', 't'].includes(value)) return true;
    if (['false', '0', 'f'].includes(value)) return false;
    throw new ConfigError(name, `"${raw(name)}" is not a boolean; use true or false`);
  };
  const integer = (name: string, min: number, max: number): number => {
    const text = raw(name);
    const value = Number(text);
    if (!/^\d+$/.test(text) || value < min || value > max) {
      throw new ConfigError(name, `"${text}" is not a whole number between ${min} and ${max}`);
    }
    return value;
  };
  const url = (name: string): string => {
    const text = raw(name);
    try {
      const parsed = new URL(text);
      if (!['http:', 'https:'].includes(parsed.protocol)) throw new Error('scheme');
    } catch {
      throw new ConfigError(name, `"${text}" is not an http(s) URL`);
    }
    return text.replace(/\/+$/, '');
  };

  // Unset, empty or the deploy/ placeholder: not configured, and the Runtime's label is left alone
  // rather than overwritten with an example value.
  const runtimeUrl = (name: string): string | undefined => {
    const text = raw(name);
    if (text === '' || text.toUpperCase().includes(CLUSTER_DOMAIN_PLACEHOLDER)) return undefined;
    return url(name);
  };

  const listenAddress = (name: string): ListenAddress | null => {
    const text = raw(name);
    if (text.toLowerCase() === 'off') return null;
    const match = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text);
    const port = Number(match?.[2]);
    if (!match || port > 65535) throw new ConfigError(name, `"${text}" is not HOST:PORT (e.g. 127.0.0.1:8091) or off`);
    return { host: match[1].replace(/^\[|\]$/g, ''), port };
  };
  const websocketUrl = (name: string): string | undefined => {
    const text = raw(name);
    if (text === '') return undefined;
    let parsed: URL;
    try {
      parsed = new URL(text);
    } catch {
      throw new ConfigError(name, `"${text}" is not a ws:// or wss:// URL (e.g. ws://127.0.0.1:8080), or unset`);
    }
    if (!['ws:', 'wss:'].includes(parsed.protocol))
      throw new ConfigError(name, `"${text}" is not a ws:// or wss:// URL (e.g. ws://127.0.0.1:8080), or unset`);
    if (parsed.username || parsed.password) throw new ConfigError(name, 'must not hold credentials: the URL is logged');
    return text;
  };
  const byteSize = (name: string, min: number): number => {
    const text = raw(name);
    const match = /^(\d+)(Ki|Mi)?$/.exec(text);
    const bytes = match ? Number(match[1]) * (match[2] === 'Mi' ? 1024 * 1024 : match[2] === 'Ki' ? 1024 : 1) : NaN;
    if (!(bytes >= min)) throw new ConfigError(name, `"${text}" is not a size of at least ${min} bytes; use bytes, Ki or Mi, e.g. 10Mi`);
    return bytes;
  };

  const thresholdText = raw('APP_CERT_VALIDITY_RENEWAL_THRESHOLD');
  const threshold = Number(thresholdText);
  if (!/^\d*\.?\d+$/.test(thresholdText) || !(threshold > 0 && threshold < 1)) {
    throw new ConfigError(
      'APP_CERT_VALIDITY_RENEWAL_THRESHOLD',
      `"${thresholdText}" must be a number between 0 and 1 (exclusive), e.g. 0.3`,
    );
  }
  const rsaKeyBits = integer('APP_RSA_KEY_BITS', 2048, 4096);
  if (![2048, 3072, 4096].includes(rsaKeyBits)) {
    throw new ConfigError('APP_RSA_KEY_BITS', `"${rsaKeyBits}" is not supported; use 2048, 3072 or 4096`);
  }
  const integrationNamespace = raw('APP_INTEGRATION_NAMESPACE');
  if (!DNS_LABEL.test(integrationNamespace)) {
    throw new ConfigError('APP_INTEGRATION_NAMESPACE', `"${integrationNamespace}" is not a valid namespace name`);
  }
  const logLevel = raw('APP_LOG_LEVEL').toLowerCase();
  if (!['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(logLevel)) {
    throw new ConfigError('APP_LOG_LEVEL', `"${logLevel}" is not a log level; use debug, info, warn or error`);
  }

  const config: AgentConfig = {
    agentConfigurationSecret: secretRef('APP_AGENT_CONFIGURATION_SECRET'),
    controllerSyncPeriodMs: duration('APP_CONTROLLER_SYNC_PERIOD', 1000),
    minimalCompassSyncTimeMs: duration('APP_MINIMAL_COMPASS_SYNC_TIME'),
    certValidityRenewalThreshold: threshold,
    clusterCertificatesSecret: secretRef('APP_CLUSTER_CERTIFICATES_SECRET'),
    caCertificatesSecret: secretRef('APP_CA_CERTIFICATES_SECRET'),
    skipCompassTlsVerify: bool('APP_SKIP_COMPASS_TLS_VERIFY'),
    allowInsecureCompassHttp: bool('APP_ALLOW_INSECURE_COMPASS_HTTP'),
    gatewayPort: integer('APP_GATEWAY_PORT', 0, 65535),
    skipAppsTlsVerify: bool('APP_SKIP_APPS_TLS_VERIFY'),
    centralGatewayServiceUrl: url('APP_CENTRAL_GATEWAY_SERVICE_URL'),
    queryLogging: bool('APP_QUERY_LOGGING'),
    metricsLoggingTimeIntervalMs: duration('APP_METRICS_LOGGING_TIME_INTERVAL'),
    healthPort: integer('APP_HEALTH_PORT', 0, 65535),
    integrationNamespace,
    runtimeEventsUrl: runtimeUrl('APP_RUNTIME_EVENTS_URL'),
    runtimeConsoleUrl: runtimeUrl('APP_RUNTIME_CONSOLE_URL'),
    eventLogFile: raw('APP_EVENT_LOG_FILE') || undefined,
    eventLogMaxBytes: byteSize('APP_EVENT_LOG_MAX_SIZE', 4096),
    debugAddress: listenAddress('APP_DEBUG_ADDRESS'),
    statelyInspectUrl: websocketUrl('APP_STATELY_INSPECT'),
    rsaKeyBits,
    compassRequestTimeoutMs: duration('APP_COMPASS_REQUEST_TIMEOUT', 100),
    retryInitialDelayMs: duration('APP_RETRY_INITIAL_DELAY', 10),
    retryMaxDelayMs: duration('APP_RETRY_MAX_DELAY', 10),
    logLevel,
    leaderElection: leaderElectionSettings(),
  };
  if (config.retryMaxDelayMs < config.retryInitialDelayMs) {
    throw new ConfigError('APP_RETRY_MAX_DELAY', 'must not be shorter than APP_RETRY_INITIAL_DELAY');
  }
  return config;

  function leaderElectionSettings(): LeaderElectionSettings {
    const namespace = raw('APP_LEADER_ELECTION_NAMESPACE');
    if (!DNS_LABEL.test(namespace)) throw new ConfigError('APP_LEADER_ELECTION_NAMESPACE', `"${namespace}" is not a valid namespace name`);
    const name = raw('APP_LEADER_ELECTION_NAME');
    if (!DNS_SUBDOMAIN.test(name) || name.length > 253)
      throw new ConfigError('APP_LEADER_ELECTION_NAME', `"${name}" is not a valid Lease name`);
    // Whole seconds: the Lease records its duration in seconds (spec.leaseDurationSeconds).
    const leaseDurationMs = duration('APP_LEADER_ELECTION_LEASE_DURATION', 1000);
    if (leaseDurationMs % 1000 !== 0)
      throw new ConfigError(
        'APP_LEADER_ELECTION_LEASE_DURATION',
        `"${raw('APP_LEADER_ELECTION_LEASE_DURATION')}" must be whole seconds (the Lease stores seconds)`,
      );
    const renewDeadlineMs = duration('APP_LEADER_ELECTION_RENEW_DEADLINE', 1);
    const retryPeriodMs = duration('APP_LEADER_ELECTION_RETRY_PERIOD', 1);
    // client-go's rules: the leader must give up before a follower may take over, and get more than one try before that.
    if (renewDeadlineMs >= leaseDurationMs) {
      throw new ConfigError(
        'APP_LEADER_ELECTION_RENEW_DEADLINE',
        'must be shorter than APP_LEADER_ELECTION_LEASE_DURATION (the leader stops writing before a standby may take over)',
      );
    }
    if (renewDeadlineMs <= retryPeriodMs * 1.2) {
      throw new ConfigError(
        'APP_LEADER_ELECTION_RETRY_PERIOD',
        'must be shorter than APP_LEADER_ELECTION_RENEW_DEADLINE / 1.2 (the retry period is jittered by up to 1.2 times)',
      );
    }
    return { enabled: bool('APP_LEADER_ELECTION'), namespace, name, leaseDurationMs, renewDeadlineMs, retryPeriodMs };
  }
}

/** One line for the start-up log: every setting, no secrets (the configuration holds none). */
export function describeConfig(config: AgentConfig): Record<string, unknown> {
  const ref = (r: NamespacedName) => `${r.namespace}/${r.name}`;
  return {
    ...config,
    agentConfigurationSecret: ref(config.agentConfigurationSecret),
    clusterCertificatesSecret: ref(config.clusterCertificatesSecret),
    caCertificatesSecret: ref(config.caCertificatesSecret),
    debugAddress: config.debugAddress ? `${config.debugAddress.host}:${config.debugAddress.port}` : 'off',
    leaderElection: config.leaderElection.enabled ? { ...config.leaderElection } : false,
  };
}

/** The settings that weaken the agent's connection to Compass; each is warned about at start and on every connection. */
export function insecureCompassSettings(config: Pick<AgentConfig, 'skipCompassTlsVerify' | 'allowInsecureCompassHttp'>): string[] {
  return [
    ...(config.skipCompassTlsVerify ? ['APP_SKIP_COMPASS_TLS_VERIFY'] : []),
    ...(config.allowInsecureCompassHttp ? ['APP_ALLOW_INSECURE_COMPASS_HTTP'] : []),
  ];
}
