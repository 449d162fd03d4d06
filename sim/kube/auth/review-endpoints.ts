// The create-only, never-stored endpoints of authentication and authorization:
//   POST /apis/authorization.k8s.io/v1/selfsubjectaccessreviews               (kubectl auth can-i)
//   POST /apis/authorization.k8s.io/v1/subjectaccessreviews
//   POST /apis/authorization.k8s.io/v1/namespaces/NS/localsubjectaccessreviews
//   POST /apis/authorization.k8s.io/v1/selfsubjectrulesreviews                (kubectl auth can-i --list)
//   POST /apis/authentication.k8s.io/v1/selfsubjectreviews                    (kubectl auth whoami)
//   POST /api/v1/namespaces/NS/serviceaccounts/NAME/token                     (kubectl create token)
// after kubernetes pkg/registry/authorization/*/rest.go, pkg/apis/authorization/validation,
// pkg/registry/authentication/selfsubjectreview and pkg/registry/core/serviceaccount/storage/token.go.
import { errorBody, fieldError, type FieldError } from '../field-errors.js';
import { KubeStatusError, badRequest, invalid, invalidFields, notFound, type StatusCause } from '../status-error.js';
import { aggregate } from '../go-format.js';
import type { PolicyRule } from './rbac-rules.js';
import type { RequestAttributes, RequestInfo } from './request-attributes.js';
import type { MintedToken } from './service-account-tokens.js';
import type { UserInfo } from './user.js';

export type ReviewKind =
  | 'SelfSubjectAccessReview'
  | 'SubjectAccessReview'
  | 'LocalSubjectAccessReview'
  | 'SelfSubjectRulesReview'
  | 'SelfSubjectReview'
  | 'TokenRequest';

interface Endpoint {
  kind: ReviewKind;
  group: string;
  resource: string;
  subresource: string;
  namespaced: boolean;
}

const AUTHZ = 'authorization.k8s.io';
const AUTHN = 'authentication.k8s.io';

const ENDPOINTS: Endpoint[] = [
  { kind: 'SelfSubjectAccessReview', group: AUTHZ, resource: 'selfsubjectaccessreviews', subresource: '', namespaced: false },
  { kind: 'SubjectAccessReview', group: AUTHZ, resource: 'subjectaccessreviews', subresource: '', namespaced: false },
  { kind: 'LocalSubjectAccessReview', group: AUTHZ, resource: 'localsubjectaccessreviews', subresource: '', namespaced: true },
  { kind: 'SelfSubjectRulesReview', group: AUTHZ, resource: 'selfsubjectrulesreviews', subresource: '', namespaced: false },
  { kind: 'SelfSubjectReview', group: AUTHN, resource: 'selfsubjectreviews', subresource: '', namespaced: false },
  { kind: 'TokenRequest', group: '', resource: 'serviceaccounts', subresource: 'token', namespaced: true },
];

/** The API groups the review endpoints add to discovery (both served at v1 only). */
export const REVIEW_GROUPS = [AUTHN, AUTHZ];

/** The discovery entries (APIResource) of the review endpoints served at group/version. */
export function reviewResources(group: string, version: string): Record<string, unknown>[] {
  if (version !== 'v1') return [];
  return ENDPOINTS.filter((e) => e.group === group).map((e) => {
    const entry: Record<string, unknown> = {
      name: e.subresource ? `${e.resource}/${e.subresource}` : e.resource,
      singularName: '',
      namespaced: e.namespaced,
    };
    if (e.kind === 'TokenRequest') Object.assign(entry, { group: AUTHN, version: 'v1' });
    return { ...entry, kind: e.kind, verbs: ['create'] };
  });
}

/** The endpoint a request is for; undefined for everything else (including other versions, which are not served). */
export function reviewEndpoint(info: RequestInfo): ReviewKind | undefined {
  if (!info.resourceRequest || info.apiVersion !== 'v1') return undefined;
  const endpoint = ENDPOINTS.find((e) => e.group === info.apiGroup && e.resource === info.resource && e.subresource === info.subresource);
  return endpoint?.kind;
}

