// The part of WHATWG `Headers` that the Compass transport and graphql-request use, without Node's
// global `Headers`: the first touch of any fetch global (Headers, Response, fetch) makes Node 20
// load its internal undici, about 13 MB of resident memory the agent pays for ever although its
// requests go through node:https (https-fetch.ts). scripts/bundle.mjs gives this class to the bundled
// graphql-request in place of the global.
//
// As the standard says: names are case-insensitive and iterate lower-cased and sorted; values have
// their leading and trailing whitespace removed; `get` joins repeated values with ", ". Left out:
// guards (immutable headers), `delete`, `keys`, `values`, `getSetCookie`: nothing here calls them. A name that is not an HTTP token, or a value HTTP
// cannot carry (NUL, CR, LF, a character above U+00FF), is refused with Node's own error codes and
// messages, which name the header and never repeat the value.

/** Any Headers (Node's own, or a FetchHeaders): what graphql-request hands to its fetch. */
export interface HeadersLike {
  forEach(callback: (value: string, name: string) => void): void;
}

/**
 * What the constructor accepts, as fetch's HeadersInit: a Headers, pairs (an array or another
 * iterable), or a record (a list value becomes its String(), as Web IDL converts it).
 */
export type FetchHeadersInit = HeadersLike | Iterable<readonly string[]> | Readonly<Record<string, string | readonly string[]>>;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// NUL, CR and LF, and what is not a byte (Latin-1): what a header value cannot hold.
const INVALID_VALUE = /[\0\r\n\u0100-\uffff]/;
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;

class HeaderError extends TypeError {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
  }
}

function checkedName(name: string): string {
  const text = String(name);
  if (!TOKEN.test(text))
    throw new HeaderError(`Header name must be a valid HTTP token ["${text.replace(/[^\x21-\x7e]/g, '?')}"]`, 'ERR_INVALID_HTTP_TOKEN');
  return text.toLowerCase();
}

/** HTTP whitespace: tab, line feed, carriage return, space. */
function isWhitespace(code: number): boolean {
  return code === 0x20 || code === 0x09 || code === 0x0a || code === 0x0d;
}

function checkedValue(name: string, value: string): string {
  const given = String(value);
  const edged = isWhitespace(given.charCodeAt(0)) || isWhitespace(given.charCodeAt(given.length - 1));
  const text = edged ? given.replace(EDGE_WHITESPACE, '') : given;
  if (INVALID_VALUE.test(text)) throw new HeaderError(`Invalid character in header content ["${name}"]`, 'ERR_INVALID_CHAR');
  return text;
}

function isHeadersLike(value: object): value is HeadersLike {
  return 'forEach' in value && typeof value.forEach === 'function';
}

function isIterable(value: object): value is Iterable<readonly string[]> {
  return Symbol.iterator in value && typeof (value as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function';
}

export class FetchHeaders implements Iterable<[string, string]> {
  /** Lower-cased name → values in the order appended. */
  readonly #values = new Map<string, string[]>();

  constructor(init?: FetchHeadersInit | null) {
    if (init === undefined || init === null) return;
    // Iterable first: every iterator has a forEach of its own since ES2025 (Node 22+), with another meaning.
    if (isIterable(init)) {
      for (const pair of init) {
        if (pair.length !== 2) throw new TypeError('Headers: each pair must have exactly a name and a value');
        this.append(pair[0], pair[1]);
      }
      return;
    }
    if (isHeadersLike(init)) {
      init.forEach((value, name) => this.append(name, value));
      return;
    }
    for (const [name, value] of Object.entries(init)) this.append(name, String(value));
  }

  append(name: string, value: string): void {
    const key = checkedName(name);
    const checked = checkedValue(key, value);
    const values = this.#values.get(key);
    if (values) values.push(checked);
    else this.#values.set(key, [checked]);
  }

  set(name: string, value: string): void {
    const key = checkedName(name);
    this.#values.set(key, [checkedValue(key, value)]);
  }

  get(name: string): string | null {
    return this.#values.get(checkedName(name))?.join(', ') ?? null;
  }

  has(name: string): boolean {
    return this.#values.has(checkedName(name));
  }

  forEach(callback: (value: string, name: string, headers: FetchHeaders) => void, thisArg?: unknown): void {
    for (const [name, value] of this) callback.call(thisArg, value, name, this);
  }

  *entries(): IterableIterator<[string, string]> {
    for (const name of [...this.#values.keys()].sort()) yield [name, this.#values.get(name)!.join(', ')];
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }
}
