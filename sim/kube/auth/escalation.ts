// RBAC's privilege-escalation prevention: what the rbac registry (kubernetes pkg/registry/rbac/*/policybased,
// pkg/registry/rbac/escalation_check.go, pkg/registry/rbac/validation/rule.go ConfirmNoEscalation and
// k8s.io/component-helpers/auth/rbac/validation Covers) checks on a create or update of a Role, ClusterRole,
// RoleBinding or ClusterRoleBinding by anyone outside system:masters:
//   - a role may only hold rules its author already holds, unless the author may `escalate` it;
//   - a binding may only bind a role whose rules its author holds, unless the author may `bind` it.
// The refusal is a 403: `roles.rbac.authorization.k8s.io "x" is forbidden: user "bob" (groups=["..."]) is
// attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}`.
import { KubeStatusError } from '../status-error.js';
import { goQuote } from '../go-format.js';
import { forbidden } from './forbidden.js';
import { policyRule, type PolicyRule } from './rbac-rules.js';
import type { RequestAttributes } from './request-attributes.js';
import { SYSTEM_MASTERS, type UserInfo } from './user.js';

const RBAC = 'rbac.authorization.k8s.io';
const ROLE_RESOURCES = new Set(['roles', 'clusterroles']);
const BINDING_RESOURCES = new Set(['rolebindings', 'clusterrolebindings']);

export interface EscalationContext {
  user: UserInfo;
  /** The write: verb create or update (a patch checks the object it would produce), resource, namespace, name. */
  request: Pick<RequestAttributes, 'verb' | 'apiGroup' | 'resource' | 'namespace' | 'name'>;
  /** The object as it would be stored. */
  object: Record<string, any>;
  /** The stored object an update replaces. */
  old?: Record<string, any>;
  authorize(a: RequestAttributes): { allowed: boolean };
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] };
  /** The rules of the role a binding refers to; a 404 KubeStatusError when it does not exist. */
  roleRules(kind: string, name: string, namespace: string): PolicyRule[];
}

export function isRbacWrite(group: string, resource: string, verb: string): boolean {
  return (
    group === RBAC && (ROLE_RESOURCES.has(resource) || BINDING_RESOURCES.has(resource)) && ['create', 'update', 'patch'].includes(verb)
  );
}

/** The 403 (or 404 for a binding to a missing role) the write gets, or undefined when it may go ahead. */
export function escalationError(ctx: EscalationContext): KubeStatusError | undefined {
  const { user, request, object, old } = ctx;
  if (user.groups.includes(SYSTEM_MASTERS)) return undefined; // EscalationAllowed
  if (old && onlyGarbageCollectionFields(object, old)) return undefined;
  const namespace = request.namespace;
  const asked = (verb: string, resource: string, name: string): boolean =>
    ctx.authorize({
      user,
      verb,
      resourceRequest: true,
      path: '',
      apiGroup: RBAC,
      apiVersion: '*',
      namespace,
      resource,
      subresource: '',
      name,
    }).allowed;
  let rules: PolicyRule[];
  if (ROLE_RESOURCES.has(request.resource)) {
    if (asked('escalate', request.resource, request.name)) return undefined; // RoleEscalationAuthorized
    rules = Array.isArray(object.rules) ? object.rules.map(policyRule) : [];
  } else {
    const ref = (object.roleRef ?? {}) as Record<string, unknown>;
    const kind = String(ref.kind ?? '');
    const refName = String(ref.name ?? '');
    const resource = kind === 'ClusterRole' ? 'clusterroles' : kind === 'Role' ? 'roles' : '';
    if (resource && asked('bind', resource, refName)) return undefined; // BindingAuthorized
    try {
      rules = ctx.roleRules(kind, refName, namespace);
    } catch (error) {
      if (error instanceof KubeStatusError) return error;
      throw error;
    }
  }
  const missing = uncovered(ctx.rulesFor(user, namespace), rules);
  if (!missing) return undefined;
  const name = typeof object.metadata?.name === 'string' ? object.metadata.name : '';
  const error = forbidden({
    verb: request.verb,
    resourceRequest: true,
    path: '',
    apiGroup: RBAC,
    resource: request.resource,
    subresource: '',
    namespace,
    name,
  });
  const who = `user ${goQuote(user.name)} (groups=${goStrings(user.groups)})`;
  const message = `${error.message.slice(0, error.message.indexOf(' is forbidden: ') + ' is forbidden: '.length)}${who} is attempting to grant RBAC permissions not currently held:\n${missing}`;
  return new KubeStatusError(403, 'Forbidden', message, error.details);
}

/** ConfirmNoEscalation's message body, or undefined when the owner's rules cover every requested one. */
function uncovered(owner: { rules: PolicyRule[]; errors: string[] }, requested: PolicyRule[]): string | undefined {
  const missing = requested.flatMap(breakdown).filter((sub) => !owner.rules.some((o) => ruleCovers(o, sub)));
  if (missing.length === 0) return undefined;
  const descriptions = [...new Set(compact(missing).map(compactString))].sort();
  let text = descriptions.join('\n');
  if (owner.errors.length > 0)
    text += `; resolution errors: [${owner.errors.length === 1 ? owner.errors[0] : `[${[...new Set(owner.errors)].join(', ')}]`}]`;
  return text;
}

