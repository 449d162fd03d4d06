// The Compass Connector (reference §4, compass-api §1): the token-secured endpoint exchanges a
// one-time token for a client certificate; the certificate-secured endpoint (mutual TLS) renews and
// revokes it. Every response is checked for the fields the next step needs (reference bug 8).
import { generateSigningRequest, DEFAULT_KEY_BITS, type RsaKeyPair } from '../pki/csr.js';
import { SubjectParseError } from '../pki/subject.js';
import { CredentialsError, decodeCertificationResult, type CertificationResult, type ClientCredentials } from '../pki/credentials.js';
import { registerSecret } from '../redaction.js';
import { CompassError, describeEndpoint } from './compass-error.js';
import { requireSecureUrl } from './endpoint-policy.js';
import { GraphQLTransport, type ClientCertificate, type GraphQLTransportOptions } from './graphql-transport.js';
import { errorMessage, isRecord } from '../unknown-values.js';

export const CONFIGURATION_QUERY = /* GraphQL */ `
  query Configuration {
    result: configuration {
      token {
        token
      }
      certificateSigningRequestInfo {
        subject
        keyAlgorithm
      }
      managementPlaneInfo {
        directorURL
        certificateSecuredConnectorURL
      }
    }
  }
`;

export const SIGN_CSR_MUTATION = /* GraphQL */ `
  mutation SignCertificateSigningRequest($csr: String!) {
    result: signCertificateSigningRequest(csr: $csr) {
      certificateChain
      caCertificate
      clientCertificate
    }
  }
`;

export const REVOKE_CERTIFICATE_MUTATION = /* GraphQL */ `
  mutation RevokeCertificate {
    result: revokeCertificate
  }
`;

export interface ManagementInfo {
  directorUrl: string;
  /** The certificate-secured Connector URL. */
  connectorUrl: string;
}

export interface ConnectorConfiguration {
  /** The follow-up one-time token; absent in certificate-secured answers that do not carry one. */
  token?: string;
  subject?: string;
  keyAlgorithm?: string;
  managementInfo: ManagementInfo;
}

export interface ConnectionResult {
  credentials: ClientCredentials;
  /** PKCS#1 PEM of the new key (Secret key `key`). */
  privateKeyPem: string;
  managementInfo: ManagementInfo;
}

/** Transport settings shared by every Connector call. */
export type ConnectorTransportOptions = Omit<GraphQLTransportOptions, 'url' | 'clientCertificate' | 'headers'>;

export interface FlowOptions extends ConnectorTransportOptions {
  /** RSA key size; default 4096. */
  keyBits?: number;
  /** Where the new key comes from (e.g. a SpareKey prepared in the background); a fresh one by default. */
  newKey?: (bits: number) => Promise<RsaKeyPair>;
  signal?: AbortSignal;
}

interface RawConfiguration {
  result?: {
    token?: { token?: unknown } | null;
    certificateSigningRequestInfo?: { subject?: unknown; keyAlgorithm?: unknown } | null;
    managementPlaneInfo?: { directorURL?: unknown; certificateSecuredConnectorURL?: unknown } | null;
  } | null;
}

/** The token-secured Connector: every call carries a one-time token in `Connector-Token`. */
export class TokenSecuredConnector {
  private readonly transport: GraphQLTransport;

  constructor(options: ConnectorTransportOptions & { url: string }) {
    this.transport = new GraphQLTransport({
      urlSource: 'the token-secured Connector URL, CONNECTOR_URL of the configuration Secret',
      ...options,
    });
  }

  async configuration(token: string, signal?: AbortSignal): Promise<ConnectorConfiguration & { token: string; subject: string }> {
    requireToken(token, 'configuration');
    registerSecret(token);
    const data = await this.transport.request<RawConfiguration>(
      CONFIGURATION_QUERY,
      {},
      { operation: 'configuration', headers: { 'Connector-Token': token }, signal },
    );
    const configuration = readConfiguration(data, this.transport);
    if (configuration.token === undefined) throw missing('configuration', this.transport.endpoint, 'token.token');
    if (configuration.subject === undefined) throw missing('configuration', this.transport.endpoint, 'certificateSigningRequestInfo');
    return { ...configuration, token: configuration.token, subject: configuration.subject };
  }

  async signCertificateSigningRequest(token: string, csrWire: string, signal?: AbortSignal): Promise<CertificationResult> {
    requireToken(token, 'signCertificateSigningRequest');
    registerSecret(token);
    const data = await this.transport.request<{ result?: unknown }>(
      SIGN_CSR_MUTATION,
      { csr: csrWire },
      { operation: 'signCertificateSigningRequest', headers: { 'Connector-Token': token }, signal },
    );
    return readCertificationResult(data, this.transport.endpoint);
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}

/** The certificate-secured Connector: identity is the client certificate presented over mutual TLS. */
export class CertificateSecuredConnector {
  private readonly transport: GraphQLTransport;

