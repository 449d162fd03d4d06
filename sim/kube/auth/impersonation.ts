// Impersonate-User / Impersonate-Group / Impersonate-Uid / Impersonate-Extra-* headers: WithImpersonation
// of k8s.io/apiserver pkg/endpoints/filters/impersonation.go (v0.32). Each thing impersonated needs
// the `impersonate` verb on it (users, groups, serviceaccounts in their namespace, uids, userextras);
// a ServiceAccount username becomes that ServiceAccount with its groups unless groups are given.
import type { IncomingHttpHeaders } from 'node:http';
import { forbidden } from './forbidden.js';
import type { RequestAttributes } from './request-attributes.js';
import {
  ALL_AUTHENTICATED,
  ALL_UNAUTHENTICATED,
  ANONYMOUS,
  serviceAccountGroups,
  serviceAccountUsername,
  splitServiceAccountUsername,
  type UserInfo,
} from './user.js';

export type Authorize = (a: RequestAttributes) => { allowed: boolean; reason: string };

interface ImpersonationRequest {
  kind: 'ServiceAccount' | 'User' | 'Group' | 'UserExtra' | 'UID';
  namespace: string;
  name: string;
  apiVersion: string;
  fieldPath: string;
}

const EXTRA_PREFIX = 'impersonate-extra-';
const AUTHENTICATION_V1 = 'authentication.k8s.io/v1';

/** A request that impersonates nobody has no Impersonate-* header. */
export function impersonates(headers: IncomingHttpHeaders): boolean {
  return Object.keys(headers).some(
    (h) => h === 'impersonate-user' || h === 'impersonate-group' || h === 'impersonate-uid' || h.startsWith(EXTRA_PREFIX),
  );
}

/** Plain-text 500 as responsewriters.InternalError writes it. */
export class ImpersonationError extends Error {
  constructor(
    readonly requestUri: string,
    message: string,
  ) {
    super(message);
  }

  get body(): string {
    return `Internal Server Error: ${JSON.stringify(this.requestUri)}: ${this.message}\n`;
  }
}

/**
 * The user the request runs as. Throws a 403 KubeStatusError when the requestor may not impersonate
 * one of the things asked for, an ImpersonationError (500) when groups, uid or extras come without a user.
 * `headers` must hold each header's values separately (IncomingMessage.headersDistinct).
 */
export function impersonate(requestor: UserInfo, headers: NodeJS.Dict<string[]>, requestUri: string, authorize: Authorize): UserInfo {
  const requests = impersonationRequests(headers, requestUri);
  const groupsSpecified = (headers['impersonate-group'] ?? []).length > 0;
  let username = '';
  let groups: string[] = [];
  const extra: Record<string, string[]> = {};
  let uid = '';
  for (const r of requests) {
    const acting: RequestAttributes = {
      user: requestor,
      verb: 'impersonate',
      resourceRequest: true,
      path: '',
      apiGroup: r.apiVersion ? r.apiVersion.split('/')[0] : '',
      apiVersion: r.apiVersion ? r.apiVersion.split('/')[1] : '',
      namespace: r.namespace,
      name: r.name,
      resource: '',
      subresource: '',
    };
    switch (r.kind) {
      case 'ServiceAccount':
        acting.resource = 'serviceaccounts';
        username = serviceAccountUsername(r.namespace, r.name);
        if (!groupsSpecified) groups = serviceAccountGroups(r.namespace);
        break;
      case 'User':
        acting.resource = 'users';
        username = r.name;
        break;
      case 'Group':
        acting.resource = 'groups';
        groups.push(r.name);
        break;
      case 'UserExtra':
        acting.resource = 'userextras';
        acting.subresource = r.fieldPath;
        (extra[r.fieldPath] ??= []).push(r.name);
        break;
      case 'UID':
        acting.resource = 'uids';
        uid = r.name;
        break;
    }
    const decision = authorize(acting);
    if (!decision.allowed) throw forbidden(acting, decision.reason);
  }
  if (username !== ANONYMOUS) {
    if (!groups.some((g) => g === ALL_AUTHENTICATED || g === ALL_UNAUTHENTICATED)) groups.push(ALL_AUTHENTICATED);
  } else if (!groups.includes(ALL_UNAUTHENTICATED)) {
    groups.push(ALL_UNAUTHENTICATED);
  }
  const user: UserInfo = { name: username, groups };
  if (uid) user.uid = uid;
  if (Object.keys(extra).length > 0) user.extra = extra;
  return user;
}

/** buildImpersonationRequests: the user (or ServiceAccount), each group, each extra value, the uid. */
function impersonationRequests(headers: NodeJS.Dict<string[]>, requestUri: string): ImpersonationRequest[] {
  const requests: ImpersonationRequest[] = [];
  const none = { namespace: '', apiVersion: '', fieldPath: '' };
  const requestedUser = headers['impersonate-user']?.[0] ?? '';
  if (requestedUser) {
    const sa = splitServiceAccountUsername(requestedUser);
    requests.push(
      sa ? { ...none, kind: 'ServiceAccount', namespace: sa.namespace, name: sa.name } : { ...none, kind: 'User', name: requestedUser },
    );
  }
  for (const group of headers['impersonate-group'] ?? []) requests.push({ ...none, kind: 'Group', name: group });
  let hasExtra = false;
  for (const [header, values] of Object.entries(headers)) {
    if (!header.startsWith(EXTRA_PREFIX) || !values) continue;
    hasExtra = true;
    const key = unescapeExtraKey(header.slice(EXTRA_PREFIX.length).toLowerCase());
    for (const value of values) requests.push({ ...none, kind: 'UserExtra', name: value, apiVersion: AUTHENTICATION_V1, fieldPath: key });
  }
  const requestedUid = headers['impersonate-uid']?.[0] ?? '';
  if (requestedUid) requests.push({ ...none, kind: 'UID', name: requestedUid, apiVersion: AUTHENTICATION_V1 });
  const hasGroups = (headers['impersonate-group'] ?? []).length > 0;
  if ((hasGroups || hasExtra || requestedUid) && !requestedUser) {
    throw new ImpersonationError(requestUri, `requested [${requests.map(goObjectReference).join(' ')}] without impersonating a user`);
  }
  return requests;
}

/** v1.ObjectReference printed with %v: its seven string fields in order, space-separated, in braces. */
function goObjectReference(r: ImpersonationRequest): string {
  return `{${[r.kind, r.namespace, r.name, '', r.apiVersion, '', r.fieldPath].join(' ')}}`;
}

function unescapeExtraKey(key: string): string {
  try {
    return decodeURIComponent(key);
  } catch {
    return key;
  }
}
