// The OpenAPI v3 document of a custom resource group-version, shaped like kube-apiserver's
// (apiextensions-apiserver pkg/controller/openapi/builder/builder.go through kube-openapi builder3):
// per resource the collection, object and /status paths with their operations, each marked with
// x-kubernetes-action and x-kubernetes-group-version-kind; each PATCH lists `fieldValidation`, which
// is how kubectl decides to leave field validation to the server. components.schemas holds the kind
// (its structural schema plus apiVersion, kind and an ObjectMeta reference), the list kind and the
// apimachinery types they refer to.
import type { ResourceType } from '../resource-types.js';
import {
  LIST_META_DESCRIPTION,
  META,
  META_SCHEMAS,
  OBJECT_META_DESCRIPTION,
  TYPE_META_PROPERTIES,
  ref,
  refWithDescription,
} from './meta-schemas.js';

type Schema = Record<string, unknown>;

/** friendlyName in apiserver/pkg/endpoints/openapi: the group's domain reversed, then version and kind. */
export function definitionName(group: string, version: string, kind: string): string {
  return `${group.split('.').reverse().join('.')}.${version}.${kind}`;
}

/** The keys of a structural schema that Structural.ToKubeOpenAPI carries over. */
const SCHEMA_KEYS = new Set([
  'description',
  'type',
  'format',
  'title',
  'default',
  'nullable',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'maxLength',
  'minLength',
  'pattern',
  'maxItems',
  'minItems',
  'uniqueItems',
  'multipleOf',
  'enum',
  'maxProperties',
  'minProperties',
  'required',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-int-or-string',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-list-type',
  'x-kubernetes-map-type',
  'x-kubernetes-validations',
]);

function isRecord(value: unknown): value is Schema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A copy of the CRD schema as published: known keywords only, int-or-string unfolded, embedded resources completed. */
function published(s: Schema): Schema {
  const out: Schema = {};
  for (const [k, v] of Object.entries(s)) if (SCHEMA_KEYS.has(k) && v !== undefined) out[k] = v;
  if (isRecord(s.properties))
    out.properties = Object.fromEntries(Object.entries(s.properties).map(([k, v]) => [k, published(isRecord(v) ? v : {})]));
  if (isRecord(s.items)) out.items = published(s.items);
  if (isRecord(s.additionalProperties)) out.additionalProperties = published(s.additionalProperties);
  else if (typeof s.additionalProperties === 'boolean') out.additionalProperties = s.additionalProperties;
  for (const key of ['allOf', 'anyOf', 'oneOf'])
    if (Array.isArray(s[key])) out[key] = (s[key] as unknown[]).map((b) => published(isRecord(b) ? b : {}));
  if (isRecord(s.not)) out.not = published(s.not);
  if (s['x-kubernetes-int-or-string'] === true && out.anyOf === undefined) out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  if (s['x-kubernetes-embedded-resource'] === true) {
    const properties = (out.properties ?? {}) as Schema;
    out.properties = {
      ...properties,
      apiVersion: {
        type: 'string',
        description:
          'apiVersion defines the versioned schema of this representation of an object. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources',
      },
      kind: {
        type: 'string',
        description:
          'kind is a string value representing the type of this object. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds',
      },
      metadata: refWithDescription(`${META}.ObjectMeta`, OBJECT_META_DESCRIPTION),
    };
    const required = Array.isArray(out.required) ? [...(out.required as string[])] : [];
    for (const r of ['kind', 'apiVersion']) if (!required.includes(r)) required.push(r);
    out.required = required;
  }
  return out;
}

function kindSchema(type: ResourceType, version: string): Schema {
  const raw = type.schemas?.[version];
  const gvk = [{ group: type.group, kind: type.kind, version }];
  if (!isRecord(raw)) return { type: 'object', 'x-kubernetes-group-version-kind': gvk };
  const schema = published(raw);
  schema.properties = {
    ...((schema.properties ?? {}) as Schema),
    ...TYPE_META_PROPERTIES,
    metadata: refWithDescription(`${META}.ObjectMeta`, OBJECT_META_DESCRIPTION),
  };
  schema['x-kubernetes-group-version-kind'] = gvk;
  return schema;
}

