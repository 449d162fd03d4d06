// The Connector's CertificationResult (compass-api §1.4): each field is standard base64 of PEM text.
import { CertificateError, parseCertificate, parseCertificates, toRfc3339 } from './certificate.js';

export interface CertificationResult {
  certificateChain: string;
  caCertificate: string;
  clientCertificate: string;
}

export interface CertificateValidity {
  notBefore: Date;
  notAfter: Date;
  /** RFC 3339 forms for the CR status. */
  notBeforeRfc3339: string;
  notAfterRfc3339: string;
}

export interface ClientCredentials {
  /** PEM of the client certificate alone (Secret key `crt`). */
  clientCertificatePem: string;
  /** PEM chain as returned, client first (Secret key `crtChain`; presented in the TLS handshake). */
  certificateChainPem: string;
  /** PEM of the Connector CA certificate(s) (Secret key `cacert`). */
  caCertificatePem: string;
  certificate: CertificateValidity & { subject: string; sha256Fingerprint: string };
}

export class CredentialsError extends Error {
  override readonly name = 'CredentialsError';
}

export function decodeCertificationResult(result: CertificationResult): ClientCredentials {
  const clientCertificatePem = decodeField(result.clientCertificate, 'clientCertificate');
  const certificateChainPem = decodeField(result.certificateChain, 'certificateChain');
  const caCertificatePem = decodeField(result.caCertificate, 'caCertificate');
  const client = guard('clientCertificate', () => parseCertificate(clientCertificatePem, 'clientCertificate'));
  const chain = guard('certificateChain', () => parseCertificates(certificateChainPem, 'certificateChain'));
  guard('caCertificate', () => parseCertificates(caCertificatePem, 'caCertificate'));
  if (chain[0].sha256Fingerprint !== client.sha256Fingerprint) {
    throw new CredentialsError(
      'The Connector returned a certificateChain whose first certificate is not the clientCertificate; retry the connection, and report it to the Compass operators if it persists.',
    );
  }
  return {
    clientCertificatePem,
    certificateChainPem,
    caCertificatePem,
    certificate: {
      subject: client.subject,
      sha256Fingerprint: client.sha256Fingerprint,
      notBefore: client.notBefore,
      notAfter: client.notAfter,
      notBeforeRfc3339: toRfc3339(client.notBefore),
      notAfterRfc3339: toRfc3339(client.notAfter),
    },
  };
}

function decodeField(value: unknown, field: keyof CertificationResult): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new CredentialsError(`The Connector's certification result has no ${field}.`);
  }
  // Go's decoder ignores line breaks, so a wrapped base64 text is accepted too.
  const compact = value.replace(/[\r\n]/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(compact) || compact.length % 4 !== 0) {
    throw new CredentialsError(`The Connector's certification result field ${field} is not standard base64 (expected base64 of PEM text).`);
  }
  const text = Buffer.from(compact, 'base64').toString('utf8');
  if (!text.includes('-----BEGIN ')) {
    throw new CredentialsError(`The Connector's certification result field ${field} does not decode to PEM text.`);
  }
  return text;
}

function guard<T>(field: string, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (error instanceof CertificateError) {
      throw new CredentialsError(`The Connector's certification result field ${field} holds no usable certificate: ${error.message}`);
    }
    throw error;
  }
}
