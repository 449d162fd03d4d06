// Which Compass URLs the agent may talk to: https only, whatever their source (the configuration
// Secret, the Connector's answers, the agent's own Secret), unless the lab setting
// APP_ALLOW_INSECURE_COMPASS_HTTP is on. A refused URL is refused before anything is sent to it.
import { CompassError, describeEndpoint } from './compass-error.js';

export const ALLOW_INSECURE_HTTP_SETTING = 'APP_ALLOW_INSECURE_COMPASS_HTTP';

export interface EndpointPolicy {
  /** APP_ALLOW_INSECURE_COMPASS_HTTP. */
  allowPlainHttp?: boolean;
}

/** Whether `url` is a plain http:// URL (the caller has checked it parses). */
export function isPlainHttp(url: string): boolean {
  return /^http:/i.test(url.trim());
}

/**
 * Throws a CompassError of kind `insecure-url` for an http:// URL unless plain http is allowed.
 * `source` names where the URL came from, e.g. "CONNECTOR_URL of Secret kyma-system/x".
 */
export function requireSecureUrl(url: string, source: string, policy: EndpointPolicy, operation = 'connect'): void {
  if (!isPlainHttp(url) || policy.allowPlainHttp) return;
  throw new CompassError(insecureUrlMessage(url, source), { kind: 'insecure-url', operation, endpoint: describeEndpoint(url) });
}

export function insecureUrlMessage(url: string, source: string): string {
  return (
    `refused the plain http URL ${describeEndpoint(url)} (${source}): the one-time token, the Tenant header and Compass's answers would travel unencrypted, so nothing was sent to it. ` +
    `Use an https URL; only in a lab, set ${ALLOW_INSECURE_HTTP_SETTING}=true to accept it`
  );
}
