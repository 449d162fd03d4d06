// /healthz (is the agent's event loop turning and its state machine running), /readyz (does the
// agent hold a valid certificate) and /metrics (Prometheus) on the health port, where probes and
// Prometheus reach them; /debug (the live state machine) only on a loopback listener of its own
// (`kubectl port-forward` reaches it, the Service and the network do not), unless the operator names
// another address. Debug endpoints are served only by listeners bound to a loopback address or by the
// debug listener, never by the health port on all interfaces.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';

export interface ProbeResult {
  ok: boolean;
  detail: string;
}

export interface ListenAddress {
  host: string;
  port: number;
}

export interface HealthServerOptions {
  port: number;
  /** Default 0.0.0.0 (probes and Prometheus). */
  host?: string;
  /** Liveness beyond the event loop heartbeat, e.g. "the state machine actor is running". */
  liveness: () => ProbeResult;
  readiness: () => ProbeResult;
  registry: Registry;
  /** JSON for /debug (state value, context summary, recent events); HTML at /debug?format=html. */
  debug?: () => unknown;
  debugHtml?: () => Promise<string>;
  /** Where the debug listener binds (APP_DEBUG_ADDRESS); null or absent: no debug listener. */
  debugAddress?: ListenAddress | null;
  /** The debug listener could not start (e.g. its port is taken): the health port still runs. */
  onDebugUnavailable?: (error: Error) => void;
  /** An event-loop delay above this (since the previous probe) fails liveness. */
  maxEventLoopDelayMs?: number;
}

export interface HealthServer {
  readonly port: number;
  readonly url: string;
  /** The debug listener's URL (…/debug), when one runs. */
  readonly debugUrl?: string;
  close(): Promise<void>;
}

export const DEFAULT_HEALTH_HOST = '0.0.0.0';

/** Whether a listener on `host` is reachable only from inside the Pod (or machine). */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

type Send = (status: number, body: string, type?: string) => void;

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

  const healthRoutes = async (path: string, send: Send): Promise<boolean> => {
    const probe = (result: ProbeResult) => send(result.ok ? 200 : 503, `${result.ok ? 'ok' : 'failing'}: ${result.detail}\n`);
    switch (path) {
      case '/healthz':
        probe(liveness());
        return true;
      case '/readyz':
        probe(options.readiness());
        return true;
      case '/metrics':
        send(200, await options.registry.metrics(), options.registry.contentType);
        return true;
      default:
        return false;
    }
  };
  const debugRoutes = async (path: string, url: URL, send: Send): Promise<boolean> => {
    if (path !== '/debug' || !options.debug) return false;
    if (url.searchParams.get('format') === 'html' && options.debugHtml) send(200, await options.debugHtml(), 'text/html; charset=utf-8');
    else send(200, JSON.stringify(options.debug() ?? {}, null, 2) + '\n', 'application/json');
    return true;
  };

  const handler = (routes: Array<(path: string, url: URL, send: Send) => Promise<boolean>>) => (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send: Send = (status, body, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    (async () => {
      for (const route of routes) if (await route(url.pathname, url, send)) return;
      send(404, 'not found\n');
    })().catch((err: unknown) => send(500, `internal error: ${(err as Error).message}\n`));
  };

  const host = options.host ?? DEFAULT_HEALTH_HOST;
  const health = (path: string, _url: URL, send: Send) => healthRoutes(path, send);
  const server = createServer(handler(isLoopbackHost(host) ? [health, debugRoutes] : [health]));
  await listen(server, options.port, host);
  const port = (server.address() as AddressInfo).port;

  let debugServer: Server | undefined;
  let debugUrl: string | undefined;
  if (options.debug && options.debugAddress) {
    const candidate = createServer(handler([debugRoutes]));
    try {
      await listen(candidate, options.debugAddress.port, options.debugAddress.host);
      debugServer = candidate;
      debugUrl = `http://${urlHost(options.debugAddress.host)}:${(candidate.address() as AddressInfo).port}/debug`;
    } catch (error) {
      options.onDebugUnavailable?.(error as Error);
    }
  }

  return {
    port,
    url: `http://${host === DEFAULT_HEALTH_HOST || host === '::' ? '127.0.0.1' : urlHost(host)}:${port}`,
    debugUrl,
    close: async () => {
      clearInterval(sampler);
      await Promise.all([server, debugServer].filter((s): s is Server => !!s).map(closeServer));
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}

function urlHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
