// The agent configuration Secret (CONNECTOR_URL, RUNTIME_ID, TENANT, TOKEN): reading it and saying
// exactly what is wrong with it. The token never leaves this module except to the Connector call;
// the machine sees only a fingerprint.
import { createHash } from 'node:crypto';
import { registerSecret } from '../../adapters/redaction.js';
import { insecureUrlMessage, isPlainHttp, type EndpointPolicy } from '../../adapters/compass/endpoint-policy.js';
import { EffectError, type ObservedConfig } from './effects.js';

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
export function readConfigurationSecret(
  data: Record<string, string> | null,
  secretRef: string,
  policy: EndpointPolicy = {},
): ConfigurationReading {
  if (data === null)
    return { values: {}, problems: [`Secret ${secretRef} does not exist; create it with CONNECTOR_URL, RUNTIME_ID, TENANT and TOKEN`] };
  const get = (key: string) => (data[key] ?? '').trim();
  const values: Partial<AgentConfigurationValues> = {};
  const problems: string[] = [];
  const connectorUrl = get('CONNECTOR_URL');
  if (!connectorUrl) problems.push(`key CONNECTOR_URL is missing or empty in Secret ${secretRef}`);
  else if (!/^https?:\/\/[^\s]+$/i.test(connectorUrl)) problems.push(`CONNECTOR_URL in Secret ${secretRef} is not an http(s) URL`);
  else if (isPlainHttp(connectorUrl) && !policy.allowPlainHttp)
    problems.push(insecureUrlMessage(connectorUrl, `CONNECTOR_URL of Secret ${secretRef}`));
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

const TOKEN_KEPT = 'the one-time token was not sent to Compass and stays usable until the Secret is complete';

/** A one-time token this agent has spent, by fingerprint, and how it knows. */
export interface SpentToken {
  fingerprint: string;
  /** e.g. "the annotation compass.kyma-project.io/consumed-token-fingerprint of compass-connection". */
  evidence: string;
}

/**
 * The values a token exchange needs, or an `invalid-config` EffectError saying why the token is not
 * sent: every key must be there first, RUNTIME_ID and TENANT too (a certificate bought without them
 * cannot synchronize, and the token would be gone), and the token must not be one this agent already
 * spent (a one-time token works once; Compass would only refuse it).
 */
export function requireConnectionValues(
  reading: ConfigurationReading,
  secretRef: string,
  spent: readonly SpentToken[] = [],
): AgentConfigurationValues {
  const { values, problems } = reading;
  if (problems.length > 0 || !values.connectorUrl || !values.token || !values.runtimeId || !values.tenant) {
    const why = problems.length > 0 ? problems.join('; ') : `Secret ${secretRef} is incomplete`;
    throw new EffectError('invalid-config', values.token ? `${why}; ${TOKEN_KEPT}` : why);
  }
  const fingerprint = tokenFingerprint(values.token);
  const used = spent.find((s) => s.fingerprint === fingerprint);
  if (used) {
    throw new EffectError(
      'invalid-config',
      `the one-time token in Secret ${secretRef} was already used by this agent (${used.evidence}) and a one-time token works once, so it was not sent again; put a fresh one-time token into Secret ${secretRef}`,
    );
  }
  return { connectorUrl: values.connectorUrl, token: values.token, runtimeId: values.runtimeId, tenant: values.tenant };
}

export function observeConfiguration(data: Record<string, string> | null, secretRef: string, policy: EndpointPolicy = {}): ObservedConfig {
  const { values, problems } = readConfigurationSecret(data, secretRef, policy);
  // A connection attempt checks the whole Secret before it sends the token (requireConnectionValues).
  const kept = values.token ? `; ${TOKEN_KEPT}` : '';
  return {
    present: data !== null,
    ...(problems.length ? { problem: problems.join('; ') + kept } : {}),
    ...(values.token ? { tokenFingerprint: tokenFingerprint(values.token) } : {}),
    ...(values.connectorUrl ? { connectorUrl: values.connectorUrl } : {}),
  };
}
