// Connection: one-time token → Connected with a production-sized key (RSA 4096), the key + CSR
// generation on its own, and the agent's memory at idle.
//
// - token → Connected: a fresh agent (createAgent, the production wiring) against fresh simulators
//   per run, the token already in the configuration Secret; timed from agent.start() to the machine
//   entering Connected (establishConnection done), and to the CR showing it (the first status write).
// - key generation: generateSigningRequest from adapters/pki, as the Connector flow calls it.
// - RSS at idle: `runtime-agent run` in a child process (the simulators stay in this one), read from
//   /proc/<pid>/status once it has settled: IDLE_WARM_UP_CYCLES synchronization cycles after Synchronized.
// - CPU per idle cycle: that process's utime + stime (/proc/<pid>/stat) over about ten further cycles
//   (2 s apart), divided by the cycles the agent counted; nothing scrapes the agent in between. With it,
//   the requests the agent sent per cycle (both simulators' logs) and, as a floor to read it against,
//   the CPU per cycle of a bare node process sending as many keep-alive HTTPS requests every 2 s (the
//   Kubernetes simulator's GET of a Secret, JSON-parsed; the V8 flags and NODE_OPTIONS the agent runs with),
//   read after as many warm-up cycles. Both are steady-state figures: in its first 30 s or so a fresh node
//   process spends several ms per cycle more (lazy compilation, the memory reducer's collections); the
//   floor measured 6–10 ms per cycle after 3 warm-up cycles and 3–4 ms after 15.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { silentLogger } from '../adapters/logger.js';
import { generateSigningRequest } from '../adapters/pki/csr.js';
import { createAgent } from '../src/agent/agent.js';
import { loadConfig } from '../src/config.js';
import { startSimulators, type Simulators } from '../src/commands/simulators.js';
import { writeSimFiles } from '../src/commands/sim.js';
import {
  CONFIG_SECRET,
  connectionCr,
  createConfigSecret,
  deploymentNodeOptions,
  spawnAgent,
  syncMetrics,
  waitFor,
  waitForConnectionState,
} from './agent-process.js';
import { figure, median, printFigure, type Figure } from './figures.js';
import { floorCycles } from './floor-client.js';

const BENCH = 'connection';
const RUNS = Number(process.env.BENCH_CONNECTION_RUNS ?? 7);
const KEY_RUNS = Number(process.env.BENCH_KEYGEN_RUNS ?? 7);
const KEY_BITS = 4096;
const SUBJECT = 'O=Org,OU=OrgUnit,L=locality,ST=province,C=DE,CN=0d1c4a7e-5b2f-4c3e-9a8d-6f7e1b2c3d4e';

const ms = (values: number[]) => values.map((v) => Math.round(v)).join(', ');

async function keyGeneration(): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < KEY_RUNS; i++) {
    const start = performance.now();
    const request = await generateSigningRequest(SUBJECT, KEY_BITS);
    times.push(performance.now() - start);
    if (!request.csrPem.includes('CERTIFICATE REQUEST')) throw new Error('generateSigningRequest returned no CSR');
  }
  return times;
}

/** One fresh agent against fresh simulators: [ms to machine Connected, ms to the CR showing it]. */
async function tokenToConnected(): Promise<[number, number]> {
  const sims = await startSimulators({ apps: 1 });
  try {
    await createConfigSecret(sims);
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(sims.kubeconfigYaml);
    const config = loadConfig({ APP_RSA_KEY_BITS: String(KEY_BITS), APP_HEALTH_PORT: '0' });
    const agent = createAgent({ config, kubeConfig, logger: silentLogger, compassCaPem: sims.compass.serverCaPem });
    let connectedAt: number | undefined;
    const subscription = agent.runtime.snapshot$.subscribe((snapshot) => {
      if (connectedAt === undefined && snapshot.matches({ Certified: 'Connected' })) connectedAt = performance.now();
    });
    const start = performance.now();
    agent.start();
    try {
      const crAt = await waitFor(
        'the CompassConnection to show Connected',
        () => {
          const state = connectionCr(sims)?.status?.connectionState;
          if (state === 'ConnectionFailed') throw new Error(`the connection failed: ${JSON.stringify(connectionCr(sims)?.status)}`);
          return state === 'Connected' || state === 'Synchronized' ? performance.now() : undefined;
        },
        60_000,
        5,
      );
      await waitFor('the machine to enter Connected', () => connectedAt !== undefined, 10_000, 5);
      return [connectedAt! - start, crAt - start];
    } finally {
      subscription.unsubscribe();
      await agent.stop();
    }
  } finally {
    await sims.close();
  }
}

