// Floors to read the agent's CPU figures against: a bare node process (no agent code; the V8 flags `run`
// sets and the Deployment's NODE_OPTIONS, as the agent runs) doing only the requests a cycle needs, every
// period, printing `cycle` after each. Its CPU per cycle is what the cycle costs before the agent does
// anything of its own.
import { spawn } from 'node:child_process';
import { runV8Flags } from '../src/commands/run-v8-settings.js';
import { cpuMsOf, deploymentNodeOptions, waitFor } from './agent-process.js';

export interface FloorClient {
  /** The client's code, an ES module run with `node -e`; it prints a line `cycle` after each cycle. */
  script: string;
  /** Its environment (PATH and NODE_OPTIONS are added). */
  env: Record<string, string>;
  periodMs: number;
  /** Cycles run before the CPU is read. */
  warmUpCycles: number;
  /** How long the CPU is read for. */
  windowMs: number;
}

/** utime + stime of the floor client per cycle, over `windowMs` after its warm-up cycles. */
export async function floorCpuPerCycle(client: FloorClient): Promise<number> {
  // What `run` sets at start on a node started without settings of its own.
  const child = spawn(process.execPath, [...runV8Flags([]), '--input-type=module', '-e', client.script], {
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: deploymentNodeOptions(), ...client.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let exited = false;
  child.once('exit', () => (exited = true));
  try {
    let cycles = 0;
    child.stdout.on('data', (chunk: Buffer) => (cycles += chunk.toString().split('cycle').length - 1));
    const cpuMs = () => cpuMsOf(child.pid!);
    await waitFor(
      `${client.warmUpCycles} warm-up cycles of the floor client`,
      () => {
        if (exited) throw new Error('the floor client exited');
        return cycles >= client.warmUpCycles;
      },
      120_000,
      50,
    );
    await new Promise((r) => setTimeout(r, client.periodMs / 2));
    const [cpuBefore, cyclesBefore] = [cpuMs(), cycles];
    await new Promise((r) => setTimeout(r, client.windowMs));
    const cpu = cpuMs() - cpuBefore;
    if (exited) throw new Error('the floor client exited');
    return cpu / (cycles - cyclesBefore);
  } finally {
    child.kill();
  }
}
