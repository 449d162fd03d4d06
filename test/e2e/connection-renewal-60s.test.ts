// Acceptance as the issue states it: certificates valid for 60 s, the product's default renewal
// threshold (0.3), so the agent renews once less than 18 s are left, about every 42 s: two renewals
// take about 90 s of real time (this file runs beside the others).
import t from 'tap';
import { checkRenewals } from '../helpers/renewal-checks.js';

t.setTimeout(200_000);

t.test('60-second certificates are renewed before they expire, again and again', (t) =>
  checkRenewals(t, { validityMs: 60_000, renewals: 2, withinMs: 110_000 }),
);
