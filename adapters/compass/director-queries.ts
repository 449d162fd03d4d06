// The Director operations (reference §5.1, §5.3) as documents with variables. Fragments keep the field
// tree of the first request and of the follow-up page requests identical; each document carries
// only the fragments it uses (unused fragments are invalid GraphQL). Unlike the Go agent, the query
// leaves out what no conversion reads (reference §5.1 "fetched but unused"): the application's
// labels and providerName, the API and event definitions' description, group and version, and the
// nested pages' startCursor. That is almost a third of the bytes of a large synchronization. The
// application pages do ask for startCursor: a page requested ahead is checked against the cursor
// chain with it (docs/decisions/0008-director-page-prefetch.md).

const PAGE_INFO = `fragment PageInfoFields on PageInfo { endCursor hasNextPage }`;

const API_DEFINITION = `fragment ApiDefinitionFields on APIDefinition { id name targetURL }`;

const EVENT_DEFINITION = `fragment EventDefinitionFields on EventDefinition { id name }`;

const AUTH = `fragment AuthFields on Auth {
  credential {
    __typename
    ... on BasicCredentialData { username password }
    ... on OAuthCredentialData { clientId clientSecret url }
  }
  additionalHeaders
  additionalQueryParams
  requestAuth { csrf { tokenEndpointURL } }
}`;

const BUNDLE = `fragment BundleFields on Bundle {
  id name description instanceAuthRequestInputSchema
  apiDefinitions(first: $nestedFirst) { data { ...ApiDefinitionFields } pageInfo { ...PageInfoFields } totalCount }
  eventDefinitions(first: $nestedFirst) { data { ...EventDefinitionFields } pageInfo { ...PageInfoFields } totalCount }
  defaultInstanceAuth { ...AuthFields }
}`;

const APPLICATION = `fragment ApplicationFields on Application {
  id name description
  auths { id }
  bundles(first: $nestedFirst) { data { ...BundleFields } pageInfo { ...PageInfoFields } totalCount }
}`;

const APPLICATION_TREE = [APPLICATION, BUNDLE, AUTH, API_DEFINITION, EVENT_DEFINITION, PAGE_INFO].join('\n');

/** First request of a synchronization: the runtime's labels and the first page of its applications. */
export const RUNTIME_CONFIGURATION_QUERY = `query RuntimeConfiguration($runtimeId: ID!, $first: Int!, $after: PageCursor, $nestedFirst: Int!) {
  runtime(id: $runtimeId) { labels }
  applicationsForRuntime(runtimeID: $runtimeId, first: $first, after: $after) {
    data { ...ApplicationFields }
    pageInfo { startCursor ...PageInfoFields }
    totalCount
  }
}
${APPLICATION_TREE}`;

/** Further pages of applications. */
export const APPLICATIONS_PAGE_QUERY = `query ApplicationsForRuntimePage($runtimeId: ID!, $first: Int!, $after: PageCursor, $nestedFirst: Int!) {
  applicationsForRuntime(runtimeID: $runtimeId, first: $first, after: $after) {
    data { ...ApplicationFields }
    pageInfo { startCursor ...PageInfoFields }
    totalCount
  }
}
${APPLICATION_TREE}`;

/** Further pages of an application's bundles. */
export const BUNDLES_PAGE_QUERY = `query ApplicationBundlesPage($applicationId: ID!, $first: Int!, $after: PageCursor, $nestedFirst: Int!) {
  application(id: $applicationId) {
    bundles(first: $first, after: $after) { data { ...BundleFields } pageInfo { ...PageInfoFields } totalCount }
  }
}
${[BUNDLE, AUTH, API_DEFINITION, EVENT_DEFINITION, PAGE_INFO].join('\n')}`;

/** Further pages of a bundle's API definitions. */
export const API_DEFINITIONS_PAGE_QUERY = `query BundleApiDefinitionsPage($applicationId: ID!, $bundleId: ID!, $first: Int!, $after: PageCursor) {
  application(id: $applicationId) {
    bundle(id: $bundleId) {
      apiDefinitions(first: $first, after: $after) { data { ...ApiDefinitionFields } pageInfo { ...PageInfoFields } totalCount }
    }
  }
}
${[API_DEFINITION, PAGE_INFO].join('\n')}`;

/** Further pages of a bundle's event definitions. */
export const EVENT_DEFINITIONS_PAGE_QUERY = `query BundleEventDefinitionsPage($applicationId: ID!, $bundleId: ID!, $first: Int!, $after: PageCursor) {
  application(id: $applicationId) {
    bundle(id: $bundleId) {
      eventDefinitions(first: $first, after: $after) { data { ...EventDefinitionFields } pageInfo { ...PageInfoFields } totalCount }
    }
  }
}
${[EVENT_DEFINITION, PAGE_INFO].join('\n')}`;

export const SET_RUNTIME_LABEL_MUTATION = `mutation SetRuntimeLabel($runtimeId: ID!, $key: String!, $value: Any!) {
  setRuntimeLabel(runtimeID: $runtimeId, key: $key, value: $value) { key value }
}`;

export const DIRECTOR_OPERATIONS = {
  RUNTIME_CONFIGURATION_QUERY,
  APPLICATIONS_PAGE_QUERY,
  BUNDLES_PAGE_QUERY,
  API_DEFINITIONS_PAGE_QUERY,
  EVENT_DEFINITIONS_PAGE_QUERY,
  SET_RUNTIME_LABEL_MUTATION,
} as const;
