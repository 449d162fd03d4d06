// The 403 of a denied request: responsewriters.ForbiddenStatusError and forbiddenMessage of k8s.io/apiserver
// pkg/endpoints/handlers/responsewriters/errors.go (v0.32) wrapped by apierrors.NewForbidden of
// k8s.io/apimachinery pkg/api/errors/errors.go.
import { KubeStatusError, type StatusDetails } from '../status-error.js';
import { goQuote } from '../go-format.js';
import type { RequestAttributes } from './request-attributes.js';

export type ForbiddenAttributes = Pick<
  RequestAttributes,
  'verb' | 'resourceRequest' | 'path' | 'apiGroup' | 'resource' | 'subresource' | 'namespace' | 'name'
> & { user?: { name: string } };

/** `User "u" cannot get resource "secrets" in API group "" in the namespace "ns"` and its cluster-scope and path forms. */
export function forbiddenMessage(a: ForbiddenAttributes): string {
  const user = goQuote(a.user?.name ?? '');
  if (!a.resourceRequest) return `User ${user} cannot ${a.verb} path ${goQuote(a.path)}`;
  const resource = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const what = `User ${user} cannot ${a.verb} resource ${goQuote(resource)} in API group ${goQuote(a.apiGroup)}`;
  return a.namespace ? `${what} in the namespace ${goQuote(a.namespace)}` : `${what} at the cluster scope`;
}

/**
 * The Status: `secrets "x" is forbidden: <message>[: <reason>]` (no name: `secrets is forbidden: ...`,
 * a non-resource path: `forbidden: ...`), details {name, group, kind: the resource}.
 */
export function forbidden(a: ForbiddenAttributes, reason = ''): KubeStatusError {
  const message = sanitize(forbiddenMessage(a));
  const text = reason ? `${message}: ${reason}` : message;
  const qualified = a.apiGroup ? `${a.resource}.${a.apiGroup}` : a.resource;
  const details: StatusDetails = {};
  if (a.name) details.name = a.name;
  if (a.apiGroup) details.group = a.apiGroup;
  if (a.resource) details.kind = a.resource;
  let full: string;
  if (qualified === '') full = `forbidden: ${text}`;
  else if (a.name === '') full = `${qualified} is forbidden: ${text}`;
  else full = `${qualified} ${goQuote(a.name)} is forbidden: ${text}`;
  return new KubeStatusError(403, 'Forbidden', full, details);
}

/** Messages must not look like HTML: `&`, `<` and `>` are escaped (quotes are fine). */
function sanitize(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
