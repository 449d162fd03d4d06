// Synchronisation at scale: 10,000 applications in the Compass simulator (server page cap 200),
// synced by `runtime-agent run` (a child process) into the Kubernetes simulator (this process).
//
// Figures: the initial synchronisation (the synchronize effect's own duration, from the agent's
// runtime_agent_sync_duration_seconds metric, with the Director fetch / apply split from its event
// log); the same objects created straight through client-node, same concurrency, against a fresh
// Kubernetes simulator (the limit) and the ratio of the two; the duration of no-change cycles and
// the writes they made (Kubernetes simulator request log); the agent's peak RSS (VmHWM).
// BENCH_SYNC_APPS overrides the number of applications (for a quick look; the target is for 10,000).
// Then the agent's CPU per no-change cycle (/proc/<pid>/stat) and no-change cycles with every Director
// request answered 30 ms late (the simulator's latency), with the most requests in flight at once, and
// the floor of the CPU figure (bench/quiet-cycle-floor.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_SYNC_CONCURRENCY } from '../src/applications/sync-executor.js';
import { crdDirectory, startSimulators, type Simulators } from '../src/commands/simulators.js';
import { writeSimFiles } from '../src/commands/sim.js';
import { startKubeSim } from '../sim/kube/index.js';
import type { KubeSim, RequestLogEntry } from '../sim/kube/index.js';
import {
  createConfigSecret,
  deploymentNodeOptions,
  readEventLog,
  spawnAgent,
  syncMetrics,
  waitFor,
  waitForConnectionState,
  type AgentProcess,
  type EventLogLine,
} from './agent-process.js';
import { MAX_IN_FLIGHT } from '../adapters/compass/director-prefetch.js';
import type { DirectObjects } from './direct-create.js';
import { figure, median, printFigure, type Figure } from './figures.js';
import { SETTLING_CYCLES, STEADY_CYCLES, STEADY_PERIOD_MS, steadyMedian } from './steady-cycles.js';
import { quietCycleFloor } from './quiet-cycle-floor.js';

const BENCH = 'sync';
const APPS = Number(process.env.BENCH_SYNC_APPS ?? 10_000);
const SERVER_PAGE_SIZE = 200;
const INTEGRATION_NAMESPACE = 'kyma-system';
const APPLICATION_API = 'applicationconnector.kyma-project.io/v1alpha1';
const WRITE_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const DIRECT_CREATE = fileURLToPath(new URL('./direct-create.js', import.meta.url));

interface KubeObjectView {
  metadata: { name: string; namespace?: string; ownerReferences?: Array<{ kind: string; name: string }>; [key: string]: unknown };
  [key: string]: unknown;
}

/** What a client sends: no server-maintained fields, no status. */
function asSent(object: KubeObjectView): KubeObjectView {
  const { status: _status, ...rest } = object;
  const metadata = { ...object.metadata };
  for (const field of ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields', 'ownerReferences'])
    delete metadata[field];
  return { ...rest, metadata };
}

/** The Applications and their Secrets as the agent left them, in the shape direct-create sends. */
function objectsAsCreated(sims: Simulators): DirectObjects {
  const applications = sims.kube.list(APPLICATION_API, 'Application') as KubeObjectView[];
  const secrets = sims.kube.list('v1', 'Secret', INTEGRATION_NAMESPACE) as KubeObjectView[];
  const byOwner = new Map<string, KubeObjectView[]>();
  for (const secret of secrets) {
    const owner = secret.metadata.ownerReferences?.find((o) => o.kind === 'Application');
    if (!owner) continue;
    const list = byOwner.get(owner.name) ?? [];
    list.push(secret);
    byOwner.set(owner.name, list);
  }
  return {
    applications: applications.map((app) => ({
      application: asSent(app),
      secrets: (byOwner.get(app.metadata.name) ?? []).map(asSent) as DirectObjects['applications'][number]['secrets'],
    })),
  };
}

async function withFreshKube<T>(dir: string, label: string, use: (kubeconfigPath: string, kube: KubeSim) => Promise<T>): Promise<T> {
  const kube = await startKubeSim({ crdDir: crdDirectory(), namespaces: ['default', 'kube-system', 'kyma-system', 'istio-system'] });
  try {
    return await use(await kube.writeKubeconfig(join(dir, `kubeconfig-${label}`)), kube);
  } finally {
    await kube.close();
  }
}

function runDirectCreate(
  kubeconfigPath: string,
  objectsPath: string,
  concurrency: number,
  keepAlive = false,
): Promise<{ ms: number; applications: number; secrets: number }> {
  return new Promise((resolve, reject) => {
    const args = [DIRECT_CREATE, kubeconfigPath, objectsPath, String(concurrency), ...(keepAlive ? ['keep-alive'] : [])];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()!) as { ms: number; applications: number; secrets: number });
      else reject(new Error(`direct-create exited with ${code}: ${err.slice(0, 500)}`));
    });
  });
}

