// Director pages requested ahead along the cursor chain of the last complete fetch
// (docs/decisions/0008-director-page-prefetch.md), against the Compass simulator with a per-request
// latency: every fetch equals a sequential one (unchanged data, a changed application, inserts and
// deletes shifting the offsets, a changed totalCount, a failed page), no more than 4 requests are in
// flight at the Director (counted by the simulator), and nothing runs behind a fetch.
import t, { type Test } from 'tap';
import { startCompassSim } from '../../sim/compass/index.js';
import { establishConnection } from '../../adapters/compass/connector-client.js';
import { DirectorClient } from '../../adapters/compass/director-client.js';
import { DirectorPageMemory } from '../../adapters/compass/director-page-memory.js';
import { MAX_IN_FLIGHT, PagePrefetch, RequestLimit } from '../../adapters/compass/director-prefetch.js';
import type { RuntimeConfiguration } from '../../adapters/compass/director-types.js';

const PAGE = 4; // 30 generated + 1 large application: 8 pages
const sim = await startCompassSim({ apps: 30, seed: 23, pageSize: PAGE, directorLatencyMs: 15 });
t.teardown(() => sim.close());

// Its bundles and definitions continue on nested pages: requests of their own while pages are requested ahead.
const bigAppId = '80000000-0000-4000-8000-000000000001';
sim.control.upsertApplication({
  id: bigAppId,
  name: 'big-app',
  bundles: Array.from({ length: 6 }, (_, b) => ({
    id: `b0000000-0000-4000-8000-0000000000${10 + b}`,
    name: `bundle-${b}`,
    apiDefinitions: Array.from({ length: 9 }, (_, i) => ({
      id: `a0000000-0000-4000-8000-000000000${100 + b * 10 + i}`,
      name: `api-${i}`,
      targetURL: `https://big.example.com/${i}`,
    })),
    eventDefinitions: [],
  })),
});

const connection = await establishConnection({
  caPem: sim.serverCaPem,
  connectorUrl: sim.connectorUrl,
  token: sim.mintToken(),
  keyBits: 2048,
});
const clientCertificate = { keyPem: connection.privateKeyPem, certificateChainPem: connection.credentials.certificateChainPem };
const options = {
  url: connection.managementInfo.directorUrl,
  tenant: sim.tenant,
  runtimeId: sim.runtimeId,
  clientCertificate,
  caPem: sim.serverCaPem,
};
const prefetching = new DirectorClient(options);
const sequential = new DirectorClient({ ...options, prefetch: false });
t.teardown(() => Promise.all([prefetching.close(), sequential.close()]));

const memory = new DirectorPageMemory();
const sequentialMemory = new DirectorPageMemory();
const content = ({ runtimeLabels, applications }: RuntimeConfiguration) => ({ runtimeLabels, applications });
const applicationPages = () =>
  sim.control.callLog().filter((c) => c.surface === 'director' && c.operations.includes('applicationsForRuntime')).length;

/** A prefetching fetch (with the memory) and a sequential one right after it (with a memory of its own, and without any). */
async function bothWays(t: Test): Promise<RuntimeConfiguration> {
  const ahead = await prefetching.fetchRuntimeConfiguration(sim.runtimeId, { memory });
  t.equal(sim.control.directorInFlight().current, 0, 'no request of the fetch is still running');
  t.same(
    content(ahead),
    content(await sequential.fetchRuntimeConfiguration(sim.runtimeId, { memory: sequentialMemory })),
    'equal to a sequential fetch',
  );
  t.same(
    content(ahead),
    content(await sequential.fetchRuntimeConfiguration(sim.runtimeId)),
    'equal to a sequential fetch without a page memory',
  );
  return ahead;
}

t.test('a first fetch has no chain to go by and requests one page after the other', async (t) => {
  sim.control.resetDirectorInFlight();
  const first = await bothWays(t);
  t.equal(first.applications.length, 31);
  t.equal(first.prefetch, undefined, 'nothing requested ahead');
});

t.test('unchanged data: every page after the first comes from a request ahead, 4 in flight at most', async (t) => {
  sim.control.resetDirectorInFlight();
  sim.control.clearCallLog();
  const again = await prefetching.fetchRuntimeConfiguration(sim.runtimeId, { memory });
  t.same(again.prefetch, { used: 7, discarded: 0 }, 'pages 2 to 8 requested ahead and used');
  t.equal(applicationPages(), 8, 'no page requested twice');
  t.same(again.pages, { read: 8, reused: 0 }, 'a full fetch reads every page');
  t.equal(sim.control.directorInFlight().max, MAX_IN_FLIGHT, `${MAX_IN_FLIGHT} requests in flight at most, and that many at once`);
  await bothWays(t);
});

