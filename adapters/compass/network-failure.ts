// What a failed connection to Compass says, read from Node's socket or TLS error. Only a TLS alert
// by which the server calls our certificate bad, unsupported, unknown, expired or revoked refuses the
// certificate: a reset or closed socket, a timeout or any other alert is a network failure, retried,
// and never a reason to spend a one-time token on a new certificate.
//
// Node reports a TLS 1.3 alert on the first read after the handshake with a code such as
// ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED; a TLS 1.2 alert arrives during the handshake, on a write,
// as EPROTO with the alert only in the message ("...:sslv3 alert certificate expired:...").

/** Alerts (RFC 8446 §6.2) that refuse the client certificate itself. */
const CERTIFICATE_REFUSALS = new Set([
  'BAD_CERTIFICATE',
  'UNSUPPORTED_CERTIFICATE',
  'CERTIFICATE_REVOKED',
  'CERTIFICATE_EXPIRED',
  'CERTIFICATE_UNKNOWN',
  'UNKNOWN_CA',
]);

/** Our own verification of the server certificate failing. */
const SERVER_CERTIFICATE_CODES = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'CERT_UNTRUSTED',
]);

/** The socket closed without an answer and without saying why. */
const CLOSED_CODES = new Set(['ECONNRESET', 'EPIPE']);

export type NetworkFailure =
  /** A TLS alert refusing the client certificate, e.g. alert "certificate expired". */
  | { kind: 'certificate-refused'; code: string; alert: string }
  /** Another TLS alert: handshake failure, protocol version, certificate required, internal error... */
  | { kind: 'tls-alert'; code: string; alert: string }
  /** We do not trust the server's certificate. */
  | { kind: 'server-untrusted'; code: string }
  /** Reset or closed before an answer. */
  | { kind: 'closed'; code: string }
  /** DNS, connection refused, unreachable network, anything else. */
  | { kind: 'other'; code: string };

/** The alert's name in lower-case words ("certificate expired"), from the code or the OpenSSL message. */
function alertOf(code: string, message: string): string | undefined {
  const fromCode = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z_]+)$/.exec(code)?.[1];
  if (fromCode) return fromCode.toLowerCase().replace(/_/g, ' ');
  return /\b(?:sslv3|tlsv1|tlsv13) alert ([a-z ]+?)(?::|$)/.exec(message)?.[1];
}

export function describeNetworkFailure(cause: { code?: unknown; message?: unknown }): NetworkFailure {
  const code = typeof cause.code === 'string' ? cause.code : 'unknown';
  const message = typeof cause.message === 'string' ? cause.message : '';
  const alert = alertOf(code, message);
  if (alert !== undefined) {
    const refused = CERTIFICATE_REFUSALS.has(alert.toUpperCase().replace(/ /g, '_'));
    return { kind: refused ? 'certificate-refused' : 'tls-alert', code, alert };
  }
  if (SERVER_CERTIFICATE_CODES.has(code)) return { kind: 'server-untrusted', code };
  if (CLOSED_CODES.has(code)) return { kind: 'closed', code };
  return { kind: 'other', code };
}
