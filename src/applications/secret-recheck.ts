// Noticing that a Secret the sync record trusts was deleted or edited by hand. The record lets a quiet
// cycle skip every Secret request, so by itself it would never notice such a change. Two ways, the
// first preferred:
//
// - SecretRepair: a label watch (app,bundleId) on the integration namespace keeps, for each of the
//   agent's Secrets, a digest of its content and its owners, never the data. Before each cycle's apply
//   the recorded Secrets that the watch shows deleted or different are forgotten, so that very cycle
//   repairs them (with the ownership checks of the executor): a Secret deleted or edited by hand is
//   back by the end of the first cycle that starts after the change, as the Go agent manages by
//   rewriting every Secret on every cycle, and a quiet cycle still makes no Secret request. It needs
//   list and watch on Secrets in the integration namespace (deploy/rbac.yaml). Why a watch rather
//   than reads: re-reading every recorded Secret within one period (10,000 Secrets at the chart's
//   180 s is 55 GETs a second, at the default 20 s 500) is load without end on the API server, and a
//   Secret changed just after its read is noticed a period later, so repaired only in the second
//   cycle; a metadata-only LIST per cycle (`as=PartialObjectMetadataList`, which the Kubernetes
//   simulator does not serve) needs the same `list` grant (RBAC does not tell the two apart) and moves
//   every Secret's metadata every cycle. The watch's events carry whole Secrets (only the agent's, by
//   the selector); the projection keeps a keyed digest and drops the data on arrival. The grant
//   exposes no more than the agent's unnamed get on Secrets there already does (Application Secret
//   names come from Director data, so get, update and delete cannot be limited by name): the names
//   become listable.
// - SecretRecheck, the fallback where list/watch is forbidden (e.g. the Go agent's RBAC): the recorded
//   Secrets are read again one at a time, spread evenly over a period (never more than 50 a second),
//   in the background; those that no longer hold what was recorded are forgotten and the next cycle
//   repairs them. Slower (the period is several sync periods), and without a burst.

import { setTimeout as sleep } from 'node:timers/promises';
import type { Observable, Subscription } from 'rxjs';
import type { WatchEvent } from '../../adapters/kube/watch-stream.js';
import { SECRET_APP_LABEL, SECRET_BUNDLE_LABEL, type SecretObject } from './application-resource.js';
import type { SecretPort } from './ports.js';
import { storedContentDigest, type RecordedSecret, type SecretContentRecord } from './secret-content-record.js';

/**
 * The shortest time between two reads: at most 50 reads a second in the background, whatever the
 * number of Secrets (a pass over 25,000 Secrets then takes about 8 minutes rather than the period).
 */
export const MIN_RECHECK_SPACING_MS = 20;

export interface SecretRecheckOptions {
  /** One pass over every recorded Secret takes this long: reads are evenly spaced, one at a time. */
  periodMs: number;
  /** The shortest time between two reads (default MIN_RECHECK_SPACING_MS). */
  minSpacingMs?: number;
  /** How long to wait before looking again when nothing is recorded (default periodMs / 10). */
  idleMs?: number;
  /** A failed read (the Secret stays recorded; its next turn comes in the next pass). */
  onError?: (namespace: string, name: string, error: unknown) => void;
}

const AGENT_LABELS = [SECRET_APP_LABEL, SECRET_BUNDLE_LABEL];

/** Whether the stored Secret still holds the recorded content and names the recorded owner. */
export function stillAsRecorded(stored: Parameters<typeof storedContentDigest>[0] | null, recorded: RecordedSecret): boolean {
  if (stored === null) return false;
  if (!(stored.metadata.ownerReferences ?? []).some((owner) => owner.uid === recorded.ownerUid)) return false;
  return storedContentDigest(stored, AGENT_LABELS) === recorded.digest;
}

export class SecretRecheck {
  #abort: AbortController | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly record: SecretContentRecord,
    private readonly secrets: Pick<SecretPort, 'get'>,
    private readonly options: SecretRecheckOptions,
  ) {
    if (!(options.periodMs > 0)) throw new RangeError(`the Secret re-check period must be positive, got ${options.periodMs}`);
  }

  start(): void {
    if (this.#running) return;
    const abort = (this.#abort = new AbortController());
    this.#running = this.run(abort.signal).catch((error: unknown) => {
      if (!abort.signal.aborted) throw error;
    });
  }

  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#running;
    this.#running = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const idleMs = this.options.idleMs ?? this.options.periodMs / 10;
    while (!signal.aborted) {
      const keys = this.record.keys();
      if (keys.length === 0) {
        await sleep(idleMs, undefined, { signal, ref: false });
        continue;
      }
      const spacingMs = Math.max(this.options.periodMs / keys.length, this.options.minSpacingMs ?? MIN_RECHECK_SPACING_MS);
      for (const [namespace, name] of keys) {
        await sleep(spacingMs, undefined, { signal, ref: false });
        await this.check(namespace, name);
      }
    }
  }

  /** Reads one recorded Secret; forgets it when it no longer holds what was recorded. */
  async check(namespace: string, name: string): Promise<void> {
    const recorded = this.record.entry(namespace, name);
    if (!recorded) return; // forgotten or deleted by the sync meanwhile
    let stored;
    try {
      stored = await this.secrets.get(namespace, name);
    } catch (error) {
      this.options.onError?.(namespace, name, error);
      return;
    }
    if (!stillAsRecorded(stored, recorded)) this.record.forgetIf(namespace, name, recorded);
  }
}

