// The object store: a Map per resource type, one global revision counter, a bounded event history
// and the watchers fed from it. All API semantics live here; the HTTP layer only translates.
import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { BUILTIN_TYPES, groupVersion, qualifiedName, typeFromCrd, typeKey, type ResourceType } from './resource-types.js';
import { KubeStatusError, alreadyExists, badRequest, conflict, gone, invalid, notFound } from './status-error.js';
import {
  applyTypeDefaults,
  deepEqual,
  establishedCrdStatus,
  generatedName,
  kubeTimestamp,
  specChanged,
  type KubeObject,
} from './object-rules.js';
import { checkStoredSize } from './storage-limits.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patches.js';
import { admit, type AdmissionContext, type FieldValidation } from './admission.js';
import { matchesFields, matchesLabels, type FieldRequirement, type LabelRequirement } from './selectors.js';
import { eventFieldValue, eventFromCore, eventToCore } from './event-conversion.js';

export type { KubeObject } from './object-rules.js';
export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface HistoryEvent {
  rv: number;
  key: string; // type key
  type: WatchEventType;
  object: KubeObject;
  previous?: KubeObject;
}

export interface Filter {
  namespace?: string;
  labels: LabelRequirement[];
  fields: FieldRequirement[];
}

export interface WatchSink {
  send(type: WatchEventType, object: KubeObject): void;
  /** The resource stopped being served (CRD deleted) or the simulator closes. */
  end(): void;
}

interface Watcher extends Filter {
  key: string;
  sink: WatchSink;
}

export interface WriteOptions {
  dryRun?: boolean;
  /** The request's fieldValidation (default Warn, as kube-apiserver). */
  fieldValidation?: FieldValidation;
  /** Collects the warnings of the write (unknown fields under Warn). */
  warnings?: string[];
  /** Set by server-side apply: unknown fields fail its typed conversion, whatever fieldValidation says. */
  serverSideApply?: boolean;
}

export interface DeleteOptions extends WriteOptions {
  preconditions?: { uid?: string; resourceVersion?: string };
  propagationPolicy?: string;
}

export interface PatchOptions extends WriteOptions {
  fieldManager?: string;
  force?: boolean;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface DeleteResult {
  /** The object as it now is (with deletionTimestamp) or as it was when removed. */
  object: KubeObject;
  removed: boolean;
}

export const PATCH_TYPES = {
  json: 'application/json-patch+json',
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  apply: 'application/apply-patch+yaml',
} as const;

const CRD_KEY = typeKey('apiextensions.k8s.io', 'customresourcedefinitions');
const NS_KEY = typeKey('', 'namespaces');

export class KubeStore {
  private revision = 0;
  private compactedRevision = 0;
  private readonly types = new Map<string, ResourceType>();
  private readonly objects = new Map<string, Map<string, KubeObject>>();
  private readonly sortedKeys = new Map<string, string[]>();
  private readonly uids = new Map<string, { key: string; id: string }>();
  private history: HistoryEvent[] = [];
  private readonly watchers = new Set<Watcher>();
  private gcScheduled = false;
  private readonly pendingGc: { uid: string; orphan: boolean }[] = [];
  /** Objects written with owner references to none that exists (kube-controller-manager's GC deletes them too). */
  private readonly dangling: { type: ResourceType; namespace?: string; name: string; uid: string }[] = [];

  constructor(private readonly historyLimit = 10_000) {
    for (const type of BUILTIN_TYPES) this.serve(type);
  }

  get resourceVersion(): string {
    return String(this.revision);
  }

  servedTypes(): ResourceType[] {
    return [...this.types.values()];
  }

  /** The type served at group/version/plural, or undefined. */
  findType(group: string, version: string, plural: string): ResourceType | undefined {
    const type = this.types.get(typeKey(group, plural));
    return type && type.versions.includes(version) ? type : undefined;
  }

  findTypeByKind(apiVersion: string, kind: string): ResourceType | undefined {
    const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
    for (const type of this.types.values()) {
      if (type.group === group && type.kind === kind && type.versions.includes(version)) return type;
    }
    return undefined;
  }

  // ---- reads -------------------------------------------------------------------------------

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const obj = this.bucket(type).get(objectId(type, namespace, name));
    if (!obj) throw notFound(qualifiedName(type), name, type.group, type.plural);
    return this.view(type, obj);
  }

