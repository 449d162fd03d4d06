// What apiextensions.k8s.io/v1 demands of a CRD's per-version schemas
// (apiextensions-apiserver pkg/apis/apiextensions/validation/validation.go and the structural-schema
// rules of pkg/apiserver/schema/validation.go and complete.go): a schema for every version, a
// structural one (types everywhere, metadata left alone, value validations that do not declare
// structure), only the OpenAPI features Kubernetes supports, consistent list types, and defaults that
// are pruned and valid. CEL rules (x-kubernetes-validations) are not compiled here.
import { compileGoPattern } from './go-regexp.js';
import { goQuote } from '../go-format.js';
import { pruneValue } from './pruning.js';
import { compileSchema, isObject, type Json } from './schema-node.js';
import { schemaFieldError as fe, schemaErrorText, toFieldErrors, type SchemaFieldError } from './schema-errors.js';
import { deepEqualJson, validateAgainstSchema } from './validator.js';

type Raw = Record<string, unknown>;

/** %#v of a Go []string. */
function goStringSlice(values: unknown[]): string {
  return `[]string{${values.map((v) => goQuote(String(v))).join(', ')}}`;
}

const OPENAPI_V3_TYPES = ['array', 'boolean', 'integer', 'number', 'object', 'string'];
const META_FIELDS = ['apiVersion', 'kind', 'metadata'];

/** JSONSchemaProps fields in Go struct order, with their JSON names (for the status-subresource root rule). */
const ROOT_FIELDS: [string, string][] = [
  ['ID', 'id'],
  ['Schema', '$schema'],
  ['Ref', '$ref'],
  ['Description', 'description'],
  ['Type', 'type'],
  ['Format', 'format'],
  ['Title', 'title'],
  ['Default', 'default'],
  ['Maximum', 'maximum'],
  ['ExclusiveMaximum', 'exclusiveMaximum'],
  ['Minimum', 'minimum'],
  ['ExclusiveMinimum', 'exclusiveMinimum'],
  ['MaxLength', 'maxLength'],
  ['MinLength', 'minLength'],
  ['Pattern', 'pattern'],
  ['MaxItems', 'maxItems'],
  ['MinItems', 'minItems'],
  ['UniqueItems', 'uniqueItems'],
  ['MultipleOf', 'multipleOf'],
  ['Enum', 'enum'],
  ['MaxProperties', 'maxProperties'],
  ['MinProperties', 'minProperties'],
  ['Required', 'required'],
  ['Items', 'items'],
  ['AllOf', 'allOf'],
  ['OneOf', 'oneOf'],
  ['AnyOf', 'anyOf'],
  ['Not', 'not'],
  ['Properties', 'properties'],
  ['AdditionalProperties', 'additionalProperties'],
  ['PatternProperties', 'patternProperties'],
  ['Dependencies', 'dependencies'],
  ['AdditionalItems', 'additionalItems'],
  ['Definitions', 'definitions'],
  ['ExternalDocs', 'externalDocs'],
  ['Example', 'example'],
  ['Nullable', 'nullable'],
  ['XPreserveUnknownFields', 'x-kubernetes-preserve-unknown-fields'],
  ['XEmbeddedResource', 'x-kubernetes-embedded-resource'],
  ['XIntOrString', 'x-kubernetes-int-or-string'],
  ['XListMapKeys', 'x-kubernetes-list-map-keys'],
  ['XListType', 'x-kubernetes-list-type'],
  ['XMapType', 'x-kubernetes-map-type'],
  ['XValidations', 'x-kubernetes-validations'],
];
const ALLOWED_AT_ROOT_WITH_STATUS = [
  'Description',
  'Type',
  'Format',
  'Title',
  'Maximum',
  'ExclusiveMaximum',
  'Minimum',
  'ExclusiveMinimum',
  'MaxLength',
  'MinLength',
  'Pattern',
  'MaxItems',
  'MinItems',
  'UniqueItems',
  'MultipleOf',
  'Required',
  'Items',
  'Properties',
  'ExternalDocs',
  'Example',
  'XPreserveUnknownFields',
  'XValidations',
];

function raw(value: unknown): Raw | undefined {
  return isObject(value) ? value : undefined;
}

