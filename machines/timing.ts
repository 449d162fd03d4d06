// Pure time arithmetic for the machine: backoff, renewal decision, deadlines. All inputs are
// RFC 3339 strings or milliseconds carried by events; nothing here reads a clock.
import type { CertificateInfo } from './agent-events.js';

export interface AgentTimingConfig {
  /** APP_CONTROLLER_SYNC_PERIOD: one maintenance + sync cycle per period. */
  syncPeriodMs: number;
  /** APP_MINIMAL_COMPASS_SYNC_TIME: never call Compass more often than this; also in the renewal formula. */
  minimalSyncTimeMs: number;
  /** APP_CERT_VALIDITY_RENEWAL_THRESHOLD: renew when remaining validity < threshold × total. */
  renewalThreshold: number;
  /** First retry delay after a failed connection or maintenance attempt. */
  retryBaseMs: number;
  /** Upper bound of the retry delay. */
  retryCapMs: number;
}

export const DEFAULT_TIMING: AgentTimingConfig = {
  syncPeriodMs: 20_000,
  minimalSyncTimeMs: 10_000,
  renewalThreshold: 0.3,
  retryBaseMs: 5_000,
  retryCapMs: 300_000,
};

/** Fraction of a delay the timer adapter may add as random jitter (never subtract: deadlines are "not before"). */
export const RETRY_JITTER_FRACTION = 0.25;
export const CYCLE_JITTER_FRACTION = 0.1;

export function ms(at: string): number {
  const t = Date.parse(at);
  return Number.isNaN(t) ? 0 : t;
}

export function iso(t: number): string {
  return new Date(t).toISOString();
}

/** Exponential retry delay for the n-th consecutive failure (n ≥ 1), capped; jitter is added by the timer. */
export function retryDelayMs(failures: number, timing: Pick<AgentTimingConfig, 'retryBaseMs' | 'retryCapMs'>): number {
  const exponent = Math.min(Math.max(failures, 1) - 1, 30);
  return Math.min(timing.retryCapMs, timing.retryBaseMs * 2 ** exponent);
}

export type RenewalReason =
  'refresh-requested' | 'credentials-missing' | 'validity-unknown' | 'below-threshold' | 'expires-before-next-sync';

export interface RenewalInput {
  certificate: CertificateInfo | null;
  now: string;
  renewalThreshold: number;
  minimalSyncTimeMs: number;
  refreshRequested: boolean;
  /** CA Secret and client-certificate Secret exist (reference §3.6, extended to the client Secret). */
  credentialsExist: boolean;
}

/**
 * Why the certificate must be renewed now, or null. Reference §3.5 in whole seconds:
 * renew if refresh requested, or timeLeft < validity × threshold, or timeLeft < 2 × minimalSyncTime.
 */
export function renewalReason(input: RenewalInput): RenewalReason | null {
  if (input.refreshRequested) return 'refresh-requested';
  if (!input.credentialsExist) return 'credentials-missing';
  if (!input.certificate) return 'validity-unknown';
  const seconds = (at: string) => Math.floor(ms(at) / 1000);
  const notBefore = seconds(input.certificate.notBefore);
  const notAfter = seconds(input.certificate.notAfter);
  const now = seconds(input.now);
  const validity = notAfter - notBefore;
  const timeLeft = notAfter - now;
  if (timeLeft < validity * input.renewalThreshold) return 'below-threshold';
  if (timeLeft < 2 * Math.floor(input.minimalSyncTimeMs / 1000)) return 'expires-before-next-sync';
  return null;
}

export function shouldRenewCertificate(input: RenewalInput): boolean {
  return renewalReason(input) !== null;
}
