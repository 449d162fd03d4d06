// Acceptance: a CompassConnection edit alone cannot redirect the agent. The URLs it resumes with come
// from beside the key in the client-certificate Secret (written only from the Connector's answers);
// spec.managementInfo is a projection of them. A cluster left by the Go agent (no URLs in that
// Secret, the URLs only in the CR) takes the token flow instead of trusting the CR.
import t from 'tap';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHarness, CLIENT_SECRET } from '../helpers/agent-harness.js';
import { SecretLedger, calls, clientCertificate, editConnectionSpec, sleep } from '../helpers/connection-checks.js';
import { startArrivalRecorder } from '../helpers/arrival-recorder.js';
import { TS_LOADER } from '../helpers/ts-loader.js';

const NO_RETRY = { APP_RETRY_INITIAL_DELAY: '2m', APP_RETRY_MAX_DELAY: '5m' };
const CLI = fileURLToPath(new URL('../../src/cli.ts', import.meta.url));

/** `runtime-agent revoke` as a process (the TypeScript sources through scripts/ts-loader.mjs). */
function revoke(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(
    process.execPath,
    [TS_LOADER, '--input-type=module', '-e', `const cli = await import(${JSON.stringify(CLI)}); await cli.main(['revoke']);`],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

t.test('the management info after a restart comes from the agent Secret, not from the CR', async (t) => {
  const h = await startHarness({ apps: 1 });
  t.teardown(() => h.close());
  const recorder = await startArrivalRecorder();
  t.teardown(() => recorder.close());
  const ledger = new SecretLedger();
  const compass = h.sims.compass.control;
  const real = { connectorUrl: h.sims.compass.certSecuredConnectorUrl, directorUrl: h.sims.compass.directorUrl };
  const elsewhere = { connectorUrl: `${recorder.httpsOrigin}/connector/graphql`, directorUrl: `${recorder.httpsOrigin}/director/graphql` };
  const patchCr = (managementInfo: typeof real) => editConnectionSpec(h, { managementInfo });

  ledger.addToken(await h.writeConfigSecret());
  h.startAgent();
  await h.waitForState('Synchronized');
  t.same(
    { directorUrl: h.secretData(CLIENT_SECRET)?.directorUrl, connectorUrl: h.secretData(CLIENT_SECRET)?.connectorUrl },
    { directorUrl: real.directorUrl, connectorUrl: real.connectorUrl },
    'the Connector URLs are stored beside the key',
  );

  await t.test('the CR patched to another host, then a restart: that host receives nothing', async (t) => {
    await h.stopAgent();
    await patchCr(elsewhere);
    compass.clearCallLog();
    const certificate = clientCertificate(h)!.sha256;
    h.startAgent();
    await h.waitFor('a maintenance cycle and a synchronization over the stored URLs', () =>
      calls(h, 'connector-mtls', 'configuration').length > 0 && calls(h, 'director', 'applicationsForRuntime').length > 0
        ? true
        : undefined,
    );
    const cr = await h.waitFor('the CR copy written back from the stored URLs', () => {
      const current = h.connection();
      return current?.spec.managementInfo?.connectorUrl === real.connectorUrl && current.status?.connectionState === 'Synchronized'
        ? current
        : undefined;
    });
    t.same(cr.spec.managementInfo, real, 'spec.managementInfo is a projection of what the agent stored');
    await sleep(500);
    t.equal(recorder.connections, 0, 'the host named in the edited CR received nothing');
    t.equal(clientCertificate(h)?.sha256, certificate, 'the same certificate, no token needed');
    t.equal(calls(h, 'connector', 'configuration').length, 0, 'no token flow');
  });

  await t.test('the CR patched while the agent runs: not used, and put back', async (t) => {
    await patchCr(elsewhere);
    const cycles = await h.waitForSyncCycles(2);
    t.ok(
      cycles.every((c) => c.result === 'Synchronized'),
      'synchronizations go on over the stored URLs',
    );
    await h.waitFor('the CR copy put back', () =>
      h.connection()?.spec.managementInfo?.directorUrl === real.directorUrl ? true : undefined,
    );
    t.equal(recorder.connections, 0, 'the other host received nothing');
    await ledger.assertNoLeaks(t, h);
  });

  await t.test('a cluster left by the Go agent (URLs only in the CR): the token flow, not the CR', async (t) => {
    await h.stopAgent();
    const secret = h.sims.kube.get('v1', 'Secret', CLIENT_SECRET.name, CLIENT_SECRET.namespace)!;
    const { directorUrl: _d, connectorUrl: _c, ...goAgentData } = secret.data as Record<string, string>;
    t.same(Object.keys(goAgentData).sort(), ['crt', 'crtChain', 'key'], 'what the Go agent leaves in that Secret');
    await h.sims.kube.update({ ...secret, data: goAgentData });
    await patchCr(real);
    compass.clearCallLog();
    const goCertificate = clientCertificate(h)!.sha256;
    h.startAgent(NO_RETRY);
    const cr = await h.waitForState('ConnectionFailed');
    t.match(cr.status?.connectionStatus?.error, /^Failed to retrieve certificate: /, 'the used token was tried and refused');
    t.match(
      cr.status?.connectionStatus?.error,
      /the certificate in Secret kyma-system\/cluster-client-certificates was not resumed: that Secret holds no management info written by this agent \(a cluster left by the Go agent, or the keys were removed\), and the URLs in the CompassConnection are not trusted because editing the CR must not redirect the agent; put a fresh one-time token into Secret kyma-system\/compass-agent-configuration$/,
      'the status says why and what to do',
    );
    t.equal(calls(h, 'connector-mtls', 'configuration').length, 0, 'nothing was sent to the URLs in the CR');
    t.equal(calls(h, 'director', 'applicationsForRuntime').length, 0);
    t.equal(
      h.sims.kube.list('applicationconnector.kyma-project.io/v1alpha1', 'Application').length,
      1,
      'the Applications are kept meanwhile',
    );

    ledger.addToken(await h.writeConfigSecret());
    await h.waitFor('Synchronized with a new certificate', () =>
      h.connection()?.status?.connectionState === 'Synchronized' && clientCertificate(h)?.sha256 !== goCertificate ? true : undefined,
    );
    t.same(
      { directorUrl: h.secretData(CLIENT_SECRET)?.directorUrl, connectorUrl: h.secretData(CLIENT_SECRET)?.connectorUrl },
      { directorUrl: real.directorUrl, connectorUrl: real.connectorUrl },
      'from then on the URLs are stored beside the key',
    );
    t.equal(recorder.connections, 0);
    await ledger.assertNoLeaks(t, h);
  });

  await t.test('`runtime-agent revoke` with the CR patched to another host revokes at the stored URL', async (t) => {
    await h.stopAgent();
    await patchCr(elsewhere);
    const caFile = join(h.dir, 'compass-ca.pem');
    writeFileSync(caFile, h.sims.compass.serverCaPem);
    const certificate = clientCertificate(h)!.sha256;
    const result = await revoke({ KUBECONFIG: h.kubeconfigPath, NODE_EXTRA_CA_CERTS: caFile });
    t.equal(result.code, 0, `revoke succeeded: ${result.stderr}`);
    t.match(result.stdout, `at ${real.connectorUrl}`);
    t.ok(compass.issuedCertificates().find((c) => c.sha256 === certificate)?.revoked, 'the real Connector revoked the certificate');
    t.equal(recorder.connections, 0, 'the host in the CR received nothing');
  });
});
