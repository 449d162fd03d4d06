// The simulated Connector: one-time tokens (single use, lifetimes on the simulator clock, restart),
// CSR checks in the upstream order with the upstream messages, error shapes and HTTP statuses,
// and the mutual-TLS host's handshake rules.
import t from 'tap';
import { createHash } from 'node:crypto';
import { startCompassSim } from '../../sim/compass/index.js';
import { createCertificateAuthority, issueClientCertificate } from '../../sim/tls/certificate-authority.js';
import { agentFor, configurationQuery, csrPem, post, signQuery, subjectFor, type ClientCredentials } from './compass-client.js';

const authFailed =
  'Failed to authenticate request. Token authentication error: Failed to authenticate with one time token.. Certificate authentication error: Failed to authenticate with Certificate. Invalid subject.';
const signing = 'Error while signing Certificate Signing Request';

t.test('the Connector', async (t) => {
  const sim = await startCompassSim({ certificateValidityMs: 60_000 });
  const plain = agentFor(sim.serverCaPem);
  t.teardown(async () => {
    await plain.close();
    await sim.close();
  });
  const withToken = (token: string) => ({ 'Connector-Token': token });
  const b64 = (text: string) => Buffer.from(text).toString('base64');

  const pair = async (): Promise<ClientCredentials & { clientId: string; sha256: string }> => {
    const minted = sim.control.mintToken();
    const config = await post(sim.connectorUrl, plain, configurationQuery, withToken(minted.token));
    const pem = await csrPem(subjectFor(minted.clientId));
    const signed = await post(sim.connectorUrl, plain, signQuery, withToken(config.json.data.result.token.token), { csr: b64(pem) });
    const certPem = Buffer.from(signed.json.data.result.clientCertificate, 'base64').toString();
    const der = Buffer.from(certPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    const { keyPem } = await (await import('./compass-client.js')).testKey();
    return { certPem, keyPem, clientId: minted.clientId, sha256: createHash('sha256').update(der).digest('hex') };
  };

  await t.test('authentication errors carry the upstream messages, a path and no extensions', async (t) => {
    const config = await post(sim.connectorUrl, plain, configurationQuery);
    t.equal(config.status, 200);
    t.same(config.json, { errors: [{ message: authFailed, path: ['result'] }], data: null });
    const sign = await post(sim.connectorUrl, plain, signQuery, withToken('not-a-token'), { csr: 'eA==' });
    t.same(sign.json.errors, [{ message: `Failed to authenticate with token: ${authFailed}`, path: ['result'] }]);
    const revoke = await post(sim.connectorUrl, plain, 'mutation { result: revokeCertificate }', withToken(sim.mintToken()));
    t.same(revoke.json, {
      errors: [
        { message: 'Failed to authenticate with certificate: Failed to authenticate with Certificate. Invalid subject.', path: ['result'] },
      ],
      data: null,
    });
  });

  await t.test('a token works once, also through ?token=, and configuration always returns a fresh one', async (t) => {
    const token = sim.mintToken();
    const first = await post(`${sim.connectorUrl}?token=${encodeURIComponent(token)}`, plain, configurationQuery);
    const fresh = first.json.data.result.token.token as string;
    t.match(fresh, /^[A-Za-z0-9_-]{86}==$/);
    const again = await post(sim.connectorUrl, plain, configurationQuery, withToken(token));
    t.equal(again.json.errors[0].message, authFailed, 'the runtime token is used up');
    const next = await post(sim.connectorUrl, plain, configurationQuery, withToken(fresh));
    t.not(next.json.data.result.token.token, fresh, 'each call hands out another token');
    t.equal(
      next.json.data.result.certificateSigningRequestInfo.subject,
      first.json.data.result.certificateSigningRequestInfo.subject,
      'for the same client id',
    );
  });

  await t.test('each minted runtime token is a new system auth, hence a new CN', async (t) => {
    const a = sim.control.mintToken();
    const b = sim.control.mintToken();
    t.not(a.clientId, b.clientId);
    t.equal(JSON.parse(a.raw).connectorURL, sim.connectorUrl);
    t.equal(Buffer.from(a.rawEncoded, 'base64').toString(), a.raw);
  });

  await t.test('a token is burned at resolution even when the call then fails', async (t) => {
    const token = sim.mintToken();
    const bad = await post(sim.connectorUrl, plain, signQuery, withToken(token), { csr: '!!!' });
    t.match(bad.json.errors[0].message, /^Error while decoding Certificate Signing Request/);
    const reuse = await post(sim.connectorUrl, plain, configurationQuery, withToken(token));
    t.equal(reuse.json.errors[0].message, authFailed);
  });

  await t.test('runtime tokens live 60 minutes and CSR tokens 5 minutes on the simulator clock', async (t) => {
    const runtimeToken = sim.mintToken();
    const spare = sim.mintToken();
    const config = await post(sim.connectorUrl, plain, configurationQuery, withToken(spare));
    const csrToken = config.json.data.result.token.token as string;
    const laterCsrToken = (await post(sim.connectorUrl, plain, configurationQuery, withToken(csrToken))).json.data.result.token
      .token as string;
    sim.control.advanceClock(5 * 60_000 + 1_000);
    t.equal(
      (await post(sim.connectorUrl, plain, configurationQuery, withToken(laterCsrToken))).json.errors[0].message,
      authFailed,
      'CSR token expired after 5 minutes',
    );
    const stillValid = sim.mintToken();
    sim.control.advanceClock(55 * 60_000);
    t.equal(
      (await post(sim.connectorUrl, plain, configurationQuery, withToken(runtimeToken))).json.errors[0].message,
      authFailed,
      'runtime token expired after 60 minutes',
    );
    t.ok(
      (await post(sim.connectorUrl, plain, configurationQuery, withToken(stillValid))).json.data.result,
      'a 55-minute-old runtime token still works',
    );
  });

  await t.test('wiping the token store (a Connector restart) invalidates outstanding tokens', async (t) => {
    const token = sim.mintToken();
    t.ok(sim.control.wipeTokens() >= 1);
    t.equal((await post(sim.connectorUrl, plain, configurationQuery, withToken(token))).json.errors[0].message, authFailed);
  });

  await t.test('CSR checks run in the upstream order with the upstream messages', async (t) => {
    const attempt = async (csrFor: (clientId: string) => Promise<string> | string) => {
      const minted = sim.control.mintToken();
      const answer = await post(sim.connectorUrl, plain, signQuery, withToken(minted.token), { csr: await csrFor(minted.clientId) });
      t.equal(answer.json.data, null);
      return answer.json.errors[0].message as string;
    };
    t.equal(
      await attempt(() => 'not base64!'),
      'Error while decoding Certificate Signing Request: Error while parsing base64 content. Incorrect value provided.',
    );
    t.equal(await attempt(() => b64('plain text, no PEM')), `${signing}: Error while decoding pem block.`);
    t.match(
      await attempt(() => b64('-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n')),
      `${signing}: Error while parsing CSR: `,
    );
    t.equal(
      await attempt(async (id) => {
        const pem = await csrPem(subjectFor(id));
        const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
        der[der.length - 1] ^= 0xff; // corrupt the signature
        return b64(`-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`);
      }),
      `${signing}: CSR signature invalid: crypto/rsa: verification error`,
    );
    t.equal(await attempt(async () => b64(await csrPem(subjectFor('someone-else')))), `${signing}: CSR: Invalid common name provided.`);
    const labels: Record<string, string> = { C: 'country', O: 'organization', OU: 'organizational unit', L: 'locality', ST: 'province' };
    for (const [field, label] of Object.entries(labels)) {
      t.equal(await attempt(async (id) => b64(await csrPem(subjectFor(id, { [field]: null })))), `${signing}: CSR: No ${label} provided.`);
      t.equal(
        await attempt(async (id) => b64(await csrPem(subjectFor(id, { [field]: 'Wrong' })))),
        `${signing}: CSR: Invalid ${label} provided.`,
      );
    }
    // The first failing check wins: a wrong CN is reported before a wrong country.
    t.equal(await attempt(async () => b64(await csrPem(subjectFor('x', { C: 'PL' })))), `${signing}: CSR: Invalid common name provided.`);
    // Line-wrapped base64, as `openssl base64` prints it, is accepted.
    const minted = sim.control.mintToken();
    const wrapped = (b64(await csrPem(subjectFor(minted.clientId))).match(/.{1,64}/g) ?? []).join('\n');
    t.ok((await post(sim.connectorUrl, plain, signQuery, withToken(minted.token), { csr: wrapped })).json.data.result.clientCertificate);
  });

  await t.test('HTTP statuses: 422 for invalid queries, 400 for malformed JSON, 405 for other methods', async (t) => {
    const parseError = await post(sim.connectorUrl, plain, 'query { configuration(');
    t.equal(parseError.status, 422);
    t.match(parseError.json, { errors: [{ message: /Syntax Error/ }], data: null });
    const invalid = await post(sim.connectorUrl, plain, 'query { nothing }');
    t.equal(invalid.status, 422);
    t.match(invalid.json.errors[0].message, /Cannot query field "nothing"/);
    const { fetch } = await import('undici');
    const badJson = await fetch(sim.connectorUrl, {
      method: 'POST',
      dispatcher: plain,
      body: '{"query":',
      headers: { 'content-type': 'application/json' },
    });
    t.equal(badJson.status, 400);
    await badJson.text();
    const put = await fetch(sim.connectorUrl, { method: 'PUT', dispatcher: plain, body: '{}' });
    t.equal(put.status, 405);
    await put.text();
    const get = await fetch(`${sim.connectorUrl}?query=${encodeURIComponent('{ configuration { token { token } } }')}`, {
      dispatcher: plain,
    });
    t.equal(get.status, 200, 'GET with ?query= is served');
    t.match(await get.json(), { errors: [{ message: authFailed }] });
  });

  await t.test('the mTLS host: certificate identity, renewal, revocation, and handshake rejections', async (t) => {
    const credentials = await pair();
    const mtls = agentFor(sim.serverCaPem, credentials);
    t.teardown(() => mtls.close());
    const config = await post(sim.certSecuredConnectorUrl, mtls, configurationQuery);
    t.match(config.json.data.result.certificateSigningRequestInfo.subject, new RegExp(`CN=${credentials.clientId}$`));
    const renewal = await post(
      sim.certSecuredConnectorUrl,
      mtls,
      signQuery,
      {},
      { csr: b64(await csrPem(subjectFor(credentials.clientId))) },
    );
    t.ok(renewal.json.data.result.certificateChain, 'renewal over mTLS');
    const wrongCn = await post(sim.certSecuredConnectorUrl, mtls, signQuery, {}, { csr: b64(await csrPem(subjectFor('other'))) });
    t.equal(wrongCn.json.errors[0].message, `${signing}: CSR: Invalid common name provided.`, 'renewal keeps the CN');
    const tokenOnMtls = await post(
      sim.certSecuredConnectorUrl,
      agentFor(sim.serverCaPem),
      configurationQuery,
      withToken(sim.mintToken()),
    ).catch((e: Error) => e);
    t.type(tokenOnMtls, Error, 'no client certificate: the handshake is refused, tokens do not help');

    const foreignCa = await createCertificateAuthority('foreign');
    const foreign = await issueClientCertificate(foreignCa, `CN=${credentials.clientId}, O=Org, OU=OrgUnit, L=locality, ST=province, C=DE`);
    const foreignAgent = agentFor(sim.serverCaPem, foreign);
    t.teardown(() => foreignAgent.close());
    await t.rejects(
      post(sim.certSecuredConnectorUrl, foreignAgent, configurationQuery),
      'a certificate of a foreign CA fails the handshake',
    );

    const revoke = await post(sim.certSecuredConnectorUrl, mtls, 'mutation { result: revokeCertificate }');
    t.same(revoke.json, { data: { result: true } });
    t.ok(
      sim.control.issuedCertificates().some((c) => c.sha256 === credentials.sha256 && c.revoked),
      'the revoked hash is the SHA-256 of the DER',
    );
    const afterRevoke = await post(sim.certSecuredConnectorUrl, mtls, configurationQuery);
    t.equal(afterRevoke.json.errors[0].message, authFailed);
    const revokeAgain = await post(sim.certSecuredConnectorUrl, mtls, 'mutation { result: revokeCertificate }');
    t.match(revokeAgain.json.errors[0].message, /^Failed to authenticate with certificate/);

    // Issued with a 60 s validity (the option): one more minute on the simulator clock expires it.
    const fresh = await pair();
    const freshAgent = agentFor(sim.serverCaPem, fresh);
    t.teardown(() => freshAgent.close());
    t.ok((await post(sim.certSecuredConnectorUrl, freshAgent, configurationQuery)).json.data.result);
    const issued = sim.control.issuedCertificates().find((c) => c.sha256 === fresh.sha256)!;
    t.equal(Date.parse(issued.notAfter) - Date.parse(issued.notBefore), 60_000, 'validity follows certificateValidityMs');
    sim.control.advanceClock(61_000);
    const expiredAgent = agentFor(sim.serverCaPem, fresh);
    t.teardown(() => expiredAgent.close());
    await t.rejects(
      post(sim.certSecuredConnectorUrl, expiredAgent, configurationQuery),
      'an expired certificate (simulator clock) fails the handshake',
    );
  });
});
