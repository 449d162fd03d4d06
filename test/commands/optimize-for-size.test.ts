// The size optimization `run` asks of V8 (src/commands/optimize-for-size.ts): taken by V8 at run time,
// and never over a setting node was started with.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { OPTIMIZE_FOR_SIZE, optimizeForSizeFlag } from '../../src/commands/optimize-for-size.js';

t.test('the flag, unless node was started with a setting for it', async (t) => {
  t.equal(optimizeForSizeFlag([]), OPTIMIZE_FOR_SIZE);
  t.equal(optimizeForSizeFlag(['--max-old-space-size=192', '--heap-growing-percent=20']), '--optimize-for-size');
  t.equal(optimizeForSizeFlag(['--optimize-for-size']), undefined);
  t.equal(optimizeForSizeFlag(['--no-optimize-for-size']), undefined);
  t.equal(optimizeForSizeFlag(['--optimize_for_size']), undefined);
});

// The compiled module, in a plain node (the test runner's loaders stay out of the child).
const compiled = fileURLToPath(new URL('../../dist/src/commands/optimize-for-size.js', import.meta.url));
const skip = existsSync(compiled) ? false : 'dist is missing: run npm run build';

t.test('V8 takes it at run time: its heap grows by less after a full collection', { skip }, async (t) => {
  // With --trace-gc-verbose a full collection prints the factor of the next limit: "Limit: old size …, new limit … (1.3)".
  const factorAfter = (optimize: boolean) => {
    const script = `${optimize ? `(await import(${JSON.stringify(compiled)})).optimizeForSize([]);` : ''} globalThis.gc();`;
    const run = spawnSync(process.execPath, ['--expose-gc', '--trace-gc-verbose', '--input-type=module', '-e', script], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '' },
    });
    t.equal(run.status, 0, run.stderr);
    return Number(/\[HeapController\] Limit: .*\(([\d.]+)\)/.exec(run.stdout)?.[1]);
  };
  const optimized = factorAfter(true);
  const own = factorAfter(false);
  t.ok(optimized > 1 && optimized <= 1.3, `at most 1.3 once set (got ${optimized})`);
  t.ok(own > optimized, `V8's own factor is larger otherwise (got ${own})`);
});