  constructor(options: ConnectorTransportOptions & { url: string; clientCertificate: ClientCertificate }) {
    this.transport = new GraphQLTransport({ urlSource: 'the certificate-secured Connector URL', ...options });
  }

  async configuration(signal?: AbortSignal): Promise<ConnectorConfiguration> {
    const data = await this.transport.request<RawConfiguration>(
      CONFIGURATION_QUERY,
      {},
      { operation: 'configuration', signal, resendable: true },
    );
    return readConfiguration(data, this.transport);
  }

  /** The connection check of every cycle (reference §4.3): `configuration` over mutual TLS; the management info it names. */
  async checkConnection(signal?: AbortSignal): Promise<ManagementInfo> {
    const configuration = await step('Failed to check the connection at the certificate-secured Connector', () =>
      this.configuration(signal),
    );
    return configuration.managementInfo;
  }

  async signCertificateSigningRequest(csrWire: string, signal?: AbortSignal): Promise<CertificationResult> {
    const data = await this.transport.request<{ result?: unknown }>(
      SIGN_CSR_MUTATION,
      { csr: csrWire },
      { operation: 'signCertificateSigningRequest', signal },
    );
    return readCertificationResult(data, this.transport.endpoint);
  }

  /** Revokes the presented certificate; it stays valid until expiry but can no longer renew. */
  async revokeCertificate(signal?: AbortSignal): Promise<void> {
    const data = await this.transport.request<{ result?: unknown }>(
      REVOKE_CERTIFICATE_MUTATION,
      {},
      { operation: 'revokeCertificate', signal },
    );
    if (data.result !== true) {
      throw new CompassError(
        `Compass revokeCertificate at ${this.transport.endpoint} answered ${JSON.stringify(data.result ?? null)} instead of true; the certificate may still be valid. Retry the revocation.`,
        {
          kind: 'invalid-response',
          operation: 'revokeCertificate',
          endpoint: this.transport.endpoint,
        },
      );
    }
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}

/**
 * Token flow (reference §4.2): configuration with the given token, a new key and CSR for the returned
 * subject, then signCertificateSigningRequest with the token returned by configuration.
 */
export async function establishConnection(options: FlowOptions & { connectorUrl: string; token: string }): Promise<ConnectionResult> {
  const { connectorUrl, token, keyBits, newKey, signal, ...transport } = options;
  const connector = new TokenSecuredConnector({ ...transport, url: connectorUrl });
  try {
    const configuration = await step('Failed to fetch the configuration from the token-secured Connector', () =>
      connector.configuration(token, signal),
    );
    const request = await makeCsr(configuration.subject, keyBits, connectorUrl, newKey);
    const result = await step('Failed to sign the CSR at the token-secured Connector', () =>
      connector.signCertificateSigningRequest(configuration.token, request.csrWire, signal),
    );
    return {
      credentials: decodeCredentials(result, connectorUrl),
      privateKeyPem: request.privateKeyPem,
      managementInfo: configuration.managementInfo,
    };
  } finally {
    await connector.close();
  }
}

/** Renewal (reference §4.3): configuration and a CSR over mutual TLS with the current certificate. */
export async function renewCertificate(
  options: FlowOptions & { connectorUrl: string; clientCertificate: ClientCertificate },
): Promise<ConnectionResult> {
  const { connectorUrl, clientCertificate, keyBits, newKey, signal, ...transport } = options;
  const connector = new CertificateSecuredConnector({ ...transport, url: connectorUrl, clientCertificate });
  try {
    const configuration = await step('Failed to fetch the configuration from the certificate-secured Connector', () =>
      connector.configuration(signal),
    );
    if (configuration.subject === undefined)
      throw missing('configuration', describeEndpoint(connectorUrl), 'certificateSigningRequestInfo');
    const request = await makeCsr(configuration.subject, keyBits, connectorUrl, newKey);
    const result = await step('Failed to renew the certificate at the certificate-secured Connector', () =>
      connector.signCertificateSigningRequest(request.csrWire, signal),
    );
    return {
      credentials: decodeCredentials(result, connectorUrl),
      privateKeyPem: request.privateKeyPem,
      managementInfo: configuration.managementInfo,
    };
  } finally {
    await connector.close();
  }
}

/** Maintenance without renewal: proves the certificate still works and returns the current URLs. */
export async function checkConnection(
  options: ConnectorTransportOptions & { connectorUrl: string; clientCertificate: ClientCertificate; signal?: AbortSignal },
): Promise<ManagementInfo> {
  const { connectorUrl, clientCertificate, signal, ...transport } = options;
  const connector = new CertificateSecuredConnector({ ...transport, url: connectorUrl, clientCertificate });
  try {
    return await connector.checkConnection(signal);
  } finally {
    await connector.close();
  }
}

/** `runtime-agent revoke`: revokes the presented client certificate. */
export async function revokeCertificate(
  options: ConnectorTransportOptions & { connectorUrl: string; clientCertificate: ClientCertificate; signal?: AbortSignal },
): Promise<void> {
  const { connectorUrl, clientCertificate, signal, ...transport } = options;
  const connector = new CertificateSecuredConnector({ ...transport, url: connectorUrl, clientCertificate });
  try {
    await step('Failed to revoke the client certificate', () => connector.revokeCertificate(signal));
  } finally {
    await connector.close();
  }
}

async function step<T>(context: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CompassError) throw error.withContext(context);
    throw error;
  }
}

