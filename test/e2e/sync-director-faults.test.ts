// Acceptance of the Application synchronisation against the Director (issue #5): with a small page
// size every application and nested definition arrives, and a failed, truncated or inconsistent page
// fails the whole fetch with the reference's error text, deletes nothing and converges on the next cycle.
import t from 'tap';
import { applications, failsThenConverges, synchronizedWithLargeApplications, type Json } from '../helpers/sync-checks.js';
import { encodeCursor } from '../../sim/compass/index.js';

const PAGE_SIZE = 7;
/** The cursor page `n` (1-based) is requested with: faults name the page, since pages requested ahead arrive in any order. */
const pageCursor = (n: number) => encodeCursor((n - 1) * PAGE_SIZE);

t.test('Director paging and faults', async (t) => {
  const h = await synchronizedWithLargeApplications(t, { generated: [48, 11], compass: { pageSize: PAGE_SIZE }, timeoutMs: 30_000 });
  const compass = h.sims.compass.control;

  await t.test('with Director page size 7 every application, bundle, API and event definition arrives', async (t) => {
    const apps = applications(h);
    const inCompass = compass.applications();
    t.equal(inCompass.length, 50);
    t.equal(apps.size, 50, '50 Applications');
    for (const source of inCompass) {
      const app = apps.get(`mp-${source.name}`);
      if (!t.ok(app, `Application mp-${source.name}`)) continue;
      t.same(
        app!.spec.services.map((service: Json) => [service.id, service.entries.map((entry: Json) => entry.id).sort()]),
        [...source.bundles]
          .sort((a, b) => (a.id < b.id ? -1 : 1))
          .map((bundle) => [bundle.id, [...bundle.apiDefinitions, ...bundle.eventDefinitions].map((d) => d.id).sort()]),
        `every bundle and definition of ${source.name}`,
      );
    }
    t.equal(apps.get('mp-many-bundles')?.spec.services.length, 20);
    t.equal(apps.get('mp-many-apis')?.spec.services[0].entries.length, 45);
    const firstRequests = compass.callLog().filter((call) => call.operations.join() === 'runtime,applicationsForRuntime').length;
    const pages = compass.callLog().filter((call) => call.operations.join() === 'applicationsForRuntime').length;
    t.ok(pages >= 7 * firstRequests, `7 more application pages per cycle (${pages} for ${firstRequests} cycles)`);
  });

  await t.test('a Director error on page 3 of 8 fails the fetch and deletes nothing', async (t) => {
    await failsThenConverges(
      t,
      h,
      'SynchronizationFailed',
      /^Failed to fetch configuration: .*page 3 of the applications of runtime .*503/,
      () =>
        compass.armFault({
          operation: 'applicationsForRuntime',
          kind: 'http-status',
          status: 503,
          body: 'upstream connect error',
          after: pageCursor(3),
        }),
    );
  });

  await t.test('a GraphQL error on a nested page fails the fetch and deletes nothing', async (t) => {
    await failsThenConverges(
      t,
      h,
      'SynchronizationFailed',
      /^Failed to fetch configuration: .*page 2 of the (API definitions|bundles)/,
      () => compass.armFault({ operation: 'application', kind: 'graphql-error', message: 'Internal Server Error [errorID=nested]' }),
    );
  });

  await t.test('a truncated page fails the fetch and deletes nothing', async (t) => {
    await failsThenConverges(
      t,
      h,
      'SynchronizationFailed',
      /^Failed to fetch configuration: .*applications of runtime .*has totalCount 50 but \d+ items arrived.*no Application is deleted/,
      () => compass.armFault({ operation: 'applicationsForRuntime', kind: 'truncated-page', after: pageCursor(4) }),
    );
  });

  await t.test('a totalCount that disagrees fails the fetch and deletes nothing', async (t) => {
    await failsThenConverges(
      t,
      h,
      'SynchronizationFailed',
      /^Failed to fetch configuration: .*applications of runtime .*changed while paging \(totalCount 50 on page 1, 51 on page 2\)/,
      () => compass.armFault({ operation: 'applicationsForRuntime', kind: 'wrong-total-count', after: pageCursor(2) }),
    );
    await failsThenConverges(
      t,
      h,
      'SynchronizationFailed',
      /^Failed to fetch configuration: .*API definitions of bundle .*has totalCount \d+ but \d+ items arrived/,
      () => compass.armFault({ operation: 'apiDefinitions', kind: 'wrong-total-count', delta: 3 }),
    );
    t.equal(applications(h).size, 50, 'all 50 still there');
  });
});
