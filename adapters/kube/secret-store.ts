// Secrets through direct GETs and conditional updates. The Go agent's Role grants get/create/update/
// delete on Secrets but not list/watch (reference-agent.md §1.5), so nothing here needs more than
// that, except `observeSecret`, which watches when allowed and falls back to polling GETs on 403, and
// `watchSecrets`, a label watch whose 403 the caller handles.
//
// Two data conventions, chosen per caller:
// - SecretObject (get/create/replace): the wire shape, `data` values base64, for the Application
//   credential Secrets that the conversion code builds as whole objects.
// - SecretData (getData/upsertMerge/observeSecret): decoded UTF-8 strings, for the agent's own
//   certificate Secrets whose values are PEM text.
import { distinctUntilChanged, map, Observable } from 'rxjs';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { isAlreadyExists, isConflict, isNotFound, kubeCall, KubeError, type KubeClient } from './kube-client.js';
import { watchStream, type WatchEvent } from './watch-stream.js';
import { errorMessage } from '../unknown-values.js';

export interface SecretObject {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<{ apiVersion: string; kind: string; name: string; uid: string; [key: string]: unknown }>;
    resourceVersion?: string;
    uid?: string;
    [key: string]: unknown;
  };
  type?: string;
  /** base64 values, as on the wire. */
  data?: Record<string, string>;
}

/** Decoded Secret values (UTF-8). */
export type SecretData = Record<string, string>;

export interface ObserveSecretOptions {
  pollMs: number;
  /** 'poll' polls from the start; 'auto' (the default) watches and polls only where that is forbidden. */
  mode?: 'auto' | 'poll';
}

/** A Secret as followSecret last saw it, and whether that is still the API server's word. */
export interface SecretObservation {
  /** Decoded data, null while the Secret does not exist. */
  data: SecretData | null;
  /** false once the watch or poll failed, until its next answer. */
  current: boolean;
}

export interface SecretStoreOptions {
  logger?: Logger;
  /** Attempts of a read-modify-write before giving up on repeated conflicts. Default 5. */
  maxAttempts?: number;
}

export const encodeSecretData = (data: SecretData): Record<string, string> =>
  Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));

export const decodeSecretData = (data: Record<string, string> | undefined): SecretData =>
  Object.fromEntries(Object.entries(data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]));

/** Serves the Application synchronisation's SecretPort (src/applications/ports.ts) and the agent's own Secrets. */
export class SecretStore {
  private readonly logger: Logger;
  private readonly maxAttempts: number;

  constructor(
    private readonly client: KubeClient,
    options: SecretStoreOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.maxAttempts = options.maxAttempts ?? 5;
  }

