// JSON over HTTPS to the API server, authenticated by client-node's KubeConfig (client certificates,
// bearer and service-account tokens, exec and OIDC plugins, proxies: `applyToHTTPSOptions`), over
// keep-alive connections (connection-reuse.ts). The agent talks to a handful of endpoints; going
// through client-node's generated API classes would load every generated model of the Kubernetes API
// (about half of the agent's idle memory) and deserialize each response into model classes only to
// turn them back into plain JSON. Watches are streamed here too (`watch`), instead of through
// client-node's Watch, whose node-fetch and URL polyfills the agent would load for nothing. A 429 Too Many Requests (API Priority and Fairness rejecting the
// request before it ran) is retried after the Retry-After the server asks for, within a cap.
import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeConfig } from '@kubernetes/client-node';
import { KeepAliveAgents } from './connection-reuse.js';
import { isRecord } from '../unknown-values.js';

export type QueryValue = string | number | boolean | undefined;

export interface KubeRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute API path, e.g. `/api/v1/namespaces/default/secrets`. */
  path: string;
  /** Query parameters; undefined values are left out. */
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Content type of the body; `application/json` unless a patch says otherwise. */
  contentType?: string;
}

/** The API server answered with an error status; `body` is its response (a Status, usually). */
export class KubeResponseError extends Error {
  override readonly name = 'KubeResponseError';
  constructor(
    readonly statusCode: number,
    readonly body: string,
    /** The Retry-After header in seconds, when the answer had a valid one. */
    readonly retryAfterSeconds?: number,
  ) {
    super(`HTTP ${statusCode}`);
  }
}

/** Retry-After as seconds: delta-seconds (what the API server sends) or an HTTP date. */
/** A header's value, or its first one when it came more than once. */
function firstHeaderValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

export function parseRetryAfter(value: string | undefined, now = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  // An HTTP date names its weekday and month ("Wed, 21 Oct 2015 07:28:00 GMT"); Date.parse would take "-1" for a year.
  const at = /^[A-Za-z]{3}, /.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - now) / 1000));
}

/** The wait before retrying a 429 whose answer had no (valid) Retry-After. */
const DEFAULT_RETRY_AFTER_SECONDS = 1;

/** What a watch request hands back: its end, once (null for a clean end, else the failure). */
export interface WatchRequest {
  /** Ends the watch; `onDone` is not called for an abort. */
  abort(): void;
}

/** Failures of a reused keep-alive connection that turned out closed before any answer came. */
const staleConnectionErrors = new WeakSet<Error>();

export interface KubeRestOptions {
  /** Time without any response activity before a request is aborted (default 30 s). */
  timeoutMs?: number;
  /** The keep-alive agents to send through (default: a pool of this client's own). */
  agents?: KeepAliveAgents;
  /** How often a request answered 429 Too Many Requests is sent again (default 5); then the 429 is the answer. */
  maxThrottleRetries?: number;
  /** The longest wait before one such retry, whatever Retry-After asks for (default 30 s). */
  maxRetryAfterMs?: number;
  /** User-Agent of every request (audit logs tell replicas apart by it); Node's default otherwise. */
  userAgent?: string;
  /**
   * Called right before each request is sent (retries included); throwing stops it unsent. Leader
   * election fences writes with it: a replica whose lease may have passed to another sends none.
   */
  guard?: (request: KubeRequest) => void;
}

export class KubeRest {
  private readonly timeoutMs: number;
  private readonly agents: KeepAliveAgents;
  private readonly maxThrottleRetries: number;
  private readonly maxRetryAfterMs: number;
  private readonly userAgent: string | undefined;
  private readonly guard: ((request: KubeRequest) => void) | undefined;

  constructor(
    private readonly kubeConfig: KubeConfig,
    options: KubeRestOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.agents = options.agents ?? new KeepAliveAgents();
    this.maxThrottleRetries = options.maxThrottleRetries ?? 5;
    this.maxRetryAfterMs = options.maxRetryAfterMs ?? 30_000;
    this.userAgent = options.userAgent;
    this.guard = options.guard;
  }

  /**
   * Sends the request and resolves with the parsed JSON response (undefined for an empty body). A 429
   * is sent again after its Retry-After (at most maxRetryAfterMs), up to maxThrottleRetries times: the
   * API server rejected it before running it, so this is safe for writes too.
   */
  async request<T>(request: KubeRequest): Promise<T> {
    for (let retry = 0; ; retry++) {
      try {
        return await this.requestOnce<T>(request);
      } catch (error) {
        if (!(error instanceof KubeResponseError) || error.statusCode !== 429 || retry >= this.maxThrottleRetries)
          throw withRequestBytes(error, request);
        const seconds = error.retryAfterSeconds ?? DEFAULT_RETRY_AFTER_SECONDS;
        await sleep(Math.min(seconds * 1000, this.maxRetryAfterMs));
      }
    }
  }

