// The one list of the V8 settings `run` makes (src/commands/run-v8-settings.ts): the flags a bare node
// gets in the benches' floor clients are the ones `run` sets, each left out when node has its own.
import t from 'tap';
import { runV8Flags } from '../../src/commands/run-v8-settings.js';

t.test('on a node started without settings of its own, every flag run sets, in the order run sets them', async (t) => {
  t.same(runV8Flags([]), ['--optimize-for-size', '--heap-growing-percent=20', '--no-turbofan']);
});

t.test('a setting node was started with is left out, and only that one', async (t) => {
  t.same(runV8Flags(['--turbofan']), ['--optimize-for-size', '--heap-growing-percent=20']);
  t.same(runV8Flags(['--no-optimize-for-size']), ['--heap-growing-percent=20', '--no-turbofan']);
  t.same(runV8Flags(['--heap-growing-percent=50']), ['--optimize-for-size', '--no-turbofan']);
  t.same(runV8Flags(['--optimize-for-size', '--heap_growing_percent=35', '--max-opt=2']), []);
});
