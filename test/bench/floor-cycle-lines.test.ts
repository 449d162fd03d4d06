// How the benches read a floor client's output (bench/floor-client.ts): one line per cycle, `cycle`, or
// `cycle <ms>` where the client times its requests. Only whole lines count; anything else is not a cycle.
import t from 'tap';
import { cycleLines } from '../../bench/floor-client.js';

t.test('bare cycle lines count, without durations', async (t) => {
  t.same(cycleLines('cycle\ncycle\n'), { cycles: 2, durations: [] });
});

t.test('timed cycle lines count and give their durations in order', async (t) => {
  t.same(cycleLines('cycle 12.5\ncycle 3\ncycle 140.0\n'), { cycles: 3, durations: [12.5, 3, 140] });
});

t.test('other lines and words that only contain "cycle" are not cycles', async (t) => {
  t.same(cycleLines('recycle\ncycles 4\ncycle twelve\nwarm-up\ncycle 7\n'), { cycles: 1, durations: [7] });
  t.same(cycleLines(''), { cycles: 0, durations: [] });
});