  private async requestOnce<T>(request: KubeRequest): Promise<T> {
    const url = this.url(request);
    const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
    const options: https.RequestOptions = {
      method: request.method,
      headers: {
        Accept: 'application/json',
        ...(this.userAgent ? { 'User-Agent': this.userAgent } : {}),
        ...(payload ? { 'Content-Type': request.contentType ?? 'application/json', 'Content-Length': payload.length } : {}),
      },
    };
    await this.kubeConfig.applyToHTTPSOptions(options);
    // client-node sets a fresh agent per request; a proxy keeps it, direct TLS goes through our pool.
    const pooled = url.protocol === 'https:' && !this.kubeConfig.getCurrentCluster()?.proxyUrl;
    if (pooled) options.agent = this.agents.agentFor(url.origin, options);
    this.guard?.(request);
    try {
      return await this.send<T>(request, url, options, payload);
    } catch (error) {
      // A keep-alive connection the server closed while it sat idle (or across a restart) fails the
      // request that picks it up before the server saw it. As Node advises, it is sent once more; a
      // pooled request on a connection of its own, so that it cannot pick up another stale one.
      if (!(error instanceof Error && staleConnectionErrors.has(error))) throw error;
      this.guard?.(request);
      return this.send<T>(request, url, pooled ? { ...options, agent: false } : options, payload);
    }
  }

  private send<T>(request: KubeRequest, url: URL, options: https.RequestOptions, payload: Buffer | undefined): Promise<T> {
    const transport = url.protocol === 'http:' ? http : https;
    return new Promise<T>((resolve, reject) => {
      let answered = false;
      const req = transport.request(url, options, (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const status = res.statusCode ?? 0;
          if (status < 200 || status >= 300) {
            return reject(new KubeResponseError(status, text, parseRetryAfter(firstHeaderValue(res.headers['retry-after']))));
          }
          // The API server's JSON is taken as the type the caller asked for: this is where the typed code meets the wire.
          // eslint-disable-next-line @typescript-eslint/no-unsafe-type-assertion -- an empty body, for a T that allows it (a DELETE's answer)
          if (!text) return resolve(undefined as T);
          try {
            // eslint-disable-next-line @typescript-eslint/no-unsafe-type-assertion -- the wire boundary described above
            resolve(JSON.parse(text) as T);
          } catch {
            reject(new Error(`the API server answered ${request.method} ${request.path} with a body that is not JSON`));
          }
        });
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (req.reusedSocket && !answered && (error.code === 'ECONNRESET' || error.code === 'EPIPE')) staleConnectionErrors.add(error);
        reject(error);
      });
      req.end(payload);
    });
  }

  /**
   * A watch (`watch=true`): each line of the stream is parsed and handed to `onEvent(type, object)`;
   * `onDone` is called once, with null when the server ends the stream, with the error otherwise (a
   * non-200 answer as a KubeResponseError carrying the server's Status). As client-node's Watch does,
   * lines that are not JSON are skipped and the socket gets TCP keep-alive probes every 30 s.
   */
  async watch(
    path: string,
    query: Record<string, QueryValue>,
    onEvent: (type: string, object: unknown) => void,
    onDone: (error: unknown) => void,
  ): Promise<WatchRequest> {
    const request: KubeRequest = { method: 'GET', path, query: { ...query, watch: true } };
    const url = this.url(request);
    const options: https.RequestOptions = {
      method: 'GET',
      headers: { Accept: 'application/json', ...(this.userAgent ? { 'User-Agent': this.userAgent } : {}) },
    };
    await this.kubeConfig.applyToHTTPSOptions(options);
    if (url.protocol === 'https:' && !this.kubeConfig.getCurrentCluster()?.proxyUrl)
      options.agent = this.agents.agentFor(url.origin, options);
    this.guard?.(request);
    let finished = false;
    const finish = (error: unknown) => {
      if (finished) return;
      finished = true;
      onDone(error);
    };
    const transport = url.protocol === 'http:' ? http : https;
    const req = transport.request(url, options, (res) => {
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', finish);
        res.on('end', () => finish(new KubeResponseError(status, Buffer.concat(chunks).toString('utf8'))));
        return;
      }
      let rest = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        let start = 0;
        let newline = chunk.indexOf('\n');
        if (newline < 0) {
          rest += chunk;
          return;
        }
        let line = rest + chunk.slice(0, newline);
        for (;;) {
          if (finished) return;
          deliver(line);
          start = newline + 1;
          newline = chunk.indexOf('\n', start);
          if (newline < 0) break;
          line = chunk.slice(start, newline);
        }
        rest = chunk.slice(start);
      });
      res.on('error', finish);
      res.on('end', () => {
        if (rest && !finished) deliver(rest);
        finish(null);
      });
    });
    const deliver = (line: string) => {
      let event: unknown;
      try {
        event = JSON.parse(line);
      } catch {
        return; // not JSON: skipped, as client-node's Watch does
      }
      if (isRecord(event) && typeof event.type === 'string') onEvent(event.type, event.object);
    };
    req.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
    req.on('error', finish);
    req.end();
    return {
      abort() {
        finished = true;
        req.destroy();
      },
    };
  }

  private url(request: KubeRequest): URL {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('The kubeconfig has no current cluster: check its current-context');
    // The server URL may carry a path prefix (API proxies do); keep it.
    const url = new URL(`${cluster.server.replace(/\/+$/, '')}${request.path}`);
    for (const [key, value] of Object.entries(request.query ?? {})) {
      if (value !== undefined && value !== '') url.searchParams.set(key, String(value));
    }
    return url;
  }
}

/**
 * Notes the size of the body a request failed to deliver on its network error (`requestBytes`): an API
 * server that refuses a body over its limit may close the connection before its answer arrives.
 */
function withRequestBytes(error: unknown, request: KubeRequest): unknown {
  if (error instanceof Error && !(error instanceof KubeResponseError) && request.body !== undefined) {
    (error as Error & { requestBytes?: number }).requestBytes = Buffer.byteLength(JSON.stringify(request.body));
  }
  return error;
}
