// RSA keys and PKCS#10 certificate signing requests for the Connector (reference §3.2):
// SHA-256 with RSA, the subject as a SEQUENCE of single-attribute RDNs in the order C, ST, L, O, OU, CN,
// no extensions. The Connector takes the CSR as standard base64 of its PEM text.
//
// The request is a handful of DER structures, written here and signed by node:crypto: an ASN.1
// library (pkijs, asn1js, WebCrypto keys) would stay loaded in the agent for the one request it makes
// per connection or renewal. The bytes are those pkijs wrote before (certificationRequestInfo with
// version 0, the subject, the key's SubjectPublicKeyInfo and no attributes field; sha256WithRSA
// without parameters; the PKCS#1 v1.5 signature), which test/pki/pki.test.ts pins with openssl.
import { generateKeyPair, sign, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { parseSubject, type SubjectAttribute, type SubjectAttributeType } from './subject.js';
import { toPem } from './pem.js';

export const DEFAULT_KEY_BITS = 4096;

const generateKeyPairAsync = promisify(generateKeyPair);

const OIDS: Record<SubjectAttributeType, string> = {
  C: '2.5.4.6',
  ST: '2.5.4.8',
  L: '2.5.4.7',
  O: '2.5.4.10',
  OU: '2.5.4.11',
  CN: '2.5.4.3',
};

export interface RsaKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
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
  return { privateKey, publicKey, privateKeyPem: privateKey.export({ format: 'pem', type: 'pkcs1' }).toString() };
}

/** DER: a tag, its length (short or long form) and the content. */
function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const length = body.length;
  if (length < 0x80) return Buffer.concat([Buffer.from([tag, length]), body]);
  const bytes: number[] = [];
  for (let rest = length; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  return Buffer.concat([Buffer.from([tag, 0x80 | bytes.length, ...bytes]), body]);
}

const SEQUENCE = 0x30;
const SET = 0x31;

function objectIdentifier(oid: string): Buffer {
  const [first, second, ...rest] = oid.split('.').map(Number);
  const bytes = [40 * first + second];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let value = Math.floor(arc / 128); value > 0; value = Math.floor(value / 128)) base128.unshift(0x80 | (value & 0x7f));
    bytes.push(...base128);
  }
  return der(0x06, Buffer.from(bytes));
}

/** sha256WithRSAEncryption (PKCS #1), without parameters, as pkijs wrote it. */
const SHA256_WITH_RSA = der(SEQUENCE, objectIdentifier('1.2.840.113549.1.1.11'));

/**
 * The subject Name (DER): a SEQUENCE of one-element SETs, one RDN per attribute (a single SET of every
 * attribute would be one multi-valued RDN, which Go's parser reads as one attribute). C is a
 * PrintableString (RFC 5280, its characters taken as single bytes), everything else UTF8String.
 */
export function encodeSubject(attributes: readonly SubjectAttribute[]): Buffer {
  const rdns = attributes.map((attribute) => {
    const value =
      attribute.type === 'C' ? der(0x13, Buffer.from(attribute.value, 'latin1')) : der(0x0c, Buffer.from(attribute.value, 'utf8'));
    return der(SET, der(SEQUENCE, objectIdentifier(OIDS[attribute.type]), value));
  });
  return der(SEQUENCE, ...rdns);
}

export async function createCertificationRequest(
  attributes: readonly SubjectAttribute[],
  keys: Pick<RsaKeyPair, 'privateKey' | 'publicKey'>,
): Promise<string> {
  const version = Buffer.from([0x02, 0x01, 0x00]);
  const info = der(SEQUENCE, version, encodeSubject(attributes), keys.publicKey.export({ format: 'der', type: 'spki' }));
  const signature = sign('sha256', info, keys.privateKey);
  const request = der(SEQUENCE, info, SHA256_WITH_RSA, der(0x03, Buffer.from([0x00]), signature));
  return toPem(new Uint8Array(request), 'CERTIFICATE REQUEST');
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
