// Schema validation of custom resources: a re-implementation of kube-openapi's SchemaValidator
// (pkg/validation/validate: schema.go, type.go, validator.go, object_validator.go,
// slice_validator.go, schema_props.go, formats.go) as the API server runs it, plus CRD validation
// ratcheting (apiextensions-apiserver pkg/apiserver/validation/ratcheting.go; CRDValidationRatcheting
// is on by default in 1.32).
//
// Why not a general JSON-schema library (ajv is in node_modules through a dependency): clients see
// the messages, and kubectl prints them verbatim. They follow kube-openapi's wording, order and
// de-duplication, its int64/float64 distinctions, its best-failure choice for anyOf/oneOf, its
// formats, and nullable; translating another validator's errors into those would be as much code
// as this, and less exact.
import { goFloat, isGoInt } from '../go-format.js';
import { openApiError, type OpenApiError } from './schema-errors.js';
import { isObject, type Json, type SchemaNode } from './schema-node.js';

export interface Result {
  errors: OpenApiError[];
  /** kube-openapi's MatchCount: how much of the schema matched, to pick the best anyOf/oneOf failure. */
  matchCount: number;
}

/** The old value correlated with the value being validated (ratcheting), when there is one. */
interface Correlation {
  old: Json;
}

function addErrors(r: Result, errors: OpenApiError[]): void {
  for (const e of errors) if (!r.errors.some((x) => x.message === e.message)) r.errors.push(e);
}

function merge(r: Result, other: Result | undefined): void {
  if (!other) return;
  addErrors(r, other.errors);
  r.matchCount += other.matchCount;
}

function fail(e: OpenApiError): Result {
  return { errors: [e], matchCount: 0 };
}

/** A passing check that counts one match (shared: merge only reads it). */
const NO_ERRORS: OpenApiError[] = [];
Object.freeze(NO_ERRORS);
const PASSED: Result = Object.freeze({ errors: NO_ERRORS, matchCount: 1 });

/**
 * Validates `data` against `s` at validator path `path` ('' for the schema's root). With `old`,
 * validates an update: errors in values equal to their correlated old value are dropped.
 */
export function validateAgainstSchema(data: Json | undefined, s: SchemaNode, path: string, old?: { value: Json }): Result {
  return validateNode(data ?? null, s, path, old ? { old: old.value } : undefined, true);
}

function validateNode(data: Json, s: SchemaNode, path: string, corr: Correlation | undefined, root = false): Result {
  // Ratcheting: an unchanged (correlated) value keeps whatever errors it already had.
  if (corr && deepEqualJson(corr.old, data)) return { errors: [], matchCount: 0 };
  const result: Result = { errors: [], matchCount: 0 };
  if (data === null) {
    merge(result, typeCheck(data, s, path));
    merge(result, enumCheck(data, s, path));
    return result;
  }
  const kind = kindOf(data);
  const run = (r: Result | undefined) => {
    merge(result, r);
    result.matchCount++;
  };
  if (s.types.length > 0 || s.format !== '') run(typeCheck(data, s, path));
  if (s.anyOf.length > 0 || s.oneOf.length > 0 || s.allOf.length > 0 || s.not) run(schemaProps(data, s, path, corr, root));
  else result.matchCount += 2;
  if (kind === 'string') run(stringCheck(data as string, s, path));
  if (kind === 'string' && s.formatCheck) run(formatValidate(data as string, s, path));
  if (kind === 'integer' || kind === 'number') run(numberCheck(data as number, s, path));
  if (kind === 'array') run(sliceCheck(data as Json[], s, path, corr));
  run(enumCheck(data, s, path));
  if (kind === 'object') run(objectCheck(data as Record<string, Json>, s, path, corr, root));
  result.matchCount++;
  return result;
}

type Kind = 'boolean' | 'string' | 'integer' | 'number' | 'array' | 'object';

function kindOf(data: Json): Kind {
  if (typeof data === 'boolean') return 'boolean';
  if (typeof data === 'string') return 'string';
  if (typeof data === 'number') return isGoInt(data) ? 'integer' : 'number';
  return Array.isArray(data) ? 'array' : 'object';
}

