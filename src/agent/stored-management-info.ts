// Where the agent keeps the Compass URLs it resumes with after a restart: beside the key in the
// client-certificate Secret, which only the agent writes (whoever may write that Secret can replace
// the key and certificate anyway). The CompassConnection's spec.managementInfo is a projection of it, never read back: a user
// who may patch the CR must not be able to point the agent's mutual-TLS traffic at another host.
//
// A cluster left by the Go agent has only crt, key and crtChain in that Secret and the URLs only in the
// CR. The agent then does not resume with that certificate: it takes the token flow (a fresh
// one-time token in the configuration Secret), whose URLs come from the Connector at CONNECTOR_URL.
// Checking the CR's URLs against the certificate-secured Connector's `configuration` answer instead
// would ask the very host the CR names, which proves nothing.
import type { ManagementInfo } from '../../machines/agent-events.js';

/** Keys of the client-certificate Secret that hold the management info (next to crt, key and crtChain). */
export const MANAGEMENT_INFO_KEYS = { directorUrl: 'directorUrl', connectorUrl: 'connectorUrl' } as const;

/** The management info stored in the Secret's decoded data, or null when it holds none (or half of it). */
export function readStoredManagementInfo(data: Record<string, string> | null): ManagementInfo | null {
  const directorUrl = data?.[MANAGEMENT_INFO_KEYS.directorUrl]?.trim();
  const connectorUrl = data?.[MANAGEMENT_INFO_KEYS.connectorUrl]?.trim();
  return directorUrl && connectorUrl ? { directorUrl, connectorUrl } : null;
}

/** The Secret data that stores `info`. */
export function managementInfoData(info: ManagementInfo): Record<string, string> {
  return { [MANAGEMENT_INFO_KEYS.directorUrl]: info.directorUrl, [MANAGEMENT_INFO_KEYS.connectorUrl]: info.connectorUrl };
}

export function sameManagementInfo(a: ManagementInfo | null, b: ManagementInfo | null): boolean {
  return a?.directorUrl === b?.directorUrl && a?.connectorUrl === b?.connectorUrl;
}