t.test('a changed application: the chain still holds, the page is read afresh', async (t) => {
  const before = await prefetching.fetchRuntimeConfiguration(sim.runtimeId, { memory });
  const target = before.applications[9];
  sim.control.upsertApplication({ id: target.id, description: 'changed while the chain holds' });
  const after = await bothWays(t);
  t.same(after.prefetch, { used: 7, discarded: 0 });
  t.equal(after.applications.find((app) => app.id === target.id)?.description, 'changed while the chain holds');
});

t.test('an application inserted at the front: totalCount differs from the chain, the rest is read sequentially', async (t) => {
  sim.control.resetDirectorInFlight();
  sim.control.upsertApplication({ id: '00000000-0000-4000-8000-0000000000aa', name: 'inserted-first' });
  sim.control.clearCallLog();
  const after = await bothWays(t);
  t.equal(after.applications.length, 32);
  t.equal(after.applications[0].name, 'inserted-first');
  t.equal(after.prefetch?.used, 0, 'nothing requested ahead is used');
  t.ok(after.prefetch!.discarded >= 1, 'what was requested ahead is discarded');
  t.ok(sim.control.directorInFlight().max <= MAX_IN_FLIGHT);
  const again = await bothWays(t);
  t.same(again.prefetch, { used: 7, discarded: 0 }, 'the next fetch goes by the new chain');
});

t.test('an application deleted: the last page differs from the chain', async (t) => {
  const before = await prefetching.fetchRuntimeConfiguration(sim.runtimeId, { memory });
  sim.control.removeApplication(before.applications[2].id);
  const after = await bothWays(t);
  t.equal(after.applications.length, 31);
  t.ok(after.prefetch!.discarded >= 1, 'the chain broke: what was requested ahead is discarded');
});

t.test('one inserted and one deleted: totalCount and cursors as in the chain, every item shifted by one', async (t) => {
  const before = await prefetching.fetchRuntimeConfiguration(sim.runtimeId, { memory });
  sim.control.removeApplication(before.applications.at(-1)!.id);
  sim.control.upsertApplication({ id: '00000000-0000-4000-8000-0000000000ab', name: 'inserted-second' });
  const after = await bothWays(t);
  t.same(after.prefetch, { used: 7, discarded: 0 }, 'each page answers exactly the request a sequential read sends');
  t.equal(after.applications[1].name, 'inserted-second');
  t.notOk(after.applications.some((app) => app.id === before.applications.at(-1)!.id));
});

t.test('a totalCount that disagrees on one page fails the fetch as a sequential one fails', async (t) => {
  await prefetching.fetchRuntimeConfiguration(sim.runtimeId, { memory });
  sim.control.armFault({ operation: 'applicationsForRuntime', kind: 'wrong-total-count', skip: 3 });
  await t.rejects(prefetching.fetchRuntimeConfiguration(sim.runtimeId, { memory }), /changed while paging|has totalCount/);
  t.equal(sim.control.directorInFlight().current, 0, 'no request runs behind the failed fetch');
  sim.control.armFault({ operation: 'applicationsForRuntime', kind: 'wrong-total-count', skip: 3 });
  await t.rejects(
    sequential.fetchRuntimeConfiguration(sim.runtimeId),
    /changed while paging|has totalCount/,
    'as the sequential fetch does',
  );
  await bothWays(t);
});

t.test('a failed page mid-way fails the fetch; the next one is complete and equal', async (t) => {
  await prefetching.fetchRuntimeConfiguration(sim.runtimeId, { memory });
  sim.control.upsertApplication({
    id: (await sequential.fetchRuntimeConfiguration(sim.runtimeId)).applications[20].id,
    name: 'renamed-after-failure',
  });
  sim.control.resetDirectorInFlight();
  sim.control.armFault({ operation: 'applicationsForRuntime', kind: 'graphql-error', skip: 4 });
  await t.rejects(prefetching.fetchRuntimeConfiguration(sim.runtimeId, { memory }), /incomplete|failed/i);
  t.equal(sim.control.directorInFlight().current, 0, 'no request runs behind the failed fetch');
  t.ok(sim.control.directorInFlight().max <= MAX_IN_FLIGHT);
  sim.control.armFault({ operation: 'applicationsForRuntime', kind: 'http-status', status: 503, skip: 2 });
  await t.rejects(prefetching.fetchRuntimeConfiguration(sim.runtimeId, { memory }), /503/);
  const after = await bothWays(t);
  t.ok(after.applications.some((app) => app.name === 'renamed-after-failure'));
});

