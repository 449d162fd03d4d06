// The Compass clients against the simulator and a recording listener: plain http refused before
// anything is sent (and sent when the lab setting allows it), insecure connections announced, local
// encoding failures not blamed on Compass, echoed tokens and huge error bodies kept out of errors.
import t from 'tap';
import { startCompassSim } from '../../sim/compass/index.js';
import { CertificateSecuredConnector, TokenSecuredConnector, establishConnection } from '../../adapters/compass/connector-client.js';
import { CompassError } from '../../adapters/compass/compass-error.js';
import { GraphQLTransport, MAX_UPSTREAM_TEXT } from '../../adapters/compass/graphql-transport.js';
import { forgetRegisteredSecrets, registerSecret } from '../../adapters/redaction.js';
import { startArrivalRecorder } from '../helpers/arrival-recorder.js';

const KEY_BITS = 2048;
const sim = await startCompassSim();
t.teardown(() => sim.close());
const tls = { caPem: sim.serverCaPem, runtimeId: sim.runtimeId };
const recorder = await startArrivalRecorder();
t.teardown(() => recorder.close());

async function rejection(promise: Promise<unknown>): Promise<CompassError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CompassError) return error;
    throw error;
  }
  throw new Error('expected the call to fail');
}

function thrown(run: () => unknown): CompassError {
  try {
    run();
  } catch (error) {
    if (error instanceof CompassError) return error;
    throw error;
  }
  throw new Error('expected a throw');
}

