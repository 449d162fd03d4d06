// Fatal TLS alert records as a server writes them when it refuses a client certificate (RFC 8446
// §6, RFC 5246 §7.2). TLS 1.2 refuses in the handshake, before ChangeCipherSpec: the alert is a
// plaintext record. TLS 1.3 refuses after its own Finished, when the server already writes with the
// application traffic keys: the alert is an encrypted record, the first one under those keys.
import { createCipheriv, createHmac } from 'node:crypto';

/** Alert descriptions (RFC 8446 §6) a server uses to refuse a client certificate. */
export const TLS_ALERT = {
  handshakeFailure: 40,
  badCertificate: 42,
  unsupportedCertificate: 43,
  certificateRevoked: 44,
  certificateExpired: 45,
  certificateUnknown: 46,
  unknownCa: 48,
  certificateRequired: 116,
} as const;

export type TlsAlertDescription = (typeof TLS_ALERT)[keyof typeof TLS_ALERT];

const ALERT = 0x15;
const APPLICATION_DATA = 0x17;
const FATAL = 2;
const LEGACY_VERSION = [0x03, 0x03];

/** A plaintext fatal alert record (TLS 1.2 before ChangeCipherSpec). */
export function plaintextAlertRecord(description: TlsAlertDescription): Buffer {
  return Buffer.from([ALERT, ...LEGACY_VERSION, 0x00, 0x02, FATAL, description]);
}

interface Tls13Suite {
  cipher: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  hash: 'sha256' | 'sha384';
  keyLength: number;
}

const TLS13_SUITES: Record<string, Tls13Suite> = {
  TLS_AES_128_GCM_SHA256: { cipher: 'aes-128-gcm', hash: 'sha256', keyLength: 16 },
  TLS_AES_256_GCM_SHA384: { cipher: 'aes-256-gcm', hash: 'sha384', keyLength: 32 },
  TLS_CHACHA20_POLY1305_SHA256: { cipher: 'chacha20-poly1305', hash: 'sha256', keyLength: 32 },
};

/** HKDF-Expand-Label (RFC 8446 §7.1) for outputs no longer than the hash. */
function expandLabel(hash: string, secret: Buffer, label: string, length: number): Buffer {
  const fullLabel = Buffer.from(`tls13 ${label}`);
  const info = Buffer.concat([Buffer.from([length >> 8, length & 0xff, fullLabel.length]), fullLabel, Buffer.from([0])]);
  return createHmac(hash, secret)
    .update(info)
    .update(Buffer.from([1]))
    .digest()
    .subarray(0, length);
}

/**
 * The encrypted fatal alert record a TLS 1.3 server sends as its first record under
 * `serverTrafficSecret` (SERVER_TRAFFIC_SECRET_0 of the key log), for the negotiated `suite`.
 */
export function encryptedAlertRecord(
  description: TlsAlertDescription,
  suiteName: string,
  serverTrafficSecret: Buffer,
  sequence = 0n,
): Buffer {
  const suite = TLS13_SUITES[suiteName];
  if (!suite) throw new Error(`no TLS 1.3 alert for cipher suite ${suiteName}`);
  const key = expandLabel(suite.hash, serverTrafficSecret, 'key', suite.keyLength);
  const nonce = expandLabel(suite.hash, serverTrafficSecret, 'iv', 12);
  for (let i = 0; i < 8; i++) nonce[11 - i] ^= Number((sequence >> BigInt(8 * i)) & 0xffn);
  // TLSInnerPlaintext: the alert, then its real content type.
  const inner = Buffer.from([FATAL, description, ALERT]);
  const tagLength = 16;
  const header = Buffer.from([APPLICATION_DATA, ...LEGACY_VERSION, 0x00, inner.length + tagLength]);
  // The three AEADs share the GCM interface (setAAD, getAuthTag); the type names only one of them.
  const cipher = createCipheriv(suite.cipher as 'aes-128-gcm', key, nonce, { authTagLength: tagLength });
  cipher.setAAD(header);
  const body = Buffer.concat([cipher.update(inner), cipher.final()]);
  return Buffer.concat([header, body, cipher.getAuthTag()]);
}
