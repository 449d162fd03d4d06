// Growth: the initial synchronisation and a no-change cycle at 1,000, 5,000, 10,000 and 20,000
// applications, each with a fresh agent (`runtime-agent run`, a child process) and fresh simulators
// (server page cap 200). Printed as a table; the figures are time per application (initial sync, no-change
// cycle) and memory per application, which should stay flat (within 20 %) from 5,000 to 20,000.
// The no-change cycle is the median of the steady cycles after the settling ones, the rule the sync bench
// takes its CPU figure by (steady-cycles.ts); every cycle is printed.
// Memory per application is the agent's peak RSS (VmHWM) above its peak at the smallest size, divided by
// the applications above that size: what each further application costs, without the fixed part.
// Beside the no-change cycle, its floor at each size: the same Director pages requested by a bare node
// (bench/quiet-cycle-floor.ts, the agent stopped), timed from its first request to its last answer, the
// median of as many cycles after as many settling ones. What the time per application of the HTTPS
// requests alone does from size to size, before the agent does anything of its own.
// BENCH_GROWTH_APPS overrides the sizes (comma-separated, ascending; the first is the base).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulators } from '../src/commands/simulators.js';
import { writeSimFiles } from '../src/commands/sim.js';
import {
  createConfigSecret,
  readEventLog,
  spawnAgent,
  syncMetrics,
  waitFor,
  waitForConnectionState,
  type EventLogLine,
} from './agent-process.js';
import { figure, formatValue, median, printFigure, type Figure } from './figures.js';
import { quietCycleFloor } from './quiet-cycle-floor.js';
import { MAX_IN_FLIGHT } from '../adapters/compass/director-prefetch.js';
import { SETTLING_CYCLES, STEADY_CYCLES, STEADY_PERIOD_MS, steadyMedian } from './steady-cycles.js';

const BENCH = 'growth';
const SIZES = (process.env.BENCH_GROWTH_APPS ?? '1000,5000,10000,20000').split(',').map(Number);
const SERVER_PAGE_SIZE = 200;
/** Sizes whose figures must agree within FLAT: from 5,000 on. */
const FLAT_FROM = 5000;
const FLAT = 1.2;

interface Row {
  apps: number;
  initialMs: number;
  noChangeMs: number;
  /** Every no-change cycle's duration, the settling ones first. */
  cyclesMs: number[];
  peakMB: number;
  /** The floor's no-change cycle: the median of its steady cycles, and each of them. */
  floorMs: number;
  floorCyclesMs: number[];
}

/** Synchronize events seen in the event log so far. */
function cyclesDone(file: string): number {
  return readEventLog(file).filter((line: EventLogLine) => line.event.type === 'xstate.done.actor.synchronize').length;
}