export interface ReviewContext {
  info: RequestInfo;
  /** The requesting user (after impersonation). */
  user: UserInfo;
  /** Decodes the request body (only once the method and path are known to be served). */
  body(): unknown;
  authorize(a: RequestAttributes): { allowed: boolean; reason: string };
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] };
  /** The stored object, or undefined. */
  get(resource: 'serviceaccounts' | 'secrets', namespace: string, name: string): Record<string, any> | undefined;
  mintToken(
    serviceAccount: Record<string, any>,
    expirationSeconds: number,
    audiences: string[],
    boundSecret?: Record<string, any>,
  ): MintedToken;
  defaultAudiences: string[];
}

const NOT_ALLOWED = () =>
  new KubeStatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
const NOT_FOUND = () => new KubeStatusError(404, 'NotFound', 'the server could not find the requested resource', {});

/** Serves one review or token request; throws KubeStatusError for what the API server refuses. */
export function serveReview(kind: ReviewKind, ctx: ReviewContext): { status: number; payload: unknown } {
  const endpoint = ENDPOINTS.find((e) => e.kind === kind)!;
  const { info } = ctx;
  // Only POST on the collection (or, for tokens, on the named ServiceAccount) is routed.
  if (endpoint.namespaced !== (info.namespace !== '')) throw NOT_FOUND();
  if (kind === 'TokenRequest' ? info.name === '' : info.name !== '') throw NOT_FOUND();
  if (info.verb !== 'create') throw NOT_ALLOWED();
  const body = decode(ctx.body(), endpoint);
  switch (kind) {
    case 'SelfSubjectAccessReview':
      return accessReview(kind, body, ctx, ctx.user);
    case 'SubjectAccessReview':
      return accessReview(kind, body, ctx, subjectOf(body.spec));
    case 'LocalSubjectAccessReview':
      return accessReview(kind, body, ctx, subjectOf(body.spec));
    case 'SelfSubjectRulesReview':
      return rulesReview(body, ctx);
    case 'SelfSubjectReview':
      return selfSubjectReview(ctx);
    case 'TokenRequest':
      return tokenRequest(body, ctx);
  }
}

