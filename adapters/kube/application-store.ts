// Application CRs (applicationconnector.kyma-project.io/v1alpha1, cluster-scoped) managed by this
// agent: an informer-like cache fed by watch-stream, plus create/update/delete. The cache is kept
// write-through, so a synchronisation cycle that lists right after writing sees its own writes even
// before the watch delivers them.
import { Subscription } from 'rxjs';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { apiVersionOf, clusterObjectLister, collectionPath, type ClusterResource } from './custom-objects.js';
import { isConflict, isNotFound, kubeCall, KubeError, type KubeClient } from './kube-client.js';
import { OwnWriteLedger, REMOVED } from './own-write-ledger.js';
import { watchStream, type ListFunction, type WatchProblem } from './watch-stream.js';

export const APPLICATION_RESOURCE: ClusterResource = {
  group: 'applicationconnector.kyma-project.io',
  version: 'v1alpha1',
  plural: 'applications',
  kind: 'Application',
};

export const MANAGED_BY_LABEL = 'applicationconnector.kyma-project.io/managed-by';
export const MANAGED_BY_VALUE = 'compass-runtime-agent';
export const MANAGED_SELECTOR = `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`;

export interface ApplicationObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    uid?: string;
    [key: string]: unknown;
  };
  spec: Record<string, unknown>;
  status?: Record<string, unknown>;
}

export interface ApplicationStoreOptions {
  logger?: Logger;
  /** What the store watches and caches; default MANAGED_SELECTOR, '' for every Application. */
  labelSelector?: string;
  /**
   * Which cached Applications listManaged returns (default: all of them). The caller's rule; the
   * cache still follows every watched object, so one that comes to qualify is listed at once.
   */
  include?: (app: ApplicationObject) => boolean;
  /** How long listManaged waits for the first sync before failing. Default 30 s. */
  syncTimeoutMs?: number;
  maxAttempts?: number;
  /** Passed to the watch stream (tests shorten them). */
  watch?: { watchTimeoutSeconds?: number; idleTimeoutMs?: number; backoff?: { initialMs?: number; maxMs?: number } };
  /**
   * What the cache keeps of each Application (and listManaged returns): the caller's compact
   * projection, which must keep metadata (name, labels, resourceVersion). Default: the whole object.
   */
  project?: (app: ApplicationObject) => ApplicationObject;
}

/** Serves the Application synchronisation's ApplicationPort (src/applications/ports.ts). */
export class ApplicationStore {
  private readonly logger: Logger;
  private readonly labelSelector: string;
  private readonly syncTimeoutMs: number;
  private readonly maxAttempts: number;
  private readonly list: ListFunction<ApplicationObject>;
  private readonly project: (app: ApplicationObject) => ApplicationObject;
  private readonly include: ((app: ApplicationObject) => boolean) | undefined;
  private readonly cache = new Map<string, ApplicationObject>();
  private subscription: Subscription | undefined;
  private synced = false;
  /** Counts the changes of the cache (equal counts, the same cache: cacheVersion) and which were the agent's own writes. */
  private readonly ledger = new OwnWriteLedger();
  private lastProblem: WatchProblem | undefined;
  private waiters: Array<() => void> = [];

  constructor(
    private readonly client: KubeClient,
    private readonly options: ApplicationStoreOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.labelSelector = options.labelSelector ?? MANAGED_SELECTOR;
    this.syncTimeoutMs = options.syncTimeoutMs ?? 30_000;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.list = clusterObjectLister<ApplicationObject>(client, APPLICATION_RESOURCE);
    this.project = options.project ?? ((app) => app);
    this.include = options.include;
  }

  /** Starts the list+watch; listManaged starts it on first use. */
  start(): void {
    if (this.subscription) return;
    this.subscription = watchStream<ApplicationObject>({
      kubeConfig: this.client.kubeConfig,
      rest: this.client.rest,
      path: collectionPath(APPLICATION_RESOURCE),
      labelSelector: this.labelSelector || undefined,
      list: this.list,
      logger: this.logger,
      project: this.project,
      ...this.options.watch,
    }).subscribe((event) => {
      switch (event.type) {
        case 'problem':
          this.lastProblem = event.problem;
          this.wake(); // a forbidden watch lets listManaged fall back to a direct LIST
          return;
        case 'synced':
          this.cache.clear();
          for (const [name, app] of event.cache) this.cache.set(name, app);
          this.ledger.changed();
          this.synced = true;
          this.lastProblem = undefined;
          this.wake();
          return;
        case 'deleted':
          if (this.cache.delete(event.object.metadata.name)) this.ledger.watched(event.object.metadata.name, REMOVED);
          return;
        default: {
          const { name, resourceVersion } = event.object.metadata;
          const cached = this.cache.get(name);
          if (isOlder(event.object, cached)) return;
          // The version the cache holds already (the echo of a write whose answer came first) changes
          // nothing; the watch's copy is kept all the same, since the stream's cache shares it.
          this.cache.set(name, event.object);
          if (!sameVersion(event.object, cached)) this.ledger.watched(name, resourceVersion ?? '');
        }
      }
    });
  }

