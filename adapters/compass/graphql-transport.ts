// GraphQL over HTTPS to Compass: graphql-request on a fetch over node:https with an agent of our
// own, so that the trust store and the client certificate (mutual TLS) are ours to set. Every request
// gets a fresh timeout, an x-request-id, and its failure becomes a CompassError with a secret-free
// message.
import { createHash, hash, randomUUID } from 'node:crypto';
import { ClientError, GraphQLClient } from 'graphql-request';
import { FetchHeaders } from './fetch-headers.js';
import type { FetchAnswer } from './fetch-answer.js';
import { createHttpsFetch, describeLocalFailure, LocalRequestError, type HttpsFetch } from './https-fetch.js';
import { secureContextFor } from './tls-context.js';
import { boundText, redact, redactText } from '../redaction.js';
import { CompassError, describeEndpoint, type CompassGraphQLError } from './compass-error.js';
import { isPlainHttp, requireSecureUrl } from './endpoint-policy.js';
import { describeNetworkFailure } from './network-failure.js';
import { requestDeadline } from './request-deadline.js';
import { errorMessage, isRecord } from '../unknown-values.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
/** Longest piece of an upstream answer (one GraphQL error message, a non-GraphQL body) kept in an error. */
export const MAX_UPSTREAM_TEXT = 300;
/** Longest summary of all GraphQL errors of one answer. */
export const MAX_UPSTREAM_SUMMARY = 1000;

/** The digest of each parsed answer's text, by its `data` object (requestWithDigest). */
const answerDigests = new WeakMap<object, string>();

/** Stands for the `data` of an answer whose digest the caller listed as known: its text was not parsed. */
class KnownAnswer {
  constructor(readonly digest: string) {}
}

/**
 * The body graphql-request gets instead of a known answer (https-fetch substituteBody): a JSON text
 * cannot start with NUL, so no server answer reads as one. What follows is the digest.
 */
const KNOWN_ANSWER_BODY = '\u0000known answer ';

/** The digest of a text as requestWithDigest gives it: sha256 of its UTF-8 bytes, base64. */
function digestOf(chunks: readonly (Buffer | string)[]): string {
  if (chunks.length === 1) return hash('sha256', chunks[0], 'base64');
  const digest = createHash('sha256');
  for (const chunk of chunks) digest.update(chunk);
  return digest.digest('base64');
}

/**
 * graphql-request reads `status`, `ok`, `headers` (get) and `text()` of an answer, nothing else of a
 * Response: a FetchAnswer (https-fetch) serves as one.
 */
function readableByGraphQLRequest(answer: FetchAnswer): answer is FetchAnswer & Response {
  return (
    typeof answer.status === 'number' &&
    typeof answer.ok === 'boolean' &&
    typeof answer.headers.get === 'function' &&
    typeof answer.text === 'function'
  );
}

/** What requestWithDigest gives: the data and the digest of the answer's text, or only the digest of a known one. */
export type DigestedAnswer<T> = { data: T; digest: string | undefined; known?: undefined } | { known: string };

export interface ClientCertificate {
  /** PKCS#1 or PKCS#8 PEM. */
  keyPem: string;
  /** Client certificate followed by its chain, as the Connector returned it (Secret key `crtChain`). */
  certificateChainPem: string;
}

export interface GraphQLTransportOptions {
  url: string;
  /** Extra trust anchors (PEM) on top of the system roots and NODE_EXTRA_CA_CERTS. */
  caPem?: string;
  /** Presented in the TLS handshake (certificate-secured Connector, Director). */
  clientCertificate?: ClientCertificate;
  /** APP_SKIP_COMPASS_TLS_VERIFY: do not verify the server certificate. Off unless asked for. */
  insecureSkipVerify?: boolean;
  /** APP_ALLOW_INSECURE_COMPASS_HTTP: accept an http:// `url`. Off: such a URL is refused before anything is sent. */
  allowPlainHttp?: boolean;
  /** Where `url` came from, for the refusal of an http:// URL (e.g. "CONNECTOR_URL of Secret kyma-system/x"). */
  urlSource?: string;
  /** Told about every new connection made without verified TLS (skipped verification or plain http). */
  onInsecureConnection?: (warning: string) => void;
  /** Per request; default 30 s like the Go agent. */
  timeoutMs?: number;
  /** Makes x-request-id `<runtimeId>_<uuid>`. */
  runtimeId?: string;
  /** Sent with every request (e.g. `Tenant`). */
  headers?: Record<string, string>;
  /** APP_QUERY_LOGGING: told about every request once it ended (see OperationRecord: nothing secret). */
  onOperation?: (record: OperationRecord) => void;
}