  tryGet(type: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const obj = this.bucket(type).get(objectId(type, namespace, name));
    return obj && this.view(type, obj);
  }

  list(type: ResourceType, filter: Filter, page: { limit?: number; continue?: string } = {}): ListResult {
    let start = '';
    let listRevision = this.revision;
    if (page.continue) {
      const token = decodeContinue(page.continue);
      if (token.rv < this.compactedRevision) {
        throw gone(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter.',
        );
      }
      start = token.start;
      listRevision = token.rv;
    }
    const bucket = this.bucket(type);
    const keys = this.sorted(type);
    const items: KubeObject[] = [];
    const limit = page.limit && page.limit > 0 ? page.limit : Infinity;
    let index = start ? upperBound(keys, start) : 0;
    for (; index < keys.length; index++) {
      const obj = bucket.get(keys[index])!;
      if (!matches(filter, obj)) continue;
      if (items.length === limit) break;
      items.push(this.view(type, obj));
    }
    const result: ListResult = { items, resourceVersion: String(listRevision) };
    if (index < keys.length && items.length === limit) {
      const last = items[items.length - 1];
      result.continue = encodeContinue(listRevision, objectId(type, last.metadata.namespace, last.metadata.name));
      let remaining = 0;
      for (let i = index; i < keys.length; i++) if (matches(filter, bucket.get(keys[i])!)) remaining++;
      if (remaining > 0) result.remainingItemCount = remaining;
      else delete result.continue;
    }
    return result;
  }

  // ---- watch -------------------------------------------------------------------------------

  /**
   * Starts a watch. `fromRevision` undefined or "0": synthetic ADDED for every match, then live events.
   * Otherwise every change after it; a revision older than the retained history throws 410 Expired.
   * Returns the function that stops it.
   */
  watch(type: ResourceType, filter: Filter, fromRevision: string | undefined, sink: WatchSink): () => void {
    // A type served from another's storage sees that storage's changes, in its own shape.
    const shaped: WatchSink = type.storedAs
      ? { send: (event, obj) => sink.send(event, this.view(type, obj)), end: () => sink.end() }
      : sink;
    const watcher: Watcher = { ...filter, key: this.storageKey(type), sink: shaped };
    if (fromRevision === undefined || fromRevision === '' || fromRevision === '0') {
      for (const obj of this.list(type, filter).items) sink.send('ADDED', obj);
    } else {
      const from = parseRevision(fromRevision);
      if (from < this.compactedRevision) {
        throw gone(`too old resource version: ${from} (${this.compactedRevision})`);
      }
      for (const event of this.history) {
        if (event.rv > from && event.key === watcher.key) deliver(watcher, event);
      }
    }
    this.watchers.add(watcher);
    return () => this.watchers.delete(watcher);
  }

  /** Forgets all history: watches and continue tokens from any earlier revision get 410. */
  compact(): string {
    this.revision++;
    this.history = [];
    this.compactedRevision = this.revision;
    return String(this.revision);
  }

  closeWatches(): void {
    for (const watcher of [...this.watchers]) {
      this.watchers.delete(watcher);
      watcher.sink.end();
    }
  }

  // ---- writes ------------------------------------------------------------------------------

  create(type: ResourceType, namespace: string | undefined, body: unknown, options: WriteOptions = {}): KubeObject {
    const obj = this.checkBody(type, body, namespace);
    const meta = obj.metadata;
    // The name is generated before admission; a missing one is reported with the other metadata errors
    // (metadata-validation.ts), after the namespace check, as NamespaceLifecycle runs first.
    if (!meta.name && meta.generateName) meta.name = generatedName(String(meta.generateName));
    if (type.namespaced) {
      if (!this.tryGet(this.types.get(NS_KEY)!, undefined, meta.namespace)) {
        throw notFound('namespaces', meta.namespace, '', 'namespaces');
      }
    }
    const now = kubeTimestamp();
    for (const field of ['deletionTimestamp', 'deletionGracePeriodSeconds', 'resourceVersion', 'managedFields', 'selfLink'])
      delete meta[field];
    meta.uid = randomUUID();
    meta.creationTimestamp = now;
    if (type.generation) meta.generation = 1;
    else delete meta.generation;
    if (type.statusSubresource && type.custom) delete obj.status;
    applyTypeDefaults(type, obj);
    const admitted = admit(type, obj, undefined, admissionContext('create', options, undefined, body));
    if (isCrd(type)) {
      const served = typeFromCrd(admitted);
      this.checkCrd(admitted, served);
      admitted.status = establishedCrdStatus(admitted, now);
    }
    // Storage answers AlreadyExists after validation, for a dry run too.
    const id = objectId(type, admitted.metadata.namespace, admitted.metadata.name);
    if (this.bucket(type).has(id)) throw alreadyExists(qualifiedName(type), admitted.metadata.name, type.group, type.plural);
    if (options.dryRun) return admitted;
    checkStoredSize(type, admitted);
    return this.commit(type, id, admitted, undefined);
  }