function decode(raw: unknown, endpoint: Endpoint): Record<string, any> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw badRequest(`the body of the request is not a ${endpoint.kind} object`);
  const obj = raw as Record<string, any>;
  const apiVersion = `${endpoint.kind === 'TokenRequest' ? AUTHN : endpoint.group}/v1`;
  if (obj.kind !== undefined && obj.kind !== endpoint.kind) {
    throw badRequest(`the kind in the body (${obj.kind}) does not match the kind of the resource (${endpoint.kind})`);
  }
  if (obj.apiVersion !== undefined && obj.apiVersion !== apiVersion) {
    throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${apiVersion})`);
  }
  return obj;
}

function typeMeta(kind: ReviewKind): { kind: ReviewKind; apiVersion: string } {
  return { kind, apiVersion: `${kind === 'TokenRequest' || kind === 'SelfSubjectReview' ? AUTHN : AUTHZ}/v1` };
}

const ATTRIBUTE_FIELDS = ['namespace', 'verb', 'group', 'version', 'resource', 'subresource', 'name'] as const;

/** The spec as the API server echoes it: known fields, empty ones dropped. */
function echoSpec(spec: Record<string, any>, kind: ReviewKind): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const ra = spec.resourceAttributes;
  if (isObject(ra)) {
    const attrs: Record<string, unknown> = {};
    for (const f of ATTRIBUTE_FIELDS) if (typeof ra[f] === 'string' && ra[f] !== '') attrs[f] = ra[f];
    for (const f of ['fieldSelector', 'labelSelector']) if (isObject(ra[f])) attrs[f] = ra[f];
    out.resourceAttributes = attrs;
  }
  const nra = spec.nonResourceAttributes;
  if (isObject(nra)) {
    const attrs: Record<string, unknown> = {};
    for (const f of ['path', 'verb']) if (typeof nra[f] === 'string' && nra[f] !== '') attrs[f] = nra[f];
    out.nonResourceAttributes = attrs;
  }
  if (kind !== 'SelfSubjectAccessReview') {
    if (typeof spec.user === 'string' && spec.user !== '') out.user = spec.user;
    if (Array.isArray(spec.groups) && spec.groups.length > 0) out.groups = spec.groups;
    if (isObject(spec.extra) && Object.keys(spec.extra).length > 0) out.extra = spec.extra;
    if (typeof spec.uid === 'string' && spec.uid !== '') out.uid = spec.uid;
  }
  return out;
}

function subjectOf(spec: unknown): UserInfo {
  const s = isObject(spec) ? spec : {};
  const user: UserInfo = {
    name: typeof s.user === 'string' ? s.user : '',
    groups: Array.isArray(s.groups) ? s.groups.filter((g: unknown): g is string => typeof g === 'string') : [],
  };
  if (typeof s.uid === 'string' && s.uid) user.uid = s.uid;
  if (isObject(s.extra)) user.extra = s.extra as Record<string, string[]>;
  return user;
}

function accessReview(
  kind: ReviewKind,
  body: Record<string, any>,
  ctx: ReviewContext,
  subject: UserInfo,
): { status: number; payload: unknown } {
  const spec: Record<string, any> = isObject(body.spec) ? body.spec : {};
  const metadata: Record<string, any> = isObject(body.metadata) ? body.metadata : {};
  const errors: StatusCause[] = [];
  const add = (e: FieldError) => errors.push({ reason: e.type, message: errorBody(e), field: e.field });
  const ra = isObject(spec.resourceAttributes) ? spec.resourceAttributes : undefined;
  const nra = isObject(spec.nonResourceAttributes) ? spec.nonResourceAttributes : undefined;
  if (ra && nra)
    errors.push(
      goStructInvalid(
        'spec.nonResourceAttributes',
        goNonResourceAttributes(nra),
        'cannot be specified in combination with resourceAttributes',
      ),
    );
  if (!ra && !nra)
    add(
      fieldError.invalid('spec.resourceAttributes', null, 'exactly one of nonResourceAttributes or resourceAttributes must be specified'),
    );
  if (kind !== 'SelfSubjectAccessReview' && subject.name === '' && subject.groups.length === 0) {
    add(fieldError.invalid('spec.user', '', 'at least one of user or group must be specified'));
  }
  const namespace = typeof metadata.namespace === 'string' ? metadata.namespace : '';
  if (kind === 'LocalSubjectAccessReview') {
    if (!metadataEmpty(metadata, true))
      errors.push(goStructInvalid('metadata', goObjectMeta(metadata), 'must be empty except for namespace'));
    const raNamespace = ra && typeof ra.namespace === 'string' ? ra.namespace : '';
    if (ra && raNamespace !== namespace)
      add(fieldError.invalid('spec.resourceAttributes.namespace', raNamespace, 'must match metadata.namespace'));
    if (nra) errors.push(goStructInvalid('spec.nonResourceAttributes', goNonResourceAttributes(nra), 'disallowed on this kind of request'));
  } else if (!metadataEmpty(metadata, false)) {
    errors.push(goStructInvalid('metadata', goObjectMeta(metadata), 'must be empty'));
  }
  if (errors.length > 0) throw invalid(kind, '', AUTHZ, errors);
  if (kind === 'LocalSubjectAccessReview' && namespace !== ctx.info.namespace) {
    throw badRequest(`spec.resourceAttributes.namespace must match namespace: ${ctx.info.namespace}`);
  }

  const str = (o: Record<string, any>, f: string): string => (typeof o[f] === 'string' ? o[f] : '');
  const attributes: RequestAttributes = ra
    ? {
        user: subject,
        resourceRequest: true,
        path: '',
        verb: str(ra, 'verb'),
        namespace: str(ra, 'namespace'),
        apiGroup: str(ra, 'group'),
        apiVersion: str(ra, 'version') || '*',
        resource: str(ra, 'resource'),
        subresource: str(ra, 'subresource'),
        name: str(ra, 'name'),
      }
    : {
        user: subject,
        resourceRequest: false,
        path: str(nra!, 'path'),
        verb: str(nra!, 'verb'),
        namespace: '',
        apiGroup: '',
        apiVersion: '',
        resource: '',
        subresource: '',
        name: '',
      };
  const decision = ctx.authorize(attributes);
  const status: Record<string, unknown> = { allowed: decision.allowed };
  if (decision.reason) status.reason = decision.reason;
  const outMeta: Record<string, unknown> = { creationTimestamp: null };
  if (kind === 'LocalSubjectAccessReview') outMeta.namespace = namespace;
  return { status: 201, payload: { ...typeMeta(kind), metadata: outMeta, spec: echoSpec(spec, kind), status } };
}

function rulesReview(body: Record<string, any>, ctx: ReviewContext): { status: number; payload: unknown } {
  const namespace = isObject(body.spec) && typeof body.spec.namespace === 'string' ? body.spec.namespace : '';
  if (!namespace) throw badRequest('no namespace on request');
  const { rules, errors } = ctx.rulesFor(ctx.user, namespace);
  const resourceRules = rules
    .filter((r) => r.resources.length > 0)
    .map((r) => {
      const out: Record<string, unknown> = { verbs: r.verbs };
      if (r.apiGroups.length) out.apiGroups = r.apiGroups;
      out.resources = r.resources;
      if (r.resourceNames.length) out.resourceNames = r.resourceNames;
      return out;
    });
  const nonResourceRules = rules
    .filter((r) => r.nonResourceURLs.length > 0)
    .map((r) => ({ verbs: r.verbs, nonResourceURLs: r.nonResourceURLs }));
  const status: Record<string, unknown> = { resourceRules, nonResourceRules, incomplete: false };
  if (errors.length > 0) status.evaluationError = aggregate(errors);
  return { status: 201, payload: { ...typeMeta('SelfSubjectRulesReview'), metadata: { creationTimestamp: null }, spec: {}, status } };
}

function selfSubjectReview(ctx: ReviewContext): { status: number; payload: unknown } {
  const userInfo: Record<string, unknown> = { username: ctx.user.name };
  if (ctx.user.uid) userInfo.uid = ctx.user.uid;
  if (ctx.user.groups.length) userInfo.groups = ctx.user.groups;
  if (ctx.user.extra && Object.keys(ctx.user.extra).length) userInfo.extra = ctx.user.extra;
  return {
    status: 201,
    payload: { ...typeMeta('SelfSubjectReview'), metadata: { creationTimestamp: timestamp(new Date()) }, status: { userInfo } },
  };
}

const MIN_EXPIRATION = 600;
const MAX_EXPIRATION = 2 ** 32;

function tokenRequest(body: Record<string, any>, ctx: ReviewContext): { status: number; payload: unknown } {
  const { namespace, name } = ctx.info;
  const metadata: Record<string, any> = isObject(body.metadata) ? body.metadata : {};
  const spec: Record<string, any> = isObject(body.spec) ? body.spec : {};
  if (metadata.name && metadata.name !== name) {
    throw invalidFields('TokenRequest', name, AUTHN, [
      fieldError.invalid('metadata.name', metadata.name, 'must match the service account name if specified'),
    ]);
  }
  if (metadata.namespace && metadata.namespace !== namespace) {
    throw invalidFields('TokenRequest', name, AUTHN, [
      fieldError.invalid('metadata.namespace', metadata.namespace, 'must match the service account namespace if specified'),
    ]);
  }
  const serviceAccount = ctx.get('serviceaccounts', namespace, name);
  if (!serviceAccount) throw notFound('serviceaccounts', name, '', 'serviceaccounts');
  const audiences: string[] = Array.isArray(spec.audiences) && spec.audiences.length > 0 ? spec.audiences : ctx.defaultAudiences;
  const expirationSeconds = typeof spec.expirationSeconds === 'number' ? spec.expirationSeconds : 3600;
  const now = new Date();
  if (expirationSeconds < MIN_EXPIRATION) {
    throw invalidFields('TokenRequest', '', AUTHN, [
      fieldError.invalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration less than 10 minutes'),
    ]);
  }
  if (expirationSeconds > MAX_EXPIRATION) {
    throw invalidFields('TokenRequest', '', AUTHN, [
      fieldError.invalid('spec.expirationSeconds', expirationSeconds, 'may not specify a duration larger than 2^32 seconds'),
    ]);
  }
  let boundSecret: Record<string, any> | undefined;
  const ref = isObject(spec.boundObjectRef) ? spec.boundObjectRef : undefined;
  if (ref) {
    const refApiVersion = typeof ref.apiVersion === 'string' ? ref.apiVersion : '';
    const [group, version] = refApiVersion.includes('/') ? refApiVersion.split('/') : ['', refApiVersion];
    const refName = typeof ref.name === 'string' ? ref.name : '';
    if (group === '' && ref.kind === 'Secret') {
      boundSecret = ctx.get('secrets', namespace, refName);
      if (!boundSecret) throw notFound('secrets', refName, '', 'secrets');
    } else if (group === '' && (ref.kind === 'Pod' || ref.kind === 'Node')) {
      const plural = ref.kind === 'Pod' ? 'pods' : 'nodes';
      throw notFound(plural, refName, '', plural);
    } else {
      throw badRequest(`cannot bind token to object of type ${group}/${version}, Kind=${ref.kind ?? ''}`);
    }
    if (ref.uid && ref.uid !== boundSecret.metadata.uid) {
      throw new KubeStatusError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on Secret ${JSON.stringify(refName)}: the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
        { name: refName, kind: 'Secret' },
      );
    }
  }
  const minted = ctx.mintToken(serviceAccount, expirationSeconds, audiences, boundSecret);
  const outSpec: Record<string, unknown> = { audiences, expirationSeconds, boundObjectRef: ref ?? null };
  return {
    status: 201,
    payload: {
      ...typeMeta('TokenRequest'),
      metadata: { name, namespace, creationTimestamp: timestamp(now) },
      spec: outSpec,
      status: { token: minted.token, expirationTimestamp: timestamp(new Date(now.getTime() + expirationSeconds * 1000)) },
    },
  };
}

/** An ObjectMeta that is empty once managedFields (and for local reviews, the namespace) are ignored. */
function metadataEmpty(metadata: Record<string, any>, ignoreNamespace: boolean): boolean {
  return Object.entries(metadata).every(([key, value]) => {
    if (key === 'managedFields' || (ignoreNamespace && key === 'namespace')) return true;
    if (value === null || value === undefined || value === '' || value === 0) return true;
    if (typeof value === 'object') return Object.keys(value).length === 0;
    return false;
  });
}

/** field.Invalid of a struct value, which Go prints with %#v. */
function goStructInvalid(field: string, valueText: string, detail: string): StatusCause {
  return { reason: 'FieldValueInvalid', field, message: `Invalid value: ${valueText}: ${detail}` };
}

function goNonResourceAttributes(nra: Record<string, any>): string {
  return `authorization.NonResourceAttributes{Path:${JSON.stringify(String(nra.path ?? ''))}, Verb:${JSON.stringify(String(nra.verb ?? ''))}}`;
}

/** An abridged %#v of ObjectMeta: the string fields that are set (Go prints every field). */
function goObjectMeta(metadata: Record<string, any>): string {
  const fields = [
    ['name', 'Name'],
    ['generateName', 'GenerateName'],
    ['namespace', 'Namespace'],
    ['uid', 'UID'],
    ['resourceVersion', 'ResourceVersion'],
  ]
    .filter(([key]) => typeof metadata[key] === 'string' && metadata[key] !== '')
    .map(([key, goName]) => `${goName}:${JSON.stringify(metadata[key])}`);
  return `v1.ObjectMeta{${fields.join(', ')}}`;
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function timestamp(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