/**
 * One GraphQL request as APP_QUERY_LOGGING logs it. Variables are redacted (by key, pattern and the
 * agent's known secrets) and cut; headers are not recorded at all, so the Connector-Token header
 * never appears.
 */
export interface OperationRecord {
  /** The operation's root fields, e.g. "configuration", "runtime, applicationsForRuntime". */
  operation: string;
  endpoint: string;
  requestId: string;
  variables: Record<string, unknown>;
  durationMs: number;
  /** The HTTP status of the answer; undefined when none came (network, TLS, timeout, nothing sent). */
  status: number | undefined;
  outcome: 'ok' | 'failed';
  /** CompassError kind of a failure. */
  error?: string;
}

/** Longest variable value an OperationRecord keeps. */
const MAX_LOGGED_VARIABLE = 200;

function loggedVariables(variables: Record<string, unknown>): Record<string, unknown> {
  const bound = (value: unknown): unknown => {
    if (typeof value === 'string') return boundText(value, MAX_LOGGED_VARIABLE);
    if (Array.isArray(value)) return value.map(bound);
    if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bound(v)]));
    return value;
  };
  return Object.fromEntries(Object.entries(redact(variables)).map(([k, v]) => [k, bound(v)]));
}

export interface RequestOptions {
  /** Names the operation in errors, e.g. "configuration". */
  operation: string;
  headers?: Record<string, string>;
  /** The caller's cancellation (shutdown); combined with the per-request timeout. */
  signal?: AbortSignal;
  /**
   * The request changes nothing at Compass (a query over mutual TLS; not one that spends a one-time
   * token): it may be sent again when the kept-alive connection it went out on turns out closed.
   */
  resendable?: boolean;
}

/** Connector (gqlgen, no extensions) authentication failures start like this (compass-api §1.7). */
const AUTHENTICATION_MESSAGE = /^Failed to authenticate/;
/** Director codes that mean "not allowed" rather than "something broke": InsufficientScopes, Unauthorized. */
const REJECTION_CODES = new Set([23, 26]);

export class GraphQLTransport {
  readonly url: string;
  readonly endpoint: string;
  /** APP_ALLOW_INSECURE_COMPASS_HTTP, for the URLs this endpoint's answers name. */
  readonly allowPlainHttp: boolean;
  private readonly transport: HttpsFetch;
  private readonly client: GraphQLClient;
  private readonly timeoutMs: number;
  private readonly runtimeId?: string;
  private readonly hasClientCertificate: boolean;
  private readonly onOperation?: (record: OperationRecord) => void;
  private closed = false;
  /** x-request-ids of the requests in flight that were handed to the network layer. */
  private readonly dispatched = new Set<string>();
  /** x-request-ids of the requests in flight that may be sent again (RequestOptions.resendable). */
  private readonly resendable = new Set<string>();
  /**
   * Digests of answers whose content the caller already holds: an answer with one of them is not
   * parsed, and requestWithDigest reports it as known. Set by the one caller of this transport for
   * the duration of a series of requests.
   */
  knownAnswers: ReadonlySet<string> = new Set();

