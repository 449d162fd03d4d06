// The Connector's CSR handling (compass-api.md §1.4, §1.7): decode and check in the upstream order
// with the upstream messages, then issue a client certificate from the connector CA whose subject
// is the CSR's subject Name as it was encoded.
import 'reflect-metadata';
import { createHash, webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import type { CertificateAuthority } from '../tls/certificate-authority.js';
import { subjectConstants } from './compass-store.js';

x509.cryptoProvider.set(webcrypto as Crypto);

/** A Connector resolver error: shown to the client verbatim, without extensions. */
export class ConnectorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConnectorError';
  }
}

const signing = 'Error while signing Certificate Signing Request';

const subjectChecks: { field: keyof typeof subjectConstants; label: string }[] = [
  { field: 'C', label: 'country' },
  { field: 'O', label: 'organization' },
  { field: 'OU', label: 'organizational unit' },
  { field: 'L', label: 'locality' },
  { field: 'ST', label: 'province' },
];

export interface SignedCertificate {
  certificateChain: string;
  caCertificate: string;
  clientCertificate: string;
  sha256: string;
  commonName: string;
  notBefore: Date;
  notAfter: Date;
}

const base64Text = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64Strict(text: string): Buffer | undefined {
  // Go's StdEncoding skips CR and LF, so line-wrapped `openssl base64` output is accepted.
  const cleaned = text.replace(/[\r\n]/g, '');
  if (!base64Text.test(cleaned) || cleaned.length % 4 !== 0) return undefined;
  return Buffer.from(cleaned, 'base64');
}

function decodePem(text: string): Buffer | undefined {
  const match = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/.exec(text);
  if (!match) return undefined;
  const body = match[2].replace(/[\r\n\s]/g, '');
  if (!base64Text.test(body) || body.length % 4 !== 0 || body.length === 0) return undefined;
  return Buffer.from(body, 'base64');
}

/** Checks the CSR for `clientId` and, when it passes, issues the client certificate. */
export async function signCertificateSigningRequest(
  ca: CertificateAuthority,
  csrBase64: string,
  clientId: string,
  now: Date,
  validityMs: number,
): Promise<SignedCertificate> {
  const pemBytes = decodeBase64Strict(csrBase64);
  if (!pemBytes)
    throw new ConnectorError(
      'Error while decoding Certificate Signing Request: Error while parsing base64 content. Incorrect value provided.',
    );
  const der = decodePem(pemBytes.toString('latin1'));
  if (!der) throw new ConnectorError(`${signing}: Error while decoding pem block.`);
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(new Uint8Array(der));
    void csr.subjectName;
  } catch (error) {
    throw new ConnectorError(`${signing}: Error while parsing CSR: ${detail(error)}`);
  }
  let valid: boolean;
  try {
    valid = await csr.verify();
  } catch (error) {
    throw new ConnectorError(`${signing}: CSR signature invalid: ${detail(error)}`);
  }
  if (!valid) throw new ConnectorError(`${signing}: CSR signature invalid: crypto/rsa: verification error`);

  const subject = csr.subjectName;
  if (subject.getField('CN')[0] !== clientId) throw new ConnectorError(`${signing}: CSR: Invalid common name provided.`);
  for (const { field, label } of subjectChecks) {
    const values = subject.getField(field);
    if (values.length === 0) throw new ConnectorError(`${signing}: CSR: No ${label} provided.`);
    if (values[0] !== subjectConstants[field]) throw new ConnectorError(`${signing}: CSR: Invalid ${label} provided.`);
  }

  const notBefore = now;
  const notAfter = new Date(now.getTime() + validityMs);
  const certificate = await x509.X509CertificateGenerator.create({
    subject,
    issuer: ca.cert.subjectName,
    notBefore,
    notAfter,
    publicKey: csr.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth], false),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
    ],
  });
  const clientPem = certificate.toString('pem') + '\n';
  const caPem = ca.certPem;
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return {
    certificateChain: b64(clientPem + caPem),
    caCertificate: b64(caPem),
    clientCertificate: b64(clientPem),
    sha256: createHash('sha256').update(Buffer.from(certificate.rawData)).digest('hex'),
    commonName: clientId,
    notBefore,
    notAfter,
  };
}

function detail(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.slice(0, 200);
}
