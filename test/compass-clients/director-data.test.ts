// Pure parts of the Director client: page consistency rules and the checks of the answer's shape.
import t from 'tap';
import { collectPages, readPage, IncompleteListError, type DirectorPage } from '../../adapters/compass/director-paging.js';
import {
  readApiDefinition,
  readAuth,
  readEventDefinition,
  readLabels,
  MalformedDirectorDataError,
} from '../../adapters/compass/director-response.js';

const page = (ids: string[], totalCount: number, endCursor = '', hasNextPage = false): DirectorPage => ({
  data: ids.map((id) => ({ id })),
  pageInfo: { endCursor, hasNextPage },
  totalCount,
});
const idOf = (item: unknown) => (item as { id?: string }).id;
/** The page items as they are: these tests are about paging, not about reading items. */
const asIs = (item: unknown) => item as { id: string };

t.test('collects pages in order until hasNextPage is false', async (t) => {
  const pages: Record<string, DirectorPage> = { c1: page(['b'], 3, 'c2', true), c2: page(['c'], 3) };
  const seen: string[] = [];
  const items = await collectPages('apps', page(['a'], 3, 'c1', true), async (after) => (seen.push(after), pages[after]), asIs);
  t.same(items.map(idOf), ['a', 'b', 'c']);
  t.same(seen, ['c1', 'c2']);
});

t.test('refuses every kind of incomplete or inconsistent list', async (t) => {
  const cases: [string, DirectorPage, (after: string) => Promise<DirectorPage>, RegExp][] = [
    ['no cursor', page(['a'], 2, '', true), async () => page([], 2), /page 1 of the apps says more follow but gives no endCursor/],
    ['repeating cursor', page(['a'], 3, 'c1', true), async () => page(['b'], 3, 'c1', true), /cursor after page 2 repeats an earlier one/],
    [
      'total changes',
      page(['a'], 2, 'c1', true),
      async () => page(['b'], 3),
      /changed while paging \(totalCount 2 on page 1, 3 on page 2\)/,
    ],
    ['fewer items than totalCount', page(['a'], 2), async () => page([], 2), /has totalCount 2 but 1 items arrived over 1 page/],
    ['duplicate id', page(['a'], 2, 'c1', true), async () => page(['a'], 2), /returned id a twice/],
  ];
  for (const [name, first, next, message] of cases) {
    await t.rejects(collectPages('apps', first, next, asIs), { name: 'IncompleteListError', message }, name);
  }
  await t.rejects(
    collectPages(
      'apps',
      page(['a'], 2, 'c1', true),
      async () => {
        throw new Error('HTTP 503');
      },
      asIs,
    ),
    { message: /^page 2 of the apps: HTTP 503$/ },
  );
});

t.test('reads each page as it arrives, with the next page already requested', async (t) => {
  const events: string[] = [];
  const pages: Record<string, DirectorPage> = { c1: page(['b', 'c'], 4, 'c2', true), c2: page(['d'], 4) };
  const items = await collectPages(
    'apps',
    page(['a'], 4, 'c1', true),
    async (after) => (events.push(`fetch ${after}`), pages[after]),
    async (item) => {
      const { id } = item as { id: string };
      events.push(`read ${id}`);
      return { id, upper: id.toUpperCase() };
    },
  );
  t.same(
    items.map((item) => item.upper),
    ['A', 'B', 'C', 'D'],
  );
  t.same(events, ['fetch c1', 'read a', 'fetch c2', 'read b', 'read c', 'read d']);
});