/** typeValidator: the JSON type (from the Go type of the decoded value), and nulls against nullable. */
function typeCheck(data: Json, s: SchemaNode, path: string): Result | undefined {
  if (data === null) {
    if (s.types.length > 0 && !s.types.includes('null') && !s.nullable)
      return fail(openApiError.invalidType(path, s.types.join(','), 'null'));
    return PASSED;
  }
  const schType = kindOf(data);
  const format = schType === 'integer' ? 'int64' : schType === 'number' ? 'float64' : '';
  const isIntFloat = schType === 'integer' && s.types.includes('number');
  const notStringOrSlice = schType !== 'string' && schType !== 'array';
  if (notStringOrSlice && s.format !== '' && !(s.types.includes(schType) || format === s.format || isIntFloat)) {
    return fail(openApiError.invalidType(path, s.format, format));
  }
  if (!(s.types.includes('number') || s.types.includes('integer')) && s.format !== '' && !notStringOrSlice) return PASSED;
  if (!(s.types.includes(schType) || isIntFloat)) return fail(openApiError.invalidType(path, s.types.join(','), schType));
  return PASSED;
}

/** schemaPropsValidator: allOf, oneOf, anyOf and not at the same path. */
function schemaProps(data: Json, s: SchemaNode, path: string, corr: Correlation | undefined, root: boolean): Result {
  const main: Result = { errors: [], matchCount: 0 };
  const branch = (sub: SchemaNode) => validateBranch(data, sub, path, corr, root);
  if (s.anyOf.length > 0) {
    let best: Result | undefined;
    let firstSuccess: Result | undefined;
    let succeeded = false;
    for (const sub of s.anyOf) {
      const r = branch(sub);
      if (r.errors.length === 0) {
        best = undefined;
        succeeded = true;
        firstSuccess ??= r;
        break;
      }
      if (!best || r.matchCount > best.matchCount) best = r;
    }
    if (!succeeded) addErrors(main, [openApiError.composite(`${JSON.stringify(path)} must validate at least one schema (anyOf)`)]);
    merge(main, best ?? firstSuccess);
  }
  if (s.oneOf.length > 0) {
    let best: Result | undefined;
    let firstSuccess: Result | undefined;
    let validated = 0;
    for (const sub of s.oneOf) {
      const r = branch(sub);
      if (r.errors.length === 0) {
        validated++;
        best = undefined;
        firstSuccess ??= r;
        continue;
      }
      if (validated === 0 && (!best || r.matchCount > best.matchCount)) best = r;
    }
    if (validated !== 1) {
      const more = validated === 0 ? 'Found none valid' : `Found ${validated} valid alternatives`;
      addErrors(main, [openApiError.composite(`${JSON.stringify(path)} must validate one and only one schema (oneOf). ${more}`)]);
      merge(main, best);
    } else merge(main, firstSuccess);
  }
  if (s.allOf.length > 0) {
    let validated = 0;
    for (const sub of s.allOf) {
      const r = branch(sub);
      if (r.errors.length === 0) validated++;
      merge(main, r);
    }
    if (validated !== s.allOf.length) {
      addErrors(main, [
        openApiError.composite(`${JSON.stringify(path)} must validate all the schemas (allOf)${validated === 0 ? '. None validated' : ''}`),
      ]);
    }
  }
  if (s.not && branch(s.not).errors.length === 0) {
    addErrors(main, [openApiError.composite(`${JSON.stringify(path)} must not validate the schema (not)`)]);
  }
  main.matchCount++;
  return main;
}

/**
 * A branch (anyOf, oneOf, allOf, not) validates the same node; its children still correlate through
 * that node. The node itself differs from its old value, or validateNode had returned already.
 */
function validateBranch(data: Json, s: SchemaNode, path: string, corr: Correlation | undefined, root: boolean): Result {
  return validateNode(data, s, path, corr, root);
}

