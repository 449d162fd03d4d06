// The growth factor V8 picks for the heap's next limit after a full collection, as a plain node (the
// test runner's loaders stay out of it) prints it with --trace-gc-verbose: "Limit: old size …, new
// limit … (1.2)". Tests of the V8 settings `run` makes at run time (src/commands/) read it.
import type { Test } from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** A compiled module of src/commands/ and why a test of it is skipped (dist missing), if it is. */
export function compiledCommandModule(name: string): { path: string; skip: string | false } {
  const path = fileURLToPath(new URL(`../../dist/src/commands/${name}`, import.meta.url));
  return { path, skip: existsSync(path) ? false : 'dist is missing: run npm run build' };
}

/**
 * The factor after one full collection in a fresh node that first calls the function `call` of the
 * module at `modulePath` with an empty execArgv, or nothing first when `call` is undefined; asserts
 * (on `t`) that the node ran cleanly.
 */
export function growthFactorAfterCollection(t: Test, modulePath: string, call: string | undefined): string | undefined {
  const script = `${call ? `(await import(${JSON.stringify(modulePath)})).${call}([]);` : ''} globalThis.gc();`;
  const run = spawnSync(process.execPath, ['--expose-gc', '--trace-gc-verbose', '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '' },
  });
  t.equal(run.status, 0, run.stderr);
  return /\[HeapController\] Limit: .*\(([\d.]+)\)/.exec(run.stdout)?.[1];
}
