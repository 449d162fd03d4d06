// The Connector client against the Compass simulator over real TLS: token flow, renewal, revocation,
// TLS verification and rejection, timeouts, and secret-free errors.
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { getEventListeners } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { startCompassSim } from '../../sim/compass/index.js';
import { createCertificateAuthority, issueClientCertificate } from '../../sim/tls/certificate-authority.js';
import { validateOperation, upstreamSchemaDir } from '../helpers/compass-schema.js';
import {
  CONFIGURATION_QUERY,
  REVOKE_CERTIFICATE_MUTATION,
  SIGN_CSR_MUTATION,
  CertificateSecuredConnector,
  TokenSecuredConnector,
  checkConnection,
  establishConnection,
  renewCertificate,
  revokeCertificate,
} from '../../adapters/compass/connector-client.js';
import { CompassError } from '../../adapters/compass/compass-error.js';
import { GraphQLTransport } from '../../adapters/compass/graphql-transport.js';
import { compassErrorKind } from '../../src/agent/compass-effects.js';
import { keyMatchesCertificate, parseCertificates } from '../../adapters/pki/certificate.js';

const KEY_BITS = 2048;
const dir = mkdtempSync(join(tmpdir(), 'connector-client-'));

const sim = await startCompassSim();
t.teardown(() => sim.close());
const tls = { caPem: sim.serverCaPem, runtimeId: sim.runtimeId };

/** Everything that must never show up in an error message. */
const secrets: string[] = [];
function assertNoSecrets(
  t: { fail(message: string): void; notMatch(found: unknown, pattern: RegExp, message: string): unknown },
  error: unknown,
  label: string,
) {
  const text = `${(error as Error).message}\n${JSON.stringify(error)}`;
  for (const secret of secrets) {
    for (const line of secret.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) {
      if (text.includes(line)) {
        t.fail(`${label}: error contains secret material`);
        return;
      }
    }
  }
  t.notMatch(text, /-----BEGIN|LS0tLS1CRUdJT/, `${label}: no PEM in the error`);
}

async function rejection(promise: Promise<unknown>): Promise<CompassError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CompassError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

const token = sim.mintToken();
secrets.push(token);
const connection = await establishConnection({ ...tls, connectorUrl: sim.connectorUrl, token, keyBits: KEY_BITS });
secrets.push(connection.privateKeyPem, connection.credentials.clientCertificatePem, connection.credentials.certificateChainPem);
const clientCertificate = { keyPem: connection.privateKeyPem, certificateChainPem: connection.credentials.certificateChainPem };

t.test(
  'every Connector operation validates against the upstream schema',
  { skip: upstreamSchemaDir() ? false : 'upstream schemas (../shared/spec/compass-schemas) absent' },
  async (t) => {
    for (const [name, text] of Object.entries({ CONFIGURATION_QUERY, SIGN_CSR_MUTATION, REVOKE_CERTIFICATE_MUTATION })) {
      t.same(validateOperation('connector', text), [], name);
    }
  },
);

t.test('token flow: configuration, CSR with the returned token, certificate from the Connector CA', async (t) => {
  t.same(connection.managementInfo, { directorUrl: sim.directorUrl, connectorUrl: sim.certSecuredConnectorUrl });
  const caFile = join(dir, 'connector-ca.pem');
  writeFileSync(caFile, sim.connectorCaPem);
  const certFile = join(dir, 'client.pem');
  writeFileSync(certFile, connection.credentials.clientCertificatePem);
  t.match(execFileSync('openssl', ['verify', '-CAfile', caFile, certFile]).toString(), /client\.pem: OK/);
  const subject = execFileSync('openssl', ['x509', '-in', certFile, '-noout', '-subject']).toString();
  t.match(
    subject,
    /^subject=C\s?=\s?\w+, ST\s?=.*, L\s?=.*, O\s?=.*, OU\s?=.*, CN\s?=\s?[0-9a-f-]{36}\n$/,
    'subject as requested, one RDN per attribute',
  );
  t.equal(parseCertificates(connection.credentials.certificateChainPem).length, 2, 'chain: client + CA');
  t.equal(connection.credentials.caCertificatePem.trim(), sim.connectorCaPem.trim());
  t.ok(keyMatchesCertificate(connection.privateKeyPem, connection.credentials.clientCertificatePem));
  t.match(connection.privateKeyPem, /^-----BEGIN RSA PRIVATE KEY-----/);
  t.ok(connection.credentials.certificate.notAfter > connection.credentials.certificate.notBefore);

  const calls = sim.control.callLog().filter((c) => c.surface === 'connector');
  t.same(
    calls.map((c) => c.operations),
    [['configuration'], ['signCertificateSigningRequest']],
  );
  for (const call of calls)
    t.match(call.headers['x-request-id'], new RegExp(`^${sim.runtimeId}_[0-9a-f-]{36}$`), 'x-request-id <runtimeId>_<uuid>');
  t.not(calls[0].headers['x-request-id'], calls[1].headers['x-request-id'], 'one id per request');
});

