// An independent client (openssl + curl, nothing of ours) walks the documented Connector tutorial
// against the simulator: token → configuration → CSR → certificate → mTLS configuration → renewal →
// revocation, and the Director honours the revocation too.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startCompassSim } from '../../sim/compass/index.js';

const run = promisify(execFile);

const configurationQuery =
  '{ result: configuration { token { token } certificateSigningRequestInfo { subject keyAlgorithm } managementPlaneInfo { directorURL certificateSecuredConnectorURL } } }';

t.test('openssl and curl complete the tutorial flow against the simulator', async (t) => {
  const sim = await startCompassSim();
  t.teardown(() => sim.close());
  const dir = mkdtempSync(join(tmpdir(), 'compass-tutorial-'));
  const file = (name: string) => join(dir, name);
  writeFileSync(file('server-ca.pem'), sim.serverCaPem);

  const curl = async (url: string, query: string, extra: string[] = []) => {
    const body = JSON.stringify({ query });
    const { stdout } = await run('curl', [
      '-sS',
      '--cacert',
      file('server-ca.pem'),
      '-H',
      'Content-Type: application/json',
      ...extra,
      '--data-binary',
      body,
      url,
    ]);
    return JSON.parse(stdout) as { data: any; errors?: { message: string }[] };
  };
  const mtls = (cert: string, key: string) => ['--cert', file(cert), '--key', file(key)];
  const csrFor = async (subject: string, name: string) => {
    // "O=Org,OU=OrgUnit,L=locality,ST=province,C=DE,CN=x" → "/C=DE/ST=province/L=locality/O=Org/OU=OrgUnit/CN=x"
    const parts = Object.fromEntries(subject.split(',').map((pair) => pair.split('=') as [string, string]));
    const subj = ['C', 'ST', 'L', 'O', 'OU', 'CN'].map((k) => `/${k}=${parts[k]}`).join('');
    await run('openssl', ['genrsa', '-out', file(`${name}.key`), '2048']);
    await run('openssl', ['req', '-new', '-key', file(`${name}.key`), '-subj', subj, '-out', file(`${name}.csr`)]);
    return readFileSync(file(`${name}.csr`)).toString('base64');
  };
  const sign = async (url: string, csr: string, extra: string[]) => {
    const result = await curl(
      url,
      `mutation { result: signCertificateSigningRequest(csr: "${csr}") { certificateChain caCertificate clientCertificate } }`,
      extra,
    );
    t.same(result.errors, undefined, 'signing succeeds');
    return result.data.result as { certificateChain: string; caCertificate: string; clientCertificate: string };
  };

  const token = sim.mintToken();
  t.match(token, /^[A-Za-z0-9_-]{86}==$/, 'the one-time token is 88 URL-safe base64 characters with padding');

  const config = await curl(sim.connectorUrl, configurationQuery, ['-H', `Connector-Token: ${token}`]);
  const info = config.data.result;
  t.match(info.certificateSigningRequestInfo.subject, /^O=Org,OU=OrgUnit,L=locality,ST=province,C=DE,CN=[0-9a-f-]{36}$/);
  t.equal(info.certificateSigningRequestInfo.keyAlgorithm, 'rsa2048');
  t.same(info.managementPlaneInfo, { directorURL: sim.directorUrl, certificateSecuredConnectorURL: sim.certSecuredConnectorUrl });
  t.not(info.token.token, token, 'configuration returns a fresh token');

  const csr = await csrFor(info.certificateSigningRequestInfo.subject, 'first');
  const issued = await sign(`${sim.connectorUrl}?token=${encodeURIComponent(info.token.token)}`, csr, []);
  const chain = Buffer.from(issued.certificateChain, 'base64').toString();
  writeFileSync(file('first.crt'), Buffer.from(issued.clientCertificate, 'base64'));
  writeFileSync(file('connector-ca.pem'), Buffer.from(issued.caCertificate, 'base64'));
  writeFileSync(file('chain.pem'), chain);
  t.equal(chain.match(/BEGIN CERTIFICATE/g)?.length, 2, 'the chain holds the client and the CA certificate');
  t.ok(chain.startsWith(Buffer.from(issued.clientCertificate, 'base64').toString()), 'the client certificate comes first');
  t.equal(Buffer.from(issued.caCertificate, 'base64').toString(), sim.connectorCaPem);
  const verified = await run('openssl', ['verify', '-CAfile', file('connector-ca.pem'), file('chain.pem')]);
  t.match(verified.stdout, /chain\.pem: OK/, 'openssl verifies the chain against the returned CA');
  const text = (await run('openssl', ['x509', '-in', file('first.crt'), '-noout', '-text'])).stdout;
  t.match(text, /Digital Signature/);
  t.match(text, /TLS Web Client Authentication/);
  t.match(
    text,
    /Subject: C\s?=\s?DE, ST\s?=\s?province, L\s?=\s?locality, O\s?=\s?Org, OU\s?=\s?OrgUnit, CN\s?=\s?[0-9a-f-]{36}/,
    'the subject is the CSR subject, in its order',
  );

  const reused = await curl(sim.connectorUrl, configurationQuery, ['-H', `Connector-Token: ${info.token.token}`]);
  t.match(reused.errors?.[0]?.message, /^Failed to authenticate request\./, 'the CSR token was burned by its single use');

  const certConfig = await curl(sim.certSecuredConnectorUrl, configurationQuery, mtls('first.crt', 'first.key'));
  t.equal(
    certConfig.data.result.certificateSigningRequestInfo.subject,
    info.certificateSigningRequestInfo.subject,
    'the mTLS configuration keeps the CN',
  );
  t.match(certConfig.data.result.token.token, /==$/, 'and still hands out a fresh token');

  const renewedCsr = await csrFor(certConfig.data.result.certificateSigningRequestInfo.subject, 'renewed');
  const renewed = await sign(sim.certSecuredConnectorUrl, renewedCsr, mtls('first.crt', 'first.key'));
  writeFileSync(file('renewed.crt'), Buffer.from(renewed.clientCertificate, 'base64'));
  t.not(renewed.clientCertificate, issued.clientCertificate, 'renewal issues a new certificate');

  const directorQuery = `{ runtime(id: "${sim.runtimeId}") { id status { condition } } }`;
  const before = await curl(sim.directorUrl, directorQuery, [...mtls('first.crt', 'first.key'), '-H', `Tenant: ${sim.tenant}`]);
  t.same(
    before.data,
    { runtime: { id: sim.runtimeId, status: { condition: 'CONNECTED' } } },
    'the Director answers the certificate and marks the runtime CONNECTED',
  );

  const revoked = await curl(sim.certSecuredConnectorUrl, 'mutation { result: revokeCertificate }', mtls('first.crt', 'first.key'));
  t.same(revoked, { data: { result: true } });
  const afterRevocation = await curl(sim.certSecuredConnectorUrl, configurationQuery, mtls('first.crt', 'first.key'));
  t.match(
    afterRevocation.errors?.[0]?.message,
    /^Failed to authenticate request\./,
    'the revoked certificate is unauthenticated on the Connector',
  );
  const directorRevoked = await curl(sim.directorUrl, directorQuery, mtls('first.crt', 'first.key'));
  t.match(
    directorRevoked.errors?.[0],
    { message: /^Unauthorized/, extensions: { error_code: 26, error: 'Unauthorized' } },
    'and on the Director',
  );
  const renewedWorks = await curl(sim.directorUrl, directorQuery, mtls('renewed.crt', 'renewed.key'));
  t.equal(renewedWorks.data.runtime.id, sim.runtimeId, 'the renewed certificate keeps working');
  const hashes = sim.control.issuedCertificates().filter((c) => c.revoked);
  t.equal(hashes.length, 1, 'exactly the presenting certificate is revoked');

  const noCert = await run('curl', ['-sS', '--cacert', file('server-ca.pem'), '--data-binary', '{}', sim.directorUrl]).then(
    () => 'answered',
    (error: { stderr: string }) => error.stderr,
  );
  t.not(noCert, 'answered', 'without a client certificate the mTLS host gives no HTTP answer');
});
