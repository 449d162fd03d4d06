// The RBAC authorizer over the Role, ClusterRole, RoleBinding and ClusterRoleBinding objects in the
// store: RBACAuthorizer.Authorize and DefaultRuleResolver.VisitRulesFor of kubernetes
// plugin/pkg/auth/authorizer/rbac/rbac.go and pkg/registry/rbac/validation/rule.go.
//
// Bindings are indexed by subject (user name, group, ServiceAccount username) and the index is
// rebuilt only after one of the four kinds changed (a store watch marks it stale), never per
// request; per user the applicable bindings are cached until the next change.
import type { KubeObject, KubeStore } from '../store.js';
import { aggregate, goQuote } from '../go-format.js';
import { policyRule, ruleAllows, type PolicyRule } from './rbac-rules.js';
import type { RequestAttributes } from './request-attributes.js';
import { serviceAccountUsername, type UserInfo } from './user.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';
const KINDS = ['roles', 'clusterroles', 'rolebindings', 'clusterrolebindings'] as const;

export interface Decision {
  allowed: boolean;
  /** `RBAC: allowed by ...` when allowed; `RBAC: <resolution errors>` or '' when not. */
  reason: string;
}

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

interface Binding {
  kind: 'ClusterRoleBinding' | 'RoleBinding';
  name: string;
  /** '' for a ClusterRoleBinding. */
  namespace: string;
  roleRef: { kind: string; name: string };
  subjects: Subject[];
  /** The referenced role's rules, or why they could not be resolved. */
  rules?: PolicyRule[];
  error?: string;
}

/** A binding that applies to a user, with the first of its subjects that does (appliesTo). */
interface Applicable {
  binding: Binding;
  subject: Subject;
}

interface Index {
  cluster: Binding[];
  clusterBySubject: Map<string, { order: number; subjectIndex: number }[]>;
  namespaced: Map<string, { bindings: Binding[]; bySubject: Map<string, { order: number; subjectIndex: number }[]> }>;
}

const MAX_CACHED_USERS = 1000;

export class RbacAuthorizer {
  private index: Index | undefined;
  private readonly perUser = new Map<string, { cluster: Applicable[]; namespaces: Map<string, Applicable[]> }>();
  private readonly stops: (() => void)[] = [];

  constructor(private readonly store: KubeStore) {
    for (const plural of KINDS) {
      const type = store.findType(RBAC_GROUP, 'v1', plural);
      if (!type) throw new Error(`the store does not serve ${plural}.${RBAC_GROUP}`);
      // Synchronous delivery: the index is stale from the moment the write commits.
      this.stops.push(
        store.watch(type, { labels: [], fields: [] }, undefined, { send: () => this.invalidate(), end: () => this.invalidate() }),
      );
    }
  }

  close(): void {
    for (const stop of this.stops.splice(0)) stop();
  }

  /** RBACAuthorizer.Authorize: allowed by the first rule that matches; resolution errors explain a denial. */
  authorize(a: RequestAttributes): Decision {
    const errors: string[] = [];
    for (const { binding, subject } of this.applicable(a.user, a.namespace)) {
      if (binding.error !== undefined) {
        errors.push(binding.error);
        continue;
      }
      for (const rule of binding.rules!) {
        if (ruleAllows(rule, a)) return { allowed: true, reason: `RBAC: allowed by ${describe(binding, subject)}` };
      }
    }
    return { allowed: false, reason: errors.length > 0 ? `RBAC: ${aggregate(errors)}` : '' };
  }

  /** DefaultRuleResolver.RulesFor: every rule that applies to the user in the namespace ('' for cluster-wide only), and resolution errors. */
  rulesFor(user: UserInfo, namespace: string): { rules: PolicyRule[]; errors: string[] } {
    const rules: PolicyRule[] = [];
    const errors: string[] = [];
    for (const { binding } of this.applicable(user, namespace)) {
      if (binding.error !== undefined) errors.push(binding.error);
      else rules.push(...binding.rules!);
    }
    return { rules, errors };
  }

  private invalidate(): void {
    this.index = undefined;
    this.perUser.clear();
  }

  /** Cluster role bindings first, then the namespace's role bindings, each in name order, as VisitRulesFor visits them. */
  private applicable(user: UserInfo, namespace: string): Applicable[] {
    const index = (this.index ??= this.build());
    const key = `${user.name}\u0000${user.groups.join('\u0000')}`;
    let cached = this.perUser.get(key);
    if (!cached) {
      if (this.perUser.size >= MAX_CACHED_USERS) this.perUser.clear();
      cached = { cluster: pick(index.cluster, index.clusterBySubject, user), namespaces: new Map() };
      this.perUser.set(key, cached);
    }
    if (!namespace) return cached.cluster;
    let local = cached.namespaces.get(namespace);
    if (!local) {
      const ns = index.namespaced.get(namespace);
      local = ns ? [...cached.cluster, ...pick(ns.bindings, ns.bySubject, user)] : cached.cluster;
      cached.namespaces.set(namespace, local);
    }
    return local;
  }