function props(s: Raw): [string, Raw][] {
  const p = raw(s.properties);
  return p ? Object.entries(p).map(([k, v]) => [k, raw(v) ?? {}]) : [];
}

function list(value: unknown): Raw[] {
  return Array.isArray(value) ? value.map((v) => raw(v) ?? {}) : [];
}

/** The schema errors of a CRD (create or update), in the API server's order. */
export function validateCrdSchemas(crd: Record<string, any>): SchemaFieldError[] {
  const spec = raw(crd.spec) ?? {};
  const versions = list(spec.versions);
  const errors: SchemaFieldError[] = [];
  versions.forEach((v, i) => {
    if (!raw(raw(v.schema)?.openAPIV3Schema))
      errors.push(fe.required(`spec.versions[${i}].schema.openAPIV3Schema`, 'schemas are required'));
  });
  versions.forEach((v, i) => {
    const status = raw(v.subresources)?.status;
    const schema = raw(raw(v.schema)?.openAPIV3Schema);
    if (schema) errors.push(...validateVersionSchema(schema, status !== undefined && status !== null, `spec.versions[${i}].schema`));
  });
  if (spec.preserveUnknownFields === true) {
    errors.push(
      fe.invalid(
        'spec.preserveUnknownFields',
        true,
        'cannot set to true, set x-kubernetes-preserve-unknown-fields to true in spec.versions[*].schema instead',
      ),
    );
  }
  return errors;
}

function validateVersionSchema(schema: Raw, statusEnabled: boolean, path: string): SchemaFieldError[] {
  const errors: SchemaFieldError[] = [];
  const root = `${path}.openAPIV3Schema`;
  if (statusEnabled) {
    for (const [goName, jsonName] of ROOT_FIELDS) {
      const value = schema[jsonName];
      if (value === undefined || value === null || value === false || value === '' || value === 0) continue;
      if (goName === 'Type') {
        if (value !== 'object') {
          errors.push(
            fe.invalid(
              `${root}.type`,
              value,
              'only "object" is allowed as the type at the root of the schema if the status subresource is enabled',
            ),
          );
          break;
        }
        continue;
      }
      if (!ALLOWED_AT_ROOT_WITH_STATUS.includes(goName)) {
        errors.push(
          fe.invalid(
            root,
            schema,
            `only [${ALLOWED_AT_ROOT_WITH_STATUS.join(' ')}] fields are allowed at the root of the schema if the status subresource is enabled`,
          ),
        );
        break;
      }
    }
  }
  if (schema.nullable === true) errors.push(fe.forbidden(`${root}.nullable`, 'nullable cannot be true at the root'));
  const structural = validateStructural(schema, root);
  if (structural.length > 0) errors.push(...structural);
  else errors.push(...validateDefaults(schema, root));
  errors.push(...openApiSchemaErrors(schema, root, { allowDefaults: true, insideMeta: false }, true));
  return errors;
}

// ---- structural schema -------------------------------------------------------------------------

type Level = 'root' | 'item' | 'field';

/** ValidateStructural: invariants and completeness, sorted by their text as the API server sorts them. */
export function validateStructural(s: Raw, path: string): SchemaFieldError[] {
  const errors = [...structuralInvariants(s, 'root', path), ...valueValidationCompleteness(s, s, path, path)];
  return errors.sort((a, b) => (schemaErrorText(a) < schemaErrorText(b) ? -1 : schemaErrorText(a) > schemaErrorText(b) ? 1 : 0));
}

