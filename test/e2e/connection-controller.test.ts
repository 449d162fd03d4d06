// Acceptance: the reference's TestCompassConnectionController (reference-agent.md §9.2), sub-tests
// 1–4 and 8–9 (connection, reconnect, restart, refresh, name normalisation), sharing one agent as the
// reference shares one manager, but against the simulators over real TLS instead of mocks. The
// failure sub-tests (5–7, 10–14) are in connection-controller-faults.test.ts.
import t from 'tap';
import { applicationNames, calls, clientCertificate, startConnectedScenario } from '../helpers/connection-checks.js';
import { normalizeApplicationName } from '../../src/applications/normalizer.js';

t.test('TestCompassConnectionController, scenario by scenario, against the simulators', async (t) => {
  const { h, ledger } = await startConnectedScenario(t);
  const compass = h.sims.compass.control;
  const runtimeId = h.sims.compass.runtimeId;

  await t.test(
    '1. the connection becomes Synchronized with connection status and management info; maintenance queries the certificate-secured configuration and does not sign a CSR',
    async (t) => {
      await h.waitForState('Synchronized');
      const cr = await h.waitFor('a maintenance cycle at the certificate-secured Connector, then Synchronized', () => {
        const current = h.connection();
        return calls(h, 'connector-mtls', 'configuration').length > 0 && current?.status?.connectionState === 'Synchronized'
          ? current
          : undefined;
      });
      t.same(
        cr.spec.managementInfo,
        { connectorUrl: h.sims.compass.certSecuredConnectorUrl, directorUrl: h.sims.compass.directorUrl },
        'management info from the Connector',
      );
      const status = cr.status!.connectionStatus!;
      for (const field of ['established', 'lastSync', 'lastSuccess'] as const)
        t.match(status[field], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, `connectionStatus.${field} is set`);
      t.ok(
        status.certificateStatus?.notBefore && status.certificateStatus.notAfter && status.certificateStatus.acquired,
        'certificate status set',
      );
      t.equal(
        Date.parse(status.certificateStatus!.notAfter!),
        Math.floor(clientCertificate(h)!.notAfter / 1000) * 1000,
        'notAfter is the stored certificate’s',
      );
      t.notOk(status.error, 'no connection error');
      const sync = cr.status!.synchronizationStatus!;
      t.ok(sync.lastAttempt && sync.lastSuccessfulFetch && sync.lastSuccessfulApplication, 'synchronization timestamps set');
      t.notOk(sync.error, 'no synchronization error');
      t.equal(calls(h, 'connector', 'configuration').length, 1, 'one token-secured configuration');
      t.equal(calls(h, 'connector', 'signCertificateSigningRequest').length, 1, 'one token-secured CSR');
      t.equal(calls(h, 'connector-mtls', 'signCertificateSigningRequest').length, 0, 'maintenance signs no CSR');
      t.ok(calls(h, 'director', 'applicationsForRuntime').length > 0, 'the Director was asked for applications');
    },
  );

  await t.test('8. a runtime without the isNormalized label gets its Application names normalised with mp-', async (t) => {
    t.notOk(compass.runtimeLabels(runtimeId)?.isNormalized, 'the simulated runtime has no isNormalized label');
    const expected = compass
      .applications()
      .map((a) => normalizeApplicationName(a.name))
      .sort();
    t.ok(expected.every((name) => name.startsWith('mp-')));
    await h.waitFor('the normalised Applications', () => JSON.stringify(applicationNames(h)) === JSON.stringify(expected) || undefined);
    t.same(applicationNames(h), expected);
  });

  await t.test('9. isNormalized "false" still normalises; "true" does not', async (t) => {
    const labels = compass.runtimeLabels(runtimeId)!;
    compass.upsertRuntime({ id: runtimeId, labels: { ...labels, isNormalized: 'false' } });
    const before = calls(h, 'director', 'applicationsForRuntime').length;
    // Two Director fetches after the change: at least one whole sync saw the label.
    await h.waitFor(
      'two Director fetches after the label change, then Synchronized',
      () =>
        calls(h, 'director', 'applicationsForRuntime').length >= before + 2 && h.connection()?.status?.connectionState === 'Synchronized',
    );
    t.ok(
      applicationNames(h).every((name) => name.startsWith('mp-')),
      `"false" keeps mp- names: ${applicationNames(h).join(', ')}`,
    );

    compass.upsertRuntime({ id: runtimeId, labels: { ...labels, isNormalized: 'true' } });
    const plain = compass
      .applications()
      .map((a) => a.name)
      .sort();
    await h.waitFor(
      'Applications named as in the Director',
      () => JSON.stringify(applicationNames(h)) === JSON.stringify(plain) || undefined,
    );
    t.same(applicationNames(h), plain, '"true": the Director names are used as they are, the mp- ones are gone');
    t.equal(h.connection()?.status?.connectionState, 'Synchronized');
  });

  await t.test('2. the CR deleted → re-created by the agent and Synchronized again (reconnect with the token)', async (t) => {
    const before = clientCertificate(h)!;
    ledger.collect(h);
    ledger.addToken(await h.writeConfigSecret());
    t.match(await h.kubectl('delete', 'compassconnection', 'compass-connection'), /deleted/);
    const cr = await h.waitFor('a re-created, Synchronized compass-connection with a new certificate', () => {
      const current = h.connection();
      return current?.status?.connectionState === 'Synchronized' && clientCertificate(h)?.sha256 !== before.sha256 ? current : undefined;
    });
    t.equal(calls(h, 'connector', 'signCertificateSigningRequest').length, 2, 'a second token-secured CSR');
    t.same(cr.spec.managementInfo?.connectorUrl, h.sims.compass.certSecuredConnectorUrl);
    t.ok(cr.status?.connectionStatus?.established, 'established again');
  });

  await t.test('3. an agent restart with a Synchronized CR does not reconnect: no token is used, the certificate is kept', async (t) => {
    const before = h.connection()!;
    const certificate = clientCertificate(h)!;
    await ledger.assertNoLeaks(t, h, 'the first agent');
    await h.stopAgent();
    compass.clearCallLog();
    h.startAgent();
    await h.waitFor(
      'a maintenance cycle of the restarted agent, then Synchronized',
      () => calls(h, 'connector-mtls', 'configuration').length > 0 && h.connection()?.status?.connectionState === 'Synchronized',
    );
    t.equal(
      calls(h, 'connector', 'configuration').length + calls(h, 'connector', 'signCertificateSigningRequest').length,
      0,
      'the token-secured Connector was not called',
    );
    t.equal(clientCertificate(h)?.sha256, certificate.sha256, 'the same client certificate');
    t.equal(h.connection()?.status?.connectionStatus?.established, before.status?.connectionStatus?.established, 'established unchanged');
    const certificateCalls = calls(h, 'connector-mtls', 'configuration');
    t.equal(certificateCalls[0]?.identity.certificateSha256, certificate.sha256, 'maintenance presents the stored certificate');
  });

  await t.test(
    '4. refreshCredentialsNow renews over the certificate-secured Connector: Synchronized, renewed > established, flag reset',
    async (t) => {
      const established = Date.parse(h.connection()!.status!.connectionStatus!.established!);
      const before = clientCertificate(h)!;
      // Timestamps have second precision: let a second boundary pass so "renewed > established" can show.
      await h.waitFor('the next second after established', () => Date.now() >= established + 1000 || undefined);
      await h.kubectl(
        'patch',
        'compassconnection',
        'compass-connection',
        '--type',
        'merge',
        '-p',
        '{"spec":{"refreshCredentialsNow":true}}',
      );
      const cr = await h.waitFor('a renewal, Synchronized, flag reset', () => {
        const current = h.connection();
        return calls(h, 'connector-mtls', 'signCertificateSigningRequest').length > 0 &&
          current?.status?.connectionState === 'Synchronized' &&
          current.spec.refreshCredentialsNow !== true &&
          current.status.connectionStatus?.renewed
          ? current
          : undefined;
      });
      t.ok(
        Date.parse(cr.status!.connectionStatus!.renewed!) > established,
        `renewed ${cr.status!.connectionStatus!.renewed} > established`,
      );
      t.equal(cr.spec.refreshCredentialsNow, false, 'the agent wrote refreshCredentialsNow back to false');
      const after = await h.waitFor('the renewed certificate in the Secret', () => {
        const current = clientCertificate(h);
        return current && current.sha256 !== before.sha256 ? current : undefined;
      });
      t.equal(calls(h, 'connector', 'signCertificateSigningRequest').length, 0, 'renewal does not use a token');
      await h.waitFor(
        'certificateStatus of the renewed certificate',
        () =>
          Date.parse(h.connection()?.status?.connectionStatus?.certificateStatus?.notAfter ?? '') ===
            Math.floor(after.notAfter / 1000) * 1000 || undefined,
      );
      t.pass('certificateStatus.notAfter follows the renewed certificate');
    },
  );

  await t.test('no token, key or certificate reached the log, the CR, the event log or the metrics', async (t) => {
    await ledger.assertNoLeaks(t, h, 'the restarted agent');
  });
});
