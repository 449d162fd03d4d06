// Names derived from Director data: service names, Secret names, central gateway URLs. These are a
// contract with the central application gateway, which derives the same names on its side.

import { createHash } from 'node:crypto';

const MAX_NORMALIZED_LENGTH = 57;
const MAX_RESOURCE_NAME_LENGTH = 63;
const UUID_LENGTH = 36;
/** `<prefix>-<uuid>` must fit 63 characters: the prefix is cut to 26. */
const MAX_PREFIX_LENGTH = MAX_RESOURCE_NAME_LENGTH - UUID_LENGTH - 1;

/** Kubernetes object names (metadata.name of most kinds): a lowercase RFC 1123 subdomain. */
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const MAX_OBJECT_NAME_LENGTH = 253;
/** A lowercase RFC 1123 label: what a Compass id must be to become part of a Secret name. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** Compass ids are UUIDs (36 characters): the Secret-name rule above leaves them exactly that room. */
export const MAX_COMPASS_ID_LENGTH = UUID_LENGTH;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
export const MAX_LABEL_VALUE_LENGTH = 63;
/** Long label values keep this many characters of the name, then `-` and a hash. */
const LABEL_HASH_LENGTH = 10;

export function isObjectName(name: string): boolean {
  return name.length <= MAX_OBJECT_NAME_LENGTH && DNS_SUBDOMAIN.test(name);
}

/**
 * Whether a Director id may form part of a name: lowercase letters, digits and `-` (starting and
 * ending with a letter or digit), at most 36 characters. Every UUID the Director issues is one.
 */
export function isCompassId(id: string): boolean {
  return id.length <= MAX_COMPASS_ID_LENGTH && DNS_LABEL.test(id);
}

export function isLabelValue(value: string): boolean {
  return value.length <= MAX_LABEL_VALUE_LENGTH && LABEL_VALUE.test(value);
}

/**
 * The `app` label of an Application's Secrets. The reference agent writes the Application name, which
 * is kept whenever it is a valid label value (every name of up to 63 characters is: Application names
 * are RFC 1123 subdomains). A longer name, which the API server would refuse as a label value, becomes
 * its first 52 characters, `-` and 10 hex characters of its SHA-256: 63 characters, stable, and
 * distinct for names that share the first 52. Ownership never rests on this label alone (see
 * secret-ownership.ts: the owner reference names the Application and its uid).
 */
export function secretAppLabelValue(applicationName: string): string {
  if (isLabelValue(applicationName)) return applicationName;
  const hash = createHash('sha256').update(applicationName).digest('hex').slice(0, LABEL_HASH_LENGTH);
  const kept = MAX_LABEL_VALUE_LENGTH - LABEL_HASH_LENGTH - 1;
  // Keep only label-value characters and start with one, so that the result is valid whatever the input.
  const prefix = applicationName
    .slice(0, kept)
    .replace(/[^-A-Za-z0-9_.]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '');
  return prefix ? `${prefix}-${hash}` : hash;
}

/** Runs of [^A-Za-z0-9] → `-`, lowercase, one trailing `-` trimmed, cut to 57, one leading `-` trimmed. */
export function normalizeName(name: string): string {
  let normalized = name.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();
  if (normalized.endsWith('-')) normalized = normalized.slice(0, -1);
  if (normalized.length > MAX_NORMALIZED_LENGTH) normalized = normalized.slice(0, MAX_NORMALIZED_LENGTH);
  if (normalized.startsWith('-')) normalized = normalized.slice(1);
  return normalized;
}

/**
 * `spec.services[].name`: normalised bundle name + `-` + first 5 hex of SHA-1(bundle id), one leading
 * `-` trimmed (a bundle name that normalises to nothing gives the hash alone).
 */
export function serviceName(bundleName: string, bundleId: string): string {
  const hash = createHash('sha1').update(bundleId).digest('hex').slice(0, 5);
  const name = `${normalizeName(bundleName)}-${hash}`;
  return name.startsWith('-') ? name.slice(1) : name;
}

function withId(prefix: string, id: string): string {
  return `${prefix.slice(0, MAX_PREFIX_LENGTH)}-${id}`;
}

/** `<app>-<bundleId>`, the app name cut to 26 characters. */
export function credentialsSecretName(applicationName: string, bundleId: string): string {
  return withId(applicationName, bundleId);
}

/** `params-<app>-<bundleId>`, `params-<app>` cut to 26 characters. */
export function requestParametersSecretName(applicationName: string, bundleId: string): string {
  return withId(`params-${applicationName}`, bundleId);
}

/** Whether `secretName` has the shape of a Secret this agent would name for `applicationName`. */
export function isSecretNameOfApplication(secretName: string, applicationName: string): boolean {
  return (
    secretName.startsWith(`${applicationName.slice(0, MAX_PREFIX_LENGTH)}-`) ||
    secretName.startsWith(`${`params-${applicationName}`.slice(0, MAX_PREFIX_LENGTH)}-`)
  );
}

/**
 * `<gateway>/<app CR name>/<normalizeName(bundle)>/<normalizeName(api)>`; the app name is used as is.
 * A trailing `/` of the configured gateway URL is dropped so the path never holds `//`.
 */
export function centralGatewayUrl(gatewayBaseUrl: string, applicationName: string, bundleName: string, apiName: string): string {
  return `${gatewayBaseUrl.replace(/\/+$/, '')}/${applicationName}/${normalizeName(bundleName)}/${normalizeName(apiName)}`;
}
