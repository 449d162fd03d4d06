// FetchHeaders and FetchAnswer, the agent's stand-ins for the fetch globals (which load Node's
// internal undici). Where they implement the standard, Node's own Headers is the oracle.
import t from 'tap';
import { FetchAnswer } from '../../adapters/compass/fetch-answer.js';
import { FetchHeaders, type HeadersLike } from '../../adapters/compass/fetch-headers.js';
import { describeLocalFailure } from '../../adapters/compass/https-fetch.js';

const entries = (headers: HeadersLike) => {
  const pairs: Array<[string, string]> = [];
  headers.forEach((value, name) => pairs.push([name, value]));
  return pairs;
};

t.test('names, values and iteration as the standard Headers has them', async (t) => {
  const inits: Array<[string, HeadersInit | undefined]> = [
    [
      'a record',
      { 'X-Request-Id': 'r-1', accept: 'application/json', 'Content-Type': '  text/plain \t', 'X-A': ' leading', 'X-B': 'trailing\t' },
    ],
    [
      'pairs with a repeated name',
      [
        ['Set-Cookie', 'a=1'],
        ['x-b', 'two'],
        ['set-cookie', 'b=2'],
        ['X-A', 'one'],
      ],
    ],
    ['nothing', undefined],
  ];
  for (const [what, init] of inits) {
    const standard = new Headers(init);
    const ours = new FetchHeaders(init);
    const standardEntries = entries(standard).filter(([name]) => name !== 'set-cookie');
    const ourEntries = entries(ours).filter(([name]) => name !== 'set-cookie');
    t.same(ourEntries, standardEntries, `${what}: lower-cased, sorted, trimmed`);
    for (const name of ['x-request-id', 'X-REQUEST-ID', 'content-type', 'x-a', 'missing']) {
      t.equal(ours.get(name), standard.get(name), `${what}: get(${name})`);
      t.equal(ours.has(name), standard.has(name), `${what}: has(${name})`);
    }
  }
  const cookies = new FetchHeaders([
    ['Set-Cookie', 'a=1'],
    ['set-cookie', 'b=2'],
  ]);
  t.equal(cookies.get('set-cookie'), 'a=1, b=2', 'repeated values joined with ", "');
});

t.test('takes a Headers-like object (graphql-request passes Node’s own when not bundled)', async (t) => {
  const standard = new Headers({ 'X-Request-Id': 'r-2', Tenant: 't-1' });
  const ours = new FetchHeaders(standard);
  t.same(entries(ours), [
    ['tenant', 't-1'],
    ['x-request-id', 'r-2'],
  ]);
  const again = new FetchHeaders(ours);
  t.same(entries(again), entries(ours), 'and another FetchHeaders');
  t.same([...again], entries(ours), 'iterable as pairs');
  t.same(
    entries(
      new FetchHeaders(
        new Map([
          ['B', '2'],
          ['a', '1'],
        ]),
      ),
    ),
    [
      ['a', '1'],
      ['b', '2'],
    ],
    'any iterable of pairs',
  );
  // Node 22+ gives every iterator a forEach (ES2025 iterator helpers) that passes (element, index).
  const iterator = (function* () {
    yield ['X-From', 'generator'] as const;
  })();
  const withForEach = Object.assign(iterator, {
    forEach(callback: (value: unknown, index: number) => void) {
      for (const [i, value] of [...iterator].entries()) callback(value, i);
    },
  });
  t.same(entries(new FetchHeaders(withForEach)), [['x-from', 'generator']], 'an iterator is read as pairs, not by its forEach');
  const onlyForEach: HeadersLike = { forEach: (callback) => callback('v', 'X-Only') };
  t.same(entries(new FetchHeaders(onlyForEach)), [['x-only', 'v']], 'a Headers-like with forEach alone');
  const seen: string[] = [];
  ours.forEach((value, name, headers) => seen.push(`${name}=${value}:${headers === ours}`));
  t.same(seen, ['tenant=t-1:true', 'x-request-id=r-2:true']);
});