  /** PUT on the object (subresource undefined) or on its /status. */
  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions & { subresource?: 'status'; fromPatch?: boolean } = {},
  ): KubeObject {
    const current = this.get(type, namespace, name);
    const incoming = this.checkBody(type, body, namespace);
    if (incoming.metadata.name !== undefined && incoming.metadata.name !== name) {
      throw badRequest(`the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`);
    }
    // A PUT carries the object's UID as a precondition (rest.DefaultUpdatedObjectInfo), checked before
    // anything else; a patch starts from the stored object, so a changed UID fails validation instead.
    if (!options.fromPatch && incoming.metadata.uid && incoming.metadata.uid !== current.metadata.uid) {
      throw conflict(
        qualifiedName(type),
        name,
        type.group,
        type.plural,
        `Precondition failed: UID in precondition: ${incoming.metadata.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    const requestedRv = incoming.metadata.resourceVersion;
    if (requestedRv === undefined || requestedRv === '') {
      if (type.custom && !options.fromPatch) {
        throw invalid(type.kind, name, type.group, [
          {
            reason: 'FieldValueInvalid',
            field: 'metadata.resourceVersion',
            message: 'Invalid value: 0x0: must be specified for an update',
          },
        ]);
      }
    } else if (requestedRv !== current.metadata.resourceVersion) {
      throw conflict(qualifiedName(type), name, type.group, type.plural);
    }

    let next: KubeObject;
    if (options.subresource === 'status') {
      next = { ...current };
      if (incoming.status === undefined) delete next.status;
      else next.status = incoming.status;
    } else {
      next = { ...incoming, apiVersion: current.apiVersion, kind: current.kind };
      const meta: Record<string, any> = { ...incoming.metadata, name, resourceVersion: current.metadata.resourceVersion };
      for (const field of ['namespace', 'creationTimestamp', 'generation']) {
        if (current.metadata[field] === undefined) delete meta[field];
        else meta[field] = current.metadata[field];
      }
      // BeforeUpdate: an empty uid is the stored one; a deletionTimestamp or grace period once set stays.
      // Anything else that differs fails validation (metadata-validation.ts).
      if (!meta.uid) meta.uid = current.metadata.uid;
      for (const field of ['deletionTimestamp', 'deletionGracePeriodSeconds']) {
        if (current.metadata[field] !== undefined && (field === 'deletionTimestamp' || meta[field] === undefined || meta[field] === null)) {
          meta[field] = current.metadata[field];
        }
        if (meta[field] === undefined || meta[field] === null) delete meta[field];
      }
      for (const field of ['labels', 'annotations', 'finalizers', 'ownerReferences']) {
        if (isEmpty(meta[field])) delete meta[field];
      }
      delete meta.selfLink;
      delete meta.managedFields;
      next.metadata = meta;
      if (type.statusSubresource) {
        if (current.status === undefined) delete next.status;
        else next.status = current.status;
      }
      applyTypeDefaults(type, next);
    }

    next = admit(type, next, current, admissionContext('update', options, options.subresource, body, options.fromPatch));
    if (isCrd(type) && options.subresource !== 'status') this.checkCrd(next, typeFromCrd(next));
    if (deepEqual(next, current)) return current;
    if (type.generation && specChanged(type, current, next)) next.metadata.generation = (current.metadata.generation ?? 0) + 1;
    if (options.dryRun) return next;

    const id = objectId(type, namespace, name);
    if (next.metadata.deletionTimestamp && isEmpty(next.metadata.finalizers)) return this.remove(type, id, next);
    checkStoredSize(type, next);
    return this.commit(type, id, next, current);
  }

  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    patchBody: string,
    options: PatchOptions & { subresource?: 'status' } = {},
  ): { object: KubeObject; created: boolean } {
    if (contentType === PATCH_TYPES.apply) return this.apply(type, namespace, name, patchBody, options);
    let patch: unknown;
    try {
      patch = JSON.parse(patchBody);
    } catch (error) {
      throw badRequest(`error decoding patch: ${(error as Error).message}`);
    }
    const current = this.get(type, namespace, name);
    let patched: unknown;
    switch (contentType) {
      case PATCH_TYPES.json:
        patched = jsonPatch(current, patch);
        break;
      case PATCH_TYPES.merge:
        if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) {
          throw badRequest('error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}');
        }
        patched = mergePatch(current, patch);
        break;
      case PATCH_TYPES.strategic:
        if (type.custom) throw unsupportedPatch(contentType);
        patched = strategicMergePatch(current, patch);
        break;
      default:
        throw unsupportedPatch(contentType);
    }
    return { object: this.update(type, namespace, name, patched, { ...options, fromPatch: true }), created: false };
  }

  /**
   * Server-side apply, simplified: creates the object when missing, otherwise merges the applied
   * configuration like a JSON merge patch. No field ownership, so no conflicts, and fields a manager
   * stops applying are not removed.
   */
  private apply(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: string,
    options: PatchOptions & { subresource?: 'status' },
  ): { object: KubeObject; created: boolean } {
    if (!options.fieldManager) {
      throw invalid('PatchOptions', '', 'meta.k8s.io', [
        { reason: 'FieldValueRequired', field: 'fieldManager', message: 'Required value: is required for apply patch' },
      ]);
    }
    options = { ...options, serverSideApply: true };
    let config: unknown;
    try {
      config = parseYaml(body);
    } catch (error) {
      throw badRequest(`error decoding YAML: ${(error as Error).message.split('\n')[0]}`);
    }
    const applied = this.checkBody(type, config, namespace);
    if (applied.metadata.name !== undefined && applied.metadata.name !== name) {
      throw badRequest(`the name of the object (${applied.metadata.name}) does not match the name on the URL (${name})`);
    }
    const current = this.tryGet(type, namespace, name);
    if (!current) {
      applied.metadata.name = name;
      const created = this.create(type, namespace, applied, options);
      if (options.subresource === 'status' || (type.statusSubresource && applied.status !== undefined)) {
        return {
          object: this.update(type, namespace, name, { ...created, status: applied.status }, { ...options, subresource: 'status' }),
          created: true,
        };
      }
      return { object: created, created: true };
    }
    delete applied.metadata.resourceVersion;
    return { object: this.update(type, namespace, name, mergePatch(current, applied), { ...options, fromPatch: true }), created: false };
  }

  delete(type: ResourceType, namespace: string | undefined, name: string, options: DeleteOptions = {}): DeleteResult {
    const current = this.get(type, namespace, name);
    const pre = options.preconditions;
    if (pre?.uid && pre.uid !== current.metadata.uid) {
      throw conflict(
        qualifiedName(type),
        name,
        type.group,
        type.plural,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid}`,
      );
    }
    if (pre?.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(
        qualifiedName(type),
        name,
        type.group,
        type.plural,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion}`,
      );
    }
    const id = objectId(type, namespace, name);
    if (!isEmpty(current.metadata.finalizers)) {
      if (current.metadata.deletionTimestamp) return { object: current, removed: false };
      const next: KubeObject = {
        ...current,
        metadata: { ...current.metadata, deletionTimestamp: kubeTimestamp(), deletionGracePeriodSeconds: 0 },
      };
      if (type.generation) next.metadata.generation = (current.metadata.generation ?? 0) + 1;
      if (options.dryRun) return { object: next, removed: false };
      return { object: this.commit(type, id, next, current), removed: false };
    }
    if (options.dryRun) return { object: current, removed: true };
    return { object: this.remove(type, id, current, options.propagationPolicy === 'Orphan'), removed: true };
  }

  deleteCollection(type: ResourceType, filter: Filter, options: DeleteOptions = {}): KubeObject[] {
    const { items } = this.list(type, filter);
    return items.map((obj) => this.delete(type, obj.metadata.namespace, obj.metadata.name, options).object);
  }

  // ---- internals ---------------------------------------------------------------------------

  /** Where a type's objects live: its own key, or the storage it is served from. */
  private storageKey(type: ResourceType): string {
    return type.storedAs ?? typeKey(type.group, type.plural);
  }

  /** The stored object as this type serves it. */
  private view(type: ResourceType, obj: KubeObject): KubeObject {
    return type.storedAs ? eventFromCore(obj) : obj;
  }

  /** An object of this type as its storage keeps it. */
  private toStored(type: ResourceType, obj: KubeObject): KubeObject {
    return type.storedAs ? eventToCore(obj) : obj;
  }

  private bucket(type: ResourceType): Map<string, KubeObject> {
    const key = this.storageKey(type);
    let bucket = this.objects.get(key);
    if (!bucket) {
      bucket = new Map();
      this.objects.set(key, bucket);
    }
    return bucket;
  }

  private sorted(type: ResourceType): string[] {
    const key = this.storageKey(type);
    let keys = this.sortedKeys.get(key);
    if (!keys) {
      keys = [...this.bucket(type).keys()].sort();
      this.sortedKeys.set(key, keys);
    }
    return keys;
  }

  /** Normalises a request body: an object with metadata, the right kind and apiVersion and namespace. */
  private checkBody(type: ResourceType, body: unknown, namespace: string | undefined): KubeObject {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw badRequest(`the body of the request is not a ${type.kind} object`);
    }
    const obj = { ...(body as Record<string, any>) } as KubeObject;
    if (obj.metadata === undefined || obj.metadata === null) obj.metadata = {};
    if (typeof obj.metadata !== 'object' || Array.isArray(obj.metadata)) {
      throw badRequest(`metadata of the ${type.kind} must be an object`);
    }
    obj.metadata = { ...obj.metadata };
    if (obj.kind !== undefined && obj.kind !== type.kind) {
      throw badRequest(`the kind in the body (${obj.kind}) does not match the kind of the resource (${type.kind})`);
    }
    const expected = type.versions.map((v) => groupVersion(type.group, v));
    if (obj.apiVersion !== undefined && !expected.includes(obj.apiVersion)) {
      throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${expected[0]})`);
    }
    obj.kind = type.kind;
    obj.apiVersion = obj.apiVersion ?? expected[0];
    if (type.namespaced) {
      if (obj.metadata.namespace && namespace && obj.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      obj.metadata.namespace = namespace ?? obj.metadata.namespace;
      if (!obj.metadata.namespace) throw badRequest(`a namespace is required to write ${type.plural}`);
    } else {
      delete obj.metadata.namespace;
    }
    return obj;
  }

  private checkCrd(obj: KubeObject, served: ResourceType | undefined): void {
    if (!served) {
      throw invalid('CustomResourceDefinition', obj.metadata.name ?? '', 'apiextensions.k8s.io', [
        {
          reason: 'FieldValueRequired',
          field: 'spec',
          message: 'Required value: group, names.plural, names.kind and at least one served version are required',
        },
      ]);
    }
    if (obj.metadata.name !== `${served.plural}.${served.group}`) {
      throw invalid('CustomResourceDefinition', obj.metadata.name ?? '', 'apiextensions.k8s.io', [
        {
          reason: 'FieldValueInvalid',
          field: 'metadata.name',
          message: `Invalid value: "${obj.metadata.name}": must be spec.names.plural+"."+spec.group`,
        },
      ]);
    }
    const existing = this.types.get(typeKey(served.group, served.plural));
    if (existing && !existing.custom) {
      throw invalid('CustomResourceDefinition', obj.metadata.name, 'apiextensions.k8s.io', [
        { reason: 'FieldValueInvalid', field: 'spec.group', message: `Invalid value: "${served.group}": is a built-in group` },
      ]);
    }
  }

  private serve(type: ResourceType): void {
    this.types.set(typeKey(type.group, type.plural), type);
  }

  /** Stores `next` (in the type's own shape) and returns it as the type serves it. */
  private commit(type: ResourceType, id: string, next: KubeObject, previous: KubeObject | undefined): KubeObject {
    this.revision++;
    next.metadata.resourceVersion = String(this.revision);
    const stored = this.toStored(type, next);
    const key = this.storageKey(type);
    const bucket = this.bucket(type);
    if (!bucket.has(id)) this.sortedKeys.delete(key);
    bucket.set(id, stored);
    this.uids.set(stored.metadata.uid, { key, id });
    const owners: { uid: string }[] = stored.metadata.ownerReferences ?? [];
    if (owners.length > 0 && owners.every((ref) => !this.uids.has(ref.uid))) {
      this.dangling.push({ type, namespace: stored.metadata.namespace, name: stored.metadata.name, uid: stored.metadata.uid });
      this.scheduleGc();
    }
    this.record({
      rv: this.revision,
      key,
      type: previous ? 'MODIFIED' : 'ADDED',
      object: stored,
      previous: previous && this.toStored(type, previous),
    });
    if (isCrd(type)) this.crdChanged(stored, previous);
    return this.view(type, stored);
  }

  private remove(type: ResourceType, id: string, last: KubeObject, orphanDependents = false): KubeObject {
    this.revision++;
    const deleted: KubeObject = this.toStored(type, { ...last, metadata: { ...last.metadata, resourceVersion: String(this.revision) } });
    const key = this.storageKey(type);
    this.bucket(type).delete(id);
    this.sortedKeys.delete(key);
    this.uids.delete(last.metadata.uid);
    this.record({ rv: this.revision, key, type: 'DELETED', object: deleted });
    if (isCrd(type)) this.crdChanged(undefined, last);
    if (key === NS_KEY) this.emptyNamespace(last.metadata.name);
    this.pendingGc.push({ uid: last.metadata.uid, orphan: orphanDependents });
    this.scheduleGc();
    return this.view(type, deleted);
  }

  private record(event: HistoryEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compactedRevision = dropped[dropped.length - 1].rv;
    }
    for (const watcher of this.watchers) if (watcher.key === event.key) deliver(watcher, event);
  }

  /** A CRD appeared, changed or went: start, adjust or stop serving its resource (and drop its objects). */
  private crdChanged(now: KubeObject | undefined, before: KubeObject | undefined): void {
    const previousType = before ? typeFromCrd(before) : undefined;
    const nextType = now ? typeFromCrd(now) : undefined;
    if (previousType && (!nextType || typeKey(nextType.group, nextType.plural) !== typeKey(previousType.group, previousType.plural))) {
      this.stopServing(previousType);
    }
    if (nextType) this.serve(nextType);
  }

  private stopServing(type: ResourceType): void {
    const key = typeKey(type.group, type.plural);
    const bucket = this.objects.get(key);
    if (bucket) for (const [id, obj] of [...bucket]) this.remove(type, id, obj);
    this.types.delete(key);
    this.objects.delete(key);
    this.sortedKeys.delete(key);
    for (const watcher of [...this.watchers]) {
      if (watcher.key === key) {
        this.watchers.delete(watcher);
        watcher.sink.end();
      }
    }
  }

  /** Namespace deletion is immediate here (no Terminating phase): everything in it goes, finalizers or not. */
  private emptyNamespace(namespace: string): void {
    for (const type of this.types.values()) {
      // A type served from another's storage loses its objects with that type.
      if (!type.namespaced || type.storedAs) continue;
      const bucket = this.bucket(type);
      for (const [id, obj] of [...bucket]) if (obj.metadata.namespace === namespace) this.remove(type, id, obj);
    }
  }

  private scheduleGc(): void {
    if (this.gcScheduled) return;
    this.gcScheduled = true;
    // Asynchronous, like the garbage collector in kube-controller-manager: dependents go shortly after.
    setImmediate(() => {
      this.gcScheduled = false;
      this.collectGarbage();
    });
  }

  /**
   * Removes dependents whose owners are all gone; with Orphan, strips the owner reference instead. An
   * object written with owner references to none that exists (its owner deleted just before) goes as well,
   * as kube-controller-manager's collector deletes a dependent whose owners it finds absent.
   */
  collectGarbage(): void {
    while (this.dangling.length > 0) {
      const { type, namespace, name, uid } = this.dangling.shift()!;
      const current = this.bucket(type).get(this.uids.get(uid)?.id ?? '');
      const refs: { uid: string }[] = current?.metadata.ownerReferences ?? [];
      if (!current || refs.length === 0 || refs.some((ref) => this.uids.has(ref.uid))) continue;
      try {
        this.delete(type, namespace, name);
      } catch (error) {
        if (!(error instanceof KubeStatusError)) throw error;
      }
    }
    while (this.pendingGc.length > 0) {
      const { uid, orphan } = this.pendingGc.shift()!;
      for (const [key, bucket] of this.objects) {
        const type = this.types.get(key);
        if (!type) continue;
        for (const obj of [...bucket.values()]) {
          const refs: { uid: string }[] = obj.metadata.ownerReferences ?? [];
          if (!refs.some((ref) => ref.uid === uid)) continue;
          try {
            if (orphan) {
              const remaining = refs.filter((ref) => ref.uid !== uid);
              const next = { ...obj, metadata: { ...obj.metadata, ownerReferences: remaining.length ? remaining : undefined } };
              this.update(type, obj.metadata.namespace, obj.metadata.name, next, { fromPatch: true });
            } else if (refs.every((ref) => !this.uids.has(ref.uid))) {
              this.delete(type, obj.metadata.namespace, obj.metadata.name);
            }
          } catch (error) {
            if (!(error instanceof KubeStatusError)) throw error;
          }
        }
      }
    }
  }
}

