// Floors to read the agent's CPU figures against: a bare node process (no agent code, TurboFan off as in
// `run`) doing only the requests a cycle needs, every period, printing `cycle` after each. Its CPU per
// cycle is what the cycle costs before the agent does anything of its own.
import { spawn } from 'node:child_process';
import { cpuMsOf, waitFor } from './agent-process.js';

export interface FloorClient {
  /** The client's code, an ES module run with `node -e`; it prints a line `cycle` after each cycle. */
  script: string;
  /** Its environment (PATH is added). */
  env: Record<string, string>;
  /** V8 flags on its command line. */
  nodeFlags: string[];
  periodMs: number;
  /** Cycles run before the CPU is read. */
  warmUpCycles: number;
  /** How long the CPU is read for. */
  windowMs: number;
}

/** utime + stime of the floor client per cycle, over `windowMs` after its warm-up cycles. */
export async function floorCpuPerCycle(client: FloorClient): Promise<number> {
  const child = spawn(process.execPath, [...client.nodeFlags, '--input-type=module', '-e', client.script], {
    env: { PATH: process.env.PATH ?? '', ...client.env },
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