t.test('a failure to read an item fails the list as it is; a failed prefetch still names its page', async (t) => {
  const malformed = new Error('application x: field name is not a non-empty string');
  let prefetchSettled = false;
  await t.rejects(
    collectPages(
      'apps',
      page(['a'], 2, 'c1', true),
      async () => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        prefetchSettled = true;
        return page(['b'], 2);
      },
      () => {
        throw malformed;
      },
    ),
    malformed,
  );
  t.ok(prefetchSettled, 'the failure comes only after the prefetched page settled: no request outlives the fetch');
  await t.rejects(
    collectPages(
      'apps',
      page(['a', 'b'], 3, 'c1', true),
      async () => {
        throw new Error('HTTP 503');
      },
      async (item) => {
        await new Promise((resolve) => setTimeout(resolve, 5)); // the prefetch fails while the page is read
        return asIs(item);
      },
    ),
    { message: /^page 2 of the apps: HTTP 503$/ },
  );
  await t.rejects(
    collectPages(
      'apps',
      page(['a'], 2, 'c1', true),
      () => {
        throw new Error('synchronous failure');
      },
      asIs,
    ),
    { message: /^page 2 of the apps: synchronous failure$/ },
  );
});

t.test('checks the shape of a page', async (t) => {
  t.throws(() => readPage(null, 'apps'), { message: /the apps page is missing/ });
  t.throws(() => readPage({ data: 'x' }, 'apps'), { message: /has no data list/ });
  t.throws(() => readPage({ data: [], pageInfo: {} }, 'apps'), { message: /no pageInfo.hasNextPage/ });
  t.throws(() => readPage({ data: [], pageInfo: { hasNextPage: false }, totalCount: -1 }, 'apps'), IncompleteListError);
  t.same(readPage({ data: [], pageInfo: { hasNextPage: false, endCursor: null }, totalCount: 0 }, 'apps'), page([], 0));
});

t.test('reads definitions, labels and auths, and rejects wrong types', async (t) => {
  t.same(
    readApiDefinition({ id: 'a', name: 'n', targetURL: 'https://x', group: 'ignored' }, 'api'),
    { id: 'a', name: 'n', targetURL: 'https://x' },
    'only what the conversion reads',
  );
  t.same(readEventDefinition({ id: 'e', name: 'n' }, 'event'), { id: 'e', name: 'n' });
  t.throws(() => readApiDefinition({ id: 'a', name: 'n' }, 'api'), {
    name: 'MalformedDirectorDataError',
    message: /api a: field targetURL is not a string/,
  });
  t.throws(() => readEventDefinition({ id: '', name: 'n' }, 'event'), { message: /field id is not a non-empty string/ });
  t.throws(() => readEventDefinition({ id: 'e', name: 7 }, 'event'), { message: /event e: field name is not a non-empty string/ });
  t.throws(() => readEventDefinition([], 'event'), { message: /event is not an object/ });

  t.same(readLabels('{"a":1}', 'labels'), { a: 1 }, 'JSON text accepted');
  t.equal(readLabels(null, 'labels'), null);
  t.throws(() => readLabels('[1]', 'labels'), { message: /are not a JSON object/ });
  t.throws(() => readLabels('{', 'labels'), { message: /not JSON/ });

  t.same(
    readAuth(
      {
        credential: { __typename: 'OAuthCredentialData', clientId: 'c', clientSecret: 's', url: 'https://t' },
        additionalQueryParams: '{"q":["1"]}',
        requestAuth: { csrf: null },
      },
      'b',
    ),
    {
      credential: { __typename: 'OAuthCredentialData', clientId: 'c', clientSecret: 's', url: 'https://t' },
      additionalHeaders: null,
      additionalQueryParams: { q: ['1'] },
      requestAuth: { csrf: null },
    },
  );
  t.same(readAuth({ credential: { __typename: 'CertificateOAuthCredentialData' } }, 'b')?.credential, {
    __typename: 'CertificateOAuthCredentialData',
  });
  t.equal(readAuth(null, 'b'), null);
  const bad = t.throws(() => readAuth({ credential: { __typename: 'BasicCredentialData', username: 'u', password: 42 } }, 'b')) as Error;
  t.match(bad.message, /credential\.password is not a string/);
  t.throws(() => readAuth({ additionalHeaders: { h: [1] } }, 'b'), { message: /additionalHeaders\.h is not a list of strings/ });
  t.throws(() => readAuth({ additionalHeaders: [] }, 'b'), MalformedDirectorDataError);
  t.throws(() => readAuth({ credential: {} }, 'b'), { message: /credential.__typename/ });
});