function structuralInvariants(s: Raw, lvl: Level, path: string): SchemaFieldError[] {
  const errors: SchemaFieldError[] = [];
  const type = typeof s.type === 'string' ? s.type : '';
  const items = raw(s.items);
  if (type === 'array' && s.items === undefined) errors.push(fe.required(`${path}.items`, 'must be specified'));
  if (items) errors.push(...structuralInvariants(items, 'item', `${path}.items`));
  for (const [k, v] of props(s)) errors.push(...structuralInvariants(v, 'field', `${path}.properties[${k}]`));
  if (s.additionalProperties !== undefined) {
    if (lvl === 'root') errors.push(fe.forbidden(`${path}.additionalProperties`, 'must not be used at the root'));
    const ap = raw(s.additionalProperties);
    if (ap) errors.push(...structuralInvariants(ap, 'field', `${path}.additionalProperties`));
  }
  const intOrString = s['x-kubernetes-int-or-string'] === true;
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  if (intOrString && preserve)
    errors.push(fe.invalid(`${path}.x-kubernetes-preserve-unknown-fields`, true, 'must be false if x-kubernetes-int-or-string is true'));
  if (intOrString && embedded)
    errors.push(fe.invalid(`${path}.x-kubernetes-embedded-resource`, true, 'must be false if x-kubernetes-int-or-string is true'));
  errors.push(...valueValidation(s, isIntOrStringAnyOf(s.anyOf), isIntOrStringAllOf(s), lvl, path));
  const checkMetadata = lvl === 'root' || embedded;
  if (embedded && type !== 'object') {
    if (!type) errors.push(fe.required(`${path}.type`, 'must be object if x-kubernetes-embedded-resource is true'));
    else errors.push(fe.invalid(`${path}.type`, type, 'must be object if x-kubernetes-embedded-resource is true'));
  } else if (!type && !intOrString && !preserve) {
    const detail = {
      root: 'must not be empty at the root',
      item: 'must not be empty for specified array items',
      field: 'must not be empty for specified object fields',
    }[lvl];
    errors.push(fe.required(`${path}.type`, detail));
  }
  if (embedded && s.additionalProperties !== undefined)
    errors.push(fe.forbidden(`${path}.additionalProperties`, 'must not be used if x-kubernetes-embedded-resource is set'));
  if (lvl === 'root' && type && type !== 'object') errors.push(fe.invalid(`${path}.type`, type, 'must be object at the root'));
  const properties = new Map(props(s));
  for (const meta of ['kind', 'apiVersion']) {
    const p = properties.get(meta);
    if (p && checkMetadata && p.type !== 'string')
      errors.push(fe.invalid(`${path}.properties[${meta}].type`, typeof p.type === 'string' ? p.type : '', 'must be string'));
  }
  const metadata = properties.get('metadata');
  if (metadata) errors.push(...metadataInvariants(metadata, checkMetadata, lvl, `${path}.properties[metadata]`));
  if (embedded && !preserve && properties.size === 0) {
    errors.push(
      fe.required(
        `${path}.properties`,
        'must not be empty if x-kubernetes-embedded-resource is true without x-kubernetes-preserve-unknown-fields',
      ),
    );
  }
  return errors;
}

function metadataInvariants(s: Raw, checkMetadata: boolean, lvl: Level, path: string): SchemaFieldError[] {
  const errors: SchemaFieldError[] = [];
  if (checkMetadata && s.type !== 'object')
    errors.push(fe.invalid(`${path}.type`, typeof s.type === 'string' ? s.type : '', 'must be object'));
  if (lvl === 'root') {
    const names = props(s).map(([k]) => k);
    const onlyNames = names.every((k) => k === 'name' || k === 'generateName');
    const others = Object.keys(s).filter(
      (k) => k !== 'type' && k !== 'default' && k !== 'properties' && s[k] !== undefined && s[k] !== null && s[k] !== false && s[k] !== '',
    );
    if (!onlyNames || others.length > 0) {
      errors.push(fe.forbidden(path, 'must not specify anything other than name and generateName, but metadata is implicitly specified'));
    }
  }
  return errors;
}

function isIntOrStringAnyOf(anyOf: unknown): boolean {
  const branches = list(anyOf);
  return (
    branches.length === 2 &&
    Object.keys(branches[0]).length === 1 &&
    branches[0].type === 'integer' &&
    Object.keys(branches[1]).length === 1 &&
    branches[1].type === 'string'
  );
}

function isIntOrStringAllOf(s: Raw): boolean {
  const allOf = list(s.allOf);
  return allOf.length >= 1 && isIntOrStringAnyOf(allOf[0].anyOf);
}

