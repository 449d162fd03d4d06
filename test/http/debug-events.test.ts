// /debug/events: the page's live updates as server-sent events, on the debug listener only; a burst
// of changes is one update; a client that goes away ends its subscription. /debug itself gives a
// browser the page and anything else the JSON.
import t, { type Test } from 'tap';
import { startHealthServer, type DebugEventSource } from '../../adapters/http/health-server.js';
import { createAgentMetrics } from '../../adapters/metrics.js';
import { SseClient } from '../helpers/sse-client.js';

const probes = { liveness: () => ({ ok: true, detail: 'fine' }), readiness: () => ({ ok: true, detail: 'fine' }) };

/** A source whose update is the number of changes so far, with its listeners visible. */
function countingSource(extra: Partial<DebugEventSource> = {}) {
  const listeners = new Set<() => void>();
  let changes = 0;
  return {
    listeners,
    change(times = 1) {
      for (let i = 0; i < times; i++) {
        changes++;
        for (const listener of listeners) listener();
      }
    },
    source: {
      subscribe(listener: () => void) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
      update: () => ({ changes }),
      ...extra,
    } satisfies DebugEventSource,
  };
}

async function serve(t: Test, source: DebugEventSource) {
  const server = await startHealthServer({
    ...probes,
    port: 0,
    host: '0.0.0.0',
    registry: createAgentMetrics({ defaultMetrics: false }).registry,
    debug: () => ({ state: 'Starting' }),
    debugHtml: async () => '<!doctype html><title>page</title>',
    debugEvents: source,
    debugAddress: { host: '127.0.0.1', port: 0 },
  });
  t.teardown(() => server.close());
  return { server, events: `${server.debugUrl}/events` };
}

async function until(what: string, probe: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

t.test('a stream gets the state at once, then one update per burst of changes', async (t) => {
  const counting = countingSource();
  const { events } = await serve(t, counting.source);
  const client = new SseClient(events);
  t.teardown(() => client.close());
  const response = await client.ready;
  t.equal(response.status, 200);
  t.match(response.headers.get('content-type'), /^text\/event-stream/);
  t.equal(response.headers.get('cache-control'), 'no-store');

  t.equal((await client.next()).retry, 2000, 'the browser reconnects after 2 s');
  t.same(JSON.parse((await client.nextEvent('update')).data!), { changes: 0 }, 'the current state on connecting');
  t.equal(counting.listeners.size, 1, 'subscribed while a client listens');

  counting.change(50);
  t.same(JSON.parse((await client.nextEvent('update')).data!), { changes: 50 }, 'fifty changes in one go are one update');
  counting.change();
  t.same(JSON.parse((await client.nextEvent('update')).data!), { changes: 51 }, 'the next change, the next update');
});

t.test('every client gets the updates; one that goes away is unsubscribed', async (t) => {
  const counting = countingSource();
  const { events } = await serve(t, counting.source);
  const [a, b] = [new SseClient(events), new SseClient(events)];
  t.teardown(() => (a.close(), b.close()));
  await a.nextEvent('update');
  await b.nextEvent('update');
  t.equal(counting.listeners.size, 1, 'one subscription for all clients');
  counting.change();
  t.same(JSON.parse((await a.nextEvent('update')).data!), { changes: 1 });
  t.same(JSON.parse((await b.nextEvent('update')).data!), { changes: 1 });
  a.close();
  counting.change();
  t.same(JSON.parse((await b.nextEvent('update')).data!), { changes: 2 }, 'the other client still gets updates');
  b.close();
  await until('the subscription to end', () => counting.listeners.size === 0);
  t.pass('no client left: no subscription');
});

t.test('idle streams get keep-alive comments; a failing update is reported, not fatal', async (t) => {
  let fail = false;
  const counting = countingSource({ keepAliveMs: 50 });
  const source = {
    ...counting.source,
    update: () =>
      fail
        ? (() => {
            throw new Error('view broke');
          })()
        : { ok: true },
  };
  const { events } = await serve(t, source);
  const client = new SseClient(events);
  t.teardown(() => client.close());
  await client.nextEvent('update');
  let frame = await client.next();
  while (frame.comments.length === 0) frame = await client.next();
  t.same(frame.comments, ['keep-alive']);
  fail = true;
  counting.change();
  t.same(JSON.parse((await client.nextEvent('failure')).data!), 'view broke');
  fail = false;
  counting.change();
  t.same(JSON.parse((await client.nextEvent('update')).data!), { ok: true }, 'the stream goes on');
});

t.test('streams are limited; the health port has none', async (t) => {
  const counting = countingSource({ maxClients: 1 });
  const { server, events } = await serve(t, counting.source);
  const first = new SseClient(events);
  t.teardown(() => first.close());
  await first.nextEvent('update');
  const refused = await fetch(events);
  t.equal(refused.status, 503, 'a second stream is refused');
  t.match(await refused.text(), /too many \/debug\/events streams/);
  t.equal((await fetch(`${server.url}/debug/events`)).status, 404, 'the health port (behind the Service) serves no stream');
});

t.test('/debug: a browser gets the page, anything else the JSON; ?format decides', async (t) => {
  const { server } = await serve(t, countingSource().source);
  const url = server.debugUrl!;
  const browser = await fetch(url, { headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } });
  t.match(browser.headers.get('content-type'), /^text\/html/);
  t.match(await browser.text(), /<title>page<\/title>/);
  const curl = await fetch(url, { headers: { accept: '*/*' } });
  t.match(curl.headers.get('content-type'), /^application\/json/);
  t.same(await curl.json(), { state: 'Starting' });
  t.same(
    await (await fetch(`${url}?format=json`, { headers: { accept: 'text/html' } })).json(),
    { state: 'Starting' },
    '?format=json from a browser',
  );
  t.match(await (await fetch(`${url}?format=html`)).text(), /<title>page/, '?format=html from curl');
});
