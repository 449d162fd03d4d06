// The Director client's page memory against the Compass simulator: it keeps the digest of each page
// of the last complete fetch (never the applications), so that fetchUnchanged can tell, without
// parsing a page, that the Director says exactly what it said then; a change anywhere (a page, the
// runtime labels, a nested page of a continued list) is never taken for "unchanged", and every full
// fetch equals a fetch without the memory.
import t from 'tap';
import { startCompassSim } from '../../sim/compass/index.js';
import { establishConnection } from '../../adapters/compass/connector-client.js';
import { DirectorClient } from '../../adapters/compass/director-client.js';
import { DirectorPageMemory } from '../../adapters/compass/director-page-memory.js';
import { GraphQLTransport } from '../../adapters/compass/graphql-transport.js';
import { APPLICATIONS_PAGE_QUERY } from '../../adapters/compass/director-queries.js';
import type { RuntimeConfiguration } from '../../adapters/compass/director-types.js';

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
const unchanged = () => director.fetchUnchanged(sim.runtimeId, { memory });
/** A fetch without the memory, as content (labels and applications) to compare with. */
const fresh = async () => content(await director.fetchRuntimeConfiguration(sim.runtimeId));
const content = ({ runtimeLabels, applications }: RuntimeConfiguration) => ({ runtimeLabels, applications });
const applicationPages = () =>
  sim.control.callLog().filter((c) => c.surface === 'director' && c.operations.includes('applicationsForRuntime')).length;

t.test('a fetch whose application continued on further requests cannot be recognised later', async (t) => {
  const first = await withMemory();
  t.same(content(first), await fresh(), 'the same configuration as without a memory');
  t.equal(first.applications.length, 31);
  t.equal(memory.size, 8, 'a digest for each of the 8 pages');
  t.equal(first.answers, undefined, 'no name for what the fetch read: its last page depends on more than its text');
  sim.control.clearCallLog();
  t.equal(await unchanged(), undefined, 'so it is never taken as unchanged');
  t.equal(applicationPages(), 0, 'and nothing is requested to find that out');
});

t.test('the same answers again are recognised page by page, none of them parsed', async (t) => {
  sim.control.removeApplication(bigAppId);
  const read = await withMemory();
  t.equal(read.applications.length, 30);
  t.match(read.answers, /^[A-Za-z0-9+/]{43}=$/, 'a fetch of whole pages is named by its answers');
  sim.control.clearCallLog();
  const again = await unchanged();
  t.equal(applicationPages(), 8, 'every page is requested again: the Director is the source of truth');
  t.same(again, { unchanged: true, runtimeLabels: read.runtimeLabels, answers: read.answers, pages: { read: 0, reused: 8 } });
  t.same(again?.runtimeLabels, sim.control.runtimeLabels(sim.runtimeId), 'with the runtime labels of the first answer');
  const reread = await withMemory();
  t.equal(reread.answers, read.answers, 'a full read of the same answers has the same name');
});

t.test('each answer is recognised only at its own position in the chain', async (t) => {
  await withMemory();
  // The key the client names its chain by: endpoint, runtime, its page size and the nested one (defaults 200, 100).
  const key = JSON.stringify([directorUrl, sim.runtimeId, 200, 100]);
  const last = memory.recognisable(key);
  if (!last) throw new Error('the fetch of whole pages is recognisable');
  const swapped = [...last.digests];
  [swapped[1], swapped[2]] = [swapped[2], swapped[1]];
  memory.replace({ key, links: last.links, digests: swapped, runtimeLabels: last.runtimeLabels });
  t.equal(await unchanged(), undefined, 'two pages that swapped places are a change');
  await withMemory();
  t.ok(await unchanged(), 'read again, it is recognised');
});

t.test('a changed application is not taken for unchanged, and the pages after it are not requested', async (t) => {
  const before = await withMemory();
  sim.control.upsertApplication({ id: before.applications[9].id, description: 'changed in Compass' }); // page 3 of 8
  sim.control.clearCallLog();
  t.equal(await unchanged(), undefined);
  t.ok(applicationPages() < 8, `${applicationPages()} of 8 pages requested before the difference was seen`);
  const after = await withMemory();
  t.same(content(after), await fresh(), 'the full read that follows equals a fetch without the memory');
  t.not(after.answers, before.answers, 'and has another name');
  t.ok(await unchanged(), 'then it is recognised again');
});

t.test('runtime labels changed in Compass are a change of the first answer', async (t) => {
  await withMemory();
  sim.control.upsertRuntime({ id: sim.runtimeId, labels: { ...sim.control.runtimeLabels(sim.runtimeId), extra: 'label' } });
  t.equal(await unchanged(), undefined);
  const after = await withMemory();
  t.equal(after.runtimeLabels.extra, 'label');
  t.same((await unchanged())?.runtimeLabels, after.runtimeLabels);
});

t.test('a failed request fails the recognition; a failed fetch leaves the last complete one remembered', async (t) => {
  const complete = await withMemory();
  sim.control.armFault({ operation: 'applicationsForRuntime', kind: 'graphql-error', skip: 2 });
  await t.rejects(unchanged(), /failed/i, 'an error is an error, not "changed"');
  sim.control.armFault({ operation: 'applicationsForRuntime', kind: 'graphql-error', skip: 2 });
  await t.rejects(withMemory(), /incomplete|failed/i);
  t.equal((await unchanged())?.answers, complete.answers, 'the last complete fetch is still the one recognised');
  sim.control.upsertApplication({ id: complete.applications[13].id, name: 'renamed-after-failure' });
  t.equal(await unchanged(), undefined);
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

t.test('an application whose bundles continue on later pages: a change there is seen, and the fetch is never recognised', async (t) => {
  // Sorts first, so it shares the first page with generated applications that need no further request;
  // its six bundles take two nested pages, the change is in the last one.
  const appId = '00000000-0000-4000-8000-000000000003';
  const bundleIds = Array.from({ length: 6 }, (_, i) => `b0000000-0000-4000-8000-0000000000${10 + i}`);
  const bundles = (lastName: string) =>
    bundleIds.map((id, i) => ({ id, name: i === 5 ? lastName : `bundle-${i}`, apiDefinitions: [], eventDefinitions: [] }));
  sim.control.upsertApplication({ id: appId, name: 'many-bundles', bundles: bundles('bundle-5') });
  const first = await withMemory();
  t.equal(first.applications[0].id, appId, 'on the first page');
  t.equal(first.applications[0].bundles.length, 6, 'all six bundles, over two nested pages');
  t.equal(first.answers, undefined);
  t.equal(await unchanged(), undefined, 'not recognisable: its first page depends on more than its text');

  sim.control.upsertBundle(appId, bundles('bundle-5-renamed')[5]);
  const after = await withMemory();
  t.equal(after.applications[0].bundles[5].name, 'bundle-5-renamed', 'the change on the second bundles page is seen');
  t.same(content(after), await fresh(), 'equal to a fetch without the memory');
});