function valueValidation(v: Raw, skipAnyOf: boolean, skipFirstAllOfAnyOf: boolean, lvl: Level, path: string): SchemaFieldError[] {
  const errors: SchemaFieldError[] = [];
  if (!skipAnyOf) list(v.anyOf).forEach((b, i) => errors.push(...nestedValueValidation(b, false, lvl, `${path}.anyOf[${i}]`)));
  list(v.allOf).forEach((b, i) => errors.push(...nestedValueValidation(b, skipFirstAllOfAnyOf && i === 0, lvl, `${path}.allOf[${i}]`)));
  list(v.oneOf).forEach((b, i) => errors.push(...nestedValueValidation(b, false, lvl, `${path}.oneOf[${i}]`)));
  const not = raw(v.not);
  if (not) errors.push(...nestedValueValidation(not, false, lvl, `${path}.not`));
  if (typeof v.pattern === 'string' && v.pattern !== '') {
    const compiled = compileGoPattern(v.pattern);
    if (!compiled.ok)
      errors.push(fe.invalid(`${path}.pattern`, v.pattern, `must be a valid regular expression, but isn't: ${compiled.error}`));
  }
  return errors;
}

const NESTED_FORBIDDEN: [string, string][] = [
  ['default', 'must be undefined to be structural'],
  ['title', 'must be empty to be structural'],
  ['description', 'must be empty to be structural'],
];

function nestedValueValidation(v: Raw, skipAnyOf: boolean, lvl: Level, path: string): SchemaFieldError[] {
  const errors = valueValidation(v, skipAnyOf, false, lvl, path);
  const items = raw(v.items);
  if (items) errors.push(...nestedValueValidation(items, false, lvl, `${path}.items`));
  for (const [k, p] of props(v)) errors.push(...nestedValueValidation(p, false, 'field', `${path}.properties[${k}]`));
  if (typeof v.type === 'string' && v.type !== '') errors.push(fe.forbidden(`${path}.type`, 'must be empty to be structural'));
  if (v.additionalProperties !== undefined) errors.push(fe.forbidden(`${path}.additionalProperties`, 'must be undefined to be structural'));
  for (const [key, detail] of NESTED_FORBIDDEN)
    if (v[key] !== undefined && v[key] !== null && v[key] !== '') errors.push(fe.forbidden(`${path}.${key}`, detail));
  if (v.nullable === true) errors.push(fe.forbidden(`${path}.nullable`, 'must be false to be structural'));
  for (const ext of ['x-kubernetes-preserve-unknown-fields', 'x-kubernetes-embedded-resource', 'x-kubernetes-int-or-string']) {
    if (v[ext] === true) errors.push(fe.forbidden(`${path}.${ext}`, 'must be false to be structural'));
  }
  if (Array.isArray(v['x-kubernetes-list-map-keys']) && v['x-kubernetes-list-map-keys'].length > 0) {
    errors.push(fe.forbidden(`${path}.x-kubernetes-list-map-keys`, 'must be empty to be structural'));
  }
  if (v['x-kubernetes-list-type'] !== undefined)
    errors.push(fe.forbidden(`${path}.x-kubernetes-list-type`, 'must be undefined to be structural'));
  if (v['x-kubernetes-map-type'] !== undefined)
    errors.push(fe.forbidden(`${path}.x-kubernetes-map-type`, 'must be undefined to be structural'));
  if (Array.isArray(v['x-kubernetes-validations']) && v['x-kubernetes-validations'].length > 0) {
    errors.push(fe.forbidden(`${path}.x-kubernetes-validations`, 'must be empty to be structural'));
  }
  if (props(v).some(([k]) => k === 'metadata'))
    errors.push(fe.forbidden(`${path}.properties[metadata]`, 'must not be specified in a nested context'));
  return errors;
}

/** Value validations (anyOf & co.) of the root may only mention properties the structure declares. */
function valueValidationCompleteness(v: Raw, s: Raw | undefined, sPath: string, vPath: string): SchemaFieldError[] {
  if (!s) return [fe.required(sPath, `because it is defined in ${vPath}`)];
  const errors: SchemaFieldError[] = [];
  const not = raw(v.not);
  if (not) errors.push(...nestedCompleteness(not, s, sPath, `${vPath}.not`));
  list(v.allOf).forEach((b, i) => errors.push(...nestedCompleteness(b, s, sPath, `${vPath}.allOf[${i}]`)));
  list(v.anyOf).forEach((b, i) => errors.push(...nestedCompleteness(b, s, sPath, `${vPath}.anyOf[${i}]`)));
  list(v.oneOf).forEach((b, i) => errors.push(...nestedCompleteness(b, s, sPath, `${vPath}.oneOf[${i}]`)));
  return errors;
}

