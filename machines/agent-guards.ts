// The questions the agent machine asks before a transition, as pure functions of its context and of
// the data an event brought. agent-machine.ts names each one (a guard) so that the diagram says it.
import type {
  ConnectionChecked,
  LoadedState,
  ManagementInfo,
  ObservedConfig,
  ObservedConnectionCr,
  ObservedCredentials,
} from './agent-events.js';
import type { AgentContext } from './agent-context.js';
import { readStoredStatus } from './stored-status.js';
import { ms, renewalReason, type RenewalReason } from './timing.js';

export function configUsable(config: ObservedConfig | null): config is ObservedConfig & { tokenFingerprint: string } {
  return !!config && config.present && !config.problem && !!config.tokenFingerprint;
}

/** The configuration Secret holds a token this Runtime has not exchanged yet. */
export function hasUnusedToken(context: AgentContext): boolean {
  return configUsable(context.config) && context.config.tokenFingerprint !== context.consumedTokenFingerprint;
}

/** The configuration Secret holds a token other than the one of the latest attempt: worth trying now. */
export function newTokenSinceLastAttempt(context: AgentContext): boolean {
  return configUsable(context.config) && context.config.tokenFingerprint !== context.attemptedTokenFingerprint;
}

/** The configuration Secret was observed and cannot be used (absent, malformed, no token). */
export function configurationUnusable(context: AgentContext): boolean {
  return !!context.config && !configUsable(context.config);
}

/** Compass refused the certificate, its Secret is gone or broken, or it expired (at `now`). */
export function certificateUnusable(context: AgentContext, now: string): boolean {
  if (context.certificateRejected) return true;
  const client = context.credentialsSecrets?.clientCertificateSecret;
  if (client === 'missing' || client === 'invalid') return true;
  return !!context.certificate && ms(context.certificate.notAfter) <= ms(now);
}

/** The wake-up the machine asked for is due at `at`. */
export function cycleDue(context: AgentContext, at: string): boolean {
  return !!context.nextCycleAt && ms(at) >= ms(context.nextCycleAt);
}

/** A synchronization is due at `at`: requested, never done, or the minimal sync time since the last. */
export function syncDue(context: AgentContext, at: string): boolean {
  const last = context.synchronization?.lastAttempt;
  return context.resync.requested || !last || ms(at) - ms(last) >= context.timing.minimalSyncTimeMs;
}

/** Why the certificate must be renewed after this connection check, or null (reference §3.5, §3.6). */
export function renewalReasonAfter(context: AgentContext, check: ConnectionChecked): RenewalReason | null {
  return renewalReason({
    certificate: context.certificate,
    now: check.at,
    renewalThreshold: context.timing.renewalThreshold,
    minimalSyncTimeMs: context.timing.minimalSyncTimeMs,
    refreshRequested: context.refresh.requested,
    credentialsExist: check.credentialsExist && context.credentialsSecrets?.caCertificateSecret !== 'missing',
  });
}

/** The CR brings a resyncNow/refreshCredentialsNow the machine has not picked up yet. */
export function crRequestsEarlyCycle(context: AgentContext, cr: ObservedConnectionCr): boolean {
  const { generation, spec } = cr;
  return (
    (spec.resyncNow === true && generation > context.resync.handledGeneration) ||
    (spec.refreshCredentialsNow === true && generation > context.refresh.handledGeneration)
  );
}

/** A credential Secret is missing or no longer holds a usable certificate: renew early. */
export function credentialSecretMissing(secrets: ObservedCredentials): boolean {
  return secrets.caCertificateSecret === 'missing' || secrets.clientCertificateSecret !== 'present';
}

export function managementInfoFromCr(cr: ObservedConnectionCr | null): ManagementInfo | null {
  const m = cr?.spec.managementInfo;
  return m?.directorUrl && m.connectorUrl ? { directorUrl: m.directorUrl, connectorUrl: m.connectorUrl } : null;
}

/**
 * The management info a start-up may resume with: what the agent stored beside its key. The CR's
 * copy is only a projection of it. Logs recorded before the agent stored it (no field) replay as
 * they ran, from the CR.
 */
export function trustedManagementInfo(loaded: LoadedState): ManagementInfo | null {
  return loaded.managementInfo === undefined ? managementInfoFromCr(loaded.cr) : loaded.managementInfo;
}

/** Start-up: no CR, a CR whose connection failed, or one that never had management info: the token flow. */
export function needsTokenFlow(loaded: LoadedState): boolean {
  return !loaded.cr || readStoredStatus(loaded.cr.status).connectionState === 'ConnectionFailed' || !managementInfoFromCr(loaded.cr);
}

/** Start-up with a healthy CR, but the client-certificate Secret is gone or broken: no mutual TLS any more. */
export function clientCertificateSecretUnusable(loaded: LoadedState): boolean {
  return loaded.credentialsSecrets.clientCertificateSecret !== 'present';
}

/** Start-up with a certificate but no URLs the agent itself stored: the CR's are not trusted. */
export function noTrustedManagementInfo(loaded: LoadedState): boolean {
  return !trustedManagementInfo(loaded);
}

/**
 * The certificate was not resumed only because the URLs are not trusted: a certificate is present and
 * the CR names URLs, but nothing the agent stored does (said with the failure of the token flow).
 */
export function resumeDistrusted(loaded: LoadedState): boolean {
  return (
    !trustedManagementInfo(loaded) && !!managementInfoFromCr(loaded.cr) && loaded.credentialsSecrets.clientCertificateSecret === 'present'
  );
}
