// The part of WHATWG `Response` that graphql-request reads of an answer (status, ok, headers, the
// body once as text), for https-fetch.ts: Node's global `Response` would load its internal undici
// (see fetch-headers.ts) and wrap every body, already complete in memory, in a ReadableStream.

import { FetchHeaders } from './fetch-headers.js';

export class FetchAnswer {
  readonly ok: boolean;
  readonly headers: FetchHeaders;
  #body: Buffer | string | null;
  #used = false;

  /** `body` null: a status without content (204, 205, 304). */
  constructor(
    body: Buffer | string | null,
    readonly status: number,
    readonly statusText: string,
    headers: FetchHeaders,
    readonly url: string,
  ) {
    this.#body = body;
    this.ok = status >= 200 && status <= 299;
    this.headers = headers;
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  /** The body decoded as UTF-8 (a leading byte order mark dropped, as fetch does); readable once. */
  text(): Promise<string> {
    if (this.#used) return Promise.reject(new TypeError('Body is unusable: Body has already been read'));
    this.#used = true;
    const body = this.#body;
    this.#body = null;
    const text = body === null ? '' : typeof body === 'string' ? body : body.toString('utf8');
    return Promise.resolve(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  }
}