  /**
   * Changes when the cache changes; the same number means listManaged returns what it returned then.
   * Undefined while listManaged does not serve from the cache.
   */
  get cacheVersion(): number | undefined {
    return this.synced ? this.ledger.changes : undefined;
  }

  /**
   * How many of the cache's changes (cacheVersion) the store's own writes made, through their answers
   * or their echoes on the watch (own-write-ledger.ts). When both grew by the same, the cache changed
   * by those writes alone.
   */
  get ownCacheChanges(): number {
    return this.ledger.own;
  }

  /** Stops the watch. */
  close(): void {
    this.subscription?.unsubscribe();
    this.subscription = undefined;
    this.synced = false;
    this.wake();
  }

  /**
   * The Applications the store watches (and `include` accepts), from the cache once the first LIST has completed. When the
   * watch is forbidden (RBAC without list/watch on the stream's terms) it lists directly; when the
   * API server cannot be reached within syncTimeoutMs it fails with the last problem seen.
   */
  async listManaged(): Promise<ApplicationObject[]> {
    this.start();
    const deadline = Date.now() + this.syncTimeoutMs;
    while (!this.synced) {
      if (this.lastProblem?.status === 403) return this.listDirectly();
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        const cause = this.lastProblem ? `: ${this.lastProblem.message}` : '';
        throw new KubeError(
          this.lastProblem?.status ?? 0,
          this.lastProblem?.reason ?? 'Timeout',
          `list Applications${this.labelSelector ? ` (${this.labelSelector})` : ''} did not complete within ${this.syncTimeoutMs} ms${cause}`,
          'list Applications',
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, remaining);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return this.included([...this.cache.values()]).sort(byName);
  }

  async create(app: ApplicationObject): Promise<ApplicationObject> {
    const { group, version, plural } = APPLICATION_RESOURCE;
    const body = { ...app, apiVersion: apiVersionOf(APPLICATION_RESOURCE), kind: APPLICATION_RESOURCE.kind };
    return await this.writing(app.metadata.name, async () => {
      const stored = await kubeCall<ApplicationObject>(`create Application ${app.metadata.name}`, () =>
        this.client.customObjects.createClusterCustomObject({ group, version, plural, body }),
      );
      this.remember(stored);
      return stored;
    });
  }

  /**
   * Replaces the Application, conditional on `app.metadata.resourceVersion` (or the latest one when
   * absent). On a conflict it re-reads and re-applies what the caller owns (labels, annotations it
   * sets, and every spec key it sets), keeping the rest of the fresh object.
   */
  async update(app: ApplicationObject): Promise<ApplicationObject> {
    return await this.writing(app.metadata.name, () => this.replace(app));
  }

  private async replace(app: ApplicationObject): Promise<ApplicationObject> {
    const name = app.metadata.name;
    let body: ApplicationObject = { ...app, apiVersion: apiVersionOf(APPLICATION_RESOURCE), kind: APPLICATION_RESOURCE.kind };
    if (!body.metadata.resourceVersion) body = overlay(await this.read(name), app);
    for (let attempt = 1; ; attempt++) {
      try {
        const { group, version, plural } = APPLICATION_RESOURCE;
        const stored = await kubeCall<ApplicationObject>(`update Application ${name}`, () =>
          this.client.customObjects.replaceClusterCustomObject({ group, version, plural, name, body }),
        );
        this.remember(stored);
        return stored;
      } catch (err) {
        if (!isConflict(err)) throw err;
        if (attempt >= this.maxAttempts) {
          throw new KubeError(
            409,
            'Conflict',
            `update Application ${name} kept conflicting with other writers after ${attempt} attempts; retry later`,
            `update Application ${name}`,
          );
        }
        this.logger.debug({ attempt }, `Application ${name} changed under us; re-applying onto a fresh read`);
        body = overlay(await this.read(name), app);
      }
    }
  }

  /** Deletes the Application; one already gone counts as deleted. */
  async delete(name: string): Promise<void> {
    const { group, version, plural } = APPLICATION_RESOURCE;
    await this.writing(name, async () => {
      let deleted = true;
      try {
        await kubeCall(`delete Application ${name}`, () =>
          this.client.customObjects.deleteClusterCustomObject({ group, version, plural, name }),
        );
      } catch (err) {
        if (!isNotFound(err)) throw err;
        deleted = false; // someone else's delete came first: not the agent's change
      }
      const removed = this.cache.delete(name);
      if (deleted) this.ledger.written(name, REMOVED, removed);
      else if (removed) this.ledger.changed();
    });
  }

  /** Runs one write of `name`, in flight for the ledger meanwhile (so that its echo on the watch is recognised). */
  private async writing<T>(name: string, write: () => Promise<T>): Promise<T> {
    this.ledger.begin(name);
    try {
      return await write();
    } finally {
      this.ledger.end(name);
    }
  }

  private async read(name: string): Promise<ApplicationObject> {
    const { group, version, plural } = APPLICATION_RESOURCE;
    return await kubeCall<ApplicationObject>(`get Application ${name}`, () =>
      this.client.customObjects.getClusterCustomObject({ group, version, plural, name }),
    );
  }

  private async listDirectly(): Promise<ApplicationObject[]> {
    const items: ApplicationObject[] = [];
    let token: string | undefined;
    do {
      const page = await this.list({ labelSelector: this.labelSelector || undefined, limit: 500, continue: token });
      items.push(...page.items);
      token = page.continue || undefined;
    } while (token);
    return this.included(items).sort(byName);
  }

  private included(apps: ApplicationObject[]): ApplicationObject[] {
    const include = this.include;
    return include ? apps.filter((app) => include(app)) : apps;
  }

  private remember(stored: ApplicationObject): void {
    if (!this.synced) return; // the first LIST will bring it
    const name = stored.metadata.name;
    if (!matchesManaged(stored, this.labelSelector)) {
      this.ledger.written(name, REMOVED, this.cache.delete(name));
      return;
    }
    const cached = this.cache.get(name);
    if (cached && isOlder(stored, cached)) return; // a newer version, someone else's, is here already
    // Written, echoed and then deleted by someone else before the answer came: it stays deleted (an
    // object made anew since would be newer, and kept above).
    if (this.ledger.removedAfter(name, stored.metadata.resourceVersion ?? '')) return;
    // The watch often delivers the write before its response arrives: keep the watch's copy then,
    // which the stream's cache shares, rather than holding two copies of the same version.
    if (sameVersion(stored, cached)) {
      this.ledger.written(name, stored.metadata.resourceVersion ?? '', false);
      return;
    }
    this.cache.set(name, this.project(stored));
    this.ledger.written(name, stored.metadata.resourceVersion ?? '', true);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** `fresh` with the caller's owned fields from `mine`, carrying fresh's resourceVersion. */
function overlay(fresh: ApplicationObject, mine: ApplicationObject): ApplicationObject {
  return {
    ...fresh,
    metadata: {
      ...fresh.metadata,
      labels: mine.metadata.labels ?? fresh.metadata.labels,
      annotations: mine.metadata.annotations ? { ...fresh.metadata.annotations, ...mine.metadata.annotations } : fresh.metadata.annotations,
      resourceVersion: fresh.metadata.resourceVersion,
    },
    spec: { ...fresh.spec, ...mine.spec },
  };
}

/** Equality selectors only (`k=v,k2=v2`), which is all this store is given. */
function matchesManaged(app: ApplicationObject, selector: string): boolean {
  return selector
    .split(',')
    .filter(Boolean)
    .every((term) => {
      const [key, value] = term.split('=');
      return app.metadata.labels?.[key.trim()] === value?.trim();
    });
}

/** Watch events can trail a write-through; resourceVersions are compared only when both are numeric. */
function isOlder(incoming: ApplicationObject, cached: ApplicationObject | undefined): boolean {
  const a = Number(incoming.metadata.resourceVersion);
  const b = Number(cached?.metadata.resourceVersion);
  return Number.isSafeInteger(a) && Number.isSafeInteger(b) && a < b;
}

/** Both name a resourceVersion, the same one: the same version of the object. */
function sameVersion(a: ApplicationObject, b: ApplicationObject | undefined): boolean {
  const version = a.metadata.resourceVersion;
  return version !== undefined && version !== '' && version === b?.metadata.resourceVersion;
}

/** Object names (DNS labels) in code-unit order: a stable order, without a locale's cost on 10,000 names. */
function byName(a: ApplicationObject, b: ApplicationObject): number {
  const x = a.metadata.name;
  const y = b.metadata.name;
  return x < y ? -1 : x > y ? 1 : 0;
}
