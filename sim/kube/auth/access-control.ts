// Authentication and authorization of every request, in kube-apiserver's filter order:
// authenticate (client certificate, then bearer token: static tokens and ServiceAccount tokens;
// everyone authenticated gets system:authenticated) → impersonation → authorize (system:masters,
// then RBAC) → the handler. The API handler calls `authenticate` and `admit`; the review endpoints
// (review-endpoints.ts) are served from here too.
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { KubeStore } from '../store.js';
import { KubeStatusError, notFound } from '../status-error.js';
import { bootstrapClusterRoleBindings, bootstrapClusterRoles } from './bootstrap-policy.js';
import { forbidden } from './forbidden.js';
import { ImpersonationError, impersonate, impersonates } from './impersonation.js';
import { RbacAuthorizer, type Decision } from './rbac-authorizer.js';
import type { RequestAttributes, RequestInfo } from './request-attributes.js';
import { reviewEndpoint, serveReview, type ReviewKind } from './review-endpoints.js';
import { decodeReviewBody } from './review-body.js';
import { escalationError, isRbacWrite } from './escalation.js';
import { policyRule } from './rbac-rules.js';
import { jsonPatch, mergePatch, strategicMergePatch } from '../patches.js';
import { parse as parseYaml } from 'yaml';
import { API_AUDIENCE, ServiceAccountTokens, type MintedToken } from './service-account-tokens.js';
import { SYSTEM_MASTERS, withAuthenticatedGroup, type UserInfo } from './user.js';

export type Admission =
  | { allowed: true; user: UserInfo }
  /** `body` a Status object, or the text of a plain-text error. */
  | { allowed: false; user: UserInfo; status: number; body: Record<string, unknown> | string };

export class AccessControl {
  readonly rbac: RbacAuthorizer;
  readonly serviceAccountTokens: ServiceAccountTokens;

  constructor(
    private readonly store: KubeStore,
    /** Static bearer tokens (the admin's and issueToken's), like --token-auth-file. */
    private readonly staticTokens: Map<string, { name: string; groups: string[] }>,
  ) {
    this.rbac = new RbacAuthorizer(store);
    this.serviceAccountTokens = new ServiceAccountTokens(
      (resource, namespace, name) => this.stored(resource, namespace, name)?.metadata.uid,
    );
  }

  close(): void {
    this.rbac.close();
  }

  /** Creates the bootstrap ClusterRoles and ClusterRoleBindings that do not exist yet. */
  seedBootstrapPolicy(): void {
    const seed = (plural: string, objects: Record<string, unknown>[]) => {
      const type = this.store.findType('rbac.authorization.k8s.io', 'v1', plural)!;
      for (const obj of objects) {
        const name = (obj.metadata as { name: string }).name;
        if (!this.store.tryGet(type, undefined, name)) this.store.create(type, undefined, obj);
      }
    };
    seed('clusterroles', bootstrapClusterRoles());
    seed('clusterrolebindings', bootstrapClusterRoleBindings());
  }

  /**
   * The authenticated user, or undefined (401). A verified client certificate wins (CN the name, O the
   * groups); otherwise `Authorization: Bearer TOKEN` with a static or a ServiceAccount token.
   */
  authenticate(req: IncomingMessage): UserInfo | undefined {
    const socket = req.socket as TLSSocket;
    if (socket.authorized) {
      const subject = socket.getPeerCertificate()?.subject as Record<string, string | string[]> | undefined;
      if (subject?.CN) {
        const name = Array.isArray(subject.CN) ? subject.CN[0] : subject.CN;
        const groups = subject.O === undefined ? [] : Array.isArray(subject.O) ? subject.O : [subject.O];
        return withAuthenticatedGroup({ name, groups });
      }
    }
    const token = bearerToken(req.headers.authorization);
    if (!token) return undefined;
    const known = this.staticTokens.get(token);
    if (known) return withAuthenticatedGroup({ name: known.name, groups: [...known.groups] });
    return this.serviceAccountTokens.authenticate(token);
  }

  /** The union authorizer: system:masters may do anything, everyone else what RBAC allows. */
  authorize = (a: RequestAttributes): Decision => {
    if (a.user.groups.includes(SYSTEM_MASTERS)) return { allowed: true, reason: '' };
    return this.rbac.authorize(a);
  };

  /** Impersonation, then authorization of the request the user makes; a denial carries the response. */
  admit(req: IncomingMessage, authenticated: UserInfo, info: RequestInfo): Admission {
    let user = authenticated;
    try {
      if (impersonates(req.headers)) user = impersonate(authenticated, req.headersDistinct, req.url ?? '/', this.authorize);
      const attributes: RequestAttributes = { ...info, user };
      const decision = this.authorize(attributes);
      if (!decision.allowed) throw forbidden(attributes, decision.reason);
      return { allowed: true, user };
    } catch (error) {
      if (error instanceof KubeStatusError) return { allowed: false, user, status: error.code, body: error.toStatus() };
      if (error instanceof ImpersonationError) return { allowed: false, user, status: 500, body: error.body };
      throw error;
    }
  }

  /** The review or token endpoint a request is for, if any (served by `serveReview`, never by the store). */
  reviewEndpoint(info: RequestInfo): ReviewKind | undefined {
    return reviewEndpoint(info);
  }