function writesIn(entries: RequestLogEntry[]): Map<string, number> {
  const writes = new Map<string, number>();
  for (const entry of entries) {
    if (!WRITE_VERBS.has(entry.verb) || entry.status >= 400) continue;
    const key = entry.resource ?? entry.path;
    writes.set(key, (writes.get(key) ?? 0) + 1);
  }
  return writes;
}

const describe = (counts: Map<string, number>) => (counts.size ? [...counts].map(([k, v]) => `${k} ${v}`).join(', ') : 'none');

/** The event log's split of a synchronize: [fetch ms, apply ms, labels ms] measured from the entry that entered Synchronizing. */
function syncPhases(log: EventLogLine[], nth: number): [number, number, number] | undefined {
  let seen = 0;
  let startedAt: string | undefined;
  for (const line of log) {
    if (JSON.stringify(line.state).includes('"Synchronizing"') && startedAt === undefined) startedAt = line.at;
    if (line.event.type === 'xstate.done.actor.synchronize' && startedAt !== undefined) {
      if (seen++ === nth) {
        const { fetchedAt, appliedAt, at } = line.event.output ?? {};
        if (!fetchedAt || !appliedAt || !at) return undefined;
        const t = (s: string) => Date.parse(s);
        return [t(fetchedAt) - t(startedAt), t(appliedAt) - t(fetchedAt), t(at) - t(appliedAt)];
      }
      startedAt = undefined;
    }
  }
  return undefined;
}

