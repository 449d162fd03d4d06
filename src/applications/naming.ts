// Names derived from Director data: service names, Secret names, central gateway URLs. These are a
// contract with the central application gateway, which derives the same names on its side.

import { createHash } from 'node:crypto';

const MAX_NORMALIZED_LENGTH = 57;
const MAX_RESOURCE_NAME_LENGTH = 63;
const UUID_LENGTH = 36;
/** `<prefix>-<uuid>` must fit 63 characters: the prefix is cut to 26. */
const MAX_PREFIX_LENGTH = MAX_RESOURCE_NAME_LENGTH - UUID_LENGTH - 1;

/** Runs of [^A-Za-z0-9] → `-`, lowercase, one trailing `-` trimmed, cut to 57, one leading `-` trimmed. */
export function normalizeName(name: string): string {
  let normalized = name.replace(/[^A-Za-z0-9]+/g, '-').toLowerCase();
  if (normalized.endsWith('-')) normalized = normalized.slice(0, -1);
  if (normalized.length > MAX_NORMALIZED_LENGTH) normalized = normalized.slice(0, MAX_NORMALIZED_LENGTH);
  if (normalized.startsWith('-')) normalized = normalized.slice(1);
  return normalized;
}

/** `spec.services[].name`: normalised bundle name + `-` + first 5 hex of SHA-1(bundle id). */
export function serviceName(bundleName: string, bundleId: string): string {
  const hash = createHash('sha1').update(bundleId).digest('hex').slice(0, 5);
  return `${normalizeName(bundleName)}-${hash}`;
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
export function centralGatewayUrl(
  gatewayBaseUrl: string,
  applicationName: string,
  bundleName: string,
  apiName: string,
): string {
  return `${gatewayBaseUrl.replace(/\/+$/, '')}/${applicationName}/${normalizeName(bundleName)}/${normalizeName(apiName)}`;
}