async function measure(apps: number): Promise<Row> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-growth-'));
  const eventLogFile = join(dir, 'events.jsonl');
  const sims = await startSimulators({ apps, compass: { pageSize: SERVER_PAGE_SIZE } });
  const info = writeSimFiles(dir, sims);
  await createConfigSecret(sims);
  const agent = spawnAgent({
    kubeconfigPath: info.kube.kubeconfig,
    compassCaFile: info.compass.caFile,
    env: {
      APP_CONTROLLER_SYNC_PERIOD: `${STEADY_PERIOD_MS / 1000}s`,
      APP_MINIMAL_COMPASS_SYNC_TIME: '1s',
      APP_COMPASS_REQUEST_TIMEOUT: '60s',
      APP_EVENT_LOG_FILE: eventLogFile,
    },
  });
  try {
    await waitForConnectionState(sims, agent, 'Synchronized', 30 * 60_000);
    const first = await syncMetrics(agent);
    if (first.count !== 1) throw new Error(`expected one synchronization before the first Synchronized, the metric counts ${first.count}`);
    const cyclesMs: number[] = [];
    let previous = first;
    for (let cycle = 2; cycle <= 1 + SETTLING_CYCLES + STEADY_CYCLES; cycle++) {
      await waitFor(`no-change cycle ${cycle - 1} at ${apps}`, () => cyclesDone(eventLogFile) >= cycle, 120_000, 100);
      const current = await syncMetrics(agent);
      cyclesMs.push(((current.sumSeconds - previous.sumSeconds) * 1000) / (current.count - previous.count));
      previous = current;
    }
    const peakMB = agent.memory().peakMB;
    await agent.stop();
    const floor = await quietCycleFloor(sims, STEADY_PERIOD_MS, STEADY_CYCLES);
    if (floor.cycleMs.length === 0) throw new Error(`the floor client timed no cycle at ${apps} applications`);
    return {
      apps,
      initialMs: first.sumSeconds * 1000,
      noChangeMs: steadyMedian(cyclesMs),
      cyclesMs,
      peakMB,
      floorMs: median(floor.cycleMs),
      floorCyclesMs: floor.cycleMs,
    };
  } finally {
    await agent.stop();
    await sims.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchGrowth(): Promise<Figure[]> {
  const rows: Row[] = [];
  for (const apps of SIZES) {
    const started = performance.now();
    const row = await measure(apps);
    rows.push(row);
    console.log(
      `  growth ${apps} applications: initial sync ${formatValue(row.initialMs / 1000, 's')}, no-change cycle ${formatValue(row.noChangeMs, 'ms')} (median of cycles ${SETTLING_CYCLES + 1}–${SETTLING_CYCLES + STEADY_CYCLES}; all: ${row.cyclesMs.map((ms) => Math.round(ms)).join(', ')} ms), peak RSS ${formatValue(row.peakMB, 'MB')}, floor of the no-change cycle ${formatValue(row.floorMs, 'ms')} (${row.floorCyclesMs.map((ms) => Math.round(ms)).join(', ')} ms) (measured in ${((performance.now() - started) / 1000).toFixed(0)} s)`,
    );
  }
  const base = rows[0];
  const perApp = rows.map((row) => ({
    apps: row.apps,
    initialUs: (row.initialMs * 1000) / row.apps,
    noChangeUs: (row.noChangeMs * 1000) / row.apps,
    floorUs: (row.floorMs * 1000) / row.apps,
    memoryKB: row === base ? NaN : ((row.peakMB - base.peakMB) * 1000) / (row.apps - base.apps),
  }));
  const header = [
    'applications',
    'initial sync',
    'no-change cycle',
    'peak RSS',
    'initial µs/app',
    'no-change µs/app',
    'floor µs/app',
    'memory KB/app (above the base)',
  ];
  const cells = rows.map((row, i) => [
    row.apps.toLocaleString('en-US'),
    formatValue(row.initialMs / 1000, 's'),
    formatValue(row.noChangeMs, 'ms'),
    formatValue(row.peakMB, 'MB'),
    formatValue(perApp[i].initialUs, ''),
    formatValue(perApp[i].noChangeUs, ''),
    formatValue(perApp[i].floorUs, ''),
    i === 0 ? '(base)' : formatValue(perApp[i].memoryKB, ''),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c: string[]) => '  ' + c.map((cell, i) => cell.padStart(widths[i])).join('  ');
  console.log(['', line(header), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line), ''].join('\n'));

  const flatRange = perApp.filter((row) => row.apps >= FLAT_FROM);
  const spread = (values: number[]) => Math.max(...values) / Math.min(...values);
  const figures: Figure[] = [];
  const report = (f: Figure) => {
    printFigure(f);
    figures.push(f);
  };
  const sizes = flatRange.map((row) => row.apps.toLocaleString('en-US')).join(', ');
  for (const [name, pick, unit] of [
    ['initial sync time per application', (row: (typeof perApp)[number]) => row.initialUs, 'µs'],
    ['no-change cycle time per application', (row: (typeof perApp)[number]) => row.noChangeUs, 'µs'],
    ['memory per application above the base', (row: (typeof perApp)[number]) => row.memoryKB, 'KB'],
  ] as const) {
    const values = flatRange.map(pick);
    report(
      figure(BENCH, `${name}: largest / smallest at ${sizes}`, spread(values), '×', {
        target: { op: '<=', value: FLAT },
        note: `${spread(values).toFixed(3)}×: ${values.map((v) => formatValue(v, unit)).join(', ')}`,
      }),
    );
  }
  const floorValues = flatRange.map((row) => row.floorUs);
  report(
    figure(
      BENCH,
      `floor: no-change cycle time per application of a bare node's requests: largest / smallest at ${sizes}`,
      spread(floorValues),
      '×',
      {
        note: `${spread(floorValues).toFixed(3)}×: ${floorValues.map((v) => formatValue(v, 'µs')).join(', ')}; the same Director pages over the agent's mutual TLS, ${MAX_IN_FLIGHT} in flight, hashed, nothing kept, the agent stopped`,
      },
    ),
  );
  return figures;
}