/** The label selector of the agent's Application Secrets: both labels present. */
export const AGENT_SECRET_SELECTOR = AGENT_LABELS.join(',');

/**
 * What the watch keeps of one Secret, as little as it can (25,000 Secrets cost about 6 MB): the
 * names the stream needs, the digest of its content (secret-content-record.ts) and its owners' uids.
 */
export interface WatchedSecret {
  metadata: { name: string; namespace: string };
  contentDigest: string;
  /** The uids of its ownerReferences, space-separated (one, as a rule). */
  owners: string;
}

const namespaces = new Map<string, string>();

/** The watch's projection: the content digest and owners taken, `data` and everything else dropped. */
export function watchedSecretOf(secret: SecretObject): WatchedSecret {
  const { name } = secret.metadata;
  // One string per namespace, not one per Secret.
  let namespace = namespaces.get(secret.metadata.namespace);
  if (namespace === undefined) namespaces.set(secret.metadata.namespace, (namespace = secret.metadata.namespace));
  return {
    metadata: { name, namespace },
    contentDigest: storedContentDigest(secret, AGENT_LABELS),
    owners: (secret.metadata.ownerReferences ?? []).map((owner) => owner.uid).join(' '),
  };
}

function ownedBy(seen: WatchedSecret, uid: string): boolean {
  return seen.owners === uid || seen.owners.split(' ').includes(uid);
}

export interface SecretRepairOptions {
  /** The integration namespace: where the Application Secrets live and the watch runs. */
  namespace: string;
  /** The label watch (SecretStore.watchSecrets with AGENT_SECRET_SELECTOR and watchedSecretOf). */
  watch: () => Observable<WatchEvent<WatchedSecret>>;
  /** Started when list/watch of Secrets is forbidden. */
  fallback: Pick<SecretRecheck, 'start' | 'stop'>;
  /** The watch was refused (403): the fallback runs from now on. */
  onForbidden?: (message: string) => void;
}

/** The label watch of the agent's Secrets, and what the record learns from it before each cycle (see the top). */
export class SecretRepair {
  #subscription: Subscription | undefined;
  /** The stream's own map after its latest emission (read at cycle start, never copied). */
  #cache: ReadonlyMap<string, WatchedSecret> | undefined;
  #fallingBack = false;
  /** Emissions of the watch: each change of its cache comes with one. */
  #emissions = 0;
  /** The emissions and the record's version when forgetChanged last compared them: nothing to compare while both are unchanged. */
  #compared: { emissions: number; record: number } | undefined;

  constructor(
    private readonly record: SecretContentRecord,
    private readonly options: SecretRepairOptions,
  ) {}

  start(): void {
    if (this.#subscription || this.#fallingBack) return;
    this.#subscription = this.options.watch().subscribe((event) => {
      if (event.type !== 'problem') {
        this.#cache = event.cache;
        this.#emissions++;
        return;
      }
      if (event.problem.status !== 403) return; // the stream retries; the cache stays as last seen
      this.#subscription?.unsubscribe();
      this.#subscription = undefined;
      this.#cache = undefined;
      this.#fallingBack = true;
      this.options.onForbidden?.(event.problem.message);
      this.options.fallback.start();
    });
  }

  async stop(): Promise<void> {
    this.#subscription?.unsubscribe();
    this.#subscription = undefined;
    await this.options.fallback.stop();
  }

  /**
   * Forgets every recorded Secret of the watched namespace that the watch shows deleted, changed or
   * owned by another Application; the cycle that follows repairs it. Nothing while the watch has not
   * listed yet (or is forbidden). Returns how many were forgotten.
   */
  forgetChanged(): number {
    const cache = this.#cache;
    if (!cache) return 0;
    // The same watch cache and the same record as when they were compared last: they agree (what did not was forgotten then).
    if (this.#compared?.emissions === this.#emissions && this.#compared.record === this.record.version) return 0;
    const { namespace } = this.options;
    let forgotten = 0;
    for (const [recordedNamespace, name] of this.record.keys()) {
      if (recordedNamespace !== namespace) continue;
      const recorded = this.record.entry(namespace, name);
      if (!recorded) continue;
      const seen = cache.get(name);
      if (seen && seen.contentDigest === recorded.digest && ownedBy(seen, recorded.ownerUid)) continue;
      this.record.forgetIf(namespace, name, recorded);
      forgotten++;
    }
    this.#compared = { emissions: this.#emissions, record: this.record.version };
    return forgotten;
  }
}
