// The GraphQL schema subsets the simulator serves, written for the simulator (not copied from
// upstream), with their resolvers attached. Names and types match kyma-incubator/compass:
// connector.graphql and director-newest.graphql (bundles era); test/compass-sim/schema.test.ts
// checks that against the upstream files when they are present.
import { buildSchema, type GraphQLSchema } from 'graphql';
import { connectorResolvers } from './connector-resolvers.js';
import { directorResolvers } from './director-resolvers.js';
import { attachResolvers } from './graphql-execution.js';

export const connectorSdl = /* GraphQL */ `
  type Query {
    configuration: Configuration!
  }

  type Mutation {
    signCertificateSigningRequest(csr: String!): CertificationResult!
    revokeCertificate: Boolean!
  }

  type Configuration {
    token: Token
    certificateSigningRequestInfo: CertificateSigningRequestInfo
    managementPlaneInfo: ManagementPlaneInfo
  }

  type Token {
    token: String!
  }

  type CertificateSigningRequestInfo {
    subject: String!
    keyAlgorithm: String!
  }

  type ManagementPlaneInfo {
    directorURL: String
    certificateSecuredConnectorURL: String
  }

  type CertificationResult {
    certificateChain: String!
    caCertificate: String!
    clientCertificate: String!
  }
`;

// Custom scalars keep graphql-js's pass-through behaviour: JSON/JSONSchema travel as JSON text
// strings, Labels/HttpHeaders/QueryParams as objects, Any as any JSON value.
export const directorSdl = /* GraphQL */ `
  scalar Any
  scalar CLOB
  scalar HttpHeaders
  scalar JSONSchema
  scalar Labels
  scalar PageCursor
  scalar QueryParams
  scalar Timestamp

  type Query {
    applicationsForRuntime(runtimeID: ID!, first: Int = 200, after: PageCursor): ApplicationPage!
    application(id: ID!): Application
    runtime(id: ID!): Runtime
  }

  type Mutation {
    setRuntimeLabel(runtimeID: ID!, key: String!, value: Any!): Label!
  }

  type PageInfo {
    startCursor: PageCursor!
    endCursor: PageCursor!
    hasNextPage: Boolean!
  }

  type Label {
    key: String!
    value: Any!
  }

  enum RuntimeStatusCondition {
    INITIAL
    PROVISIONING
    CONNECTED
    FAILED
  }

  enum ApplicationStatusCondition {
    INITIAL
    CONNECTED
    FAILED
  }

  enum SystemAuthReferenceType {
    APPLICATION
    RUNTIME
    INTEGRATION_SYSTEM
  }

  enum SpecFormat {
    YAML
    JSON
    XML
  }

  enum APISpecType {
    ODATA
    OPEN_API
  }

  enum EventSpecType {
    ASYNC_API
  }

  type Runtime {
    id: ID!
    metadata: RuntimeMetadata!
    name: String!
    description: String
    labels(key: String): Labels
    status: RuntimeStatus!
    auths: [RuntimeSystemAuth!]
    eventingConfiguration: RuntimeEventingConfiguration
  }

  type RuntimeMetadata {
    creationTimestamp: Timestamp!
  }

  type RuntimeStatus {
    condition: RuntimeStatusCondition!
    timestamp: Timestamp!
  }

  type RuntimeEventingConfiguration {
    defaultURL: String!
  }

  type RuntimeSystemAuth {
    id: ID!
    type: SystemAuthReferenceType
    tenantId: String
    referenceObjectId: ID
  }

  type ApplicationPage {
    data: [Application!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type Application {
    id: ID!
    name: String!
    providerName: String
    description: String
    integrationSystemID: ID
    labels(key: String): Labels
    status: ApplicationStatus!
    healthCheckURL: String
    bundles(first: Int = 200, after: PageCursor): BundlePage
    bundle(id: ID!): Bundle
    auths: [AppSystemAuth!]
    eventingConfiguration: ApplicationEventingConfiguration
  }

  type ApplicationStatus {
    condition: ApplicationStatusCondition!
    timestamp: Timestamp!
  }

  type ApplicationEventingConfiguration {
    defaultURL: String!
  }

  type AppSystemAuth {
    id: ID!
    type: SystemAuthReferenceType
    tenantId: String
    referenceObjectId: ID
  }

  type BundlePage {
    data: [Bundle!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type Bundle {
    id: ID!
    name: String!
    description: String
    instanceAuthRequestInputSchema: JSONSchema
    defaultInstanceAuth: Auth
    apiDefinitions(group: String, first: Int = 200, after: PageCursor): APIDefinitionPage
    eventDefinitions(group: String, first: Int = 200, after: PageCursor): EventDefinitionPage
    apiDefinition(id: ID!): APIDefinition
    eventDefinition(id: ID!): EventDefinition
  }

  type APIDefinitionPage {
    data: [APIDefinition!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type APIDefinition {
    id: ID!
    name: String!
    description: String
    spec: APISpec
    targetURL: String!
    group: String
    version: Version
  }

  type APISpec {
    id: ID!
    data: CLOB
    format: SpecFormat!
    type: APISpecType!
  }

  type EventDefinitionPage {
    data: [EventDefinition!]!
    pageInfo: PageInfo!
    totalCount: Int!
  }

  type EventDefinition {
    id: ID!
    name: String!
    description: String
    group: String
    spec: EventSpec
    version: Version
  }

  type EventSpec {
    id: ID!
    data: CLOB
    type: EventSpecType!
    format: SpecFormat!
  }

  type Version {
    value: String!
    deprecated: Boolean
    deprecatedSince: String
    forRemoval: Boolean
  }

  type Auth {
    credential: CredentialData
    additionalHeaders: HttpHeaders
    additionalQueryParams: QueryParams
    requestAuth: CredentialRequestAuth
  }

  union CredentialData = BasicCredentialData | OAuthCredentialData | CertificateOAuthCredentialData

  type BasicCredentialData {
    username: String!
    password: String!
  }

  type OAuthCredentialData {
    clientId: ID!
    clientSecret: String!
    url: String!
  }

  type CertificateOAuthCredentialData {
    clientId: ID!
    certificate: String!
    url: String!
  }

  type CredentialRequestAuth {
    csrf: CSRFTokenCredentialRequestAuth
  }

  type CSRFTokenCredentialRequestAuth {
    tokenEndpointURL: String!
    credential: CredentialData
    additionalHeaders: HttpHeaders
    additionalQueryParams: QueryParams
  }
`;

let connector: GraphQLSchema | undefined;
let director: GraphQLSchema | undefined;

export function connectorSchema(): GraphQLSchema {
  connector ??= attachResolvers(buildSchema(connectorSdl), connectorResolvers);
  return connector;
}

export function directorSchema(): GraphQLSchema {
  director ??= attachResolvers(buildSchema(directorSdl), directorResolvers);
  return director;
}
