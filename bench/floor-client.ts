// Floors to read the agent's CPU figures against: a bare node process (no agent code; the V8 flags `run`
// sets and the Deployment's NODE_OPTIONS, as the agent runs) doing only the requests a cycle needs, every
// period, printing a line `cycle` after each (`cycle <ms>` where it also times its requests). Its CPU per
// cycle is what the cycle costs before the agent does anything of its own.
import { spawn } from 'node:child_process';
import { runV8Flags } from '../src/commands/run-v8-settings.js';
import { cpuMsOf, deploymentNodeOptions, waitFor } from './agent-process.js';

export interface FloorClient {
  /** The client's code, an ES module run with `node -e`; it prints a line `cycle` or `cycle <ms>` after each cycle. */
  script: string;
  /** Its environment (PATH and NODE_OPTIONS are added). */
  env: Record<string, string>;
  periodMs: number;
  /** Cycles run before the CPU is read. */
  warmUpCycles: number;
  /** How long the CPU is read for. */
  windowMs: number;
}

export interface FloorCycles {
  /** utime + stime of the client per cycle over the window. */
  cpuMs: number;
  /** The durations the client printed for the cycles it ended in the window (none if it prints none). */
  cycleMs: number[];
}

/** Durations printed on `cycle` lines: `cycle 12.3` gives 12.3; a bare `cycle` counts without one. */
export function cycleLines(text: string): { cycles: number; durations: number[] } {
  const durations: number[] = [];
  let cycles = 0;
  for (const line of text.split('\n')) {
    const match = /^cycle(?: (\d+(?:\.\d+)?))?$/.exec(line);
    if (!match) continue;
    cycles++;
    if (match[1] !== undefined) durations.push(Number(match[1]));
  }
  return { cycles, durations };
}

/** The floor client's CPU per cycle and the durations it printed, over `windowMs` after its warm-up cycles. */
export async function floorCycles(client: FloorClient): Promise<FloorCycles> {
  // What `run` sets at start on a node started without settings of its own.
  const child = spawn(process.execPath, [...runV8Flags([]), '--input-type=module', '-e', client.script], {
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: deploymentNodeOptions(), ...client.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    // Whole lines only: a chunk may end inside one.
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const ended = () => cycleLines(output.slice(0, output.lastIndexOf('\n') + 1));
    const cpuMs = () => cpuMsOf(child.pid!);
    await waitFor(
      `${client.warmUpCycles} warm-up cycles of the floor client`,
      () => {
        if (exited) throw new Error('the floor client exited');
        return ended().cycles >= client.warmUpCycles;
      },
      120_000,
      50,
    );
    await new Promise((r) => setTimeout(r, client.periodMs / 2));
    const [cpuBefore, before] = [cpuMs(), ended()];
    await new Promise((r) => setTimeout(r, client.windowMs));
    const cpu = cpuMs() - cpuBefore;
    if (exited) throw new Error('the floor client exited');
    const after = ended();
    return { cpuMs: cpu / (after.cycles - before.cycles), cycleMs: after.durations.slice(before.durations.length) };
  } finally {
    child.kill();
  }
}
