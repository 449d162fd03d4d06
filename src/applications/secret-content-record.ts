// What the agent last wrote or read per Secret, as a keyed digest of the content plus the owner, so
// that a cycle in which nothing changed makes no Secret request at all (the agent may not list or
// watch Secrets). The digest is an HMAC under a per-process random key: neither the record nor the
// sync memory holds the data, and a digest cannot be checked against guessed passwords outside this
// process.

import { createHmac, randomBytes } from 'node:crypto';
import type { SecretObject } from './application-resource.js';

const KEY = randomBytes(32);
const DIGEST_BYTES = 16;

/** Sorted `key=value` pairs, NUL-separated: unambiguous since names and base64 hold no NUL. */
function pairs(map: Record<string, string> | undefined): string {
  if (!map) return '';
  return Object.keys(map)
    .sort()
    .map((key) => `${key}=${map[key]}`)
    .join('\0');
}

/**
 * Digest of the fields the agent owns, except the owner reference: namespace, name, type, data, its
 * labels. The HMAC's first 128 bits (22 characters): the key never leaves the process, so no one can
 * search for a collision, and the record, the watch and the sync memory hold one for every Secret.
 */
export function secretContentDigest(secret: SecretObject): string {
  const content = [
    secret.metadata.namespace,
    secret.metadata.name,
    secret.type ?? '',
    pairs(secret.data),
    pairs(secret.metadata.labels),
  ].join('\u0001');
  return createHmac('sha256', KEY).update(content).digest().toString('base64url', 0, DIGEST_BYTES);
}

/** What is known of one Secret; a new object on every `remember`, so identity tells entries apart. */
export interface RecordedSecret {
  readonly digest: string;
  readonly ownerUid: string;
}

/** The content digest of a stored Secret, counting only the agent's labels (others may add their own). */
export function storedContentDigest(secret: SecretObject, agentLabels: readonly string[]): string {
  const present = secret.metadata.labels ?? {};
  const labels: Record<string, string> = {};
  for (const key of agentLabels) if (present[key] !== undefined) labels[key] = present[key]!;
  return secretContentDigest({ ...secret, metadata: { ...secret.metadata, labels } });
}

export class SecretContentRecord {
  /** namespace → name → content digest and owner uid (nested: a lookup builds no key string). */
  readonly #digests = new Map<string, Map<string, RecordedSecret>>();
  #version = 0;
  #external = 0;

  /** Changes with every change of the record: the same number, the same record. */
  get version(): number {
    return this.#version;
  }

  /**
   * How often the record forgot for a reason from outside the executor's writes: a Secret the watch or
   * a re-read found changed (`forgetIf`), or everything (`clear`). The executor's own `remember` and
   * `forget` leave it as it is.
   */
  get externalChanges(): number {
    return this.#external;
  }

  /** Whether the cluster is known to hold exactly this content (`secretContentDigest`), owned by `ownerUid`. */
  isCurrent(namespace: string, name: string, digest: string, ownerUid: string): boolean {
    const known = this.#digests.get(namespace)?.get(name);
    return known !== undefined && known.digest === digest && known.ownerUid === ownerUid;
  }

  remember(namespace: string, name: string, digest: string, ownerUid: string): void {
    let names = this.#digests.get(namespace);
    if (!names) this.#digests.set(namespace, (names = new Map<string, RecordedSecret>()));
    names.set(name, { digest, ownerUid });
    this.#version++;
  }

  /** The executor's, before it writes or deletes the Secret (others forget with `forgetIf`). */
  forget(namespace: string, name: string): void {
    if (this.#digests.get(namespace)?.delete(name)) this.#version++;
  }

  entry(namespace: string, name: string): RecordedSecret | undefined {
    return this.#digests.get(namespace)?.get(name);
  }

  /** Forgets the Secret only if `entry` is still what is recorded (a write since then recorded newer content). */
  forgetIf(namespace: string, name: string, entry: RecordedSecret): void {
    if (this.entry(namespace, name) !== entry) return;
    this.forget(namespace, name);
    this.#external++;
  }

  /** The recorded Secrets, a snapshot. */
  keys(): Array<[namespace: string, name: string]> {
    const keys: Array<[string, string]> = [];
    for (const [namespace, names] of this.#digests) for (const name of names.keys()) keys.push([namespace, name]);
    return keys;
  }

  /** Forces the next cycle to GET and compare every Secret again (secret-recheck.ts forgets them one by one instead). */
  clear(): void {
    this.#digests.clear();
    this.#version++;
    this.#external++;
  }

  get size(): number {
    let size = 0;
    for (const names of this.#digests.values()) size += names.size;
    return size;
  }
}
