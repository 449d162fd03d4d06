// /debug is not on the health port the Service exposes: it has a loopback listener of its own, and a
// health port bound to all interfaces answers 404 for it; /healthz, /readyz and /metrics stay there.
import t from 'tap';
import { networkInterfaces } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { isLoopbackHost, startHealthServer } from '../../adapters/http/health-server.js';
import { createAgentMetrics } from '../../adapters/metrics.js';
import { errorCode } from '../../adapters/unknown-values.js';

const probes = { liveness: () => ({ ok: true, detail: 'fine' }), readiness: () => ({ ok: true, detail: 'fine' }) };
/** An address of this machine that is not loopback, where "from the network" can be tried. */
const external = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

t.test('the health port on all interfaces serves probes and metrics, never /debug', async (t) => {
  const metrics = createAgentMetrics({ defaultMetrics: false });
  const server = await startHealthServer({
    ...probes,
    port: 0,
    registry: metrics.registry,
    debug: () => ({ state: 'Synchronized' }),
    debugHtml: async () => '<html>Synchronized</html>',
    debugAddress: { host: '127.0.0.1', port: 0 },
  });
  t.teardown(() => server.close());
  t.equal((await fetch(`${server.url}/healthz`)).status, 200);
  t.equal((await fetch(`${server.url}/readyz`)).status, 200);
  t.match(await (await fetch(`${server.url}/metrics`)).text(), /runtime_agent_connection_state/);
  t.equal((await fetch(`${server.url}/debug`)).status, 404, '/debug is not on the health port');
  t.equal((await fetch(`${server.url}/debug?format=html`)).status, 404);

  t.match(server.debugUrl, /^http:\/\/127\.0\.0\.1:\d+\/debug$/, 'it has a loopback listener of its own');
  t.same(await (await fetch(server.debugUrl!)).json(), { state: 'Synchronized' });
  t.match(await (await fetch(`${server.debugUrl}?format=html`)).text(), /Synchronized/);
  const debugBase = server.debugUrl!.replace(/\/debug$/, '');
  t.equal((await fetch(`${debugBase}/metrics`)).status, 404, 'the debug listener serves only debug endpoints');

  if (!external) {
    t.comment('no non-loopback IPv4 address on this machine: reachability from the network not checked');
    return;
  }
  const port = Number(new URL(server.url).port);
  t.equal((await fetch(`http://${external}:${port}/metrics`)).status, 200, `the health port answers on ${external}`);
  const debugPort = Number(new URL(debugBase).port);
  const refused = await fetch(`http://${external}:${debugPort}/debug`).then(
    () => 'answered',
    (err: { cause?: { code?: string } }) => err.cause?.code,
  );
  t.equal(refused, 'ECONNREFUSED', `the debug listener does not answer on ${external}`);
});

t.test('without a debug address there is no /debug at all; a taken port is reported, the probes still run', async (t) => {
  const metrics = createAgentMetrics({ defaultMetrics: false });
  const off = await startHealthServer({ ...probes, port: 0, registry: metrics.registry, debug: () => ({}), debugAddress: null });
  t.teardown(() => off.close());
  t.equal(off.debugUrl, undefined);
  t.equal((await fetch(`${off.url}/debug`)).status, 404);

  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  t.teardown(() => taken.close());
  const errors: unknown[] = [];
  const busy = await startHealthServer({
    ...probes,
    port: 0,
    registry: metrics.registry,
    debug: () => ({}),
    debugAddress: { host: '127.0.0.1', port: (taken.address() as AddressInfo).port },
    onDebugUnavailable: (err) => errors.push(err),
  });
  t.teardown(() => busy.close());
  t.equal(busy.debugUrl, undefined);
  t.match(
    errors.map((e) => errorCode(e)),
    ['EADDRINUSE'],
  );
  t.equal((await fetch(`${busy.url}/healthz`)).status, 200, 'the health port runs regardless');
});

t.test('loopback addresses', async (t) => {
  for (const host of ['127.0.0.1', '127.1.2.3', '::1', 'localhost']) t.ok(isLoopbackHost(host), host);
  for (const host of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com']) t.notOk(isLoopbackHost(host), host);
});
