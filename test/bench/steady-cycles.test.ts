// The benches' rule for a no-change cycle figure (bench/steady-cycles.ts): the settling cycles right
// after the initial sync are left out, the figure is the median of the steady ones after them.
import t from 'tap';
import { SETTLING_CYCLES, STEADY_CYCLES, STEADY_PERIOD_MS, steadyMedian } from '../../bench/steady-cycles.js';

t.test('the settling cycles span 20 s of the period, as measured after an initial sync', async (t) => {
  t.equal(SETTLING_CYCLES * STEADY_PERIOD_MS, 20_000);
  t.equal(STEADY_CYCLES, 5);
});

t.test('the figure is the median of the steady cycles, whatever the settling ones took', async (t) => {
  const settling = Array.from({ length: SETTLING_CYCLES }, (_, i) => 1000 + i);
  t.equal(steadyMedian([...settling, 50, 10, 40, 20, 30]), 30);
  t.equal(steadyMedian([...settling.map(() => 1), 50, 10, 40, 20, 30]), 30, 'small settling cycles do not pull it down either');
});

t.test('cycles beyond the steady ones are not part of the figure', async (t) => {
  const settling = Array.from({ length: SETTLING_CYCLES }, () => 0);
  t.equal(steadyMedian([...settling, 5, 5, 5, 5, 5, 900, 900, 900, 900, 900, 900]), 5);
});

t.test('too few cycles is an error, not a figure of fewer', async (t) => {
  const short = Array.from({ length: SETTLING_CYCLES + STEADY_CYCLES - 1 }, () => 1);
  t.throws(() => steadyMedian(short), /needs 10/);
  t.equal(steadyMedian([...short, 1]), 1);
});
