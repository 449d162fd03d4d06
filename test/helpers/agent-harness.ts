// End-to-end harness: both simulators over real TLS, the agent installed with deploy/ and assembled
// exactly as `run` does it (real client-node, real GraphQL clients), authenticated as its
// ServiceAccount, fast timings, and its log lines captured so tests can check what it said (and that
// it never said a secret).
import { Writable } from 'node:stream';
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../../adapters/logger.js';
import { loadConfig, type AgentConfig } from '../../src/config.js';
import { createAgent, type Agent } from '../../src/agent/agent.js';
import { startSimulators, type Simulators } from '../../src/commands/simulators.js';
import type { CompassSimOptions } from '../../sim/compass/index.js';
import { installAgent } from './agent-install.js';

const run = promisify(execFile);

export const CONFIG_SECRET = { namespace: 'kyma-system', name: 'compass-agent-configuration' };
export const CLIENT_SECRET = { namespace: 'kyma-system', name: 'cluster-client-certificates' };
export const CA_SECRET = { namespace: 'istio-system', name: 'ca-certificates' };
/** The user the agent's requests run as: its ServiceAccount, bound by deploy/. */
export const AGENT_USER = 'system:serviceaccount:kyma-system:compass-runtime-agent';

/** Fast cycles for tests; 2048-bit keys (the product default stays 4096). */
export const FAST_ENV: Record<string, string> = {
  APP_CONTROLLER_SYNC_PERIOD: '1s',
  APP_MINIMAL_COMPASS_SYNC_TIME: '300ms',
  APP_RETRY_INITIAL_DELAY: '200ms',
  APP_RETRY_MAX_DELAY: '2s',
  APP_RSA_KEY_BITS: '2048',
  APP_HEALTH_PORT: '0',
  APP_COMPASS_REQUEST_TIMEOUT: '5s',
  // Configured runtime URLs (unset, the agent leaves the Runtime's labels alone): the tests expect them set.
  APP_RUNTIME_EVENTS_URL: 'https://gateway.kyma.local',
  APP_RUNTIME_CONSOLE_URL: 'https://console.kyma.local',
};

export interface CompassConnectionView {
  metadata: { name: string; generation?: number; resourceVersion?: string; annotations?: Record<string, string> };
  spec: { managementInfo?: { connectorUrl: string; directorUrl: string }; resyncNow?: boolean; refreshCredentialsNow?: boolean };
  status?: {
    connectionState?: string;
    connectionStatus?: Record<string, unknown> & {
      certificateStatus?: { notBefore?: string; notAfter?: string; acquired?: string };
      error?: string;
      established?: string;
      renewed?: string;
    };
    synchronizationStatus?: (Record<string, unknown> & { error?: string }) | null;
    conditions?: Array<Record<string, unknown>>;
  };
}

export interface SyncOutcomeView {
  seq: number;
  result: string;
  error?: string;
  summary?: { created: number; updated: number; deleted: number; unchanged: number; failed: number };
}

export interface Harness {
  sims: Simulators;
  dir: string;
  /** The administrator's kubeconfig (for kubectl and setup). */
  kubeconfigPath: string;
  /** The agent's kubeconfig: its ServiceAccount, bound by exactly the RBAC in deploy/. */
  agentKubeconfigPath: string;
  /** Log lines the agent wrote (JSON text). */
  logs: string[];
  agent?: Agent;
  config?: AgentConfig;
  /** Puts CONNECTOR_URL, RUNTIME_ID, TENANT and a fresh TOKEN (or the given values) into the config Secret. */
  writeConfigSecret(values?: Partial<Record<'CONNECTOR_URL' | 'RUNTIME_ID' | 'TENANT' | 'TOKEN', string>>): Promise<string>;
  /** `compassCaPem`: the CA the agent trusts for Compass (default: the simulator's). */
  startAgent(env?: Record<string, string>, options?: { compassCaPem?: string }): Agent;
  stopAgent(): Promise<void>;
  connection(): CompassConnectionView | undefined;
  waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs?: number): Promise<T>;
  waitForState(state: string, timeoutMs?: number): Promise<CompassConnectionView>;
  secretData(ref: { namespace: string; name: string }): Record<string, string> | undefined;
  /** Outcomes of the synchronize effect in the agent's event log, those after `afterSeq` (an event-log seq). */
  syncOutcomes(afterSeq?: number): SyncOutcomeView[];
  /** The seq of the agent's latest event-log entry (-1 before any). */
  lastEventSeq(): number;
  /** Waits for `count` synchronization cycles that END after this call; returns their outcomes. */
  waitForSyncCycles(count: number, timeoutMs?: number): Promise<SyncOutcomeView[]>;
  kubectl(...args: string[]): Promise<string>;
  close(): Promise<void>;
}