t.test('append adds, set replaces', async (t) => {
  const headers = new FetchHeaders({ Accept: 'a' });
  headers.append('accept', 'b');
  t.equal(headers.get('ACCEPT'), 'a, b');
  headers.set('Accept', 'c');
  t.equal(headers.get('accept'), 'c');
  t.ok(headers.has('aCCept'));
  t.equal(headers.get('x-missing'), null);
  t.notOk(headers.has('x-missing'));
});

t.test('a value HTTP cannot carry is refused, naming the header and never the value', async (t) => {
  const secret = 'token-';
  for (const bad of [`${secret}\r\nx-injected: 1`, `${secret}\u0000`, `${secret}\u0100`, `${secret}\nx`]) {
    const error = (() => {
      try {
        new FetchHeaders({ 'Connector-Token': bad });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    t.ok(error instanceof TypeError, JSON.stringify(bad));
    t.match(error, { code: 'ERR_INVALID_CHAR', message: 'Invalid character in header content ["connector-token"]' });
    t.match(describeLocalFailure(error), {
      code: 'ERR_INVALID_CHAR',
      message: 'the value of header connector-token contains characters an HTTP header cannot carry',
    });
  }
  t.equal(
    new FetchHeaders({ 'Connector-Token': ` ${secret}\u00ff\t` }).get('connector-token'),
    `${secret}\u00ff`,
    'Latin-1 is a byte: kept',
  );
  t.throws(() => new FetchHeaders().set('x', 'a\rb'), { code: 'ERR_INVALID_CHAR' }, 'set checks too');
  t.throws(() => new FetchHeaders().append('x', 'a\nb'), { code: 'ERR_INVALID_CHAR' }, 'append checks too');
});

t.test('a name that is not an HTTP token is refused', async (t) => {
  for (const bad of ['x y', 'x:y', '', 'caf\u00e9', 'x\r\n']) {
    t.throws(() => new FetchHeaders({ [bad]: 'v' }), { code: 'ERR_INVALID_HTTP_TOKEN' }, JSON.stringify(bad));
    t.throws(() => new FetchHeaders().get(bad), { code: 'ERR_INVALID_HTTP_TOKEN' });
  }
  t.throws(() => new FetchHeaders([['only-a-name']]), TypeError, 'a pair needs both parts');
  t.throws(() => new FetchHeaders([['a', 'b', 'c']]), TypeError, 'and no more');
  t.equal(new FetchHeaders({ 'x-list': ['a', 'b'] }).get('x-list'), 'a,b', "a record's list value as Web IDL converts it");
});

t.test('FetchAnswer: status, ok, headers and a body read once', async (t) => {
  const headers = new FetchHeaders({ 'content-type': 'application/json' });
  for (const [status, ok] of [
    [199, false],
    [200, true],
    [204, true],
    [299, true],
    [300, false],
    [404, false],
    [500, false],
  ] as const) {
    t.equal(new FetchAnswer(null, status, '', headers, 'https://x/').ok, ok, `ok for ${status}`);
  }
  const answer = new FetchAnswer(Buffer.from('{"data":{"a":1}}'), 200, 'OK', headers, 'https://compass/graphql');
  t.equal(answer.status, 200);
  t.equal(answer.statusText, 'OK');
  t.equal(answer.url, 'https://compass/graphql');
  t.equal(answer.headers.get('Content-Type'), 'application/json');
  t.notOk(answer.bodyUsed);
  t.same(JSON.parse(await answer.text()), { data: { a: 1 } });
  t.ok(answer.bodyUsed);
  await t.rejects(answer.text(), TypeError, 'a body is read once, as fetch has it');
  t.equal(await new FetchAnswer(null, 204, '', headers, 'https://x/').text(), '', 'no body reads as empty');
  t.equal(await new FetchAnswer('substituted', 200, '', headers, 'https://x/').text(), 'substituted', 'a string body as it is');
  const withMark = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"x":"\u00e9"}')]);
  t.equal(await new FetchAnswer(withMark, 200, '', headers, 'https://x/').text(), '{"x":"\u00e9"}', 'UTF-8, its byte order mark dropped');
  t.equal(
    await new FetchAnswer(withMark, 200, '', headers, 'https://x/').text(),
    await new Response(withMark).text(),
    'as Response.text() decodes it',
  );
});
