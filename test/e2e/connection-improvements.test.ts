// Acceptance: improvements over the reference agent's quirks (reference-agent.md §2.10, §12) that do
// not need a new token: a CR without status, certificate Secrets deleted or tampered with while the
// agent runs, maintenance results kept when the sync of a cycle is rate limited, and resyncNow that
// cannot drive a hot loop against a failing Director.
import t from 'tap';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startHarness, CLIENT_SECRET, CA_SECRET, type Harness } from '../helpers/agent-harness.js';
import { SecretLedger, calls, clientCertificate, editConnectionSpec, sleep } from '../helpers/connection-checks.js';

t.test('improvements over the reference that need no token', async (t) => {
  const h = await startHarness({ apps: 1 });
  t.teardown(() => h.close());
  const ledger = new SecretLedger();
  const compass = h.sims.compass.control;

  await t.test(
    'a CompassConnection created by a user with kubectl, without status or management info: the agent connects with the token',
    async (t) => {
      const manifest = JSON.stringify({
        apiVersion: 'compass.kyma-project.io/v1alpha1',
        kind: 'CompassConnection',
        metadata: { name: 'compass-connection' },
        spec: { managementInfo: { connectorUrl: '', directorUrl: '' } },
      });
      await h.kubectl('create', '-f', await writeTemp(h, 'cr.json', manifest));
      ledger.addToken(await h.writeConfigSecret());
      h.startAgent();
      const cr = await h.waitForState('Synchronized');
      t.equal(cr.spec.managementInfo?.connectorUrl, h.sims.compass.certSecuredConnectorUrl, 'the agent filled in the management info');
      t.ok(cr.status?.connectionStatus?.established, 'and the status');
    },
  );

  await t.test('a tampered client-certificate Secret at start-up: a clear error and no crash loop', async (t) => {
    await ledger.assertNoLeaks(t, h, 'the first agent');
    await h.stopAgent();
    ledger.collect(h);
    const tampered = clientCertificate(h)!.sha256;
    const secret = h.sims.kube.get('v1', 'Secret', CLIENT_SECRET.name, CLIENT_SECRET.namespace)!;
    await h.sims.kube.update({ ...secret, data: { ...(secret.data as object), key: Buffer.from('garbage').toString('base64') } });
    h.startAgent();
    const cr = await h.waitFor('ConnectionMaintenanceFailed naming the unusable Secret', () => {
      const current = h.connection();
      return current?.status?.connectionState === 'ConnectionMaintenanceFailed' &&
        /cluster-client-certificates does not hold a usable certificate and key/.test(current.status.connectionStatus?.error ?? '')
        ? current
        : undefined;
    });
    t.match(cr.status?.connectionStatus?.error, /^Error while trying to maintain connection: /);
    t.equal(h.agent!.liveness().ok, true, 'the agent keeps running');
    ledger.addToken(await h.writeConfigSecret());
    await h.waitFor('a reconnect with the new token', () =>
      h.connection()?.status?.connectionState === 'Synchronized' && clientCertificate(h) && clientCertificate(h)!.sha256 !== tampered
        ? true
        : undefined,
    );
    t.pass('recovered with a fresh token, without a restart');
    await ledger.assertNoLeaks(t, h, 'the agent after the tampered start');
  });

  await t.test('deleting or tampering with the certificate Secrets while running leads to renewal, not a crash', async (t) => {
    const renewals = () => calls(h, 'connector-mtls', 'signCertificateSigningRequest').length;
    const tokenCalls = calls(h, 'connector', 'configuration').length;

    let before = renewals();
    ledger.collect(h);
    await h.sims.kube.delete('v1', 'Secret', CA_SECRET.name, CA_SECRET.namespace);
    await h.waitFor('a renewal that writes the CA Secret again', () =>
      renewals() > before && h.secretData(CA_SECRET)?.cacert ? true : undefined,
    );
    t.pass('CA Secret deleted → renewed');

    before = renewals();
    ledger.collect(h);
    let previous = clientCertificate(h)!.sha256;
    await h.sims.kube.delete('v1', 'Secret', CLIENT_SECRET.name, CLIENT_SECRET.namespace);
    await h.waitFor('a renewal that writes the client-certificate Secret again', () =>
      renewals() > before && clientCertificate(h) && clientCertificate(h)!.sha256 !== previous ? true : undefined,
    );
    t.pass('client-certificate Secret deleted → renewed');

    before = renewals();
    ledger.collect(h);
    previous = clientCertificate(h)!.sha256;
    const secret = h.sims.kube.get('v1', 'Secret', CLIENT_SECRET.name, CLIENT_SECRET.namespace)!;
    await h.sims.kube.update({ ...secret, data: { ...(secret.data as object), crt: Buffer.from('not a certificate').toString('base64') } });
    await h.waitFor('a renewal that repairs the tampered Secret', () =>
      renewals() > before && clientCertificate(h) && clientCertificate(h)!.sha256 !== previous ? true : undefined,
    );
    t.pass('client certificate overwritten with garbage → renewed');
    await h.waitForState('Synchronized');
    t.equal(h.agent!.liveness().ok, true, 'the same agent is still running');
    t.equal(calls(h, 'connector', 'configuration').length, tokenCalls, 'no token was needed for any of it');
  });

  await t.test(
    'a CompassConnection re-created by a user with kubectl, with management info but without status: the agent resumes with its certificate',
    async (t) => {
      const manifest = JSON.stringify({
        apiVersion: 'compass.kyma-project.io/v1alpha1',
        kind: 'CompassConnection',
        metadata: { name: 'compass-connection' },
      });
      const cr = h.connection()!;
      await ledger.assertNoLeaks(t, h, 'the second agent');
      await h.stopAgent();
      ledger.collect(h);
      const certificate = clientCertificate(h)!.sha256;
      await h.kubectl('delete', 'compassconnection', 'compass-connection');
      const withUrls = JSON.stringify({ ...JSON.parse(manifest), spec: { managementInfo: cr.spec.managementInfo } });
      await h.kubectl('create', '-f', await writeTemp(h, 'cr-urls.json', withUrls));
      t.notOk(h.connection()?.status, 'the CR has no status');
      compass.clearCallLog();
      h.startAgent();
      await h.waitFor(
        'Synchronized after a maintenance cycle',
        () => calls(h, 'connector-mtls', 'configuration').length > 0 && h.connection()?.status?.connectionState === 'Synchronized',
      );
      t.equal(calls(h, 'connector', 'configuration').length, 0, 'no token needed: the stored certificate is used');
      t.equal(clientCertificate(h)?.sha256, certificate, 'same certificate');
    },
  );

  await t.test(
    'maintenance results (renewal, refreshCredentialsNow=false, lastSync) are written even when the sync of that cycle is rate limited',
    async (t) => {
      // A Director that takes 3 s and a minimal sync time of 4 s: a cycle right after a sync must skip its sync.
      await h.stopAgent();
      compass.armFault({ operation: 'applicationsForRuntime', kind: 'delay', delayMs: 3000, count: 'unlimited' });
      const agent = h.startAgent({ APP_MINIMAL_COMPASS_SYNC_TIME: '4s' });
      const synchronizing = () => agent.runtime.getSnapshot().matches({ Certified: { Connected: 'Synchronizing' } });
      await h.waitFor('a sync in progress', () => synchronizing() || undefined, 30_000);
      const renewalsBefore = calls(h, 'connector-mtls', 'signCertificateSigningRequest').length;
      await editConnectionSpec(h, { refreshCredentialsNow: true });
      const renewed = await h.waitFor(
        'the renewal, back in an idle state',
        () => {
          const snapshot = agent.runtime.getSnapshot();
          const idle = snapshot.matches({ Certified: { Connected: 'Idle' } }) && snapshot.context.lastSyncResult === 'Synchronized';
          return calls(h, 'connector-mtls', 'signCertificateSigningRequest').length > renewalsBefore &&
            idle &&
            snapshot.context.connection?.renewed
            ? snapshot.context
            : undefined;
        },
        30_000,
      );
      t.ok(
        Date.parse(renewed.connection!.renewed!) > Date.parse(renewed.synchronization!.lastAttempt!),
        `the renewal cycle skipped its sync (renewed ${renewed.connection!.renewed} after the last sync attempt ${renewed.synchronization!.lastAttempt})`,
      );
      const second = (at: string | undefined) =>
        new Date(Math.floor(Date.parse(String(at)) / 1000) * 1000).toISOString().replace('.000Z', 'Z');
      const stored = await h.waitFor('the renewal in the CR', () => {
        const cr = h.connection();
        return cr?.status?.connectionStatus?.renewed === second(renewed.connection!.renewed) ? cr : undefined;
      });
      t.equal(stored.spec.refreshCredentialsNow, false, 'refreshCredentialsNow written back to false');
      t.equal(stored.status!.connectionStatus!.lastSync, second(renewed.connection!.lastSync), 'lastSync of that maintenance is written');
      t.equal(
        stored.status!.synchronizationStatus!.lastAttempt,
        second(renewed.synchronization!.lastAttempt),
        'while synchronizationStatus still describes the sync before it',
      );
      t.equal(
        Date.parse(stored.status!.connectionStatus!.certificateStatus!.notAfter!),
        Math.floor(clientCertificate(h)!.notAfter / 1000) * 1000,
        'certificateStatus describes the renewed certificate in the Secret',
      );
      compass.clearFaults();
      await ledger.assertNoLeaks(t, h, 'the third agent');
      await h.stopAgent();
    },
  );

  await t.test('resyncNow set again and again against a failing Director cannot cause a hot loop', async (t) => {
    const agent = h.startAgent({ APP_MINIMAL_COMPASS_SYNC_TIME: '1s' });
    compass.armFault({ operation: 'applicationsForRuntime', kind: 'graphql-error', count: 'unlimited', message: 'director down' });
    await h.waitFor('SynchronizationFailed', () => h.connection()?.status?.connectionState === 'SynchronizationFailed' || undefined);
    const fetches = () => calls(h, 'director', 'applicationsForRuntime').length;
    const start = fetches();
    const startedAt = Date.now();
    let requests = 0;
    // Observe a window while a user keeps asking for a resync whenever the flag is back to false.
    while (Date.now() - startedAt < 6000) {
      if (h.connection()?.spec.resyncNow !== true) {
        await editConnectionSpec(h, { resyncNow: true });
        requests++;
      }
      await sleep(100);
    }
    const elapsedSeconds = (Date.now() - startedAt) / 1000;
    const made = fetches() - start;
    t.ok(requests >= 2, `the user asked ${requests} times`);
    t.ok(made >= 1, `the agent did try the Director (${made} fetches)`);
    t.ok(
      made <= Math.ceil(elapsedSeconds / 1) + 2,
      `${made} Director fetches in ${elapsedSeconds.toFixed(1)} s: never more than one per minimal sync time (1 s)`,
    );
    t.equal(agent.liveness().ok, true);
    compass.clearFaults();
    await h.waitForState('Synchronized');
    await ledger.assertNoLeaks(t, h, 'the fourth agent');
  });
});

async function writeTemp(h: Harness, name: string, text: string): Promise<string> {
  const path = join(h.dir, name);
  await writeFile(path, text);
  return path;
}
