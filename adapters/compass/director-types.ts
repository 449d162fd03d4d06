// What the agent reads from the Director (bundles era, director-newest.graphql), after every page of
// every list has been fetched and joined. The Director client produces it; the conversion into
// Application resources (src/applications/) consumes it. Field names follow the GraphQL schema.

export type Labels = Record<string, unknown>;

/** HttpHeaders / QueryParams scalars: name → list of values. */
export type MultiValueMap = Record<string, string[]>;

export interface BasicCredentialData {
  __typename: 'BasicCredentialData';
  username: string;
  password: string;
}

export interface OAuthCredentialData {
  __typename: 'OAuthCredentialData';
  clientId: string;
  clientSecret: string;
  url: string;
}

/** Credential variants the agent does not map (e.g. CertificateOAuthCredentialData) arrive as `{ __typename }`. */
export type CredentialData = BasicCredentialData | OAuthCredentialData | { __typename: string };

export interface DirectorAuth {
  credential: CredentialData | null;
  additionalHeaders: MultiValueMap | null;
  additionalQueryParams: MultiValueMap | null;
  requestAuth: { csrf: { tokenEndpointURL: string } | null } | null;
}

export interface DirectorAPIDefinition {
  id: string;
  name: string;
  targetURL: string;
}

export interface DirectorEventDefinition {
  id: string;
  name: string;
}

export interface DirectorBundle {
  id: string;
  name: string;
  description: string | null;
  /** JSONSchema scalar: JSON text, or null. */
  instanceAuthRequestInputSchema: string | null;
  /** Every API definition of the bundle (all pages). */
  apiDefinitions: DirectorAPIDefinition[];
  /** Every event definition of the bundle (all pages). */
  eventDefinitions: DirectorEventDefinition[];
  defaultInstanceAuth: DirectorAuth | null;
}

export interface DirectorApplication {
  id: string;
  name: string;
  description: string | null;
  /** `auths[].id`: the system-auth ids that become `compassMetadata.authentication.clientIds`. */
  auths: { id: string }[];
  /** Every bundle of the application (all pages). */
  bundles: DirectorBundle[];
}

/** The complete, consistent answer of one synchronization fetch. */
export interface RuntimeConfiguration {
  runtimeLabels: Labels;
  applications: DirectorApplication[];
  /**
   * Names everything the Director said in this fetch (a digest of its answers, director-page-memory.ts):
   * equal for two fetches that read the same bytes; absent when an application continued on further requests.
   */
  answers?: string;
  /** Application pages read from their answer, and those recognised unread (an answer identical to the last fetch's). */
  pages?: { read: number; reused: number };
  /**
   * With a cursor chain to go by: application pages requested ahead that the fetch used, and those
   * it discarded (docs/decisions/0008-director-page-prefetch.md).
   */
  prefetch?: { used: number; discarded: number };
}

/** DirectorClient.fetchUnchanged: the Director said exactly what it said in the last complete fetch. */
export interface UnchangedConfiguration {
  unchanged: true;
  runtimeLabels: Labels;
  /** As RuntimeConfiguration.answers of that fetch. */
  answers: string;
  pages: { read: number; reused: number };
}
