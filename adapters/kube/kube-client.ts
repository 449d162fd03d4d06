// One KubeConfig for the process and the API calls built on it, plus the translation of failures
// into a KubeError that carries the HTTP status and Kubernetes reason.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { KubeConfig } from '@kubernetes/client-node';
import { boundText, redactText } from '../redaction.js';
import { CoreApi, CustomObjectsApi } from './kube-apis.js';
import { KubeResponseError, KubeRest, type KubeRestOptions } from './kube-rest.js';
import { errorCode, errorMessage, isRecord } from '../unknown-values.js';

/** Where the kubelet mounts the service-account credentials inside a Pod. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

export interface KubeConfigSource {
  /** An explicit kubeconfig file; wins over everything else. */
  kubeconfigPath?: string;
  /** Environment to read KUBECONFIG / KUBERNETES_SERVICE_HOST from (default process.env). */
  env?: NodeJS.ProcessEnv;
  /** Prefix of the service-account mount (tests point it at a temp dir); default ''. */
  inClusterRoot?: string;
}

export type KubeConfigOrigin = 'file' | 'kubeconfig-env' | 'in-cluster' | 'home';

/**
 * Loads the cluster connection: an explicit file, else KUBECONFIG, else the in-cluster service
 * account (when KUBERNETES_SERVICE_HOST is set and the token is mounted), else ~/.kube/config.
 */
export function loadKubeConfig(source: KubeConfigSource = {}): { kubeConfig: KubeConfig; origin: KubeConfigOrigin } {
  const env = source.env ?? process.env;
  const kubeConfig = new KubeConfig();
  if (source.kubeconfigPath) {
    loadFile(kubeConfig, source.kubeconfigPath, 'the kubeconfig file');
    return { kubeConfig, origin: 'file' };
  }
  if (env.KUBECONFIG) {
    const file = env.KUBECONFIG.split(':').filter(Boolean)[0];
    loadFile(kubeConfig, file, 'KUBECONFIG');
    return { kubeConfig, origin: 'kubeconfig-env' };
  }
  const root = source.inClusterRoot ?? '';
  const tokenFile = `${root}${SERVICE_ACCOUNT_DIR}/token`;
  if (env.KUBERNETES_SERVICE_HOST && existsSync(tokenFile)) {
    loadInCluster(kubeConfig, env, root);
    return { kubeConfig, origin: 'in-cluster' };
  }
  // Not client-node's loadFromDefault: with nothing found it falls back to http://localhost:8080,
  // where the agent would retry for ever instead of saying that it has no cluster.
  const home = env.HOME ? join(env.HOME, '.kube', 'config') : undefined;
  if (home && existsSync(home)) {
    loadFile(kubeConfig, home, '~/.kube/config');
    return { kubeConfig, origin: 'home' };
  }
  const inCluster = env.KUBERNETES_SERVICE_HOST
    ? `KUBERNETES_SERVICE_HOST is set but no service-account token is mounted at ${tokenFile} (automountServiceAccountToken: false?)`
    : 'this is not a Pod (KUBERNETES_SERVICE_HOST is not set)';
  throw new KubeConfigError(
    `no Kubernetes configuration: KUBECONFIG is not set, ${inCluster}, and ${home ?? '~/.kube/config (HOME is not set)'} does not exist. ` +
      'Set KUBECONFIG to a kubeconfig file, or run the agent in the cluster with its ServiceAccount (kubectl apply -k deploy/).',
  );
}

/** No cluster to talk to, or a kubeconfig that cannot be read: a start-up error, not something to retry. */
export class KubeConfigError extends Error {
  override name = 'KubeConfigError';
}

function loadFile(kubeConfig: KubeConfig, file: string, source: string): void {
  try {
    kubeConfig.loadFromFile(file);
  } catch (error) {
    const code = errorCode(error);
    const reason = code ? `${code}: ${errorMessage(error)}` : boundText(redactText(errorMessage(error)), 300);
    throw new KubeConfigError(`${source} names ${file}, which cannot be ${code ? 'read' : 'used as a kubeconfig'} (${reason})`, {
      cause: error,
    });
  }
  if (!kubeConfig.getCurrentCluster()) throw new KubeConfigError(`${source} names ${file}, whose current context names no cluster`);
}

function loadInCluster(kubeConfig: KubeConfig, env: NodeJS.ProcessEnv, root: string): void {
  // loadFromCluster reads process.env; honour an injected env without leaking it globally.
  const saved = { host: process.env.KUBERNETES_SERVICE_HOST, port: process.env.KUBERNETES_SERVICE_PORT };
  process.env.KUBERNETES_SERVICE_HOST = env.KUBERNETES_SERVICE_HOST;
  process.env.KUBERNETES_SERVICE_PORT = env.KUBERNETES_SERVICE_PORT ?? '443';
  try {
    kubeConfig.loadFromCluster(root);
  } finally {
    restoreEnv('KUBERNETES_SERVICE_HOST', saved.host);
    restoreEnv('KUBERNETES_SERVICE_PORT', saved.port);
  }
}

