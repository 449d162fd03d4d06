// Secrets never leave the process: tokens, private keys, certificates and application credentials
// are replaced before anything is logged, recorded in the event log or put into an error message.
// Two nets: patterns (PEM blocks, long token-like runs, JWTs, bearer credentials) and the agent's own
// secrets by value (the current and previous one-time tokens, the private keys), which catches a
// short or oddly shaped token that an upstream error body echoes back.

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
// Long runs that are names, not secrets, kept for debugging: UUIDs joined by `_` (an x-request-id
// `<runtimeId>_<uuid>`) and lowercase DNS-style names joined by - . / (`kyma-system/mp-app-<uuid>`).
// 64 random base64 characters without an upper-case letter are as good as impossible.
const JOINED_UUIDS =
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})+$/i;
const KUBERNETES_NAME = /^[a-z0-9]+([-./][a-z0-9]+)+$/;
const isName = (run: string) => JOINED_UUIDS.test(run) || KUBERNETES_NAME.test(run);
// header.payload.signature of a JSON Web Token (the header is base64url of `{"...`)
const JWT = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
// `Bearer <credential>`; the lookahead spares prose such as "Bearer authentication"
const AUTHORIZATION_VALUE = /\b(Bearer)\s+(?=[A-Za-z-]*[0-9._~+/=])[A-Za-z0-9._~+/=-]{8,}/gi;
// What each pattern above cannot match without: one scan tells whether any of the five can change a
// text. Most texts (names, timestamps, states) hold none of it and are returned as they are.
const ANY_PATTERN = /-----BEGIN |LS0tLS1CRUdJTi|eyJ|bearer|[A-Za-z0-9_\-+/]{64}/i;

/**
 * Shorter values are not registered: replacing every occurrence of a few characters would garble
 * messages while protecting nothing (such a value is not a credential Compass issues).
 */
export const MIN_SECRET_LENGTH = 6;

/** How many values of each kind are remembered: the current ones and a few before them. */
const REMEMBERED = { token: 16, key: 4 } as const;
export type SecretKind = keyof typeof REMEMBERED;

const remembered: Record<SecretKind, string[][]> = { token: [], key: [] };
/** Every remembered form, longest first, so that a value containing another is replaced whole. */
let knownValues: string[] = [];

/** The forms in which a value can appear in text: as is, URL-encoded, JSON-escaped, a PEM body without its lines. */
function formsOf(value: string): string[] {
  const forms = new Set([value, encodeURIComponent(value), JSON.stringify(value).slice(1, -1)]);
  if (value.includes('-----BEGIN ')) {
    for (const block of value.match(/-----BEGIN [A-Z0-9 ]+-----[\s\S]*?-----END [A-Z0-9 ]+-----/g) ?? []) {
      forms.add(block.replace(/-----(BEGIN|END) [A-Z0-9 ]+-----/g, '').replace(/\s+/g, ''));
    }
  }
  return [...forms].filter((form) => form.length >= MIN_SECRET_LENGTH);
}

/**
 * Remembers one of the agent's own secrets (a token it read or received, a private key it holds) so
 * that `redactText` removes it by value wherever it appears. The newest values of each kind are kept,
 * so the previous token is still removed after a new one arrived.
 */
export function registerSecret(value: string | null | undefined, kind: SecretKind = 'token'): void {
  if (typeof value !== 'string') return;
  const trimmed = value.trim();
  if (trimmed.length < MIN_SECRET_LENGTH) return;
  const list = remembered[kind];
  const at = list.findIndex((forms) => forms[0] === trimmed);
  if (at === list.length - 1 && at >= 0) return; // already the newest: the common case of a re-read Secret
  if (at >= 0) list.splice(at, 1);
  list.push([trimmed, ...formsOf(trimmed).filter((form) => form !== trimmed)]);
  if (list.length > REMEMBERED[kind]) list.shift();
  knownValues = [...new Set(Object.values(remembered).flat(2))].sort((a, b) => b.length - a.length);
}

/** Forgets every registered value (tests). */
export function forgetRegisteredSecrets(): void {
  remembered.token = [];
  remembered.key = [];
  knownValues = [];
}

/** Removes the agent's registered secrets, PEM blocks, base64-encoded PEM, JWTs and long token-like strings from free text. */
export function redactText(text: string): string {
  let out = text;
  for (const value of knownValues) if (out.includes(value)) out = out.split(value).join(REDACTED);
  if (!ANY_PATTERN.test(out)) return out;
  return out
    .replace(PEM_BLOCK, REDACTED)
    .replace(BASE64_PEM, REDACTED)
    .replace(JWT, REDACTED)
    .replace(AUTHORIZATION_VALUE, `$1 ${REDACTED}`)
    .replace(LONG_TOKEN, (run) => (isName(run) ? run : REDACTED));
}

/** `text` cut to `max` characters, saying how much was left out: upstream bodies can be megabytes. */
export function boundText(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

export function isSecretKey(key: string): boolean {
  return SECRET_KEYS.has(normalizeKey(key));
}

/**
 * The copies `redact` made. The same value is often redacted again moments later (an event before the
 * machine gets it, then in its event-log entry, in the same step): a copy is returned as it is, since
 * redacting it again changes nothing. Nothing changes a copy after it was made; a secret registered
 * after it was made is not looked for in it. Weak, so a copy goes when it is dropped.
 */
const redactedCopies = new WeakSet<object>();

/** A deep copy of `value` with secret keys replaced and secret-looking strings scrubbed. */
// The overload keeps the caller's type: the copy has the same shape, apart from the strings it scrubs (and an Error,
// which becomes a plain { name, message }). The implementation works on unknown, so it needs no cast.
export function redact<T>(value: T): T;
export function redact(value: unknown): unknown {
  const copy = redactValue(value, new WeakSet<object>());
  // Only the outermost copy is remembered: that is what is handed on, and redacted again.
  if (typeof copy === 'object' && copy !== null) redactedCopies.add(copy);
  return copy;
}

function redactValue(value: unknown, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object' || redactedCopies.has(value)) return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  if (value instanceof Error) {
    return { name: value.name, message: redactText(value.message) };
  }
  if (Array.isArray(value)) return value.map((v: unknown) => redactValue(v, seen));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = isSecretKey(k) && v !== null && v !== undefined && v !== '' ? REDACTED : redactValue(v, seen);
  }
  return out;
}

/** A deep copy of `value` with every string scrubbed by `redactText`; keys are kept (for state that holds no secret by name). */
export function redactStrings<T>(value: T): T;
export function redactStrings(value: unknown): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v: unknown) => redactStrings(v));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactStrings(v)]));
}
