// RFC 7386 JSON merge patches computed from two documents, so writes send only what changed and a
// write that changes nothing is recognised before any request is made.

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Structural equality of JSON values (key order ignored, arrays ordered). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (!isPlainObject(a) || !isPlainObject(b)) return false;
  const keysA = Object.keys(a).filter((k) => a[k] !== undefined);
  const keysB = Object.keys(b).filter((k) => b[k] !== undefined);
  return keysA.length === keysB.length && keysA.every((k) => jsonEqual(a[k], b[k]));
}

/**
 * The merge patch that turns `current` into `desired`: changed keys carry their new value, removed
 * keys carry null, objects recurse, arrays are replaced whole (merge-patch semantics). Returns
 * undefined when the two are equal. A merge patch cannot store a null (applying one removes the
 * key), so a key that `desired` sets to null and `current` lacks is already as desired.
 */
export function createMergePatch(current: unknown, desired: unknown): Json | undefined {
  if (jsonEqual(current, desired)) return undefined;
  // eslint-disable-next-line @typescript-eslint/no-unsafe-type-assertion -- `desired` is the caller's JSON document (a value of it, when recursing)
  if (!isPlainObject(current) || !isPlainObject(desired)) return (desired ?? null) as Json;
  const patch: Record<string, Json> = {};
  for (const [key, value] of Object.entries(desired)) {
    if (value === undefined || (value === null && (current[key] === undefined || current[key] === null))) continue;
    const sub = createMergePatch(current[key], value);
    if (sub !== undefined) patch[key] = sub;
  }
  for (const key of Object.keys(current)) {
    if (current[key] !== undefined && (!(key in desired) || desired[key] === undefined)) patch[key] = null;
  }
  return Object.keys(patch).length === 0 ? undefined : patch;
}
