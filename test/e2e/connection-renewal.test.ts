// Acceptance: with short-lived certificates the agent renews before expiry again and again, and the
// client certificate in the cluster is never expired while Compass is reachable.
//
// Chosen timing (real time, no simulated clock): the Compass simulator issues certificates valid for
// 12 s; the agent runs the harness's fast cycle (1 s) with APP_CERT_VALIDITY_RENEWAL_THRESHOLD=0.5,
// so it renews once less than 6 s are left, about every 7 s. (With the product default of 0.3 the
// margin would be 3.6 s, too close to a 1–2 s cycle on a loaded build machine.) Four renewals take
// about half a minute. connection-renewal-60s.test.ts runs the 60-second certificates.
import t from 'tap';
import { checkRenewals } from '../helpers/renewal-checks.js';

t.test('12-second certificates are renewed before they expire, again and again', (t) =>
  checkRenewals(t, { validityMs: 12_000, renewals: 4, threshold: '0.5', withinMs: 55_000 }),
);
