// Kubernetes Events (events.k8s.io/v1) about one object, recorded the way client-go's events
// recorder (tools/events) does it: an Event named `<object>.<hex nanoseconds>`; a repeat of an
// isomorphic Event becomes a series on the first one (series.count, series.lastObservedTime, a
// PATCH) instead of a new object; series are written again at most every `seriesRefreshMs` (10 s;
// client-go waits 30 minutes, which leaves `kubectl describe` at "x2" for long) and finished once
// quiet for `seriesFinishMs` (6 minutes, as client-go). Isomorphic: same type, reason, action, object and note
// but for the UUIDs in it, such as request ids (client-go's key leaves the note out, which would
// fold different counts or errors into one series; core/v1's recorder keeps it, and so do we). New Events are rate-limited per object like core/v1's spam
// filter (a token bucket: 25 at once, one more every 5 minutes). Notes are redacted and bounded:
// an Event never carries a secret. Nothing here throws: Events are best effort.
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { boundText, redactText } from '../redaction.js';
import { systemClock, unrefTimer, type Clock } from '../clock/clock.js';
import { isAlreadyExists, isNotFound, kubeCall, type KubeClient } from './kube-client.js';
import { MERGE_PATCH } from './kube-apis.js';
import { microTime } from './lease-record.js';
import { errorMessage, isRecord } from '../unknown-values.js';

export interface EventReference {
  apiVersion: string;
  kind: string;
  name: string;
  /** Empty for a cluster-scoped object; its Events go to `default`, as client-go puts them. */
  namespace?: string;
  uid: string;
}

export interface EventToRecord {
  type: 'Normal' | 'Warning';
  reason: string;
  action: string;
  note: string;
  /** When it happened (RFC 3339); the recorder's clock otherwise. */
  at?: string;
}

export type RecordOutcome = 'created' | 'series' | 'rate-limited' | 'failed';

export interface EventRecorderOptions {
  /** Writes go through it (the leader's fenced client). */
  client: KubeClient;
  /** events.k8s.io reportingController, a qualified name such as kyma-project.io/compass-runtime-agent. */
  reportingController: string;
  /** This process (the leader election identity). */
  reportingInstance: string;
  clock?: Clock;
  logger?: Logger;
  /** New Events allowed at once per object; default 25. */
  burst?: number;
  /** One more new Event allowed per this many ms; default 300,000. */
  refillMs?: number;
  /** A series' count is written again at most this often; default 10,000. */
  seriesRefreshMs?: number;
  /** A series quiet this long is written a last time and forgotten; default 360,000. */
  seriesFinishMs?: number;
  /** Events kept while the object is not known yet (or writes are behind); default 1,000. */
  maxQueued?: number;
  onOutcome?(outcome: RecordOutcome, reason: string): void;
}

interface Series {
  key: string;
  name: string;
  namespace: string;
  body: Record<string, unknown>;
  count: number;
  lastObservedAt: number;
  writtenCount: number;
  lastWriteAt: number;
}

/** The API server refuses a note over 1024 bytes (Go's len). */
const NOTE_LIMIT = 1024;
/** Request ids (x-request-id) and the like differ on every repeat of the same failure: not part of the key. */
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

export class EventRecorder {
  private readonly clock: Clock;
  private readonly logger: Logger;
  private regarding: EventReference | null = null;
  private readonly queue: Array<EventToRecord & { at: string }> = [];
  private readonly series = new Map<string, Series>();
  private readonly buckets = new Map<string, { tokens: number; updatedAt: number }>();
  private working: Promise<void> | null = null;
  private timer: unknown;
  /** Sub-millisecond part of the names: random start, so that two processes do not pick the same names. */
  private sequence = Math.floor(Math.random() * 1_000_000);
  private closed = false;

  constructor(private readonly options: EventRecorderOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
  }

  /** The object the Events are about; null while it does not exist (Events wait). */
  setRegarding(reference: EventReference | null): void {
    if (reference && !reference.uid) reference = null;
    const changed = reference?.uid !== this.regarding?.uid;
    this.regarding = reference;
    if (changed) this.pump();
  }

