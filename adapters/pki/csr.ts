// RSA keys and PKCS#10 certificate signing requests for the Connector (reference §3.2):
// SHA-256 with RSA, the subject as a SEQUENCE of single-attribute RDNs in the order C, ST, L, O, OU, CN,
// no extensions. The Connector takes the CSR as standard base64 of its PEM text.
import { generateKeyPair, webcrypto } from 'node:crypto';
import { promisify } from 'node:util';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { parseSubject, type SubjectAttribute, type SubjectAttributeType } from './subject.js';
import { toPem } from './pem.js';

export const DEFAULT_KEY_BITS = 4096;

const generateKeyPairAsync = promisify(generateKeyPair);
const subtle = webcrypto.subtle as unknown as SubtleCrypto;
const RSA_SHA256 = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

const OIDS: Record<SubjectAttributeType, string> = {
  C: '2.5.4.6',
  ST: '2.5.4.8',
  L: '2.5.4.7',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
};

export interface RsaKeyPair {
  privateKey: CryptoKey;
  publicKey: CryptoKey;
  /** PKCS#1 PEM (`RSA PRIVATE KEY`), the format of the `key` entry of the client-certificate Secret. */
  privateKeyPem: string;
}

export interface SigningRequest {
  /** `-----BEGIN CERTIFICATE REQUEST-----` text. */
  csrPem: string;
  /** What `signCertificateSigningRequest(csr:)` expects: standard base64 of the PEM text. */
  csrWire: string;
  privateKeyPem: string;
}

/** A fresh RSA key. node:crypto generates it natively (WebCrypto is several times slower at 4096 bits). */
export async function generateRsaKeyPair(bits: number = DEFAULT_KEY_BITS): Promise<RsaKeyPair> {
  if (!Number.isInteger(bits) || bits < 1024 || bits > 16384) {
    throw new RangeError(`RSA key size ${bits} is not supported; use 2048 or 4096 bits.`);
  }
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  return {
    privateKey: await subtle.importKey('pkcs8', pkcs8, RSA_SHA256, false, ['sign']),
    publicKey: await subtle.importKey('spki', spki, RSA_SHA256, true, ['verify']),
    privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs1' }).toString(),
  };
}

/**
 * The subject Name. pkijs' own RelativeDistinguishedNames puts every attribute into one SET (a single
 * multi-valued RDN, which Go's parser reads as one attribute), so the SEQUENCE of one-element SETs is
 * built by hand. C is a PrintableString (RFC 5280), everything else UTF8String.
 */
export function encodeSubject(attributes: readonly SubjectAttribute[]): pkijs.RelativeDistinguishedNames {
  const rdns = attributes.map((attribute) => {
    const value = attribute.type === 'C' ? new asn1js.PrintableString({ value: attribute.value }) : new asn1js.Utf8String({ value: attribute.value });
    const atv = new pkijs.AttributeTypeAndValue({ type: OIDS[attribute.type], value });
    return new asn1js.Set({ value: [atv.toSchema()] });
  });
  return pkijs.RelativeDistinguishedNames.fromBER(new asn1js.Sequence({ value: rdns }).toBER(false));
}

export async function createCertificationRequest(attributes: readonly SubjectAttribute[], keys: Pick<RsaKeyPair, 'privateKey' | 'publicKey'>): Promise<string> {
  const request = new pkijs.CertificationRequest();
  request.version = 0;
  request.subject = encodeSubject(attributes);
  await request.subjectPublicKeyInfo.importKey(keys.publicKey);
  await request.sign(keys.privateKey, 'SHA-256');
  return toPem(new Uint8Array(request.toSchema(true).toBER(false)), 'CERTIFICATE REQUEST');
}

/** Parses the Connector's subject, makes a new key (never reused) and the CSR for it. */
export async function generateSigningRequest(
  subject: string,
  keyBits: number = DEFAULT_KEY_BITS,
  newKey: (bits: number) => Promise<RsaKeyPair> = generateRsaKeyPair,
): Promise<SigningRequest> {
  const { attributes } = parseSubject(subject);
  const keys = await newKey(keyBits);
  const csrPem = await createCertificationRequest(attributes, keys);
  return { csrPem, csrWire: Buffer.from(csrPem, 'utf8').toString('base64'), privateKeyPem: keys.privateKeyPem };
}
