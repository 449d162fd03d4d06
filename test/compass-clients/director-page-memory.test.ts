// The Director client's page memory against the Compass simulator: an answer identical to one of the
// last complete fetch is not parsed or read again (the same application objects come back), anything
// that changed is read afresh, and a page whose applications continued on further requests is never
// taken from the memory. Every fetch with the memory must equal a fetch without it.
import t from 'tap';
import { startCompassSim } from '../../sim/compass/index.js';
import { establishConnection } from '../../adapters/compass/connector-client.js';
import { DirectorClient } from '../../adapters/compass/director-client.js';
import { DirectorPageMemory } from '../../adapters/compass/director-page-memory.js';
import { GraphQLTransport } from '../../adapters/compass/graphql-transport.js';
import { APPLICATIONS_PAGE_QUERY } from '../../adapters/compass/director-queries.js';
import type { DirectorApplication, RuntimeConfiguration } from '../../adapters/compass/director-types.js';

const PAGE = 4; // 31 applications: 8 pages, nested lists also 4 per page
const sim = await startCompassSim({ apps: 30, seed: 11, pageSize: PAGE });
t.teardown(() => sim.close());

// Sorts last by id, so it is on the last page; its bundle's API definitions take three nested pages.
const bigAppId = 'ffffffff-0000-4000-8000-000000000002';
const bigBundleId = 'b0000000-0000-4000-8000-00000000000b';
const bigBundle = (lastApiName: string) => ({
  id: bigBundleId,
  name: 'big bundle',
  apiDefinitions: Array.from({ length: 11 }, (_, i) => ({
    id: `a0000000-0000-4000-8000-0000000001${10 + i}`,
    name: i === 10 ? lastApiName : `api-${i}`,
    targetURL: `https://big.example.com/${i}`,
  })),
  eventDefinitions: [],
});
sim.control.upsertApplication({ id: bigAppId, name: 'big-app', description: 'continues on nested pages', bundles: [bigBundle('api-10')] });

const connection = await establishConnection({
  caPem: sim.serverCaPem,
  connectorUrl: sim.connectorUrl,
  token: sim.mintToken(),
  keyBits: 2048,
});
const clientCertificate = { keyPem: connection.privateKeyPem, certificateChainPem: connection.credentials.certificateChainPem };
const directorUrl = connection.managementInfo.directorUrl;
const director = new DirectorClient({
  url: directorUrl,
  tenant: sim.tenant,
  runtimeId: sim.runtimeId,
  clientCertificate,
  caPem: sim.serverCaPem,
});
t.teardown(() => director.close());

const memory = new DirectorPageMemory();
const withMemory = () => director.fetchRuntimeConfiguration(sim.runtimeId, { memory });
/** A fetch without the memory, as content (labels and applications) to compare with. */
const fresh = async () => content(await director.fetchRuntimeConfiguration(sim.runtimeId));
const content = ({ runtimeLabels, applications }: RuntimeConfiguration) => ({ runtimeLabels, applications });
const byId = (config: RuntimeConfiguration) => new Map(config.applications.map((app) => [app.id, app]));
const pageOf = (config: RuntimeConfiguration, id: string) => Math.floor(config.applications.findIndex((app) => app.id === id) / PAGE);
const applicationPages = () =>
  sim.control.callLog().filter((c) => c.surface === 'director' && c.operations.includes('applicationsForRuntime')).length;

let previous: RuntimeConfiguration;

t.test('a first fetch remembers every page read from its answer alone', async (t) => {
  previous = await withMemory();
  t.same(content(previous), await fresh(), 'the same configuration as without a memory');
  t.equal(previous.applications.length, 31);
  t.equal(pageOf(previous, bigAppId), 7, 'the application with continued definitions is on the last page');
  t.equal(memory.size, 7, '8 pages, all but the one whose application continued on further requests');
  t.same(previous.pages, { read: 8, reused: 0 });
});

t.test('unchanged answers come back as the same application objects, equal to a fresh read', async (t) => {
  sim.control.clearCallLog();
  const again = await withMemory();
  t.equal(applicationPages(), 8, 'every page is still requested: the Director is the source of truth');
  t.same(again.pages, { read: 1, reused: 7 }, 'the fetch reports what it reused');
  t.same(content(again), await fresh(), 'equal to a fetch without the memory');
  const before = byId(previous);
  const reused = again.applications.filter((app) => before.get(app.id) === app);
  t.equal(reused.length, 28, 'the applications of the 7 remembered pages are the very objects of the last fetch');
  t.not(byId(again).get(bigAppId), before.get(bigAppId), 'the page with continued lists is read again');
  t.same(again.runtimeLabels, sim.control.runtimeLabels(sim.runtimeId), 'the runtime labels of a remembered first page');
  previous = again;
});

