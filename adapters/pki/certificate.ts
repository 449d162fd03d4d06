// Reading X.509 certificates: PEM bundles, validity dates, fingerprints, key/certificate pairing.
import { createHash, createPrivateKey, X509Certificate as NodeX509Certificate } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { decodePemBlocks, PemError } from './pem.js';

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

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.6': 'C',
  '2.5.4.8': 'ST',
  '2.5.4.7': 'L',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.3': 'CN',
};

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
  let certificate: pkijs.Certificate;
  try {
    const asn1 = asn1js.fromBER(der);
    if (asn1.offset === -1) throw new Error(asn1.result.error);
    certificate = new pkijs.Certificate({ schema: asn1.result });
  } catch (error) {
    throw new CertificateError(`${what} is not a valid X.509 certificate (${(error as Error).message}).`);
  }
  return {
    pem,
    der,
    subject: formatName(certificate.subject),
    issuer: formatName(certificate.issuer),
    notBefore: certificate.notBefore.value,
    notAfter: certificate.notAfter.value,
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

function formatName(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((atv) => `${SHORT_NAMES[atv.type] ?? atv.type}=${(atv.value as { valueBlock?: { value?: unknown } }).valueBlock?.value ?? ''}`)
    .join(', ');
}
