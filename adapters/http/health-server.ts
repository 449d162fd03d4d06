// /healthz (is the agent's event loop turning and its state machine running), /readyz (does the
// agent hold a valid certificate) and /metrics (Prometheus) on the health port, where probes and
// Prometheus reach them; /debug (the live state machine) only on a loopback listener of its own
// (`kubectl port-forward` reaches it, the Service and the network do not), unless the operator names
// another address. Debug endpoints are served only by listeners bound to a loopback address or by the
// debug listener, never by the health port on all interfaces. /debug answers JSON, or the page for
// a browser (or ?format=html); /debug/events streams the page's updates as server-sent events.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { errorMessage } from '../unknown-values.js';

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
  /** Live updates of the debug page at /debug/events (server-sent events). */
  debugEvents?: DebugEventSource;
  /** Where the debug listener binds (APP_DEBUG_ADDRESS); null or absent: no debug listener. */
  debugAddress?: ListenAddress | null;
  /** The debug listener could not start (e.g. its port is taken): the health port still runs. */
  onDebugUnavailable?: (error: unknown) => void;
  /** An event-loop delay above this (since the previous probe) fails liveness. */
  maxEventLoopDelayMs?: number;
}

/** What /debug/events streams: one `update` event (the JSON of `update()`) at connection and after changes. */
export interface DebugEventSource {
  /** Calls `onChange` whenever `update()` may give something new; returns the unsubscribe. */
  subscribe(onChange: () => void): () => void;
  update(): unknown;
  /** Changes that come closer together are sent as one update, at most this often (default 100 ms). */
  minIntervalMs?: number;
  /** A comment line keeps idle connections open through proxies and port-forwards (default 15 s). */
  keepAliveMs?: number;
  /** Streams open at once; more are refused with 503 (default 16). */
  maxClients?: number;
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
type Route = (path: string, url: URL, send: Send, req: IncomingMessage, res: ServerResponse) => Promise<boolean>;

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const maxDelayMs = options.maxEventLoopDelayMs ?? 5_000;
  // A blocked loop cannot answer at all (the probe times out); one that was blocked for long since
  // the last probe is reported too, so a loop that stalls again and again gets the pod restarted.
  // Sampled at a tenth of the threshold (500 ms for 5 s): a block is measured to within that, and an
  // idle agent is not woken 20 times a second for it.
  const sampleMs = Math.min(1000, Math.max(10, maxDelayMs / 10));
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
  const stream = options.debugEvents ? eventStream(options.debugEvents) : undefined;
  const debugRoutes: Route = async (path, url, send, req, res) => {
    if (!options.debug) return false;
    if (path === '/debug/events' && stream) {
      stream.open(res);
      return true;
    }
    if (path !== '/debug') return false;
    // A browser gets the page, curl and scripts the JSON; ?format= decides either way.
    const format = url.searchParams.get('format') ?? (/\btext\/html\b/.test(req.headers.accept ?? '') ? 'html' : 'json');
    if (format === 'html' && options.debugHtml) send(200, await options.debugHtml(), 'text/html; charset=utf-8');
    else send(200, JSON.stringify(options.debug() ?? {}, null, 2) + '\n', 'application/json');
    return true;
  };

  const handler = (routes: Route[]) => (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send: Send = (status, body, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    (async () => {
      for (const route of routes) if (await route(url.pathname, url, send, req, res)) return;
      send(404, 'not found\n');
    })().catch((err: unknown) => send(500, `internal error: ${errorMessage(err)}\n`));
  };

  const host = options.host ?? DEFAULT_HEALTH_HOST;
  const health: Route = (path, _url, send) => healthRoutes(path, send);
  const server = createServer(handler(isLoopbackHost(host) ? [health, debugRoutes] : [health]));
  await listen(server, options.port, host);
  const port = portOf(server);

  let debugServer: Server | undefined;
  let debugUrl: string | undefined;
  if (options.debug && options.debugAddress) {
    const candidate = createServer(handler([debugRoutes]));
    try {
      await listen(candidate, options.debugAddress.port, options.debugAddress.host);
      debugServer = candidate;
      debugUrl = `http://${urlHost(options.debugAddress.host)}:${portOf(candidate)}/debug`;
    } catch (error) {
      options.onDebugUnavailable?.(error);
    }
  }

  return {
    port,
    url: `http://${host === DEFAULT_HEALTH_HOST || host === '::' ? '127.0.0.1' : urlHost(host)}:${port}`,
    debugUrl,
    close: async () => {
      clearInterval(sampler);
      stream?.close();
      await Promise.all([server, debugServer].filter((s): s is Server => !!s).map(closeServer));
    },
  };
}

/** A client that has not read this much of what was sent is too slow to follow: it is dropped. */
const MAX_BACKLOG_BYTES = 1024 * 1024;

/** The open /debug/events streams: one update computed per change, written to every client. */
function eventStream(source: DebugEventSource) {
  const minIntervalMs = source.minIntervalMs ?? 100;
  const keepAliveMs = source.keepAliveMs ?? 15_000;
  const maxClients = source.maxClients ?? 16;
  const clients = new Set<ServerResponse>();
  let unsubscribe: (() => void) | undefined;
  let pending: NodeJS.Timeout | undefined;
  let keepAlive: NodeJS.Timeout | undefined;

  const frame = () => `event: update\ndata: ${JSON.stringify(source.update() ?? null)}\n\n`;
  const write = (res: ServerResponse, text: string) => {
    if (res.writableLength > MAX_BACKLOG_BYTES) res.destroy();
    else res.write(text);
  };
  const flush = () => {
    pending = undefined;
    if (clients.size === 0) return;
    let text: string;
    try {
      text = frame();
    } catch (error) {
      text = `event: failure\ndata: ${JSON.stringify(errorMessage(error))}\n\n`;
    }
    for (const res of clients) write(res, text);
  };
  const stop = () => {
    unsubscribe?.();
    unsubscribe = undefined;
    clearTimeout(pending);
    clearInterval(keepAlive);
    pending = undefined;
    keepAlive = undefined;
  };

  return {
    open(res: ServerResponse) {
      if (clients.size >= maxClients) {
        res.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '10' });
        res.end(`too many /debug/events streams open (${maxClients})\n`);
        return;
      }
      const first = frame();
      res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(`retry: 2000\n\n${first}`);
      clients.add(res);
      if (clients.size === 1) {
        unsubscribe = source.subscribe(() => {
          pending ??= setTimeout(flush, minIntervalMs);
        });
        keepAlive = setInterval(() => {
          for (const client of clients) write(client, ': keep-alive\n\n');
        }, keepAliveMs);
        keepAlive.unref();
      }
      const gone = () => {
        if (!clients.delete(res)) return;
        if (clients.size === 0) stop();
      };
      // The response never ends by itself: its close is the client going away (or the server closing).
      res.on('close', gone);
    },
    close() {
      for (const res of clients) res.end();
      clients.clear();
      stop();
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

/** The TCP port a listening server is bound to. */
function portOf(server: Server): number {
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('the server is not listening on a TCP port');
  return address.port;
}
