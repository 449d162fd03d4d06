// The simulator's mutual-TLS host refuses client certificates as the real gateway does (Istio MUTUAL:
// Envoy on BoringSSL): with the TLS alert of the verification error, in TLS 1.2 and TLS 1.3, checked
// with openssl s_client as an independent client and against a real OpenSSL server (openssl s_server
// -Verify) given the same kinds of certificates. A revoked certificate passes the handshake and gets
// the Connector's authentication error; a refused handshake never reaches the Connector.
import t from 'tap';
import type { Test } from 'tap';
import { spawn } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCompassSim } from '../../sim/compass/index.js';
import {
  createCertificateAuthority,
  issueCertificate,
  issueClientCertificate,
  issueServerCertificate,
} from '../../sim/tls/certificate-authority.js';
import { agentFor, configurationQuery, csrPem, post, signQuery, subjectFor, testKey } from './compass-client.js';

const dir = mkdtempSync(join(tmpdir(), 'gateway-tls-alerts-'));
const file = (name: string, content?: string) => {
  const path = join(dir, name);
  if (content !== undefined) writeFileSync(path, content, { mode: 0o600 });
  return path;
};

interface Handshake {
  /** The alert the client received (its number), if any. */
  alert?: number;
  /** The HTTP status line, when the request got an answer. */
  status?: string;
  output: string;
}