  constructor(options: GraphQLTransportOptions) {
    let parsed: URL;
    try {
      parsed = new URL(options.url);
    } catch {
      throw new TypeError(
        `The Compass endpoint URL ${JSON.stringify(describeEndpoint(options.url))} is not a valid URL (${options.urlSource ?? 'a Compass endpoint'}); check CONNECTOR_URL in the configuration Secret and the URLs the Connector returned.`,
      );
    }
    if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
      throw new TypeError(`The Compass endpoint ${describeEndpoint(options.url)} must be an https URL.`);
    }
    requireSecureUrl(options.url, options.urlSource ?? 'a Compass endpoint', options);
    this.url = options.url;
    this.allowPlainHttp = options.allowPlainHttp ?? false;
    this.endpoint = describeEndpoint(options.url);
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.runtimeId = options.runtimeId;
    this.hasClientCertificate = options.clientCertificate !== undefined;
    this.onOperation = options.onOperation;
    let secureContext;
    try {
      secureContext = secureContextFor({ caPem: options.caPem, ...options.clientCertificate });
    } catch (error) {
      throw new TypeError(
        `The TLS material for ${this.endpoint} cannot be used (${redactText(errorMessage(error))}); check the CA and the client certificate and key.`,
      );
    }
    const weakness = isPlainHttp(options.url)
      ? 'plain http, unencrypted'
      : options.insecureSkipVerify
        ? 'the server certificate is not verified (APP_SKIP_COMPASS_TLS_VERIFY)'
        : undefined;
    const warn = options.onInsecureConnection;
    this.transport = createHttpsFetch(
      { rejectUnauthorized: !options.insecureSkipVerify, secureContext },
      {
        substituteBody: (chunks) => this.knownAnswerBody(chunks),
        mayResend: (init) => this.resendable.has(new FetchHeaders(init.headers).get('x-request-id') ?? ''),
        ...(weakness && warn ? { onNewConnection: () => warn(`insecure connection to Compass ${this.endpoint}: ${weakness}`) } : {}),
      },
    );
    const jsonSerializer = { stringify: JSON.stringify, parse: (text: string) => this.parseAnswer(text) };
    // Notes which requests reached the network layer: a failure before that is the agent's, not Compass's.
    const fetch: typeof globalThis.fetch = async (input, init) => {
      let requestId: string | null;
      try {
        requestId = new FetchHeaders(init?.headers).get('x-request-id');
      } catch (error) {
        throw describeLocalFailure(error);
      }
      if (requestId) this.dispatched.add(requestId);
      const answer = await this.transport.fetch(input, init);
      if (!readableByGraphQLRequest(answer)) throw new TypeError('fetch failed: an answer graphql-request cannot read');
      return answer;
    };
    // excludeOperationName: the body carries the query and its variables only, as the Go agent's client
    // sends it; naming the operation would mean parsing every document again for each request.
    this.client = new GraphQLClient(options.url, {
      headers: { ...options.headers },
      errorPolicy: 'all',
      fetch,
      jsonSerializer,
      excludeOperationName: true,
    });
  }

  /** Sends `document` with `variables` (never interpolated) and returns `data`, or throws CompassError. */
  async request<T>(document: string, variables: Record<string, unknown>, options: RequestOptions): Promise<T> {
    const data = await this.send<T | KnownAnswer>(document, variables, options);
    if (data instanceof KnownAnswer)
      throw new Error(
        `The answer to ${options.operation} matched a known answer; only requestWithDigest may be used while knownAnswers is set.`,
      );
    return data;
  }

  private async send<T>(document: string, variables: Record<string, unknown>, options: RequestOptions): Promise<T> {
    if (this.closed) throw new Error(`The Compass client for ${this.endpoint} is closed; create a new one.`);
    const requestId = this.runtimeId ? `${this.runtimeId}_${randomUUID()}` : randomUUID();
    if (!this.onOperation) return (await this.exchange<T>(document, variables, options, requestId)).data;
    const started = performance.now();
    const record = (outcome: OperationRecord['outcome'], status: number | undefined, error?: string) => {
      const durationMs = Math.round((performance.now() - started) * 10) / 10;
      this.onOperation!({
        operation: options.operation,
        endpoint: this.endpoint,
        requestId,
        variables: loggedVariables(variables),
        durationMs,
        status,
        outcome,
        ...(error ? { error } : {}),
      });
    };
    let answer: { data: T; status: number };
    try {
      answer = await this.exchange<T>(document, variables, options, requestId);
    } catch (error) {
      const failure = error instanceof CompassError ? error : undefined;
      record('failed', failure?.status, failure?.kind ?? 'internal');
      throw error;
    }
    record('ok', answer.status);
    return answer.data;
  }

  /** One request and its answer; throws CompassError. */
  private async exchange<T>(
    document: string,
    variables: Record<string, unknown>,
    options: RequestOptions,
    requestId: string,
  ): Promise<{ data: T; status: number }> {
    const deadline = requestDeadline(this.timeoutMs, options.signal);
    const context = { operation: options.operation, endpoint: this.endpoint, requestId };
    if (options.resendable) this.resendable.add(requestId);
    let response;
    try {
      response = await this.client.rawRequest<T>({
        query: document,
        variables,
        requestHeaders: { ...options.headers, 'x-request-id': requestId },
        signal: deadline.signal,
      });
    } catch (error) {
      throw this.classify(error, context, deadline.timedOut, options.signal, this.dispatched.has(requestId));
    } finally {
      deadline.clear();
      this.dispatched.delete(requestId);
      this.resendable.delete(requestId);
    }
    const errors = (response as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0) {
      throw graphqlFailure(toGraphQLErrors(errors), response.status, context);
    }
    if (response.data === undefined || response.data === null || typeof response.data !== 'object') {
      throw new CompassError(
        `${prefix(context)}: the answer (HTTP ${response.status}) has no GraphQL data. Check that ${this.endpoint} is a Compass GraphQL endpoint.`,
        {
          ...context,
          kind: 'invalid-response',
          status: response.status,
        },
      );
    }
    return { data: response.data, status: response.status };
  }

  /**
   * `request`, with the digest of the exact text of the answer: equal digests mean equal answers.
   * An answer whose digest is in `knownAnswers` comes back as `{ known: digest }`, unparsed.
   */
  async requestWithDigest<T extends object>(
    document: string,
    variables: Record<string, unknown>,
    options: RequestOptions,
  ): Promise<DigestedAnswer<T>> {
    const data = await this.send<T | KnownAnswer>(document, variables, options);
    if (data instanceof KnownAnswer) return { known: data.digest };
    return { data, digest: answerDigests.get(data) };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.transport.close();
  }

  /** A known answer's body is replaced before it is ever joined or decoded: 10,000 applications are 20 MB of text per fetch. */
  private knownAnswerBody(chunks: readonly Buffer[]): string | undefined {
    if (this.knownAnswers.size === 0) return undefined;
    const digest = digestOf(chunks);
    return this.knownAnswers.has(digest) ? KNOWN_ANSWER_BODY + digest : undefined;
  }

  /** graphql-request's JSON reader: notes the digest of each answer it parses; a known answer is not parsed. */
  private parseAnswer(text: string): unknown {
    if (text.startsWith(KNOWN_ANSWER_BODY)) return { data: new KnownAnswer(text.slice(KNOWN_ANSWER_BODY.length)) };
    const digest = digestOf([text]);
    const value: unknown = JSON.parse(text);
    const data = isRecord(value) ? value.data : undefined;
    if (typeof data === 'object' && data !== null) answerDigests.set(data, digest);
    return value;
  }

  private classify(
    error: unknown,
    context: Context,
    timedOut: boolean,
    callerSignal: AbortSignal | undefined,
    dispatched: boolean,
  ): CompassError {
    if (error instanceof CompassError) return error;
    if (error instanceof LocalRequestError || (!dispatched && !(error instanceof ClientError) && !callerSignal?.aborted && !timedOut)) {
      const local = describeLocalFailure(error);
      return new CompassError(
        `${prefix(context)}: the agent could not encode the request (${local.message}, ${local.code}), so nothing was sent and Compass is not to blame. Check the values in the configuration Secret (TOKEN, TENANT, RUNTIME_ID) for characters such as line breaks.`,
        { ...context, kind: 'local', code: local.code },
      );
    }
    if (error instanceof ClientError) {
      const status = error.response.status;
      const errors = Array.isArray(error.response.errors) ? toGraphQLErrors(error.response.errors) : [];
      if (errors.length > 0) return graphqlFailure(errors, status, context);
      if (status === 401 || status === 403) {
        // Not Compass's own answer (the Connector answers with a GraphQL error): something in front of it refused.
        return new CompassError(
          `${prefix(context)}: HTTP ${status}, Compass refused the credentials. ${describeBody(error.response.body)}`.trim(),
          { ...context, kind: 'invalid-response', status },
        );
      }
      return new CompassError(
        `${prefix(context)}: HTTP ${status} without a GraphQL answer. ${describeBody(error.response.body)} Retry later; if it persists, check the Compass gateway.`,
        {
          ...context,
          kind: 'invalid-response',
          status,
        },
      );
    }
    const name = isRecord(error) ? error.name : undefined;
    if (callerSignal?.aborted && !timedOut) {
      return new CompassError(`${prefix(context)}: cancelled by the agent.`, { ...context, kind: 'aborted' });
    }
    if (timedOut || name === 'TimeoutError') {
      return new CompassError(`${prefix(context)}: no answer within ${this.timeoutMs} ms. Check the network path to ${this.endpoint}.`, {
        ...context,
        kind: 'unreachable',
        timedOut: true,
      });
    }
    const cause = isRecord(error) && isRecord(error.cause) ? error.cause : undefined;
    if (error instanceof TypeError && cause !== undefined) {
      const failure = describeNetworkFailure(cause);
      const { code } = failure;
      switch (failure.kind) {
        case 'server-untrusted':
          return new CompassError(
            `${prefix(context)}: the server certificate of ${this.endpoint} is not trusted (${code}). Add its CA through NODE_EXTRA_CA_CERTS, or set APP_SKIP_COMPASS_TLS_VERIFY=true only if you accept an unverified connection.`,
            { ...context, kind: 'unreachable', code, serverUntrusted: true },
          );
        case 'certificate-refused':
          if (this.hasClientCertificate) {
            return new CompassError(
              `${prefix(context)}: the server refused our client certificate in the TLS handshake (alert "${failure.alert}", ${code}). The certificate may be expired, revoked or from another CA; a new connection with a fresh token is needed.`,
              { ...context, kind: 'unreachable', code, tlsRejected: true },
            );
          }
          return new CompassError(
            `${prefix(context)}: the TLS handshake with ${this.endpoint} failed with the alert "${failure.alert}" (${code}), although no client certificate was presented. Check the URL.`,
            {
              ...context,
              kind: 'unreachable',
              code,
            },
          );
        case 'tls-alert': {
          const hint =
            failure.alert === 'certificate required'
              ? ' The endpoint requires a client certificate.'
              : ' Retried; if it persists, check the TLS settings of the endpoint.';
          return new CompassError(
            `${prefix(context)}: the TLS handshake with ${this.endpoint} failed with the alert "${failure.alert}" (${code}).${hint}`,
            { ...context, kind: 'unreachable', code },
          );
        }
        case 'closed':
          // No alert, no answer: a network failure. A refused certificate is announced by an alert or the Connector's error.
          return new CompassError(
            `${prefix(context)}: the server closed the connection (${code}) without an answer or a TLS alert; taken as a network failure and retried.`,
            {
              ...context,
              kind: 'unreachable',
              code,
            },
          );
        default:
          return new CompassError(
            `${prefix(context)}: ${this.endpoint} cannot be reached (${code}: ${redactText(typeof cause.message === 'string' ? cause.message : 'no detail')}). Check the URL and the network.`,
            {
              ...context,
              kind: 'unreachable',
              code,
            },
          );
      }
    }
    // graphql-request throws a plain Error when a 2xx body is not a GraphQL result.
    return new CompassError(
      `${prefix(context)}: the answer is not a GraphQL result (${boundText(redactText(errorMessage(error)), 200)}).`,
      {
        ...context,
        kind: 'invalid-response',
      },
    );
  }
}

