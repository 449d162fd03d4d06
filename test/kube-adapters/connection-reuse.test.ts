// client-node 1.4 opens a TLS connection per request; the agent reuses them. Pinned here: one agent per
// TLS identity, requests keep working across an API server restart, proxies are left to the library.
import t from 'tap';
import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { startKubeSim } from '../../sim/kube/index.js';
import { reuseConnections } from '../../adapters/kube/connection-reuse.js';

type Factory = (cluster: unknown, options: object) => unknown;

const sim = await startKubeSim();
const kc = new KubeConfig();
kc.loadFromString(await sim.kubeconfig());
reuseConnections(kc);
reuseConnections(kc); // idempotent
const createAgent = (kc as unknown as { createAgent: Factory }).createAgent;

await t.test('requests with one identity share one keep-alive agent', async (t) => {
  const cluster = kc.getCurrentCluster();
  const a = createAgent(cluster, { cert: 'x', key: 'y' }) as { keepAlive?: boolean; options: { keepAlive?: boolean } };
  t.equal(createAgent(cluster, { cert: 'x', key: 'y' }), a, 'same identity, same agent');
  t.not(createAgent(cluster, { cert: 'x', key: 'z' }), a, 'another identity, another agent');
  t.equal(a.options.keepAlive, true);
  t.type(createAgent({ server: 'http://127.0.0.1:1', proxyUrl: 'http://127.0.0.1:3128' }, {}), Object, 'a proxy gets the library agent');
});

await t.test('typed calls work over reused connections, and again after the API server restarts', async (t) => {
  const core = kc.makeApiClient(CoreV1Api);
  for (let i = 0; i < 20; i++) await core.readNamespace({ name: 'default' });
  t.equal(sim.requestLog.filter((e) => e.verb === 'get').length, 20);
  await sim.stop();
  await sim.restart();
  // As with any keep-alive client, the first request may still pick a pooled socket the server has
  // closed; it fails like a network error (the agent's loops retry), and the pool drops that socket.
  const first = await core.readNamespace({ name: 'default' }).then(
    () => 'ok',
    (err: Error) => err.message,
  );
  t.match(first, /^ok$|socket hang up|ECONNRESET|EPIPE/);
  const ns = await core.readNamespace({ name: 'default' });
  t.equal(ns.metadata?.name, 'default', 'the next request gets a fresh connection');
});

await sim.close();
