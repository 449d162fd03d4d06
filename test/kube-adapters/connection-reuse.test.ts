// client-node 1.4 opens a TLS connection per request; the agent's KubeRest reuses them. Pinned here:
// one agent per TLS identity, requests keep working across an API server restart, proxies are left to
// the library.
import t from 'tap';
import { KubeConfig } from '@kubernetes/client-node';
import { startKubeSim } from '../../sim/kube/index.js';
import { KeepAliveAgents } from '../../adapters/kube/connection-reuse.js';
import { KubeRest } from '../../adapters/kube/kube-rest.js';

const sim = await startKubeSim();
const kc = new KubeConfig();
kc.loadFromString(await sim.kubeconfig());
const server = kc.getCurrentCluster()!.server;

await t.test('requests with one identity share one keep-alive agent', async (t) => {
  const agents = new KeepAliveAgents();
  const a = agents.agentFor(server, { cert: 'x', key: 'y' });
  t.equal(agents.agentFor(server, { cert: 'x', key: 'y' }), a, 'same identity, same agent');
  t.not(agents.agentFor(server, { cert: 'x', key: 'z' }), a, 'another identity, another agent');
  t.equal(a.options.keepAlive, true);
  for (const key of ['k1', 'k2', 'k3', 'k4']) agents.agentFor(server, { cert: 'x', key });
  t.equal(a.options.keepAlive, false, 'beyond four identities the oldest agent is retired');

  class CountingAgents extends KeepAliveAgents {
    calls = 0;
    override agentFor(...args: Parameters<KeepAliveAgents['agentFor']>) {
      this.calls++;
      return super.agentFor(...args);
    }
  }
  const proxied = new KubeConfig();
  proxied.loadFromOptions({
    clusters: [{ name: 'c', server: 'https://127.0.0.1:1', proxyUrl: 'http://127.0.0.1:3128', skipTLSVerify: false }],
    users: [{ name: 'u' }],
    contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
    currentContext: 'ctx',
  });
  const pool = new CountingAgents();
  await new KubeRest(proxied, { timeoutMs: 200, agents: pool }).request({ method: 'GET', path: '/api' }).catch(() => undefined);
  t.equal(pool.calls, 0, 'a proxy gets the library agent');
  await new KubeRest(kc, { agents: pool }).request({ method: 'GET', path: '/api/v1/namespaces/default' });
  t.equal(pool.calls, 1, 'a direct connection goes through the pool');
});

await t.test('calls work over reused connections, and again after the API server restarts', async (t) => {
  const rest = new KubeRest(kc);
  sim.clearRequestLog();
  for (let i = 0; i < 20; i++) await rest.request({ method: 'GET', path: '/api/v1/namespaces/default' });
  t.equal(sim.requestLog.filter((e) => e.verb === 'get').length, 20);
  await sim.stop();
  await sim.restart();
  // As with any keep-alive client, the first request may still pick a pooled socket the server has
  // closed; it fails like a network error (the agent's loops retry), and the pool drops that socket.
  const first = await rest.request({ method: 'GET', path: '/api/v1/namespaces/default' }).then(
    () => 'ok',
    (err: Error) => err.message,
  );
  t.match(first, /^ok$|socket hang up|ECONNRESET|EPIPE/);
  const ns = await rest.request<{ metadata?: { name?: string } }>({ method: 'GET', path: '/api/v1/namespaces/default' });
  t.equal(ns.metadata?.name, 'default', 'the next request gets a fresh connection');
});

await sim.close();
