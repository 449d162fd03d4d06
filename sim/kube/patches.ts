// The three PATCH flavours. All take the current object and return a new one; they never mutate input.
import fastJsonPatch from 'fast-json-patch';
import { KubeStatusError, badRequest } from './status-error.js';

type Json = unknown;

function isObject(value: Json): value is Record<string, Json> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** RFC 7386: objects merge recursively, null deletes, everything else (arrays too) replaces. */
export function mergePatch(target: Json, patch: Json): Json {
  if (!isObject(patch)) return structuredClone(patch);
  const result: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = mergePatch(result[key], value);
  }
  return result;
}

/** RFC 6902. Undecodable → 400 BadRequest; an op that fails (a failed `test` included) → 422 Invalid, as the apiserver does. */
export function jsonPatch(target: Json, patch: Json): Json {
  if (!Array.isArray(patch) || patch.some((op) => !isObject(op) || typeof op.op !== 'string' || typeof op.path !== 'string')) {
    throw badRequest('error decoding patch: json: cannot unmarshal object into Go value of type []handlers.jsonPatchOp');
  }
  try {
    const result = fastJsonPatch.applyPatch(structuredClone(target), patch as fastJsonPatch.Operation[], true, true, true);
    return result.newDocument;
  } catch (error) {
    const err = error as { name?: string; message?: string; operation?: { op?: string; path?: string } };
    const op = err.operation ? ` (${err.operation.op} ${err.operation.path})` : '';
    const what = err.name === 'TEST_OPERATION_FAILED' ? 'testing value failed' : (err.message ?? String(error)).split('\n')[0];
    throw new KubeStatusError(422, 'Invalid', `the server rejected our request due to an error in our request: json patch failed${op}: ${what}`);
  }
}

// Lists whose strategic-merge behaviour is not "replace": scalar sets and lists keyed by a merge key.
const SCALAR_SET_PATHS = new Set(['metadata.finalizers']);
const KEYED_LIST_PATHS: Record<string, string> = { 'metadata.ownerReferences': 'uid' };

/**
 * Strategic merge patch, approximated: RFC 7386 plus the list strategies of the metadata fields a controller
 * touches (finalizers merge as a set, ownerReferences by uid) and the `$patch: replace|delete` and
 * `$deleteFromPrimitiveList/<field>` directives. The real one reads per-field strategies from the Go types
 * of every built-in kind; other lists here replace wholesale.
 */
export function strategicMergePatch(target: Json, patch: Json, path = ''): Json {
  if (!isObject(patch)) return structuredClone(patch);
  if (patch.$patch === 'replace') {
    const { $patch: _, ...rest } = patch;
    return structuredClone(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const result: Record<string, Json> = isObject(target) ? { ...target } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (key.startsWith('$deleteFromPrimitiveList/')) {
      const field = key.slice('$deleteFromPrimitiveList/'.length);
      const current = result[field];
      if (Array.isArray(current) && Array.isArray(value)) result[field] = current.filter((v) => !value.includes(v));
      continue;
    }
    if (key === '$patch' || key.startsWith('$setElementOrder/') || key === '$retainKeys') continue;
    const childPath = path ? `${path}.${key}` : key;
    if (value === null) {
      delete result[key];
    } else if (Array.isArray(value) && SCALAR_SET_PATHS.has(childPath)) {
      const current = Array.isArray(result[key]) ? (result[key] as Json[]) : [];
      result[key] = [...current, ...value.filter((v) => !current.includes(v))];
    } else if (Array.isArray(value) && KEYED_LIST_PATHS[childPath]) {
      result[key] = mergeKeyedList(result[key], value, KEYED_LIST_PATHS[childPath]);
    } else {
      const merged = strategicMergePatch(result[key], value, childPath);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    }
  }
  return result;
}

function mergeKeyedList(current: Json, patch: Json[], mergeKey: string): Json[] {
  const list = Array.isArray(current) ? current.map((item) => structuredClone(item)) : [];
  for (const item of patch) {
    if (!isObject(item)) continue;
    const index = list.findIndex((existing) => isObject(existing) && existing[mergeKey] === item[mergeKey]);
    if (item.$patch === 'delete') {
      if (index >= 0) list.splice(index, 1);
    } else if (index >= 0) {
      list[index] = mergePatch(list[index], item);
    } else {
      list.push(structuredClone(item));
    }
  }
  return list;
}