function admissionContext(
  operation: AdmissionContext['operation'],
  options: WriteOptions,
  subresource?: 'status',
  decoded?: unknown,
  patch?: boolean,
): AdmissionContext {
  return {
    operation,
    subresource,
    fieldValidation: options.fieldValidation ?? 'Warn',
    warnings: options.warnings ?? [],
    decoded,
    patch,
    serverSideApply: options.serverSideApply,
  };
}

function isCrd(type: ResourceType): boolean {
  return typeKey(type.group, type.plural) === CRD_KEY;
}

function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

export function objectId(type: ResourceType, namespace: string | undefined, name: string): string {
  return type.namespaced ? `${namespace ?? ''}/${name}` : name;
}

export function matches(filter: Filter, obj: KubeObject): boolean {
  if (filter.namespace && obj.metadata.namespace !== filter.namespace) return false;
  return matchesLabels(filter.labels, obj.metadata.labels) && matchesFields(filter.fields, obj, eventFieldValue);
}

/** Translates a change into what this watcher sees: selector transitions become ADDED or DELETED. */
function deliver(watcher: Watcher, event: HistoryEvent): void {
  const now = matches(watcher, event.object);
  if (event.type === 'ADDED') {
    if (now) watcher.sink.send('ADDED', event.object);
  } else if (event.type === 'DELETED') {
    if (now) watcher.sink.send('DELETED', event.object);
  } else {
    const before = event.previous ? matches(watcher, event.previous) : false;
    if (before && now) watcher.sink.send('MODIFIED', event.object);
    else if (now) watcher.sink.send('ADDED', event.object);
    else if (before) watcher.sink.send('DELETED', event.object);
  }
}

function parseRevision(text: string): number {
  if (!/^\d+$/.test(text)) throw badRequest(`invalid resource version: ${text}`);
  return Number(text);
}

function encodeContinue(rv: number, start: string): string {
  return Buffer.from(JSON.stringify({ v: 'meta.k8s.io/v1', rv, start })).toString('base64url');
}

function decodeContinue(token: string): { rv: number; start: string } {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (typeof parsed.rv === 'number' && typeof parsed.start === 'string') return parsed;
  } catch {
    // fall through
  }
  throw badRequest('continue key is not valid: the token is malformed; start a new list without it');
}

/** Index of the first key greater than `value` in a sorted array. */
function upperBound(keys: string[], value: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function unsupportedPatch(contentType: string): KubeStatusError {
  return new KubeStatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${PATCH_TYPES.json}, ${PATCH_TYPES.merge}, ${PATCH_TYPES.apply} (got ${contentType || 'no Content-Type'})`,
  );
}