  private build(): Index {
    const all = (plural: string): KubeObject[] => {
      const type = this.store.findType(RBAC_GROUP, 'v1', plural)!;
      return this.store.list(type, { labels: [], fields: [] }).items;
    };
    const clusterRoles = new Map(all('clusterroles').map((r) => [r.metadata.name as string, rulesOf(r)]));
    const roles = new Map(all('roles').map((r) => [`${r.metadata.namespace}/${r.metadata.name}`, rulesOf(r)]));
    const resolve = (binding: Binding): Binding => {
      const { kind, name } = binding.roleRef;
      if (kind === 'ClusterRole') {
        const rules = clusterRoles.get(name);
        return rules ? { ...binding, rules } : { ...binding, error: `clusterrole.${RBAC_GROUP} ${goQuote(name)} not found` };
      }
      if (kind === 'Role') {
        const rules = binding.namespace ? roles.get(`${binding.namespace}/${name}`) : undefined;
        return rules ? { ...binding, rules } : { ...binding, error: `role.${RBAC_GROUP} ${goQuote(name)} not found` };
      }
      return { ...binding, error: `unsupported role reference kind: ${goQuote(kind)}` };
    };

    const cluster = all('clusterrolebindings')
      .map((b) => resolve(bindingOf(b, 'ClusterRoleBinding')))
      .sort(byName);
    const index: Index = { cluster, clusterBySubject: bySubject(cluster), namespaced: new Map() };
    const perNamespace = new Map<string, Binding[]>();
    for (const obj of all('rolebindings')) {
      const binding = resolve(bindingOf(obj, 'RoleBinding'));
      const list = perNamespace.get(binding.namespace) ?? [];
      list.push(binding);
      perNamespace.set(binding.namespace, list);
    }
    for (const [ns, bindings] of perNamespace) {
      bindings.sort(byName);
      index.namespaced.set(ns, { bindings, bySubject: bySubject(bindings) });
    }
    return index;
  }
}

function byName(a: Binding, b: Binding): number {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function rulesOf(role: KubeObject): PolicyRule[] {
  return Array.isArray(role.rules) ? role.rules.map(policyRule) : [];
}

function bindingOf(obj: KubeObject, kind: Binding['kind']): Binding {
  const ref = (obj.roleRef ?? {}) as Record<string, unknown>;
  const subjects = Array.isArray(obj.subjects) ? obj.subjects : [];
  return {
    kind,
    name: String(obj.metadata.name),
    namespace: kind === 'RoleBinding' ? String(obj.metadata.namespace) : '',
    roleRef: { kind: String(ref.kind ?? ''), name: String(ref.name ?? '') },
    subjects: subjects.map((s: Record<string, unknown>) => ({
      kind: String(s?.kind ?? ''),
      name: String(s?.name ?? ''),
      namespace: typeof s?.namespace === 'string' ? s.namespace : undefined,
    })),
  };
}

/**
 * The index key a subject matches (appliesToUser): a user name, a group, or for a ServiceAccount the
 * username it authenticates as (its namespace defaulting to the binding's); undefined when it can
 * match no one (unknown kind, ServiceAccount without a namespace in a ClusterRoleBinding).
 */
function subjectKey(subject: Subject, bindingNamespace: string): string | undefined {
  switch (subject.kind) {
    case 'User':
      return `u:${subject.name}`;
    case 'Group':
      return `g:${subject.name}`;
    case 'ServiceAccount': {
      const ns = subject.namespace || bindingNamespace;
      return ns ? `u:${serviceAccountUsername(ns, subject.name)}` : undefined;
    }
    default:
      return undefined;
  }
}

function bySubject(bindings: Binding[]): Map<string, { order: number; subjectIndex: number }[]> {
  const map = new Map<string, { order: number; subjectIndex: number }[]>();
  bindings.forEach((binding, order) => {
    binding.subjects.forEach((subject, subjectIndex) => {
      const key = subjectKey(subject, binding.namespace);
      if (key === undefined) return;
      const list = map.get(key) ?? [];
      list.push({ order, subjectIndex });
      map.set(key, list);
    });
  });
  return map;
}

function pick(bindings: Binding[], index: Map<string, { order: number; subjectIndex: number }[]>, user: UserInfo): Applicable[] {
  const first = new Map<number, number>();
  for (const key of [`u:${user.name}`, ...user.groups.map((g) => `g:${g}`)]) {
    for (const { order, subjectIndex } of index.get(key) ?? []) {
      const seen = first.get(order);
      if (seen === undefined || subjectIndex < seen) first.set(order, subjectIndex);
    }
  }
  return [...first.keys()]
    .sort((a, b) => a - b)
    .map((order) => ({ binding: bindings[order], subject: bindings[order].subjects[first.get(order)!] }));
}

/** clusterRoleBindingDescriber / roleBindingDescriber (note the RoleBinding's `name/namespace` order). */
function describe(binding: Binding, subject: Subject): string {
  const who =
    subject.kind === 'ServiceAccount'
      ? `${subject.kind} ${goQuote(`${subject.name}/${subject.namespace || binding.namespace}`)}`
      : `${subject.kind} ${goQuote(subject.name)}`;
  const name = binding.kind === 'RoleBinding' ? `${binding.name}/${binding.namespace}` : binding.name;
  return `${binding.kind} ${goQuote(name)} of ${binding.roleRef.kind} ${goQuote(binding.roleRef.name)} to ${who}`;
}
