// A `fetch` for graphql-request over node:https with an https.Agent of our own: keep-alive, our trust
// anchors and our client certificate (mutual TLS). Node's global fetch cannot take a client
// certificate, and a second copy of undici only for that would cost the agent about 10 MB of
// resident memory; its answers are FetchAnswers, not Responses, for the same reason (fetch-answer.ts).
// Failures look like fetch's: a TypeError('fetch failed') whose cause carries the socket or TLS
// error code; an aborted signal rejects with the signal's reason.
import http from 'node:http';
import https from 'node:https';
import { FetchAnswer } from './fetch-answer.js';
import { FetchHeaders, type FetchHeadersInit } from './fetch-headers.js';
import { isRecord } from '../unknown-values.js';

/**
 * The request could not be built or encoded here (a header value HTTP cannot carry, a body that is
 * not a string): nothing was sent. Its message never carries the offending value.
 */
export class LocalRequestError extends Error {
  override readonly name = 'LocalRequestError';
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

/** What a failure to build a request says: the code and, for Node's header checks, the header name (never the value). */
export function describeLocalFailure(error: unknown): LocalRequestError {
  if (error instanceof LocalRequestError) return error;
  const code = isRecord(error) ? error.code : undefined;
  const message = isRecord(error) && typeof error.message === 'string' ? error.message : '';
  // Node and FetchHeaders: 'Invalid character in header content ["connector-token"]'.
  const header = /\["([A-Za-z0-9-]+)"\]/.exec(message)?.[1];
  const what = header
    ? `the value of header ${header} contains characters an HTTP header cannot carry`
    : 'a header or the body could not be encoded';
  return new LocalRequestError(what, typeof code === 'string' ? code : 'ERR_INVALID_REQUEST');
}

/** What this fetch takes: fetch's arguments, with string bodies only and any Headers-like headers. */
export interface FetchInit {
  method?: string;
  headers?: FetchHeadersInit | null;
  body?: unknown;
  signal?: AbortSignal | null;
}

export type FetchFunction = (input: string | URL | { url: string }, init?: FetchInit) => Promise<FetchAnswer>;

export interface HttpsFetch {
  fetch: FetchFunction;
  /** Closes the pooled connections; requests made afterwards open new ones. */
  close(): void;
}

export interface HttpsFetchOptions {
  /**
   * Sees each answer's body as it arrived (its chunks); a string it returns becomes the body of the
   * answer instead, so a body the caller already knows is never joined or decoded.
   */
  substituteBody?: (chunks: readonly Buffer[]) => string | undefined;
  /** Called for each request that opens a new connection (not for one that reuses a kept-alive socket). */
  onNewConnection?: (url: URL) => void;
  /**
   * Whether this request may be sent again when the kept-alive connection it went out on turns out
   * closed by the server (a reset or a broken pipe before any answer): the race of a server closing
   * an idle connection just as a request is written. Only for requests without side effects.
   */
  mayResend?: (init: FetchInit) => boolean;
}

/** Socket errors of a kept-alive connection the server closed while it was idle. */
const STALE_CONNECTION_CODES = new Set(['ECONNRESET', 'EPIPE']);
/** Resends of one request, each on another kept-alive socket (a stale one is destroyed by its failure) or a new one. */
const MAX_RESENDS = 4;

/** node:http's rawHeaders (name, value, name, value, …) as pairs, repeated names kept. */
function* rawHeaderPairs(raw: readonly string[]): Generator<[string, string]> {
  for (let i = 0; i + 1 < raw.length; i += 2) yield [raw[i], raw[i + 1]];
}

export function createHttpsFetch(agentOptions: https.AgentOptions, options: HttpsFetchOptions = {}): HttpsFetch {
  const agent = new https.Agent({ keepAlive: true, scheduling: 'lifo', ...agentOptions });
  const plainAgent = new http.Agent({ keepAlive: true });
  const request: FetchFunction = (input, init = {}) => {
    const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url);
    const signal = init.signal ?? undefined;
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- as fetch does: the abort's reason, whatever the caller gave
    if (signal?.aborted) return Promise.reject(signal.reason);
    const headers: Record<string, string> = {};
    try {
      new FetchHeaders(init.headers).forEach((value, name) => (headers[name] = value));
    } catch (error) {
      return Promise.reject(describeLocalFailure(error));
    }
    const body = typeof init.body === 'string' ? Buffer.from(init.body) : undefined;
    if (init.body !== undefined && init.body !== null && body === undefined) {
      return Promise.reject(new LocalRequestError('this fetch sends string bodies only', 'ERR_INVALID_BODY'));
    }
    if (body) headers['content-length'] = String(body.length);
    const transport = url.protocol === 'http:' ? { module: http, agent: plainAgent } : { module: https, agent };
    const resendable = options.mayResend?.(init) ?? false;
    const send = (resends: number): Promise<FetchAnswer> =>
      new Promise<FetchAnswer>((resolve, reject) => {
        let req: http.ClientRequest;
        try {
          req = transport.module.request(url, { method: init.method ?? 'GET', headers, agent: transport.agent }, onResponse);
        } catch (error) {
          // Node validates header names and values before anything is sent.
          reject(describeLocalFailure(error));
          return;
        }
        if (options.onNewConnection) req.once('socket', () => !req.reusedSocket && options.onNewConnection!(url));
        function onResponse(res: http.IncomingMessage) {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('error', (err) => reject(new TypeError('fetch failed', { cause: err })));
          res.on('end', () => {
            signal?.removeEventListener('abort', onAbort);
            let responseHeaders;
            try {
              responseHeaders = new FetchHeaders(rawHeaderPairs(res.rawHeaders));
            } catch (error) {
              reject(new TypeError('fetch failed', { cause: error }));
              return;
            }
            const status = res.statusCode ?? 0;
            const nullBody = status === 204 || status === 205 || status === 304;
            const body = nullBody ? null : (options.substituteBody?.(chunks) ?? Buffer.concat(chunks));
            resolve(new FetchAnswer(body, status, res.statusMessage ?? '', responseHeaders, url.href));
          });
        }
        const onAbort = () => {
          req.destroy();
          // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- as fetch does: the abort's reason, whatever the caller gave
          reject(signal!.reason);
        };
        signal?.addEventListener('abort', onAbort, { once: true });
        let answered = false;
        req.once('response', () => (answered = true));
        req.on('error', (err) => {
          signal?.removeEventListener('abort', onAbort);
          if (signal?.aborted) return;
          const code = isRecord(err) ? err.code : undefined;
          const stale = req.reusedSocket && !answered && typeof code === 'string' && STALE_CONNECTION_CODES.has(code);
          if (stale && resendable && resends < MAX_RESENDS) resolve(send(resends + 1));
          else reject(new TypeError('fetch failed', { cause: err }));
        });
        req.end(body);
      });
    return send(0);
  };
  return {
    fetch: request,
    close() {
      agent.destroy();
      plainAgent.destroy();
    },
  };
}