  /** `body` the request's bytes (JSON, YAML or Kubernetes protobuf), undefined for a method without one. */
  serveReview(
    kind: ReviewKind,
    info: RequestInfo,
    user: UserInfo,
    contentType: string | undefined,
    body: Buffer | undefined,
  ): { status: number; payload: unknown } {
    return serveReview(kind, {
      info,
      user,
      body: () => decodeReviewBody(contentType, body ?? Buffer.alloc(0), kind),
      authorize: this.authorize,
      rulesFor: (u, namespace) => this.rbac.rulesFor(u, namespace),
      get: (resource, namespace, name) => this.stored(resource, namespace, name),
      mintToken: (sa, expirationSeconds, audiences, secret) =>
        this.serviceAccountTokens.mint(
          { namespace: sa.metadata.namespace, name: sa.metadata.name, uid: sa.metadata.uid },
          expirationSeconds,
          audiences,
          secret && { name: secret.metadata.name, uid: secret.metadata.uid },
        ),
      defaultAudiences: [API_AUDIENCE],
    });
  }

  /**
   * Throws the 403 (or 404) a create, update or patch of a Role, ClusterRole or binding gets when its author,
   * outside system:masters, would grant permissions they do not hold (escalation.ts). Writes of other
   * kinds, and bodies that do not parse (the store answers those), pass.
   */
  checkRbacWrite(
    user: UserInfo,
    route: { verb: string; group?: string; resource?: string; namespace?: string; name?: string },
    contentType: string | undefined,
    body: string,
  ): void {
    if (!route.group || !route.resource || !isRbacWrite(route.group, route.resource, route.verb) || user.groups.includes(SYSTEM_MASTERS))
      return;
    const type = this.store.findType(route.group, 'v1', route.resource);
    if (!type) return;
    const namespace = route.namespace ?? '';
    const old = route.name ? this.store.tryGet(type, type.namespaced ? namespace : undefined, route.name) : undefined;
    const object = resultingObject(route.verb, (contentType ?? 'application/json').split(';')[0].trim(), body, old);
    if (!object) return;
    const pluralNotFound = (message: string) => message.replace(/^(cluster)?role\.rbac/, (m) => m.replace('role.', 'roles.'));
    const error = escalationError({
      user,
      object,
      old,
      request: { verb: route.verb, apiGroup: route.group, resource: route.resource, namespace, name: route.name ?? '' },
      authorize: this.authorize,
      // the rbac registry resolves through storage: its not-found errors name the plural resource
      rulesFor: (u, ns) => {
        const { rules, errors } = this.rbac.rulesFor(u, ns);
        return { rules, errors: errors.map(pluralNotFound) };
      },
      roleRules: (kind, name, ns) => {
        const plural = kind === 'ClusterRole' ? 'clusterroles' : 'roles';
        const roleType = this.store.findType('rbac.authorization.k8s.io', 'v1', plural)!;
        const role = this.store.tryGet(roleType, kind === 'ClusterRole' ? undefined : ns, name);
        if (!role) throw notFound(`${plural}.rbac.authorization.k8s.io`, name, 'rbac.authorization.k8s.io', plural);
        return Array.isArray(role.rules) ? role.rules.map(policyRule) : [];
      },
    });
    if (error) throw error;
  }

  /** A token for an existing ServiceAccount (404 KubeStatusError when it does not exist). */
  mintServiceAccountToken(namespace: string, name: string, expirationSeconds = 3600): MintedToken {
    if (!Number.isInteger(expirationSeconds) || expirationSeconds <= 0)
      throw new Error(`expirationSeconds must be a positive integer, got ${expirationSeconds}`);
    const sa = this.stored('serviceaccounts', namespace, name);
    if (!sa) throw notFound('serviceaccounts', name, '', 'serviceaccounts');
    return this.serviceAccountTokens.mint({ namespace, name, uid: sa.metadata.uid }, expirationSeconds);
  }

  private stored(resource: 'serviceaccounts' | 'secrets', namespace: string, name: string) {
    const type = this.store.findType('', 'v1', resource);
    return type ? this.store.tryGet(type, namespace, name) : undefined;
  }
}

/** The object a create, update or patch would store (before defaulting and validation), or undefined when the body does not parse. */
function resultingObject(
  verb: string,
  contentType: string,
  body: string,
  old: Record<string, any> | undefined,
): Record<string, any> | undefined {
  try {
    const parsed: unknown =
      contentType === 'application/yaml' || contentType === 'application/apply-patch+yaml' ? parseYaml(body) : JSON.parse(body);
    let result: unknown = parsed;
    if (verb === 'patch') {
      if (contentType === 'application/apply-patch+yaml') result = old ? mergePatch(old, parsed) : parsed;
      else if (!old) return undefined;
      else if (contentType === 'application/json-patch+json') result = jsonPatch(old, parsed);
      else if (contentType === 'application/strategic-merge-patch+json') result = strategicMergePatch(old, parsed);
      else result = mergePatch(old, parsed);
    }
    return result && typeof result === 'object' && !Array.isArray(result) ? (result as Record<string, any>) : undefined;
  } catch {
    return undefined;
  }
}

/** bearertoken.Authenticator: `Bearer TOKEN` (scheme in any case), the token being the second word. */
function bearerToken(header: string | undefined): string | undefined {
  const parts = (header ?? '').trim().split(' ', 3);
  if (parts.length < 2 || parts[0].toLowerCase() !== 'bearer' || parts[1] === '') return undefined;
  return parts[1];
}
