// What the agent last wrote or read per Secret, as a keyed digest of the content, so that a cycle in
// which nothing changed makes no Secret request at all (the agent may not list or watch Secrets).
// The digest is an HMAC under a per-process random key: the record never holds the data, and a
// digest cannot be checked against guessed passwords outside this process.

import { createHmac, randomBytes } from 'node:crypto';
import type { SecretObject } from './application-resource.js';

/** Sorted `key=value` pairs, NUL-separated: unambiguous since names and base64 hold no NUL. */
function pairs(map: Record<string, string> | undefined): string {
  if (!map) return '';
  return Object.keys(map)
    .sort()
    .map((key) => `${key}=${map[key]}`)
    .join('\0');
}

export class SecretContentRecord {
  readonly #key = randomBytes(32);
  readonly #digests = new Map<string, string>();
  /** Digests by object: the sync treats Secret objects as immutable and re-uses unchanged ones across cycles. */
  readonly #known = new WeakMap<SecretObject, string>();

  /** Digest of the fields the agent owns: data, type, its labels and owner references. */
  digest(secret: SecretObject): string {
    let digest = this.#known.get(secret);
    if (digest === undefined) {
      digest = this.#compute(secret);
      this.#known.set(secret, digest);
    }
    return digest;
  }

  #compute(secret: SecretObject): string {
    const content = [
      secret.metadata.namespace,
      secret.metadata.name,
      secret.type ?? '',
      pairs(secret.data),
      pairs(secret.metadata.labels),
      (secret.metadata.ownerReferences ?? []).map((owner) => owner.uid).join(','),
    ].join('\u0001');
    return createHmac('sha256', this.#key).update(content).digest('hex');
  }

  /** Whether the cluster is known to hold exactly this content. Content is read once per object: pass a new object for new content. */
  isCurrent(secret: SecretObject): boolean {
    return this.#digests.get(keyOf(secret.metadata.namespace, secret.metadata.name)) === this.digest(secret);
  }

  remember(secret: SecretObject): void {
    this.#digests.set(keyOf(secret.metadata.namespace, secret.metadata.name), this.digest(secret));
  }

  forget(namespace: string, name: string): void {
    this.#digests.delete(keyOf(namespace, name));
  }

  /** Forces the next cycle to GET and compare every Secret again (e.g. periodically, to repair out-of-band edits). */
  clear(): void {
    this.#digests.clear();
  }

  get size(): number {
    return this.#digests.size;
  }
}

function keyOf(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
