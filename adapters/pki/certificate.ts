// Reading X.509 certificates: PEM bundles, validity dates, fingerprints, key/certificate pairing.
// Node's own X509Certificate (OpenSSL) reads them: a JavaScript ASN.1 library would stay loaded in the
// agent for the few certificates it reads (pkijs with its dependencies is about 400 KB of code).
import { createHash, createPrivateKey, X509Certificate as NodeX509Certificate } from 'node:crypto';
import { decodePemBlocks, PemError } from './pem.js';
import { errorMessage } from '../unknown-values.js';

export interface ParsedCertificate {
  pem: string;
  der: Uint8Array;
  /** e.g. "C=DE, ST=province, …, CN=id" in encoding order; for messages, not for matching. */
  subject: string;
  issuer: string;
  notBefore: Date;
  notAfter: Date;
  /** Lowercase hex SHA-256 of the DER, the form the Connector's revocation list uses. */
  sha256Fingerprint: string;
}

export class CertificateError extends Error {
  override readonly name = 'CertificateError';
}

/** Every certificate of a PEM bundle, in order. Blocks that are not certificates are an error. */
export function parseCertificates(pemText: string, what = 'certificate PEM'): ParsedCertificate[] {
  let blocks;
  try {
    blocks = decodePemBlocks(pemText, what);
  } catch (error) {
    if (error instanceof PemError) throw new CertificateError(error.message);
    throw error;
  }
  return blocks.map((block, index) => {
    if (block.label !== 'CERTIFICATE') {
      throw new CertificateError(`${what}: PEM block ${index + 1} is a "${block.label}", expected "CERTIFICATE".`);
    }
    return parseCertificateDer(block.der, `${what} (block ${index + 1})`, block.pem);
  });
}

/** The first certificate of a PEM bundle. */
export function parseCertificate(pemText: string, what = 'certificate PEM'): ParsedCertificate {
  return parseCertificates(pemText, what)[0];
}

function parseCertificateDer(der: Uint8Array, what: string, pem: string): ParsedCertificate {
  let certificate: NodeX509Certificate;
  try {
    certificate = new NodeX509Certificate(der);
  } catch (error) {
    throw new CertificateError(`${what} is not a valid X.509 certificate (${errorMessage(error)}).`);
  }
  // OpenSSL prints validity as "Jan  1 00:00:00 2030 GMT" (whole seconds, UTC), which Date reads.
  const notBefore = new Date(certificate.validFrom);
  const notAfter = new Date(certificate.validTo);
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) {
    throw new CertificateError(`${what} is not a valid X.509 certificate (its validity cannot be read).`);
  }
  return {
    pem,
    der,
    subject: formatName(certificate.subject),
    issuer: formatName(certificate.issuer),
    notBefore,
    notAfter,
    sha256Fingerprint: sha256Fingerprint(der),
  };
}

export function sha256Fingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/** RFC 3339 (UTC, whole seconds) as the CR status and event log carry it. */
export function toRfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Whether `keyPem` (PKCS#1 or PKCS#8) is the private key of the first certificate of `certificatePem`. */
export function keyMatchesCertificate(keyPem: string, certificatePem: string): boolean {
  const first = parseCertificate(certificatePem);
  let key;
  try {
    key = createPrivateKey(keyPem);
  } catch {
    throw new CertificateError('The private key PEM cannot be read (expected "RSA PRIVATE KEY" or "PRIVATE KEY").');
  }
  return new NodeX509Certificate(Buffer.from(first.der)).checkPrivateKey(key);
}

/** Node prints a name one attribute per line, in encoding order ("C=DE\nO=Org\nCN=id"): one line here. */
function formatName(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}
