// What the agent last wrote or read per Secret, as a keyed digest of the content plus the owner, so
// that a cycle in which nothing changed makes no Secret request at all (the agent may not list or
// watch Secrets). The digest is an HMAC under a per-process random key: neither the record nor the
// sync memory holds the data, and a digest cannot be checked against guessed passwords outside this
// process.

import { createHmac, randomBytes } from 'node:crypto';
import type { SecretObject } from './application-resource.js';

const KEY = randomBytes(32);

/** Sorted `key=value` pairs, NUL-separated: unambiguous since names and base64 hold no NUL. */
function pairs(map: Record<string, string> | undefined): string {
  if (!map) return '';
  return Object.keys(map)
    .sort()
    .map((key) => `${key}=${map[key]}`)
    .join('\0');
}

/** Digest of the fields the agent owns, except the owner reference: namespace, name, type, data, its labels. */
export function secretContentDigest(secret: SecretObject): string {
  const content = [secret.metadata.namespace, secret.metadata.name, secret.type ?? '', pairs(secret.data), pairs(secret.metadata.labels)].join('\u0001');
  return createHmac('sha256', KEY).update(content).digest('base64');
}

export class SecretContentRecord {
  /** namespace → name → content digest and owner uid (nested: a lookup builds no key string). */
  readonly #digests = new Map<string, Map<string, { digest: string; ownerUid: string }>>();

  /** Whether the cluster is known to hold exactly this content (`secretContentDigest`), owned by `ownerUid`. */
  isCurrent(namespace: string, name: string, digest: string, ownerUid: string): boolean {
    const known = this.#digests.get(namespace)?.get(name);
    return known !== undefined && known.digest === digest && known.ownerUid === ownerUid;
  }

  remember(namespace: string, name: string, digest: string, ownerUid: string): void {
    let names = this.#digests.get(namespace);
    if (!names) this.#digests.set(namespace, (names = new Map()));
    names.set(name, { digest, ownerUid });
  }

  forget(namespace: string, name: string): void {
    this.#digests.get(namespace)?.delete(name);
  }

  /** Forces the next cycle to GET and compare every Secret again (e.g. periodically, to repair out-of-band edits). */
  clear(): void {
    this.#digests.clear();
  }

  get size(): number {
    let size = 0;
    for (const names of this.#digests.values()) size += names.size;
    return size;
  }
}