/** BreakdownRule: one rule per group × resource × verb (× name), and per non-resource URL × verb. */
function breakdown(rule: PolicyRule): PolicyRule[] {
  const out: PolicyRule[] = [];
  const base = { apiGroups: [], resources: [], resourceNames: [], nonResourceURLs: [] };
  for (const group of rule.apiGroups) {
    for (const resource of rule.resources) {
      for (const verb of rule.verbs) {
        if (rule.resourceNames.length > 0) {
          for (const name of rule.resourceNames)
            out.push({ ...base, apiGroups: [group], resources: [resource], verbs: [verb], resourceNames: [name] });
        } else out.push({ ...base, apiGroups: [group], resources: [resource], verbs: [verb] });
      }
    }
  }
  for (const url of rule.nonResourceURLs) for (const verb of rule.verbs) out.push({ ...base, nonResourceURLs: [url], verbs: [verb] });
  return out;
}

function ruleCovers(owner: PolicyRule, sub: PolicyRule): boolean {
  const hasAll = (set: string[], items: string[]) => items.every((i) => set.includes(i));
  const verbs = owner.verbs.includes('*') || hasAll(owner.verbs, sub.verbs);
  const groups = owner.apiGroups.includes('*') || hasAll(owner.apiGroups, sub.apiGroups);
  const resources =
    owner.resources.includes('*') ||
    hasAll(owner.resources, sub.resources) ||
    sub.resources.every((r) => {
      if (owner.resources.includes(r)) return true;
      const slash = r.indexOf('/');
      return slash >= 0 && owner.resources.includes(`*/${r.slice(slash + 1)}`);
    });
  const urls = sub.nonResourceURLs.every((path) =>
    owner.nonResourceURLs.some((o) => o === path || (o.endsWith('*') && path.startsWith(o.replace(/\*+$/, '')))),
  );
  const names =
    sub.resourceNames.length === 0
      ? owner.resourceNames.length === 0
      : owner.resourceNames.length === 0 || hasAll(owner.resourceNames, sub.resourceNames);
  return verbs && groups && resources && urls && names;
}

/** CompactRules: the verbs of simple rules (one group, one resource, at most one name) on the same thing merged. */
function compact(rules: PolicyRule[]): PolicyRule[] {
  const out: PolicyRule[] = [];
  const simple = new Map<string, PolicyRule>();
  for (const rule of rules) {
    const isSimple =
      rule.resourceNames.length <= 1 && rule.nonResourceURLs.length === 0 && rule.apiGroups.length === 1 && rule.resources.length === 1;
    if (!isSimple) {
      out.push(rule);
      continue;
    }
    const key = JSON.stringify([rule.apiGroups[0], rule.resources[0], rule.resourceNames[0] ?? null]);
    const existing = simple.get(key);
    if (existing) existing.verbs = [...existing.verbs, ...rule.verbs];
    else simple.set(key, { ...rule, verbs: [...rule.verbs] });
  }
  return [...out, ...simple.values()];
}

/** rbacv1helpers.CompactString: `{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}`. */
function compactString(rule: PolicyRule): string {
  const parts: string[] = [];
  if (rule.apiGroups.length) parts.push(`APIGroups:${goStrings(rule.apiGroups)}`);
  if (rule.resources.length) parts.push(`Resources:${goStrings(rule.resources)}`);
  if (rule.nonResourceURLs.length) parts.push(`NonResourceURLs:${goStrings(rule.nonResourceURLs)}`);
  if (rule.resourceNames.length) parts.push(`ResourceNames:${goStrings(rule.resourceNames)}`);
  if (rule.verbs.length) parts.push(`Verbs:${goStrings(rule.verbs)}`);
  return `{${parts.join(', ')}}`;
}

/** A []string printed with %q: `["a" "b"]`. */
function goStrings(items: string[]): string {
  return `[${items.map(goQuote).join(' ')}]`;
}

/** rbacregistry.IsOnlyMutatingGCFields: nothing changes but owner references, finalizers and server-kept metadata. */
function onlyGarbageCollectionFields(object: Record<string, any>, old: Record<string, any>): boolean {
  const strip = (o: Record<string, any>) => {
    const {
      ownerReferences: _o,
      finalizers: _f,
      managedFields: _m,
      selfLink: _s,
      resourceVersion: _r,
      uid: _u,
      creationTimestamp: _c,
      generation: _g,
      ...meta
    } = o.metadata ?? {};
    const { metadata: _meta, apiVersion: _a, kind: _k, ...rest } = o;
    return { ...rest, metadata: meta };
  };
  return JSON.stringify(sortKeys(strip(object))) === JSON.stringify(sortKeys(strip(old)));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, v]) => v !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([k, v]) => [k, sortKeys(v)]),
    );
  }
  return value;
}
