// Test oracle: equality of Kubernetes objects as the API server sees them (key order does not matter,
// an absent field equals `null`/`undefined`, server bookkeeping ignored). The product compares digests
// (src/applications/owned-fields.ts); tests check those digests against this.

/** metadata fields set by the API server, never by the agent. */
export const SERVER_METADATA_FIELDS = ['uid', 'resourceVersion', 'creationTimestamp', 'generation', 'managedFields'] as const;

export function semanticEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a == null || b == null) return a == null && b == null;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, index) => semanticEqual(item, b[index]));
  }
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) {
    if (!semanticEqual(left[key], right[key])) return false;
  }
  return true;
}

/** A copy without the server-maintained metadata fields (and without `status`, which the agent never writes). */
export function withoutServerFields<T extends { metadata?: Record<string, unknown> }>(object: T): T {
  const copy: Record<string, unknown> = { ...object };
  delete copy.status;
  if (object.metadata) {
    const metadata = { ...object.metadata };
    for (const field of SERVER_METADATA_FIELDS) delete metadata[field];
    copy.metadata = metadata;
  }
  return copy as T;
}

/** Whole-object equality ignoring key order and server-added fields. */
export function sameObject<T extends { metadata?: Record<string, unknown> }>(a: T, b: T): boolean {
  return semanticEqual(withoutServerFields(a), withoutServerFields(b));
}
