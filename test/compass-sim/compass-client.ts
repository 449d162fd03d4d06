// A small independent GraphQL-over-HTTPS client for the simulator tests (undici with an explicit
// CA and optional client certificate), plus in-process CSR generation with @peculiar/x509.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { Agent, fetch } from 'undici';
import { generateRsaKey, type KeyMaterial } from '../../sim/tls/certificate-authority.js';

x509.cryptoProvider.set(webcrypto as Crypto);

export interface Answer {
  status: number;
  text: string;
  json: any;
}

export interface ClientCredentials {
  certPem: string;
  keyPem: string;
}

export function agentFor(ca: string, credentials?: ClientCredentials): Agent {
  return new Agent({ connect: { ca, cert: credentials?.certPem, key: credentials?.keyPem }, keepAliveTimeout: 10 });
}

export async function post(
  url: string,
  agent: Agent,
  query: string,
  headers: Record<string, string> = {},
  variables?: Record<string, unknown>,
): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    dispatcher: agent,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json };
}

let sharedKey: Promise<KeyMaterial> | undefined;

/** One RSA key for every CSR of a test file: the Connector does not check keys. */
export function testKey(): Promise<KeyMaterial> {
  sharedKey ??= generateRsaKey(2048);
  return sharedKey;
}

/** A PEM CSR for an RFC 4514-ish subject such as "C=DE, O=Org, CN=x" (encoded in that order). */
export async function csrPem(subject: string): Promise<string> {
  const { keys } = await testKey();
  const csr = await x509.Pkcs10CertificateRequestGenerator.create({
    name: subject,
    keys,
    signingAlgorithm: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
  });
  return csr.toString('pem');
}

export function subjectFor(clientId: string, overrides: Record<string, string | null> = {}): string {
  const fields: Record<string, string | null> = {
    C: 'DE',
    ST: 'province',
    L: 'locality',
    O: 'Org',
    OU: 'OrgUnit',
    CN: clientId,
    ...overrides,
  };
  return Object.entries(fields)
    .filter((entry): entry is [string, string] => entry[1] !== null)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

export const configurationQuery =
  'query { result: configuration { token { token } certificateSigningRequestInfo { subject keyAlgorithm } managementPlaneInfo { directorURL certificateSecuredConnectorURL } } }';

export const signQuery =
  'mutation Sign($csr: String!) { result: signCertificateSigningRequest(csr: $csr) { certificateChain caCertificate clientCertificate } }';
