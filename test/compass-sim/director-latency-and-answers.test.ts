// The simulated Director's settings for measuring a client: a per-request latency, the count of
// requests in flight, faults that name a page by its cursor, and the answers it keeps for the same
// request (the same bytes, until an application, a runtime or a system auth changes, never with a
// fault armed, never for a mutation). Checked with undici as the independent client.
import t from 'tap';
import { startCompassSim } from '../../sim/compass/index.js';
import { validateFaultSpec } from '../../sim/compass/faults.js';
import { agentFor, configurationQuery, csrPem, post, signQuery, subjectFor, testKey } from './compass-client.js';

const appsQuery = `query Apps($rid: ID!, $first: Int, $after: PageCursor) {
  applicationsForRuntime(runtimeID: $rid, first: $first, after: $after) {
    data { id name description }
    pageInfo { startCursor endCursor hasNextPage } totalCount
  }
}`;
const cursor = (offset: number) => Buffer.from(`DpKtJ4j9jDq${offset}`).toString('base64');

t.test('the Director for measurements', async (t) => {
  const sim = await startCompassSim({ apps: 40, seed: 3, pageSize: 10 });
  const plain = agentFor(sim.serverCaPem);
  const minted = sim.control.mintToken();
  const config = await post(sim.connectorUrl, plain, configurationQuery, { 'Connector-Token': minted.token });
  const signed = await post(
    sim.connectorUrl,
    plain,
    signQuery,
    { 'Connector-Token': config.json.data.result.token.token },
    { csr: Buffer.from(await csrPem(subjectFor(minted.clientId))).toString('base64') },
  );
  const certPem = Buffer.from(signed.json.data.result.clientCertificate, 'base64').toString();
  const mtls = agentFor(sim.serverCaPem, { certPem, keyPem: (await testKey()).keyPem });
  t.teardown(async () => {
    await Promise.all([plain.close(), mtls.close()]);
    await sim.close();
  });
  const page = (after?: string) => post(sim.directorUrl, mtls, appsQuery, { Tenant: sim.tenant }, { rid: sim.runtimeId, first: 10, after });

  await t.test('a latency delays every answer; the requests in flight are counted', async (t) => {
    sim.control.setDirectorLatency(60);
    sim.control.resetDirectorInFlight();
    const started = performance.now();
    const answers = await Promise.all([page(), page(cursor(10)), page(cursor(20))]);
    t.ok(performance.now() - started >= 55, 'answered after the latency');
    t.same(
      answers.map((a) => a.status),
      [200, 200, 200],
    );
    t.same(sim.control.directorInFlight(), { current: 0, max: 3 }, 'three at once, none left');
    sim.control.setDirectorLatency(0);
    sim.control.resetDirectorInFlight();
    await page();
    t.same(sim.control.directorInFlight(), { current: 0, max: 1 }, 'the most at once counts afresh after a reset');
    t.throws(() => sim.control.setDirectorLatency(-1), /between 0 and 600000/);
  });

  await t.test('a fault with a cursor hits that page only, whatever comes first', async (t) => {
    sim.control.armFault({ operation: 'applicationsForRuntime', kind: 'http-status', status: 503, after: cursor(20) });
    t.equal((await page()).status, 200);
    t.equal((await page(cursor(10))).status, 200);
    t.equal((await page(cursor(20))).status, 503, 'the page after offset 20');
    t.equal((await page(cursor(20))).status, 200, 'once');
    sim.control.armFault({ operation: 'applicationsForRuntime', kind: 'wrong-total-count', after: '' });
    t.equal((await page()).json.data.applicationsForRuntime.totalCount, 41, 'the first page, named by the empty cursor');
    t.throws(() => validateFaultSpec({ operation: 'applicationsForRuntime', kind: 'graphql-error', after: 7 }), /fault.after/);
  });

  await t.test('the same request gets the same bytes until the data changes', async (t) => {
    const first = await page(cursor(10));
    const again = await page(cursor(10));
    t.equal(again.text, first.text, 'the same answer');
    const app = first.json.data.applicationsForRuntime.data[0];
    sim.control.upsertApplication({ id: app.id, description: 'changed after it was answered' });
    const changed = await page(cursor(10));
    t.equal(
      changed.json.data.applicationsForRuntime.data[0].description,
      'changed after it was answered',
      'an application write is seen at once',
    );
    const bundles = `query B($rid: ID!, $after: PageCursor) { applicationsForRuntime(runtimeID: $rid, first: 10, after: $after) { data { id bundles { data { id name } } } } }`;
    const withBundles = () => post(sim.directorUrl, mtls, bundles, { Tenant: sim.tenant }, { rid: sim.runtimeId, after: cursor(10) });
    const names = async () =>
      ((await withBundles()).json.data.applicationsForRuntime.data[0].bundles.data as { name: string }[]).map((b) => b.name);
    sim.control.upsertBundle(app.id, {
      id: 'b0000000-0000-4000-8000-0000000000f1',
      name: 'added bundle',
      apiDefinitions: [],
      eventDefinitions: [],
    });
    t.ok((await names()).includes('added bundle'), 'so is a bundle added');
    sim.control.removeBundle(app.id, 'b0000000-0000-4000-8000-0000000000f1');
    t.notOk((await names()).includes('added bundle'), 'and one removed');
    sim.control.upsertRuntime({ id: sim.runtimeId, labels: { scenarios: ['OTHER'] } });
    t.equal((await page(cursor(10))).json.data.applicationsForRuntime.totalCount, 0, 'so is a runtime that no longer shares a scenario');
    sim.control.upsertRuntime({ id: sim.runtimeId, labels: { scenarios: ['DEFAULT'] } });
    t.equal((await page(cursor(10))).json.data.applicationsForRuntime.totalCount, 40);
    sim.control.armFault({ operation: 'applicationsForRuntime', kind: 'truncated-page' });
    t.equal(
      (await page(cursor(10))).json.data.applicationsForRuntime.data.length,
      5,
      'an armed fault is applied, not an answer kept from before',
    );
    const mutation = 'mutation L($id: ID!, $v: Any!) { setRuntimeLabel(runtimeID: $id, key: "extra", value: $v) { key value } }';
    const set = (value: string) => post(sim.directorUrl, mtls, mutation, { Tenant: sim.tenant }, { id: sim.runtimeId, v: value });
    await set('one');
    await set('one');
    t.equal(sim.control.runtimeLabels(sim.runtimeId)?.extra, 'one');
    await set('two');
    t.equal(sim.control.runtimeLabels(sim.runtimeId)?.extra, 'two', 'mutations always run');
  });
});