  record(event: EventToRecord): void {
    if (this.closed) return;
    this.queue.push({ ...event, at: event.at ?? new Date(this.clock.now()).toISOString() });
    const max = this.options.maxQueued ?? 1000;
    if (this.queue.length > max) {
      const dropped = this.queue.splice(0, this.queue.length - max);
      for (const e of dropped) this.options.onOutcome?.('failed', e.reason);
    }
    this.pump();
  }

  /** Resolves once every queued Event that can be written (the object is known) was tried. */
  async flush(): Promise<void> {
    while (this.working) await this.working;
  }

  /** Writes the latest counts of unwritten series, then stops. */
  async close(): Promise<void> {
    await this.flush();
    this.closed = true;
    this.clock.clearTimeout(this.timer);
    for (const entry of this.series.values()) if (entry.count > entry.writtenCount) await this.writeSeries(entry);
    this.series.clear();
  }

  private pump(): void {
    if (this.working || !this.regarding || this.queue.length === 0) return;
    this.working = this.drain().finally(() => {
      this.working = null;
      // More may have come while the last write was on the wire.
      if (this.regarding && this.queue.length > 0 && !this.closed) this.pump();
    });
  }

  private async drain(): Promise<void> {
    while (this.regarding && this.queue.length > 0) {
      const event = this.queue.shift()!;
      await this.handle(event, this.regarding);
    }
    this.schedule();
  }

  private async handle(event: EventToRecord & { at: string }, regarding: EventReference): Promise<void> {
    const note = boundNote(redactText(event.note));
    const key = JSON.stringify([event.type, event.reason, event.action, note.replace(UUID, '<id>'), regarding.uid]);
    const now = this.clock.now();
    const existing = this.series.get(key);
    if (existing) {
      existing.count++;
      existing.lastObservedAt = now;
      // client-go writes the series when it starts (count 2), then only on refresh: the rate stays bounded.
      if (existing.writtenCount < 2 || now - existing.lastWriteAt >= this.refreshMs) await this.writeSeries(existing);
      return;
    }
    if (!this.takeToken(regarding.uid, now)) {
      this.options.onOutcome?.('rate-limited', event.reason);
      this.logger.debug({ reason: event.reason }, 'Kubernetes Event not recorded: too many for this object (rate limit)');
      return;
    }
    const namespace = regarding.namespace || 'default';
    const name = `${regarding.name}.${this.uniqueSuffix(now)}`;
    const body: Record<string, unknown> = {
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata: { name, namespace },
      eventTime: microTime(Date.parse(event.at) || now),
      reportingController: this.options.reportingController,
      reportingInstance: this.options.reportingInstance.slice(0, 128),
      action: event.action,
      reason: event.reason,
      note,
      type: event.type,
      regarding: {
        apiVersion: regarding.apiVersion,
        kind: regarding.kind,
        name: regarding.name,
        uid: regarding.uid,
        ...(regarding.namespace ? { namespace: regarding.namespace } : {}),
      },
    };
    const entry: Series = { key, name, namespace, body, count: 1, lastObservedAt: now, writtenCount: 0, lastWriteAt: now };
    try {
      try {
        await this.create(namespace, body);
      } catch (err) {
        // Another writer took the name (same nanosecond): one more try with the next one.
        if (!isAlreadyExists(err)) throw err;
        entry.name = `${regarding.name}.${this.uniqueSuffix(now)}`;
        body.metadata = { name: entry.name, namespace };
        await this.create(namespace, body);
      }
      entry.writtenCount = 1;
      this.series.set(key, entry);
      this.options.onOutcome?.('created', event.reason);
    } catch (err) {
      this.failed(event.reason, err);
    }
  }

  private get refreshMs(): number {
    return this.options.seriesRefreshMs ?? 10_000;
  }

  private get finishMs(): number {
    return this.options.seriesFinishMs ?? 360_000;
  }

