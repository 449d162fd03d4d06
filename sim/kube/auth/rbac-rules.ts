// Whether one PolicyRule allows a request: RuleAllows of kubernetes plugin/pkg/auth/authorizer/rbac/rbac.go
// with the matchers of pkg/apis/rbac/v1/evaluation_helpers.go (VerbMatches, APIGroupMatches,
// ResourceMatches with `*/subresource`, ResourceNameMatches, NonResourceURLMatches with a trailing `*`).
import type { RequestAttributes } from './request-attributes.js';

export interface PolicyRule {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
  nonResourceURLs: string[];
}

/** A stored rule as it arrives in JSON: every list optional, anything but string lists ignored. */
export function policyRule(raw: unknown): PolicyRule {
  const r = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
  const list = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);
  return {
    verbs: list(r.verbs),
    apiGroups: list(r.apiGroups),
    resources: list(r.resources),
    resourceNames: list(r.resourceNames),
    nonResourceURLs: list(r.nonResourceURLs),
  };
}

export type RuleQuestion = Pick<RequestAttributes, 'verb' | 'resourceRequest' | 'path' | 'apiGroup' | 'resource' | 'subresource' | 'name'>;

export function ruleAllows(rule: PolicyRule, q: RuleQuestion): boolean {
  if (!verbMatches(rule, q.verb)) return false;
  if (!q.resourceRequest) return nonResourceURLMatches(rule, q.path);
  const combined = q.subresource ? `${q.resource}/${q.subresource}` : q.resource;
  return apiGroupMatches(rule, q.apiGroup) && resourceMatches(rule, combined, q.subresource) && resourceNameMatches(rule, q.name);
}

export function verbMatches(rule: PolicyRule, verb: string): boolean {
  return rule.verbs.some((v) => v === '*' || v === verb);
}

export function apiGroupMatches(rule: PolicyRule, group: string): boolean {
  return rule.apiGroups.some((g) => g === '*' || g === group);
}

export function resourceMatches(rule: PolicyRule, combined: string, subresource: string): boolean {
  for (const r of rule.resources) {
    if (r === '*' || r === combined) return true;
    if (subresource && r.length === subresource.length + 2 && r.startsWith('*/') && r.endsWith(subresource)) return true;
  }
  return false;
}

/** A rule without resourceNames matches any name; one with them only those names (so never a create or an unnamed list). */
export function resourceNameMatches(rule: PolicyRule, name: string): boolean {
  return rule.resourceNames.length === 0 || rule.resourceNames.includes(name);
}

export function nonResourceURLMatches(rule: PolicyRule, path: string): boolean {
  for (const url of rule.nonResourceURLs) {
    if (url === '*' || url === path) return true;
    if (url.endsWith('*') && path.startsWith(url.replace(/\*+$/, ''))) return true;
  }
  return false;
}