/** `install: false` leaves deploy/ unapplied (the test installs, e.g. as an upgrade does): the ServiceAccount exists, with no rights. */
export async function startHarness(options: { apps?: number; compass?: CompassSimOptions; install?: boolean } = {}): Promise<Harness> {
  const sims = await startSimulators({ apps: options.apps ?? 2, compass: options.compass });
  const dir = mkdtempSync(join(tmpdir(), 'agent-e2e-'));
  const kubeconfigPath = join(dir, 'kubeconfig');
  writeFileSync(kubeconfigPath, sims.kubeconfigYaml, { mode: 0o600 });
  const agentKubeconfigYaml = options.install === false ? sims.agentKubeconfigYaml : await installAgent(sims, kubeconfigPath);
  const agentKubeconfigPath = join(dir, 'agent-kubeconfig');
  writeFileSync(agentKubeconfigPath, agentKubeconfigYaml, { mode: 0o600 });
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(line);
      done();
    },
  });

  const harness: Harness = {
    sims,
    dir,
    kubeconfigPath,
    agentKubeconfigPath,
    logs,
    async writeConfigSecret(values = {}) {
      const token = values.TOKEN ?? sims.compass.mintToken();
      const stringData = {
        CONNECTOR_URL: sims.compass.connectorUrl,
        RUNTIME_ID: sims.compass.runtimeId,
        TENANT: sims.compass.tenant,
        ...values,
        TOKEN: token,
      };
      const existing = sims.kube.get('v1', 'Secret', CONFIG_SECRET.name, CONFIG_SECRET.namespace) as
        { metadata: { resourceVersion: string } } | undefined;
      if (existing) {
        await run('kubectl', ['--kubeconfig', kubeconfigPath, '-n', CONFIG_SECRET.namespace, 'delete', 'secret', CONFIG_SECRET.name]);
      }
      await sims.kube.create({ apiVersion: 'v1', kind: 'Secret', metadata: { ...CONFIG_SECRET }, type: 'Opaque', stringData });
      return token;
    },
    startAgent(env = {}, startOptions = {}) {
      const config = loadConfig({ ...FAST_ENV, ...env });
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(agentKubeconfigYaml);
      const logger = createLogger({ level: 'debug', destination: sink });
      const agent = createAgent({ config, kubeConfig, logger, compassCaPem: startOptions.compassCaPem ?? sims.compass.serverCaPem });
      agent.start();
      harness.agent = agent;
      harness.config = config;
      return agent;
    },
    async stopAgent() {
      await harness.agent?.stop();
      harness.agent = undefined;
    },
    connection() {
      return sims.kube.get('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection') as
        CompassConnectionView | undefined;
    },
    async waitFor(what, probe, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const value = await probe();
        if (value !== undefined && value !== false) return value;
        if (Date.now() > deadline) {
          const state = harness.connection()?.status;
          throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; CR status: ${JSON.stringify(state)}`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    waitForState(state, timeoutMs) {
      return harness.waitFor(
        `connectionState ${state}`,
        () => {
          const cr = harness.connection();
          return cr?.status?.connectionState === state ? cr : undefined;
        },
        timeoutMs,
      );
    },
    secretData(ref) {
      const secret = sims.kube.get('v1', 'Secret', ref.name, ref.namespace) as { data?: Record<string, string> } | undefined;
      if (!secret) return undefined;
      return Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));
    },
    syncOutcomes(afterSeq = -1) {
      return (harness.agent?.eventLog.entries() ?? [])
        .filter((entry) => entry.seq > afterSeq && entry.event.type === 'xstate.done.actor.synchronize')
        .map((entry) => ({ seq: entry.seq, ...(entry.event as { type: string; output: Omit<SyncOutcomeView, 'seq'> }).output }));
    },
    lastEventSeq() {
      return harness.agent?.eventLog.entries().at(-1)?.seq ?? -1;
    },
    waitForSyncCycles(count, timeoutMs = 30_000) {
      const mark = harness.lastEventSeq();
      return harness.waitFor(
        `${count} synchronization cycle(s)`,
        () => {
          const outcomes = harness.syncOutcomes(mark);
          return outcomes.length >= count ? outcomes : undefined;
        },
        timeoutMs,
      );
    },
    async kubectl(...args) {
      const { stdout } = await run('kubectl', ['--kubeconfig', kubeconfigPath, ...args]);
      return stdout;
    },
    async close() {
      await harness.stopAgent();
      await sims.close();
    },
  };
  return harness;
}
