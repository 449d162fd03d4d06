// The agent as production runs it, `bin/runtime-agent run` (the bundle) in a process of its own,
// pointed at simulators that live in the benchmark's process: its memory figures are then the
// agent's alone. Also the helpers to read that process from outside: /proc status, the /metrics
// endpoint, the event log.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { fileURLToPath } from 'node:url';
import type { Simulators } from '../src/commands/simulators.js';

/** A file of the project, found upwards from this module: from bench/ (tests) as from dist/bench/ (npm run bench). */
function projectFile(relative: string): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    if (dirname(dir) === dir) throw new Error(`cannot find the project folder above ${fileURLToPath(import.meta.url)}`);
    dir = dirname(dir);
  }
  return join(dir, relative);
}

export const AGENT_BIN = projectFile('bin/runtime-agent');
const DEPLOYMENT = projectFile('deploy/deployment.yaml');

/** NODE_OPTIONS of the agent container in deploy/deployment.yaml: the agent runs here as it runs there. */
export function deploymentNodeOptions(): string {
  const deployment = parseYaml(readFileSync(DEPLOYMENT, 'utf8')) as {
    spec: { template: { spec: { containers: Array<{ env?: Array<{ name: string; value?: string }> }> } } };
  };
  const env = deployment.spec.template.spec.containers[0]?.env ?? [];
  return env.find((e) => e.name === 'NODE_OPTIONS')?.value ?? '';
}

/** USER_HZ, the unit of utime and stime in /proc/<pid>/stat: 100 on Linux. */
const CLOCK_TICKS = 100;

export const CONFIG_SECRET = { namespace: 'kyma-system', name: 'compass-agent-configuration' };

/** The configuration Secret with a fresh one-time token, as an operator would create it; returns the token. */
export async function createConfigSecret(sims: Simulators): Promise<string> {
  const token = sims.compass.mintToken();
  await sims.kube.create({
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { ...CONFIG_SECRET },
    type: 'Opaque',
    stringData: {
      CONNECTOR_URL: sims.compass.connectorUrl,
      RUNTIME_ID: sims.compass.runtimeId,
      TENANT: sims.compass.tenant,
      TOKEN: token,
    },
  });
  return token;
}

/** CPU time process `pid` has used so far (utime + stime from /proc/<pid>/stat), in ms; 10 ms resolution. */
export function cpuMsOf(pid: number): number {
  // The fields after the command name, which is in parentheses and may hold spaces: utime and stime are fields 14 and 15.
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

export interface AgentProcess {
  readonly pid: number;
  readonly startedAt: number;
  /** Port of /healthz, /readyz, /metrics (known once the agent logged it). */
  healthPort(): Promise<number>;
  /** VmRSS and VmHWM (peak) in MB (10^6 bytes), from /proc/<pid>/status. */
  memory(): { rssMB: number; peakMB: number };
  /** CPU time the agent process has used so far (utime + stime from /proc/<pid>/stat), in ms; 10 ms resolution. */
  cpuMs(): number;
  metricsText(): Promise<string>;
  /** Log lines (JSON) the agent wrote at warn level or above; handy when something goes wrong. */
  problems(): string[];
  /** Everything the agent wrote to stdout and stderr so far. */
  output(): string;
  stop(): Promise<void>;
}

export interface SpawnOptions {
  kubeconfigPath: string;
  compassCaFile: string;
  env: Record<string, string>;
  /** Executable and arguments; `bin/runtime-agent run` unless given (a test runs an image layout). */
  command?: [string, ...string[]];
}

export function spawnAgent(options: SpawnOptions): AgentProcess {
  // Executed as the container image runs it: through the script's interpreter line.
  const [executable, ...args] = options.command ?? [AGENT_BIN, 'run'];
  const child: ChildProcess = spawn(executable, args, {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      // BENCH_AGENT_NODE_OPTIONS: other V8 settings to compare with, never the figures reported as the Deployment's.
      NODE_OPTIONS: process.env.BENCH_AGENT_NODE_OPTIONS ?? deploymentNodeOptions(),
      KUBECONFIG: options.kubeconfigPath,
      NODE_EXTRA_CA_CERTS: options.compassCaFile,
      APP_HEALTH_PORT: '0',
      APP_LOG_LEVEL: 'info',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const startedAt = performance.now();
  const problems: string[] = [];
  let exited = false;
  let exitInfo = '';
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exited = true;
      exitInfo = `exit code ${code}, signal ${signal}`;
      resolve();
    }),
  );
  let resolvePort: (port: number) => void = () => undefined;
  let rejectPort: (error: Error) => void = () => undefined;
  const port = new Promise<number>((resolve, reject) => {
    resolvePort = resolve;
    rejectPort = reject;
  });
  void exit.then(() =>
    rejectPort(new Error(`the agent process ended (${exitInfo}) before it served /metrics: ${problems.slice(-3).join(' | ')}`)),
  );
  let buffer = '';
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    buffer += chunk.toString();
    let nl: number;
    while ((nl = buffer.indexOf('\n')) >= 0) {
      const line = buffer.slice(0, nl);
      buffer = buffer.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      try {
        const entry = JSON.parse(line) as { level?: string; msg?: string; port?: number };
        if (typeof entry.port === 'number' && entry.msg?.includes('endpoints listening')) resolvePort(entry.port);
        if (entry.level === 'warn' || entry.level === 'error' || entry.level === 'fatal') problems.push(line.slice(0, 500));
      } catch {
        // a partial or foreign line: not ours to judge
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    problems.push(chunk.toString().slice(0, 500));
  });

  const status = (): Record<string, string> => {
    const text = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return Object.fromEntries(
      text
        .split('\n')
        .map((l) => l.split(':\t'))
        .filter((p) => p.length === 2)
        .map(([k, v]) => [k, v.trim()]),
    );
  };
  const kib = (value: string | undefined) => Number.parseInt(value ?? 'NaN', 10);
  const cpuMs = (): number => cpuMsOf(child.pid!);

  return {
    pid: child.pid!,
    startedAt,
    healthPort: () => port,
    memory() {
      const s = status();
      return { rssMB: (kib(s.VmRSS) * 1024) / 1e6, peakMB: (kib(s.VmHWM) * 1024) / 1e6 };
    },
    cpuMs,
    async metricsText() {
      const response = await fetch(`http://127.0.0.1:${await port}/metrics`);
      return response.text();
    },
    problems: () => problems.slice(),
    output: () => output,
    async stop() {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    },
  };
}

