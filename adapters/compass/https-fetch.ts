// A `fetch` for graphql-request over node:https with an https.Agent of our own: keep-alive, our trust
// anchors and our client certificate (mutual TLS). Node's global fetch cannot take a client
// certificate, and a second copy of undici only for that would cost the agent about 10 MB of
// resident memory. Failures look like fetch's: a TypeError('fetch failed') whose cause carries the
// socket or TLS error code; an aborted signal rejects with the signal's reason.
import http from 'node:http';
import https from 'node:https';

export interface HttpsFetch {
  fetch: typeof fetch;
  /** Closes the pooled connections; requests made afterwards open new ones. */
  close(): void;
}

export interface HttpsFetchOptions {
  /**
   * Sees each answer's body as it arrived (its chunks); a string it returns becomes the body of the
   * Response instead, so a body the caller already knows is never joined or decoded.
   */
  substituteBody?: (chunks: readonly Buffer[]) => string | undefined;
}

export function createHttpsFetch(agentOptions: https.AgentOptions, options: HttpsFetchOptions = {}): HttpsFetch {
  const agent = new https.Agent({ keepAlive: true, scheduling: 'lifo', ...agentOptions });
  const plainAgent = new http.Agent({ keepAlive: true });
  const request = (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(signal.reason);
    const headers: Record<string, string> = {};
    new Headers(init.headers).forEach((value, name) => (headers[name] = value));
    const body = typeof init.body === 'string' ? Buffer.from(init.body) : undefined;
    if (init.body !== undefined && init.body !== null && body === undefined) {
      return Promise.reject(new TypeError('this fetch sends string bodies only'));
    }
    if (body) headers['content-length'] = String(body.length);
    const transport = url.protocol === 'http:' ? { module: http, agent: plainAgent } : { module: https, agent };
    return new Promise<Response>((resolve, reject) => {
      const req = transport.module.request(url, { method: init.method ?? 'GET', headers, agent: transport.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => reject(new TypeError('fetch failed', { cause: err })));
        res.on('end', () => {
          signal?.removeEventListener('abort', onAbort);
          const responseHeaders = new Headers();
          for (const [name, value] of Object.entries(res.headers)) {
            for (const v of Array.isArray(value) ? value : [value]) if (v !== undefined) responseHeaders.append(name, v);
          }
          const status = res.statusCode ?? 0;
          const nullBody = status === 204 || status === 205 || status === 304;
          const body = nullBody ? null : (options.substituteBody?.(chunks) ?? Buffer.concat(chunks));
          resolve(new Response(body, { status, statusText: res.statusMessage, headers: responseHeaders }));
        });
      });
      const onAbort = () => {
        req.destroy();
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.on('error', (err) => {
        signal?.removeEventListener('abort', onAbort);
        if (!signal?.aborted) reject(new TypeError('fetch failed', { cause: err }));
      });
      req.end(body);
    });
  };
  return {
    fetch: request as typeof fetch,
    close() {
      agent.destroy();
      plainAgent.destroy();
    },
  };
}
