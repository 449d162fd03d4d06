// client-node 1.4 opens a TLS connection per request; the agent's KubeRest reuses them. Pinned here:
// one agent per TLS identity, requests keep working across an API server restart (a request that
// picks up a connection the server closed is sent again), proxies are left to the library.
import t from 'tap';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { createCertificateAuthority, issueServerCertificate } from '../../sim/tls/certificate-authority.js';
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
  const ns = await rest.request<{ metadata?: { name?: string } }>({ method: 'GET', path: '/api/v1/namespaces/default' });
  t.equal(ns.metadata?.name, 'default', 'the first request after the restart is answered');
});

await t.test('a request that picks up a connection the server closed is sent again on a fresh one', async (t) => {
  // A server that closes each kept-alive connection when a second request arrives on it: the race of
  // an idle timeout, made certain.
  const ca = await createCertificateAuthority('stale-connection-test');
  const certificate = await issueServerCertificate(ca, 'localhost');
  const served = new WeakMap<object, number>();
  const requests: string[] = [];
  const server = https.createServer({ key: certificate.keyPem, cert: certificate.certPem }, (req, res) => {
    const count = (served.get(req.socket) ?? 0) + 1;
    served.set(req.socket, count);
    requests.push(`${req.method} ${count}`);
    if (count > 1) return req.socket.destroy();
    req.resume();
    req.on('end', () => res.writeHead(201, { 'content-type': 'application/json' }).end('{"ok":true}'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  const kubeconfigFor = (target: https.Server) => {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [
        {
          name: 'c',
          server: `https://127.0.0.1:${(target.address() as AddressInfo).port}`,
          caData: Buffer.from(ca.certPem).toString('base64'),
          skipTLSVerify: false,
        },
      ],
      users: [{ name: 'u' }],
      contexts: [{ name: 'ctx', cluster: 'c', user: 'u' }],
      currentContext: 'ctx',
    });
    return config;
  };
  const stale = kubeconfigFor(server);
  const rest = new KubeRest(stale);
  const create = () =>
    rest.request<{ ok: boolean }>({ method: 'POST', path: '/api/v1/namespaces/default/configmaps', body: { kind: 'ConfigMap' } });
  t.same(await create(), { ok: true });
  t.same(await create(), { ok: true }, 'the second request, on the reused connection the server closed, is answered');
  t.same(requests, ['POST 1', 'POST 2', 'POST 1'], 'sent once more, on a new connection');
  let failed = 0;
  const failing = https.createServer({ key: certificate.keyPem, cert: certificate.certPem }, (req) => {
    failed++;
    req.socket.destroy();
  });
  await new Promise<void>((resolve) => failing.listen(0, '127.0.0.1', resolve));
  t.teardown(() => failing.close());
  const refused = await new KubeRest(kubeconfigFor(failing))
    .request({ method: 'GET', path: '/api/v1/namespaces/default' })
    .catch((error: Error) => error);
  t.match(refused, { message: /socket hang up|ECONNRESET/ });
  t.equal(failed, 1, 'a fresh connection that fails is not retried');
});

await sim.close();
