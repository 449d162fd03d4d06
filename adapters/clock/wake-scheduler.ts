// Delivers the wake-ups the agent machine asks for (its `requestWake` action) as WAKE events. Jitter
// is added here, never in the machine, so the machine stays pure and replay sees the actual time.
import { Subject, type Observable } from 'rxjs';
import type { Clock } from './clock.js';

export interface WakeRequest {
  /** Not before this instant (RFC 3339). */
  at: string;
  /** Up to this many milliseconds are added at random, to spread many agents' calls to Compass. */
  jitterMs: number;
}

export interface WakeEvent {
  type: 'WAKE';
  at: string;
}

export interface WakeScheduler {
  readonly wake$: Observable<WakeEvent>;
  /** Replaces any pending wake-up. */
  schedule(request: WakeRequest): void;
  /** When the pending wake-up fires (jitter included), or null. */
  readonly pendingAt: number | null;
  stop(): void;
}

export function createWakeScheduler(options: { clock: Clock; random?: () => number }): WakeScheduler {
  const { clock } = options;
  const random = options.random ?? Math.random;
  const wake$ = new Subject<WakeEvent>();
  let handle: unknown = null;
  let pendingAt: number | null = null;
  let stopped = false;

  const cancel = () => {
    if (handle !== null) clock.clearTimeout(handle);
    handle = null;
    pendingAt = null;
  };

  return {
    wake$: wake$.asObservable(),
    get pendingAt() {
      return pendingAt;
    },
    schedule(request) {
      if (stopped) return;
      cancel();
      const due = Date.parse(request.at);
      if (Number.isNaN(due)) throw new Error(`wake-up request has an invalid time "${request.at}"; expected RFC 3339`);
      const fireAt = due + Math.floor(Math.max(0, request.jitterMs) * random());
      pendingAt = fireAt;
      handle = clock.setTimeout(() => {
        handle = null;
        pendingAt = null;
        // Never report a time before the deadline: the machine treats earlier WAKEs as stale.
        wake$.next({ type: 'WAKE', at: new Date(Math.max(clock.now(), due)).toISOString() });
      }, fireAt - clock.now());
    },
    stop() {
      stopped = true;
      cancel();
      wake$.complete();
    },
  };
}
