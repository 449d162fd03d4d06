// Acceptance: https only, for every Compass URL from every source (CONNECTOR_URL, the token-secured and
// the certificate-secured Connector's answers, the URLs the agent stored); a refused URL is a clear
// error in the status and the log, and a plain http listener receives nothing. The lab settings
// (APP_ALLOW_INSECURE_COMPASS_HTTP, APP_SKIP_COMPASS_TLS_VERIFY) let it through and say so at start,
// on every connection, in a condition and in a metric.
import t from 'tap';
import { startHarness, CLIENT_SECRET, CONFIG_SECRET, type Harness } from '../helpers/agent-harness.js';
import { SecretLedger, calls, sleep } from '../helpers/connection-checks.js';
import { startArrivalRecorder } from '../helpers/arrival-recorder.js';

// No retry during a case: the error of the first attempt stays in the status.
const NO_RETRY = { APP_RETRY_INITIAL_DELAY: '2m', APP_RETRY_MAX_DELAY: '5m' };
const REFUSED =
  /refused the plain http URL http:\/\/127\.0\.0\.1:\d+\/[a-z]+\/graphql \(([^)]*)\): the one-time token, the Tenant header and Compass's answers would travel unencrypted, so nothing was sent to it\. Use an https URL; only in a lab, set APP_ALLOW_INSECURE_COMPASS_HTTP=true to accept it/;

interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}
const logLines = (h: Harness): LogLine[] => h.logs.map((line) => JSON.parse(line) as LogLine);
const condition = (h: Harness, type: string) => h.connection()?.status?.conditions?.find((c) => c.type === type);

async function restart(h: Harness): Promise<void> {
  await h.stopAgent();
  h.sims.compass.control.clearFaults();
  h.sims.compass.control.clearCallLog();
  h.logs.length = 0;
}

