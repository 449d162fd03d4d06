// HTTP layer of the simulator: authentication, routing, discovery, JSON and Table rendering, watch streams.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { parse as parseYaml } from 'yaml';
import { KubeStore, type Filter, type KubeObject } from './store.js';
import { DEFAULT_VERBS, groupVersion, qualifiedName, type ResourceType } from './resource-types.js';
import { KubeStatusError, badRequest, invalidFields, notFound, statusObject } from './status-error.js';
import { fieldError } from './field-errors.js';
import { parseFieldSelector, parseLabelSelector } from './selectors.js';
import { table, tableRow } from './table.js';
import { FaultPlan, REASONS, type RequestFacts } from './faults.js';
import type { FieldValidation } from './admission.js';
import { readRequestBytes } from './storage-limits.js';
import type { AccessControl } from './auth/access-control.js';
import { requestInfo, type RequestInfo } from './auth/request-attributes.js';
import { REVIEW_GROUPS, reviewResources } from './auth/review-endpoints.js';
import { openApiV3 } from './openapi/v3-endpoint.js';
import { eventFieldLabel, isEventType } from './event-conversion.js';

export interface RequestLogEntry {
  at: string;
  verb: string;
  method: string;
  path: string;
  resource?: string;
  group?: string;
  namespace?: string;
  name?: string;
  subresource?: string;
  status: number;
  /** The user the request ran as (the impersonated one when it impersonated). */
  user: string;
  /** The authenticated user, when the request impersonated `user`. */
  impersonator?: string;
  /** The User-Agent header, as audit logs keep it (replicas of one ServiceAccount differ by it). */
  userAgent?: string;
}

export interface User {
  name: string;
  groups: string[];
}

const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
/** openapi_v2.Document{swagger: "2.0"} in protobuf: field 1, length-delimited. */
const EMPTY_OPENAPI_V2 = Buffer.from([0x0a, 0x03, 0x32, 0x2e, 0x30]);
export const KUBERNETES_VERSION = { major: '1', minor: '32', gitVersion: 'v1.32.0+runtime-agent-sim' };

interface Route extends RequestFacts {
  type: ResourceType;
  version: string;
  collection: boolean;
}

interface ActiveWatch {
  res: ServerResponse;
  socket: TLSSocket;
}

export interface ApiServerOptions {
  store: KubeStore;
  faults: FaultPlan;
  /** Authentication, impersonation, authorization and the review endpoints (auth/access-control.ts). */
  access: AccessControl;
  requestLog: RequestLogEntry[];
  bookmarkIntervalMs: number;
  address: () => string;
}

export class ApiHandler {
  readonly watches = new Set<ActiveWatch>();

  constructor(private readonly o: ApiServerOptions) {}

  handle = (req: IncomingMessage, res: ServerResponse): void => {
    this.serve(req, res).catch((error) => {
      const status =
        error instanceof KubeStatusError
          ? error
          : new KubeStatusError(500, 'InternalError', `Internal error occurred: ${(error as Error).message}`);
      if (!res.headersSent) sendJson(res, status.code, status.toStatus());
      else res.destroy();
    });
  };