function listSchema(type: ResourceType, version: string): Schema {
  return {
    description: `${type.listKind} is a list of ${type.kind}`,
    type: 'object',
    required: ['items'],
    properties: {
      ...TYPE_META_PROPERTIES,
      items: {
        type: 'array',
        items: ref(definitionName(type.group, version, type.kind)),
        description: `List of ${type.plural}. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md`,
      },
      metadata: refWithDescription(`${META}.ListMeta`, LIST_META_DESCRIPTION),
    },
    'x-kubernetes-group-version-kind': [{ group: type.group, kind: type.listKind, version }],
  };
}

// ---- paths -------------------------------------------------------------------------------------

const param = (name: string, description: string, type = 'string'): Schema => ({
  name,
  in: 'query',
  description,
  schema: { type, uniqueItems: true },
});
const PRETTY = param(
  'pretty',
  "If 'true', then the output is pretty printed. Defaults to 'false' unless the user-agent indicates a browser or command-line HTTP tool (curl and wget).",
);
const DRY_RUN = param(
  'dryRun',
  'When present, indicates that modifications should not be persisted. An invalid or unrecognized dryRun directive will result in an error response and no further processing of the request. Valid values are: - All: all dry run stages will be processed',
);
const FIELD_MANAGER = param(
  'fieldManager',
  'fieldManager is a name associated with the actor or entity that is making these changes. The value must be less than or 128 characters long, and only contain printable characters, as defined by https://golang.org/pkg/unicode/#IsPrint.',
);
const FIELD_VALIDATION = param(
  'fieldValidation',
  'fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) containing unknown or duplicate fields. Valid values are: - Ignore: This will ignore any unknown fields that are silently dropped from the object, and will ignore all but the last duplicate field that the decoder encounters. - Warn: This will send a warning via the standard warning response header for each unknown field that is dropped from the object, and for each duplicate field that is encountered. The request will still succeed if there are no other errors, and will only persist the last of any duplicate fields. This is the default in v1.23+ - Strict: This will fail the request with a BadRequest error if any unknown fields would be dropped from the object, or if any duplicate fields are present. The error returned from the server will contain all unknown and duplicate fields encountered.',
);
const FORCE = param(
  'force',
  'Force is going to "force" Apply requests. It means user will re-acquire conflicting fields owned by other people. Force flag must be unset for non-apply patch requests.',
  'boolean',
);
const RESOURCE_VERSION = param(
  'resourceVersion',
  'resourceVersion sets a constraint on what resource versions a request may be served from. See https://kubernetes.io/docs/reference/using-api/api-concepts/#resource-versions for details.',
);
const LIST_PARAMS = [
  param(
    'allowWatchBookmarks',
    'allowWatchBookmarks requests watch events with type "BOOKMARK". Servers that do not implement bookmarks may ignore this flag and bookmarks are sent at the server\'s discretion.',
    'boolean',
  ),
  param('continue', 'The continue option should be set when retrieving more results from the server.'),
  param('fieldSelector', 'A selector to restrict the list of returned objects by their fields. Defaults to everything.'),
  param('labelSelector', 'A selector to restrict the list of returned objects by their labels. Defaults to everything.'),
  param('limit', 'limit is a maximum number of responses to return for a list call.', 'integer'),
  RESOURCE_VERSION,
  param('resourceVersionMatch', 'resourceVersionMatch determines how resourceVersion is applied to list calls.'),
  param(
    'sendInitialEvents',
    '`sendInitialEvents=true` may be set together with `watch=true`. In that case, the watch stream will begin with synthetic events to produce the current state of objects in the collection.',
    'boolean',
  ),
  param(
    'timeoutSeconds',
    'Timeout for the list/watch call. This limits the duration of the call, regardless of any activity or inactivity.',
    'integer',
  ),
  param(
    'watch',
    'Watch for changes to the described resources and return them as a stream of add, update, and remove notifications. Specify resourceVersion.',
    'boolean',
  ),
];
const DELETE_PARAMS = [
  DRY_RUN,
  param(
    'gracePeriodSeconds',
    'The duration in seconds before the object should be deleted. Value must be non-negative integer.',
    'integer',
  ),
  param('orphanDependents', 'Deprecated: please use the PropagationPolicy, this field will be deprecated in 1.7.', 'boolean'),
  param(
    'propagationPolicy',
    "Whether and how garbage collection will be performed. Either this field or OrphanDependents may be set, but not both. Acceptable values are: 'Orphan' - orphan the dependents; 'Background' - allow the garbage collector to delete the dependents in the background; 'Foreground' - a cascading policy that deletes all dependents in the foreground.",
  ),
];

