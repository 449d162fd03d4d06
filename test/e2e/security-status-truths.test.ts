// Acceptance: the smaller truths the status must tell. An expired certificate says Expired (not
// Rejected); one not yet valid by the agent's clock is not taken as ready; a Kubernetes outage is not
// reported as "connection to Compass failed"; a request the agent cannot encode is not blamed on the
// server; an object the API server refuses as too large says so instead of "check the API server is
// reachable".
import t from 'tap';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { startHarness, type Harness } from '../helpers/agent-harness.js';
import { SecretLedger } from '../helpers/connection-checks.js';
import { createKubeClient, kubeCall } from '../../adapters/kube/kube-client.js';
import { projectConnection } from '../../src/status-projection.js';

const NO_RETRY = { APP_RETRY_INITIAL_DELAY: '2m', APP_RETRY_MAX_DELAY: '5m' };
const APPLICATIONS = 'applications.applicationconnector.kyma-project.io';

interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}
const logLines = (h: Harness): LogLine[] => h.logs.map((line) => JSON.parse(line) as LogLine);
const certificateCondition = (h: Harness) => h.connection()?.status?.conditions?.find((c) => c.type === 'CertificateValid');

t.test('an expired certificate says Expired, although Compass refuses it too', async (t) => {
  const h = await startHarness({ apps: 1, compass: { certificateValidityMs: 6_000 } });
  t.teardown(() => h.close());
  await h.writeConfigSecret();
  h.startAgent();
  await h.waitForState('Synchronized');
  // Renewals fail from now on, so the 6-second certificate runs out.
  h.sims.compass.control.armFault({
    operation: 'signCertificateSigningRequest',
    kind: 'graphql-error',
    message: 'renewal refused for the test',
    count: 'unlimited',
  });
  const notAfter = Date.parse(h.agent!.runtime.getSnapshot().context.certificate!.notAfter);
  // The simulator's mutual-TLS host refuses an expired certificate with the TLS alert, as Istio does.
  const snapshot = await h.waitFor(
    'a maintenance attempt refused after expiry',
    () => {
      const s = h.agent!.runtime.getSnapshot();
      return Date.now() > notAfter && s.context.certificateRejected && Date.parse(s.context.lastError?.at ?? '') > notAfter ? s : undefined;
    },
    30_000,
  );
  t.match(
    projectConnection(snapshot)?.status.connectionStatus.error,
    /refused our client certificate in the TLS handshake \(alert "certificate expired"/,
    'Compass refuses the expired certificate in the handshake',
  );
  const condition = await h.waitFor('the Expired condition', () =>
    certificateCondition(h)?.reason === 'Expired' ? certificateCondition(h) : undefined,
  );
  t.match(
    condition,
    { status: 'False', reason: 'Expired', message: /^The client certificate expired at / },
    'and the status says why: it expired',
  );
  t.equal(h.agent!.readiness().ok, false);
  t.match(h.agent!.readiness().detail, /expired/);
});

t.test('a certificate not yet valid by the agent clock, a Kubernetes outage, an unencodable token, an object too large', async (t) => {
  const h = await startHarness({ apps: 1 });
  t.teardown(() => h.close());
  const ledger = new SecretLedger();
  const compass = h.sims.compass.control;

  await t.test('a certificate issued by a clock an hour ahead is not taken as ready', async (t) => {
    compass.advanceClock(3_600_000);
    ledger.addToken(await h.writeConfigSecret());
    h.startAgent();
    await h.waitForState('Synchronized');
    const condition = await h.waitFor('the NotYetValid condition', () =>
      certificateCondition(h)?.reason === 'NotYetValid' ? certificateCondition(h) : undefined,
    );
    t.match(condition, { status: 'False', message: /not valid before .* by the agent's clock/ });
    const readiness = h.agent!.readiness();
    t.equal(readiness.ok, false, 'not ready');
    t.match(readiness.detail, /client certificate not valid before .* by this node's clock/);
  });

  await t.test('a Kubernetes outage is not reported as "connection to Compass failed"', async (t) => {
    await h.waitForSyncCycles(1);
    h.logs.length = 0;
    await h.sims.kube.stop();
    const snapshot = await h.waitFor('maintenance failing on the Kubernetes request', () => {
      const s = h.agent!.runtime.getSnapshot();
      return s.context.connectionState === 'ConnectionMaintenanceFailed' ? s : undefined;
    });
    await h.sims.kube.restart();
    t.equal(snapshot.context.lastError?.kind, 'kubernetes-read');
    t.match(
      projectConnection(snapshot)?.status.connectionStatus.error,
      /^Error while trying to maintain connection: get Secret .* failed before the API server answered/,
    );
    t.match(
      projectConnection(snapshot)!.status.conditions.find((c) => c.type === 'Connected'),
      { status: 'Unknown', reason: 'KubernetesRequestFailed' },
      'the Compass connection is Unknown, not failed',
    );
    const lines = logLines(h);
    t.notOk(
      lines.some((l) => l.msg === 'connection to Compass failed'),
      'no log line blames Compass',
    );
    t.ok(
      lines.some((l) => l.msg === 'a Kubernetes API request failed (not the connection to Compass)' && /API server/.test(String(l.error))),
      'the log names the Kubernetes API',
    );
    await h.waitFor('the agent Synchronized again', () =>
      h.agent!.runtime.getSnapshot().context.connectionState === 'Synchronized' ? true : undefined,
    );
    t.pass('recovered once the API server is back');
    await h.stopAgent();
  });

  await t.test('a token the agent cannot put into a request is its own failure, not the server', async (t) => {
    await h.sims.kube.delete('compass.kyma-project.io/v1alpha1', 'CompassConnection', 'compass-connection');
    await h.writeConfigSecret({ TOKEN: 'token-with-\u0100-in-it' });
    compass.clearCallLog();
    h.logs.length = 0;
    h.startAgent(NO_RETRY);
    const cr = await h.waitForState('ConnectionFailed');
    const error = cr.status?.connectionStatus?.error ?? '';
    t.match(
      error,
      /^Failed to retrieve certificate: .*the agent could not encode the request \(the value of header connector-token contains characters an HTTP header cannot carry|the agent could not encode the request/,
    );
    t.match(error, /nothing was sent and Compass is not to blame\. Check the values in the configuration Secret/);
    t.notMatch(error, /answer|refused the credentials|Compass does not accept/, 'no word about an answer from Compass');
    t.equal(compass.callLog().length, 0, 'nothing reached Compass');
    t.ok(
      logLines(h).some((l) => l.msg === 'the connection to Compass cannot be made with this configuration'),
      'the log does not blame Compass either',
    );
    await h.stopAgent();
  });

  await t.test('an Application the API server refuses as too large says so', async (t) => {
    // The API server itself, sent a 5 MB description:
    const kubeConfig = new KubeConfig();
    kubeConfig.loadFromString(h.sims.kubeconfigYaml);
    const client = createKubeClient(kubeConfig);
    const body = {
      apiVersion: 'applicationconnector.kyma-project.io/v1alpha1',
      kind: 'Application',
      metadata: { name: 'five-megabytes' },
      spec: { description: 'd'.repeat(5 * 1024 * 1024), skipInstallation: false, services: [] },
    };
    const error = await kubeCall('create Application five-megabytes', () =>
      client.customObjects.createClusterCustomObject({
        group: 'applicationconnector.kyma-project.io',
        version: 'v1alpha1',
        plural: 'applications',
        body,
      }),
    ).then(
      () => undefined,
      (err: Error) => err,
    );
    t.ok(error, 'refused');
    t.match(
      error?.message,
      /larger than the API server accepts|the API server accepts at most 3\.0 MiB/,
      `says why: ${error?.message.slice(0, 300)}`,
    );
    t.notMatch(error?.message, /check that the API server is reachable/);

    // An API server that stops reading such a body and closes the connection before any answer:
    const closing = createServer((req) => req.socket.destroy());
    await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve));
    t.teardown(() => closing.close());
    const closingConfig = new KubeConfig();
    closingConfig.loadFromOptions({
      clusters: [{ name: 'closing', server: `http://127.0.0.1:${(closing.address() as AddressInfo).port}`, skipTLSVerify: true }],
      users: [{ name: 'nobody' }],
      contexts: [{ name: 'closing', cluster: 'closing', user: 'nobody' }],
      currentContext: 'closing',
    });
    const closed = await kubeCall('create Application five-megabytes', () =>
      createKubeClient(closingConfig).customObjects.createClusterCustomObject({
        group: 'applicationconnector.kyma-project.io',
        version: 'v1alpha1',
        plural: 'applications',
        body,
      }),
    ).then(
      () => undefined,
      (err: Error) => err,
    );
    t.match(
      closed?.message,
      /^create Application five-megabytes failed: the request body is 5\.0 MiB and the API server accepts at most 3\.0 MiB; it closed the connection \(/,
      `a closed connection with a big body says why: ${closed?.message}`,
    );
    t.notMatch(closed?.message, /reachable/);

    // The agent, when the API server refuses an Application as too large (413) or etcd does (500):
    await h.writeConfigSecret();
    h.startAgent();
    await h.waitForState('Synchronized');
    compass.upsertApplication({ id: 'a-new-application', name: 'refused-as-too-large', description: 'a description' });
    h.sims.kube.faults.failNext({
      verb: 'create',
      resource: APPLICATIONS,
      status: 413,
      message: 'Request entity too large: limit is 3145728',
      times: 1,
    });
    const refused = await h.waitFor(
      'the 413 in the status',
      () => {
        const error = h.connection()?.status?.synchronizationStatus?.error;
        return error && /413/.test(error) ? error : undefined;
      },
      30_000,
    );
    t.match(
      refused,
      /refused-as-too-large \(create: .*HTTP 413 \w+: Request entity too large: limit is 3145728; the object is larger than the API server accepts \(3\.0 MiB per request\)/,
    );
    t.notMatch(refused, /reachable/);
    await h.waitForState('Synchronized');
    compass.upsertApplication({ id: 'another-new-application', name: 'too-large-for-etcd', description: 'a description' });
    h.sims.kube.faults.failNext({
      verb: 'create',
      resource: APPLICATIONS,
      status: 500,
      message: 'etcdserver: request is too large',
      times: 1,
    });
    const etcd = await h.waitFor(
      'the etcd refusal in the status',
      () => {
        const error = h.connection()?.status?.synchronizationStatus?.error;
        return error && /etcdserver/.test(error) ? error : undefined;
      },
      30_000,
    );
    t.match(etcd, /HTTP 500 InternalError: etcdserver: request is too large; the object is larger than etcd stores \(about 1\.5 MiB\)/);
    t.notMatch(etcd, /reachable/);
    await ledger.assertNoLeaks(t, h);
  });
});