  dropWatches(mode: 'clean' | 'abrupt'): number {
    const count = this.watches.size;
    for (const watch of [...this.watches]) {
      this.watches.delete(watch);
      // RST needs the TCP handle, which sits under the TLS socket.
      if (mode === 'abrupt') ((watch.socket as { _parent?: TLSSocket })._parent ?? watch.socket).resetAndDestroy();
      else watch.res.end();
    }
    return count;
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'https://sim');
    const method = req.method ?? 'GET';
    let user: User | undefined = this.authenticate(req);
    let impersonator: string | undefined;
    const log = (facts: RequestFacts | undefined, status: number) => {
      this.o.requestLog.push({
        at: new Date().toISOString(),
        verb: facts?.verb ?? method.toLowerCase(),
        method,
        path: url.pathname + url.search,
        resource: facts?.resource,
        group: facts?.group,
        namespace: facts?.namespace,
        name: facts?.name,
        subresource: facts?.subresource,
        status,
        user: user?.name ?? 'system:anonymous',
        ...(impersonator ? { impersonator } : {}),
        ...(req.headers['user-agent'] ? { userAgent: req.headers['user-agent'] } : {}),
      });
    };
    if (!user) {
      log(undefined, 401);
      sendJson(res, 401, statusObject(401, 'Unauthorized', 'Unauthorized'));
      return;
    }
    // Impersonation and authorization next, as kube-apiserver's filters run them: from the method and
    // URL alone, before routing (an unserved resource is a 404 only to those allowed to ask), before the
    // body is read and before any fault rule.
    const info = requestInfo(method, url);
    const admission = this.o.access.admit(req, user, info);
    if (admission.user !== user) impersonator = user.name;
    user = admission.user;
    if (!admission.allowed) {
      log(factsOf(info), admission.status);
      if (typeof admission.body === 'string') {
        res.writeHead(admission.status, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
        res.end(admission.body);
      } else sendJson(res, admission.status, admission.body, { 'X-Content-Type-Options': 'nosniff' });
      return;
    }
    // Access reviews and TokenRequests: answered by auth/, never stored.
    const review = this.o.access.reviewEndpoint(info);

    let route: Route | undefined;
    try {
      route = review ? undefined : this.route(method, url);
    } catch (error) {
      if (!(error instanceof KubeStatusError)) throw error;
      log(undefined, error.code);
      sendJson(res, error.code, error.toStatus());
      return;
    }
    // A create names its object only in the body: read it first, so failure rules and the request
    // log can match and show the name as they do for every other verb.
    let body = '';
    let reviewBody: Buffer | undefined; // reviews may come as protobuf: kept as bytes
    if ((route && WRITE_VERBS.includes(route.verb)) || (review && method === 'POST')) {
      try {
        if (review) reviewBody = await readRequestBytes(req);
        else body = (await readRequestBytes(req)).toString('utf8');
      } catch (error) {
        if (!(error instanceof KubeStatusError)) throw error;
        log(route ?? factsOf(info), error.code);
        sendJson(res, error.code, error.toStatus());
        return;
      }
    }
    const facts: RequestFacts = route
      ? {
          verb: route.verb,
          resource: route.resource,
          group: route.group,
          subresource: route.subresource,
          namespace: route.namespace,
          name: route.name ?? (route.verb === 'create' ? nameInBody(body) : undefined),
        }
      : review
        ? factsOf(info)
        : { verb: method.toLowerCase() };
    const delay = this.o.faults.latencyFor(facts);
    if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    const fault = this.o.faults.takeFailure(facts);
    if (fault) {
      const headers: Record<string, string> = {};
      const details: Record<string, unknown> = { name: facts.name, kind: route?.resource };
      if (fault.status === 429) {
        const after = fault.retryAfterSeconds ?? 1;
        headers['Retry-After'] = String(after);
        details.retryAfterSeconds = after;
      }
      const reason = REASONS[fault.status] ?? 'InternalError';
      const message = fault.message ?? `injected fault: ${reason} for ${facts.verb} ${route?.resource ?? url.pathname}`;
      log(facts, fault.status);
      sendJson(res, fault.status, statusObject(fault.status, reason, message, details), headers);
      return;
    }

    if (review) {
      try {
        const { status, payload } = this.o.access.serveReview(review, info, user, req.headers['content-type'], reviewBody);
        log(facts, status);
        sendJson(res, status, payload);
      } catch (error) {
        if (!(error instanceof KubeStatusError)) throw error;
        log(facts, error.code);
        sendJson(res, error.code, error.toStatus());
      }
      return;
    }
    if (!route && method === 'GET' && url.pathname === '/openapi/v2') {
      // kubectl validates manifests against this document; an empty one (no definitions) makes it skip
      // client-side schema validation and build strategic merge patches from its compiled-in types.
      log(facts, 200);
      res.writeHead(200, { 'Content-Type': OPENAPI_V2_PROTOBUF, 'Content-Length': EMPTY_OPENAPI_V2.length });
      res.end(EMPTY_OPENAPI_V2);
      return;
    }
    // OpenAPI v3 of the custom resources: kubectl explain reads it, and kubectl leaves field
    // validation to the server for the kinds whose PATCH operation lists fieldValidation.
    const openapi =
      !route && method === 'GET' ? openApiV3(url.pathname, url.searchParams, req.headers, this.o.store.servedTypes()) : undefined;
    if (openapi) {
      log(facts, openapi.status);
      res.writeHead(openapi.status, { ...openapi.headers, 'Content-Length': Buffer.byteLength(openapi.body) });
      res.end(openapi.body);
      return;
    }
    if (!route) {
      const answer = this.nonResource(method, url.pathname);
      log(facts, answer.status);
      if (typeof answer.body === 'string') {
        res.writeHead(answer.status, { 'Content-Type': 'text/plain; charset=utf-8' });
        res.end(answer.body);
      } else sendJson(res, answer.status, answer.body);
      return;
    }

    if (route.verb === 'watch') {
      this.watch(
        req,
        res,
        route,
        url,
        () => log(route, 200),
        (code) => log(route, code),
      );
      return;
    }
    const warnings: string[] = [];
    try {
      // RBAC's escalation check on Role/ClusterRole/binding writes (auth/escalation.ts), before storage validates them.
      this.o.access.checkRbacWrite(user, route, req.headers['content-type'], body);
      const { status, payload } = this.resource(req, route, url, body, warnings);
      log(facts, status);
      const answerDelay = this.o.faults.answerLatencyFor(facts);
      if (answerDelay > 0) await new Promise((resolve) => setTimeout(resolve, answerDelay));
      sendJson(res, status, payload, warningHeaders(warnings));
    } catch (error) {
      if (!(error instanceof KubeStatusError)) throw error;
      log(facts, error.code);
      sendJson(res, error.code, error.toStatus(), warningHeaders(warnings));
    }
  }

