// The simulator faults for the security tests: an answer that echoes the one-time token (as a careless
// gateway would) and a `configuration` answer that names plain http:// management URLs.
import t from 'tap';
import { startCompassSim } from '../../sim/compass/index.js';
import { validateFaultSpec } from '../../sim/compass/faults.js';
import { agentFor, configurationQuery, post } from './compass-client.js';

const sim = await startCompassSim();
const plain = agentFor(sim.serverCaPem);
t.teardown(async () => {
  await plain.close();
  await sim.close();
});

t.test('echo-token answers with the token the request carried, as an error body or a GraphQL error', async (t) => {
  const token = 'short-token-1';
  sim.control.armFault({ operation: 'configuration', kind: 'echo-token' });
  const refused = await post(sim.connectorUrl, plain, configurationQuery, { 'Connector-Token': token });
  t.equal(refused.status, 401, 'default 401');
  t.same(refused.json, { error: { code: 401, status: 'Unauthorized', message: `one-time token ${token} is not valid` } });
  sim.control.armFault({ operation: 'configuration', kind: 'echo-token', status: 200 });
  const graphql = await post(sim.connectorUrl, plain, configurationQuery, { 'Connector-Token': token });
  t.same(graphql.json, { errors: [{ message: `Failed to authenticate with one time token ${token}`, path: ['result'] }], data: null });
  sim.control.armFault({ operation: 'configuration', kind: 'echo-token' });
  t.match(
    (await post(`${sim.connectorUrl}?token=${token}-q`, plain, configurationQuery)).json.error.message,
    `${token}-q`,
    'the ?token= parameter too',
  );
  t.notOk(JSON.stringify(sim.control.callLog()).includes(token), 'the call log still never holds a token');
  t.equal(sim.control.callLog().at(-1)!.faults[0], 'echo-token');
});

t.test('http-management-info names the real URLs as http://, on another origin when asked', async (t) => {
  const token = sim.mintToken();
  sim.control.armFault({ operation: 'configuration', kind: 'http-management-info' });
  const info = (await post(sim.connectorUrl, plain, configurationQuery, { 'Connector-Token': token })).json.data.result.managementPlaneInfo;
  t.same(info, {
    directorURL: sim.directorUrl.replace('https:', 'http:'),
    certificateSecuredConnectorURL: sim.certSecuredConnectorUrl.replace('https:', 'http:'),
  });
  sim.control.armFault({ operation: 'configuration', kind: 'http-management-info', httpOrigin: 'http://127.0.0.1:1' });
  const moved = (await post(sim.connectorUrl, plain, configurationQuery, { 'Connector-Token': sim.mintToken() })).json.data.result
    .managementPlaneInfo;
  t.same(moved, {
    directorURL: 'http://127.0.0.1:1/director/graphql',
    certificateSecuredConnectorURL: 'http://127.0.0.1:1/connector/graphql',
  });
  const next = (await post(sim.connectorUrl, plain, configurationQuery, { 'Connector-Token': sim.mintToken() })).json.data.result
    .managementPlaneInfo;
  t.equal(next.directorURL, sim.directorUrl, 'one use by default');
  t.throws(
    () => validateFaultSpec({ operation: 'configuration', kind: 'http-management-info', httpOrigin: 'https://x' }),
    /fault\.httpOrigin must be an http origin/,
  );
  t.throws(() => validateFaultSpec({ operation: 'configuration', kind: 'http-management-info', httpOrigin: 'http://x/path' }), /no path/);
});