  async get(namespace: string, name: string): Promise<SecretObject | null> {
    try {
      const secret = await kubeCall(`get Secret ${namespace}/${name}`, () =>
        this.client.core.readNamespacedSecret<SecretObject>({ namespace, name }),
      );
      return withKind(secret);
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /** The decoded values of a Secret, or null when it does not exist. */
  async getData(namespace: string, name: string): Promise<SecretData | null> {
    const secret = await this.get(namespace, name);
    return secret ? decodeSecretData(secret.data) : null;
  }

  async create(secret: SecretObject): Promise<void> {
    const { namespace, name } = secret.metadata;
    await kubeCall(`create Secret ${namespace}/${name}`, () =>
      this.client.core.createNamespacedSecret({ namespace, body: withKind(secret) }),
    );
  }

  /**
   * Makes the Secret exactly `secret` (labels, annotations, owners, type, data): creates it when
   * missing, otherwise updates it conditionally on the resourceVersion just read, retrying conflicts.
   */
  async replace(secret: SecretObject): Promise<void> {
    const { namespace, name } = secret.metadata;
    await this.readModifyWrite(namespace, name, (current) => {
      if (!current) return withKind(secret);
      const desired = withKind({ ...secret, metadata: { ...secret.metadata, resourceVersion: current.metadata.resourceVersion } });
      return sameContent(current, desired) ? undefined : desired;
    });
  }

  /**
   * Overlays `data` (decoded strings) onto the Secret: other keys, labels, annotations, type and
   * owner references are kept. Creates an Opaque Secret when missing. Skips the write when every
   * key already holds the given value.
   */
  async upsertMerge(namespace: string, name: string, data: SecretData): Promise<void> {
    const encoded = encodeSecretData(data);
    await this.readModifyWrite(namespace, name, (current) => {
      if (!current) return withKind({ metadata: { name, namespace }, type: 'Opaque', data: encoded });
      const merged = { ...(current.data ?? {}), ...encoded };
      if (Object.entries(encoded).every(([k, v]) => current.data?.[k] === v)) return undefined;
      return { ...current, data: merged };
    });
  }

  /**
   * Replaces the Secret with `secret` in one PUT, conditional on `secret.metadata.resourceVersion`
   * (required): when the Secret changed since that version was read, the API server answers 409
   * Conflict and nothing is written. For callers that decided on the write from what they read.
   */
  async update(secret: SecretObject): Promise<void> {
    const { namespace, name, resourceVersion } = secret.metadata;
    if (!resourceVersion) throw new Error(`update Secret ${namespace}/${name}: the resourceVersion it was read at is required`);
    await kubeCall(`update Secret ${namespace}/${name}`, () =>
      this.client.core.replaceNamespacedSecret({ namespace, name, body: withKind(secret) }),
    );
  }

  /**
   * Deletes the Secret; a Secret that is already gone counts as deleted. With `preconditions` the API
   * server deletes it only if it still has that uid and resourceVersion (409 Conflict otherwise).
   */
  async delete(namespace: string, name: string, preconditions?: { uid?: string; resourceVersion?: string }): Promise<void> {
    try {
      await kubeCall(`delete Secret ${namespace}/${name}`, () =>
        this.client.core.deleteNamespacedSecret({
          namespace,
          name,
          ...(preconditions ? { body: { apiVersion: 'v1', kind: 'DeleteOptions', preconditions } } : {}),
        }),
      );
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
  }

  /**
   * Emits the Secret's decoded data, or null while it does not exist, whenever it changes. Watches
   * with `fieldSelector=metadata.name=<name>`; when list/watch is forbidden (the agent's RBAC grants
   * only get) it polls with GETs every `pollMs`. Never errors; failures are logged and retried.
   */
  observeSecret(namespace: string, name: string, options: ObserveSecretOptions): Observable<SecretData | null> {
    // A delivery that is no longer current carries the data object delivered last: it is dropped as unchanged.
    return this.followSecret(namespace, name, options).pipe(
      map((observed) => observed.data),
      distinctUntilChanged(),
    );
  }

  /**
   * observeSecret with what the stream knows about itself: `current: false` once its watch or poll
   * failed, until the next answer (the data is then the last delivered). Emits on every change of
   * either; equal data keeps its object, so a consumer can compare deliveries by reference.
   */
  followSecret(namespace: string, name: string, options: ObserveSecretOptions): Observable<SecretObservation> {
    return new Observable<SecretObservation>((subscriber) => {
      let last: { fingerprint: string; data: SecretData | null } | undefined;
      let current = false;
      let stopped = false;
      let pollTimer: NodeJS.Timeout | undefined;
      const publish = (data: SecretData | null): void => {
        const fingerprint = data === null ? 'null' : JSON.stringify(Object.entries(data).sort(byKey));
        if (fingerprint === last?.fingerprint && current) return;
        if (fingerprint !== last?.fingerprint) last = { fingerprint, data };
        current = true;
        subscriber.next({ data: last.data, current });
      };
      const stale = (): void => {
        if (!current || !last) return;
        current = false;
        subscriber.next({ data: last.data, current });
      };
      const poll = async (): Promise<void> => {
        if (stopped) return;
        try {
          publish(await this.getData(namespace, name));
        } catch (err) {
          this.logger.warn({ err: errorMessage(err) }, `polling Secret ${namespace}/${name} failed; retrying`);
          stale();
        }
        if (!stopped) pollTimer = setTimeout(() => void poll(), options.pollMs);
      };

      if (options.mode === 'poll') {
        void poll();
      } else {
        const watching = watchStream<SecretObject>({
          kubeConfig: this.client.kubeConfig,
          rest: this.client.rest,
          path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`,
          fieldSelector: `metadata.name=${name}`,
          list: async (query) => {
            const list = await kubeCall(`list Secrets in ${namespace}`, () =>
              this.client.core.listNamespacedSecret<SecretObject>({
                namespace,
                fieldSelector: query.fieldSelector,
                limit: query.limit,
                _continue: query.continue,
              }),
            );
            return {
              items: list.items.map(withKind),
              resourceVersion: list.metadata?.resourceVersion ?? '',
              continue: list.metadata?.continue,
            };
          },
          logger: this.logger,
        }).subscribe((event) => {
          if (event.type === 'problem') {
            if (event.problem.status === 403) {
              this.logger.info(
                `list/watch of Secrets in ${namespace} is forbidden; polling ${namespace}/${name} every ${options.pollMs} ms instead`,
              );
              watching.unsubscribe();
              void poll();
            } else {
              stale();
            }
            return;
          }
          const secret = event.cache.get(name);
          publish(secret ? decodeSecretData(secret.data) : null);
        });
        return () => {
          stopped = true;
          clearTimeout(pollTimer);
          watching.unsubscribe();
        };
      }
      return () => {
        stopped = true;
        clearTimeout(pollTimer);
      };
    });
  }

  /**
   * list+watch of the Secrets in `namespace` that match `labelSelector`, each cached as `project`
   * makes it: a caller that only compares content drops `data` there, so no Secret value stays in
   * memory. Needs list and watch on Secrets in that namespace; without them the stream emits a
   * `problem` with status 403 (and keeps retrying until unsubscribed).
   */
  watchSecrets(
    namespace: string,
    labelSelector: string,
    project: (secret: SecretObject) => SecretObject,
  ): Observable<WatchEvent<SecretObject>> {
    return watchStream<SecretObject>({
      kubeConfig: this.client.kubeConfig,
      rest: this.client.rest,
      path: `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`,
      labelSelector,
      list: async (query) => {
        const list = await kubeCall(`list Secrets (${labelSelector}) in ${namespace}`, () =>
          this.client.core.listNamespacedSecret<SecretObject>({
            namespace,
            labelSelector: query.labelSelector,
            limit: query.limit,
            _continue: query.continue,
          }),
        );
        return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '', continue: list.metadata?.continue };
      },
      project,
      logger: this.logger,
    });
  }

  /**
   * GET, let `change` compute the desired object (undefined = nothing to write), then create or
   * update conditionally; conflicts and create/delete races start over with a fresh read.
   */
  private async readModifyWrite(
    namespace: string,
    name: string,
    change: (current: SecretObject | null) => SecretObject | undefined,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(namespace, name);
      const desired = change(current);
      if (!desired) return;
      try {
        if (!current) {
          await this.create(desired);
        } else {
          await kubeCall(`update Secret ${namespace}/${name}`, () =>
            this.client.core.replaceNamespacedSecret({ namespace, name, body: desired }),
          );
        }
        return;
      } catch (err) {
        const raced = isConflict(err) || isAlreadyExists(err) || (current !== null && isNotFound(err));
        if (!raced) throw err;
        if (attempt >= this.maxAttempts) {
          throw new KubeError(
            409,
            'Conflict',
            `update Secret ${namespace}/${name} kept conflicting with other writers after ${attempt} attempts; retry later`,
            `update Secret ${namespace}/${name}`,
          );
        }
        this.logger.debug({ attempt }, `Secret ${namespace}/${name} changed under us; re-reading`);
      }
    }
  }
}

function withKind(secret: SecretObject): SecretObject {
  return { ...secret, apiVersion: 'v1', kind: 'Secret' };
}

function sameContent(current: SecretObject, desired: SecretObject): boolean {
  const pick = (s: SecretObject) =>
    JSON.stringify([
      s.type ?? 'Opaque',
      sorted(s.data),
      sorted(s.metadata.labels),
      sorted(s.metadata.annotations),
      s.metadata.ownerReferences ?? [],
    ]);
  return pick(current) === pick(desired);
}

function sorted(record: Record<string, string> | undefined): Array<[string, string]> {
  return Object.entries(record ?? {}).sort(byKey);
}

/**
 * Entries by key in code-unit order: a stable order is all these comparisons need, and
 * localeCompare would load ICU's collation data into the agent (about 3 MB of resident memory).
 */
function byKey([a]: [string, unknown], [b]: [string, unknown]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