  /** Client certificate (CN, O) or bearer token; auth/access-control.ts. */
  private authenticate(req: IncomingMessage): User | undefined {
    return this.o.access.authenticate(req);
  }

  /** Resolves a resource URL; undefined for anything that is not one (discovery and the like). */
  private route(method: string, url: URL): Route | undefined {
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (parts[0] === 'api' && parts.length >= 3) {
      group = '';
      version = parts[1];
      rest = parts.slice(2);
    } else if (parts[0] === 'apis' && parts.length >= 4) {
      group = parts[1];
      version = parts[2];
      rest = parts.slice(3);
    } else {
      return undefined;
    }
    let namespace: string | undefined;
    if (rest[0] === 'namespaces' && rest.length >= 3 && this.o.store.findType(group, version, rest[2])?.namespaced) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
    if (rest.length > 3) throw notServed();
    const [plural, name, subresource] = rest;
    const type = this.o.store.findType(group, version, plural);
    if (!type) throw notServed();
    if (subresource !== undefined && !(subresource === 'status' && type.statusSubresource)) {
      // A custom resource without that subresource answers as a missing object (crdHandler's NotFound
      // with the resource and name); a built-in kind has no such route (the generic 404).
      throw type.custom && name !== undefined ? notFound(qualifiedName(type), name, type.group, type.plural) : notServed();
    }
    const collection = name === undefined;
    const watch = url.searchParams.get('watch');
    const isWatch = watch === 'true' || watch === '1';
    let verb: string;
    switch (method) {
      case 'GET':
        verb = collection ? (isWatch ? 'watch' : 'list') : 'get';
        break;
      case 'POST':
        verb = 'create';
        break;
      case 'PUT':
        verb = 'update';
        break;
      case 'PATCH':
        verb = 'patch';
        break;
      case 'DELETE':
        verb = collection ? 'deletecollection' : 'delete';
        break;
      default:
        throw new KubeStatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    }
    if ((verb === 'create') !== collection && verb !== 'list' && verb !== 'watch' && verb !== 'deletecollection') {
      throw new KubeStatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    }
    if (subresource && !['get', 'update', 'patch'].includes(verb)) {
      throw new KubeStatusError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource`);
    }
    return { verb, resource: type.plural, group, version, namespace, name, subresource, type, collection };
  }

  private filter(route: Route, url: URL): Filter {
    return {
      namespace: route.namespace,
      labels: parseLabelSelector(url.searchParams.get('labelSelector')),
      fields: parseFieldSelector(url.searchParams.get('fieldSelector'), (label) =>
        isEventType(route.type) ? eventFieldLabel(route.type.group, label) : undefined,
      ),
    };
  }

  private resource(req: IncomingMessage, route: Route, url: URL, body: string, warnings: string[]): { status: number; payload: unknown } {
    const { store } = this.o;
    const { type, namespace, name } = route;
    const q = url.searchParams;
    const dryRun = q.get('dryRun') === 'All';
    const fieldValidation = WRITE_VERBS.includes(route.verb) ? fieldValidationOf(q, route.verb) : 'Warn';
    const asTable = (req.headers.accept ?? '').includes('as=Table');
    const includeObject = q.get('includeObject') ?? 'Metadata';
    const render = (obj: KubeObject) => versioned(obj, type, route.version);
    const subresource = route.subresource as 'status' | undefined;
    switch (route.verb) {
      case 'get': {
        const obj = store.get(type, namespace, name!);
        return { status: 200, payload: asTable ? table(type, [render(obj)], obj.metadata.resourceVersion, includeObject) : render(obj) };
      }
      case 'list': {
        const limit = q.get('limit') ? Number(q.get('limit')) : undefined;
        if (limit !== undefined && !(Number.isInteger(limit) && limit >= 0)) throw badRequest(`invalid limit: ${q.get('limit')}`);
        const result = store.list(type, this.filter(route, url), { limit, continue: q.get('continue') ?? undefined });
        const items = result.items.map(render);
        if (asTable) return { status: 200, payload: table(type, items, result.resourceVersion, includeObject, result.continue) };
        const metadata: Record<string, unknown> = { resourceVersion: result.resourceVersion };
        if (result.continue) metadata.continue = result.continue;
        if (result.remainingItemCount !== undefined) metadata.remainingItemCount = result.remainingItemCount;
        return { status: 200, payload: { kind: type.listKind, apiVersion: groupVersion(type.group, route.version), metadata, items } };
      }
      case 'create': {
        const obj = store.create(type, namespace, parseObject(req, body), { dryRun, fieldValidation, warnings });
        return { status: 201, payload: render(obj) };
      }
      case 'update': {
        return {
          status: 200,
          payload: render(store.update(type, namespace, name!, parseObject(req, body), { dryRun, subresource, fieldValidation, warnings })),
        };
      }
      case 'patch': {
        const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim();
        const result = store.patch(type, namespace, name!, contentType, body, {
          dryRun,
          subresource,
          fieldValidation,
          warnings,
          fieldManager: q.get('fieldManager') ?? undefined,
          force: q.get('force') === 'true',
        });
        return { status: result.created ? 201 : 200, payload: render(result.object) };
      }
      case 'delete': {
        const options = deleteOptions(body, q);
        const result = store.delete(type, namespace, name!, { ...options, dryRun });
        if (!result.removed || type.custom) return { status: 200, payload: render(result.object) };
        return { status: 200, payload: successStatus(type, result.object) };
      }
      case 'deletecollection': {
        const items = store.deleteCollection(type, this.filter(route, url), { ...deleteOptions(body, q), dryRun });
        return {
          status: 200,
          payload: {
            kind: type.listKind,
            apiVersion: groupVersion(type.group, route.version),
            metadata: { resourceVersion: store.resourceVersion },
            items: items.map(render),
          },
        };
      }
    }
    throw new KubeStatusError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource');
  }

  private watch(
    req: IncomingMessage,
    res: ServerResponse,
    route: Route,
    url: URL,
    started: () => void,
    failed: (code: number) => void,
  ): void {
    const q = url.searchParams;
    let filter: Filter;
    try {
      filter = this.filter(route, url);
    } catch (error) {
      if (!(error instanceof KubeStatusError)) throw error;
      failed(error.code);
      sendJson(res, error.code, error.toStatus());
      return;
    }
    const { type } = route;
    const asTable = (req.headers.accept ?? '').includes('as=Table');
    const includeObject = q.get('includeObject') ?? 'Metadata';
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache, private' });
    res.flushHeaders();
    started();
    const socket = req.socket as TLSSocket;
    const active: ActiveWatch = { res, socket };
    const write = (type_: string, object: unknown) => {
      if (!res.writableEnded && !res.destroyed) res.write(JSON.stringify({ type: type_, object }) + '\n');
    };
    const render = (obj: KubeObject) => {
      const out = versioned(obj, type, route.version);
      if (!asTable) return out;
      const t = table(type, [], obj.metadata.resourceVersion, includeObject);
      t.rows = [tableRow(type, out, includeObject)];
      return t;
    };
    const timers: NodeJS.Timeout[] = [];
    let stop: () => void = () => {};
    const finish = () => {
      stop();
      for (const timer of timers) clearTimeout(timer);
      this.watches.delete(active);
    };
    res.on('close', finish);
    // The client may have gone while the request waited (injected latency): then 'close' has fired
    // already and nothing would ever clear the timers or the store subscription.
    if (res.destroyed || req.socket.destroyed) {
      finish();
      return;
    }
    try {
      stop = this.o.store.watch(type, filter, q.get('resourceVersion') ?? undefined, {
        send: (eventType, obj) => write(eventType, render(obj)),
        end: () => res.end(),
      });
    } catch (error) {
      if (!(error instanceof KubeStatusError)) throw error;
      write('ERROR', error.toStatus());
      res.end();
      return;
    }
    this.watches.add(active);
    const timeout = Number(q.get('timeoutSeconds'));
    if (timeout > 0) timers.push(setTimeout(() => res.end(), timeout * 1000).unref());
    if (q.get('allowWatchBookmarks') === 'true') {
      const bookmark = () => {
        write('BOOKMARK', {
          kind: type.kind,
          apiVersion: groupVersion(type.group, route.version),
          metadata: { resourceVersion: this.o.store.resourceVersion },
        });
        timers.push(setTimeout(bookmark, this.o.bookmarkIntervalMs).unref());
      };
      timers.push(setTimeout(bookmark, this.o.bookmarkIntervalMs).unref());
    }
  }

  private nonResource(method: string, path: string): { status: number; body: unknown } {
    const notFoundBody = statusObject(404, 'NotFound', 'the server could not find the requested resource', {});
    if (method !== 'GET')
      return {
        status: 405,
        body: statusObject(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource'),
      };
    const parts = path.split('/').filter(Boolean);
    const types = this.o.store.servedTypes();
    if (path === '/version') {
      return {
        status: 200,
        body: {
          ...KUBERNETES_VERSION,
          gitCommit: 'simulator',
          gitTreeState: 'clean',
          buildDate: '2025-01-01T00:00:00Z',
          goVersion: 'n/a',
          compiler: 'node',
          platform: `${process.platform}/${process.arch}`,
        },
      };
    }
    if (['/healthz', '/livez', '/readyz'].includes(path)) return { status: 200, body: 'ok' };
    if (path === '/api') {
      return {
        status: 200,
        body: {
          kind: 'APIVersions',
          versions: ['v1'],
          serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: this.o.address() }],
        },
      };
    }
    if (path === '/apis') {
      return { status: 200, body: { kind: 'APIGroupList', apiVersion: 'v1', groups: groupsOf(types) } };
    }
    if (parts[0] === 'apis' && parts.length === 2) {
      const group = groupsOf(types).find((g) => g.name === parts[1]);
      return group ? { status: 200, body: { kind: 'APIGroup', apiVersion: 'v1', ...group } } : { status: 404, body: notFoundBody };
    }
    const [group, version] =
      parts[0] === 'api' && parts.length === 2
        ? ['', parts[1]]
        : parts[0] === 'apis' && parts.length === 3
          ? [parts[1], parts[2]]
          : [undefined, undefined];
    if (group !== undefined && version !== undefined) {
      const served = types.filter((t) => t.group === group && t.versions.includes(version));
      const reviews = reviewResources(group, version);
      if (served.length === 0 && reviews.length === 0) return { status: 404, body: notFoundBody };
      const resources = [
        ...served.flatMap((t) => {
          const entry = {
            name: t.plural,
            singularName: t.singular,
            namespaced: t.namespaced,
            kind: t.kind,
            verbs: DEFAULT_VERBS,
            shortNames: t.shortNames.length ? t.shortNames : undefined,
            categories: t.categories.length ? t.categories : undefined,
          };
          return t.statusSubresource
            ? [
                entry,
                { name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] },
              ]
            : [entry];
        }),
        ...reviews,
      ];
      return { status: 200, body: { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: groupVersion(group, version), resources } };
    }
    return { status: 404, body: notFoundBody };
  }
}

function groupsOf(
  types: ResourceType[],
): { name: string; versions: { groupVersion: string; version: string }[]; preferredVersion: { groupVersion: string; version: string } }[] {
  const groups = new Map<string, string[]>();
  for (const t of types) {
    if (!t.group) continue;
    const versions = groups.get(t.group) ?? [];
    for (const v of t.versions) if (!versions.includes(v)) versions.push(v);
    groups.set(t.group, versions);
  }
  for (const name of REVIEW_GROUPS) if (!groups.has(name)) groups.set(name, ['v1']);
  return [...groups].map(([name, versions]) => {
    const entries = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
    return { name, versions: entries, preferredVersion: entries[0] };
  });
}

/** What the request log and fault rules see of a request before it is routed. */
function factsOf(info: RequestInfo): RequestFacts {
  if (!info.resourceRequest) return { verb: info.verb };
  return {
    verb: info.verb,
    resource: info.resource,
    group: info.apiGroup,
    subresource: info.subresource || undefined,
    namespace: info.namespace || undefined,
    name: info.name || undefined,
  };
}

function notServed(): KubeStatusError {
  return new KubeStatusError(404, 'NotFound', 'the server could not find the requested resource', {});
}

/** Objects of a CRD with several versions are stored once; they are served under the requested version. */
function versioned(obj: KubeObject, type: ResourceType, version: string): KubeObject {
  const apiVersion = groupVersion(type.group, version);
  return obj.apiVersion === apiVersion ? obj : { ...obj, apiVersion };
}

function successStatus(type: ResourceType, obj: KubeObject): Record<string, unknown> {
  const details: Record<string, unknown> = { name: obj.metadata.name, kind: type.plural, uid: obj.metadata.uid };
  if (type.group) details.group = type.group;
  return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details };
}

/** The write's fieldValidation parameter; kube-apiserver refuses any value but these three (and none). */
function fieldValidationOf(q: URLSearchParams, verb: string): FieldValidation {
  const value = q.get('fieldValidation');
  if (value === null || value === '') return 'Warn';
  if (value === 'Ignore' || value === 'Warn' || value === 'Strict') return value;
  const options = verb === 'create' ? 'CreateOptions' : verb === 'patch' ? 'PatchOptions' : 'UpdateOptions';
  throw invalidFields(options, '', 'meta.k8s.io', [fieldError.notSupported('fieldValidation', value, ['', 'Ignore', 'Strict', 'Warn'])]);
}

/** `Warning: 299 - "text"` headers, one per warning, as the API server sends them. */
function warningHeaders(warnings: string[]): Record<string, string | string[]> {
  if (warnings.length === 0) return {};
  return { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`) };
}