function nestedCompleteness(v: Raw, s: Raw | undefined, sPath: string, vPath: string): SchemaFieldError[] {
  if (!s) return [fe.required(sPath, `because it is defined in ${vPath}`)];
  const errors = valueValidationCompleteness(v, s, sPath, vPath);
  const items = raw(v.items);
  if (items) errors.push(...nestedCompleteness(items, raw(s.items), `${sPath}.items`, `${vPath}.items`));
  const sProps = new Map(props(s));
  for (const [k, p] of props(v)) {
    const sp = sProps.get(k);
    if (!sp) errors.push(fe.required(`${sPath}.properties[${k}]`, `because it is defined in ${vPath}.properties[${k}]`));
    else errors.push(...nestedCompleteness(p, sp, `${sPath}.properties[${k}]`, `${vPath}.properties[${k}]`));
  }
  return errors;
}

// ---- defaults ----------------------------------------------------------------------------------

/** ValidateDefaults: every default outside resource metadata is pruned and valid against its schema. */
function validateDefaults(s: Raw, path: string, insideMeta = false, resourceRoot = true): SchemaFieldError[] {
  const errors: SchemaFieldError[] = [];
  const embeddedHere = s['x-kubernetes-embedded-resource'] === true;
  const embedded = resourceRoot || embeddedHere;
  if (embeddedHere) insideMeta = false;
  if ('default' in s && s.default !== null && s.default !== undefined && !insideMeta) {
    const value = s.default as Json;
    const node = compileSchema(s);
    if (!deepEqualJson(pruneValue(value, node, embeddedHere), value)) {
      errors.push(fe.invalid(`${path}.default`, value, 'must not have unknown fields'));
    }
    errors.push(...toFieldErrors(`${path}.default`, validateAgainstSchema(value, node, '').errors));
  }
  const items = raw(s.items);
  if (items) errors.push(...validateDefaults(items, `${path}.items`, insideMeta, false));
  for (const [k, p] of props(s)) {
    errors.push(...validateDefaults(p, `${path}.properties[${k}]`, insideMeta || (embedded && META_FIELDS.includes(k)), false));
  }
  return errors;
}

// ---- OpenAPI features ---------------------------------------------------------------------------

interface SchemaContext {
  allowDefaults: boolean;
  disallowDefaultsReason?: string;
  insideMeta: boolean;
}

