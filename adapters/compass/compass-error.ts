// The one error type of the Compass clients. Its message says which operation against which endpoint
// failed and why; it never carries the token, the CSR, certificates, keys or request variables.

export type CompassErrorKind =
  /** No usable HTTP answer: DNS, connect, timeout, TLS handshake (either side), socket closed. */
  | 'unreachable'
  /**
   * Compass itself refused our identity: the Connector's "Failed to authenticate…", the Director's
   * InsufficientScopes or Unauthorized. (A TLS alert refusing the client certificate is `unreachable`
   * with `tlsRejected`; a bare HTTP 401/403 from something in front of Compass is `invalid-response`.)
   */
  | 'rejected'
  /** An answer that is not the GraphQL result we asked for: non-JSON, missing fields, 5xx bodies, inconsistent pages. */
  | 'invalid-response'
  /** Other GraphQL errors; messages and Director `extensions.error_code` are kept. */
  | 'graphql'
  /** The caller's signal aborted the request (shutdown); not a Compass failure. */
  | 'aborted'
  /** A plain http:// URL while APP_ALLOW_INSECURE_COMPASS_HTTP is off: refused, nothing was sent. */
  | 'insecure-url'
  /** The agent could not build or encode the request (e.g. a header value HTTP cannot carry): nothing was sent, Compass is not to blame. */
  | 'local';

export interface CompassGraphQLError {
  message: string;
  /** Director error code (compass-api §2.6), e.g. 25 TenantNotFound. */
  errorCode?: number;
  errorName?: string;
  path?: (string | number)[];
}

export interface CompassErrorDetails {
  kind: CompassErrorKind;
  /** The GraphQL operation (root fields) or flow step, e.g. "configuration". */
  operation: string;
  /** Endpoint URL without query string. */
  endpoint: string;
  requestId?: string;
  status?: number;
  graphqlErrors?: CompassGraphQLError[];
  /** Low-level cause code, e.g. ECONNREFUSED, ECONNRESET, SELF_SIGNED_CERT_IN_CHAIN. */
  code?: string;
  /**
   * The server refused our client certificate with a TLS alert that says it is bad, unsupported,
   * unknown, expired or revoked. Never set for a reset or closed connection.
   */
  tlsRejected?: boolean;
  /** We refused the server's certificate. */
  serverUntrusted?: boolean;
  timedOut?: boolean;
}

export class CompassError extends Error {
  override readonly name = 'CompassError';
  readonly kind: CompassErrorKind;
  readonly operation: string;
  readonly endpoint: string;
  readonly requestId?: string;
  readonly status?: number;
  readonly graphqlErrors: CompassGraphQLError[];
  readonly code?: string;
  readonly tlsRejected: boolean;
  readonly serverUntrusted: boolean;
  readonly timedOut: boolean;

  constructor(message: string, details: CompassErrorDetails) {
    super(message);
    this.kind = details.kind;
    this.operation = details.operation;
    this.endpoint = details.endpoint;
    this.requestId = details.requestId;
    this.status = details.status;
    this.graphqlErrors = details.graphqlErrors ?? [];
    this.code = details.code;
    this.tlsRejected = details.tlsRejected ?? false;
    this.serverUntrusted = details.serverUntrusted ?? false;
    this.timedOut = details.timedOut ?? false;
  }

  /** The Director error code of the first GraphQL error that has one. */
  get errorCode(): number | undefined {
    return this.graphqlErrors.find((e) => e.errorCode !== undefined)?.errorCode;
  }

  /** A copy with a message prefixed by the flow step, keeping every detail. */
  withContext(step: string): CompassError {
    const copy = new CompassError(`${step}: ${this.message}`, this);
    copy.stack = this.stack;
    return copy;
  }
}

/** Endpoint for messages: the query string may carry a legacy `?token=`. */
export function describeEndpoint(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '<invalid URL>';
  }
}
