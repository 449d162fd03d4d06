// The heap growth `run` sets (src/commands/heap-growth.ts): taken by V8 at run time, and never over
// a value node was started with.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HEAP_GROWING_PERCENT, heapGrowthFlag } from '../../src/commands/heap-growth.js';

t.test('the flag, unless node was started with one', async (t) => {
  t.equal(heapGrowthFlag([]), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  t.equal(heapGrowthFlag(['--max-old-space-size=192', '--enable-source-maps']), '--heap-growing-percent=20');
  t.equal(heapGrowthFlag(['--heap-growing-percent=20']), undefined);
  t.equal(heapGrowthFlag(['--heap-growing-percent', '20']), undefined);
  t.equal(heapGrowthFlag(['--heap_growing_percent=20']), undefined);
});

// The compiled module, in a plain node (the test runner's loaders stay out of the child).
const compiled = fileURLToPath(new URL('../../dist/src/commands/heap-growth.js', import.meta.url));
const skip = existsSync(compiled) ? false : 'dist is missing: run npm run build';

t.test('V8 grows the heap by that factor after a full collection once it is set', { skip }, async (t) => {
  const module = compiled;
  // A full collection prints the factor of the next limit with --trace-gc-verbose: "Limit: old size …, new limit … (1.2)".
  const factorAfter = (tune: boolean) => {
    const script = `${tune ? `(await import(${JSON.stringify(module)})).tuneHeapGrowth([]);` : ''} globalThis.gc();`;
    const run = spawnSync(process.execPath, ['--expose-gc', '--trace-gc-verbose', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    t.equal(run.status, 0, run.stderr);
    return /\[HeapController\] Limit: .*\(([\d.]+)\)/.exec(run.stdout)?.[1];
  };
  t.equal(factorAfter(true), '1.2', 'set at run time, V8 takes it');
  t.not(factorAfter(false), '1.2', "V8's own choice otherwise");
});