const content = (schema: Schema, types = ['application/json', 'application/yaml']): Schema =>
  Object.fromEntries(types.map((t) => [t, { schema }]));
const UNAUTHORIZED = { description: 'Unauthorized' };

interface OperationSpec {
  verb: string; // operation id verb: list, create, deletecollection, read, replace, delete, patch
  action: string; // x-kubernetes-action
  sub: string; // '' or 'Status'
  response: Schema; // schema of the 200 answer
  extraResponses?: Record<string, string>;
  params: Schema[];
  body?: Schema;
  description: string;
}

/** ToValidOperationID: camelCase the dotted, dashed group (and capitalise after the first word). */
function operationIdPart(s: string, capitalizeFirst: boolean): string {
  let out = '';
  let upper = capitalizeFirst;
  for (const ch of s) {
    if (/[A-Za-z0-9]/.test(ch)) {
      out += upper ? ch.toUpperCase() : ch;
      upper = false;
    } else upper = true;
  }
  return out;
}

function operation(type: ResourceType, version: string, op: OperationSpec, scope: string): Schema {
  const groupPart = operationIdPart(type.group.replace(/\.k8s\.io$/, ''), true) + operationIdPart(version, true);
  const result: Schema = {
    tags: [`${operationIdPart(type.group.replace(/\.k8s\.io$/, ''), false)}_${operationIdPart(version, false)}`],
    description: op.description,
    operationId: `${op.verb}${groupPart}${scope}${type.kind}${op.sub}`,
    parameters: op.params,
  };
  if (op.body) result.requestBody = op.body;
  const responses: Schema = { 200: { description: 'OK', content: content(op.response) } };
  for (const [code, description] of Object.entries(op.extraResponses ?? {}))
    responses[code] = { description, content: content(op.response) };
  responses[401] = UNAUTHORIZED;
  result.responses = responses;
  result['x-kubernetes-action'] = op.action;
  result['x-kubernetes-group-version-kind'] = { group: type.group, version, kind: type.kind };
  return result;
}

function article(kind: string): string {
  return /^[aeiou]/i.test(kind) ? ' an ' : ' a ';
}

