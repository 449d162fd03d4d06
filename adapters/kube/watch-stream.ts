// A list+watch that never gives up, as an RxJS Observable. client-node's informer stops for good on
// any non-410 error and has no client-side timeout (ecosystem.md §2), so this drives the watch
// requests itself (KubeRest.watch, the same protocol as client-node's Watch):
//
//   LIST (paged) → emit `synced` → WATCH from the list's resourceVersion with bookmarks
//     event            → update the cache, emit added/modified/deleted
//     BOOKMARK         → remember its resourceVersion
//     410 (HTTP or ERROR event) → relist
//     clean end        → re-watch from the last resourceVersion
//     silence > idle   → abort, emit a `problem`, re-watch
//     any other error  → emit a `problem`, wait (exponential backoff with jitter), retry
//
// Every emission carries `cache`, a read-only view of all matching objects keyed by name (by
// `namespace/name` in a watch across namespaces; see objectKeyIn) after the event was applied, so a
// consumer can act on the latest emission alone. It is the stream's own map, not a copy (copying
// 10,000 objects per event made a large sync quadratic): read it when the emission arrives, copy it to
// keep it. `synced` means "the cache was rebuilt from a fresh LIST": treat it as a full resync (objects
// that vanished while disconnected are simply absent).
// The stream never errors; it completes only when unsubscribed.
import type { KubeConfig } from '@kubernetes/client-node';
import { Observable, type Subscriber } from 'rxjs';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { toKubeError } from './kube-client.js';
import { KubeRest, type WatchRequest } from './kube-rest.js';

