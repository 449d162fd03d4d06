// The renewal acceptance run, shared by the short-certificate and the 60-second tests: starts the agent
// on certificates of `validityMs`, samples the client certificate Secret and the CR every 100 ms until
// `renewals` renewals went over the certificate-secured Connector, then checks that none was late.
import type { Test } from 'tap';
import { startHarness } from './agent-harness.js';
import { SecretLedger, calls, clientCertificate, sleep, type ClientCertificateView } from './connection-checks.js';

export interface RenewalRun {
  validityMs: number;
  renewals: number;
  /** APP_CERT_VALIDITY_RENEWAL_THRESHOLD; the product default when absent. */
  threshold?: string;
  /** Upper bound of the sampling, after Synchronized. */
  withinMs: number;
}

export async function checkRenewals(t: Test, run: RenewalRun): Promise<void> {
  const h = await startHarness({ apps: 1, compass: { certificateValidityMs: run.validityMs } });
  t.teardown(() => h.close());
  const ledger = new SecretLedger();
  ledger.addToken(await h.writeConfigSecret());
  const agent = h.startAgent(run.threshold ? { APP_CERT_VALIDITY_RENEWAL_THRESHOLD: run.threshold } : {});
  await h.waitForState('Synchronized');

  const seen = new Map<string, ClientCertificateView>();
  const states = new Set<string>();
  const renewedStamps = new Set<string>();
  let samples = 0;
  let expiredSamples = 0;
  let notReady = 0;
  const deadline = Date.now() + run.withinMs;
  while (calls(h, 'connector-mtls', 'signCertificateSigningRequest').length < run.renewals && Date.now() < deadline) {
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
  t.ok(renewals.length >= run.renewals, `${renewals.length} renewals over the certificate-secured Connector`);
  t.ok(
    renewals.every((call) => call.outcome.status === 200 && 'errors' in call.outcome && call.outcome.errors.length === 0),
    'every renewal succeeded',
  );
  t.equal(calls(h, 'connector', 'configuration').length, 1, 'only the first certificate came from the token');
  t.ok(seen.size >= run.renewals, `${seen.size} different certificates were stored in the Secret`);
  t.ok(samples > 100, `${samples} samples of the Secret`);
  t.equal(expiredSamples, 0, 'the stored client certificate was never expired');
  t.equal(notReady, 0, '/readyz would have been ready throughout');
  t.same(
    [...states].filter((s) => s !== 'Synchronized'),
    [],
    'the CR stayed Synchronized (no maintenance or connection failure)',
  );
  t.ok(renewedStamps.size >= run.renewals - 1, `connectionStatus.renewed moved on ${renewedStamps.size} times`);

  // Each renewal happened while the previous certificate still had time left (not too late), and only
  // once less than threshold × validity was left, i.e. no sooner than (1 − threshold) × validity after
  // the previous one was issued (not too early).
  const threshold = Number(run.threshold ?? '0.3');
  const earliest = (1 - threshold) * run.validityMs;
  const ordered = [...seen.values()].sort((a, b) => a.notBefore - b.notBefore);
  for (let i = 1; i < ordered.length; i++) {
    const left = ordered[i - 1].notAfter - ordered[i].notBefore;
    t.ok(left > 0, `certificate ${i + 1} was issued ${Math.round(left / 1000)} s before certificate ${i} expired`);
    const after = ordered[i].notBefore - ordered[i - 1].notBefore;
    t.ok(
      after >= earliest,
      `certificate ${i + 1} was issued ${after / 1000} s after certificate ${i}, no sooner than (1 − ${threshold}) × ${run.validityMs / 1000} s = ${earliest / 1000} s`,
    );
  }
  await ledger.assertNoLeaks(t, h);
}
