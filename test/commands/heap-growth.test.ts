// The heap growth `run` sets (src/commands/heap-growth.ts): taken by V8 at run time, and never over
// a value node was started with.
import t from 'tap';
import { HEAP_GROWING_PERCENT, heapGrowthFlag } from '../../src/commands/heap-growth.js';
import { compiledCommandModule, growthFactorAfterCollection } from '../helpers/gc-growth-factor.js';

t.test('the flag, unless node was started with one', async (t) => {
  t.equal(heapGrowthFlag([]), `--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
  t.equal(heapGrowthFlag(['--max-old-space-size=192', '--enable-source-maps']), '--heap-growing-percent=20');
  t.equal(heapGrowthFlag(['--heap-growing-percent=20']), undefined);
  t.equal(heapGrowthFlag(['--heap-growing-percent', '20']), undefined);
  t.equal(heapGrowthFlag(['--heap_growing_percent=20']), undefined);
});

const compiled = compiledCommandModule('heap-growth.js');

t.test('V8 grows the heap by that factor after a full collection once it is set', { skip: compiled.skip }, async (t) => {
  const factorAfter = (tune: boolean) => growthFactorAfterCollection(t, compiled.path, tune ? 'tuneHeapGrowth' : undefined);
  t.equal(factorAfter(true), '1.2', 'set at run time, V8 takes it');
  t.not(factorAfter(false), '1.2', "V8's own choice otherwise");
});
