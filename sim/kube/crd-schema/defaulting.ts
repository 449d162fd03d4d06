// Defaulting of custom resources (apiextensions-apiserver pkg/apiserver/schema/defaulting/
// algorithm.go): a missing property with a default gets a copy of it, so does a null that is not
// nullable; defaults of map values and array items replace non-nullable nulls. Defaults apply
// inside defaulted values too. Copy-on-write, like pruning.
import { isObject, type Json, type SchemaNode } from './schema-node.js';

export function applyDefaults(x: Json, s: SchemaNode | undefined): Json {
  if (!s) return x;
  if (Array.isArray(x)) {
    const items = s.items;
    if (!items) return x;
    let out: Json[] | undefined;
    for (let i = 0; i < x.length; i++) {
      let v = x[i];
      if (v === null && !items.nullable) v = items.default ? structuredClone(items.default.value) : null;
      v = applyDefaults(v, items);
      if (v !== x[i]) (out ??= [...x])[i] = v;
    }
    return out ?? x;
  }
  if (!isObject(x)) return x;
  let out: Record<string, Json> | undefined;
  if (s.properties) {
    for (const [k, prop] of s.properties) {
      if (!prop.default) continue;
      if (!(k in x) || (x[k] === null && !prop.nullable)) (out ??= { ...x })[k] = structuredClone(prop.default.value);
    }
  }
  const current = out ?? x;
  for (const k of Object.keys(current)) {
    const prop = s.properties?.get(k);
    let v = current[k];
    if (prop) {
      v = applyDefaults(v, prop);
    } else if (typeof s.additionalProperties === 'object') {
      const ap = s.additionalProperties;
      if (v === null && !ap.nullable) v = ap.default ? structuredClone(ap.default.value) : null;
      v = applyDefaults(v, ap);
    }
    if (v !== current[k]) (out ??= { ...x })[k] = v;
  }
  return out ?? x;
}
