// Collects what an Observable emits and waits for a condition on it, with a generous deadline that
// only guards against a hung test (never a speed assertion).
import type { Observable, Subscription } from 'rxjs';

export interface Recorder<T> {
  readonly events: T[];
  until(condition: (events: T[]) => boolean, what: string, deadlineMs?: number): Promise<void>;
  stop(): void;
}

export function record<T>(source: Observable<T>): Recorder<T> {
  const events: T[] = [];
  const subscription: Subscription = source.subscribe((event) => events.push(event));
  return {
    events,
    async until(condition, what, deadlineMs = 20_000) {
      await waitUntil(() => condition(events), what, deadlineMs);
    },
    stop: () => subscription.unsubscribe(),
  };
}

export async function waitUntil(condition: () => boolean, what: string, deadlineMs = 20_000): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