t.test('a used token is rejected, and the error does not contain it', async (t) => {
  const error = await rejection(establishConnection({ ...tls, connectorUrl: sim.connectorUrl, token, keyBits: KEY_BITS }));
  t.equal(error.kind, 'rejected');
  t.equal(error.operation, 'configuration');
  t.equal(error.status, 200);
  t.match(error.message, /Failed to fetch the configuration from the token-secured Connector: .*Failed to authenticate/);
  t.notOk(error.message.includes(token));
  assertNoSecrets(t, error, 'used token');
  await t.rejects(new TokenSecuredConnector({ ...tls, url: sim.connectorUrl }).configuration(''), {
    name: 'TypeError',
    message: /needs a one-time token/,
  });
});

t.test('signCertificateSigningRequest with a burned token is rejected', async (t) => {
  const connector = new TokenSecuredConnector({ ...tls, url: sim.connectorUrl });
  t.teardown(() => connector.close());
  const fresh = sim.mintToken();
  const configuration = await connector.configuration(fresh);
  t.match(configuration.subject, /CN=/);
  t.equal(configuration.keyAlgorithm, 'rsa2048');
  const error = await rejection(connector.signCertificateSigningRequest(fresh, Buffer.from('x').toString('base64')));
  t.equal(error.kind, 'rejected', 'the original token was consumed by configuration');
  t.match(error.message, /Failed to authenticate with token/);
});

t.test('renewal over mutual TLS yields a new certificate for the same client', async (t) => {
  const renewed = await renewCertificate({ ...tls, connectorUrl: sim.certSecuredConnectorUrl, clientCertificate, keyBits: KEY_BITS });
  secrets.push(renewed.privateKeyPem);
  t.not(renewed.credentials.certificate.sha256Fingerprint, connection.credentials.certificate.sha256Fingerprint);
  t.not(renewed.privateKeyPem, connection.privateKeyPem, 'a new key');
  t.equal(renewed.credentials.certificate.subject, connection.credentials.certificate.subject, 'same subject (CN = client id)');
  t.same(renewed.managementInfo, connection.managementInfo);
  const mtlsCalls = sim.control.callLog().filter((c) => c.surface === 'connector-mtls');
  t.ok(
    mtlsCalls.every((c) => c.headers['connector-token'] === undefined),
    'no token header on the certificate-secured endpoint',
  );
  const renewedCert = { keyPem: renewed.privateKeyPem, certificateChainPem: renewed.credentials.certificateChainPem };
  t.same(
    await checkConnection({ ...tls, connectorUrl: sim.certSecuredConnectorUrl, clientCertificate: renewedCert }),
    connection.managementInfo,
    'the new certificate works',
  );
});

t.test('revocation: the revoked certificate can no longer fetch the configuration', async (t) => {
  const fresh = await establishConnection({ ...tls, connectorUrl: sim.connectorUrl, token: sim.mintToken(), keyBits: KEY_BITS });
  const certificate = { keyPem: fresh.privateKeyPem, certificateChainPem: fresh.credentials.certificateChainPem };
  t.same(
    await checkConnection({ ...tls, connectorUrl: sim.certSecuredConnectorUrl, clientCertificate: certificate }),
    fresh.managementInfo,
  );
  await revokeCertificate({ ...tls, connectorUrl: sim.certSecuredConnectorUrl, clientCertificate: certificate });
  const error = await rejection(checkConnection({ ...tls, connectorUrl: sim.certSecuredConnectorUrl, clientCertificate: certificate }));
  // The gateway lets a revoked certificate through the handshake; the Connector refuses it.
  t.equal(error.kind, 'rejected', 'the Connector refuses the revoked certificate with its own error');
  t.equal(error.tlsRejected, false, 'not in the handshake');
  t.match(error.message, /Failed to authenticate request/);
  t.equal(compassErrorKind(error), 'rejected', 'the agent takes it for a rejection');
  const renewal = await rejection(
    renewCertificate({ ...tls, connectorUrl: sim.certSecuredConnectorUrl, clientCertificate: certificate, keyBits: KEY_BITS }),
  );
  t.match(renewal.message, /Failed to fetch the configuration from the certificate-secured Connector/);
  assertNoSecrets(t, renewal, 'revoked');
});

