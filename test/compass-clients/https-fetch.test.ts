// The fetch under graphql-request, against a plain local HTTP server (TLS, client certificates and
// every Compass failure mode are covered through the Compass simulator in connector-client.test.ts).
import t from 'tap';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHttpsFetch } from '../../adapters/compass/https-fetch.js';

const connections: number[] = [];
const received: Array<{ method?: string; headers: http.IncomingHttpHeaders; body: string }> = [];
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (chunk) => (body += chunk));
  req.on('end', () => {
    received.push({ method: req.method, headers: req.headers, body });
    if (req.url === '/empty') {
      res.writeHead(204).end();
      return;
    }
    if (req.url === '/slow') return; // never answers
    res.setHeader('Set-Cookie', ['a=1', 'b=2']);
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ data: { echo: body } }));
  });
});
server.on('connection', () => connections.push(Date.now()));
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const httpsFetch = createHttpsFetch({});
const { fetch } = httpsFetch;
t.teardown(() => {
  httpsFetch.close();
  server.closeAllConnections();
  server.close();
});

t.test('posts the string body with its headers and answers a Response', async (t) => {
  const response = await fetch(`${base}/graphql`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', 'x-request-id': 'r-1' },
    body: '{"query":"{a}"}',
  });
  t.equal(response.status, 200);
  t.ok(response.ok);
  t.equal(response.headers.get('content-type'), 'application/json');
  t.equal(response.headers.get('set-cookie'), 'a=1, b=2', 'repeated headers are all kept');
  t.same(await response.json(), { data: { echo: '{"query":"{a}"}' } });
  const last = received[received.length - 1];
  t.equal(last.method, 'POST');
  t.equal(last.headers['x-request-id'], 'r-1');
  t.equal(last.headers['content-length'], String(Buffer.byteLength('{"query":"{a}"}')));
});

t.test('keeps the connection alive across requests', async (t) => {
  const before = connections.length;
  for (let i = 0; i < 5; i++) await (await fetch(`${base}/graphql`, { method: 'POST', body: String(i) })).text();
  t.ok(connections.length - before <= 1, `5 requests, ${connections.length - before} new connection(s)`);
});

t.test('a status without a body gives an empty Response', async (t) => {
  const response = await fetch(`${base}/empty`);
  t.equal(response.status, 204);
  t.equal(await response.text(), '');
});

t.test('an aborted signal rejects with its reason, before or during the request', async (t) => {
  const early = AbortSignal.abort(new Error('stopped before'));
  await t.rejects(fetch(`${base}/graphql`, { signal: early }), { message: 'stopped before' });
  await t.rejects(fetch(`${base}/slow`, { signal: AbortSignal.timeout(50) }), { name: 'TimeoutError' });
});

t.test('a connection failure is a TypeError whose cause has the code, like fetch', async (t) => {
  const refused = await fetch('http://127.0.0.1:1/graphql').catch((e: unknown) => e);
  t.ok(refused instanceof TypeError);
  t.match(refused, { message: 'fetch failed', cause: { code: 'ECONNREFUSED' } });
});

t.test('bodies other than strings are refused rather than sent wrong', async (t) => {
  await t.rejects(fetch(`${base}/graphql`, { method: 'POST', body: new Uint8Array([1]) }), /string bodies only/);
});

t.test('substituteBody sees the chunks of each body and may replace it', async (t) => {
  const seen: string[] = [];
  const substituting = createHttpsFetch(
    {},
    {
      substituteBody: (chunks) => {
        const text = Buffer.concat(chunks).toString();
        seen.push(text);
        return text.includes('"replace me"') ? 'replaced' : undefined;
      },
    },
  );
  t.teardown(() => substituting.close());
  const replaced = await substituting.fetch(`${base}/graphql`, { method: 'POST', body: 'replace me' });
  t.equal(await replaced.text(), 'replaced', 'the substitute is the body');
  t.equal(replaced.headers.get('content-type'), 'application/json', "status and headers stay the answer's");
  const kept = await substituting.fetch(`${base}/graphql`, { method: 'POST', body: 'keep me' });
  t.same(await kept.json(), { data: { echo: 'keep me' } }, 'undefined keeps the answer as it came');
  t.same(seen, [JSON.stringify({ data: { echo: 'replace me' } }), JSON.stringify({ data: { echo: 'keep me' } })]);
});
