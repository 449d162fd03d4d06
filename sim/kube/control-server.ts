// Loopback HTTP control endpoint for the simulator's faults, for tests and tools outside the process.
//
// Routes (JSON in and out):
//   GET    /healthz                 → "ok"
//   GET    /requests                → the request log
//   DELETE /requests                → clears the request log
//   POST   /faults/fail             {status, times?, verb?, resource?, namespace?, name?, retryAfterSeconds?, message?}
//   POST   /faults/latency          {ms, afterHandling?, verb?, resource?, namespace?, name?}
//   POST   /faults/drop-watches     {mode?: "clean" | "abrupt"} → {dropped}
//   POST   /faults/compact          → {resourceVersion}
//   POST   /faults/clear            → removes failure and latency rules
//   GET    /faults                  → {pendingFailures}
//   POST   /listener/stop           → closes the API listener (state kept)
//   POST   /listener/restart        → listens again on the same port
//   POST   /serviceaccounts/token   {namespace, name, expirationSeconds?} → {token} for an existing ServiceAccount (404 otherwise)
import { createServer, type Server } from 'node:http';
import type { KubeSim } from './index.js';
import { KubeStatusError } from './status-error.js';

export function startControlServer(sim: KubeSim): Promise<Server> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const reply = (status: number, body: unknown) => {
        res.writeHead(status, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      let input: Record<string, any> = {};
      try {
        const text = Buffer.concat(chunks).toString('utf8');
        if (text.trim()) input = JSON.parse(text);
      } catch (error) {
        return reply(400, { error: `request body is not JSON: ${(error as Error).message}` });
      }
      const route = `${req.method} ${new URL(req.url ?? '/', 'http://control').pathname}`;
      Promise.resolve()
        .then(async () => {
          switch (route) {
            case 'GET /healthz':
              return reply(200, 'ok');
            case 'GET /requests':
              return reply(200, sim.requestLog);
            case 'DELETE /requests':
              sim.clearRequestLog();
              return reply(200, {});
            case 'POST /faults/fail':
              sim.faults.failNext(input as never);
              return reply(200, {});
            case 'POST /faults/latency':
              sim.faults.addLatency(input as never);
              return reply(200, {});
            case 'POST /faults/drop-watches':
              return reply(200, { dropped: sim.faults.dropWatches(input.mode ?? 'clean') });
            case 'POST /faults/compact':
              return reply(200, { resourceVersion: sim.faults.compactHistory() });
            case 'POST /faults/clear':
              sim.faults.clear();
              return reply(200, {});
            case 'GET /faults':
              return reply(200, { pendingFailures: sim.faults.pendingFailures });
            case 'POST /listener/stop':
              await sim.stop();
              return reply(200, {});
            case 'POST /listener/restart':
              await sim.restart();
              return reply(200, { url: sim.url });
            case 'POST /serviceaccounts/token': {
              if (typeof input.namespace !== 'string' || typeof input.name !== 'string')
                return reply(400, { error: 'namespace and name (strings) are required' });
              try {
                return reply(200, {
                  token: sim.serviceAccountToken(input.namespace, input.name, { expirationSeconds: input.expirationSeconds }),
                });
              } catch (error) {
                if (error instanceof KubeStatusError) return reply(error.code, { error: error.message });
                throw error;
              }
            }
            default:
              return reply(404, { error: `no control route ${route}; see sim/kube/control-server.ts for the list` });
          }
        })
        .catch((error: Error) => reply(400, { error: error.message }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}
