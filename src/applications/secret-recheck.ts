// The periodic re-read of the Secrets the sync record trusts. The record lets a quiet cycle skip every
// Secret request, so by itself it would never notice a Secret deleted or edited by hand, and the
// agent may not list or watch Secrets (deploy/rbac.yaml grants get/create/update/patch/delete only).
// Rather than forgetting the whole record at once (one cycle then GETs every Secret: thousands of
// requests in a burst), this reads the recorded Secrets one at a time, spread evenly over a period
// (and never more than 50 a second), in the background, and forgets only those that no longer hold
// what was recorded; the next cycle
// repairs them (with the ownership checks of the executor). Cycles without changes stay without
// Secret requests.

import { setTimeout as sleep } from 'node:timers/promises';
import { SECRET_APP_LABEL, SECRET_BUNDLE_LABEL } from './application-resource.js';
import type { SecretPort } from './ports.js';
import { storedContentDigest, type RecordedSecret, type SecretContentRecord } from './secret-content-record.js';

/**
 * The shortest time between two reads: at most 50 reads a second in the background, whatever the
 * number of Secrets (a pass over 25,000 Secrets then takes about 8 minutes rather than the period).
 */
export const MIN_RECHECK_SPACING_MS = 20;

export interface SecretRecheckOptions {
  /** One pass over every recorded Secret takes this long: reads are evenly spaced, one at a time. */
  periodMs: number;
  /** The shortest time between two reads (default MIN_RECHECK_SPACING_MS). */
  minSpacingMs?: number;
  /** How long to wait before looking again when nothing is recorded (default periodMs / 10). */
  idleMs?: number;
  /** A failed read (the Secret stays recorded; its next turn comes in the next pass). */
  onError?: (namespace: string, name: string, error: unknown) => void;
}

const AGENT_LABELS = [SECRET_APP_LABEL, SECRET_BUNDLE_LABEL];

/** Whether the stored Secret still holds the recorded content and names the recorded owner. */
export function stillAsRecorded(stored: Parameters<typeof storedContentDigest>[0] | null, recorded: RecordedSecret): boolean {
  if (stored === null) return false;
  if (!(stored.metadata.ownerReferences ?? []).some((owner) => owner.uid === recorded.ownerUid)) return false;
  return storedContentDigest(stored, AGENT_LABELS) === recorded.digest;
}

export class SecretRecheck {
  #abort: AbortController | undefined;
  #running: Promise<void> | undefined;

  constructor(
    private readonly record: SecretContentRecord,
    private readonly secrets: Pick<SecretPort, 'get'>,
    private readonly options: SecretRecheckOptions,
  ) {
    if (!(options.periodMs > 0)) throw new RangeError(`the Secret re-check period must be positive, got ${options.periodMs}`);
  }

  start(): void {
    if (this.#running) return;
    const abort = (this.#abort = new AbortController());
    this.#running = this.run(abort.signal).catch((error: unknown) => {
      if (!abort.signal.aborted) throw error;
    });
  }

  async stop(): Promise<void> {
    this.#abort?.abort();
    await this.#running;
    this.#running = undefined;
  }

  private async run(signal: AbortSignal): Promise<void> {
    const idleMs = this.options.idleMs ?? this.options.periodMs / 10;
    while (!signal.aborted) {
      const keys = this.record.keys();
      if (keys.length === 0) {
        await sleep(idleMs, undefined, { signal, ref: false });
        continue;
      }
      const spacingMs = Math.max(this.options.periodMs / keys.length, this.options.minSpacingMs ?? MIN_RECHECK_SPACING_MS);
      for (const [namespace, name] of keys) {
        await sleep(spacingMs, undefined, { signal, ref: false });
        await this.check(namespace, name);
      }
    }
  }

  /** Reads one recorded Secret; forgets it when it no longer holds what was recorded. */
  async check(namespace: string, name: string): Promise<void> {
    const recorded = this.record.entry(namespace, name);
    if (!recorded) return; // forgotten or deleted by the sync meanwhile
    let stored;
    try {
      stored = await this.secrets.get(namespace, name);
    } catch (error) {
      this.options.onError?.(namespace, name, error);
      return;
    }
    if (!stillAsRecorded(stored, recorded)) this.record.forgetIf(namespace, name, recorded);
  }
}