/** ValidateCustomResourceDefinitionOpenAPISchema, without CEL. */
function openApiSchemaErrors(s: Raw, path: string, ctx: SchemaContext, isRoot: boolean): SchemaFieldError[] {
  const errors: SchemaFieldError[] = [];
  const type = typeof s.type === 'string' ? s.type : '';
  if (type && !OPENAPI_V3_TYPES.includes(type)) errors.push(fe.notSupported(`${path}.type`, type, OPENAPI_V3_TYPES));
  if (s.default !== undefined && s.default !== null && !ctx.allowDefaults) {
    errors.push(fe.forbidden(`${path}.default`, `must not be set${ctx.disallowDefaultsReason ? ` ${ctx.disallowDefaultsReason}` : ''}`));
  }
  if (typeof s.id === 'string' && s.id !== '') errors.push(fe.forbidden(`${path}.id`, 'id is not supported'));
  if (s.additionalItems !== undefined) errors.push(fe.forbidden(`${path}.additionalItems`, 'additionalItems is not supported'));
  if (raw(s.patternProperties) && Object.keys(s.patternProperties as Raw).length > 0)
    errors.push(fe.forbidden(`${path}.patternProperties`, 'patternProperties is not supported'));
  if (raw(s.definitions) && Object.keys(s.definitions as Raw).length > 0)
    errors.push(fe.forbidden(`${path}.definitions`, 'definitions is not supported'));
  if (s.dependencies !== undefined) errors.push(fe.forbidden(`${path}.dependencies`, 'dependencies is not supported'));
  if (s.$ref !== undefined) errors.push(fe.forbidden(`${path}.$ref`, '$ref is not supported'));
  if (type === 'null') errors.push(fe.forbidden(`${path}.type`, 'type cannot be set to null, use nullable as an alternative'));
  if (Array.isArray(s.items)) errors.push(fe.forbidden(`${path}.items`, 'items must be a schema object and not an array'));
  const embedded = s['x-kubernetes-embedded-resource'] === true;
  if (ctx.insideMeta && embedded)
    errors.push(fe.forbidden(`${path}.x-kubernetes-embedded-resource`, 'must not be used inside of resource meta'));
  if (s.uniqueItems === true)
    errors.push(fe.forbidden(`${path}.uniqueItems`, 'uniqueItems cannot be set to true since the runtime complexity becomes quadratic'));
  const properties = props(s);
  if (s.additionalProperties !== undefined) {
    if (properties.length > 0 && (s.additionalProperties === false || raw(s.additionalProperties))) {
      errors.push(fe.forbidden(`${path}.additionalProperties`, 'additionalProperties and properties are mutual exclusive'));
    }
    const sub = ctx.insideMeta
      ? { ...ctx, allowDefaults: false, disallowDefaultsReason: 'inside additionalProperties applying to object metadata' }
      : ctx;
    const ap = raw(s.additionalProperties);
    if (ap) errors.push(...openApiSchemaErrors(ap, `${path}.additionalProperties`, sub, false));
  }
  for (const [k, p] of properties) {
    let sub = ctx;
    if ((isRoot || embedded) && META_FIELDS.includes(k)) {
      sub = { ...sub, insideMeta: true };
      if (isRoot) sub = { ...sub, allowDefaults: false, disallowDefaultsReason: `in top-level ${k}` };
    }
    errors.push(...openApiSchemaErrors(p, `${path}.properties[${k}]`, sub, false));
  }
  const not = raw(s.not);
  if (not) errors.push(...openApiSchemaErrors(not, `${path}.not`, ctx, false));
  for (const key of ['allOf', 'oneOf', 'anyOf'])
    list(s[key]).forEach((b, i) => errors.push(...openApiSchemaErrors(b, `${path}.${key}[${i}]`, ctx, false)));
  const items = raw(s.items);
  if (items) errors.push(...openApiSchemaErrors(items, `${path}.items`, ctx, false));
  if (Array.isArray(s.items)) list(s.items).forEach((b, i) => errors.push(...openApiSchemaErrors(b, `${path}.items[${i}]`, ctx, false)));
  if (s['x-kubernetes-preserve-unknown-fields'] === false) {
    errors.push(fe.invalid(`${path}.x-kubernetes-preserve-unknown-fields`, false, 'must be true or undefined'));
  }
  errors.push(...listAndMapTypeErrors(s, type, path));
  const rules = Array.isArray(s['x-kubernetes-validations']) ? s['x-kubernetes-validations'] : [];
  rules.forEach((rule: unknown, i: number) => {
    const r = raw(rule) ?? {};
    if (typeof r.rule !== 'string' || r.rule.trim() === '')
      errors.push(fe.required(`${path}.x-kubernetes-validations[${i}].rule`, 'rule is not specified'));
  });
  return errors;
}

