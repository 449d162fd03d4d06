// The agent configuration Secret (CONNECTOR_URL, RUNTIME_ID, TENANT, TOKEN): reading it and saying
// exactly what is wrong with it. The token never leaves this module except to the Connector call;
// the machine sees only a fingerprint.
import { createHash } from 'node:crypto';
import { registerSecret } from '../../adapters/redaction.js';
import { insecureUrlMessage, isPlainHttp, type EndpointPolicy } from '../../adapters/compass/endpoint-policy.js';
import type { ObservedConfig } from './effects.js';

export interface AgentConfigurationValues {
  connectorUrl: string;
  token: string;
  runtimeId: string;
  tenant: string;
}

export const CONFIGURATION_KEYS = ['CONNECTOR_URL', 'RUNTIME_ID', 'TENANT', 'TOKEN'] as const;

/** A short, irreversible identifier of a one-time token: tells "a new token" from "the used one". */
export function tokenFingerprint(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex').slice(0, 16);
}

export interface ConfigurationReading {
  values: Partial<AgentConfigurationValues>;
  problems: string[];
}

/**
 * Reads the Secret's decoded data; `null` means the Secret does not exist. The token is registered
 * for redaction by value. A plain http CONNECTOR_URL is a problem unless `policy` allows it.
 */
export function readConfigurationSecret(data: Record<string, string> | null, secretRef: string, policy: EndpointPolicy = {}): ConfigurationReading {
  if (data === null) return { values: {}, problems: [`Secret ${secretRef} does not exist; create it with CONNECTOR_URL, RUNTIME_ID, TENANT and TOKEN`] };
  const get = (key: string) => (data[key] ?? '').trim();
  const values: Partial<AgentConfigurationValues> = {};
  const problems: string[] = [];
  const connectorUrl = get('CONNECTOR_URL');
  if (!connectorUrl) problems.push(`key CONNECTOR_URL is missing or empty in Secret ${secretRef}`);
  else if (!/^https?:\/\/[^\s]+$/i.test(connectorUrl)) problems.push(`CONNECTOR_URL in Secret ${secretRef} is not an http(s) URL`);
  else if (isPlainHttp(connectorUrl) && !policy.allowPlainHttp) problems.push(insecureUrlMessage(connectorUrl, `CONNECTOR_URL of Secret ${secretRef}`));
  else values.connectorUrl = connectorUrl;
  for (const [key, field] of [
    ['TOKEN', 'token'],
    ['RUNTIME_ID', 'runtimeId'],
    ['TENANT', 'tenant'],
  ] as const) {
    const value = get(key);
    if (key === 'TOKEN') registerSecret(value);
    if (value) values[field] = value;
    else problems.push(`key ${key} is missing or empty in Secret ${secretRef}`);
  }
  return { values, problems };
}

export function observeConfiguration(data: Record<string, string> | null, secretRef: string, policy: EndpointPolicy = {}): ObservedConfig {
  const { values, problems } = readConfigurationSecret(data, secretRef, policy);
  return {
    present: data !== null,
    ...(problems.length ? { problem: problems.join('; ') } : {}),
    ...(values.token ? { tokenFingerprint: tokenFingerprint(values.token) } : {}),
    ...(values.connectorUrl ? { connectorUrl: values.connectorUrl } : {}),
  };
}
