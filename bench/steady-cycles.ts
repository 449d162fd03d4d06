// The one rule of the sync and growth benches for a long-running agent's no-change cycle. The agent
// synchronizes every STEADY_PERIOD_MS; the first SETTLING_CYCLES after the initial sync still carry its
// aftermath, which a cycle of an agent that has run for a while does not: at 3,000 applications, cycles
// 3 s apart took 76–86 ms in the first 20 s after the initial sync and 35–68 ms after, and the CPU per
// cycle of the agent and of the simulators fell over the same time. A figure is the median of the
// STEADY_CYCLES after those; every cycle is printed beside it.
import { median } from './figures.js';

/** The agent's synchronization period in these benches (APP_CONTROLLER_SYNC_PERIOD), and the floor client's. */
export const STEADY_PERIOD_MS = 4000;
/** No-change cycles right after the initial sync, left out of a figure: 20 s at STEADY_PERIOD_MS. */
export const SETTLING_CYCLES = 5;
/** No-change cycles after those: a figure is their median. */
export const STEADY_CYCLES = 5;

/** The figure of a series of no-change cycles, the settling ones first: the median of the steady ones. */
export function steadyMedian(cycles: readonly number[]): number {
  if (cycles.length < SETTLING_CYCLES + STEADY_CYCLES) {
    throw new Error(`${cycles.length} no-change cycles measured, the figure needs ${SETTLING_CYCLES + STEADY_CYCLES}`);
  }
  return median(cycles.slice(SETTLING_CYCLES, SETTLING_CYCLES + STEADY_CYCLES));
}
