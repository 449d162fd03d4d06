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
    if (req.url?.startsWith('/big/')) {
      // A body of many writes (many chunks on the client), its bytes telling which request it answers.
      const mark = req.url.slice('/big/'.length);
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      for (let i = 0; i < 40; i++) res.write(`${mark}:${i}:${'x'.repeat(5000)}\n`);
      res.end();
      return;
    }
    if (req.url === '/broken') {
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '100000' });
      res.write('y'.repeat(30000), () => res.destroy());
      return;
    }
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
  t.same(JSON.parse(await response.text()), { data: { echo: '{"query":"{a}"}' } });
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

t.test('bodies of many chunks arrive whole and each its own, also after an answer broke off', async (t) => {
  const expected = (mark: string) => Array.from({ length: 40 }, (_, i) => `${mark}:${i}:${'x'.repeat(5000)}\n`).join('');
  await t.rejects(
    fetch(`${base}/broken`).then((r) => r.text()),
    TypeError,
    'an answer cut short is a failure',
  );
  // Several at once, twice: no answer sees another's bytes.
  for (let round = 0; round < 2; round++) {
    const marks = Array.from({ length: 6 }, (_, i) => `r${round}-${i}`);
    const texts = await Promise.all(marks.map(async (mark) => (await fetch(`${base}/big/${mark}`)).text()));
    texts.forEach((text, i) => t.equal(text, expected(marks[i]), `answer ${marks[i]} whole`));
  }
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
  t.same(JSON.parse(await kept.text()), { data: { echo: 'keep me' } }, 'undefined keeps the answer as it came');
  t.same(seen, [JSON.stringify({ data: { echo: 'replace me' } }), JSON.stringify({ data: { echo: 'keep me' } })]);
});

t.test('a kept-alive connection the server closed as the request went out: resent if resendable, reported otherwise', async (t) => {
  // A server that answers the first request on a connection and resets the connection on the second
  // (the race of a server closing an idle keep-alive connection just as a request is written).
  const seen: Array<{ connection: number; body: string }> = [];
  let connectionCount = 0;
  const racing = http.createServer((req, res) => {
    const socket = req.socket as typeof req.socket & { served?: number; id?: number };
    socket.id ??= ++connectionCount;
    socket.served = (socket.served ?? 0) + 1;
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({ connection: socket.id!, body });
      if (socket.served! > 1) socket.resetAndDestroy();
      else res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"data":{}}');
    });
  });
  await new Promise<void>((resolve) => racing.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(racing.address() as AddressInfo).port}/graphql`;
  const resendable = new Set(['query']);
  const client = createHttpsFetch({}, { mayResend: (init) => resendable.has(String(init.body)) });
  t.teardown(() => {
    client.close();
    racing.closeAllConnections();
    racing.close();
  });

  t.equal((await client.fetch(url, { method: 'POST', body: 'query' })).status, 200, 'the first request opens a connection');
  const resent = await client.fetch(url, { method: 'POST', body: 'query' });
  t.equal(resent.status, 200, 'a resendable request is answered after all');
  t.same(
    seen.map((s) => s.connection),
    [1, 1, 2],
    'it went out on the kept-alive connection, which was reset, and again on a new one',
  );

  const error = await client.fetch(url, { method: 'POST', body: 'mutation' }).then(
    () => undefined,
    (err: unknown) => err,
  );
  t.type(error, TypeError, 'a request that is not resendable fails on the reset');
  t.equal((error as TypeError & { cause?: { code?: string } }).cause?.code, 'ECONNRESET', 'with the reset as its cause');
  t.equal(seen.length, 4, 'and was sent once');

  // A reset of a new connection is a failure of the server, not a stale connection: never resent.
  const fresh = createHttpsFetch({}, { mayResend: () => true });
  t.teardown(() => fresh.close());
  const onNew = http.createServer((req) => req.socket.resetAndDestroy());
  await new Promise<void>((resolve) => onNew.listen(0, '127.0.0.1', resolve));
  t.teardown(() => onNew.close());
  let arrived = 0;
  onNew.on('request', () => arrived++);
  const failed = await fresh.fetch(`http://127.0.0.1:${(onNew.address() as AddressInfo).port}/`, { method: 'POST', body: 'query' }).then(
    () => undefined,
    (err: unknown) => err,
  );
  t.type(failed, TypeError, 'a reset on a new connection is reported');
  t.equal(arrived, 1, 'after one attempt');
});

t.test('a kept-alive connection reset after the answer began is reported, never resent', async (t) => {
  let served = 0;
  const partial = http.createServer((req, res) => {
    served++;
    req.resume();
    req.on('end', () => {
      if (served === 1) return void res.end('{"data":{}}');
      res.writeHead(200, { 'content-length': '100' });
      res.write('{"data":');
      setTimeout(() => req.socket.resetAndDestroy(), 20);
    });
  });
  await new Promise<void>((resolve) => partial.listen(0, '127.0.0.1', resolve));
  const client = createHttpsFetch({}, { mayResend: () => true });
  t.teardown(() => {
    client.close();
    partial.closeAllConnections();
    partial.close();
  });
  const url = `http://127.0.0.1:${(partial.address() as AddressInfo).port}/`;
  t.equal((await client.fetch(url, { method: 'POST', body: 'query' })).status, 200);
  const error = await client.fetch(url, { method: 'POST', body: 'query' }).then(
    () => undefined,
    (err: unknown) => err,
  );
  t.type(error, TypeError, 'the broken answer is a failure');
  t.equal(served, 2, 'the request was not sent again: the server had begun to answer it');
});
