import t from 'tap';
import { startHealthServer } from '../../adapters/http/health-server.js';
import { createAgentMetrics } from '../../adapters/metrics.js';

t.test('probes report the agent, not a constant 200', async (t) => {
  let machineRunning = true;
  let certificateValid = false;
  const metrics = createAgentMetrics({ defaultMetrics: false });
  const server = await startHealthServer({
    port: 0,
    host: '127.0.0.1',
    liveness: () => ({ ok: machineRunning, detail: machineRunning ? 'state machine running' : 'state machine stopped' }),
    readiness: () => ({ ok: certificateValid, detail: certificateValid ? 'certificate valid' : 'no valid client certificate' }),
    registry: metrics.registry,
    debug: () => ({ state: 'Connected' }),
    debugHtml: async () => '<html><body>Connected</body></html>',
  });
  t.teardown(() => server.close());

  let res = await fetch(`${server.url}/healthz`);
  t.equal(res.status, 200);
  t.match(await res.text(), /state machine running/);
  res = await fetch(`${server.url}/readyz`);
  t.equal(res.status, 503, 'not ready without a certificate');
  t.match(await res.text(), /no valid client certificate/);

  certificateValid = true;
  machineRunning = false;
  t.equal((await fetch(`${server.url}/readyz`)).status, 200);
  res = await fetch(`${server.url}/healthz`);
  t.equal(res.status, 503, 'a stopped machine fails liveness');
  t.match(await res.text(), /stopped/);

  metrics.setConnectionState('Synchronized');
  metrics.setCertificateExpiry('2030-01-01T00:00:00Z');
  metrics.observeSync('Synchronized', 0.2);
  metrics.countApplicationOperations({ created: 3, failed: 0 });
  metrics.setManagedApplications(3);
  metrics.countDirectorPages({ read: 1, reused: 49 });
  metrics.countEvent('TICK');
  const body = await (await fetch(`${server.url}/metrics`)).text();
  t.match(body, /runtime_agent_connection_state\{state="Synchronized"\} 1/);
  t.match(body, /runtime_agent_connection_state\{state="Connected"\} 0/);
  t.match(body, /runtime_agent_certificate_expiry_timestamp_seconds 1893456000/);
  t.match(body, /runtime_agent_application_operations_total\{operation="created"\} 3/);
  t.notMatch(body, /operation="failed"/, 'zero counts are not emitted');
  t.match(body, /runtime_agent_managed_applications 3/);
  t.match(body, /runtime_agent_director_application_pages_total\{answer="read"\} 1/);
  t.match(body, /runtime_agent_director_application_pages_total\{answer="reused"\} 49/);
  t.match(body, /runtime_agent_machine_events_total\{type="TICK"\} 1/);

  t.same(await (await fetch(`${server.url}/debug`)).json(), { state: 'Connected' });
  t.match(await (await fetch(`${server.url}/debug?format=html`)).text(), /Connected/);
  t.equal((await fetch(`${server.url}/nope`)).status, 404);
});

t.test('an event loop that was blocked fails liveness at the next probe', async (t) => {
  const metrics = createAgentMetrics({ defaultMetrics: false });
  const server = await startHealthServer({
    port: 0,
    host: '127.0.0.1',
    liveness: () => ({ ok: true, detail: 'fine' }),
    readiness: () => ({ ok: true, detail: 'fine' }),
    registry: metrics.registry,
    maxEventLoopDelayMs: 150,
  });
  t.teardown(() => server.close());
  t.equal((await fetch(`${server.url}/healthz`)).status, 200);
  const until = Date.now() + 400;
  while (Date.now() < until) {
    /* block the loop */
  }
  const res = await fetch(`${server.url}/healthz`);
  t.equal(res.status, 503);
  t.match(await res.text(), /event loop was blocked for \d+ ms/);
  t.equal((await fetch(`${server.url}/healthz`)).status, 200, 'recovers once the loop turns freely again');
});
