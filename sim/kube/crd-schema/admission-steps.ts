// The admission steps of this folder, in the API server's order: decoding a custom resource prunes
// and defaults it (first, so that an unknown field under fieldValidation=Strict fails the request
// before anything validates it), validation against the schema comes last; CRDs get their schemas
// checked before they are served.
import type { AdmissionContext, AdmissionStep } from '../admission.js';
import type { KubeObject } from '../object-rules.js';
import type { ResourceType } from '../resource-types.js';
import { KubeStatusError, badRequest, invalid } from '../status-error.js';
import { validateCrdSchemas } from './crd-schema-rules.js';
import { applyDefaults } from './defaulting.js';
import { validateEmbeddedResources } from './embedded-resources.js';
import { goJson, goQuote } from '../go-format.js';
import { validateListSetsAndMaps } from './list-type.js';
import { decodeCustomResource } from './pruning.js';
import { schemaErrorBody, schemaFieldError, toFieldErrors, toStatusCauses, type SchemaFieldError } from './schema-errors.js';
import { compileSchema, isObject, schemaFeatures, type JsonObject, type SchemaNode } from './schema-node.js';
import { validateAgainstSchema } from './validator.js';

interface VersionSchema {
  version: string;
  root: SchemaNode;
}

/** The compiled schema of the version the object is written in (its apiVersion), if the CRD has one. */
function schemaOf(type: ResourceType, obj: KubeObject): VersionSchema | undefined {
  if (!type.custom || !type.schemas) return undefined;
  const apiVersion = typeof obj.apiVersion === 'string' ? obj.apiVersion : '';
  const named = apiVersion.slice(apiVersion.indexOf('/') + 1);
  const version = type.schemas[named] !== undefined ? named : type.versions.find((v) => type.schemas![v] !== undefined);
  if (version === undefined) return undefined;
  return { version, root: compileSchema(type.schemas[version]) };
}

/** Decoding: unknown fields reported (per fieldValidation) and pruned, non-nullable nulls dropped, defaults applied. */
export const decodeCustomResourceStep: AdmissionStep = (type, obj, _old, ctx) => {
  const schema = schemaOf(type, obj);
  if (!schema) return obj;
  const track = ctx.fieldValidation !== 'Ignore' || ctx.serverSideApply === true;
  const body = isObject(ctx.decoded) && ctx.decoded !== obj ? ctx.decoded : undefined;
  if (body) report(type, schema.version, body, decodeCustomResource(body, schema.root, track), ctx);
  const decoded = decodeCustomResource(obj as JsonObject, schema.root, track && !body);
  if (!body) report(type, schema.version, obj, decoded, ctx);
  let out = applyDefaults(decoded.value, schema.root) as JsonObject;
  // A create with a status subresource stores no status: the API server drops it after defaulting.
  if (ctx.operation === 'create' && type.statusSubresource && !('status' in obj) && 'status' in out) {
    const { status: _dropped, ...rest } = out;
    out = rest;
  }
  return out === (obj as JsonObject) ? obj : (out as KubeObject);
};

function report(
  type: ResourceType,
  version: string,
  body: JsonObject,
  decoded: { unknownFields: string[]; error?: string },
  ctx: AdmissionContext,
): void {
  if (ctx.serverSideApply && decoded.unknownFields.length > 0) throw typedPatchError(type, version, body, decoded.unknownFields);
  if (decoded.error) throw decodeError(type, version, body, decoded.error, ctx);
  if (decoded.unknownFields.length === 0) return;
  const texts = decoded.unknownFields.map((path) => `unknown field ${goQuote(path)}`);
  if (ctx.fieldValidation === 'Strict') throw decodeError(type, version, body, `strict decoding error: ${texts.join(', ')}`, ctx);
  if (ctx.fieldValidation === 'Warn') for (const text of texts) if (!ctx.warnings.includes(text)) ctx.warnings.push(text);
}

/**
 * A body that does not decode: 400 from create and update (handlers/rest.go transformDecodeError),
 * 422 on the `patch` field from a JSON or merge patch (handlers/patch.go applyPatchToCurrentObject).
 */
