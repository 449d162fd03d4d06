// What the application synchronisation needs from Kubernetes. The wiring implements these with the
// Kubernetes adapters; the synchronisation itself never talks to a client library.

import type { ApplicationObject, SecretObject } from './application-resource.js';
import { isRecord } from '../../adapters/unknown-values.js';

export interface ApplicationPort {
  /**
   * From an informer cache: no API request. The Applications carrying the managed-by label and those a
   * Go agent left without one (compassMetadata, no managed-by label: adoption.ts); no others.
   */
  listManaged(): Promise<ApplicationObject[]>;
  /**
   * Changes whenever what listManaged returns may have changed (a counter of the cache's changes);
   * undefined when that cannot be told. Lets a quiet cycle skip planning (sync-memory.ts).
   */
  cacheVersion?(): number | undefined;
  /**
   * How many of the changes cacheVersion counts this port's own create, update and delete made (their
   * answers, or their echoes from the watch); undefined when that cannot be told. When both grew by
   * the same over an apply, the cache holds what the apply wrote and nothing else changed.
   */
  ownCacheChanges?(): number | undefined;
  /** Returns the stored object (with metadata.uid). Throws `AlreadyExistsError` when the name is taken. */
  create(app: ApplicationObject): Promise<ApplicationObject>;
  /**
   * `app` carries metadata.resourceVersion from the cache; on 409 the port re-reads and re-applies
   * the agent-owned fields (`mergeOwnedFields(freshlyRead, app)` from sync-plan.ts) before retrying.
   * Returns the stored object.
   */
  update(app: ApplicationObject): Promise<ApplicationObject>;
  /** NotFound is success. */
  delete(name: string): Promise<void>;
}

/** The object a conditional delete must still find: the one whose ownership was checked. */
export interface DeletePreconditions {
  uid: string;
  resourceVersion: string;
}

export interface SecretPort {
  /** null when the Secret does not exist. */
  get(namespace: string, name: string): Promise<SecretObject | null>;
  create(secret: SecretObject): Promise<void>;
  /**
   * Full replacement (PUT), conditional on `secret.metadata.resourceVersion`, the version just read
   * (and found to be the agent's): a Secret changed since then is not overwritten (409 Conflict throws).
   */
  replace(secret: SecretObject): Promise<void>;
  /** NotFound is success. With preconditions, a Secret that changed since it was read is not deleted (409 Conflict throws). */
  delete(namespace: string, name: string, preconditions?: DeletePreconditions): Promise<void>;
}

export interface SyncPorts {
  applications: ApplicationPort;
  secrets: SecretPort;
}

/** Thrown by `ApplicationPort.create` when an object of that name already exists (HTTP 409 AlreadyExists). */
export class AlreadyExistsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AlreadyExistsError';
  }
}

/** Also accepts client-library errors that carry the 409 status, in case a port passes them through. */
export function isAlreadyExists(error: unknown): boolean {
  if (error instanceof AlreadyExistsError) return true;
  // A 409 Conflict (a write race) is not a name taken by a foreign object: only the reason tells them apart.
  return isRecord(error) && error.reason === 'AlreadyExists';
}