const IDLE_PERIOD_MS = 2000;
/** Cycles the agent (after Synchronized) and the floor client run before their idle figures are read. */
const IDLE_WARM_UP_CYCLES = 15;
const IDLE_CPU_WINDOW_MS = 10 * IDLE_PERIOD_MS + IDLE_PERIOD_MS / 2;

/** Kubernetes and Compass requests the simulators logged so far (watch streams opened are not counted). */
function requestsSoFar(sims: Simulators): number {
  return sims.kube.requestLog.filter((entry) => entry.verb !== 'watch').length + sims.compass.control.callLog().length;
}

/** RSS of `runtime-agent run` after Synchronized and `cycles` further synchronization cycles; then its CPU and requests per cycle. */
async function idleRss(cycles = IDLE_WARM_UP_CYCLES): Promise<{
  rssMB: number;
  peakMB: number;
  samples: number[];
  cpuPerCycleMs: number;
  cpuCycles: number;
  requestsPerCycle: number;
}> {
  const sims = await startSimulators({ apps: 5 });
  const dir = mkdtempSync(join(tmpdir(), 'bench-connection-'));
  const info = writeSimFiles(dir, sims);
  const agent = spawnAgent({
    kubeconfigPath: info.kube.kubeconfig,
    compassCaFile: info.compass.caFile,
    env: {
      APP_CONTROLLER_SYNC_PERIOD: `${IDLE_PERIOD_MS / 1000}s`,
      APP_MINIMAL_COMPASS_SYNC_TIME: '1s',
      APP_RSA_KEY_BITS: String(KEY_BITS),
    },
  });
  try {
    await createConfigSecret(sims);
    await waitForConnectionState(sims, agent, 'Synchronized', 60_000);
    const first = (await syncMetrics(agent)).count;
    const samples: number[] = [];
    await waitFor(
      `${cycles} more synchronization cycles`,
      async () => {
        const { count } = await syncMetrics(agent);
        samples.push(agent.memory().rssMB);
        return count >= first + cycles;
      },
      60_000,
      250,
    );
    // Idle: between cycles, not in the middle of one.
    await new Promise((r) => setTimeout(r, 500));
    const memory = agent.memory();
    // CPU: the metric read before the first and after the last CPU sample, so that its rendering is not counted.
    const before = (await syncMetrics(agent)).count;
    const cpuBefore = agent.cpuMs();
    const requestsBefore = requestsSoFar(sims);
    await new Promise((r) => setTimeout(r, IDLE_CPU_WINDOW_MS));
    const cpuAfter = agent.cpuMs();
    const requests = requestsSoFar(sims) - requestsBefore;
    const cpuCycles = (await syncMetrics(agent)).count - before;
    return { ...memory, samples, cpuPerCycleMs: (cpuAfter - cpuBefore) / cpuCycles, cpuCycles, requestsPerCycle: requests / cpuCycles };
  } finally {
    await agent.stop();
    await sims.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// The floor's client: `REQUESTS` keep-alive GETs, one after the other, every `PERIOD_MS`; a line per cycle.
const FLOOR_CLIENT = `
import https from 'node:https';
const agent = new https.Agent({ keepAlive: true, ca: process.env.CA });
const get = () => new Promise((resolve, reject) => {
  const req = https.get(process.env.URL, { agent, headers: { Authorization: 'Bearer ' + process.env.TOKEN, Accept: 'application/json' } }, (res) => {
    const chunks = [];
    res.on('data', (chunk) => chunks.push(chunk));
    res.on('end', () => resolve(JSON.parse(Buffer.concat(chunks).toString('utf8'))));
  });
  req.on('error', reject);
});
for (;;) {
  for (let i = 0; i < Number(process.env.REQUESTS); i++) await get();
  process.stdout.write('cycle\\n');
  await new Promise((resolve) => setTimeout(resolve, Number(process.env.PERIOD_MS)));
}
`;

/** CPU per cycle of a bare node process sending `requests` keep-alive HTTPS requests every IDLE_PERIOD_MS, after IDLE_WARM_UP_CYCLES warm-up cycles. */
async function idleFloor(requests: number): Promise<number> {
  const sims = await startSimulators({ apps: 0 });
  try {
    await createConfigSecret(sims);
    const floor = await floorCycles({
      script: FLOOR_CLIENT,
      env: {
        URL: `${sims.kube.url}/api/v1/namespaces/${CONFIG_SECRET.namespace}/secrets/${CONFIG_SECRET.name}`,
        CA: sims.kube.caPem,
        TOKEN: sims.kube.bearerToken,
        REQUESTS: String(requests),
        PERIOD_MS: String(IDLE_PERIOD_MS),
      },
      periodMs: IDLE_PERIOD_MS,
      warmUpCycles: IDLE_WARM_UP_CYCLES,
      windowMs: IDLE_CPU_WINDOW_MS,
    });
    return floor.cpuMs;
  } finally {
    await sims.close();
  }
}

export async function benchConnection(): Promise<Figure[]> {
  const figures: Figure[] = [];
  const report = (f: Figure) => {
    printFigure(f);
    figures.push(f);
  };

  const keyTimes = await keyGeneration();
  report(
    figure(BENCH, `key generation (RSA ${KEY_BITS} + CSR), median of ${KEY_RUNS}`, median(keyTimes), 'ms', {
      note: `runs: ${ms(keyTimes)} ms`,
    }),
  );

  const connected: number[] = [];
  const crShown: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const [machine, cr] = await tokenToConnected();
    connected.push(machine);
    crShown.push(cr);
  }
  report(
    figure(BENCH, `token → Connected (RSA ${KEY_BITS}), median of ${RUNS}`, median(connected) / 1000, 's', {
      target: { op: '<', value: 3 },
      note: `agent start → machine Connected; runs: ${ms(connected)} ms`,
    }),
  );
  report(
    figure(BENCH, 'token → CompassConnection shows Connected, median', median(crShown) / 1000, 's', { note: `runs: ${ms(crShown)} ms` }),
  );

  const idle = await idleRss();
  report(
    figure(BENCH, 'agent RSS at idle (runtime-agent run, the bundle, Deployment NODE_OPTIONS, 5 apps)', idle.rssMB, 'MB', {
      target: { op: '<=', value: 64 },
      note: `VmRSS ${IDLE_WARM_UP_CYCLES} cycles after Synchronized; peak VmHWM ${idle.peakMB.toFixed(1)} MB; NODE_OPTIONS ${deploymentNodeOptions()}`,
    }),
  );
  report(
    figure(BENCH, 'agent CPU per idle cycle (5 apps)', idle.cpuPerCycleMs, 'ms', {
      target: { op: '<=', value: 5 },
      note: `utime + stime of the agent process over ${idle.cpuCycles} cycles ${IDLE_PERIOD_MS / 1000} s apart, from ${IDLE_WARM_UP_CYCLES} cycles after Synchronized, everything it did in that time; ${idle.requestsPerCycle.toFixed(1)} requests per cycle to the simulators`,
    }),
  );
  const requests = Math.round(idle.requestsPerCycle);
  report(
    figure(
      BENCH,
      `floor: CPU per cycle of a bare node sending ${requests} keep-alive HTTPS requests every ${IDLE_PERIOD_MS / 1000} s, after ${IDLE_WARM_UP_CYCLES} cycles`,
      await idleFloor(requests),
      'ms',
      {
        note: `GETs of a Secret from the Kubernetes simulator, JSON-parsed; the V8 flags run sets, NODE_OPTIONS ${deploymentNodeOptions()}; what an idle cycle costs before the agent does anything of its own`,
      },
    ),
  );
  return figures;
}
