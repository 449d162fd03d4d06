// Secrets never leave the process: tokens, private keys, certificates and application credentials
// are replaced before anything is logged, recorded in the event log or put into an error message.

export const REDACTED = '[REDACTED]';

/** Keys whose values are secret wherever they appear (compared case-insensitively, ignoring - and _). */
const SECRET_KEYS = new Set(
  [
    'token',
    'oneTimeToken',
    'connectorToken',
    'password',
    'clientSecret',
    'key',
    'keyPem',
    'privateKey',
    'crt',
    'cert',
    'certPem',
    'crtChain',
    'cacert',
    'caCertificate',
    'certificate',
    'certificateChain',
    'clientCertificate',
    'csr',
    'authorization',
    'data', // Kubernetes Secret data
    'stringData',
    'headers', // request-parameter Secrets
    'queryParameters',
    'additionalHeaders',
    'additionalQueryParams',
    'username',
    'credentials',
    'credential',
  ].map(normalizeKey),
);

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[-_]/g, '');
}

const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]+-----[\s\S]*?(-----END [A-Z0-9 ]+-----|$)/g;
// base64 of a PEM header ("-----BEGIN") and long base64/base64url runs such as one-time tokens
const BASE64_PEM = /LS0tLS1CRUdJTi[A-Za-z0-9+/=]*/g;
const LONG_TOKEN = /[A-Za-z0-9_\-+/]{64,}={0,2}/g;

/** Removes PEM blocks, base64-encoded PEM and long token-like strings from free text. */
export function redactText(text: string): string {
  return text.replace(PEM_BLOCK, REDACTED).replace(BASE64_PEM, REDACTED).replace(LONG_TOKEN, REDACTED);
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(normalizeKey(key));
}

/** A deep copy of `value` with secret keys replaced and secret-looking strings scrubbed. */
export function redact<T>(value: T, seen = new WeakSet<object>()): T {
  if (typeof value === 'string') return redactText(value) as T;
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value as object)) return '[Circular]' as T;
  seen.add(value as object);
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message) } as T;
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, seen)) as T;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = isSecretKey(k) && v !== null && v !== undefined && v !== '' ? REDACTED : redact(v, seen);
  }
  return out as T;
}