async function makeCsr(subject: string, keyBits: number | undefined, endpoint: string, newKey?: (bits: number) => Promise<RsaKeyPair>) {
  try {
    return await generateSigningRequest(subject, keyBits ?? DEFAULT_KEY_BITS, newKey);
  } catch (error) {
    if (error instanceof SubjectParseError) {
      throw new CompassError(`Failed to generate the CSR: ${error.message}`, {
        kind: 'invalid-response',
        operation: 'configuration',
        endpoint: describeEndpoint(endpoint),
      });
    }
    throw error;
  }
}

function decodeCredentials(result: CertificationResult, endpoint: string): ClientCredentials {
  try {
    return decodeCertificationResult(result);
  } catch (error) {
    if (error instanceof CredentialsError) {
      throw new CompassError(`Failed to read the certificate returned by the Connector: ${error.message}`, {
        kind: 'invalid-response',
        operation: 'signCertificateSigningRequest',
        endpoint: describeEndpoint(endpoint),
      });
    }
    throw error;
  }
}

function requireToken(token: string, operation: string): void {
  if (typeof token !== 'string' || token.trim() === '') {
    throw new TypeError(
      `The Connector ${operation} call needs a one-time token, but none was given; put TOKEN into the agent configuration Secret.`,
    );
  }
}

function missing(operation: string, endpoint: string, field: string): CompassError {
  return new CompassError(
    `Compass ${operation} at ${endpoint} answered without ${field}; the Connector response is incomplete. Retry, and check the Connector version if it persists.`,
    {
      kind: 'invalid-response',
      operation,
      endpoint,
    },
  );
}

function nonEmptyString(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function readConfiguration(data: RawConfiguration, transport: GraphQLTransport): ConnectorConfiguration {
  const { endpoint } = transport;
  const result = data.result;
  if (!result || typeof result !== 'object') throw missing('configuration', endpoint, 'a configuration');
  const info = result.managementPlaneInfo;
  if (!info) throw missing('configuration', endpoint, 'managementPlaneInfo');
  const directorUrl = nonEmptyString(info.directorURL);
  const connectorUrl = nonEmptyString(info.certificateSecuredConnectorURL);
  if (!directorUrl) throw missing('configuration', endpoint, 'managementPlaneInfo.directorURL');
  if (!connectorUrl) throw missing('configuration', endpoint, 'managementPlaneInfo.certificateSecuredConnectorURL');
  // Refused here, before the CSR is signed or anything is sent to them.
  for (const [url, field] of [
    [directorUrl, 'directorURL'],
    [connectorUrl, 'certificateSecuredConnectorURL'],
  ] as const) {
    try {
      requireSecureUrl(url, `managementPlaneInfo.${field} in the Connector's configuration answer`, transport, 'configuration');
    } catch (error) {
      throw new CompassError(`Compass configuration at ${endpoint} answered with an insecure URL: ${errorMessage(error)}`, {
        kind: 'insecure-url',
        operation: 'configuration',
        endpoint,
      });
    }
  }
  const csrInfo = result.certificateSigningRequestInfo;
  const followUpToken = nonEmptyString(result.token?.token);
  registerSecret(followUpToken);
  return {
    token: followUpToken,
    subject: nonEmptyString(csrInfo?.subject),
    keyAlgorithm: nonEmptyString(csrInfo?.keyAlgorithm),
    managementInfo: { directorUrl, connectorUrl },
  };
}

function readCertificationResult(data: { result?: unknown }, endpoint: string): CertificationResult {
  const result = data.result;
  if (!isRecord(result)) throw missing('signCertificateSigningRequest', endpoint, 'a certification result');
  const field = (name: keyof CertificationResult): string => {
    const value = result[name];
    if (typeof value !== 'string' || value === '') throw missing('signCertificateSigningRequest', endpoint, name);
    return value;
  };
  return {
    ...result,
    certificateChain: field('certificateChain'),
    caCertificate: field('caCertificate'),
    clientCertificate: field('clientCertificate'),
  };
}
