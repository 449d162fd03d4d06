// JSON over HTTPS to the API server, authenticated by client-node's KubeConfig (client certificates,
// bearer and service-account tokens, exec and OIDC plugins, proxies: `applyToHTTPSOptions`), over
// keep-alive connections (connection-reuse.ts). The agent talks to a handful of endpoints; going
// through client-node's generated API classes would load every generated model of the Kubernetes API
// (about half of the agent's idle memory) and deserialize each response into model classes only to
// turn them back into plain JSON.
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';
import { KeepAliveAgents } from './connection-reuse.js';

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
  ) {
    super(`HTTP ${statusCode}`);
  }
}

/** Failures of a reused keep-alive connection that turned out closed before any answer came. */
const staleConnectionErrors = new WeakSet<Error>();

export interface KubeRestOptions {
  /** Time without any response activity before a request is aborted (default 30 s). */
  timeoutMs?: number;
  /** The keep-alive agents to send through (default: a pool of this client's own). */
  agents?: KeepAliveAgents;
}

export class KubeRest {
  private readonly timeoutMs: number;
  private readonly agents: KeepAliveAgents;

  constructor(
    private readonly kubeConfig: KubeConfig,
    options: KubeRestOptions = {},
  ) {
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.agents = options.agents ?? new KeepAliveAgents();
  }

  /** Sends the request and resolves with the parsed JSON response (undefined for an empty body). */
  async request<T>(request: KubeRequest): Promise<T> {
    const url = this.url(request);
    const payload = request.body === undefined ? undefined : Buffer.from(JSON.stringify(request.body));
    const options: https.RequestOptions = {
      method: request.method,
      headers: {
        Accept: 'application/json',
        ...(payload ? { 'Content-Type': request.contentType ?? 'application/json', 'Content-Length': payload.length } : {}),
      },
    };
    await this.kubeConfig.applyToHTTPSOptions(options);
    // client-node sets a fresh agent per request; a proxy keeps it, direct TLS goes through our pool.
    const pooled = url.protocol === 'https:' && !this.kubeConfig.getCurrentCluster()?.proxyUrl;
    if (pooled) options.agent = this.agents.agentFor(url.origin, options as https.AgentOptions);
    try {
      return await this.send<T>(request, url, options, payload);
    } catch (error) {
      // A keep-alive connection the server closed while it sat idle (or across a restart) fails the
      // request that picks it up before the server saw it. As Node advises, it is sent once more; a
      // pooled request on a connection of its own, so that it cannot pick up another stale one.
      if (!staleConnectionErrors.has(error as Error)) throw error;
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
          if (status < 200 || status >= 300) return reject(new KubeResponseError(status, text));
          if (!text) return resolve(undefined as T);
          try {
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