/** The least a watched object has; stores pass their own richer types. */
export interface KubeObject {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

export interface ListPage<T> {
  items: T[];
  resourceVersion: string;
  continue?: string;
}

/** Fetches one page of the LIST; `watch-stream` pages with `limit` and `continue`. */
export type ListFunction<T> = (query: {
  labelSelector?: string;
  fieldSelector?: string;
  limit: number;
  continue?: string;
}) => Promise<ListPage<T>>;

export type WatchProblem = {
  phase: 'list' | 'watch';
  /** HTTP status, 0 when the server was not reached or the stream went silent. */
  status: number;
  reason: string;
  message: string;
  /** Consecutive failures so far, including this one. */
  attempt: number;
  /** How long the stream waits before the next attempt. */
  retryInMs: number;
};

export type WatchEvent<T> =
  | { type: 'synced'; cache: ReadonlyMap<string, T> }
  | { type: 'added' | 'modified' | 'deleted'; object: T; cache: ReadonlyMap<string, T> }
  | { type: 'problem'; problem: WatchProblem };

export interface WatchStreamOptions<T> {
  kubeConfig: KubeConfig;
  /** The client to watch through (its keep-alive connections, user agent and guard); default one of its own on `kubeConfig`. */
  rest?: KubeRest;
  /** Collection path, e.g. `/api/v1/namespaces/kyma-system/secrets`. */
  path: string;
  list: ListFunction<T>;
  labelSelector?: string;
  fieldSelector?: string;
  /** Server-side watch duration; the server ends the stream cleanly and we re-watch. Default 300. */
  watchTimeoutSeconds?: number;
  /** Abort a watch that delivered nothing (not even a bookmark) for this long. Default watchTimeoutSeconds + 30 s. */
  idleTimeoutMs?: number;
  /** Page size of the LIST. Default 500. */
  pageSize?: number;
  backoff?: { initialMs?: number; maxMs?: number };
  /** Source of jitter in [0, 1); tests may pin it. */
  random?: () => number;
  /**
   * What the cache keeps (and emissions carry) of each listed or watched object, e.g. a compact
   * projection without fields the consumer never reads; it must keep metadata name and namespace
   * (the stream takes resourceVersion from the object as received). Default: the object as received.
   */
  project?: (object: T) => T;
  logger?: Logger;
}

/** The cache key of an object: `namespace/name`, or `name` when cluster-scoped. */
export function objectKey(object: KubeObject): string {
  const name = object.metadata?.name ?? '';
  const namespace = object.metadata?.namespace;
  return namespace ? `${namespace}/${name}` : name;
}

/** A collection path in one namespace: `/api/v1/namespaces/NS/RESOURCE` or `/apis/GROUP/VERSION/namespaces/NS/RESOURCE`. */
const ONE_NAMESPACE = /^\/(api\/[^/]+|apis\/[^/]+\/[^/]+)\/namespaces\/[^/]+\/[^/]+$/;

/**
 * How the cache of a watch on `path` keys its objects: by name where names are unique, in one
 * namespace or among cluster-scoped objects (the key is then the object's own name string, not a
 * second one per object: 25,000 Secrets, 2 MB); `objectKey` across namespaces.
 */
export function objectKeyIn(path: string): (object: KubeObject) => string {
  return ONE_NAMESPACE.test(path) ? (object) => object.metadata?.name ?? '' : objectKey;
}

/** Exponential backoff with "equal jitter": half the delay is fixed, half random. */
export function backoffDelay(attempt: number, initialMs: number, maxMs: number, random: () => number): number {
  const ceiling = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

// A watch that lasted at least this long counts as healthy even if nothing changed.
const HEALTHY_WATCH_MS = 10_000;

type WatchOutcome =
  | { kind: 'ended'; healthy: boolean }
  | { kind: 'expired' }
  | { kind: 'idle' }
  | { kind: 'failed'; status: number; reason: string; message: string };

export function watchStream<T extends KubeObject>(options: WatchStreamOptions<T>): Observable<WatchEvent<T>> {
  return new Observable<WatchEvent<T>>((subscriber) => {
    const loop = new WatchLoop(options, subscriber);
    void loop.run();
    return () => loop.close();
  });
}

class WatchLoop<T extends KubeObject> {
  private readonly rest: KubeRest;
  private readonly logger: Logger;
  private readonly watchTimeoutSeconds: number;
  private readonly idleTimeoutMs: number;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly random: () => number;
  private readonly project: (object: T) => T;
  private readonly keyOf: (object: KubeObject) => string;
  private cache = new Map<string, T>();
  private resourceVersion: string | undefined;
  private closed = false;
  private failures = 0;
  private abortCurrent: (() => void) | undefined;
  private wakeSleep: (() => void) | undefined;

  constructor(
    private readonly options: WatchStreamOptions<T>,
    private readonly subscriber: Subscriber<WatchEvent<T>>,
  ) {
    this.rest = options.rest ?? new KubeRest(options.kubeConfig);
    this.logger = (options.logger ?? silentLogger).child({ watch: options.path });
    this.watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300;
    this.idleTimeoutMs = options.idleTimeoutMs ?? (this.watchTimeoutSeconds + 30) * 1000;
    this.initialMs = options.backoff?.initialMs ?? 500;
    this.maxMs = options.backoff?.maxMs ?? 30_000;
    this.random = options.random ?? Math.random;
    this.project = options.project ?? ((object) => object);
    this.keyOf = objectKeyIn(options.path);
  }

  close(): void {
    this.closed = true;
    this.abortCurrent?.();
    this.wakeSleep?.();
  }

  async run(): Promise<void> {
    while (!this.closed) {
      if (this.resourceVersion === undefined) {
        try {
          await this.relist();
          this.failures = 0;
        } catch (err) {
          const error = toKubeError(err, `list ${this.options.path}`);
          await this.backOff('list', error.status, error.reason, error.message);
          continue;
        }
      }
      if (this.closed) return;
      const outcome = await this.watchOnce();
      if (this.closed) return;
      switch (outcome.kind) {
        case 'ended':
          if (outcome.healthy) {
            this.failures = 0;
          } else {
            // A server that closes at once must not turn this into a hot loop.
            await this.sleep(backoffDelay(++this.failures, this.initialMs, this.maxMs, this.random));
          }
          break;
        case 'expired':
          this.logger.info({ resourceVersion: this.resourceVersion }, 'watch resourceVersion expired; relisting');
          this.resourceVersion = undefined;
          break;
        case 'idle':
          this.report('watch', 0, 'Idle', `no event or bookmark for ${this.idleTimeoutMs} ms; re-watching`, 0);
          break;
        case 'failed':
          await this.backOff('watch', outcome.status, outcome.reason, outcome.message);
          break;
      }
    }
  }

  private async relist(): Promise<void> {
    const pageSize = this.options.pageSize ?? 500;
    for (let restarts = 0; ; restarts++) {
      const items: T[] = [];
      let listVersion: string | undefined;
      let token: string | undefined;
      try {
        do {
          const page = await this.options.list({
            labelSelector: this.options.labelSelector,
            fieldSelector: this.options.fieldSelector,
            limit: pageSize,
            continue: token,
          });
          listVersion ??= page.resourceVersion;
          for (const item of page.items) items.push(this.project(item));
          token = page.continue || undefined;
        } while (token && !this.closed);
      } catch (err) {
        // An expired continue token means the pages can no longer be stitched: start over once.
        if (token && restarts === 0 && toKubeError(err, 'list').status === 410) continue;
        throw err;
      }
      if (this.closed) return;
      this.cache = new Map(items.map((item) => [this.keyOf(item), item]));
      this.resourceVersion = listVersion ?? '';
      this.emit({ type: 'synced', cache: this.cache });
      return;
    }
  }

  private watchOnce(): Promise<WatchOutcome> {
    return new Promise<WatchOutcome>((resolve) => {
      const started = Date.now();
      let received = false;
      let settled = false;
      let controller: WatchRequest | undefined;
      let idleTimer: NodeJS.Timeout | undefined;

      const settle = (outcome: WatchOutcome): void => {
        if (settled) return;
        settled = true;
        clearTimeout(idleTimer);
        this.abortCurrent = undefined;
        controller?.abort();
        resolve(outcome);
      };
      const armIdleTimer = (): void => {
        clearTimeout(idleTimer);
        idleTimer = setTimeout(() => settle({ kind: 'idle' }), this.idleTimeoutMs);
      };
      this.abortCurrent = () => settle({ kind: 'ended', healthy: true });
      armIdleTimer();

      const query: Record<string, string | number | boolean> = {
        allowWatchBookmarks: true,
        timeoutSeconds: this.watchTimeoutSeconds,
        resourceVersion: this.resourceVersion ?? '',
      };
      if (this.options.labelSelector) query.labelSelector = this.options.labelSelector;
      if (this.options.fieldSelector) query.fieldSelector = this.options.fieldSelector;

      const onEvent = (type: string, object: unknown): void => {
        if (settled) return;
        received = true;
        armIdleTimer();
        const outcome = this.apply(type, object);
        if (outcome) settle(outcome);
      };
      const onDone = (err: unknown): void => {
        if (settled) return;
        if (!err) {
          settle({ kind: 'ended', healthy: received || Date.now() - started >= HEALTHY_WATCH_MS });
          return;
        }
        const error = toKubeError(err, `watch ${this.options.path}`);
        settle(
          error.status === 410
            ? { kind: 'expired' }
            : { kind: 'failed', status: error.status, reason: error.reason, message: error.message },
        );
      };

      this.rest.watch(this.options.path, query, onEvent, onDone).then(
        (ctrl) => {
          controller = ctrl;
          // The attempt may have been given up (idle, close) while the request was in flight.
          if (settled) ctrl.abort();
        },
        (err: unknown) => onDone(err ?? new Error('watch request failed')),
      );
    });
  }

  /** Applies one watch event; returns an outcome when the stream must end. */
  private apply(type: string, object: unknown): WatchOutcome | undefined {
    // The watch's JSON is taken as the watched type (a Status for ERROR): where the typed code meets the wire.
    // eslint-disable-next-line @typescript-eslint/no-unsafe-type-assertion -- the wire boundary described above
    const obj = object as T & { code?: number; reason?: string; message?: string };
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
      case 'DELETED': {
        const projected = this.project(obj);
        const key = this.keyOf(projected);
        if (type === 'DELETED') this.cache.delete(key);
        else this.cache.set(key, projected);
        this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
        const kind = type === 'ADDED' ? 'added' : type === 'MODIFIED' ? 'modified' : 'deleted';
        this.emit({ type: kind, object: projected, cache: this.cache });
        return undefined;
      }
      case 'BOOKMARK':
        this.resourceVersion = obj.metadata?.resourceVersion ?? this.resourceVersion;
        return undefined;
      case 'ERROR':
        if (obj.code === 410) return { kind: 'expired' };
        return {
          kind: 'failed',
          status: typeof obj.code === 'number' ? obj.code : 500,
          reason: obj.reason ?? 'InternalError',
          message: `watch ${this.options.path} reported an error: ${obj.message ?? 'no message'}`,
        };
      default:
        this.logger.warn({ type }, 'ignoring watch event of unknown type');
        return undefined;
    }
  }

  private async backOff(phase: 'list' | 'watch', status: number, reason: string, message: string): Promise<void> {
    const delay = backoffDelay(++this.failures, this.initialMs, this.maxMs, this.random);
    this.report(phase, status, reason, message, delay);
    await this.sleep(delay);
  }

  private report(phase: 'list' | 'watch', status: number, reason: string, message: string, retryInMs: number): void {
    const problem: WatchProblem = { phase, status, reason, message, attempt: this.failures, retryInMs };
    this.logger.warn({ problem }, `${phase} of ${this.options.path} failed; retrying in ${retryInMs} ms`);
    this.emit({ type: 'problem', problem });
  }

  private emit(event: WatchEvent<T>): void {
    if (!this.closed) this.subscriber.next(event);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      if (this.closed) return resolve();
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSleep = done;
    });
  }
}
