// Director application → the desired `Application` CR and the Secrets its API entries use.
// Pure: the Secrets get their owner reference once the Application is stored (see sync-executor).

import type { DirectorApplication, DirectorAuth, DirectorBundle, MultiValueMap } from '../../adapters/compass/director-types.js';
import {
  APPLICATION_API_VERSION,
  APPLICATION_KIND,
  CONNECTED_APP_LABEL,
  DESCRIPTION_NOT_PROVIDED,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  SECRET_APP_LABEL,
  SECRET_BUNDLE_LABEL,
  type ApplicationEntry,
  type ApplicationObject,
  type ApplicationService,
  type EntryCredentials,
  type SecretObject,
} from './application-resource.js';
import { applicationProblems } from './application-validation.js';
import { centralGatewayUrl, credentialsSecretName, requestParametersSecretName, secretAppLabelValue, serviceName } from './naming.js';
import type { ProtectedSecret } from './protected-secrets.js';
import { isRecord } from '../../adapters/unknown-values.js';

export interface ConversionOptions {
  /** APP_CENTRAL_GATEWAY_SERVICE_URL */
  centralGatewayUrl: string;
  /** APP_SKIP_APPS_TLS_VERIFY; only takes effect when the Application is created. */
  skipAppsTlsVerify: boolean;
  /** APP_INTEGRATION_NAMESPACE: where credential and request-parameter Secrets live. */
  integrationNamespace: string;
  /** The agent's own Secrets: an application whose Secret would have one of these names is not applied. */
  protectedSecrets?: readonly ProtectedSecret[];
}

export interface DesiredApplication {
  /** The CR name (normalised or not, decided by the caller). */
  name: string;
  /** The name the Director gave the application. */
  directorName: string;
  applicationId: string;
  application: ApplicationObject;
  /** Credential and request-parameter Secrets, without owner references. */
  secrets: SecretObject[];
  /**
   * Why the application cannot be applied (application-validation.ts); empty when it can. An
   * application with problems is neither created, updated nor deleted.
   */
  problems: string[];
}

export { SECRET_APP_LABEL, SECRET_BUNDLE_LABEL };

type BundleCredentials =
  { type: 'Basic'; username: string; password: string } | { type: 'OAuth'; clientId: string; clientSecret: string; url: string };

/** Only complete credentials count: an incomplete one gets no Secret, so the CR must not name one. */
function credentialsOf(auth: DirectorAuth | null): BundleCredentials | null {
  const credential: unknown = auth?.credential;
  if (!isRecord(credential)) return null;
  const text = (key: string): string => (typeof credential[key] === 'string' ? credential[key] : '');
  if (credential.__typename === 'BasicCredentialData' || 'username' in credential) {
    const username = text('username');
    const password = text('password');
    return username && password ? { type: 'Basic', username, password } : null;
  }
  if (credential.__typename === 'OAuthCredentialData' || 'clientId' in credential) {
    const clientId = text('clientId');
    const clientSecret = text('clientSecret');
    return clientId && clientSecret ? { type: 'OAuth', clientId, clientSecret, url: text('url') } : null;
  }
  return null;
}

function nonEmpty(map: MultiValueMap | null | undefined): MultiValueMap | null {
  return map && Object.keys(map).length > 0 ? map : null;
}

const utf8Order = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));
/** Go's encoding/json escapes these (HTML-safe); JSON.stringify writes them as they are. */
const GO_ESCAPED = /[<>&\u2028\u2029]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The bytes Go's json.Marshal writes for a map[string][]string, so that a Secret the Go agent wrote
 * is not rewritten: keys in UTF-8 byte order, <, >, &, U+2028 and U+2029 as \u escapes, a lone
 * surrogate as U+FFFD (Go strings hold UTF-8, its JSON decoder already replaced them).
 */
function goJson(map: MultiValueMap): string {
  const text = (value: string) => JSON.stringify(value.replace(LONE_SURROGATE, '\ufffd'));
  const members = Object.keys(map)
    .sort(utf8Order)
    .map((key) => `${text(key)}:[${(map[key] ?? []).map(text).join(',')}]`);
  return `{${members.join(',')}}`.replace(GO_ESCAPED, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

function secret(name: string, appName: string, bundleId: string, namespace: string, data: Record<string, string>): SecretObject {
  const encoded: Record<string, string> = {};
  for (const [key, value] of Object.entries(data)) encoded[key] = base64(value);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name, namespace, labels: { [SECRET_APP_LABEL]: secretAppLabelValue(appName), [SECRET_BUNDLE_LABEL]: bundleId } },
    type: 'Opaque',
    data: encoded,
  };
}

interface ConvertedBundle {
  service: ApplicationService;
  secrets: SecretObject[];
}

