// /healthz (is the agent's event loop turning and its state machine running), /readyz (does the
// agent hold a valid certificate), /metrics (Prometheus) and /debug (the live state machine).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

export interface HealthServerOptions {
  port: number;
  host?: string;
  /** Liveness beyond the event loop heartbeat, e.g. "the state machine actor is running". */
  liveness: () => ProbeResult;
  readiness: () => ProbeResult;
  registry: Registry;
  /** JSON for /debug (state value, context summary, recent events); HTML at /debug?format=html. */
  debug?: () => unknown;
  debugHtml?: () => Promise<string>;
  /** An event-loop delay above this (since the previous probe) fails liveness. */
  maxEventLoopDelayMs?: number;
}

export interface HealthServer {
  readonly port: number;
  readonly url: string;
  close(): Promise<void>;
}

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const maxDelayMs = options.maxEventLoopDelayMs ?? 5_000;
  // A blocked loop cannot answer at all (the probe times out); one that was blocked for long since
  // the last probe is reported too, so a loop that stalls again and again gets the pod restarted.
  const sampleMs = 50;
  let lastSample = performance.now();
  let worstMs = 0;
  const sampler = setInterval(() => {
    const now = performance.now();
    worstMs = Math.max(worstMs, now - lastSample - sampleMs);
    lastSample = now;
  }, sampleMs);
  sampler.unref();

  const liveness = (): ProbeResult => {
    const worst = worstMs;
    worstMs = 0;
    if (worst > maxDelayMs) return { ok: false, detail: `event loop was blocked for ${Math.round(worst)} ms` };
    return options.liveness();
  };

  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    const probe = (result: ProbeResult) => send(result.ok ? 200 : 503, `${result.ok ? 'ok' : 'failing'}: ${result.detail}\n`);
    (async () => {
      switch (url.pathname) {
        case '/healthz':
          return probe(liveness());
        case '/readyz':
          return probe(options.readiness());
        case '/metrics':
          return send(200, await options.registry.metrics(), options.registry.contentType);
        case '/debug':
          if (url.searchParams.get('format') === 'html' && options.debugHtml) {
            return send(200, await options.debugHtml(), 'text/html; charset=utf-8');
          }
          return send(200, JSON.stringify(options.debug?.() ?? {}, null, 2) + '\n', 'application/json');
        default:
          return send(404, 'not found\n');
      }
    })().catch((err: unknown) => send(500, `internal error: ${(err as Error).message}\n`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: `http://${options.host === '0.0.0.0' || !options.host ? '127.0.0.1' : options.host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(sampler);
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