function restoreEnv(key: string, value: string | undefined): void {
  if (value === undefined) delete process.env[key];
  else process.env[key] = value;
}

export interface KubeClient {
  kubeConfig: KubeConfig;
  rest: KubeRest;
  core: CoreApi;
  customObjects: CustomObjectsApi;
  /** The API server URL, for messages. */
  server: string;
}

export function createKubeClient(kubeConfig: KubeConfig, options: KubeRestOptions = {}): KubeClient {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('The kubeconfig has no current cluster: check its current-context');
  const rest = new KubeRest(kubeConfig, options);
  return { kubeConfig, rest, core: new CoreApi(rest), customObjects: new CustomObjectsApi(rest), server: cluster.server };
}

/** A failed Kubernetes API call: HTTP status (0 when the server was not reached) and Status reason. */
export class KubeError extends Error {
  override readonly name = 'KubeError';
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    /** What was attempted, e.g. `update Secret kyma-system/cluster-client-certificates`. */
    readonly operation: string,
  ) {
    super(message);
  }
}

/**
 * Converts whatever an API call threw into a KubeError. The message comes from the server's Status
 * (never from the raw response) and is scrubbed of anything that looks like a secret.
 */
export function toKubeError(err: unknown, operation: string): KubeError {
  if (err instanceof KubeError) return err;
  if (err instanceof KubeResponseError) {
    const status = err.statusCode;
    const parsed = parseStatus(err.body);
    const reason = parsed.reason ?? defaultReason(status);
    const detail = parsed.message ? `: ${boundText(redactText(parsed.message), 500)}` : '';
    return new KubeError(
      status,
      reason,
      `${operation} failed with HTTP ${status} ${reason}${detail}${advice(status, parsed.message)}`,
      operation,
    );
  }
  const statusCode = isRecord(err) ? err.statusCode : undefined;
  if (typeof statusCode === 'number') {
    const reason = defaultReason(statusCode);
    return new KubeError(statusCode, reason, `${operation} failed with HTTP ${statusCode} ${reason}${advice(statusCode)}`, operation);
  }
  const cause = err instanceof Error ? redactText(err.message) : String(err);
  const requestBytes = isRecord(err) ? err.requestBytes : undefined;
  if (typeof requestBytes === 'number' && requestBytes > MAX_REQUEST_BODY_BYTES) {
    // The API server stops reading a body over its limit and may close the connection before its 413 arrives.
    return new KubeError(
      413,
      'RequestEntityTooLarge',
      `${operation} failed: the request body is ${mebibytes(requestBytes)} and the API server accepts at most ${mebibytes(MAX_REQUEST_BODY_BYTES)}; it closed the connection (${cause}). The object is too large for Kubernetes: shorten it at its source`,
      operation,
    );
  }
  return new KubeError(
    0,
    'Unreachable',
    `${operation} failed before the API server answered (${cause}); check that the API server is reachable and its CA is trusted`,
    operation,
  );
}

function parseStatus(body: unknown): { reason?: string; message?: string } {
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return {};
    }
  }
  if (!value || typeof value !== 'object') return {};
  const { reason, message } = value as { reason?: unknown; message?: unknown };
  return {
    reason: typeof reason === 'string' && reason ? reason : undefined,
    message: typeof message === 'string' ? message : undefined,
  };
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function defaultReason(status: number): string {
  return REASONS[status] ?? 'Unknown';
}

/** The API server's limit on a request body (3 MiB); etcd's on a stored object is about half of it (1.5 MiB). */
export const MAX_REQUEST_BODY_BYTES = 3 * 1024 * 1024;

const mebibytes = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;

function advice(status: number, message = ''): string {
  if (status === 401) return '; the credentials in the kubeconfig or service account were rejected';
  if (status === 403) return '; grant the agent this verb in its Role/ClusterRole';
  // kube-rest.ts already waited out Retry-After and retried before this answer became the error.
  if (status === 429) return '; the API server kept throttling the agent after its retries; it tries again in the next cycle';
  if (status === 413)
    return `; the object is larger than the API server accepts (${mebibytes(MAX_REQUEST_BODY_BYTES)} per request): shorten it at its source`;
  // etcd refuses a stored object over its request limit (1.5 MiB by default); the API server passes that on as a 500.
  if (/request is too large/i.test(message)) return '; the object is larger than etcd stores (about 1.5 MiB): shorten it at its source';
  return '';
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeError && err.status === 404;
export const isConflict = (err: unknown): boolean => err instanceof KubeError && err.status === 409 && err.reason !== 'AlreadyExists';
export const isAlreadyExists = (err: unknown): boolean => err instanceof KubeError && err.status === 409 && err.reason === 'AlreadyExists';
export const isForbidden = (err: unknown): boolean => err instanceof KubeError && err.status === 403;
export const isGone = (err: unknown): boolean => err instanceof KubeError && err.status === 410;

/** Runs an API call and rethrows its failure as a KubeError. */
export async function kubeCall<T>(operation: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toKubeError(err, operation);
  }
}
