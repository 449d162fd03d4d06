// The shapes of the Kubernetes objects the application synchronisation reads and writes: the
// cluster-scoped `Application` custom resource and the namespaced credential / request-parameter
// Secrets. Field names and the always-emitted fields follow the Go types of the reference agent so
// objects written by either agent compare equal.

export const APPLICATION_API_VERSION = 'applicationconnector.kyma-project.io/v1alpha1';
export const APPLICATION_KIND = 'Application';
export const MANAGED_BY_LABEL = 'applicationconnector.kyma-project.io/managed-by';
export const MANAGED_BY_VALUE = 'compass-runtime-agent';
/** `spec.labels` key naming the application. */
export const CONNECTED_APP_LABEL = 'connected-app';
export const DESCRIPTION_NOT_PROVIDED = 'Description not provided';
/** Labels of credential and request-parameter Secrets (contract with the reference agent). */
export const SECRET_APP_LABEL = 'app';
export const SECRET_BUNDLE_LABEL = 'bundleId';

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  managedFields?: unknown[];
  [field: string]: unknown;
}

export interface CsrfInfo {
  tokenEndpointURL: string;
}

/** `type` and `secretName` are always present (empty strings when the entry has no credentials). */
export interface EntryCredentials {
  /** '' (no credentials), 'OAuth', 'Basic', or what a newer Director names. */
  type: string;
  secretName: string;
  authenticationUrl?: string;
  csrfInfo?: CsrfInfo;
}

export interface ApplicationEntry {
  id?: string;
  name?: string;
  /** 'API', 'Events', or what a newer Director names. */
  type: string;
  gatewayUrl: string;
  centralGatewayUrl: string;
  targetUrl: string;
  specificationUrl?: string;
  credentials: EntryCredentials;
  requestParametersSecretName?: string;
  [field: string]: unknown;
}

export interface ApplicationService {
  id: string;
  identifier: string;
  name: string;
  displayName: string;
  description: string;
  providerDisplayName: string;
  authCreateParameterSchema?: string;
  entries: ApplicationEntry[];
  [field: string]: unknown;
}

export interface CompassMetadata {
  applicationId: string;
  authentication: { clientIds: string[] };
}

export interface ApplicationSpec {
  description: string;
  services: ApplicationService[];
  labels: Record<string, string> | null;
  compassMetadata?: CompassMetadata;
  displayName: string;
  providerDisplayName: string;
  longDescription: string;
  skipVerify: boolean;
  encodeUrl: boolean;
  [field: string]: unknown;
}

export interface ApplicationObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec: ApplicationSpec;
  [field: string]: unknown;
}

/** A core/v1 Secret; `data` values are base64 as on the wire. */
export interface SecretObject {
  apiVersion: 'v1';
  kind: 'Secret';
  metadata: ObjectMeta & { namespace: string };
  type?: string;
  data?: Record<string, string>;
}

export function ownerReferenceTo(app: ApplicationObject): OwnerReference {
  if (!app.metadata.uid) {
    throw new Error(`Application ${app.metadata.name} has no metadata.uid; owner references can only point at a stored Application`);
  }
  return { apiVersion: APPLICATION_API_VERSION, kind: APPLICATION_KIND, name: app.metadata.name, uid: app.metadata.uid };
}
