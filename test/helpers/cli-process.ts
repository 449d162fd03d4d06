// `bin/runtime-agent COMMAND` as a process of its own, the way an operator runs it (the bundle that
// `npm run build` makes and the image ships), with its output collected line by line.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const CLI_BIN = fileURLToPath(new URL('../../bin/runtime-agent', import.meta.url));
/** Tests of bin/runtime-agent skip with this reason when the bundle is not built. */
export const NOT_BUILT = existsSync(fileURLToPath(new URL('../../dist/bundle/cli.js', import.meta.url)))
  ? false
  : 'dist/bundle is missing: run npm run build';

export interface CliProcess {
  child: ChildProcess;
  stdout: string[];
  stderr: string[];
  /** Resolves with the exit code (null when killed by a signal). */
  exit: Promise<number | null>;
  /** The first line (stdout or stderr) matching `pattern`; rejects on exit or after `timeoutMs`. */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** SIGKILL unless it already exited. */
  kill(): void;
}

export function spawnCli(
  args: string[],
  env: Record<string, string | undefined> = {},
  options: { node?: string; cwd?: string } = {},
): CliProcess {
  const merged: Record<string, string> = {};
  for (const [key, value] of Object.entries({ ...process.env, ...env })) if (value !== undefined) merged[key] = value;
  const child = spawn(options.node ?? process.execPath, [CLI_BIN, ...args], {
    env: merged,
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const waiters: Array<() => void> = [];
  const collect = (into: string[]) => {
    let rest = '';
    return (chunk: Buffer) => {
      const lines = (rest + chunk.toString('utf8')).split('\n');
      rest = lines.pop()!;
      into.push(...lines.filter((l) => l.trim()));
      for (const wake of waiters.splice(0)) wake();
    };
  };
  child.stdout.on('data', collect(stdout));
  child.stderr.on('data', collect(stderr));
  let exited = false;
  const exit = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      exited = true;
      for (const wake of waiters.splice(0)) wake();
      resolve(code);
    }),
  );
  return {
    child,
    stdout,
    stderr,
    exit,
    async line(pattern, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = [...stdout, ...stderr].find((l) => pattern.test(l));
        if (found) return found;
        if (exited)
          throw new Error(`runtime-agent ${args.join(' ')} exited before printing ${pattern}:\n${[...stdout, ...stderr].join('\n')}`);
        if (Date.now() > deadline)
          throw new Error(
            `timed out after ${timeoutMs} ms waiting for ${pattern} from runtime-agent ${args.join(' ')}:\n${[...stdout, ...stderr].join('\n')}`,
          );
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 250);
          waiters.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
