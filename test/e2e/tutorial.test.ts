// The seed's tutorial, as an operator does it: the Secret applied with kubectl, the agent reaching
// Synchronized, and `kubectl delete compassconnection` with a fresh token bringing it back.
import t from 'tap';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startHarness, CONFIG_SECRET, CLIENT_SECRET, CA_SECRET } from '../helpers/agent-harness.js';

t.test('a Secret applied with kubectl brings the agent to Synchronized; deleting the CR with a fresh token reconnects', async (t) => {
  const h = await startHarness({ apps: 3 });
  t.teardown(() => h.close());
  const token = h.sims.compass.mintToken();
  const manifest = join(h.dir, 'config-secret.yaml');
  writeFileSync(
    manifest,
    [
      'apiVersion: v1',
      'kind: Secret',
      `metadata: {name: ${CONFIG_SECRET.name}, namespace: ${CONFIG_SECRET.namespace}}`,
      'stringData:',
      `  CONNECTOR_URL: ${h.sims.compass.connectorUrl}`,
      `  RUNTIME_ID: ${h.sims.compass.runtimeId}`,
      `  TENANT: ${h.sims.compass.tenant}`,
      `  TOKEN: "${token}"`,
      '',
    ].join('\n'),
  );
  t.match(await h.kubectl('apply', '-f', manifest), /secret\/compass-agent-configuration created/);

  h.startAgent();
  const synced = await h.waitForState('Synchronized');
  t.equal(
    synced.spec.managementInfo?.connectorUrl,
    h.sims.compass.certSecuredConnectorUrl,
    'spec carries the certificate-secured Connector',
  );
  t.equal(synced.spec.managementInfo?.directorUrl, h.sims.compass.directorUrl);
  t.ok(synced.status?.connectionStatus?.established, 'established timestamp');
  t.match(String(synced.status?.connectionStatus?.certificateStatus?.notAfter), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'RFC 3339 seconds');
  const client = h.secretData(CLIENT_SECRET);
  t.match(client?.key, /^-----BEGIN RSA PRIVATE KEY-----/, 'PKCS#1 key');
  t.match(client?.crt, /^-----BEGIN CERTIFICATE-----/);
  t.match(client?.crtChain, /-----END CERTIFICATE-----[\s\S]*-----BEGIN CERTIFICATE-----/, 'chain of two');
  t.match(h.secretData(CA_SECRET)?.cacert, /^-----BEGIN CERTIFICATE-----/);

  const table = await h.kubectl('get', 'compassconnection');
  t.match(table, /compass-connection\s+Synchronized/, 'kubectl get shows the state column');
  const apps = await h.kubectl('get', 'applications', '-o', 'name');
  t.equal(apps.trim().split('\n').length, 3, 'three Application resources');

  const firstCertificate = client?.crt;
  await h.writeConfigSecret(); // a fresh token
  t.match(await h.kubectl('delete', 'compassconnection', 'compass-connection'), /deleted/);
  const back = await h.waitFor('a new compass-connection', () => {
    const cr = h.connection();
    return cr?.status?.connectionState === 'Synchronized' && h.secretData(CLIENT_SECRET)?.crt !== firstCertificate ? cr : undefined;
  });
  t.ok(back, 'the CR is back, Synchronized, with a new certificate from the new token');
  for (const line of h.logs) {
    t.notMatch(line, token, 'the token never reaches the log');
    t.notMatch(line, /BEGIN (RSA )?PRIVATE KEY|BEGIN CERTIFICATE/, 'no key or certificate in the log');
  }
});
