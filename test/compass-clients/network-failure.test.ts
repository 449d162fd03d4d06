// What a failed connection says: only a TLS alert that calls the client certificate bad, unsupported,
// unknown, expired or revoked refuses the certificate; resets, closed sockets, timeouts and other
// alerts do not. The errors are Node's own, in TLS 1.2 (the alert during the handshake, EPROTO with the
// alert in the message) and TLS 1.3 (the alert on the first read, ERR_SSL_..._ALERT_... codes),
// captured against the simulator's mutual-TLS host.
import t from 'tap';
import { request } from 'node:https';
import { describeNetworkFailure } from '../../adapters/compass/network-failure.js';
import { startCompassSim, type CompassSim } from '../../sim/compass/index.js';
import { createCertificateAuthority, issueClientCertificate } from '../../sim/tls/certificate-authority.js';
import { agentFor, configurationQuery, csrPem, post, signQuery, subjectFor, testKey } from '../compass-sim/compass-client.js';

t.test('each code and message', async (t) => {
  const cases: Array<[{ code?: string; message?: string }, string, string?]> = [
    [{ code: 'ECONNRESET', message: 'socket hang up' }, 'closed'],
    [{ code: 'ECONNRESET', message: 'Client network socket disconnected before secure TLS connection was established' }, 'closed'],
    [{ code: 'EPIPE' }, 'closed'],
    [{ code: 'ETIMEDOUT' }, 'other'],
    [{ code: 'ECONNREFUSED' }, 'other'],
    [{ code: 'ENOTFOUND' }, 'other'],
    [{ code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'server-untrusted'],
    [{ code: 'CERT_HAS_EXPIRED' }, 'server-untrusted'],
    [{ code: 'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE' }, 'certificate-refused', 'bad certificate'],
    [{ code: 'ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE' }, 'certificate-refused', 'unsupported certificate'],
    [{ code: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_REVOKED' }, 'certificate-refused', 'certificate revoked'],
    [{ code: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED' }, 'certificate-refused', 'certificate expired'],
    [{ code: 'ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN' }, 'certificate-refused', 'certificate unknown'],
    [{ code: 'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA' }, 'certificate-refused', 'unknown ca'],
    [
      {
        code: 'EPROTO',
        message:
          'write EPROTO 80AC:error:0A000415:SSL routines:ssl3_read_bytes:sslv3 alert certificate expired:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 45',
      },
      'certificate-refused',
      'certificate expired',
    ],
    [
      {
        code: 'EPROTO',
        message:
          'write EPROTO 80AC:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 48',
      },
      'certificate-refused',
      'unknown ca',
    ],
    [{ code: 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE' }, 'tls-alert', 'handshake failure'],
    [
      {
        code: 'EPROTO',
        message:
          'write EPROTO 80AC:error:0A000410:SSL routines:ssl3_read_bytes:sslv3 alert handshake failure:../deps/openssl/openssl/ssl/record/rec_layer_s3.c:1605:SSL alert number 40',
      },
      'tls-alert',
      'handshake failure',
    ],
    [{ code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' }, 'tls-alert', 'certificate required'],
    [{ code: 'ERR_SSL_TLSV1_ALERT_ACCESS_DENIED' }, 'tls-alert', 'access denied'],
    [{ code: 'ERR_SSL_TLSV1_ALERT_INTERNAL_ERROR' }, 'tls-alert', 'internal error'],
    [{ code: 'ERR_SSL_TLSV1_ALERT_PROTOCOL_VERSION' }, 'tls-alert', 'protocol version'],
    [{}, 'other'],
  ];
  for (const [cause, kind, alert] of cases) {
    const failure = describeNetworkFailure(cause);
    t.equal(failure.kind, kind, `${cause.code ?? 'no code'} ${cause.message?.slice(0, 60) ?? ''}: ${kind}`);
    if (alert) t.equal((failure as { alert?: string }).alert, alert, `  alert "${alert}"`);
  }
});

/** One POST over a fresh connection with Node's own client, pinned to a TLS version: the error, if any. */
function failureOf(
  sim: CompassSim,
  version: 'TLSv1.2' | 'TLSv1.3',
  credentials?: { cert: string; key: string },
): Promise<NodeJS.ErrnoException | undefined> {
  return new Promise((resolve) => {
    const req = request(
      sim.certSecuredConnectorUrl,
      {
        method: 'POST',
        ca: sim.serverCaPem,
        agent: false,
        minVersion: version,
        maxVersion: version,
        ...credentials,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(undefined));
      },
    );
    req.on('error', (error) => resolve(error));
    req.end(JSON.stringify({ query: configurationQuery }));
  });
}

t.test("the errors Node reports for the gateway's answers, in TLS 1.2 and TLS 1.3", async (t) => {
  const sim = await startCompassSim({ certificateValidityMs: 60_000 });
  const plain = agentFor(sim.serverCaPem);
  t.teardown(async () => {
    await plain.close();
    await sim.close();
  });
  const minted = sim.control.mintToken();
  const config = await post(sim.connectorUrl, plain, configurationQuery, { 'Connector-Token': minted.token });
  const csr = Buffer.from(await csrPem(subjectFor(minted.clientId))).toString('base64');
  const signed = await post(sim.connectorUrl, plain, signQuery, { 'Connector-Token': config.json.data.result.token.token }, { csr });
  const valid = { cert: Buffer.from(signed.json.data.result.clientCertificate, 'base64').toString(), key: (await testKey()).keyPem };
  const foreignIssued = await issueClientCertificate(await createCertificateAuthority('foreign'), 'CN=intruder');
  const foreign = { cert: foreignIssued.certPem, key: foreignIssued.keyPem };

  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    t.equal(await failureOf(sim, version, valid), undefined, `${version}: the Connector's certificate is answered`);
    const refused = await failureOf(sim, version, foreign);
    t.match(
      describeNetworkFailure(refused!),
      { kind: 'certificate-refused', alert: 'unknown ca' },
      `${version}: a foreign CA (${refused?.code})`,
    );
    const none = await failureOf(sim, version);
    t.match(
      describeNetworkFailure(none!),
      { kind: 'tls-alert', alert: version === 'TLSv1.3' ? 'certificate required' : 'handshake failure' },
      `${version}: no certificate (${none?.code})`,
    );
    sim.control.armFault({ operation: '*', surface: 'connector-mtls', kind: 'connection-reset' });
    const reset = await failureOf(sim, version, valid);
    t.match(describeNetworkFailure(reset!), { kind: 'closed', code: 'ECONNRESET' }, `${version}: a reset`);
  }
  sim.control.advanceClock(61_000);
  for (const version of ['TLSv1.2', 'TLSv1.3'] as const) {
    const expired = await failureOf(sim, version, valid);
    t.match(
      describeNetworkFailure(expired!),
      { kind: 'certificate-refused', alert: 'certificate expired' },
      `${version}: expired on the simulator clock (${expired?.code})`,
    );
  }
});