function decodeError(type: ResourceType, version: string, body: JsonObject, message: string, ctx: AdmissionContext): KubeStatusError {
  if (!ctx.patch) return badRequest(`${type.kind} in version ${goQuote(version)} cannot be handled as a ${type.kind}: ${message}`);
  const cause = schemaFieldError.invalid('patch', goJson(body), message);
  const text = schemaErrorBody(cause);
  return new KubeStatusError(422, 'Invalid', ` "" is invalid: patch: ${text}`, {
    causes: [{ reason: cause.type, message: text, field: 'patch' }],
  });
}

/**
 * Server-side apply converts the applied configuration to a typed value first (structured-merge-diff):
 * a field the schema does not declare fails that conversion, whatever fieldValidation says, with a
 * plain error the API server answers as a 500 without a reason (managedfields/internal/
 * structuredmerge.go). The walk stops at the first unknown field of each object.
 */
function typedPatchError(type: ResourceType, version: string, body: JsonObject, unknownFields: string[]): KubeStatusError {
  const parents = new Set<string>();
  const errors: string[] = [];
  for (const path of unknownFields) {
    const parent = path.slice(0, Math.max(0, path.lastIndexOf('.')));
    if (parents.has(parent)) continue;
    parents.add(parent);
    errors.push(`.${path}: field not declared in schema`);
  }
  const meta = isObject(body.metadata) ? body.metadata : {};
  const object = `${typeof meta.namespace === 'string' ? meta.namespace : ''}/${typeof meta.name === 'string' ? meta.name : ''}`;
  const detail = errors.length === 1 ? errors[0] : ['errors:', ...errors.map((e) => `  ${e}`)].join('\n');
  return new KubeStatusError(
    500,
    '',
    `failed to create typed patch object (${object}; ${type.group}/${version}, Kind=${type.kind}): ${detail}`,
  );
}

/**
 * Validation against the schema (customresource/strategy.go and validator.go): the whole object on
 * create; on update too, with unchanged values ratcheted; on /status only the status, against the
 * status schema and without ratcheting. Then embedded resources and list-type uniqueness (which on
 * update only applies when the old object had no such error).
 */
export const validateCustomResourceStep: AdmissionStep = (type, obj, old, ctx) => {
  const schema = schemaOf(type, obj);
  if (!schema) return obj;
  const { root } = schema;
  const value = obj as JsonObject;
  const errors: SchemaFieldError[] = [];
  const features = schemaFeatures(root);
  const listErrors = () => {
    if (!features.uniqueLists) return [];
    const next = validateListSetsAndMaps(null, root, value);
    if (next.length === 0 || !old) return next;
    return validateListSetsAndMaps(null, root, old as JsonObject).length === 0 ? next : [];
  };
  if (ctx.subresource === 'status') {
    const statusSchema = root.properties?.get('status');
    if (statusSchema && 'status' in value)
      errors.push(...toFieldErrors('status', validateAgainstSchema(value.status, statusSchema, '').errors));
    errors.push(...listErrors());
  } else {
    const previous = ctx.operation === 'update' && old ? { value: old as JsonObject } : undefined;
    errors.push(...toFieldErrors(null, validateAgainstSchema(value, root, '', previous).errors));
    if (features.embeddedResources) errors.push(...validateEmbeddedResources(value, root));
    errors.push(...listErrors());
  }
  if (errors.length > 0) throw invalid(type.kind, String(obj.metadata?.name ?? ''), type.group, toStatusCauses(errors));
  return obj;
};

/** A CRD's schemas: present, structural, supported, defaults valid (apiextensions validation.go). */
export const validateCrdSchemasStep: AdmissionStep = (type, obj, _old, ctx) => {
  if (type.group !== 'apiextensions.k8s.io' || type.plural !== 'customresourcedefinitions' || ctx.subresource === 'status') return obj;
  const errors = validateCrdSchemas(obj);
  if (errors.length > 0)
    throw invalid('CustomResourceDefinition', String(obj.metadata?.name ?? ''), 'apiextensions.k8s.io', toStatusCauses(errors));
  return obj;
};
