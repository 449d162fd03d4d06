// Roles, ClusterRoles and their bindings (pkg/apis/rbac/validation, rbac/v1 defaults): rule shape,
// roleRef and subjects, and the roleRef that may never change. Escalation checks are the
// authorizer's (auth/).
import { fieldError, type FieldError } from '../field-errors.js';
import { goQuote, invalidGo } from '../go-values.js';
import type { KubeObject } from '../object-rules.js';
import { isDNS1123Subdomain, isValidPathSegmentName } from '../validation-strings.js';

const RBAC_GROUP = 'rbac.authorization.k8s.io';

/** SetDefaults_RoleBinding / _ClusterRoleBinding / _Subject, on a copy of the fields they touch. */
export function defaultBinding(obj: KubeObject): void {
  if (typeof obj.roleRef === 'object' && obj.roleRef !== null && !obj.roleRef.apiGroup)
    obj.roleRef = { ...obj.roleRef, apiGroup: RBAC_GROUP };
  if (Array.isArray(obj.subjects)) {
    obj.subjects = obj.subjects.map((s: any) => {
      if (typeof s !== 'object' || s === null || s.apiGroup) return s;
      if (s.kind === 'User' || s.kind === 'Group') return { ...s, apiGroup: RBAC_GROUP };
      return s;
    });
  }
}

function ruleErrors(rule: any, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  if (list(rule?.verbs).length === 0) errs.push(fieldError.required(`${path}.verbs`, 'verbs must contain at least one value'));
  const urls = list(rule?.nonResourceURLs);
  if (urls.length > 0) {
    const text = `[]string{${urls.map((u) => goQuote(String(u))).join(', ')}}`;
    if (namespaced) errs.push(invalidGo(`${path}.nonResourceURLs`, text, 'namespaced rules cannot apply to non-resource URLs'));
    if (list(rule?.apiGroups).length > 0 || list(rule?.resources).length > 0 || list(rule?.resourceNames).length > 0) {
      errs.push(invalidGo(`${path}.nonResourceURLs`, text, 'rules cannot apply to both regular resources and non-resource URLs'));
    }
    return errs;
  }
  if (list(rule?.apiGroups).length === 0)
    errs.push(fieldError.required(`${path}.apiGroups`, 'resource rules must supply at least one api group'));
  if (list(rule?.resources).length === 0)
    errs.push(fieldError.required(`${path}.resources`, 'resource rules must supply at least one resource'));
  if (list(rule?.resourceNames).length > 0 && list(rule?.resources).length > 1) {
    errs.push(fieldError.required(`${path}.resourceNames`, 'resource names cannot apply to multiple resources'));
  }
  return errs;
}

export function roleErrors(obj: KubeObject, namespaced: boolean): FieldError[] {
  const rules: unknown[] = Array.isArray(obj.rules) ? obj.rules : [];
  return rules.flatMap((rule, i) => ruleErrors(rule, namespaced, `rules[${i}]`));
}

function subjectErrors(subject: any, namespaced: boolean, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const name = typeof subject?.name === 'string' ? subject.name : '';
  const apiGroup = typeof subject?.apiGroup === 'string' ? subject.apiGroup : '';
  if (name === '') errs.push(fieldError.required(`${path}.name`, ''));
  switch (subject?.kind) {
    case 'ServiceAccount':
      if (name !== '') for (const msg of isDNS1123Subdomain(name)) errs.push(fieldError.invalid(`${path}.name`, name, msg));
      if (apiGroup !== '') errs.push(fieldError.notSupported(`${path}.apiGroup`, apiGroup, ['']));
      if (!namespaced && !subject?.namespace) errs.push(fieldError.required(`${path}.namespace`, ''));
      break;
    case 'User':
    case 'Group':
      if (name === '')
        errs.push(fieldError.invalid(`${path}.name`, name, `${subject.kind === 'User' ? 'user' : 'group'} name cannot be empty`));
      if (apiGroup !== RBAC_GROUP) errs.push(fieldError.notSupported(`${path}.apiGroup`, apiGroup, [RBAC_GROUP]));
      break;
    default:
      errs.push(fieldError.notSupported(`${path}.kind`, String(subject?.kind ?? ''), ['ServiceAccount', 'User', 'Group']));
  }
  return errs;
}

function goRoleRef(ref: any): string {
  return `rbac.RoleRef{APIGroup:${goQuote(String(ref?.apiGroup ?? ''))}, Kind:${goQuote(String(ref?.kind ?? ''))}, Name:${goQuote(String(ref?.name ?? ''))}}`;
}

export function bindingErrors(obj: KubeObject, old: KubeObject | undefined, namespaced: boolean): FieldError[] {
  const errs: FieldError[] = [];
  const ref = obj.roleRef ?? {};
  if (ref.apiGroup !== RBAC_GROUP) errs.push(fieldError.notSupported('roleRef.apiGroup', String(ref.apiGroup ?? ''), [RBAC_GROUP]));
  const kinds = namespaced ? ['Role', 'ClusterRole'] : ['ClusterRole'];
  if (!kinds.includes(ref.kind)) errs.push(fieldError.notSupported('roleRef.kind', String(ref.kind ?? ''), kinds));
  const name = typeof ref.name === 'string' ? ref.name : '';
  if (name === '') errs.push(fieldError.required('roleRef.name', ''));
  else for (const msg of isValidPathSegmentName(name)) errs.push(fieldError.invalid('roleRef.name', name, msg));
  const subjects: unknown[] = Array.isArray(obj.subjects) ? obj.subjects : [];
  subjects.forEach((subject, i) => errs.push(...subjectErrors(subject, namespaced, `subjects[${i}]`)));
  if (old) {
    const before = old.roleRef ?? {};
    if (before.apiGroup !== ref.apiGroup || before.kind !== ref.kind || before.name !== ref.name) {
      errs.push(invalidGo('roleRef', goRoleRef(ref), 'cannot change roleRef'));
    }
  }
  return errs;
}