interface Context {
  operation: string;
  endpoint: string;
  requestId: string;
}

function prefix(context: Context): string {
  return `Compass ${context.operation} at ${context.endpoint} failed (x-request-id ${context.requestId})`;
}

function graphqlFailure(errors: CompassGraphQLError[], status: number, context: Context): CompassError {
  // Compass's own word only: the Connector's authentication error, the Director's refusal codes.
  const rejected = errors.some(
    (e) => AUTHENTICATION_MESSAGE.test(e.message) || (e.errorCode !== undefined && REJECTION_CODES.has(e.errorCode)),
  );
  const summary = boundText(
    errors.map((e) => (e.errorCode !== undefined ? `${e.message} (error_code ${e.errorCode})` : e.message)).join('; '),
    MAX_UPSTREAM_SUMMARY,
  );
  const advice = rejected ? ' Compass does not accept our token or certificate.' : '';
  return new CompassError(`${prefix(context)}: HTTP ${status}, ${summary}.${advice}`, {
    ...context,
    kind: rejected ? 'rejected' : 'graphql',
    status,
    graphqlErrors: errors,
  });
}

function toGraphQLErrors(errors: unknown[]): CompassGraphQLError[] {
  return errors.map((raw) => {
    const error = (raw ?? {}) as { message?: unknown; path?: unknown; extensions?: { error_code?: unknown; error?: unknown } };
    const text = typeof error.message === 'string' ? error.message : JSON.stringify(error.message ?? 'no message');
    const result: CompassGraphQLError = { message: boundText(redactText(text), MAX_UPSTREAM_TEXT) };
    if (typeof error.extensions?.error_code === 'number') result.errorCode = error.extensions.error_code;
    if (typeof error.extensions?.error === 'string') result.errorName = error.extensions.error;
    if (isGraphQLPath(error.path)) result.path = error.path;
    return result;
  });
}

function describeBody(body: unknown): string {
  if (typeof body !== 'string' || body.trim() === '') return 'Empty body.';
  // Redacted before it is cut, so that a cut cannot leave the start of a secret the patterns no longer recognise.
  const text = redactText(body.trim()).replace(/\s+/g, ' ');
  return `Body: ${boundText(text, MAX_UPSTREAM_TEXT)}.`;
}

/** A GraphQL error's path: the field names and list indices that lead to the failed field. */
function isGraphQLPath(value: unknown): value is (string | number)[] {
  return Array.isArray(value) && value.every((step) => typeof step === 'string' || typeof step === 'number');
}
