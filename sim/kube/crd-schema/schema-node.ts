// A CRD version's openAPIV3Schema compiled once into nodes the per-write passes walk quickly:
// patterns compiled, supported formats resolved (unsupported ones dropped as the API server drops
// them), properties in a Map. Compiled nodes are cached by the identity of the raw schema object,
// which changes whenever the CRD is written, so each CRD resourceVersion compiles once.
import { compileGoPattern, type CompiledPattern } from './go-regexp.js';
import { formatCheck, type FormatCheck } from './formats.js';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface SchemaNode {
  /** `type` as written ('' when absent). */
  type: string;
  /** What the type check accepts: [type], ['integer', 'string'] for int-or-string, [] for none. */
  types: string[];
  nullable: boolean;
  /** The format name as written when the API server checks it, else ''. */
  format: string;
  formatCheck?: FormatCheck;
  properties?: Map<string, SchemaNode>;
  /** A schema, or a boolean (`additionalProperties: true|false`); undefined when absent. */
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  required: string[];
  enum?: Json[];
  pattern?: { source: string; compiled: CompiledPattern };
  maxLength?: number;
  minLength?: number;
  maximum?: number;
  exclusiveMaximum: boolean;
  minimum?: number;
  exclusiveMinimum: boolean;
  multipleOf?: number;
  maxItems?: number;
  minItems?: number;
  uniqueItems: boolean;
  maxProperties?: number;
  minProperties?: number;
  allOf: SchemaNode[];
  anyOf: SchemaNode[];
  oneOf: SchemaNode[];
  not?: SchemaNode;
  /** Present when the schema declares a default (a JSON null default counts as none, as in Go). */
  default?: { value: Json };
  preserveUnknownFields: boolean;
  embeddedResource: boolean;
  intOrString: boolean;
  listType?: string;
  listMapKeys: string[];
}

const compiled = new WeakMap<object, SchemaNode>();

export function compileSchema(raw: unknown): SchemaNode {
  if (typeof raw !== 'object' || raw === null) return compile({});
  let node = compiled.get(raw);
  if (!node) {
    node = compile(raw as Record<string, unknown>);
    compiled.set(raw, node);
  }
  return node;
}

function num(value: unknown): number | undefined {
  return typeof value === 'number' ? value : undefined;
}

function list(value: unknown): SchemaNode[] {
  return Array.isArray(value) ? value.map((v) => compile(isRecord(v) ? v : {})) : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function compile(raw: Record<string, unknown>): SchemaNode {
  const type = typeof raw.type === 'string' ? raw.type : '';
  const intOrString = raw['x-kubernetes-int-or-string'] === true;
  const check = typeof raw.format === 'string' ? formatCheck(raw.format) : undefined;
  const node: SchemaNode = {
    type,
    types: intOrString ? ['integer', 'string'] : type ? [type] : [],
    nullable: raw.nullable === true,
    format: check ? (raw.format as string) : '',
    formatCheck: check,
    required: Array.isArray(raw.required) ? raw.required.filter((r): r is string => typeof r === 'string') : [],
    exclusiveMaximum: raw.exclusiveMaximum === true,
    exclusiveMinimum: raw.exclusiveMinimum === true,
    uniqueItems: raw.uniqueItems === true,
    allOf: list(raw.allOf),
    anyOf: list(raw.anyOf),
    oneOf: list(raw.oneOf),
    preserveUnknownFields: raw['x-kubernetes-preserve-unknown-fields'] === true,
    embeddedResource: raw['x-kubernetes-embedded-resource'] === true,
    intOrString,
    listMapKeys: Array.isArray(raw['x-kubernetes-list-map-keys'])
      ? (raw['x-kubernetes-list-map-keys'] as unknown[]).filter((k): k is string => typeof k === 'string')
      : [],
  };
  if (isRecord(raw.properties)) {
    node.properties = new Map(Object.entries(raw.properties).map(([k, v]) => [k, compile(isRecord(v) ? v : {})]));
  }
  if (isRecord(raw.additionalProperties)) node.additionalProperties = compile(raw.additionalProperties);
  else if (typeof raw.additionalProperties === 'boolean') node.additionalProperties = raw.additionalProperties;
  if (isRecord(raw.items)) node.items = compile(raw.items);
  if (Array.isArray(raw.enum)) node.enum = raw.enum as Json[];
  if (typeof raw.pattern === 'string' && raw.pattern !== '')
    node.pattern = { source: raw.pattern, compiled: compileGoPattern(raw.pattern) };
  node.maxLength = num(raw.maxLength);
  node.minLength = num(raw.minLength);
  node.maximum = num(raw.maximum);
  node.minimum = num(raw.minimum);
  node.multipleOf = num(raw.multipleOf);
  node.maxItems = num(raw.maxItems);
  node.minItems = num(raw.minItems);
  node.maxProperties = num(raw.maxProperties);
  node.minProperties = num(raw.minProperties);
  if (isRecord(raw.not)) node.not = compile(raw.not);
  if ('default' in raw && raw.default !== null && raw.default !== undefined) node.default = { value: raw.default as Json };
  if (typeof raw['x-kubernetes-list-type'] === 'string') node.listType = raw['x-kubernetes-list-type'];
  return node;
}

/** The schema a key of an object follows: its property, else additionalProperties (a schema or none). */
export function fieldSchema(node: SchemaNode | undefined, key: string): SchemaNode | undefined {
  if (!node) return undefined;
  const prop = node.properties?.get(key);
  if (prop) return prop;
  return typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export interface SchemaFeatures {
  /** Some node is x-kubernetes-embedded-resource (their metadata is coerced and validated). */
  embeddedResources: boolean;
  /** Some node is x-kubernetes-list-type set or map (uniqueness is checked). */
  uniqueLists: boolean;
}

const features = new WeakMap<SchemaNode, SchemaFeatures>();

/** What a schema uses, computed once, so that writes skip the walks a schema does not need. */
export function schemaFeatures(root: SchemaNode): SchemaFeatures {
  let found = features.get(root);
  if (!found) {
    found = { embeddedResources: false, uniqueLists: false };
    const visit = (s: SchemaNode) => {
      if (s.embeddedResource) found!.embeddedResources = true;
      if (s.listType === 'set' || s.listType === 'map') found!.uniqueLists = true;
      if (s.items) visit(s.items);
      if (typeof s.additionalProperties === 'object') visit(s.additionalProperties);
      for (const p of s.properties?.values() ?? []) visit(p);
    };
    visit(root);
    features.set(root, found);
  }
  return found;
}
