// GET /openapi/v3 and /openapi/v3/apis/<group>/<version>, as kube-openapi's handler3 serves them:
// the root lists every group-version with a serverRelativeURL carrying the document's hash (SHA-512
// of its JSON, upper-case hex, which is also its ETag); a request with the current hash is
// cacheable for a year, one with an outdated hash is redirected (301) to the current URL.
// Only custom resource group-versions are published: for built-in kinds kubectl then falls back to
// its client-side checks, as it did before this endpoint existed.
import { createHash } from 'node:crypto';
import type { ResourceType } from '../resource-types.js';
import { customGroupVersions, groupVersionDocument } from './crd-documents.js';

export interface OpenApiAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const etagOf = (json: string) => createHash('sha512').update(json).digest('hex').toUpperCase();

/** `/openapi/v3` or a path below it; undefined for anything else. */
export function openApiV3(
  path: string,
  query: URLSearchParams,
  headers: { accept?: string; 'if-none-match'?: string },
  types: ResourceType[],
): OpenApiAnswer | undefined {
  if (path !== '/openapi/v3' && !path.startsWith('/openapi/v3/')) return undefined;
  const documents = documentsFor(types);
  if (path === '/openapi/v3' || path === '/openapi/v3/') {
    const root = {
      paths: Object.fromEntries([...documents].map(([key, doc]) => [key, { serverRelativeURL: serverRelativeUrl(key, doc.etag) }])),
    };
    const json = JSON.stringify(root);
    return answer(json, etagOf(json), headers);
  }
  const key = path.slice('/openapi/v3/'.length).replace(/\/$/, '');
  const doc = documents.get(key);
  if (!doc) return { status: 404, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: '404 page not found\n' };
  if (!acceptsJson(headers.accept)) return { status: 406, headers: { Vary: 'Accept' }, body: '' };
  const hash = query.get('hash');
  if (hash && hash !== doc.etag) {
    return { status: 301, headers: { Location: serverRelativeUrl(key, doc.etag), Vary: 'Accept' }, body: '' };
  }
  const extra: Record<string, string> = { Vary: 'Accept' };
  if (hash) {
    extra['Cache-Control'] = 'public, immutable';
    extra.Expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
  }
  return answer(doc.json, doc.etag, headers, extra);
}

type Documents = Map<string, { json: string; etag: string }>;
let cached: { types: ResourceType[]; documents: Documents } | undefined;

/** The documents, rebuilt only when the served types changed (a CRD write replaces its type object). */
function documentsFor(types: ResourceType[]): Documents {
  if (cached && cached.types.length === types.length && cached.types.every((t, i) => t === types[i])) return cached.documents;
  const documents: Documents = new Map(
    customGroupVersions(types).map((gv) => {
      const json = JSON.stringify(groupVersionDocument(types, gv.group, gv.version));
      return [gv.key, { json, etag: etagOf(json) }];
    }),
  );
  cached = { types, documents };
  return documents;
}

function serverRelativeUrl(key: string, etag: string): string {
  return `/openapi/v3/${key}?hash=${etag}`;
}

function acceptsJson(accept: string | undefined): boolean {
  if (!accept) return true;
  return accept.split(',').some((clause) => {
    const type = clause.split(';')[0].trim();
    return type === '*/*' || type === 'application/*' || type === 'application/json';
  });
}

function answer(json: string, etag: string, headers: { 'if-none-match'?: string }, extra: Record<string, string> = {}): OpenApiAnswer {
  const quoted = JSON.stringify(etag);
  if (headers['if-none-match'] === quoted) return { status: 304, headers: { Etag: quoted, ...extra }, body: '' };
  return { status: 200, headers: { 'Content-Type': 'application/json', Etag: quoted, ...extra }, body: json };
}
