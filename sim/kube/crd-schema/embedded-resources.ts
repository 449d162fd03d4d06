// Objects marked x-kubernetes-embedded-resource inside a custom resource must look like resources:
// apiVersion and kind set and well-formed, a metadata whose name can be a path segment
// (apiextensions-apiserver pkg/apiserver/schema/objectmeta/validation.go). The resource's own root
// is not checked here: its type meta and metadata are validated like every object's.
import { schemaFieldError, type SchemaFieldError } from './schema-errors.js';
import { isObject, type Json, type JsonObject, type SchemaNode } from './schema-node.js';

const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035_MESSAGE =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

export function validateEmbeddedResources(obj: JsonObject, root: SchemaNode): SchemaFieldError[] {
  const errors: SchemaFieldError[] = [];
  const walk = (x: Json, s: SchemaNode | undefined, path: string | null) => {
    if (!s) return;
    if (Array.isArray(x)) {
      x.forEach((item, i) => walk(item, s.items, `${path ?? '<nil>'}[${i}]`));
      return;
    }
    if (!isObject(x)) return;
    if (s.embeddedResource && path !== null) errors.push(...validateEmbedded(path, x));
    for (const [k, v] of Object.entries(x)) {
      const prop = s.properties?.get(k);
      if (prop) walk(v, prop, path === null ? k : `${path}.${k}`);
      else if (typeof s.additionalProperties === 'object') walk(v, s.additionalProperties, `${path ?? '<nil>'}[${k}]`);
    }
  };
  walk(obj, root, null);
  return errors;
}

function validateEmbedded(path: string, x: JsonObject): SchemaFieldError[] {
  const errors: SchemaFieldError[] = [];
  if (!('apiVersion' in x)) errors.push(schemaFieldError.required(`${path}.apiVersion`, 'must not be empty'));
  if (!('kind' in x)) errors.push(schemaFieldError.required(`${path}.kind`, 'must not be empty'));
  for (const [k, v] of Object.entries(x)) {
    if (k === 'apiVersion') {
      if (typeof v !== 'string') errors.push(schemaFieldError.invalid(`${path}.apiVersion`, v, 'must be a string'));
      else if (v === '') errors.push(schemaFieldError.invalid(`${path}.apiVersion`, v, 'must not be empty'));
      else if (v !== '/' && v.split('/').length > 2)
        errors.push(schemaFieldError.invalid(`${path}.apiVersion`, v, `unexpected GroupVersion string: ${v}`));
    } else if (k === 'kind') {
      if (typeof v !== 'string') errors.push(schemaFieldError.invalid(`${path}.kind`, v, 'must be a string'));
      else if (v === '') errors.push(schemaFieldError.invalid(`${path}.kind`, v, 'must not be empty'));
      else {
        const problems: string[] = [];
        if (v.length > 63) problems.push('must be no more than 63 characters');
        if (!DNS1035_LABEL.test(v.toLowerCase())) problems.push(DNS1035_MESSAGE);
        if (problems.length)
          errors.push(
            schemaFieldError.invalid(`${path}.kind`, v, `may have mixed case, but should otherwise match: ${problems.join(',')}`),
          );
      }
    } else if (k === 'metadata' && isObject(v) && typeof v.name === 'string' && v.name !== '') {
      const name = v.name;
      const problems =
        name === '.' || name === '..'
          ? [`may not be '${name}'`]
          : ['/', '%'].filter((c) => name.includes(c)).map((c) => `may not contain '${c}'`);
      for (const p of problems) errors.push(schemaFieldError.invalid(`${path}.metadata.name`, name, p));
    }
  }
  return errors;
}
