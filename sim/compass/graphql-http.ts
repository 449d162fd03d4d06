// GraphQL over HTTP for the three simulated surfaces: body parsing and the gqlgen-style statuses
// (400 bad JSON, 405 method, 422 parse/validation), identity, faults, execution, error
// presentation (Connector: message + path; Director: extensions and masking) and the call log.
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { GraphQLError, GraphQLSchema } from 'graphql';
import type { CertificateAuthority } from '../tls/certificate-authority.js';
import {
  loggableHeaders,
  loggableVariables,
  subjectConstants,
  type CallIdentity,
  type CallLogEntry,
  type CompassStore,
} from './compass-store.js';
import type { ConnectorContext, ConnectorIdentity } from './connector-resolvers.js';
import type { DirectorContext } from './director-resolvers.js';
import { DirectorError, maskedInternalError, tenantNotFound, unauthorized } from './director-errors.js';
import { DocumentCache, type PreparedDocument, type RootField } from './graphql-execution.js';
import { connectorSchema, directorSchema } from './schema.js';
import { requestFaultKinds, type ArmedFault } from './faults.js';

export type Surface = CallLogEntry['surface'];

export interface PeerCertificate {
  commonName: string;
  sha256: string;
  /** O, OU, C, L and ST equal the Connector's subject constants. */
  subjectMatches: boolean;
}

/** A connection's client certificate is fixed at the handshake; reading it is costly, so once per socket. */
const peers = new WeakMap<TLSSocket, PeerCertificate | undefined>();

/** The verified client certificate of a TLS socket, if any. */
export function peerCertificate(socket: TLSSocket): PeerCertificate | undefined {
  if (!peers.has(socket)) peers.set(socket, readPeerCertificate(socket));
  return peers.get(socket);
}

function readPeerCertificate(socket: TLSSocket): PeerCertificate | undefined {
  const peer = socket.getPeerCertificate?.();
  if (!peer || !peer.raw) return undefined;
  const first = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);
  const subject = peer.subject as Record<string, string | string[] | undefined>;
  const subjectMatches = (Object.keys(subjectConstants) as (keyof typeof subjectConstants)[]).every(
    (field) => first(subject[field]) === subjectConstants[field],
  );
  return { commonName: first(subject.CN) ?? '', sha256: createHash('sha256').update(peer.raw).digest('hex'), subjectMatches };
}

interface ParsedRequest {
  query: string;
  variables?: Record<string, unknown>;
  operationName?: string;
}

type Envelope = { errors?: Record<string, unknown>[]; data?: unknown };

const timeoutBody = '{"Message":"operation has timed out"}';