function listAndMapTypeErrors(s: Raw, type: string, path: string): SchemaFieldError[] {
  const errors: SchemaFieldError[] = [];
  const mapType = s['x-kubernetes-map-type'];
  const listType = s['x-kubernetes-list-type'];
  const mapKeys = Array.isArray(s['x-kubernetes-list-map-keys']) ? (s['x-kubernetes-list-map-keys'] as unknown[]) : [];
  const items = raw(s.items);
  if (typeof mapType === 'string' && type !== 'object') {
    if (!type) errors.push(fe.required(`${path}.type`, 'must be object if x-kubernetes-map-type is specified'));
    else errors.push(fe.invalid(`${path}.type`, type, 'must be object if x-kubernetes-map-type is specified'));
  }
  if (typeof mapType === 'string' && mapType !== 'atomic' && mapType !== 'granular') {
    errors.push(fe.notSupported(`${path}.x-kubernetes-map-type`, mapType, ['atomic', 'granular']));
  }
  if (typeof listType === 'string' && type !== 'array') {
    if (!type) errors.push(fe.required(`${path}.type`, 'must be array if x-kubernetes-list-type is specified'));
    else errors.push(fe.invalid(`${path}.type`, type, 'must be array if x-kubernetes-list-type is specified'));
  } else if (listType === 'set' && items) {
    if (items.type === 'array' && items['x-kubernetes-list-type'] !== undefined && items['x-kubernetes-list-type'] !== 'atomic') {
      errors.push(
        fe.invalid(
          `${path}.items.x-kubernetes-list-type`,
          items['x-kubernetes-list-type'],
          'must be atomic as item of a list with x-kubernetes-list-type=set',
        ),
      );
    }
    if (items.type === 'object' && items['x-kubernetes-map-type'] !== 'atomic') {
      errors.push(
        fe.invalid(
          `${path}.items.x-kubernetes-map-type`,
          items['x-kubernetes-list-type'] ?? null,
          'must be atomic as item of a list with x-kubernetes-list-type=set',
        ),
      );
    }
  }
  if (typeof listType === 'string' && !['atomic', 'set', 'map'].includes(listType)) {
    errors.push(fe.notSupported(`${path}.x-kubernetes-list-type`, listType, ['atomic', 'set', 'map']));
  }
  if (mapKeys.length > 0) {
    if (listType === undefined)
      errors.push(fe.required(`${path}.x-kubernetes-list-type`, 'must be map if x-kubernetes-list-map-keys is non-empty'));
    else if (listType !== 'map')
      errors.push(fe.invalid(`${path}.x-kubernetes-list-type`, listType, 'must be map if x-kubernetes-list-map-keys is non-empty'));
  }
  if (listType === 'map') {
    if (mapKeys.length === 0)
      errors.push(fe.required(`${path}.x-kubernetes-list-map-keys`, 'must not be empty if x-kubernetes-list-type is map'));
    if (s.items === undefined) errors.push(fe.required(`${path}.items`, 'must have a schema if x-kubernetes-list-type is map'));
    if (Array.isArray(s.items))
      errors.push(fe.invalid(`${path}.items`, s.items, 'must only have a single schema if x-kubernetes-list-type is map'));
    if (items && items.type !== 'object')
      errors.push(fe.invalid(`${path}.items.type`, items.type ?? '', "must be object if parent array's x-kubernetes-list-type is map"));
    if (items && items.type === 'object') {
      const itemProps = new Map(props(items));
      const seen = new Set<unknown>();
      for (const k of mapKeys) {
        const p = itemProps.get(String(k));
        if (p) {
          if (p.type === 'array' || p.type === 'object') {
            errors.push(
              fe.invalid(
                `${path}.items.properties[${k}].type`,
                items.type,
                "must be a scalar type if parent array's x-kubernetes-list-type is map",
              ),
            );
          }
        } else {
          errors.push({
            ...fe.invalid(`${path}.x-kubernetes-list-map-keys`, mapKeys, 'entries must all be names of item properties'),
            rendered: goStringSlice(mapKeys),
          });
        }
        if (seen.has(k))
          errors.push({
            ...fe.invalid(`${path}.x-kubernetes-list-map-keys`, mapKeys, 'must not contain duplicate entries'),
            rendered: goStringSlice(mapKeys),
          });
        seen.add(k);
      }
    }
  }
  if (items && (listType === 'set' || listType === 'map')) {
    if (items.nullable === true)
      errors.push(fe.forbidden(`${path}.items.nullable`, `cannot be nullable when x-kubernetes-list-type is ${listType}`));
    if (listType === 'map') {
      const required = new Set(Array.isArray(items.required) ? items.required : []);
      const itemProps = new Map(props(items));
      for (const k of mapKeys) {
        const p = itemProps.get(String(k));
        if (!p) continue;
        if (!required.has(k) && (p.default === undefined || p.default === null)) {
          errors.push(
            fe.required(
              `${path}.items.properties[${k}].default`,
              'this property is in x-kubernetes-list-map-keys, so it must have a default or be a required property',
            ),
          );
        }
        if (p.nullable === true)
          errors.push(
            fe.forbidden(
              `${path}.items.properties[${k}].nullable`,
              'this property is in x-kubernetes-list-map-keys, so it cannot be nullable',
            ),
          );
      }
    }
  }
  return errors;
}
