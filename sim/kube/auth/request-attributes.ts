// What a request asks to do, as the authorizer sees it: RequestInfoFactory.NewRequestInfo of
// k8s.io/apiserver pkg/endpoints/request/requestinfo.go (v0.32) plus the user. Derived from the
// method and URL alone, before routing: a request for a resource the server does not serve is
// authorized like any other, and only then answered 404.
import { parseLabelSelector } from '../selectors.js';
import type { UserInfo } from './user.js';

export interface RequestAttributes {
  user: UserInfo;
  /** get, list, watch, create, update, patch, delete, deletecollection, impersonate...; lower-case method for non-resource requests. */
  verb: string;
  resourceRequest: boolean;
  /** URL path of a non-resource request (`/version`, `/apis`...). */
  path: string;
  apiGroup: string;
  apiVersion: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
}

export type RequestInfo = Omit<RequestAttributes, 'user'>;

const API_PREFIXES = new Set(['api', 'apis']);
const GROUPLESS_PREFIXES = new Set(['api']);
const SPECIAL_VERBS = new Set(['proxy', 'watch']);
const NAMESPACE_SUBRESOURCES = new Set(['status', 'finalize']);

/** NewRequestInfo: resource or non-resource request, verb, namespace, resource, subresource, name. */
export function requestInfo(method: string, url: URL): RequestInfo {
  const path = safeDecode(url.pathname);
  const info: RequestInfo = {
    verb: method.toLowerCase(),
    resourceRequest: false,
    path,
    apiGroup: '',
    apiVersion: '',
    namespace: '',
    resource: '',
    subresource: '',
    name: '',
  };
  let parts = splitPath(path);
  if (parts.length < 3 || !API_PREFIXES.has(parts[0])) return info;
  const prefix = parts[0];
  parts = parts.slice(1);
  if (!GROUPLESS_PREFIXES.has(prefix)) {
    if (parts.length < 3) return info;
    info.apiGroup = parts[0];
    parts = parts.slice(1);
  }
  info.resourceRequest = true;
  info.apiVersion = parts[0];
  parts = parts.slice(1);

  if (SPECIAL_VERBS.has(parts[0])) {
    // `/api/v1/watch` alone is an error in Go; the request is then rejected before authorization.
    if (parts.length < 2) return { ...info, verb: parts[0] };
    info.verb = parts[0];
    parts = parts.slice(1);
  } else {
    info.verb = VERB_OF_METHOD[method] ?? '';
  }

  if (parts[0] === 'namespaces') {
    if (parts.length > 1) {
      info.namespace = parts[1];
      if (parts.length > 2 && !NAMESPACE_SUBRESOURCES.has(parts[2])) parts = parts.slice(2);
    }
  }

  if (parts.length >= 3 && info.verb !== 'proxy') info.subresource = parts[2];
  if (parts.length >= 2) info.name = parts[1];
  if (parts.length >= 1) info.resource = parts[0];

  if (info.name === '' && info.verb === 'get') {
    const options = listOptions(url.searchParams);
    info.verb = options.watch ? 'watch' : 'list';
    if (options.nameFromFieldSelector !== undefined && isValidPathSegmentName(options.nameFromFieldSelector)) {
      info.name = options.nameFromFieldSelector;
    }
  }
  if (info.name === '' && info.verb === 'delete') info.verb = 'deletecollection';
  return info;
}

const VERB_OF_METHOD: Record<string, string> = { POST: 'create', GET: 'get', HEAD: 'get', PUT: 'update', PATCH: 'patch', DELETE: 'delete' };

function splitPath(path: string): string[] {
  const trimmed = path.replace(/^\/+|\/+$/g, '');
  return trimmed === '' ? [] : trimmed.split('/');
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

/**
 * The parts of metainternalversion.ListOptions the verb and name depend on. When any parameter fails
 * to decode, Go drops them all and only looks at `watch` again (so no name from the field selector).
 */
function listOptions(q: URLSearchParams): { watch: boolean; nameFromFieldSelector?: string } {
  const watch = goBool(q.get('watch'));
  try {
    for (const key of ['limit', 'timeoutSeconds']) {
      const value = q.get(key);
      if (value !== null && !/^[-+]?\d+$/.test(value)) throw new Error(`${key}: not an integer`);
    }
    parseLabelSelector(q.get('labelSelector'));
    const fieldSelector = q.get('fieldSelector');
    const terms = fieldSelector ? parseFieldSelectorTerms(fieldSelector) : [];
    const exact = terms.find((t) => t.op === '=' && t.field === 'metadata.name');
    return { watch, nameFromFieldSelector: exact?.value };
  } catch {
    return { watch };
  }
}

/** Go's query-parameter booleans: absent, "0" and "false" (any case) are false; anything else, "" included, is true. */
function goBool(value: string | null): boolean {
  if (value === null) return false;
  return !(value === '0' || value.toLowerCase() === 'false');
}

export interface FieldTerm {
  field: string;
  op: '=' | '!=';
  value: string;
}

/**
 * fields.ParseSelector (apimachinery pkg/fields/selector.go): terms split on unescaped commas and
 * sorted, each split at its first `!=`, `==` or `=`, values unescaped (`\\`, `\,`, `\=`). Throws on
 * what Go refuses.
 */
export function parseFieldSelectorTerms(selector: string): FieldTerm[] {
  const parts = splitTerms(selector).sort();
  const terms: FieldTerm[] = [];
  for (const part of parts) {
    if (part === '') continue;
    const split = splitTerm(part);
    if (!split) throw new Error(`invalid selector: '${selector}'; can't understand '${part}'`);
    terms.push({ field: split.lhs, op: split.op === '!=' ? '!=' : '=', value: unescapeValue(split.rhs) });
  }
  return terms;
}

function splitTerms(selector: string): string[] {
  if (selector === '') return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < selector.length; i++) {
    const c = selector[i];
    if (inSlash) inSlash = false;
    else if (c === '\\') inSlash = true;
    else if (c === ',') {
      terms.push(selector.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(selector.slice(start));
  return terms;
}

function splitTerm(term: string): { lhs: string; op: string; rhs: string } | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of ['!=', '==', '=']) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) };
    }
  }
  return undefined;
}

function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = '';
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== '\\' && c !== ',' && c !== '=') throw new Error(`invalid escape sequence: \\${c}`);
      out += c;
      inSlash = false;
    } else if (c === '\\') inSlash = true;
    else if (c === ',' || c === '=') throw new Error(`invalid field selector: unescaped ${c}`);
    else out += c;
  }
  if (inSlash) throw new Error('invalid escape sequence: \\');
  return out;
}

/** path.IsValidPathSegmentName: not "." or "..", no "/" or "%". */
function isValidPathSegmentName(name: string): boolean {
  return name !== '.' && name !== '..' && !name.includes('/') && !name.includes('%');
}