function send(res: ServerResponse, status: number, body: string | Buffer, contentType = 'application/json'): void {
  if (res.headersSent || res.destroyed) return;
  // Encoded once: the length and the bytes written come from the same buffer (answers run to MBs).
  const bytes = typeof body === 'string' ? Buffer.from(body) : body;
  res.writeHead(status, { 'content-type': contentType, 'content-length': bytes.length });
  res.end(bytes);
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 10 * 1024 * 1024) throw new Error('request body larger than 10 MiB');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseRequest(req: IncomingMessage, body: string, url: URL): ParsedRequest | string {
  if (req.method === 'GET') {
    const query = url.searchParams.get('query');
    if (!query) return 'no query in the URL';
    const variables = url.searchParams.get('variables');
    try {
      return {
        query,
        variables: variables ? JSON.parse(variables) : undefined,
        operationName: url.searchParams.get('operationName') ?? undefined,
      };
    } catch {
      return 'variables could not be decoded';
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'json body could not be decoded';
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as ParsedRequest).query !== 'string')
    return 'json body must be an object with a "query" string';
  const request = parsed as ParsedRequest;
  if (request.variables !== undefined && request.variables !== null && typeof request.variables !== 'object')
    return 'variables must be an object';
  return { query: request.query, variables: request.variables ?? undefined, operationName: request.operationName ?? undefined };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface SurfaceDeps {
  store: CompassStore;
  connectorCa: CertificateAuthority;
  /** Resets the TCP connection under a request's socket (the connection-reset fault); false if it cannot. */
  resetConnection?: (socket: unknown) => boolean;
}

interface Prepared {
  identity: CallIdentity;
  schema: GraphQLSchema;
  context?: ConnectorContext | DirectorContext;
  /** An answer before GraphQL runs (Director auth middleware). */
  reject?: { status: number; envelope: Envelope };
}

/** The number of each connection a request came on (CallLogEntry.connection), by its socket. */
const connectionNumbers = new WeakMap<object, number>();
let connectionsSeen = 0;

function connectionNumber(socket: object): number {
  let number = connectionNumbers.get(socket);
  if (number === undefined) connectionNumbers.set(socket, (number = ++connectionsSeen));
  return number;
}

/** The documents sent to the surfaces, parsed, validated and compiled once. */
const documents = new DocumentCache();

function tokenFrom(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers['connector-token'];
  const value = Array.isArray(header) ? header[0] : header;
  return value || url.searchParams.get('token') || undefined;
}

function prepare(surface: Surface, req: IncomingMessage, url: URL, deps: SurfaceDeps): Prepared {
  const { store } = deps;
  if (surface === 'connector') {
    const clientId = store.resolveToken(tokenFrom(req, url));
    const identity: ConnectorIdentity = clientId ? { via: 'token', clientId } : { via: 'none' };
    return {
      identity: clientId ? { kind: 'token', clientId } : { kind: 'none' },
      schema: connectorSchema(),
      context: { ...identity, store, ca: deps.connectorCa },
    };
  }
  const peer = peerCertificate(req.socket as TLSSocket);
  // Revoked or foreign-subject certificates get no identity headers upstream: unauthenticated.
  const trusted = peer && peer.subjectMatches && !store.isRevoked(peer.sha256) ? peer : undefined;
  if (surface === 'connector-mtls') {
    const caller: ConnectorIdentity = trusted
      ? { via: 'certificate', clientId: trusted.commonName, certificateSha256: trusted.sha256 }
      : { via: 'none' };
    const identity: CallIdentity = trusted
      ? { kind: 'certificate', clientId: trusted.commonName, certificateSha256: trusted.sha256 }
      : { kind: 'none' };
    return { identity, schema: connectorSchema(), context: { ...caller, store, ca: deps.connectorCa } };
  }
  const auth = trusted ? store.systemAuths.get(trusted.commonName) : undefined;
  const identity: CallIdentity =
    auth && trusted
      ? { kind: 'certificate', clientId: auth.id, certificateSha256: trusted.sha256, runtimeId: auth.runtimeId }
      : { kind: 'none' };
  if (!auth || !trusted) {
    const reason = !peer
      ? 'no client certificate'
      : store.isRevoked(peer.sha256)
        ? 'certificate revoked'
        : !peer.subjectMatches
          ? 'certificate subject not accepted'
          : 'unknown system auth';
    return {
      identity,
      schema: directorSchema(),
      reject: { status: 401, envelope: { errors: [directorErrorJson(unauthorized(reason))], data: null } },
    };
  }
  const tenantHeader = req.headers['tenant'];
  const requested = Array.isArray(tenantHeader) ? tenantHeader[0] : tenantHeader;
  if (requested !== undefined && requested !== auth.tenant) {
    return {
      identity,
      schema: directorSchema(),
      reject: { status: 400, envelope: { errors: [directorErrorJson(tenantNotFound(requested))], data: null } },
    };
  }
  const tenant = store.tenants.get(auth.tenant);
  const runtime = store.runtimes.get(auth.runtimeId);
  // The statusupdate middleware: any call by the runtime marks it CONNECTED.
  if (runtime && runtime.status.condition !== 'CONNECTED')
    runtime.status = { condition: 'CONNECTED', timestamp: store.now().toISOString() };
  return {
    identity,
    schema: directorSchema(),
    context: { store, tenant: auth.tenant, internalTenant: tenant?.internalId ?? '', consumerRuntimeId: auth.runtimeId },
  };
}

function directorErrorJson(error: DirectorError, path?: readonly (string | number)[]): Record<string, unknown> {
  return { message: error.message, ...(path ? { path } : {}), extensions: error.extensions };
}

function presentError(surface: Surface, error: GraphQLError): Record<string, unknown> {
  const path = error.path ? [...error.path] : undefined;
  if (surface !== 'director') return { message: error.message, ...(path ? { path } : {}) };
  const typed = error.originalError instanceof DirectorError ? error.originalError : maskedInternalError();
  return directorErrorJson(typed, path);
}

/** Handles one GraphQL request on a surface; never throws. Director requests are counted in flight until answered. */
export async function handleGraphql(surface: Surface, req: IncomingMessage, res: ServerResponse, deps: SurfaceDeps): Promise<void> {
  if (surface !== 'director') return handleRequest(surface, req, res, deps);
  const inFlight = deps.store.directorInFlight;
  inFlight.current++;
  inFlight.max = Math.max(inFlight.max, inFlight.current);
  try {
    await handleRequest(surface, req, res, deps);
  } finally {
    inFlight.current--;
  }
}

async function handleRequest(surface: Surface, req: IncomingMessage, res: ServerResponse, deps: SurfaceDeps): Promise<void> {
  const { store } = deps;
  const url = new URL(req.url ?? '/', 'http://sim.invalid');
  const entry: Omit<CallLogEntry, 'seq' | 'at'> = {
    surface,
    method: req.method ?? '',
    path: url.pathname,
    operations: [],
    identity: { kind: 'none' },
    headers: loggableHeaders(req.headers),
    outcome: { status: 0, errors: [] },
    faults: [],
    connection: connectionNumber(req.socket),
  };
  const finish = (status: number, envelope: Envelope | string | Buffer, contentType?: string, recordedErrors?: string[]) => {
    const text = typeof envelope === 'string' || Buffer.isBuffer(envelope);
    const body = text ? envelope : JSON.stringify(envelope);
    entry.outcome = { status, errors: recordedErrors ?? (text ? [] : (envelope.errors ?? []).map((e) => String(e.message))) };
    store.recordCall(entry);
    send(res, status, body, contentType);
  };
  try {
    if (req.method === 'OPTIONS') return finish(204, '');
    if (req.method !== 'GET' && req.method !== 'POST')
      return finish(405, { errors: [{ message: `method ${req.method} not allowed; use POST` }], data: null });
    const body = req.method === 'POST' ? await readBody(req) : '';
    const parsed = parseRequest(req, body, url);
    if (typeof parsed === 'string') return finish(400, { errors: [{ message: parsed }], data: null });
    entry.variables = loggableVariables(parsed.variables);

    const prepared = prepare(surface, req, url, deps);
    entry.identity = prepared.identity;
    let document: PreparedDocument;
    try {
      document = documents.get(prepared.schema, parsed.query, parsed.operationName);
    } catch (error) {
      return finish(422, { errors: [{ message: (error as GraphQLError).message }], data: null });
    }
    const { fields } = document;
    entry.operations = fields.map((field) => field.name);
    if (document.validationErrors.length > 0)
      return finish(422, { errors: document.validationErrors.map((e) => ({ message: e.message })), data: null });
    if (prepared.reject) return finish(prepared.reject.status, prepared.reject.envelope);

    const faults = store.faults.take(entry.operations, requestFaultKinds, surface, parsed.variables?.after);
    entry.faults = faults.map((fault) => fault.kind);
    const latency = surface === 'director' ? store.directorLatencyMs : 0;
    const delay = Math.max(latency, ...faults.filter((f) => f.kind === 'delay' || f.kind === 'timeout').map((f) => f.delayMs ?? 0));
    if (delay > 0) await sleep(delay);
    const answerFaults: readonly string[] = ['delay', 'malformed-json', 'management-info', 'http-management-info'];
    const terminal = faults.find((fault) => !answerFaults.includes(fault.kind));
    if (terminal) return applyTerminalFault(terminal, surface, fields[0]?.key, entry, req, finish, deps, tokenFrom(req, url));

    // An answer the Director gave before, for the same request, caller and data: the same bytes again.
    const cacheable =
      surface === 'director' &&
      faults.length === 0 &&
      store.faults.empty &&
      fields.length > 0 &&
      fields.every((field) => CACHED_FIELDS.has(field.name));
    const cached = cacheable ? directorAnswers(store, prepared.context as DirectorContext, parsed) : undefined;
    const again = cached?.answers.get(cached.key);
    if (again) return finish(200, again);
    const result = await document.execute(prepared.context, parsed.variables);
    const envelope: Envelope = {};
    if (result.errors?.length) envelope.errors = result.errors.map((error) => presentError(surface, error));
    envelope.data = result.data ?? null;
    const managementInfo = faults.find((fault) => fault.kind === 'management-info' || fault.kind === 'http-management-info');
    if (managementInfo) replaceManagementInfo(envelope.data, fields, managementInfo, store);
    if (faults.some((fault) => fault.kind === 'malformed-json')) {
      const text = JSON.stringify(envelope);
      return finish(200, text.slice(0, Math.max(1, Math.floor(text.length / 2))));
    }
    if (cached && !envelope.errors && store.faults.empty) {
      const bytes = Buffer.from(JSON.stringify(envelope));
      cached.answers.set(cached.key, bytes);
      return finish(200, bytes);
    }
    return finish(200, envelope);
  } catch (error) {
    // Only simulator bugs land here; the message never carries request data.
    return finish(500, { errors: [{ message: `simulator failure: ${(error as Error).message}` }], data: null });
  }
}

/** The Director answers of one store, valid while its applications and runtimes are as they were. */
const answerCaches = new WeakMap<CompassStore, { version: string; answers: Map<string, Buffer> }>();
/** Answers kept per store: a synchronization's pages (50 at 10,000 applications), twice. */
const MAX_CACHED_ANSWERS = 256;
/** Root fields of the queries whose answers are kept: the application pages of a synchronization (never a mutation). */
const CACHED_FIELDS = new Set(['applicationsForRuntime', 'runtime']);

/**
 * Where a Director answer is kept for the same request (document, variables) by the same caller: the
 * simulator's own work per page (execution and 400 KB of JSON) would otherwise bound a large
 * synchronization measured on the same machine. Keyed by everything an answer reads: the applications
 * (their revision; records are replaced on every write) and every runtime's labels (scenarios decide
 * what a runtime sees, and answers carry labels). Only faultless answers without errors are kept.
 */
function directorAnswers(
  store: CompassStore,
  context: DirectorContext,
  request: ParsedRequest,
): { answers: Map<string, Buffer>; key: string } {
  const runtimes = JSON.stringify([...store.runtimes.values()]);
  const version = `${store.applicationContentRevision} ${store.systemAuths.size} ${runtimes}`;
  let cache = answerCaches.get(store);
  if (!cache || cache.version !== version) answerCaches.set(store, (cache = { version, answers: new Map() }));
  if (cache.answers.size >= MAX_CACHED_ANSWERS) cache.answers.clear();
  const key = JSON.stringify([
    context.tenant,
    context.consumerRuntimeId,
    request.operationName ?? '',
    request.query,
    request.variables ?? null,
  ]);
  return { answers: cache.answers, key };
}

/**
 * The management-info faults: every `configuration` result in the answer gets the armed
 * managementPlaneInfo, or (http-management-info) the real URLs as plain http:// ones.
 */
function replaceManagementInfo(data: unknown, fields: RootField[], fault: ArmedFault, store: CompassStore): void {
  if (typeof data !== 'object' || data === null) return;
  const plain = (url: string) => {
    const parsed = new URL(url);
    return `${fault.httpOrigin ?? `http://${parsed.host}`}${parsed.pathname}`;
  };
  const info =
    fault.kind === 'http-management-info'
      ? { directorURL: plain(store.directorUrl), certificateSecuredConnectorURL: plain(store.certSecuredConnectorUrl) }
      : (fault.managementPlaneInfo ?? null);
  for (const field of fields) {
    const result = (data as Record<string, unknown>)[field.key];
    if (field.name !== 'configuration' || typeof result !== 'object' || result === null) continue;
    (result as Record<string, unknown>).managementPlaneInfo = info;
  }
}

function applyTerminalFault(
  fault: ArmedFault,
  surface: Surface,
  responseKey: string | undefined,
  entry: Omit<CallLogEntry, 'seq' | 'at'>,
  req: IncomingMessage,
  finish: (status: number, envelope: Envelope | string, contentType?: string, recordedErrors?: string[]) => void,
  deps: SurfaceDeps,
  token: string | undefined,
): void {
  const { store } = deps;
  switch (fault.kind) {
    case 'echo-token': {
      // A gateway that quotes what it refused: the agent must not repeat it anywhere.
      const status = fault.status ?? 401;
      const quoted = token ?? '(no token)';
      // The call log keeps its promise never to hold a token.
      const recorded = ['Failed to authenticate with one time token [echoed token]'];
      if (status === 200)
        return finish(
          200,
          {
            errors: [{ message: `Failed to authenticate with one time token ${quoted}`, path: responseKey ? [responseKey] : [] }],
            data: null,
          },
          undefined,
          recorded,
        );
      return finish(
        status,
        JSON.stringify({ error: { code: status, status: 'Unauthorized', message: `one-time token ${quoted} is not valid` } }),
        undefined,
        [],
      );
    }
    case 'tls-reject':
      entry.outcome = { status: 0, rejected: 'tls' };
      store.recordCall(entry);
      req.socket.destroy();
      return;
    case 'connection-reset':
      entry.outcome = { status: 0, rejected: 'reset' };
      store.recordCall(entry);
      if (!deps.resetConnection?.(req.socket)) req.socket.destroy();
      return;
    case 'timeout':
      return finish(503, timeoutBody, 'application/json;charset=UTF-8');
    case 'http-status': {
      const status = fault.status ?? 500;
      return finish(
        status,
        fault.body ?? JSON.stringify({ error: { code: status, status: 'Internal Server Error', message: 'injected fault' } }),
      );
    }
    default: {
      const path = responseKey ? [responseKey] : [];
      const error =
        surface === 'director'
          ? directorErrorJson(fault.message ? new DirectorError('InternalError', fault.message) : maskedInternalError(), path)
          : { message: fault.message ?? 'injected failure', path };
      return finish(200, { errors: [error], data: null });
    }
  }
}
