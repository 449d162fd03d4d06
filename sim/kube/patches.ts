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
    throw new KubeStatusError(
      422,
      'Invalid',
      `the server rejected our request due to an error in our request: json patch failed${op}: ${what}`,
    );
  }
}

// Lists whose strategic-merge behaviour is not "replace": scalar sets and lists keyed by a merge key
// (the patchMergeKey tags of the Go types: pod templates' containers, env, ports, volumes and mounts,
// a Service's ports, conditions, owner references). Paths leave out list indices.
const SCALAR_SET_PATHS = new Set(['metadata.finalizers']);
const KEYED_LIST_PATHS: Record<string, string> = { 'metadata.ownerReferences': 'uid', 'status.conditions': 'type', 'spec.ports': 'port' };
const CONTAINER_LISTS = '(containers|initContainers|ephemeralContainers)';
const KEYED_LIST_SUFFIXES: [RegExp, string][] = [
  [new RegExp(`(^|\\.)spec\\.${CONTAINER_LISTS}$`), 'name'],
  [new RegExp(`\\.${CONTAINER_LISTS}\\.env$`), 'name'],
  [new RegExp(`\\.${CONTAINER_LISTS}\\.ports$`), 'containerPort'],
  [new RegExp(`\\.${CONTAINER_LISTS}\\.volumeMounts$`), 'mountPath'],
  [new RegExp(`\\.${CONTAINER_LISTS}\\.volumeDevices$`), 'devicePath'],
  [/(^|\.)template\.spec\.(volumes|imagePullSecrets)$/, 'name'],
  [/(^|\.)template\.spec\.hostAliases$/, 'ip'],
  [/(^|\.)template\.spec\.topologySpreadConstraints$/, 'topologyKey'],
];

function mergeKeyOf(path: string): string | undefined {
  const exact = KEYED_LIST_PATHS[path];
  if (exact) return exact;
  for (const [pattern, key] of KEYED_LIST_SUFFIXES) if (pattern.test(path)) return key;
  return undefined;
}

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
    const mergeKey = Array.isArray(value) ? mergeKeyOf(childPath) : undefined;
    if (value === null) {
      delete result[key];
    } else if (Array.isArray(value) && SCALAR_SET_PATHS.has(childPath)) {
      const current = Array.isArray(result[key]) ? (result[key] as Json[]) : [];
      result[key] = [...current, ...value.filter((v) => !current.includes(v))];
    } else if (Array.isArray(value) && mergeKey) {
      const order = patch[`$setElementOrder/${key}`];
      result[key] = mergeKeyedList(result[key], value, mergeKey, childPath, Array.isArray(order) ? order : undefined);
    } else {
      const merged = strategicMergePatch(result[key], value, childPath);
      if (merged === undefined) delete result[key];
      else result[key] = merged;
    }
  }
  // retainKeys (a Deployment's strategy, a volume's source): the fields the patch does not list go.
  if (Array.isArray(patch.$retainKeys)) {
    for (const key of Object.keys(result)) if (!patch.$retainKeys.includes(key)) delete result[key];
  }
  return result;
}

/** A list merged by key: patch items merge into the item with the same key (strategically), new ones are appended. */
function mergeKeyedList(current: Json, patch: Json[], mergeKey: string, path: string, order: Json[] | undefined): Json[] {
  if (patch.some((item) => isObject(item) && item.$patch === 'replace')) {
    return patch.filter((item) => !(isObject(item) && item.$patch === 'replace')).map((item) => strategicMergePatch(undefined, item, path));
  }
  let list = Array.isArray(current) ? [...current] : [];
  for (const item of patch) {
    if (!isObject(item)) continue;
    const index = list.findIndex((existing) => isObject(existing) && existing[mergeKey] === item[mergeKey]);
    if (item.$patch === 'delete') {
      if (index >= 0) list.splice(index, 1);
    } else if (index >= 0) {
      list[index] = strategicMergePatch(list[index], item, path);
    } else {
      list.push(strategicMergePatch(undefined, item, path));
    }
  }
  // $setElementOrder: the listed items in that order, then any the patch did not mention.
  if (order) {
    const keyOf = (item: Json) => (isObject(item) ? item[mergeKey] : undefined);
    const ordered = order.map((o) => list.find((item) => keyOf(item) === keyOf(o))).filter((item): item is Json => item !== undefined);
    list = [...ordered, ...list.filter((item) => !ordered.includes(item))];
  }
  return list;
}
