// Acceptance: with short-lived certificates the agent renews before expiry again and again, and the
// client certificate in the cluster is never expired while Compass is reachable.
//
// Chosen timing (real time, no simulated clock): the Compass simulator issues certificates valid for
// 12 s; the agent runs the harness's fast cycle (1 s) with APP_CERT_VALIDITY_RENEWAL_THRESHOLD=0.5,
// so it renews once less than 6 s are left, about every 7 s. (With the product default of 0.3 the
// margin would be 3.6 s, too close to a 1–2 s cycle on a loaded build machine.) Four renewals take
// about half a minute.
import t from 'tap';
import { startHarness } from '../helpers/agent-harness.js';
import { SecretLedger, calls, clientCertificate, sleep, type ClientCertificateView } from '../helpers/connection-checks.js';

const VALIDITY_MS = 12_000;
const RENEWALS = 4;

t.test('12-second certificates are renewed before they expire, again and again', async (t) => {
  const h = await startHarness({ apps: 1, compass: { certificateValidityMs: VALIDITY_MS } });
  t.teardown(() => h.close());
  const ledger = new SecretLedger();
  ledger.addToken(await h.writeConfigSecret());
  const agent = h.startAgent({ APP_CERT_VALIDITY_RENEWAL_THRESHOLD: '0.5' });
  await h.waitForState('Synchronized');

  const seen = new Map<string, ClientCertificateView>();
  const states = new Set<string>();
  const renewedStamps = new Set<string>();
  let samples = 0;
  let expiredSamples = 0;
  let notReady = 0;
  const deadline = Date.now() + 55_000;
  while (calls(h, 'connector-mtls', 'signCertificateSigningRequest').length < RENEWALS && Date.now() < deadline) {
    const certificate = clientCertificate(h);
    if (certificate) {
      samples++;
      // The simulator's clock is real time here: an expired certificate would be refused.
      if (certificate.notAfter <= h.sims.compass.control.now().getTime()) expiredSamples++;
      if (!seen.has(certificate.sha256)) {
        seen.set(certificate.sha256, certificate);
        ledger.collect(h);
      }
    }
    const status = h.connection()?.status;
    if (status?.connectionState) states.add(status.connectionState);
    if (status?.connectionStatus?.renewed) renewedStamps.add(status.connectionStatus.renewed);
    if (!agent.readiness().ok) notReady++;
    await sleep(100);
  }

  const renewals = calls(h, 'connector-mtls', 'signCertificateSigningRequest');
  t.ok(renewals.length >= RENEWALS, `${renewals.length} renewals over the certificate-secured Connector`);
  t.ok(renewals.every((call) => call.outcome.status === 200 && 'errors' in call.outcome && call.outcome.errors.length === 0), 'every renewal succeeded');
  t.equal(calls(h, 'connector', 'configuration').length, 1, 'only the first certificate came from the token');
  t.ok(seen.size >= RENEWALS, `${seen.size} different certificates were stored in the Secret`);
  t.ok(samples > 100, `${samples} samples of the Secret`);
  t.equal(expiredSamples, 0, 'the stored client certificate was never expired');
  t.equal(notReady, 0, '/readyz would have been ready throughout');
  t.same([...states].filter((s) => s !== 'Synchronized'), [], 'the CR stayed Synchronized (no maintenance or connection failure)');
  t.ok(renewedStamps.size >= RENEWALS - 1, `connectionStatus.renewed moved on ${renewedStamps.size} times`);

  // Each renewal happened while the previous certificate still had time left.
  const ordered = [...seen.values()].sort((a, b) => a.notBefore - b.notBefore);
  for (let i = 1; i < ordered.length; i++) {
    const left = ordered[i - 1]!.notAfter - ordered[i]!.notBefore;
    t.ok(left > 0, `certificate ${i + 1} was issued ${Math.round(left / 1000)} s before certificate ${i} expired`);
  }
  await ledger.assertNoLeaks(t, h);
});