function paths(type: ResourceType, version: string): Record<string, Schema> {
  const kindRef = ref(definitionName(type.group, version, type.kind));
  const listRef = ref(definitionName(type.group, version, type.listKind));
  const statusRef = ref(`${META}.Status`);
  const patchBody = {
    content: content(ref(`${META}.Patch`), ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']),
    required: true,
  };
  const objectBody = { content: content(kindRef), required: true };
  const scope = type.namespaced ? 'Namespaced' : '';
  const base = type.namespaced
    ? `/apis/${type.group}/${version}/namespaces/{namespace}/${type.plural}`
    : `/apis/${type.group}/${version}/${type.plural}`;
  const nsParam = {
    name: 'namespace',
    in: 'path',
    description: 'object name and auth scope, such as for teams and projects',
    required: true,
    schema: { type: 'string', uniqueItems: true },
  };
  const nameParam = {
    name: 'name',
    in: 'path',
    description: `name of the ${type.kind}`,
    required: true,
    schema: { type: 'string', uniqueItems: true },
  };
  const scoped = type.namespaced ? [nsParam] : [];
  const out: Record<string, Schema> = {};
  if (type.namespaced) {
    out[`/apis/${type.group}/${version}/${type.plural}`] = {
      get: operation(
        type,
        version,
        {
          verb: 'list',
          action: 'list',
          sub: 'ForAllNamespaces',
          response: listRef,
          params: LIST_PARAMS,
          description: `list objects of kind ${type.kind}`,
        },
        '',
      ),
      parameters: [PRETTY],
    };
  }
  out[base] = {
    get: operation(
      type,
      version,
      { verb: 'list', action: 'list', sub: '', response: listRef, params: LIST_PARAMS, description: `list objects of kind ${type.kind}` },
      scope,
    ),
    post: operation(
      type,
      version,
      {
        verb: 'create',
        action: 'post',
        sub: '',
        response: kindRef,
        params: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
        body: objectBody,
        extraResponses: { 201: 'Created', 202: 'Accepted' },
        description: `create${article(type.kind)}${type.kind}`,
      },
      scope,
    ),
    delete: operation(
      type,
      version,
      {
        verb: 'deletecollection',
        action: 'deletecollection',
        sub: '',
        response: statusRef,
        params: [...LIST_PARAMS, ...DELETE_PARAMS],
        description: `delete collection of ${type.kind}`,
      },
      scope,
    ),
    parameters: [...scoped, PRETTY],
  };
  out[`${base}/{name}`] = {
    get: operation(
      type,
      version,
      {
        verb: 'read',
        action: 'get',
        sub: '',
        response: kindRef,
        params: [RESOURCE_VERSION],
        description: `read the specified ${type.kind}`,
      },
      scope,
    ),
    put: operation(
      type,
      version,
      {
        verb: 'replace',
        action: 'put',
        sub: '',
        response: kindRef,
        params: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
        body: objectBody,
        extraResponses: { 201: 'Created' },
        description: `replace the specified ${type.kind}`,
      },
      scope,
    ),
    delete: operation(
      type,
      version,
      {
        verb: 'delete',
        action: 'delete',
        sub: '',
        response: statusRef,
        params: DELETE_PARAMS,
        extraResponses: { 202: 'Accepted' },
        body: { content: content(ref(`${META}.DeleteOptions`)) },
        description: `delete${article(type.kind)}${type.kind}`,
      },
      scope,
    ),
    patch: operation(
      type,
      version,
      {
        verb: 'patch',
        action: 'patch',
        sub: '',
        response: kindRef,
        params: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE],
        body: patchBody,
        description: `partially update the specified ${type.kind}`,
      },
      scope,
    ),
    parameters: [nameParam, ...scoped, PRETTY],
  };
  if (type.statusSubresource) {
    out[`${base}/{name}/status`] = {
      get: operation(
        type,
        version,
        {
          verb: 'read',
          action: 'get',
          sub: 'Status',
          response: kindRef,
          params: [RESOURCE_VERSION],
          description: `read status of the specified ${type.kind}`,
        },
        scope,
      ),
      put: operation(
        type,
        version,
        {
          verb: 'replace',
          action: 'put',
          sub: 'Status',
          response: kindRef,
          params: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION],
          body: objectBody,
          extraResponses: { 201: 'Created' },
          description: `replace status of the specified ${type.kind}`,
        },
        scope,
      ),
      patch: operation(
        type,
        version,
        {
          verb: 'patch',
          action: 'patch',
          sub: 'Status',
          response: kindRef,
          params: [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION, FORCE],
          body: patchBody,
          description: `partially update status of the specified ${type.kind}`,
        },
        scope,
      ),
      parameters: [nameParam, ...scoped, PRETTY],
    };
  }
  return out;
}

/** The document of one group-version: every served custom resource in it. */
export function groupVersionDocument(types: ResourceType[], group: string, version: string): Schema {
  const served = types
    .filter((t) => t.custom && t.group === group && t.versions.includes(version))
    .sort((a, b) => a.plural.localeCompare(b.plural));
  const schemas: Schema = { ...META_SCHEMAS };
  let allPaths: Record<string, Schema> = {};
  for (const type of served) {
    allPaths = { ...allPaths, ...paths(type, version) };
    schemas[definitionName(group, version, type.kind)] = kindSchema(type, version);
    schemas[definitionName(group, version, type.listKind)] = listSchema(type, version);
  }
  const sortedSchemas = Object.fromEntries(
    Object.keys(schemas)
      .sort()
      .map((k) => [k, schemas[k]]),
  );
  return {
    openapi: '3.0.0',
    info: { title: 'Kubernetes CRD Swagger', version: 'v0.1.0' },
    paths: allPaths,
    components: { schemas: sortedSchemas },
  };
}

/** `apis/<group>/<version>` of every group-version that serves a custom resource. */
export function customGroupVersions(types: ResourceType[]): { group: string; version: string; key: string }[] {
  const seen = new Map<string, { group: string; version: string; key: string }>();
  for (const t of types) {
    if (!t.custom) continue;
    for (const version of t.versions) {
      const key = `apis/${t.group}/${version}`;
      if (!seen.has(key)) seen.set(key, { group: t.group, version, key });
    }
  }
  return [...seen.values()].sort((a, b) => a.key.localeCompare(b.key));
}