t.test('a changed application is read afresh with its page; the other pages stay remembered', async (t) => {
  const target = previous.applications[5]; // page 2
  sim.control.upsertApplication({ id: target.id, description: 'changed in Compass' });
  const after = await withMemory();
  t.same(content(after), await fresh(), 'equal to a fetch without the memory');
  const changed = byId(after).get(target.id)!;
  t.equal(changed.description, 'changed in Compass');
  const before = byId(previous);
  const samePage = (app: DirectorApplication) => pageOf(after, app.id) === pageOf(after, target.id);
  t.ok(
    after.applications.filter(samePage).every((app) => before.get(app.id) !== app),
    'its page is read again',
  );
  t.equal(
    after.applications.filter((app) => !samePage(app) && before.get(app.id) === app).length,
    24,
    'the other remembered pages are reused',
  );
  previous = after;
});

t.test('a change only on a nested page of a continued list is seen', async (t) => {
  // The application page's own answer is identical; only the third page of the definitions differs.
  sim.control.upsertBundle(bigAppId, bigBundle('api-10-renamed'));
  const after = await withMemory();
  const apis = byId(after).get(bigAppId)!.bundles[0].apiDefinitions;
  t.equal(apis.length, 11);
  t.equal(apis[10].name, 'api-10-renamed', 'the continued definitions are fetched again');
  t.same(content(after), await fresh());
  previous = after;
});

t.test('runtime labels changed in Compass are read with the first page', async (t) => {
  const answer = await withMemory();
  sim.control.upsertRuntime({ id: sim.runtimeId, labels: { ...sim.control.runtimeLabels(sim.runtimeId), extra: 'label' } });
  const after = await withMemory();
  t.equal(after.runtimeLabels.extra, 'label');
  t.same(content(after), await fresh());
  t.not(after.applications[0], answer.applications[0], 'the first page is read again');
  t.equal(after.applications[PAGE], answer.applications[PAGE], 'the second is still remembered');
});

t.test('a failed fetch costs nothing but time: the next one is complete and correct', async (t) => {
  await withMemory();
  sim.control.upsertApplication({ id: previous.applications[13].id, name: 'renamed-after-failure' });
  sim.control.armFault({ operation: 'applicationsForRuntime', kind: 'graphql-error', skip: 2 });
  await t.rejects(withMemory(), /incomplete|failed/i);
  const after = await withMemory();
  t.same(content(after), await fresh());
  t.ok(after.applications.some((app) => app.name === 'renamed-after-failure'));
});

t.test('the transport reports a known answer by its digest without parsing it', async (t) => {
  const transport = new GraphQLTransport({ url: directorUrl, caPem: sim.serverCaPem, clientCertificate, headers: { Tenant: sim.tenant } });
  t.teardown(() => transport.close());
  const variables = { runtimeId: sim.runtimeId, first: PAGE, after: null, nestedFirst: PAGE };
  const options = { operation: 'applicationsForRuntime' };
  const first = await transport.requestWithDigest<object>(APPLICATIONS_PAGE_QUERY, variables, options);
  if (first.known !== undefined) throw new Error('nothing was known yet');
  t.match(first.digest, /^[A-Za-z0-9+/]{43}=$/, 'a sha256 digest of the answer');
  transport.knownAnswers = new Set([first.digest!]);
  t.same(
    await transport.requestWithDigest(APPLICATIONS_PAGE_QUERY, variables, options),
    { known: first.digest },
    'the same answer again is known',
  );
  await t.rejects(
    transport.request(APPLICATIONS_PAGE_QUERY, variables, options),
    /only requestWithDigest/,
    'a plain request cannot be handed a known answer',
  );
  const other = await transport.requestWithDigest<object>(APPLICATIONS_PAGE_QUERY, { ...variables, nestedFirst: 1 }, options);
  t.ok(other.known === undefined && other.digest !== first.digest, 'another answer is parsed and has its own digest');
});

t.test('an application whose bundles continue on later pages is read afresh, and a change there is seen', async (t) => {
  // Sorts first, so it shares the first page with generated applications that need no further request;
  // its six bundles take two nested pages, the change is in the last one.
  const appId = '00000000-0000-4000-8000-000000000003';
  const bundleIds = Array.from({ length: 6 }, (_, i) => `b0000000-0000-4000-8000-0000000000${10 + i}`);
  const bundles = (lastName: string) =>
    bundleIds.map((id, i) => ({ id, name: i === 5 ? lastName : `bundle-${i}`, apiDefinitions: [], eventDefinitions: [] }));
  sim.control.upsertApplication({ id: appId, name: 'many-bundles', bundles: bundles('bundle-5') });
  const first = await withMemory();
  t.equal(pageOf(first, appId), 0, 'on the first page');
  t.equal(byId(first).get(appId)!.bundles.length, 6, 'all six bundles, over two nested pages');
  const again = await withMemory();
  t.not(again.applications[0], first.applications[0], 'the first page is not taken from the memory: its application continued');
  t.equal(again.applications[PAGE], first.applications[PAGE], 'the second page is');

  sim.control.upsertBundle(appId, bundles('bundle-5-renamed')[5]);
  const after = await withMemory();
  t.equal(byId(after).get(appId)!.bundles[5].name, 'bundle-5-renamed', 'the change on the second bundles page is seen');
  t.same(content(after), await fresh(), 'equal to a fetch without the memory');
});