/** stringValidator: maxLength, minLength (runes), pattern; the first failure only. */
function stringCheck(data: string, s: SchemaNode, path: string): Result | undefined {
  if (s.maxLength === undefined && s.minLength === undefined && !s.pattern) return undefined;
  const length = s.maxLength !== undefined || s.minLength !== undefined ? runeCount(data) : 0;
  if (s.maxLength !== undefined && length > s.maxLength) return fail(openApiError.tooLong(path, s.maxLength, data));
  if (s.minLength !== undefined && length < s.minLength) return fail(openApiError.tooShort(path, s.minLength, data));
  if (s.pattern) {
    const { compiled, source } = s.pattern;
    if (!compiled.ok) return fail(openApiError.pattern(path, `${source}, but pattern is invalid: ${compiled.error}`, data));
    if (!compiled.re.test(data)) return fail(openApiError.pattern(path, source, data));
  }
  return undefined;
}

function runeCount(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}

function formatValidate(data: string, s: SchemaNode, path: string): Result | undefined {
  return s.formatCheck!(data) ? undefined : fail(openApiError.invalidType(path, s.format, data));
}

/** numberValidator: multipleOf, minimum, maximum, compared in the value's Go type (int64 or float64). */
function numberCheck(data: number, s: SchemaNode, path: string): Result {
  if (s.multipleOf === undefined && s.minimum === undefined && s.maximum === undefined) return PASSED;
  const res: Result = { errors: [], matchCount: 0 };
  const int = isGoInt(data);
  const errors: OpenApiError[] = [];
  if (s.multipleOf !== undefined) {
    if (int) {
      const factor = Math.trunc(s.multipleOf);
      if (factor <= 0) errors.push(openApiError.multipleOfMustBePositive(path, factor));
      else if (BigInt(data) % BigInt(factor) !== 0n) errors.push(openApiError.multipleOf(path, String(factor), data));
    } else if (s.multipleOf <= 0) {
      errors.push(openApiError.multipleOfMustBePositive(path, s.multipleOf));
    } else {
      const mult = s.multipleOf < 1 ? (1 / s.multipleOf) * data : data / s.multipleOf;
      if (!(Number.isInteger(mult) && Math.abs(mult) <= 2 ** 53)) errors.push(openApiError.multipleOf(path, goFloat(s.multipleOf), data));
    }
  }
  if (s.minimum !== undefined) {
    const min = int ? Math.trunc(s.minimum) : s.minimum;
    if (s.exclusiveMinimum ? data <= min : data < min)
      errors.push(openApiError.minimum(path, int ? String(min) : goFloat(min), s.exclusiveMinimum, data));
  }
  if (s.maximum !== undefined) {
    const max = int ? Math.trunc(s.maximum) : s.maximum;
    if (s.exclusiveMaximum ? data >= max : data > max)
      errors.push(openApiError.maximum(path, int ? String(max) : goFloat(max), s.exclusiveMaximum, data));
  }
  addErrors(res, errors);
  res.matchCount++;
  return res;
}

/** schemaSliceValidator: items (list-type=map items correlate by key for ratcheting), minItems, maxItems, uniqueItems. */
function sliceCheck(data: Json[], s: SchemaNode, path: string, corr: Correlation | undefined): Result {
  const result: Result = { errors: [], matchCount: 0 };
  if (s.items) {
    const oldByKey = corr && s.listType === 'map' && Array.isArray(corr.old) ? mapListIndex(corr.old, s.listMapKeys) : undefined;
    for (let i = 0; i < data.length; i++) {
      const old = oldByKey?.(data[i]);
      merge(result, validateNode(data[i], s.items, `${path}[${i}]`, old));
    }
  }
  if (s.minItems !== undefined && data.length < s.minItems) addErrors(result, [openApiError.minItems(path, s.minItems, data.length)]);
  if (s.maxItems !== undefined && data.length > s.maxItems) addErrors(result, [openApiError.maxItems(path, s.maxItems, data.length)]);
  if (s.uniqueItems) {
    for (let i = 1; i < data.length; i++) {
      if (data.slice(0, i).some((u) => deepEqualJson(u, data[i]))) {
        addErrors(result, [openApiError.unique(path)]);
        break;
      }
    }
  }
  result.matchCount++;
  return result;
}