t.test('an http:// Compass URL is refused before anything is sent; the lab setting lets it through', async (t) => {
  const url = `${recorder.httpOrigin}/connector/graphql`;
  const refused = thrown(() => new TokenSecuredConnector({ ...tls, url, urlSource: 'CONNECTOR_URL of Secret kyma-system/x' }));
  t.equal(refused.kind, 'insecure-url');
  t.match(
    refused.message,
    /refused the plain http URL http:\/\/127\.0\.0\.1:\d+\/connector\/graphql \(CONNECTOR_URL of Secret kyma-system\/x\)/,
  );
  t.match(refused.message, /APP_ALLOW_INSECURE_COMPASS_HTTP=true/, 'the error names the lab setting');
  t.equal(
    thrown(() => new GraphQLTransport({ url: url.toUpperCase().replace('HTTP:', 'http:') })).kind,
    'insecure-url',
    'whatever the letter case',
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  t.equal(recorder.connections, 0, 'nothing arrived at the listener');

  const warnings: string[] = [];
  const allowed = new TokenSecuredConnector({ ...tls, url, allowPlainHttp: true, onInsecureConnection: (w) => warnings.push(w) });
  t.teardown(() => allowed.close());
  const error = await rejection(allowed.configuration('lab-token-value'));
  t.equal(error.status, 503, 'the listener answered');
  t.equal(recorder.arrivals.length, 1, 'with the lab setting the request goes out');
  t.match(recorder.arrivals[0].httpHead, /^POST \/connector\/graphql HTTP\/1\.1/);
  t.match(recorder.arrivals[0].httpHead, /connector-token: lab-token-value/i, 'in cleartext: which is why it is refused by default');
  t.same(warnings, [`insecure connection to Compass ${url}: plain http, unencrypted`], 'the new connection is announced');
});

t.test('skipping TLS verification announces every new connection, and only new ones', async (t) => {
  const warnings: string[] = [];
  const transport = new GraphQLTransport({
    url: sim.connectorUrl,
    insecureSkipVerify: true,
    onInsecureConnection: (w) => warnings.push(w),
  });
  t.teardown(() => transport.close());
  const verified = new GraphQLTransport({ ...tls, url: sim.connectorUrl, onInsecureConnection: (w) => warnings.push(`verified: ${w}`) });
  t.teardown(() => verified.close());
  for (let i = 0; i < 3; i++) {
    await rejection(transport.request('query { configuration { token { token } } }', {}, { operation: 'configuration' }));
    await rejection(verified.request('query { configuration { token { token } } }', {}, { operation: 'configuration' }));
  }
  t.same(
    warnings,
    [`insecure connection to Compass ${sim.connectorUrl}: the server certificate is not verified (APP_SKIP_COMPASS_TLS_VERIFY)`],
    'one warning for one kept-alive connection; none for the verified client',
  );
});

t.test('http:// management URLs in the Connector answer are refused before the CSR is signed', async (t) => {
  sim.control.clearCallLog();
  sim.control.armFault({ operation: 'configuration', kind: 'http-management-info', httpOrigin: recorder.httpOrigin });
  const error = await rejection(establishConnection({ ...tls, connectorUrl: sim.connectorUrl, token: sim.mintToken(), keyBits: KEY_BITS }));
  t.equal(error.kind, 'insecure-url');
  t.match(
    error.message,
    /answered with an insecure URL: refused the plain http URL http:\/\/127\.0\.0\.1:\d+\/director\/graphql \(managementPlaneInfo\.directorURL/,
  );
  t.same(
    sim.control.callLog().flatMap((c) => c.operations),
    ['configuration'],
    'no signCertificateSigningRequest followed',
  );
  t.equal(recorder.connections, 1, 'and nothing more arrived at the listener (the one earlier arrival was the lab case)');

  const issued = await establishConnection({ ...tls, connectorUrl: sim.connectorUrl, token: sim.mintToken(), keyBits: KEY_BITS });
  sim.control.armFault({ operation: 'configuration', kind: 'http-management-info' });
  const connector = new CertificateSecuredConnector({
    ...tls,
    url: sim.certSecuredConnectorUrl,
    clientCertificate: { keyPem: issued.privateKeyPem, certificateChainPem: issued.credentials.certificateChainPem },
  });
  t.teardown(() => connector.close());
  const maintenance = await rejection(connector.configuration());
  t.equal(maintenance.kind, 'insecure-url', 'the certificate-secured answer too');
  const lab = new CertificateSecuredConnector({
    ...tls,
    allowPlainHttp: true,
    url: sim.certSecuredConnectorUrl,
    clientCertificate: { keyPem: issued.privateKeyPem, certificateChainPem: issued.credentials.certificateChainPem },
  });
  t.teardown(() => lab.close());
  sim.control.armFault({ operation: 'configuration', kind: 'http-management-info' });
  t.match((await lab.configuration()).managementInfo.directorUrl, /^http:\/\//, 'accepted with the lab setting');
});

t.test('a request the agent cannot encode is its own failure, not an answer from Compass', async (t) => {
  sim.control.clearCallLog();
  const connector = new TokenSecuredConnector({ ...tls, url: sim.connectorUrl });
  t.teardown(() => connector.close());
  for (const token of ['token-with-a-\nline-break', 'token-with-\u0100-wide-character']) {
    const error = await rejection(connector.configuration(token));
    t.equal(error.kind, 'local', JSON.stringify(token));
    t.match(error.message, /the agent could not encode the request/);
    t.match(error.message, /nothing was sent and Compass is not to blame/);
    t.notMatch(error.message, /answer|Compass refused/);
    t.notMatch(error.message, /token-with/, 'the value is not repeated');
  }
  t.same(sim.control.callLog(), [], 'nothing reached the simulator');
});

t.test('a token echoed by an error body is removed by value, short or JWT-shaped; long bodies are cut', async (t) => {
  t.teardown(() => forgetRegisteredSecrets());
  const connector = new TokenSecuredConnector({ ...tls, url: sim.connectorUrl });
  t.teardown(() => connector.close());
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJydW50aW1lIn0.c2lnbmF0dXJl';
  for (const token of ['s3cr3t-short', jwt, sim.mintToken()]) {
    for (const status of [401, 200, 500]) {
      sim.control.armFault({ operation: 'configuration', kind: 'echo-token', status });
      const error = await rejection(connector.configuration(token));
      const text = `${error.message} ${JSON.stringify(error)}`;
      t.notOk(text.includes(token), `HTTP ${status} echo of a ${token.length}-character token: not in the error`);
      t.match(
        error.message,
        status === 200 ? /Failed to authenticate with one time token \[REDACTED\]/ : /one-time token \[REDACTED\] is not valid/,
      );
    }
  }
  // A token the agent never sent is not registered, but the JWT pattern still catches that shape.
  registerSecret('abc'); // too short to register: messages would be garbled
  sim.control.armFault({
    operation: 'configuration',
    kind: 'http-status',
    status: 502,
    body: `upstream refused eyJhbGciOiJub25lIn0.eyJ4IjoxfQ.abcd: ${'lorem ipsum '.repeat(500)}`,
  });
  const long = await rejection(connector.configuration('another-token'));
  t.ok(long.message.length < MAX_UPSTREAM_TEXT + 400, `a 5 kB body is cut (message of ${long.message.length} characters)`);
  t.match(long.message, /more characters\)/);
  t.match(long.message, /upstream refused \[REDACTED\]: lorem/, 'the JWT-shaped token is caught by its shape');
  sim.control.armFault({ operation: 'configuration', kind: 'graphql-error', message: `bad ${'dolor sit '.repeat(500)}` });
  const graphql = await rejection(connector.configuration('another-token'));
  t.ok(graphql.graphqlErrors[0].message.length <= MAX_UPSTREAM_TEXT + 40, 'a long GraphQL error message is cut');
});