/** A Prometheus sample: `name{labels} value`; labels given must all match. */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number {
  let total = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!Object.entries(labels).every(([k, v]) => have[k] === v)) continue;
    total += Number(match[3]);
    found = true;
  }
  return found ? total : 0;
}

export interface SyncMetrics {
  count: number;
  sumSeconds: number;
  /** Director application pages so far: read from their answer, or recognised unread by their digest (page memory). */
  directorPages: { read: number; reused: number };
  /** Director application pages requested ahead so far: used, or discarded. */
  prefetched: { used: number; discarded: number };
}

export async function syncMetrics(agent: AgentProcess): Promise<SyncMetrics> {
  const text = await agent.metricsText();
  return {
    count: metricValue(text, 'runtime_agent_sync_duration_seconds_count'),
    sumSeconds: metricValue(text, 'runtime_agent_sync_duration_seconds_sum'),
    directorPages: {
      read: metricValue(text, 'runtime_agent_director_application_pages_total', { answer: 'read' }),
      reused: metricValue(text, 'runtime_agent_director_application_pages_total', { answer: 'reused' }),
    },
    prefetched: {
      used: metricValue(text, 'runtime_agent_director_prefetched_pages_total', { outcome: 'used' }),
      discarded: metricValue(text, 'runtime_agent_director_prefetched_pages_total', { outcome: 'discarded' }),
    },
  };
}

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs: number,
  everyMs = 50,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (performance.now() > deadline) throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface CompassConnectionView {
  status?: { connectionState?: string; synchronizationStatus?: { error?: string } | null; connectionStatus?: { error?: string } };
}

export function connectionCr(sims: Simulators): CompassConnectionView | undefined {
  return sims.kube.get('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection') as CompassConnectionView | undefined;
}

/** Waits for the CR to reach `state`; a failure state on the way is reported with its error. */
export async function waitForConnectionState(
  sims: Simulators,
  agent: AgentProcess | undefined,
  state: string,
  timeoutMs: number,
): Promise<void> {
  const failures = new Set([
    'ConnectionFailed',
    'SynchronizationFailed',
    'ResourceApplicationFailed',
    'MetadataUpdateFailed',
    'ConnectionMaintenanceFailed',
  ]);
  await waitFor(
    `CompassConnection ${state}`,
    () => {
      const cr = connectionCr(sims);
      const current = cr?.status?.connectionState;
      if (current && failures.has(current) && !failures.has(state)) {
        const error = cr?.status?.synchronizationStatus?.error ?? cr?.status?.connectionStatus?.error ?? '';
        throw new Error(
          `the agent reached ${current} instead of ${state}: ${error.slice(0, 300)} ${agent?.problems().slice(-2).join(' | ') ?? ''}`,
        );
      }
      return current === state;
    },
    timeoutMs,
  );
}

export interface EventLogLine {
  seq: number;
  at: string;
  event: { type: string; output?: { at?: string; result?: string; fetchedAt?: string; appliedAt?: string } };
  state: unknown;
}

export function readEventLog(file: string): EventLogLine[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .slice(1)
    .filter(Boolean)
    .map((line) => JSON.parse(line) as EventLogLine);
}