function deleteOptions(
  body: string,
  q: URLSearchParams,
): { preconditions?: { uid?: string; resourceVersion?: string }; propagationPolicy?: string } {
  let options: Record<string, any> = {};
  if (body.trim() !== '') {
    try {
      options = JSON.parse(body);
    } catch (error) {
      throw badRequest(`error decoding DeleteOptions: ${(error as Error).message}`);
    }
  }
  return {
    preconditions: options.preconditions ?? undefined,
    propagationPolicy: options.propagationPolicy ?? q.get('propagationPolicy') ?? undefined,
  };
}

function parseObject(req: IncomingMessage, body: string): unknown {
  const contentType = (req.headers['content-type'] ?? 'application/json').split(';')[0].trim();
  if (contentType === 'application/yaml') {
    try {
      return parseYaml(body);
    } catch (error) {
      throw badRequest(`couldn't get version/kind; yaml parse error: ${(error as Error).message.split('\n')[0]}`);
    }
  }
  if (contentType !== 'application/json' && contentType !== '*/*') {
    throw new KubeStatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml (got ${contentType})`,
    );
  }
  try {
    return JSON.parse(body);
  } catch (error) {
    throw badRequest(`couldn't get version/kind; json parse error: ${(error as Error).message}`);
  }
}

const WRITE_VERBS = ['create', 'update', 'patch', 'delete', 'deletecollection'];

/** metadata.name of a JSON create body; undefined when absent (generateName) or unparseable. */
function nameInBody(body: string): string | undefined {
  try {
    const name = (JSON.parse(body) as { metadata?: { name?: unknown } } | null)?.metadata?.name;
    return typeof name === 'string' && name !== '' ? name : undefined;
  } catch {
    return undefined;
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string | string[]> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}
