// Two (or more) agent replicas as processes, `bin/runtime-agent run` (the built bundle: `npm run build`
// first), installed with `kubectl apply -k deploy/` and running as the agent's ServiceAccount, as the
// Deployment's Pods do: one ServiceAccount, told apart in the Kubernetes simulator's request log by
// their User-Agent, which carries each process's leader election identity. Helpers to read terms of
// leadership and writes from that log (server time, server order).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulators, type Simulators } from '../../src/commands/simulators.js';
import { writeSimFiles, type SimInfo } from '../../src/commands/sim.js';
import type { RequestLogEntry } from '../../sim/kube/index.js';
import { spawn, type ChildProcess } from 'node:child_process';
import { AGENT_BIN, deploymentNodeOptions } from '../../bench/agent-process.js';
import { installAgent } from './agent-install.js';
import { CONFIG_SECRET } from './agent-harness.js';

export const LEASE = { namespace: 'kyma-system', name: 'compass-runtime-agent' };
const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];

/** A `bin/runtime-agent run` process. */
export interface AgentProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Resolves with its exit code (null after a signal) and when it exited (Date.now()). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** /healthz, /readyz, /metrics port, once logged. */
  healthPort(): number | undefined;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

export interface Replica {
  name: string;
  process: AgentProcess;
  /** Its leader election identity, from its log (known once it logged it). */
  identity(): string | undefined;
}

function spawnAgentProcess(env: Record<string, string>): AgentProcess {
  // As the container runs it: the bundle through its interpreter line, with the Deployment's NODE_OPTIONS.
  const child = spawn(AGENT_BIN, ['run'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_OPTIONS: deploymentNodeOptions(),
      APP_HEALTH_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const running = () => child.exitCode === null && child.signalCode === null;
  const agent: AgentProcess = {
    child,
    output: () => output,
    exited,
    healthPort: () =>
      logLines(agent).find((l) => typeof l.port === 'number' && String(l.msg).includes('endpoints listening'))?.port as number | undefined,
    kill: (signal) => {
      if (running()) child.kill(signal);
    },
    async stop() {
      if (!running()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
  return agent;
}

export interface Cluster {
  sims: Simulators;
  info: SimInfo;
  spawn(name: string, env?: Record<string, string>): Replica;
  /** The Lease's spec as stored. */
  lease(): Record<string, any> | undefined;
  /** Entries of the request log, with their index (the order the API server handled them in). */
  log(): Array<RequestLogEntry & { index: number }>;
  close(): Promise<void>;
}

/** Fast agent cycles for tests; leader election on, its durations as given (client-go's defaults otherwise). */
export const REPLICA_ENV: Record<string, string> = {
  APP_LEADER_ELECTION: 'true',
  APP_CONTROLLER_SYNC_PERIOD: '2s',
  APP_MINIMAL_COMPASS_SYNC_TIME: '500ms',
  APP_RETRY_INITIAL_DELAY: '200ms',
  APP_RETRY_MAX_DELAY: '2s',
  APP_RSA_KEY_BITS: '2048',
  APP_DEBUG_ADDRESS: 'off',
};

export async function startCluster(options: { apps: number }): Promise<Cluster> {
  const sims = await startSimulators({ apps: options.apps });
  const dir = mkdtempSync(join(tmpdir(), 'agent-replicas-'));
  const info = writeSimFiles(dir, sims);
  await installAgent(sims, info.kube.kubeconfig);
  await sims.kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { ...CONFIG_SECRET },
    type: 'Opaque',
    stringData: { CONNECTOR_URL: info.compass.connectorUrl, RUNTIME_ID: info.runtimeId, TENANT: info.tenant, TOKEN: info.token },
  });
  const replicas: Replica[] = [];
  return {
    sims,
    info,
    spawn(name, env = {}) {
      const process = spawnAgentProcess({
        KUBECONFIG: info.kube.agentKubeconfig,
        NODE_EXTRA_CA_CERTS: info.compass.caFile,
        APP_LOG_LEVEL: 'info',
        ...REPLICA_ENV,
        ...env,
      });
      let identity: string | undefined;
      const replica: Replica = {
        name,
        process,
        identity() {
          identity ??= logLines(process).find((l) => l.msg === 'leader election: standing by until this replica holds the Lease')
            ?.identity as string | undefined;
          return identity;
        },
      };
      replicas.push(replica);
      return replica;
    },
    lease: () => sims.kube.get('coordination.k8s.io/v1', 'Lease', LEASE.name, LEASE.namespace)?.spec,
    log: () => sims.kube.requestLog.map((entry, index) => ({ ...entry, index })),
    async close() {
      await Promise.all(replicas.map((r) => r.process.stop()));
      await sims.close();
    },
  };
}

/** The JSON log lines a replica wrote so far. */
export function logLines(process: AgentProcess): Array<Record<string, unknown>> {
  const lines: Array<Record<string, unknown>> = [];
  for (const line of process.output().split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      // a line still being written
    }
  }
  return lines;
}

/** Whether a request log entry came from the replica with this identity (its User-Agent names it). */
export const byIdentity = (identity: string) => (entry: RequestLogEntry) => entry.userAgent?.includes(`(${identity})`) ?? false;

/** Successful writes: what changed the cluster. */
export const isWrite = (entry: RequestLogEntry) => WRITE_VERBS.includes(entry.verb) && entry.status < 300;

export const isLeaseWrite = (entry: RequestLogEntry) => isWrite(entry) && entry.resource === 'leases' && entry.name !== undefined;

/** A replica's successful writes of anything but the Lease: its work as leader. */
export function workWrites(
  entries: Array<RequestLogEntry & { index: number }>,
  identity: string,
): Array<RequestLogEntry & { index: number }> {
  return entries.filter((e) => byIdentity(identity)(e) && isWrite(e) && e.resource !== 'leases');
}

export const ms = (entry: { at: string }) => Date.parse(entry.at);

export async function waitFor<T>(what: string, probe: () => T | undefined | false, timeoutMs: number, everyMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