t.test('revokeCertificate through the token endpoint (no certificate) is refused', async (t) => {
  const transport = new GraphQLTransport({ ...tls, url: sim.connectorUrl });
  t.teardown(() => transport.close());
  const error = await rejection(transport.request(REVOKE_CERTIFICATE_MUTATION, {}, { operation: 'revokeCertificate' }));
  t.equal(error.kind, 'rejected');
  t.match(error.message, /Failed to authenticate with certificate/);
});

t.test('a foreign client certificate is refused by a TLS alert; a missing one is not a rejection of ours', async (t) => {
  const foreignCa = await createCertificateAuthority('foreign-ca');
  const foreign = await issueClientCertificate(foreignCa, 'CN=intruder, O=Org');
  secrets.push(foreign.keyPem);
  const error = await rejection(
    checkConnection({
      ...tls,
      connectorUrl: sim.certSecuredConnectorUrl,
      clientCertificate: { keyPem: foreign.keyPem, certificateChainPem: foreign.certPem },
    }),
  );
  t.equal(error.kind, 'unreachable');
  t.equal(error.tlsRejected, true);
  t.equal(error.code, 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
  t.match(error.message, /the server refused our client certificate in the TLS handshake \(alert "unknown ca"/);
  t.equal(compassErrorKind(error), 'rejected');
  assertNoSecrets(t, error, 'foreign certificate');

  const transport = new GraphQLTransport({ ...tls, url: sim.certSecuredConnectorUrl });
  t.teardown(() => transport.close());
  const none = await rejection(transport.request(CONFIGURATION_QUERY, {}, { operation: 'configuration' }));
  t.equal(none.kind, 'unreachable');
  t.equal(none.tlsRejected, false, 'no certificate of ours was refused');
  t.match(none.message, /alert "certificate required".*requires a client certificate/);
  t.equal(compassErrorKind(none), 'unreachable');
});

t.test('the certificate-secured Connector failing without refusing the certificate is no rejection', async (t) => {
  const fresh = await establishConnection({ ...tls, connectorUrl: sim.connectorUrl, token: sim.mintToken(), keyBits: KEY_BITS });
  const clientCertificate = { keyPem: fresh.privateKeyPem, certificateChainPem: fresh.credentials.certificateChainPem };
  const check = () => rejection(checkConnection({ ...tls, timeoutMs: 1000, connectorUrl: sim.certSecuredConnectorUrl, clientCertificate }));
  const cases = [
    {
      fault: { kind: 'connection-reset' as const },
      kind: 'unreachable',
      message: /the server closed the connection \(ECONNRESET\) without an answer or a TLS alert/,
    },
    { fault: { kind: 'tls-reject' as const }, kind: 'unreachable', message: /the server closed the connection/ },
    { fault: { kind: 'delay' as const, delayMs: 3000 }, kind: 'unreachable', message: /no answer within 1000 ms/ },
    { fault: { kind: 'timeout' as const }, kind: 'invalid-response', message: /HTTP 503/ },
    { fault: { kind: 'http-status' as const, status: 502 }, kind: 'invalid-response', message: /HTTP 502/ },
    { fault: { kind: 'http-status' as const, status: 403, body: 'denied' }, kind: 'invalid-response', message: /HTTP 403/ },
    { fault: { kind: 'graphql-error' as const, message: 'internal error' }, kind: 'graphql', message: /internal error/ },
  ];
  for (const c of cases) {
    sim.control.armFault({ operation: 'configuration', surface: 'connector-mtls', ...c.fault });
    const error = await check();
    t.equal(error.kind, c.kind, `${c.fault.kind}: kind`);
    t.equal(error.tlsRejected, false, `${c.fault.kind}: the certificate was not refused`);
    t.match(error.message, c.message, `${c.fault.kind}: message`);
    t.not(compassErrorKind(error), 'rejected', `${c.fault.kind}: not a rejection for the agent`);
  }
  t.same(
    await checkConnection({ ...tls, connectorUrl: sim.certSecuredConnectorUrl, clientCertificate }),
    fresh.managementInfo,
    'the certificate still works',
  );
});

t.test('server verification is on by default; insecureSkipVerify turns it off', async (t) => {
  const untrusting = new TokenSecuredConnector({ url: sim.connectorUrl });
  t.teardown(() => untrusting.close());
  const fresh = sim.mintToken();
  secrets.push(fresh);
  const error = await rejection(untrusting.configuration(fresh));
  t.equal(error.kind, 'unreachable');
  t.equal(error.serverUntrusted, true);
  t.match(error.message, /server certificate .* is not trusted \(UNABLE_TO_VERIFY_LEAF_SIGNATURE\).*NODE_EXTRA_CA_CERTS/);
  t.notOk(error.message.includes(fresh));

  // An explicit `ca` replaces Node's defaults; NODE_EXTRA_CA_CERTS must still count.
  const extraFile = join(dir, 'extra-ca.pem');
  writeFileSync(extraFile, sim.serverCaPem);
  const unrelated = await createCertificateAuthority('unrelated-ca');
  const saved = process.env.NODE_EXTRA_CA_CERTS;
  process.env.NODE_EXTRA_CA_CERTS = extraFile;
  const viaEnv = new TokenSecuredConnector({ url: sim.connectorUrl, caPem: unrelated.certPem });
  if (saved === undefined) delete process.env.NODE_EXTRA_CA_CERTS;
  else process.env.NODE_EXTRA_CA_CERTS = saved;
  t.teardown(() => viaEnv.close());
  t.ok((await viaEnv.configuration(sim.mintToken())).token, 'trusted through NODE_EXTRA_CA_CERTS next to an explicit CA');

  const skipping = new TokenSecuredConnector({ url: sim.connectorUrl, insecureSkipVerify: true });
  t.teardown(() => skipping.close());
  const configuration = await skipping.configuration(fresh);
  t.ok(configuration.token, 'the unverified connection works when asked for');
});

t.test('each request has its own timeout', async (t) => {
  const connector = new TokenSecuredConnector({ ...tls, url: sim.connectorUrl, timeoutMs: 1000 });
  t.teardown(() => connector.close());
  sim.control.armFault({ operation: 'configuration', kind: 'delay', delayMs: 3000 });
  const slow = sim.mintToken();
  const error = await rejection(connector.configuration(slow));
  t.equal(error.kind, 'unreachable');
  t.equal(error.timedOut, true);
  t.match(error.message, /no answer within 1000 ms/);
  // the same client works afterwards: the timeout was not a one-shot signal in the shared config
  const configuration = await connector.configuration(sim.mintToken());
  t.ok(configuration.token);
});

t.test('a caller signal cancels the request', async (t) => {
  const connector = new TokenSecuredConnector({ ...tls, url: sim.connectorUrl });
  t.teardown(() => connector.close());
  sim.control.armFault({ operation: 'configuration', kind: 'delay', delayMs: 1000 });
  const controller = new AbortController();
  const pending = connector.configuration(sim.mintToken(), controller.signal);
  setTimeout(() => controller.abort(), 50);
  const error = await rejection(pending);
  t.equal(error.kind, 'aborted');
});

t.test("a request listens on the caller's signal while it runs, and leaves nothing on it once settled", async (t) => {
  const connector = new TokenSecuredConnector({ ...tls, url: sim.connectorUrl, timeoutMs: 500 });
  t.teardown(() => connector.close());
  const controller = new AbortController();
  const listeners = () => getEventListeners(controller.signal, 'abort').length;

  sim.control.armFault({ operation: 'configuration', kind: 'delay', delayMs: 200 });
  const answered = connector.configuration(sim.mintToken(), controller.signal);
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.equal(listeners(), 1, 'in flight: one listener, which cancels the request');
  t.ok((await answered).token, 'answered');
  t.equal(listeners(), 0, 'answered: none');

  sim.control.armFault({ operation: 'configuration', kind: 'delay', delayMs: 2000 });
  const late = await rejection(connector.configuration(sim.mintToken(), controller.signal));
  t.equal(late.timedOut, true, 'the deadline passed');
  t.equal(listeners(), 0, 'timed out: none');

  const failed = await rejection(connector.configuration('not-a-token', controller.signal));
  t.equal(failed.kind, 'rejected', 'refused by the Connector');
  t.equal(listeners(), 0, 'failed: none');
  t.notOk(controller.signal.aborted, 'the caller never aborted');
});

t.test('transport faults map to error kinds with the HTTP status kept', async (t) => {
  const connector = new TokenSecuredConnector({ ...tls, url: sim.connectorUrl });
  t.teardown(() => connector.close());
  const cases = [
    {
      fault: { operation: 'configuration', kind: 'timeout' as const },
      kind: 'invalid-response',
      status: 503,
      message: /HTTP 503 without a GraphQL answer\. Body: \{"Message":"operation has timed out"\}/,
    },
    {
      fault: { operation: 'configuration', kind: 'http-status' as const, status: 500 },
      kind: 'invalid-response',
      status: 500,
      message: /HTTP 500/,
    },
    {
      fault: { operation: 'configuration', kind: 'http-status' as const, status: 401, body: 'no' },
      kind: 'invalid-response',
      status: 401,
      message: /HTTP 401/,
    },
    {
      fault: { operation: 'configuration', kind: 'malformed-json' as const },
      kind: 'invalid-response',
      status: undefined,
      message: /not a GraphQL result/,
    },
    {
      fault: { operation: 'configuration', kind: 'graphql-error' as const, message: 'boom' },
      kind: 'graphql',
      status: 200,
      message: /HTTP 200, boom\./,
    },
    {
      fault: { operation: 'configuration', kind: 'tls-reject' as const },
      kind: 'unreachable',
      status: undefined,
      message: /closed the connection/,
    },
  ];
  for (const c of cases) {
    sim.control.armFault(c.fault);
    const fresh = sim.mintToken();
    const error = await rejection(connector.configuration(fresh));
    t.equal(error.kind, c.kind, `${c.fault.kind}: kind`);
    if (c.status !== undefined) t.equal(error.status, c.status, `${c.fault.kind}: status`);
    t.match(error.message, c.message, `${c.fault.kind}: message`);
    t.notOk(error.message.includes(fresh), `${c.fault.kind}: no token`);
  }
});

t.test('an unreachable endpoint and a bad URL are reported clearly', async (t) => {
  const port = await new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
  const closed = new TokenSecuredConnector({ ...tls, url: `https://127.0.0.1:${port}/connector/graphql?token=secret-token-value` });
  t.teardown(() => closed.close());
  const error = await rejection(closed.configuration('abc'));
  t.equal(error.kind, 'unreachable');
  t.equal(error.code, 'ECONNREFUSED');
  t.equal(error.endpoint, `https://127.0.0.1:${port}/connector/graphql`, 'query string dropped');
  t.notMatch(error.message, /secret-token-value/);
  t.throws(() => new TokenSecuredConnector({ url: 'not a url' }), { name: 'TypeError', message: /not a valid URL/ });
  t.throws(() => new TokenSecuredConnector({ url: 'ftp://x/y' }), { message: /must be an https URL/ });
  await closed.close();
  await t.rejects(closed.configuration('abc'), { message: /is closed/ });
});

t.test('the certificate-secured connector can be used as an object, too', async (t) => {
  const renewed = await renewCertificate({ ...tls, connectorUrl: sim.certSecuredConnectorUrl, clientCertificate, keyBits: KEY_BITS });
  const connector = new CertificateSecuredConnector({
    ...tls,
    url: sim.certSecuredConnectorUrl,
    clientCertificate: { keyPem: renewed.privateKeyPem, certificateChainPem: renewed.credentials.certificateChainPem },
  });
  t.teardown(() => connector.close());
  const configuration = await connector.configuration();
  t.ok(configuration.subject);
  t.ok(configuration.token, 'a follow-up token comes with certificate-secured configuration too');
});