t.test('plain http Compass URLs are refused from every source; the lab settings are loud', async (t) => {
  const h = await startHarness({ apps: 1 });
  t.teardown(() => h.close());
  const recorder = await startArrivalRecorder();
  t.teardown(() => recorder.close());
  const ledger = new SecretLedger();
  const compass = h.sims.compass.control;

  await t.test('an http:// CONNECTOR_URL: ConnectionFailed saying why, a log line, nothing sent', async (t) => {
    ledger.addToken(await h.writeConfigSecret({ CONNECTOR_URL: `${recorder.httpOrigin}/connector/graphql` }));
    h.startAgent(NO_RETRY);
    const cr = await h.waitForState('ConnectionFailed');
    const error = cr.status?.connectionStatus?.error ?? '';
    t.match(error, /^Failed to retrieve certificate: configuration Secret kyma-system\/compass-agent-configuration is unusable: /);
    t.match(error, REFUSED);
    t.match(
      REFUSED.exec(error)?.[1],
      `CONNECTOR_URL of Secret ${CONFIG_SECRET.namespace}/${CONFIG_SECRET.name}`,
      'it names where the URL came from',
    );
    t.match(condition(h, 'SecureCompassTransport'), { status: 'True' }, 'no lab setting is in effect');
    const line = logLines(h).find((l) => l.level === 'warn' && String(l.error).includes('refused the plain http URL'));
    t.ok(line, 'the log says so too');
    t.equal(line?.msg, 'the connection to Compass cannot be made with this configuration');
    await sleep(300);
    t.equal(recorder.connections, 0, 'the http listener received nothing');
    t.equal(compass.callLog().length, 0);
    await ledger.assertNoLeaks(t, h);
    await restart(h);
  });

  await t.test('APP_ALLOW_INSECURE_COMPASS_HTTP=true lets it through, with warnings, a condition and a metric', async (t) => {
    h.startAgent({ ...NO_RETRY, APP_ALLOW_INSECURE_COMPASS_HTTP: 'true' });
    await h.waitFor('the request at the http listener', () => recorder.arrivals.length > 0 || undefined);
    t.match(
      recorder.arrivals[0].httpHead,
      /^POST \/connector\/graphql HTTP\/1\.1/,
      'the token-secured Connector call went to the http URL',
    );
    const cr = await h.waitFor('ConnectionFailed after the listener answered 503', () => {
      const current = h.connection();
      return /HTTP 503/.test(current?.status?.connectionStatus?.error ?? '') ? current : undefined;
    });
    t.match(
      cr.status?.conditions?.find((c) => c.type === 'SecureCompassTransport'),
      {
        status: 'False',
        reason: 'InsecureSettings',
        message: /^APP_ALLOW_INSECURE_COMPASS_HTTP=true: /,
      },
    );
    const lines = logLines(h).filter((l) => l.level === 'warn');
    t.ok(
      lines.some(
        (l) =>
          l.setting === 'APP_ALLOW_INSECURE_COMPASS_HTTP' &&
          /APP_ALLOW_INSECURE_COMPASS_HTTP=true: the connection to Compass is not protected/.test(l.msg),
      ),
      'a warning at start',
    );
    t.ok(
      lines.some((l) => l.msg === `insecure connection to Compass ${recorder.httpOrigin}/connector/graphql: plain http, unencrypted`),
      'and one for the connection',
    );
    const metrics = await h.agent!.metrics.registry.metrics();
    t.match(metrics, /runtime_agent_insecure_compass_transport\{setting="APP_ALLOW_INSECURE_COMPASS_HTTP"\} 1/);
    t.match(metrics, /runtime_agent_insecure_compass_transport\{setting="APP_SKIP_COMPASS_TLS_VERIFY"\} 0/);
    await ledger.assertNoLeaks(t, h);
    await restart(h);
  });

  await t.test('http:// URLs in the token-secured Connector answer: refused before the CSR is signed', async (t) => {
    const before = recorder.connections;
    ledger.addToken(await h.writeConfigSecret());
    compass.armFault({ operation: 'configuration', kind: 'http-management-info', httpOrigin: recorder.httpOrigin });
    h.startAgent(NO_RETRY);
    const cr = await h.waitFor('ConnectionFailed refusing the Connector answer', () => {
      const current = h.connection();
      return current?.status?.connectionState === 'ConnectionFailed' && REFUSED.test(current.status.connectionStatus?.error ?? '')
        ? current
        : undefined;
    });
    t.match(
      cr.status?.connectionStatus?.error,
      /^Failed to retrieve certificate: Failed to fetch the configuration from the token-secured Connector: Compass configuration at https:\/\/[^ ]+ answered with an insecure URL: /,
    );
    t.match(
      REFUSED.exec(cr.status!.connectionStatus!.error!)?.[1],
      /managementPlaneInfo\.directorURL in the Connector's configuration answer/,
    );
    t.equal(calls(h, 'connector', 'signCertificateSigningRequest').length, 0, 'no certificate was requested for those URLs');
    t.notOk(h.secretData(CLIENT_SECRET), 'nothing stored');
    await sleep(300);
    t.equal(recorder.connections, before, 'the http listener received nothing');
    await restart(h);
  });

  await t.test('http:// URLs in the certificate-secured Connector answer: ConnectionMaintenanceFailed, the stored URLs stay', async (t) => {
    const before = recorder.connections;
    ledger.addToken(await h.writeConfigSecret());
    h.startAgent();
    await h.waitForState('Synchronized');
    const stored = { directorUrl: h.secretData(CLIENT_SECRET)?.directorUrl, connectorUrl: h.secretData(CLIENT_SECRET)?.connectorUrl };
    t.same(
      stored,
      { directorUrl: h.sims.compass.directorUrl, connectorUrl: h.sims.compass.certSecuredConnectorUrl },
      'the agent stored the https URLs beside its key',
    );
    compass.armFault({ operation: 'configuration', kind: 'http-management-info', httpOrigin: recorder.httpOrigin, count: 'unlimited' });
    const cr = await h.waitFor('ConnectionMaintenanceFailed refusing the answer', () => {
      const current = h.connection();
      return current?.status?.connectionState === 'ConnectionMaintenanceFailed' &&
        REFUSED.test(current.status.connectionStatus?.error ?? '')
        ? current
        : undefined;
    });
    t.match(cr.status?.connectionStatus?.error, /^Error while trying to maintain connection: /);
    t.same(cr.spec.managementInfo, stored, 'the CR keeps the https URLs');
    t.same(
      { directorUrl: h.secretData(CLIENT_SECRET)?.directorUrl, connectorUrl: h.secretData(CLIENT_SECRET)?.connectorUrl },
      stored,
      'and so does the Secret',
    );
    const syncsBefore = calls(h, 'director', 'applicationsForRuntime').length;
    await sleep(1500);
    t.equal(recorder.connections, before, 'the http listener received nothing');
    compass.clearFaults();
    await h.waitFor('a synchronization over https again', () =>
      calls(h, 'director', 'applicationsForRuntime').length > syncsBefore && h.connection()?.status?.connectionState === 'Synchronized'
        ? true
        : undefined,
    );
    t.pass('recovered over https once the answer is sound again');
    await ledger.assertNoLeaks(t, h);
    await restart(h);
  });

  await t.test('http:// URLs edited into the agent Secret: refused at the next start, nothing sent', async (t) => {
    const before = recorder.connections;
    const secret = h.sims.kube.get('v1', 'Secret', CLIENT_SECRET.name, CLIENT_SECRET.namespace)!;
    const original = { ...(secret.data as Record<string, string>) };
    const b64 = (text: string) => Buffer.from(text).toString('base64');
    await h.sims.kube.update({
      ...secret,
      data: {
        ...original,
        directorUrl: b64(`${recorder.httpOrigin}/director/graphql`),
        connectorUrl: b64(`${recorder.httpOrigin}/connector/graphql`),
      },
    });
    h.startAgent({ ...NO_RETRY, APP_MINIMAL_COMPASS_SYNC_TIME: '100ms' });
    const cr = await h.waitFor(
      'ConnectionMaintenanceFailed refusing the stored URL',
      () => {
        const current = h.connection();
        return current?.status?.connectionState === 'ConnectionMaintenanceFailed' &&
          REFUSED.test(current.status.connectionStatus?.error ?? '')
          ? current
          : undefined;
      },
      30_000,
    );
    t.match(
      REFUSED.exec(cr.status!.connectionStatus!.error!)?.[1],
      `the certificate-secured Connector URL stored in Secret ${CLIENT_SECRET.namespace}/${CLIENT_SECRET.name}`,
    );
    await sleep(300);
    t.equal(recorder.connections, before, 'the http listener received nothing');
    await h.stopAgent();
    const current = h.sims.kube.get('v1', 'Secret', CLIENT_SECRET.name, CLIENT_SECRET.namespace)!;
    await h.sims.kube.update({ ...current, data: original });
    await restart(h);
  });

  await t.test(
    'APP_SKIP_COMPASS_TLS_VERIFY=true: connects, with a warning at start and on every connection, a condition and a metric',
    async (t) => {
      h.startAgent({ APP_SKIP_COMPASS_TLS_VERIFY: 'true' });
      await h.waitForState('Synchronized');
      const cr = await h.waitFor('the insecure condition', () =>
        condition(h, 'SecureCompassTransport')?.status === 'False' ? h.connection() : undefined,
      );
      t.match(
        cr.status?.conditions?.find((c) => c.type === 'SecureCompassTransport'),
        { reason: 'InsecureSettings', message: /^APP_SKIP_COMPASS_TLS_VERIFY=true: / },
      );
      await h.waitForSyncCycles(1);
      const lines = logLines(h).filter((l) => l.level === 'warn');
      t.ok(
        lines.some((l) => l.setting === 'APP_SKIP_COMPASS_TLS_VERIFY' && /not verified/.test(l.msg)),
        'a warning at start',
      );
      const perConnection = lines.filter((l) =>
        /^insecure connection to Compass https:\/\/127\.0\.0\.1:\d+\/(connector|director)\/graphql: the server certificate is not verified \(APP_SKIP_COMPASS_TLS_VERIFY\)$/.test(
          l.msg,
        ),
      );
      t.ok(
        perConnection.some((l) => l.msg.includes('/connector/')) && perConnection.some((l) => l.msg.includes('/director/')),
        `a warning per connection, Connector and Director (${perConnection.length})`,
      );
      t.match(
        await h.agent!.metrics.registry.metrics(),
        /runtime_agent_insecure_compass_transport\{setting="APP_SKIP_COMPASS_TLS_VERIFY"\} 1/,
      );
      await restart(h);

      h.startAgent();
      await h.waitFor('the condition back to True', () => (condition(h, 'SecureCompassTransport')?.status === 'True' ? true : undefined));
      await h.waitForSyncCycles(1);
      t.notOk(
        logLines(h).some((l) => /insecure connection|not protected/.test(l.msg)),
        'without the setting, no such warning',
      );
      t.match(
        await h.agent!.metrics.registry.metrics(),
        /runtime_agent_insecure_compass_transport\{setting="APP_SKIP_COMPASS_TLS_VERIFY"\} 0/,
      );
      await ledger.assertNoLeaks(t, h);
    },
  );
});
