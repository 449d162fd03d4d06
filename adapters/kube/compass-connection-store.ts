// The cluster-scoped CompassConnection CR `compass-connection`: read, observe and write it.
// Writes are minimal and conditional: spec and annotations go as a JSON merge patch on the main
// resource, status as a merge patch on /status, each carrying the resourceVersion just read so a
// concurrent edit (say a user setting spec.resyncNow) is never overwritten blindly; a 409 starts
// over from a fresh read. A write that would change nothing sends no request. The reference CRD
// has no status subresource (reference-agent.md §2.1): /status answering 404 switches this store,
// for its lifetime, to writing status through the main resource.
import { Observable, distinctUntilChanged, filter, map } from 'rxjs';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { apiVersionOf, clusterObjectLister, collectionPath, type ClusterResource } from './custom-objects.js';
import { isAlreadyExists, isConflict, isNotFound, kubeCall, KubeError, type KubeClient } from './kube-client.js';
import { createMergePatch, jsonEqual } from './merge-patch.js';
import { watchStream } from './watch-stream.js';
import { isRecord } from '../unknown-values.js';

export const COMPASS_CONNECTION_RESOURCE: ClusterResource = {
  group: 'compass.kyma-project.io',
  version: 'v1alpha1',
  plural: 'compassconnections',
  kind: 'CompassConnection',
};

export const COMPASS_CONNECTION_NAME = 'compass-connection';

export interface CompassConnectionSpec {
  managementInfo: { connectorUrl: string; directorUrl: string };
  resyncNow?: boolean;
  refreshCredentialsNow?: boolean;
  [key: string]: unknown;
}

export interface CompassConnectionObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    resourceVersion?: string;
    uid?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [key: string]: unknown;
  };
  spec: CompassConnectionSpec;
  /** Shaped by the projection (src/); this store writes it verbatim. */
  status?: Record<string, unknown>;
}

/** Flags a user sets to ask for work; the agent changes them only by naming them in a write. */
const USER_REQUEST_FLAGS = ['resyncNow', 'refreshCredentialsNow'] as const;

export interface CompassConnectionWrite {
  /**
   * The whole desired spec; keys absent here are removed, except the user's request flags
   * (resyncNow, refreshCredentialsNow): absent here, they keep what the stored object holds, so a
   * write never erases a request the agent has not handled yet.
   */
  spec: CompassConnectionSpec;
  /** The whole desired status; omit to leave status alone. */
  status?: Record<string, unknown>;
  /** Annotations to set (a null value removes the key); other annotations are kept. */
  annotations?: Record<string, string | null>;
}

export interface CompassConnectionStoreOptions {
  name?: string;
  logger?: Logger;
  maxAttempts?: number;
}

export class CompassConnectionStore {
  readonly name: string;
  private readonly logger: Logger;
  private readonly maxAttempts: number;
  /** Unknown until the first status write; false once /status answered 404. */
  private statusSubresource: boolean | undefined;
  /**
   * The CR as this store's last write left it. The next write patches from it, preconditioned on its
   * resourceVersion, without reading the CR first: if anyone else changed it since, the API server
   * answers 409 and the write starts again from a fresh read.
   */
  private written: CompassConnectionObject | undefined;

  constructor(
    private readonly client: KubeClient,
    options: CompassConnectionStoreOptions = {},
  ) {
    this.name = options.name ?? COMPASS_CONNECTION_NAME;
    this.logger = options.logger ?? silentLogger;
    this.maxAttempts = options.maxAttempts ?? 5;
  }

  private get coordinates() {
    const { group, version, plural } = COMPASS_CONNECTION_RESOURCE;
    return { group, version, plural, name: this.name };
  }

  async get(): Promise<CompassConnectionObject | null> {
    try {
      return await kubeCall<CompassConnectionObject>(`get CompassConnection ${this.name}`, () =>
        this.client.customObjects.getClusterCustomObject(this.coordinates),
      );
    } catch (err) {
      if (isNotFound(err)) return null;
      throw err;
    }
  }

  /**
   * The CR as it changes (null while absent), from a list+watch restricted to its name. Emits once
   * the first LIST is done, then on every change of resourceVersion; never errors.
   */
  observe(): Observable<CompassConnectionObject | null> {
    return watchStream<CompassConnectionObject>({
      kubeConfig: this.client.kubeConfig,
      rest: this.client.rest,
      path: collectionPath(COMPASS_CONNECTION_RESOURCE),
      fieldSelector: `metadata.name=${this.name}`,
      list: clusterObjectLister<CompassConnectionObject>(this.client, COMPASS_CONNECTION_RESOURCE),
      logger: this.logger,
    }).pipe(
      filter((event) => event.type !== 'problem'),
      map((event) => ('cache' in event ? (event.cache.get(this.name) ?? null) : null)),
      distinctUntilChanged((a, b) => (a === null || b === null ? a === b : a.metadata.resourceVersion === b.metadata.resourceVersion)),
    );
  }

