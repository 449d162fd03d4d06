// Uniqueness of x-kubernetes-list-type=set items and =map keys (apiextensions-apiserver
// pkg/apiserver/schema/listtype/validation.go): the second occurrence of a value is a
// `Duplicate value`, printed as Go prints it (`map[string]interface {}{"type":"Ready"}` for map keys).
import { goJson } from '../go-format.js';
import { schemaFieldError, type SchemaFieldError } from './schema-errors.js';
import { isObject, type Json, type JsonObject, type SchemaNode } from './schema-node.js';

/** ValidateListSetsAndMaps over an object (the whole custom resource, path null). */
export function validateListSetsAndMaps(path: string | null, s: SchemaNode | undefined, obj: JsonObject): SchemaFieldError[] {
  if (!s) return [];
  const errors: SchemaFieldError[] = [];
  if (typeof s.additionalProperties === 'object') {
    for (const [k, v] of Object.entries(obj)) errors.push(...validateValue(keyPath(path, k), s.additionalProperties, v));
  }
  if (s.properties) {
    for (const [k, v] of Object.entries(obj)) {
      const sub = s.properties.get(k);
      if (sub) errors.push(...validateValue(childPath(path, k), sub, v));
    }
  }
  return errors;
}

function childPath(path: string | null, name: string): string {
  return path === null ? name : `${path}.${name}`;
}

function keyPath(path: string | null, key: string): string {
  return `${path ?? '<nil>'}[${key}]`;
}

function validateValue(path: string, s: SchemaNode, value: Json): SchemaFieldError[] {
  if (Array.isArray(value)) return validateArray(path, s, value);
  if (isObject(value)) return validateListSetsAndMaps(path, s, value);
  return [];
}

function validateArray(path: string, s: SchemaNode, list: Json[]): SchemaFieldError[] {
  const errors: SchemaFieldError[] = [];
  if (s.listType === 'set') {
    for (const i of nonUniqueIndices(list)) errors.push(schemaFieldError.duplicate(`${path}[${i}]`, list[i]));
  } else if (s.listType === 'map') {
    errors.push(...validateListMap(path, s, list));
  }
  if (s.items) list.forEach((item, i) => errors.push(...validateValue(`${path}[${i}]`, s.items!, item)));
  return errors;
}

/** Indices of the second occurrence of each repeated value; objects and arrays compare by their JSON. */
function nonUniqueIndices(list: (Json | typeof UNSPECIFIED)[]): number[] {
  const seen = new Map<unknown, number>();
  const indices: number[] = [];
  list.forEach((x, i) => {
    const key = typeof x === 'object' && x !== null ? `json:${goJson(x)}` : x;
    const times = seen.get(key) ?? 0;
    seen.set(key, times + 1);
    if (times === 1) indices.push(i);
  });
  return indices;
}

const UNSPECIFIED = Symbol('unspecified key');

function validateListMap(path: string, s: SchemaNode, list: Json[]): SchemaFieldError[] {
  for (let i = 0; i < list.length; i++) {
    const x = list[i];
    if (x !== null && !isObject(x))
      return [schemaFieldError.invalid(`${path}[${i}]`, x, 'must be an object for an array of list-type map')];
  }
  if (list.length <= 1) return [];
  if (s.listMapKeys.length === 1) {
    const keyField = s.listMapKeys[0];
    const keys = list.map((x) => (isObject(x) && keyField in x ? x[keyField] : UNSPECIFIED));
    return nonUniqueIndices(keys).map((i) =>
      schemaFieldError.duplicate(`${path}[${i}]`, keys[i] === UNSPECIFIED ? {} : { [keyField]: keys[i] }),
    );
  }
  const keys = list.map((x) => {
    const key: JsonObject = {};
    if (isObject(x)) for (const k of s.listMapKeys) if (k in x) key[k] = x[k];
    return key;
  });
  return nonUniqueIndices(keys).map((i) => schemaFieldError.duplicate(`${path}[${i}]`, keys[i]));
}
