// Acceptance: /debug is off the Service. The agent as `run` serves it (serveAgent) against both
// simulators: /healthz, /readyz and /metrics on the health port on all interfaces, /debug only on a
// loopback listener of its own; from another interface the health port answers and /debug does not.
import t from 'tap';
import { networkInterfaces } from 'node:os';
import { Writable } from 'node:stream';
import { KubeConfig } from '@kubernetes/client-node';
import { createLogger } from '../../adapters/logger.js';
import { loadConfig } from '../../src/config.js';
import { serveAgent } from '../../src/commands/serve-agent.js';
import { startHarness, FAST_ENV } from '../helpers/agent-harness.js';

const external = Object.values(networkInterfaces())
  .flat()
  .find((i) => i && i.family === 'IPv4' && !i.internal)?.address;

t.test('the served agent: probes and metrics on the health port, /debug on loopback only', async (t) => {
  const h = await startHarness({ apps: 1 });
  t.teardown(() => h.close());
  const token = await h.writeConfigSecret();
  const logs: string[] = [];
  const logger = createLogger({
    level: 'debug',
    destination: new Writable({ write: (chunk, _e, done) => (logs.push(String(chunk)), done()) }),
  });
  const kubeConfig = new KubeConfig();
  kubeConfig.loadFromFile(h.agentKubeconfigPath); // the agent's ServiceAccount, as deploy/ binds it
  const config = loadConfig({ ...FAST_ENV, APP_DEBUG_ADDRESS: '127.0.0.1:0' });
  const served = await serveAgent({ config, kubeConfig, logger, compassCaPem: h.sims.compass.serverCaPem });
  t.teardown(() => served.stop());
  await h.waitForState('Synchronized');

  const health = served.health.url;
  t.equal((await fetch(`${health}/healthz`)).status, 200);
  t.equal((await fetch(`${health}/readyz`)).status, 200);
  t.match(await (await fetch(`${health}/metrics`)).text(), /runtime_agent_connection_state\{state="Synchronized"\} 1/);
  t.equal((await fetch(`${health}/debug`)).status, 404, 'the health port (behind the Service) does not serve /debug');
  t.equal((await fetch(`${health}/debug?format=html`)).status, 404);

  t.match(served.health.debugUrl, /^http:\/\/127\.0\.0\.1:\d+\/debug$/);
  const debug = await (await fetch(served.health.debugUrl!)).text();
  t.match(debug, /"connectionState": "Synchronized"/, '/debug answers on loopback');
  t.notOk(debug.includes(token), 'without the token');
  t.ok(
    logs.some((line) => line.includes('/debug listens on loopback only')),
    'the log says where /debug is',
  );

  if (!external) {
    t.comment('no non-loopback IPv4 address here: reachability from another interface not checked');
    return;
  }
  const healthPort = new URL(health).port;
  const debugPort = new URL(served.health.debugUrl!).port;
  t.equal((await fetch(`http://${external}:${healthPort}/healthz`)).status, 200, `the health port answers on ${external}`);
  t.equal((await fetch(`http://${external}:${healthPort}/debug`)).status, 404, `and does not serve /debug there`);
  const outcome = await fetch(`http://${external}:${debugPort}/debug`).then(
    (res) => `HTTP ${res.status}`,
    (err: { cause?: { code?: string } }) => err.cause?.code,
  );
  t.equal(outcome, 'ECONNREFUSED', `the debug port refuses connections on ${external}`);
});
