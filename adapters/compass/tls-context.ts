// The TLS material of a Compass client (trust anchors and client certificate) as one secure context,
// built once and shared by every connection and every client made with the same material. Building
// one parses every trust anchor, about 140 system roots: tens of milliseconds, and node:https would
// otherwise also fold the whole CA list into its pool key on every request.
import { hash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createSecureContext, rootCertificates, type SecureContext } from 'node:tls';

export interface TlsMaterial {
  /** Extra trust anchors (PEM) on top of the system roots and NODE_EXTRA_CA_CERTS. */
  caPem?: string;
  /** Client certificate (mutual TLS). */
  keyPem?: string;
  certificateChainPem?: string;
}

/** Contexts kept: the current and the previous client certificate of each endpoint's CA, with room to spare. */
const CACHE_LIMIT = 8;
const contexts = new Map<string, SecureContext>();

/**
 * The anchors when `ca` is set: it replaces Node's defaults, so the system roots and the
 * NODE_EXTRA_CA_CERTS file are added back beside the configured CA.
 */
function trustAnchors(caPem: string): string[] {
  const anchors = [...rootCertificates];
  const extraFile = process.env.NODE_EXTRA_CA_CERTS;
  if (extraFile) {
    try {
      anchors.push(readFileSync(extraFile, 'utf8'));
    } catch {
      // Node itself only warns about an unreadable NODE_EXTRA_CA_CERTS; do the same by ignoring it.
    }
  }
  anchors.push(caPem);
  return anchors;
}

/** The secure context for `material`, from the cache when the same material was used before. */
export function secureContextFor(material: TlsMaterial): SecureContext {
  const { caPem, keyPem, certificateChainPem } = material;
  // A digest, so the cache holds no further copy of the key.
  const key = hash(
    'sha256',
    JSON.stringify([caPem ?? null, process.env.NODE_EXTRA_CA_CERTS ?? null, keyPem ?? null, certificateChainPem ?? null]),
    'base64',
  );
  const cached = contexts.get(key);
  if (cached) {
    contexts.delete(key);
    contexts.set(key, cached);
    return cached;
  }
  const context = createSecureContext({
    ...(caPem ? { ca: trustAnchors(caPem) } : {}),
    ...(keyPem && certificateChainPem ? { key: keyPem, cert: certificateChainPem } : {}),
  });
  contexts.set(key, context);
  if (contexts.size > CACHE_LIMIT) contexts.delete(contexts.keys().next().value!);
  return context;
}
