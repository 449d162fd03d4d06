// Connection faults of the Compass simulator: connection-reset answers a call with a TCP reset (the
// client reads ECONNRESET, no TLS alert, no HTTP answer), only on the armed surface, and a fault with
// durationMs applies to every matching call for that long, then no more.
import t from 'tap';
import { request } from 'node:https';
import { startCompassSim, type CompassSim } from '../../sim/compass/index.js';
import { agentFor, configurationQuery, csrPem, post, signQuery, subjectFor, testKey } from './compass-client.js';

/** One POST over a fresh connection with Node's own client: its error code, or the HTTP status. */
function call(
  sim: CompassSim,
  url: string,
  query: string,
  credentials?: { cert: string; key: string },
  headers: Record<string, string> = {},
): Promise<{ status?: number; code?: string }> {
  return new Promise((resolve) => {
    const body = JSON.stringify({ query });
    const req = request(
      url,
      { method: 'POST', ca: sim.serverCaPem, agent: false, ...credentials, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode }));
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) => resolve({ code: error.code }));
    req.end(body);
  });
}

t.test('connection-reset and fault durations', async (t) => {
  const sim = await startCompassSim();
  const plain = agentFor(sim.serverCaPem);
  t.teardown(async () => {
    await plain.close();
    await sim.close();
  });
  const minted = sim.control.mintToken();
  const config = await post(sim.connectorUrl, plain, configurationQuery, { 'Connector-Token': minted.token });
  const csr = Buffer.from(await csrPem(subjectFor(minted.clientId))).toString('base64');
  const signed = await post(sim.connectorUrl, plain, signQuery, { 'Connector-Token': config.json.data.result.token.token }, { csr });
  const credentials = { cert: Buffer.from(signed.json.data.result.clientCertificate, 'base64').toString(), key: (await testKey()).keyPem };
  const runtimeQuery = `{ runtime(id: "${sim.runtimeId}") { id } }`;

  await t.test('a reset on the certificate-secured Connector leaves the Director on the same host answering', async (t) => {
    sim.control.armFault({ operation: '*', surface: 'connector-mtls', kind: 'connection-reset', count: 2 });
    t.same(
      await call(sim, sim.certSecuredConnectorUrl, configurationQuery, credentials),
      { code: 'ECONNRESET' },
      'the client reads a reset',
    );
    t.same(
      await call(sim, sim.directorUrl, runtimeQuery, credentials, { tenant: sim.tenant }),
      { status: 200 },
      'the Director is not affected',
    );
    t.same(
      await call(sim, sim.certSecuredConnectorUrl, configurationQuery, credentials),
      { code: 'ECONNRESET' },
      'the second call is reset too',
    );
    t.same(await call(sim, sim.certSecuredConnectorUrl, configurationQuery, credentials), { status: 200 }, 'then the count is used up');
    const resets = sim.control
      .callLog()
      .filter((c) => c.surface === 'connector-mtls' && 'rejected' in c.outcome && c.outcome.rejected === 'reset');
    t.equal(resets.length, 2, 'the call log records the two resets');
  });

  await t.test('the token-secured Connector can be reset too', async (t) => {
    sim.control.armFault({ operation: 'configuration', surface: 'connector', kind: 'connection-reset' });
    t.same(await call(sim, sim.connectorUrl, configurationQuery, undefined, { 'connector-token': sim.mintToken() }), {
      code: 'ECONNRESET',
    });
    t.same(
      await call(sim, sim.certSecuredConnectorUrl, configurationQuery, credentials),
      { status: 200 },
      'a fault on one surface leaves the other alone',
    );
  });

  await t.test('durationMs: every matching call in that time, none after', async (t) => {
    const armed = sim.control.armFault({
      operation: '*',
      surface: 'connector-mtls',
      kind: 'connection-reset',
      count: 'unlimited',
      durationMs: 1_500,
    });
    t.ok(armed.until! > Date.now(), 'the fault knows until when it applies');
    let resets = 0;
    while (sim.control.faults().length > 0) {
      const result = await call(sim, sim.certSecuredConnectorUrl, configurationQuery, credentials);
      if (result.code === 'ECONNRESET') {
        resets++;
      } else {
        // The fault may end between the check above and the request's arrival (a loaded machine): an
        // answer is right only if it came after the fault's end.
        t.ok(Date.now() >= armed.until!, `a call was answered only after the fault ended: ${JSON.stringify(result)}`);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    t.ok(resets >= 1, `${resets} calls were reset while the fault lasted`);
    t.same(await call(sim, sim.certSecuredConnectorUrl, configurationQuery, credentials), { status: 200 }, 'after it, calls are answered');
  });

  t.test('fault specs are checked', async (t) => {
    t.throws(
      () => sim.control.armFault({ operation: '*', kind: 'connection-reset', surface: 'gateway' as never }),
      /fault.surface must be one of connector, connector-mtls, director/,
    );
    t.throws(() => sim.control.armFault({ operation: '*', kind: 'connection-reset', durationMs: 0 }), /fault.durationMs/);
  });
});
