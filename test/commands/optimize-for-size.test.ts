// The size optimization `run` asks of V8 (src/commands/optimize-for-size.ts): taken by V8 at run time,
// and never over a setting node was started with.
import t from 'tap';
import { OPTIMIZE_FOR_SIZE, optimizeForSizeFlag } from '../../src/commands/optimize-for-size.js';
import { compiledCommandModule, growthFactorAfterCollection } from '../helpers/gc-growth-factor.js';

t.test('the flag, unless node was started with a setting for it', async (t) => {
  t.equal(optimizeForSizeFlag([]), OPTIMIZE_FOR_SIZE);
  t.equal(optimizeForSizeFlag(['--max-old-space-size=192', '--heap-growing-percent=20']), '--optimize-for-size');
  t.equal(optimizeForSizeFlag(['--optimize-for-size']), undefined);
  t.equal(optimizeForSizeFlag(['--no-optimize-for-size']), undefined);
  t.equal(optimizeForSizeFlag(['--optimize_for_size']), undefined);
});

const compiled = compiledCommandModule('optimize-for-size.js');

t.test('V8 takes it at run time: its heap grows by less after a full collection', { skip: compiled.skip }, async (t) => {
  const factorAfter = (optimize: boolean) =>
    Number(growthFactorAfterCollection(t, compiled.path, optimize ? 'optimizeForSize' : undefined));
  const optimized = factorAfter(true);
  const own = factorAfter(false);
  t.ok(optimized > 1 && optimized <= 1.3, `at most 1.3 once set (got ${optimized})`);
  t.ok(own > optimized, `V8's own factor is larger otherwise (got ${own})`);
});
