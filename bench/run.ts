// `npm run bench [FILTER]`: runs the benchmarks one after the other (those whose name contains
// FILTER, e.g. `node dist/bench/run.js sync`), prints one line per figure as it is measured, then a
// table of every figure with its target and MET/MISSED. Benchmarks report; they never fail the run:
// the exit code is 0 unless the arguments are wrong.
// Each benchmark runs in a node process of its own (this script with `--one NAME FILE`), which writes
// its figures to FILE. The simulators live in the bench process: this way none of them shares a heap,
// and its collections, with the benchmarks before it, and a benchmark run alone starts as it does in a
// full run. A benchmark's modules (and with them the simulators and the agent) are loaded by the
// process that runs it, not by this one.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { figure, loadAverage, printFigure, summaryTable, type Figure } from './figures.js';

interface Benchmark {
  name: string;
  description: string;
  run(): Promise<Figure[]>;
}

const BENCHMARKS: Benchmark[] = [
  {
    name: 'kube-sim',
    description: 'Kubernetes simulator: creates/s, gets/s, LIST of 10,000 (BENCH_KUBE_SIM_OBJECTS), watch latency',
    async run() {
      const { benchKubeSim, kubeSimObjects } = await import('./kube-sim.js');
      const objects = kubeSimObjects();
      const result = await benchKubeSim(objects);
      const figures = [
        figure('kube-sim', 'creates/s (one keep-alive client, sequential)', result.createsPerSecond ?? NaN, '/s', {
          target: { op: '>=', value: 1000 },
        }),
        figure('kube-sim', 'gets/s', result.getsPerSecond ?? NaN, '/s'),
        figure('kube-sim', `LIST of ${objects.toLocaleString('en-US')} objects`, result.listMs ?? NaN, 'ms'),
        figure('kube-sim', 'watch delivery latency, median', result.watchLatencyMedianMs ?? NaN, 'ms'),
      ];
      // Whatever else the simulator's benchmark measures is reported too.
      const known = new Set(['createsPerSecond', 'getsPerSecond', 'listMs', 'watchLatencyMedianMs']);
      for (const [key, value] of Object.entries(result)) if (!known.has(key)) figures.push(figure('kube-sim', key, value, ''));
      for (const f of figures) printFigure(f);
      return figures;
    },
  },
  {
    name: 'connection',
    description: 'token → Connected (RSA 4096), key generation, RSS at idle',
    run: async () => (await import('./connection.js')).benchConnection(),
  },
  {
    name: 'sync',
    description: '10,000 applications: initial sync vs direct creation, no-change cycle, agent CPU, peak RSS, Director 30 ms away',
    run: async () => (await import('./sync-scale.js')).benchSyncScale(),
  },
  {
    name: 'growth',
    description: 'initial sync and no-change cycle at 1k, 5k, 10k, 20k applications: time and memory per application',
    run: async () => (await import('./growth.js')).benchGrowth(),
  },
];

interface Outcome {
  figures: Figure[];
  failure?: string;
}

/** `--one NAME FILE`: runs that benchmark in this process and writes its outcome to FILE. */
async function runOne(bench: Benchmark, file: string): Promise<void> {
  let outcome: Outcome;
  try {
    outcome = { figures: await bench.run() };
  } catch (error) {
    outcome = { figures: [], failure: error instanceof Error ? error.message : String(error) };
  }
  writeFileSync(file, JSON.stringify(outcome));
}

/** Runs one benchmark in a process of its own; its lines are printed as they come, its outcome returned. */
function runInOwnProcess(bench: Benchmark): Promise<Outcome> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-outcome-'));
  const file = join(dir, 'outcome.json');
  return new Promise<Outcome>((resolve) => {
    const child = spawn(process.execPath, [fileURLToPath(import.meta.url), '--one', bench.name, file], { stdio: 'inherit' });
    child.once('close', (code, signal) => {
      let outcome: Outcome;
      try {
        outcome = JSON.parse(readFileSync(file, 'utf8')) as Outcome;
      } catch {
        resolve({ figures: [], failure: `the benchmark's process ended (${signal ?? `exit code ${code}`}) without its figures` });
        return;
      }
      // JSON has no NaN: a figure that could not be measured comes back as null.
      for (const f of outcome.figures) f.value = typeof f.value === 'number' ? f.value : NaN;
      resolve(outcome);
    });
  }).finally(() => rmSync(dir, { recursive: true, force: true }));
}

async function main(args: string[]): Promise<number> {
  if (args[0] === '--one') {
    const bench = BENCHMARKS.find((b) => b.name === args[1]);
    if (!bench || args.length !== 3) {
      console.error(`--one takes the name of one benchmark (${BENCHMARKS.map((b) => b.name).join(', ')}) and the file for its figures`);
      return 2;
    }
    await runOne(bench, args[2]);
    return 0;
  }
  const filter = args[0];
  if (args.length > 1 || filter === '--help' || filter === '-h') {
    console.log(`usage: node dist/bench/run.js [FILTER]\nbenchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
    return filter === '--help' || filter === '-h' ? 0 : 2;
  }
  const selected = BENCHMARKS.filter((b) => !filter || b.name.includes(filter));
  if (selected.length === 0) {
    console.error(`no benchmark matches "${filter}"; benchmarks: ${BENCHMARKS.map((b) => b.name).join(', ')}`);
    return 2;
  }
  console.log(`runtime-agent benchmarks on node ${process.version}; load average at start: ${loadAverage()}`);
  const figures: Figure[] = [];
  const failures: Array<{ bench: string; error: string }> = [];
  for (const bench of selected) {
    console.log(`\n${bench.name}: ${bench.description} (load average ${loadAverage()})`);
    const started = performance.now();
    const outcome = await runInOwnProcess(bench);
    figures.push(...outcome.figures);
    if (outcome.failure !== undefined) {
      console.log(`  ${bench.name} FAILED: ${outcome.failure}`);
      failures.push({ bench: bench.name, error: outcome.failure });
    }
    console.log(`  (${bench.name} took ${((performance.now() - started) / 1000).toFixed(1)} s; load average ${loadAverage()})`);
  }
  console.log(`\nSummary (load average at end: ${loadAverage()})\n`);
  console.log(summaryTable(figures, failures));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    // Lingering keep-alive sockets or timers of a failed benchmark must not keep the process alive.
    process.exit(code);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(0);
  },
);
