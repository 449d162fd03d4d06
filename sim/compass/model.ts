// The simulator's data model: what the Director stores (tenants, runtimes, applications, bundles,
// API/event definitions, credentials) and what the Connector stores (system auths, tokens, issued
// and revoked certificates). Plain JSON-compatible records so the control API can carry them.

export type Labels = Record<string, unknown>;
export type MultiValueMap = Record<string, string[]>;

export type CredentialRecord =
  | { __typename: 'BasicCredentialData'; username: string; password: string }
  | { __typename: 'OAuthCredentialData'; clientId: string; clientSecret: string; url: string }
  | { __typename: 'CertificateOAuthCredentialData'; clientId: string; certificate: string; url: string };

export interface CsrfRecord {
  tokenEndpointURL: string;
  credential?: CredentialRecord | null;
  additionalHeaders?: MultiValueMap | null;
  additionalQueryParams?: MultiValueMap | null;
}

export interface AuthRecord {
  credential?: CredentialRecord | null;
  additionalHeaders?: MultiValueMap | null;
  additionalQueryParams?: MultiValueMap | null;
  requestAuth?: { csrf?: CsrfRecord | null } | null;
}

export interface VersionRecord {
  value: string;
  deprecated?: boolean | null;
  deprecatedSince?: string | null;
  forRemoval?: boolean | null;
}

export interface SpecRecord {
  data?: string | null;
  format: 'YAML' | 'JSON' | 'XML';
}

export interface ApiDefinitionRecord {
  id: string;
  name: string;
  description?: string | null;
  targetURL: string;
  group?: string | null;
  version?: VersionRecord | null;
  spec?: (SpecRecord & { type: 'ODATA' | 'OPEN_API' }) | null;
}

export interface EventDefinitionRecord {
  id: string;
  name: string;
  description?: string | null;
  group?: string | null;
  version?: VersionRecord | null;
  spec?: (SpecRecord & { type: 'ASYNC_API' }) | null;
}

export interface BundleRecord {
  id: string;
  name: string;
  description?: string | null;
  /** JSONSchema scalar: JSON text. */
  instanceAuthRequestInputSchema?: string | null;
  defaultInstanceAuth?: AuthRecord | null;
  apiDefinitions: ApiDefinitionRecord[];
  eventDefinitions: EventDefinitionRecord[];
}

export interface ApplicationRecord {
  id: string;
  /** External tenant id. */
  tenant: string;
  name: string;
  providerName?: string | null;
  description?: string | null;
  integrationSystemID?: string | null;
  healthCheckURL?: string | null;
  /** `scenarios` decides which runtimes see the application. */
  labels: Labels;
  status: { condition: 'INITIAL' | 'CONNECTED' | 'FAILED'; timestamp: string };
  /** System auth ids of the application. */
  auths: { id: string }[];
  bundles: BundleRecord[];
}

export interface RuntimeRecord {
  id: string;
  /** External tenant id. */
  tenant: string;
  name: string;
  description?: string | null;
  labels: Labels;
  status: { condition: 'INITIAL' | 'PROVISIONING' | 'CONNECTED' | 'FAILED'; timestamp: string };
  creationTimestamp: string;
}

/** Input for seeding: everything but the id is optional and defaulted. */
export type ApplicationInput = Partial<Omit<ApplicationRecord, 'bundles'>> & {
  id: string;
  name?: string;
  bundles?: BundleInput[];
};

export type BundleInput = Partial<BundleRecord> & { id: string };

export type RuntimeInput = Partial<RuntimeRecord> & { id: string };

export interface TenantRecord {
  externalId: string;
  internalId: string;
}

/** A Connector/Director system auth: its id is the client id and the certificate CN. */
export interface SystemAuthRecord {
  id: string;
  tenant: string;
  runtimeId: string;
}

export type TokenType = 'Runtime' | 'Certificate';

export interface MintedToken {
  token: string;
  /** The system auth id the token authenticates (the future certificate CN). */
  clientId: string;
  runtimeId: string;
  connectorURL: string;
  /** JSON text {"token","connectorURL"}, as the Director's OneTimeTokenForRuntime.raw. */
  raw: string;
  /** Standard base64 of raw. */
  rawEncoded: string;
  expiresAt: string;
}

export interface IssuedCertificateRecord {
  /** SHA-256 of the DER, lowercase hex. */
  sha256: string;
  commonName: string;
  notBefore: string;
  notAfter: string;
  revoked: boolean;
}
