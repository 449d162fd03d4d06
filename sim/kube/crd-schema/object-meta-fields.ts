// The fields metav1.ObjectMeta decodes. The API server reads a custom resource's `metadata` into
// that Go struct, so anything else there is an unknown field (reported, then dropped), like an
// unknown field of the schema (apiextensions-apiserver pkg/apiserver/schema/objectmeta/coerce.go).
import { isObject, type Json, type JsonObject } from './schema-node.js';

interface FieldSet {
  [field: string]: 'scalar' | 'any' | FieldSet;
}

const OWNER_REFERENCE: FieldSet = {
  apiVersion: 'scalar',
  kind: 'scalar',
  name: 'scalar',
  uid: 'scalar',
  controller: 'scalar',
  blockOwnerDeletion: 'scalar',
};
const MANAGED_FIELDS_ENTRY: FieldSet = {
  manager: 'scalar',
  operation: 'scalar',
  apiVersion: 'scalar',
  time: 'scalar',
  fieldsType: 'scalar',
  fieldsV1: 'any',
  subresource: 'scalar',
};
const OBJECT_META: FieldSet = {
  name: 'scalar',
  generateName: 'scalar',
  namespace: 'scalar',
  selfLink: 'scalar',
  uid: 'scalar',
  resourceVersion: 'scalar',
  generation: 'scalar',
  creationTimestamp: 'scalar',
  deletionTimestamp: 'scalar',
  deletionGracePeriodSeconds: 'scalar',
  labels: 'any',
  annotations: 'any',
  ownerReferences: OWNER_REFERENCE,
  finalizers: 'any',
  managedFields: MANAGED_FIELDS_ENTRY,
};

/**
 * `metadata` without the fields ObjectMeta does not have (the same object when there are none),
 * and their paths (`<prefix>.foo`, `<prefix>.ownerReferences[0].foo`) in the order JSON encoding of
 * the map would meet them (keys sorted), when `track` is set.
 */
export function pruneObjectMeta(meta: Json, prefix: string, paths: string[] | undefined): Json {
  return isObject(meta) ? pruneFields(meta, OBJECT_META, prefix, paths) : meta;
}

function pruneFields(obj: JsonObject, fields: FieldSet, prefix: string, paths: string[] | undefined): JsonObject {
  let out: JsonObject | undefined;
  for (const key of Object.keys(obj).sort()) {
    const spec = fields[key];
    const value = obj[key];
    if (spec === undefined) {
      paths?.push(`${prefix}.${key}`);
      out ??= { ...obj };
      delete out[key];
    } else if (typeof spec === 'object' && Array.isArray(value)) {
      let items: Json[] | undefined;
      value.forEach((item, i) => {
        if (!isObject(item)) return;
        const pruned = pruneFields(item, spec, `${prefix}.${key}[${i}]`, paths);
        if (pruned !== item) (items ??= [...value])[i] = pruned;
      });
      if (items) (out ??= { ...obj })[key] = items;
    }
  }
  return out ?? obj;
}
