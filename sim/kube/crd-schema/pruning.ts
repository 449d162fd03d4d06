// What decoding a custom resource does before anything validates it (apiextensions-apiserver
// pkg/apiserver/customresource_handler.go unstructuredSchemaCoercer.apply): unknown ObjectMeta
// fields dropped, fields the structural schema does not know pruned (pruning/algorithm.go), nulls
// of non-nullable fields without a default dropped (defaulting/prunenulls.go), and the metadata of
// x-kubernetes-embedded-resource objects coerced (objectmeta/coerce.go). The unknown fields are
// reported as paths: `fieldValidation` turns them into warnings or a strict decoding error.
//
// Everything here is copy-on-write: stored objects share unchanged subtrees with the objects built
// from them, so nothing is mutated and an unchanged value comes back as the same object.
import { pruneObjectMeta } from './object-meta-fields.js';
import { fieldSchema, isObject, schemaFeatures, type Json, type JsonObject, type SchemaNode } from './schema-node.js';
import { goSharpV } from '../go-format.js';

const META_FIELDS = new Set(['apiVersion', 'kind', 'metadata']);

export interface Decoded {
  value: JsonObject;
  /** Unknown field paths in the API server's order: metadata first, then the schema's (sorted). */
  unknownFields: string[];
  /** A field error that fails decoding (apiVersion or kind of an embedded resource not a string). */
  error?: string;
}

/** Prunes a custom resource as decoding does. Tracks unknown field paths only when `track` is set. */
export function decodeCustomResource(obj: JsonObject, root: SchemaNode, track: boolean): Decoded {
  const metaPaths: string[] | undefined = track ? [] : undefined;
  let value = obj;
  if ('metadata' in obj) {
    const meta = pruneObjectMeta(obj.metadata, 'metadata', metaPaths);
    if (meta !== obj.metadata) value = { ...obj, metadata: meta };
  }
  const prunePaths: string[] | undefined = track ? [] : undefined;
  value = pruneNode(value, root, '', { paths: prunePaths, dropNulls: true }, true) as JsonObject;
  const coerced = schemaFeatures(root).embeddedResources ? coerceEmbedded(value, root, '', track) : { value, paths: [] as string[] };
  const unknownFields = track ? [...metaPaths!, ...prunePaths!.sort(), ...coerced.paths.sort()] : [];
  return { value: coerced.value as JsonObject, unknownFields, error: coerced.error };
}

function appendKey(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

interface PruneOptions {
  /** Collects unknown field paths when set. */
  paths?: string[];
  /** Also drop nulls of non-nullable fields without a default (decoding does, a plain Prune does not). */
  dropNulls: boolean;
}

/** pruning.Prune of a value (a default, say) on its own: unknown fields only. */
export function pruneValue(x: Json, s: SchemaNode, isResourceRoot: boolean): Json {
  return pruneNode(x, s, '', { dropNulls: false }, isResourceRoot);
}

function dropsNull(value: Json, s: SchemaNode | undefined, o: PruneOptions): boolean {
  return o.dropNulls && value === null && s !== undefined && !s.nullable && s.default === undefined;
}

/** pruning.prune, with prunenulls folded in (same schema lookups, one walk). */
function pruneNode(x: Json, s: SchemaNode | undefined, path: string, o: PruneOptions, embedded = false): Json {
  if (s?.preserveUnknownFields) return skipPrune(x, s, path, o, embedded);
  if (Array.isArray(x)) return mapArray(x, (v, i) => pruneNode(v, s?.items, `${path}[${i}]`, o));
  if (!isObject(x)) return x;
  let out: JsonObject | undefined;
  const drop = (k: string) => {
    out ??= { ...x };
    delete out[k];
  };
  for (const k of Object.keys(x)) {
    const v = x[k];
    if (!s) {
      o.paths?.push(appendKey(path, k));
      drop(k);
      continue;
    }
    if ((embedded || s.embeddedResource) && META_FIELDS.has(k)) {
      if (dropsNull(v, fieldSchema(s, k), o)) drop(k);
      continue;
    }
    const prop = s.properties?.get(k);
    if (!prop && s.additionalProperties === undefined) {
      if (!META_FIELDS.has(k) || path !== '') o.paths?.push(appendKey(path, k));
      drop(k);
      continue;
    }
    const child = prop ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
    if (dropsNull(v, child, o)) {
      drop(k);
      continue;
    }
    const pruned = pruneNode(v, child, appendKey(path, k), o);
    if (pruned !== v) (out ??= { ...x })[k] = pruned;
  }
  return out ?? x;
}

/** pruning.skipPrune: under x-kubernetes-preserve-unknown-fields unknown keys stay, known ones are pruned. */
function skipPrune(x: Json, s: SchemaNode | undefined, path: string, o: PruneOptions, rootEmbedded = false): Json {
  if (!s) return x;
  if (Array.isArray(x)) return mapArray(x, (v, i) => skipPrune(v, s.items, `${path}[${i}]`, o));
  if (!isObject(x)) return x;
  const embedded = rootEmbedded || s.embeddedResource;
  let out: JsonObject | undefined;
  for (const k of Object.keys(x)) {
    const v = x[k];
    const child = fieldSchema(s, k);
    if (dropsNull(v, child, o)) {
      out ??= { ...x };
      delete out[k];
      continue;
    }
    if (embedded && META_FIELDS.has(k)) continue;
    if (!s.properties?.has(k) && s.additionalProperties === undefined) continue;
    const pruned = pruneNode(v, child, appendKey(path, k), o);
    if (pruned !== v) (out ??= { ...x })[k] = pruned;
  }
  return out ?? x;
}

function mapArray(x: Json[], f: (v: Json, i: number) => Json): Json[] {
  let out: Json[] | undefined;
  for (let i = 0; i < x.length; i++) {
    const v = f(x[i], i);
    if (v !== x[i]) (out ??= [...x])[i] = v;
  }
  return out ?? x;
}

/** objectmeta.Coerce below the root: embedded resources' metadata loses unknown fields, apiVersion and kind must be strings. */
function coerceEmbedded(
  x: Json,
  s: SchemaNode | undefined,
  path: string,
  track: boolean,
): { value: Json; paths: string[]; error?: string } {
  const paths: string[] = [];
  let error: string | undefined;
  const walk = (v: Json, node: SchemaNode | undefined, p: string): Json => {
    if (!node || error) return v;
    if (Array.isArray(v)) return mapArray(v, (item, i) => walk(item, node.items, `${p}[${i}]`));
    if (!isObject(v)) return v;
    let out: JsonObject | undefined;
    for (const k of Object.keys(v)) {
      if (node.embeddedResource && p !== '') {
        if ((k === 'apiVersion' || k === 'kind') && typeof v[k] !== 'string') {
          error = `${p}.${k}: Invalid value: ${goSharpV(v[k])}: must be a string`;
          return v;
        }
        if (k === 'metadata') {
          const meta = pruneObjectMeta(v.metadata, `${p}.metadata`, track ? paths : undefined);
          if (meta !== v.metadata) (out ??= { ...v }).metadata = meta;
        }
      }
      const prop = node.properties?.get(k);
      const child = prop ?? (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
      const childPath = prop ? appendKey(p, k) : `${p}[${k}]`;
      const coerced = walk((out ?? v)[k], child, childPath);
      if (coerced !== (out ?? v)[k]) (out ??= { ...v })[k] = coerced;
    }
    return out ?? v;
  };
  const value = walk(x, s, path);
  return { value, paths, error };
}