  /** Brings the CR to `desired` with as few requests as possible; returns the stored object. */
  async write(desired: CompassConnectionWrite): Promise<CompassConnectionObject> {
    for (let attempt = 1; ; attempt++) {
      try {
        this.written = await this.writeOnce(desired, this.written);
        return this.written;
      } catch (err) {
        this.written = undefined;
        if (!(isConflict(err) || isAlreadyExists(err) || isNotFound(err))) throw err;
        if (attempt >= this.maxAttempts) {
          throw new KubeError(
            409,
            'Conflict',
            `write CompassConnection ${this.name} kept conflicting with other writers after ${attempt} attempts; retry later`,
            `write CompassConnection ${this.name}`,
          );
        }
        this.logger.debug(
          { attempt, reason: err instanceof KubeError ? err.reason : undefined },
          `CompassConnection ${this.name} changed under us; re-reading`,
        );
      }
    }
  }

  private async writeOnce(desired: CompassConnectionWrite, known: CompassConnectionObject | undefined): Promise<CompassConnectionObject> {
    const current = known ?? (await this.get());
    if (!current) return this.create(desired);

    const annotations = mergedAnnotations(current.metadata.annotations, desired.annotations);
    const specPatch = createMergePatch(current.spec, withUserRequests(current.spec, desired.spec));
    const annotationPatch = createMergePatch(current.metadata.annotations ?? {}, annotations);
    const statusPatch = desired.status === undefined ? undefined : createMergePatch(current.status, desired.status);

    let stored = current;
    const statusWithMain = statusPatch !== undefined && this.statusSubresource === false;
    if (specPatch !== undefined || annotationPatch !== undefined || statusWithMain) {
      stored = await this.patchMain(current, {
        ...(specPatch !== undefined ? { spec: specPatch } : {}),
        ...(annotationPatch !== undefined ? { metadata: { annotations: annotationPatch } } : {}),
        ...(statusWithMain ? { status: statusPatch } : {}),
      });
    }
    // A 404 from /status means "no status subresource" only for an object just read (or just patched).
    const exists = known === undefined || stored !== current;
    if (statusPatch !== undefined && !statusWithMain) stored = await this.writeStatus(stored, desired.status!, exists);
    return stored;
  }

  private async create(desired: CompassConnectionWrite): Promise<CompassConnectionObject> {
    const annotations = mergedAnnotations(undefined, desired.annotations);
    const body: CompassConnectionObject = {
      apiVersion: apiVersionOf(COMPASS_CONNECTION_RESOURCE),
      kind: COMPASS_CONNECTION_RESOURCE.kind,
      metadata: { name: this.name, ...(Object.keys(annotations).length ? { annotations } : {}) },
      spec: desired.spec,
      ...(desired.status !== undefined ? { status: desired.status } : {}),
    };
    const { group, version, plural } = COMPASS_CONNECTION_RESOURCE;
    const created = await kubeCall<CompassConnectionObject>(`create CompassConnection ${this.name}`, () =>
      this.client.customObjects.createClusterCustomObject({ group, version, plural, body }),
    );
    // With a status subresource the server drops status on create; write it in a second step.
    if (desired.status !== undefined && !jsonEqual(created.status, desired.status)) {
      return this.writeStatus(created, desired.status, true);
    }
    return created;
  }

  private async patchMain(current: CompassConnectionObject, patch: Record<string, unknown>): Promise<CompassConnectionObject> {
    const body = withPrecondition(patch, current.metadata.resourceVersion);
    return await kubeCall<CompassConnectionObject>(`patch CompassConnection ${this.name}`, () =>
      this.client.customObjects.patchClusterCustomObject({ ...this.coordinates, body }),
    );
  }

  private async writeStatus(
    current: CompassConnectionObject,
    status: Record<string, unknown>,
    exists: boolean,
  ): Promise<CompassConnectionObject> {
    const patch = createMergePatch(current.status, status);
    if (patch === undefined) return current;
    if (this.statusSubresource !== false) {
      try {
        const body = withPrecondition({ status: patch }, current.metadata.resourceVersion);
        const stored = await kubeCall<CompassConnectionObject>(`patch CompassConnection ${this.name} status`, () =>
          this.client.customObjects.patchClusterCustomObjectStatus({ ...this.coordinates, body }),
        );
        this.statusSubresource = true;
        return stored;
      } catch (err) {
        // 404 on /status of an object we did not just read: it may be gone; write() reads it again.
        if (!isNotFound(err) || !exists) throw err;
        // 404 on /status of an object we just read: the CRD serves no status subresource.
        this.statusSubresource = false;
        this.logger.info(`CompassConnection CRD has no status subresource; writing status through the main resource`);
      }
    }
    return this.patchMain(current, { status: patch });
  }
}

function withUserRequests(current: CompassConnectionSpec | undefined, desired: CompassConnectionSpec): CompassConnectionSpec {
  const kept: Partial<CompassConnectionSpec> = {};
  for (const flag of USER_REQUEST_FLAGS) {
    if (desired[flag] === undefined && current?.[flag] !== undefined) kept[flag] = current[flag];
  }
  return { ...kept, ...desired };
}

function mergedAnnotations(
  current: Record<string, string> | undefined,
  changes: Record<string, string | null> | undefined,
): Record<string, string> {
  const result: Record<string, string> = { ...(current ?? {}) };
  for (const [key, value] of Object.entries(changes ?? {})) {
    if (value === null) delete result[key];
    else result[key] = value;
  }
  return result;
}

function withPrecondition(patch: Record<string, unknown>, resourceVersion: string | undefined): Record<string, unknown> {
  const metadata = { ...(isRecord(patch.metadata) ? patch.metadata : {}), resourceVersion };
  return { ...patch, metadata };
}