t.test(
  'the list changes during the fetch: the answers after it disagree with the chain, and the fetch fails as a sequential one does',
  async (t) => {
    const before = await prefetching.fetchRuntimeConfiguration(sim.runtimeId, { memory });
    sim.control.clearCallLog();
    const fetch = prefetching.fetchRuntimeConfiguration(sim.runtimeId, { memory });
    fetch.catch(() => undefined);
    // Once the first page is answered, an application appears: every later page has another totalCount.
    while (applicationPages() === 0) await new Promise((resolve) => setImmediate(resolve));
    sim.control.upsertApplication({ id: before.applications[22].id.replace(/^./, '9'), name: 'inserted-during-the-fetch' });
    await t.rejects(fetch, /changed while paging/, 'refused: the list changed between pages');
    t.equal(sim.control.directorInFlight().current, 0, 'no request runs behind the failed fetch');
    const after = await bothWays(t);
    t.ok(
      after.applications.some((app) => app.name === 'inserted-during-the-fetch'),
      'the next fetch has it',
    );
  },
);

t.test('never more than 4 in flight, with nested pages among the pages requested ahead', async (t) => {
  sim.control.resetDirectorInFlight();
  for (let i = 0; i < 3; i++) await prefetching.fetchRuntimeConfiguration(sim.runtimeId, { memory });
  t.equal(sim.control.directorInFlight().max, MAX_IN_FLIGHT);
});

t.test('RequestLimit: first come, first served, never more than its limit', async (t) => {
  const limit = new RequestLimit(2);
  let running = 0;
  let most = 0;
  const order: number[] = [];
  const job = (i: number) =>
    limit.run(async () => {
      running++;
      most = Math.max(most, running);
      order.push(i);
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (i === 3) throw new Error('job 3 fails');
      return i;
    });
  const results = await Promise.allSettled([0, 1, 2, 3, 4, 5].map(job));
  t.equal(most, 2);
  t.same(order, [0, 1, 2, 3, 4, 5]);
  t.same(
    results.map((r) => r.status),
    ['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    'a failure frees its slot too',
  );
});

t.test('PagePrefetch: a cursor other than the predicted one discards everything requested ahead', async (t) => {
  const chain = [0, 1, 2, 3, 4].map((i) => ({
    after: i === 0 ? null : `c${i}`,
    startCursor: i === 0 ? '' : `c${i}`,
    endCursor: i === 4 ? '' : `c${i + 1}`,
    hasNextPage: i < 4,
    totalCount: 5,
  }));
  const sent: string[] = [];
  const prefetch = new PagePrefetch<string>(chain, 3, async (after, wanted) => {
    if (!wanted()) throw new Error('discarded before sending');
    sent.push(after);
    return `answer ${after}`;
  });
  prefetch.fill(0);
  t.same(sent, ['c1', 'c2'], 'two ahead of the first page: three outstanding');
  t.equal(await prefetch.take(1, 'c1'), 'answer c1');
  t.same(sent, ['c1', 'c2', 'c3']);
  prefetch.check(1, { pageInfo: { startCursor: 'c1', endCursor: 'c2', hasNextPage: true }, totalCount: 5 });
  t.ok(prefetch.alive, 'a matching page keeps the chain');
  t.equal(prefetch.take(2, 'other'), undefined, 'another cursor: not the request a sequential read sends');
  t.notOk(prefetch.alive);
  t.equal(prefetch.take(3, 'c3'), undefined, 'nothing is used after a mismatch');
  await prefetch.settled();
  t.same({ used: prefetch.used, discarded: prefetch.discarded }, { used: 1, discarded: 2 });
});

t.test('recognising unchanged answers goes along the chain, 4 in flight at most', async (t) => {
  // Only a fetch of whole pages can be recognised: the application with continued lists goes.
  sim.control.removeApplication(bigAppId);
  const read = await prefetching.fetchRuntimeConfiguration(sim.runtimeId, { memory });
  t.ok(read.answers, 'a fetch of whole pages');
  sim.control.resetDirectorInFlight();
  sim.control.clearCallLog();
  const unchanged = await prefetching.fetchUnchanged(sim.runtimeId, { memory });
  t.same(unchanged?.pages, { read: 0, reused: 8 }, 'every page recognised');
  t.equal(applicationPages(), 8, 'each requested once');
  t.equal(sim.control.directorInFlight().max, MAX_IN_FLIGHT, `${MAX_IN_FLIGHT} requests in flight at most, and that many at once`);
});
