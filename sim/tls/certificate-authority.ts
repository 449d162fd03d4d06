// A small certificate authority for the simulators: a CA, server certificates for loopback and
// client certificates. Test and simulator material only; 2048-bit keys keep start-up fast.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as Crypto);

const RSA = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
} as const;

export interface KeyMaterial {
  keys: CryptoKeyPair;
  keyPem: string;
}

export interface CertificateAuthority {
  certPem: string;
  keyPem: string;
  cert: x509.X509Certificate;
  keys: CryptoKeyPair;
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
  cert: x509.X509Certificate;
}

export interface IssueOptions {
  /** RFC 4514-style subject, e.g. "CN=admin, O=system:masters", or an already built Name. */
  subject: string | x509.Name;
  publicKey: CryptoKey | x509.PublicKey;
  notBefore?: Date;
  notAfter?: Date;
  serverAuth?: boolean;
  clientAuth?: boolean;
  dnsNames?: string[];
  ipAddresses?: string[];
  serialNumber?: string;
}

export async function generateRsaKey(modulusLength = 2048): Promise<KeyMaterial> {
  const keys = await webcrypto.subtle.generateKey({ ...RSA, modulusLength }, true, ['sign', 'verify']);
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { keys, keyPem: toPem(Buffer.from(pkcs8), 'PRIVATE KEY') };
}

export function toPem(der: Uint8Array, label: string): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

export async function createCertificateAuthority(commonName: string, validityDays = 92): Promise<CertificateAuthority> {
  const { keys, keyPem } = await generateRsaKey();
  const notBefore = new Date(Date.now() - 60_000);
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: `CN=${commonName}`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + validityDays * 86_400_000),
    keys,
    signingAlgorithm: RSA,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem, cert, keys };
}

export async function issueCertificate(ca: CertificateAuthority, options: IssueOptions): Promise<x509.X509Certificate> {
  const notBefore = options.notBefore ?? new Date(Date.now() - 60_000);
  const usages: string[] = [];
  if (options.serverAuth) usages.push(x509.ExtendedKeyUsage.serverAuth);
  if (options.clientAuth) usages.push(x509.ExtendedKeyUsage.clientAuth);
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
    new x509.ExtendedKeyUsageExtension(usages, false),
    await x509.AuthorityKeyIdentifierExtension.create(ca.cert, false),
  ];
  const altNames = [
    ...(options.dnsNames ?? []).map((value) => ({ type: 'dns' as const, value })),
    ...(options.ipAddresses ?? []).map((value) => ({ type: 'ip' as const, value })),
  ];
  if (altNames.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(altNames, false));
  return x509.X509CertificateGenerator.create({
    serialNumber: options.serialNumber ?? randomSerial(),
    subject: options.subject,
    issuer: ca.cert.subjectName,
    notBefore,
    notAfter: options.notAfter ?? new Date(notBefore.getTime() + 365 * 86_400_000),
    publicKey: options.publicKey,
    signingKey: ca.keys.privateKey,
    signingAlgorithm: RSA,
    extensions,
  });
}

/** A key and a certificate for a loopback TLS server (DNS localhost, IP 127.0.0.1 and ::1). */
export async function issueServerCertificate(ca: CertificateAuthority, commonName: string): Promise<IssuedCertificate> {
  const { keys, keyPem } = await generateRsaKey();
  const cert = await issueCertificate(ca, {
    subject: `CN=${commonName}`,
    publicKey: keys.publicKey,
    serverAuth: true,
    dnsNames: ['localhost'],
    ipAddresses: ['127.0.0.1', '::1'],
  });
  return { certPem: cert.toString('pem') + '\n', keyPem, cert };
}

/** A key and a client certificate; `subject` such as "CN=alice, O=system:masters". */
export async function issueClientCertificate(
  ca: CertificateAuthority,
  subject: string,
  validity?: { notBefore?: Date; notAfter?: Date },
): Promise<IssuedCertificate> {
  const { keys, keyPem } = await generateRsaKey();
  const cert = await issueCertificate(ca, { subject, publicKey: keys.publicKey, clientAuth: true, ...validity });
  return { certPem: cert.toString('pem') + '\n', keyPem, cert };
}

function randomSerial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f; // keep it positive
  return Buffer.from(bytes).toString('hex');
}