/** openssl s_client sends one GET to the Connector and reports the alert or the HTTP answer. */
function sClient(
  port: number,
  version: 'tls1_2' | 'tls1_3',
  serverCa: string,
  credentials?: { cert: string; key: string },
  extra: string[] = [],
): Promise<Handshake> {
  const args = [
    's_client',
    '-connect',
    `127.0.0.1:${port}`,
    '-servername',
    'localhost',
    '-CAfile',
    serverCa,
    `-${version}`,
    ...(credentials ? ['-cert', credentials.cert, '-key', credentials.key] : []),
    ...extra,
  ];
  const child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  child.stdin.on('error', () => {});
  const query = encodeURIComponent('{ result: configuration { token { token } } }');
  child.stdin.write(`GET /connector/graphql?query=${query} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n`);
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill(), 20_000);
    child.on('close', () => {
      clearTimeout(timer);
      const alert = /alert number (\d+)/.exec(output)?.[1];
      const status = /^HTTP\/1\.1 \d+/m.exec(output)?.[0];
      resolve({ alert: alert ? Number(alert) : undefined, status, output });
    });
  });
}

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** A real OpenSSL server that requires a client certificate of `caFile` (verification errors are fatal). */
async function openSslServer(t: Test, version: 'tls1_2' | 'tls1_3', cert: string, key: string, caFile: string): Promise<number> {
  const port = await freePort();
  const child = spawn(
    'openssl',
    [
      's_server',
      '-accept',
      String(port),
      '-cert',
      cert,
      '-key',
      key,
      '-CAfile',
      caFile,
      '-Verify',
      '1',
      '-verify_return_error',
      `-${version}`,
      '-www',
    ],
    { stdio: ['pipe', 'pipe', 'pipe'] },
  );
  t.teardown(() => child.kill());
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`openssl s_server did not start: ${seen}`)), 20_000);
    child.stdout.on('data', (chunk) => {
      seen += chunk;
      if (seen.includes('ACCEPT')) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return port;
}

t.test('the mutual-TLS host answers certificates with the alerts of a real TLS server', async (t) => {
  const sim = await startCompassSim({ certificateValidityMs: 10 * 60_000 });
  const plain = agentFor(sim.serverCaPem);
  t.teardown(async () => {
    await plain.close();
    await sim.close();
  });
  const mtlsPort = Number(new URL(sim.certSecuredConnectorUrl).port);
  const serverCa = file('server-ca.pem', sim.serverCaPem);

  // A certificate from the Connector, as the agent gets one.
  const pair = async () => {
    const minted = sim.control.mintToken();
    const config = await post(sim.connectorUrl, plain, configurationQuery, { 'Connector-Token': minted.token });
    const csr = Buffer.from(await csrPem(subjectFor(minted.clientId))).toString('base64');
    const signed = await post(sim.connectorUrl, plain, signQuery, { 'Connector-Token': config.json.data.result.token.token }, { csr });
    return Buffer.from(signed.json.data.result.clientCertificate, 'base64').toString();
  };
  const key = file('client.key', (await testKey()).keyPem);
  const valid = { cert: file('valid.pem', await pair()), key };
  const revokedPem = await pair();
  const revoked = { cert: file('revoked.pem', revokedPem), key };
  const expired = { cert: file('expired.pem', await pair()), key };
  const foreignCa = await createCertificateAuthority('foreign-ca');
  const foreignIssued = await issueClientCertificate(foreignCa, 'CN=intruder, O=Org, OU=OrgUnit, L=locality, ST=province, C=DE');
  const foreign = { cert: file('foreign.pem', foreignIssued.certPem), key: file('foreign.key', foreignIssued.keyPem) };

  // The reference: a real OpenSSL server, its own CA, an expired certificate by real time.
  const referenceCa = await createCertificateAuthority('reference-ca');
  const referenceServer = await issueServerCertificate(referenceCa, 'localhost');
  const referenceExpiredKey = await issueClientCertificate(referenceCa, 'CN=expired');
  const referenceExpiredCert = await issueCertificate(referenceCa, {
    subject: 'CN=expired',
    publicKey: referenceExpiredKey.cert.publicKey,
    clientAuth: true,
    notBefore: new Date(Date.now() - 3 * 86_400_000),
    notAfter: new Date(Date.now() - 86_400_000),
  });
  const reference = {
    ca: file('reference-ca.pem', referenceCa.certPem),
    cert: file('reference-server.pem', referenceServer.certPem),
    key: file('reference-server.key', referenceServer.keyPem),
    valid: { cert: file('reference-valid.pem', referenceExpiredKey.certPem), key: file('reference-valid.key', referenceExpiredKey.keyPem) },
    expired: { cert: file('reference-expired.pem', referenceExpiredCert.toString('pem') + '\n'), key: file('reference-valid.key') },
  };

  const callsBefore = () => sim.control.callLog().filter((c) => c.surface === 'connector-mtls').length;

  for (const version of ['tls1_2', 'tls1_3'] as const) {
    await t.test(`${version}: no certificate and a foreign CA answered as a real OpenSSL server answers them`, async (t) => {
      const referencePort = await openSslServer(t, version, reference.cert, reference.key, reference.ca);
      const expected = {
        none: (await sClient(referencePort, version, reference.ca)).alert,
        foreign: (await sClient(referencePort, version, reference.ca, foreign)).alert,
        expired: (await sClient(referencePort, version, reference.ca, reference.expired)).alert,
        valid: await sClient(referencePort, version, reference.ca, reference.valid),
      };
      t.same(
        expected,
        { none: version === 'tls1_3' ? 116 : 40, foreign: 48, expired: 45, valid: expected.valid },
        'the real server: certificate required / handshake failure, unknown ca, certificate expired',
      );
      t.equal(expected.valid.alert, undefined, 'the real server accepts its own valid certificate');

      const before = callsBefore();
      const none = await sClient(mtlsPort, version, serverCa);
      t.equal(none.alert, expected.none, `no certificate: alert ${expected.none}, as the real server`);
      t.match(none.output, version === 'tls1_3' ? /alert certificate required/ : /alert handshake failure/);
      const refusedForeign = await sClient(mtlsPort, version, serverCa, foreign);
      t.equal(refusedForeign.alert, 48, 'a foreign CA: alert 48 unknown ca, as the real server');
      t.match(refusedForeign.output, /alert unknown ca/);
      t.equal(refusedForeign.status, undefined, 'and no HTTP answer');
      t.equal(callsBefore(), before, 'refused handshakes never reach the Connector');

      const accepted = await sClient(mtlsPort, version, serverCa, valid);
      t.equal(accepted.alert, undefined, "the Connector's certificate passes");
      t.equal(accepted.status, 'HTTP/1.1 200');
      t.match(accepted.output, /"token":\{"token":"/, 'and the Connector answers with a fresh token');
    });
  }

  await t.test('TLS 1.3 alerts are encrypted under each cipher suite a client may choose', async (t) => {
    for (const suite of ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256']) {
      const result = await sClient(mtlsPort, 'tls1_3', serverCa, foreign, ['-ciphersuites', suite]);
      t.equal(result.alert, 48, `${suite}: the client decrypts alert 48`);
    }
  });

  await t.test("a revoked certificate passes the handshake and gets the Connector's authentication error", async (t) => {
    sim.control.revokeCertificate(createHash('sha256').update(new X509Certificate(revokedPem).raw).digest('hex'));
    for (const version of ['tls1_2', 'tls1_3'] as const) {
      const result = await sClient(mtlsPort, version, serverCa, revoked);
      t.equal(result.alert, undefined, `${version}: no alert`);
      t.equal(result.status, 'HTTP/1.1 200', `${version}: an HTTP answer`);
      t.match(result.output, /Failed to authenticate request\. Token authentication error/, `${version}: the Connector's error`);
    }
  });

  await t.test('a certificate expired on the simulator clock: alert 45 certificate expired', async (t) => {
    sim.control.advanceClock(10 * 60_000 + 1_000);
    for (const version of ['tls1_2', 'tls1_3'] as const) {
      const result = await sClient(mtlsPort, version, serverCa, expired);
      t.equal(result.alert, 45, `${version}: alert 45`);
      t.match(result.output, /alert certificate expired/);
    }
  });
});