export async function benchSyncScale(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const report = (f: Figure) => {
    printFigure(f);
    figures.push(f);
  };
  const dir = mkdtempSync(join(tmpdir(), 'bench-sync-'));
  const eventLogFile = join(dir, 'events.jsonl');
  const concurrency = DEFAULT_SYNC_CONCURRENCY;
  let objects: DirectObjects;
  let firstSyncMs: number;
  let applyMs: number | undefined;
  try {
    const sims = await startSimulators({ apps: APPS, compass: { pageSize: SERVER_PAGE_SIZE } });
    let agent: AgentProcess | undefined;
    try {
      const info = writeSimFiles(dir, sims);
      await createConfigSecret(sims);
      agent = spawnAgent({
        kubeconfigPath: info.kube.kubeconfig,
        compassCaFile: info.compass.caFile,
        env: {
          APP_CONTROLLER_SYNC_PERIOD: `${STEADY_PERIOD_MS / 1000}s`,
          APP_MINIMAL_COMPASS_SYNC_TIME: '1s',
          APP_COMPASS_REQUEST_TIMEOUT: '60s',
          APP_EVENT_LOG_FILE: eventLogFile,
        },
      });
      const spawned = agent.startedAt;
      await waitForConnectionState(sims, agent, 'Synchronized', 30 * 60_000);
      const synchronizedAt = performance.now();
      const afterFirst = await syncMetrics(agent);
      if (afterFirst.count !== 1)
        throw new Error(`expected one synchronization before the first Synchronized, the metric counts ${afterFirst.count}`);
      firstSyncMs = afterFirst.sumSeconds * 1000;
      const peakAfterInitial = agent.memory().peakMB;
      const directorCalls = sims.compass.control
        .callLog()
        .filter((c) => c.surface === 'director' && c.operations.includes('applicationsForRuntime')).length;
      const phases = syncPhases(readEventLog(eventLogFile), 0);
      applyMs = phases?.[1];
      const kubeRequests = sims.kube.requestLog.length;
      const initialWrites = writesIn(sims.kube.requestLog);
      report(
        figure(BENCH, `initial sync of ${APPS} applications (synchronize effect)`, firstSyncMs / 1000, 's', {
          note:
            `agent process start → CR Synchronized ${((synchronizedAt - spawned) / 1000).toFixed(1)} s; ` +
            (phases
              ? `Director fetch ${(phases[0] / 1000).toFixed(1)} s (${directorCalls} applicationsForRuntime pages), apply ${(phases[1] / 1000).toFixed(1)} s, labels ${phases[2]} ms; `
              : '') +
            `${kubeRequests} Kubernetes requests, writes: ${describe(initialWrites)}`,
        }),
      );

      // No-change cycles: the next ones, each timed by the metric, their writes from the request log.
      const durations: number[] = [];
      const appWrites: number[] = [];
      const otherWrites: string[] = [];
      const phasesOfCycles: string[] = [];
      const simulatorCpu: number[] = [];
      const pagesReused: string[] = [];
      const agentCpu: number[] = [];
      let previous = afterFirst;
      let mark = sims.kube.requestLog.length;
      let cpuMark = process.cpuUsage();
      let agentCpuMark = agent.cpuMs();
      for (let i = 0; i < SETTLING_CYCLES + STEADY_CYCLES; i++) {
        // Each cycle is seen in the event log (read from outside: it costs the agent nothing), then the
        // agent's CPU is read, then its metric, once per cycle (rendering /metrics costs it a few ms,
        // counted in the next cycle's CPU).
        const split = await waitFor(
          'the next synchronization cycle in the event log',
          () => syncPhases(readEventLog(eventLogFile), i + 1),
          120_000,
          100,
        );
        const agentCpuNow = agent.cpuMs();
        agentCpu.push(agentCpuNow - agentCpuMark);
        agentCpuMark = agentCpuNow;
        const current = await syncMetrics(agent);
        if (current.count !== previous.count + 1)
          throw new Error(`expected cycle ${previous.count + 1} in the metric, it counts ${current.count}; cannot attribute its duration`);
        durations.push((current.sumSeconds - previous.sumSeconds) * 1000);
        const reused = current.directorPages.reused - previous.directorPages.reused;
        pagesReused.push(`${reused}/${reused + current.directorPages.read - previous.directorPages.read}`);
        phasesOfCycles.push(`fetch ${split[0]} + apply ${split[1]} + labels ${split[2]}`);
        const writes = writesIn(sims.kube.requestLog.slice(mark));
        appWrites.push((writes.get('applications') ?? 0) + (writes.get('secrets') ?? 0));
        writes.delete('applications');
        writes.delete('secrets');
        otherWrites.push(describe(writes));
        mark = sims.kube.requestLog.length;
        const cpu = process.cpuUsage(cpuMark);
        simulatorCpu.push((cpu.user + cpu.system) / 1000);
        cpuMark = process.cpuUsage();
        previous = current;
      }
      if (connectionStateOf(sims) !== 'Synchronized') throw new Error(`after the no-change cycles the CR is ${connectionStateOf(sims)}`);
      report(
        figure(BENCH, `no-change cycle, median of ${durations.length}`, median(durations), 'ms', {
          target: { op: '<', value: 1000 },
          note:
            `cycles: ${durations.map((d) => Math.round(d)).join(', ')} ms; split (ms, from the event log): ${phasesOfCycles.join(' / ')}; ` +
            `Director pages recognised unread (page memory): ${pagesReused.join(', ')}; ` +
            `CPU of this process (both simulators) from cycle to cycle: ${simulatorCpu.map((ms) => Math.round(ms)).join(', ')} ms`,
        }),
      );
      report(
        figure(BENCH, 'no-change cycle writes (Applications + Secrets), max', Math.max(...appWrites), 'writes', {
          target: { op: '<=', value: 0 },
          note: `per cycle: ${appWrites.join(', ')}; other writes per cycle (CompassConnection status): ${otherWrites.join(' / ')}`,
        }),
      );
      report(
        figure(
          BENCH,
          `agent CPU per no-change cycle at ${APPS} applications, median of the ${STEADY_CYCLES} after the first ${SETTLING_CYCLES}`,
          steadyMedian(agentCpu),
          'ms',
          {
            target: { op: '<=', value: 100 },
            note: `utime + stime of the agent process (/proc/<pid>/stat, 10 ms ticks) from cycle to cycle, everything it did in the ${STEADY_PERIOD_MS / 1000} s; every cycle after the initial sync: ${agentCpu.map((ms) => Math.round(ms)).join(', ')} ms (median of the first ${SETTLING_CYCLES}: ${Math.round(median(agentCpu.slice(0, SETTLING_CYCLES)))} ms)`,
          },
        ),
      );
      const memory = agent.memory();
      report(
        figure(BENCH, `agent peak RSS (VmHWM) over the initial sync and ${durations.length} no-change cycles`, memory.peakMB, 'MB', {
          target: { op: '<=', value: 128 },
          note: `peak by the end of the initial sync ${peakAfterInitial.toFixed(0)} MB; VmRSS now ${memory.rssMB.toFixed(0)} MB`,
        }),
      );

      // The Director 30 ms away: the same no-change cycles with every Director request answered 30 ms late.
      const latency = await latencyCycles(sims, agent, eventLogFile, SETTLING_CYCLES + STEADY_CYCLES + 1);
      report(
        figure(
          BENCH,
          `no-change cycle at ${APPS} applications, Director pages ${DIRECTOR_LATENCY_MS} ms each, median of ${LATENCY_CYCLES}`,
          median(latency.durations),
          'ms',
          {
            target: { op: '<=', value: 500 },
            note: `cycles: ${latency.durations.map((d) => Math.round(d)).join(', ')} ms; split (ms): ${latency.phases.join(' / ')}; Director pages recognised unread ${latency.pages.recognised}, read ${latency.pages.read}, requested ahead by a full read ${latency.prefetched.used} (discarded ${latency.prefetched.discarded})`,
          },
        ),
      );
      report(
        figure(BENCH, `most Director requests in flight at once during those cycles`, latency.maxInFlight, 'requests', {
          target: { op: '<=', value: 4 },
          note: 'counted by the Compass simulator from the arrival of a request to its answer',
        }),
      );
      await agent.stop();
      agent = undefined;
      objects = objectsAsCreated(sims);
      // The floor of the CPU figure, the agent stopped: the same pages, received and hashed by a bare node.
      report(
        figure(
          BENCH,
          `floor: CPU per cycle of a bare node receiving and hashing the ${APPS} applications' Director pages`,
          (await quietCycleFloor(sims, STEADY_PERIOD_MS, STEADY_CYCLES)).cpuMs,
          'ms',
          {
            note: `every ${STEADY_PERIOD_MS / 1000} s, over the agent's mutual TLS with its certificate, along the cursor chain, ${MAX_IN_FLIGHT} in flight, sha256 of each answer, nothing kept; the V8 flags run sets, NODE_OPTIONS ${deploymentNodeOptions()}; what a quiet cycle costs before the agent does anything of its own`,
          },
        ),
      );
    } finally {
      await agent?.stop();
      await sims.close();
    }

    // BENCH_SYNC_DIRECT=0 leaves out the comparison with direct creation (two minutes), for a quick look.
    if (process.env.BENCH_SYNC_DIRECT === '0') return figures;
    // The limit: the same objects, straight through client-node, into a fresh simulator.
    const objectsPath = join(dir, 'objects.json');
    writeFileSync(objectsPath, JSON.stringify(objects));
    const secretCount = objects.applications.reduce((n, a) => n + a.secrets.length, 0);
    const createDirectly = (label: string, keepAlive: boolean) =>
      withFreshKube(dir, label, async (kubeconfigPath, kube) => {
        const result = await runDirectCreate(kubeconfigPath, objectsPath, concurrency, keepAlive);
        const stored = kube.list(APPLICATION_API, 'Application').length;
        if (stored !== objects.applications.length || result.secrets !== secretCount) {
          throw new Error(
            `direct creation stored ${stored} Applications and ${result.secrets} Secrets, expected ${objects.applications.length} and ${secretCount}`,
          );
        }
        return result;
      });
    const rate = (r: { ms: number; applications: number; secrets: number }) => Math.round((r.applications + r.secrets) / (r.ms / 1000));
    const direct = await createDirectly('direct', false);
    report(
      figure(BENCH, `direct client-node creation (the limit), concurrency ${concurrency}`, direct.ms / 1000, 's', {
        note: `${direct.applications} Applications + ${direct.secrets} Secrets, ${rate(direct)} creates/s`,
      }),
    );
    report(
      figure(BENCH, 'initial sync / direct creation', firstSyncMs / direct.ms, '×', {
        target: { op: '<=', value: 1.5 },
        note: applyMs !== undefined ? `apply phase alone (no Director fetch): ${(applyMs / direct.ms).toFixed(2)}×` : undefined,
      }),
    );
    // For comparison only: client-node 1.4 builds a new https.Agent, hence a TLS handshake, per
    // request; this is the same creation through one keep-alive agent.
    const reused = await createDirectly('keep-alive', true);
    report(
      figure(BENCH, 'direct creation through one keep-alive agent (comparison)', reused.ms / 1000, 's', {
        note: `${rate(reused)} creates/s; initial sync / this: ${(firstSyncMs / reused.ms).toFixed(2)}×`,
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return figures;
}

const DIRECTOR_LATENCY_MS = 30;
const LATENCY_CYCLES = 3;

/**
 * Sets the simulator's Director latency, lets the cycle that may have started before it pass, then
 * times LATENCY_CYCLES cycles (the metric, read once per cycle); the latency is off again afterwards.
 */
async function latencyCycles(sims: Simulators, agent: AgentProcess, eventLogFile: string, nextCycle: number) {
  const control = sims.compass.control;
  control.setDirectorLatency(DIRECTOR_LATENCY_MS);
  try {
    await waitFor('a cycle with the Director latency', () => syncPhases(readEventLog(eventLogFile), nextCycle), 120_000, 100);
    control.resetDirectorInFlight();
    let previous = await syncMetrics(agent);
    const first = previous;
    const durations: number[] = [];
    const phases: string[] = [];
    for (let i = 1; i <= LATENCY_CYCLES; i++) {
      const split = await waitFor(
        'the next cycle with the Director latency',
        () => syncPhases(readEventLog(eventLogFile), nextCycle + i),
        120_000,
        100,
      );
      const current = await syncMetrics(agent);
      if (current.count !== previous.count + 1)
        throw new Error(`expected cycle ${previous.count + 1} in the metric, it counts ${current.count}`);
      durations.push((current.sumSeconds - previous.sumSeconds) * 1000);
      phases.push(`fetch ${split[0]} + apply ${split[1]} + labels ${split[2]}`);
      previous = current;
    }
    const prefetched = {
      used: previous.prefetched.used - first.prefetched.used,
      discarded: previous.prefetched.discarded - first.prefetched.discarded,
    };
    const pages = {
      read: previous.directorPages.read - first.directorPages.read,
      recognised: previous.directorPages.reused - first.directorPages.reused,
    };
    return { durations, phases, prefetched, pages, maxInFlight: control.directorInFlight().max };
  } finally {
    control.setDirectorLatency(0);
  }
}

function connectionStateOf(sims: Simulators): string | undefined {
  const cr = sims.kube.get('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection') as
    { status?: { connectionState?: string } } | undefined;
  return cr?.status?.connectionState;
}