/** The old element with the same map keys as a new one (common.MakeMapList), for ratcheting. */
function mapListIndex(old: Json[], keys: string[]): (item: Json) => Correlation | undefined {
  const keyOf = (item: Json) => (isObject(item) ? JSON.stringify(keys.map((k) => item[k] ?? null)) : undefined);
  const index = new Map<string, Json>();
  for (const item of old) {
    const key = keyOf(item);
    if (key !== undefined && !index.has(key)) index.set(key, item);
  }
  return (item) => {
    const key = keyOf(item);
    return key !== undefined && index.has(key) ? { old: index.get(key)! } : undefined;
  };
}

/** basicCommonValidator: enum, with Go's conversion of the value to each enum value's type. */
function enumCheck(data: Json, s: SchemaNode, path: string): Result | undefined {
  if (!s.enum || s.enum.length === 0) return undefined;
  if (s.enum.some((e) => enumMatches(data, e))) return undefined;
  return fail(openApiError.enum(path, data, s.enum));
}

function enumMatches(data: Json, e: Json): boolean {
  if (data === null || e === null) return false;
  if (typeof e === 'string') {
    if (typeof data === 'string') return data === e;
    // An int64 converts to a string as its code point.
    if (typeof data === 'number' && isGoInt(data)) return data >= 0 && data <= 0x10ffff ? String.fromCodePoint(data) === e : e === '\ufffd';
    return false;
  }
  if (typeof e === 'number') {
    if (typeof data !== 'number') return false;
    return isGoInt(e) ? Math.trunc(data) === e : data === e;
  }
  if (typeof e === 'boolean') return data === e;
  return typeof data === 'object' && Array.isArray(data) === Array.isArray(e) && deepEqualJson(data, e);
}

/** objectValidator: property counts, additionalProperties, properties, required. */
function objectCheck(data: Record<string, Json>, s: SchemaNode, path: string, corr: Correlation | undefined, root: boolean): Result {
  const res: Result = { errors: [], matchCount: 0 };
  const keys = Object.keys(data);
  if (s.minProperties !== undefined && keys.length < s.minProperties)
    addErrors(res, [openApiError.tooFewProperties(path, s.minProperties, keys.length)]);
  if (s.maxProperties !== undefined && keys.length > s.maxProperties)
    addErrors(res, [openApiError.tooManyProperties(path, s.maxProperties, keys.length)]);
  const oldObject = corr && isObject(corr.old) ? corr.old : undefined;
  const child = (key: string, _schema: SchemaNode): Correlation | undefined => {
    if (!oldObject || !(key in oldObject)) return undefined;
    if (root && (key === 'apiVersion' || key === 'kind')) return undefined;
    return { old: oldObject[key] };
  };
  if (s.additionalProperties === false) {
    for (const k of keys) if (!s.properties?.has(k)) addErrors(res, [openApiError.propertyNotAllowed(path, k)]);
  } else if (typeof s.additionalProperties === 'object') {
    const ap = s.additionalProperties;
    for (const k of keys) {
      if (s.properties?.has(k)) continue;
      merge(res, validateNode(data[k], ap, `${path}.${k}`, child(k, ap)));
    }
  }
  if (s.properties) {
    for (const [name, schema] of s.properties) {
      if (!(name in data)) continue;
      merge(res, validateNode(data[name], schema, path ? `${path}.${name}` : name, child(name, schema)));
    }
  }
  for (const k of s.required) if (!(k in data)) addErrors(res, [openApiError.required(`${path}.${k}`)]);
  return res;
}

export function deepEqualJson(a: Json | undefined, b: Json | undefined): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!deepEqualJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const ak = Object.keys(a);
  if (ak.length !== Object.keys(b).length) return false;
  for (const k of ak) if (!(k in b) || !deepEqualJson(a[k], (b as Record<string, Json>)[k])) return false;
  return true;
}