  private async writeSeries(entry: Series): Promise<void> {
    const count = entry.count;
    const series = { count, lastObservedTime: microTime(entry.lastObservedAt) };
    try {
      try {
        await kubeCall(`patch Event ${entry.namespace}/${entry.name}`, () =>
          this.options.client.rest.request({
            method: 'PATCH',
            path: this.path(entry.namespace, entry.name),
            body: { series },
            contentType: MERGE_PATCH,
          }),
        );
      } catch (err) {
        if (!isNotFound(err)) throw err;
        // The API server let it expire (Events live an hour): the series goes on in a new Event.
        const regarding = entry.body.regarding;
        entry.name = `${String(isRecord(regarding) ? regarding.name : undefined)}.${this.uniqueSuffix(this.clock.now())}`;
        await this.create(entry.namespace, { ...entry.body, metadata: { name: entry.name, namespace: entry.namespace }, series });
      }
      entry.writtenCount = count;
      entry.lastWriteAt = this.clock.now();
      this.options.onOutcome?.('series', String(entry.body.reason));
    } catch (err) {
      // Tried again at the next refresh, not at once.
      entry.lastWriteAt = this.clock.now();
      this.failed(String(entry.body.reason), err);
    }
  }

  private create(namespace: string, body: Record<string, unknown>): Promise<unknown> {
    return kubeCall(`create Event in ${namespace}`, () =>
      this.options.client.rest.request({ method: 'POST', path: this.path(namespace), body }),
    );
  }

  private path(namespace: string, name?: string): string {
    return `/apis/events.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/events${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  private failed(reason: string, err: unknown): void {
    this.options.onOutcome?.('failed', reason);
    this.logger.debug({ reason, error: errorMessage(err) }, 'recording a Kubernetes Event failed; it is dropped');
  }

  private takeToken(uid: string, now: number): boolean {
    const burst = this.options.burst ?? 25;
    const refillMs = this.options.refillMs ?? 300_000;
    const bucket = this.buckets.get(uid) ?? { tokens: burst, updatedAt: now };
    bucket.tokens = Math.min(burst, bucket.tokens + (now - bucket.updatedAt) / refillMs);
    bucket.updatedAt = now;
    this.buckets.set(uid, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  /** client-go's name suffix: the time in hexadecimal nanoseconds; unique within this process. */
  private uniqueSuffix(now: number): string {
    return (BigInt(now) * 1_000_000n + BigInt(this.sequence++ % 1_000_000)).toString(16);
  }

  /** Wakes up for the next series that is due to be written again or finished. */
  private schedule(): void {
    this.clock.clearTimeout(this.timer);
    if (this.closed || this.series.size === 0) return;
    const now = this.clock.now();
    let next = Infinity;
    for (const entry of this.series.values()) {
      next = Math.min(next, entry.lastObservedAt + this.finishMs);
      if (entry.count > entry.writtenCount) next = Math.min(next, entry.lastWriteAt + this.refreshMs);
    }
    this.timer = this.clock.setTimeout(
      () => {
        this.working ??= this.tick().finally(() => {
          this.working = null;
          this.pump();
        });
      },
      Math.max(0, next - now),
    );
    unrefTimer(this.timer);
  }

  private async tick(): Promise<void> {
    const now = this.clock.now();
    for (const entry of [...this.series.values()]) {
      const due = entry.count > entry.writtenCount && now - entry.lastWriteAt >= this.refreshMs;
      const finished = now - entry.lastObservedAt >= this.finishMs;
      if (due || (finished && entry.count > entry.writtenCount)) await this.writeSeries(entry);
      if (finished) this.series.delete(entry.key);
    }
    this.schedule();
  }
}

/** The note within NOTE_LIMIT bytes, its cut marked (boundText's suffix included). */
function boundNote(note: string): string {
  if (Buffer.byteLength(note) <= NOTE_LIMIT) return note;
  let keep = NOTE_LIMIT - 40;
  let bounded = boundText(note, keep);
  while (Buffer.byteLength(bounded) > NOTE_LIMIT) bounded = boundText(note, (keep -= 64));
  return bounded;
}