function convertBundle(appName: string, bundle: DirectorBundle, options: ConversionOptions): ConvertedBundle {
  const secrets: SecretObject[] = [];
  const auth = bundle.defaultInstanceAuth;
  const creds = credentialsOf(auth);
  const csrf = auth?.requestAuth?.csrf;

  let entryCredentials: EntryCredentials = { type: '', secretName: '' };
  if (creds) {
    const name = credentialsSecretName(appName, bundle.id);
    entryCredentials = { type: creds.type, secretName: name };
    if (creds.type === 'OAuth') {
      if (creds.url) entryCredentials.authenticationUrl = creds.url;
      secrets.push(
        secret(name, appName, bundle.id, options.integrationNamespace, { clientId: creds.clientId, clientSecret: creds.clientSecret }),
      );
    } else {
      secrets.push(secret(name, appName, bundle.id, options.integrationNamespace, { username: creds.username, password: creds.password }));
    }
    if (csrf) entryCredentials.csrfInfo = { tokenEndpointURL: csrf.tokenEndpointURL };
  }

  // As Go: a Secret when either map has an entry; in it, every map the Director sent (an empty one as "{}").
  let paramsSecretName: string | undefined;
  const headers = auth?.additionalHeaders ?? null;
  const queryParameters = auth?.additionalQueryParams ?? null;
  if (nonEmpty(headers) || nonEmpty(queryParameters)) {
    paramsSecretName = requestParametersSecretName(appName, bundle.id);
    const data: Record<string, string> = {};
    if (headers) data.headers = goJson(headers);
    if (queryParameters) data.queryParameters = goJson(queryParameters);
    secrets.push(secret(paramsSecretName, appName, bundle.id, options.integrationNamespace, data));
  }

  const entries: ApplicationEntry[] = [];
  for (const api of bundle.apiDefinitions) {
    const entry: ApplicationEntry = {
      id: api.id,
      name: api.name,
      type: 'API',
      gatewayUrl: '',
      centralGatewayUrl: centralGatewayUrl(options.centralGatewayUrl, appName, bundle.name, api.name),
      targetUrl: api.targetURL,
      credentials: { ...entryCredentials, ...(entryCredentials.csrfInfo ? { csrfInfo: { ...entryCredentials.csrfInfo } } : {}) },
    };
    if (paramsSecretName) entry.requestParametersSecretName = paramsSecretName;
    entries.push(entry);
  }
  for (const event of bundle.eventDefinitions) {
    entries.push({
      id: event.id,
      name: event.name,
      type: 'Events',
      gatewayUrl: '',
      centralGatewayUrl: '',
      targetUrl: '',
      credentials: { type: '', secretName: '' },
    });
  }

  const service: ApplicationService = {
    id: bundle.id,
    identifier: '',
    name: serviceName(bundle.name, bundle.id),
    displayName: bundle.name,
    description: bundle.description || DESCRIPTION_NOT_PROVIDED,
    providerDisplayName: '',
    entries,
  };
  if (bundle.instanceAuthRequestInputSchema != null) {
    service.authCreateParameterSchema = bundle.instanceAuthRequestInputSchema;
  }
  return { service, secrets };
}

/** The desired objects of `app` and why they cannot be applied (`problems`, empty when they can). */
export function convertApplication(app: DirectorApplication, name: string, options: ConversionOptions): DesiredApplication {
  const desired = buildApplication(app, name, options);
  desired.problems = applicationProblems(app, desired, options.protectedSecrets);
  return desired;
}

/**
 * The desired objects only, `problems` left empty: for rebuilding an application whose problems were
 * already found empty (the sync memory's summaries), without paying for the checks again.
 */
export function buildApplication(app: DirectorApplication, name: string, options: ConversionOptions): DesiredApplication {
  const services: ApplicationService[] = [];
  const secrets: SecretObject[] = [];
  for (const bundle of app.bundles) {
    const converted = convertBundle(name, bundle, options);
    services.push(converted.service);
    secrets.push(...converted.secrets);
  }
  const application: ApplicationObject = {
    apiVersion: APPLICATION_API_VERSION,
    kind: APPLICATION_KIND,
    metadata: { name, labels: { [MANAGED_BY_LABEL]: MANAGED_BY_VALUE } },
    spec: {
      description: app.description || DESCRIPTION_NOT_PROVIDED,
      services,
      labels: { [CONNECTED_APP_LABEL]: name },
      compassMetadata: {
        applicationId: app.id,
        authentication: { clientIds: app.auths.map((auth) => auth.id) },
      },
      displayName: '',
      providerDisplayName: '',
      longDescription: '',
      skipVerify: options.skipAppsTlsVerify,
      encodeUrl: false,
    },
  };
  return { name, directorName: app.name, applicationId: app.id, application, secrets, problems: [] };
}
