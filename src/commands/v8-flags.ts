// The V8 settings `run` makes for itself at start (heap-growth.ts, optimizing-compiler.ts). Each is
// left to the operator when node was started with a setting of its own for it.
import v8 from 'node:v8';

/** Whether `execArgv` sets one of the V8 flags `names` (given without dashes: `--name`, `--no-name`, `--name=…`, either spelling). */
export function givenOnCommandLine(execArgv: readonly string[], names: readonly string[]): boolean {
  const spellings = names.flatMap((name) => [name, name.replaceAll('-', '_')]);
  return execArgv.some((arg) =>
    spellings.some((name) => arg === `--${name}` || arg === `--no-${name}` || arg === `--no${name}` || arg.startsWith(`--${name}=`)),
  );
}

/** Sets `flag` for this process when there is one; returns it. */
export function setV8Flag(flag: string | undefined): string | undefined {
  if (flag) v8.setFlagsFromString(flag);
  return flag;
}
