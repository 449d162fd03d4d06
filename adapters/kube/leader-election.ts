// Leader election with a coordination.k8s.io/v1 Lease, as client-go's tools/leaderelection does it:
// the holder renews the Lease every retry period (a PUT conditional on the resourceVersion it last
// saw), a standby tries to acquire it every retry period (jittered by up to 1.2 times) and takes it
// over only when it has not changed for leaseDuration by the standby's own clock. On SIGTERM the
// leader releases it (no holder, one second), so a standby takes over at its next try.
//
// Fencing, stricter than client-go: the leader may write only until renewDeadline after it *sent*
// its last successful renewal. A standby needs leaseDuration after it *saw* that renewal, which is
// later, so the leader stops writing (guard()) before anyone else can start, whatever its requests'
// latency; renewDeadline < leaseDuration leaves the margin for writes already on the wire.
//
// Also beyond client-go: a standby watches the Lease by name, and a release wakes it up at once
// instead of at its next (jittered) try, so a handover on SIGTERM takes a round trip, not seconds.
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import type { Logger } from '../logger.js';
import { silentLogger } from '../logger.js';
import { systemClock, type Clock } from '../clock/clock.js';
import { settleWithin } from '../clock/settle-within.js';
import { isAlreadyExists, isConflict, isNotFound, kubeCall, KubeError, type KubeClient } from './kube-client.js';
import type { KubeRequest } from './kube-rest.js';
import { watchStream } from './watch-stream.js';
import {
  claimLease,
  firstRecord,
  leaseSpecOf,
  recordOfLease,
  releasedRecord,
  sameRecord,
  type LeaderElectionRecord,
  type LeaseSpec,
  type Observation,
} from './lease-record.js';
import { errorMessage } from '../unknown-values.js';

export interface LeaderElectionConfig {
  namespace: string;
  name: string;
  /** This replica's holderIdentity; unique per process (client-go: hostname_uuid). */
  identity: string;
  leaseDurationMs: number;
  renewDeadlineMs: number;
  retryPeriodMs: number;
}

export interface LeaderElectorOptions extends LeaderElectionConfig {
  /** The client for the Lease itself: never fenced. */
  client: KubeClient;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  /** This replica now leads; `transitions` is the Lease's leaseTransitions. */
  onStartedLeading(term: { transitions: number }): void;
  /** This replica stopped leading (renewal deadline passed, or stop()); the elector waits for it before trying again. */
  onStoppedLeading(reason: string): Promise<void> | void;
  /** Another holder was seen (or none, after a release). */
  onNewLeader?(identity: string): void;
}

interface LeaseObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; [key: string]: unknown };
  spec?: LeaseSpec;
}

/** client-go's wait.Jitter factor for the acquire loop. */
export const JITTER_FACTOR = 1.2;

/** A holderIdentity unique to this process, as controller-runtime builds it. */
export function defaultIdentity(): string {
  return `${hostname()}_${randomUUID()}`;
}

export class LeaderElector {
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly logger: Logger;
  private readonly leaseSeconds: number;
  private observed: Observation | null = null;
  /** The Lease as last read or written: its resourceVersion conditions the next write. */
  private lease: LeaseObject | null = null;
  private leading = false;
  /** Local time until which this replica may write: last successful renewal sent + renewDeadline. */
  private fenceUntil = 0;
  private fenceTimer: unknown;
  private stopping: Promise<void> | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private sleepTimer: unknown;
  private lastProblem = '';
  private lastLeader: string | undefined;
  private lastReadAt = -Infinity;
  private releases: { unsubscribe(): void } | undefined;

  constructor(private readonly options: LeaderElectorOptions) {
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? silentLogger;
    this.leaseSeconds = Math.round(options.leaseDurationMs / 1000);
  }

  get identity(): string {
    return this.options.identity;
  }

  get leaseRef(): string {
    return `${this.options.namespace}/${this.options.name}`;
  }

  /** Whether this replica leads and may still write (its last renewal is within the renew deadline). */
  isLeader(): boolean {
    return this.leading && this.clock.now() < this.fenceUntil;
  }

  /** The holder this replica last saw ('' after a release), if it read the Lease at all. */
  observedLeader(): string | undefined {
    return this.observed?.record.holderIdentity;
  }

  /** Whether the Lease was read or written within the lease duration (a standby that follows is healthy). */
  following(): boolean {
    return this.clock.now() - this.lastReadAt < this.options.leaseDurationMs;
  }

  /** For KubeRestOptions.guard: refuses every request but reads unless this replica leads. */
  readonly guard = (request: KubeRequest): void => {
    if (request.method === 'GET' || this.isLeader()) return;
    const operation = `${request.method} ${request.path}`;
    throw new KubeError(
      0,
      'NotLeader',
      `${operation} was not sent: this replica does not hold the Lease ${this.leaseRef} (or could not renew it in time)`,
      operation,
    );
  };

  start(): void {
    if (this.running) return;
    this.running = this.loop().catch((err: unknown) => this.logger.error({ err }, 'leader election stopped unexpectedly; this is a bug'));
    this.releases = this.watchReleases();
  }

  /**
   * Stops trying. A leader first stops its work (onStoppedLeading, while its writes are still
   * allowed: it holds a valid Lease), then, with `release`, gives the Lease up so that a standby
   * takes over at its next try instead of waiting for it to expire. Bounded: a hung API server
   * delays it by about two seconds at most.
   */
  async stop(options: { release?: boolean } = {}): Promise<void> {
    this.stopped = true;
    this.releases?.unsubscribe();
    this.clock.clearTimeout(this.sleepTimer);
    this.wake?.();
    if (this.leading) await this.lose('the agent is shutting down', true);
    await this.stopping;
    this.clock.clearTimeout(this.fenceTimer);
    // An attempt on the wire may still make this replica the holder: wait for it (briefly) before releasing.
    await settleWithin(this.running, 1_000);
    const held = this.observed?.record.holderIdentity === this.options.identity;
    if (options.release && held) await settleWithin(this.release(), 1_000);
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      await this.stopping;
      if (this.stopped) break;
      const sentAt = this.clock.now();
      const acquired = await this.tryAcquireOrRenew(sentAt);
      if (this.stopped) break;
      if (acquired) {
        // Renewed or acquired: writes are allowed until renewDeadline after this attempt was sent.
        this.fenceUntil = sentAt + this.options.renewDeadlineMs;
        this.clock.clearTimeout(this.fenceTimer);
        this.fenceTimer = this.clock.setTimeout(() => this.checkFence(), this.fenceUntil - this.clock.now());
        if (!this.leading && this.clock.now() < this.fenceUntil) {
          this.leading = true;
          this.logger.info(
            { lease: this.leaseRef, identity: this.identity, transitions: this.observed?.record.leaseTransitions },
            'leader election: this replica leads',
          );
          this.noteLeader(this.identity);
          try {
            this.options.onStartedLeading({ transitions: this.observed?.record.leaseTransitions ?? 0 });
          } catch (err) {
            this.logger.error({ err }, "starting the leader's work failed");
            await this.lose("starting the leader's work failed");
          }
        }
      } else if (this.leading) {
        this.checkFence();
      }
      // The leader renews every retry period; a standby tries with client-go's jitter (sliding).
      const jitter = this.leading ? 0 : this.random() * JITTER_FACTOR * this.options.retryPeriodMs;
      await this.sleep(this.options.retryPeriodMs + jitter);
    }
  }

  private checkFence(): void {
    if (!this.leading || this.stopping) return;
    const left = this.fenceUntil - this.clock.now();
    if (left > 0) {
      // A timer that fired early: wait for the rest.
      this.clock.clearTimeout(this.fenceTimer);
      this.fenceTimer = this.clock.setTimeout(() => this.checkFence(), left);
      return;
    }
    void this.lose(`the Lease ${this.leaseRef} could not be renewed within ${this.options.renewDeadlineMs} ms`);
  }

  /**
   * Ends this replica's leadership: its work is stopped (onStoppedLeading). When the renewal deadline
   * passed, writes are refused at once; on a voluntary stop they stay allowed (the Lease is still
   * valid) until the work has wound down, so a certificate already signed can still be stored.
   */
  private lose(reason: string, voluntary = false): Promise<void> {
    if (!this.leading) return this.stopping ?? Promise.resolve();
    this.leading = voluntary;
    if (!voluntary) this.fenceUntil = 0;
    this.logger[voluntary ? 'info' : 'warn'](
      { lease: this.leaseRef, identity: this.identity, reason },
      'leader election: this replica stops leading',
    );
    const done = Promise.resolve()
      .then(() => this.options.onStoppedLeading(reason))
      .catch((err: unknown) => this.logger.error({ err }, "stopping the leader's work failed"))
      .finally(() => {
        this.leading = false;
        this.fenceUntil = 0;
        if (this.stopping === done) this.stopping = null;
      });
    this.stopping = done;
    return done;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.wake = () => {
        this.wake = null;
        resolve();
      };
      this.sleepTimer = this.clock.setTimeout(() => this.wake?.(), ms);
    });
  }

  /** client-go's tryAcquireOrRenew: true when this replica holds the Lease after the attempt. */
  private async tryAcquireOrRenew(now: number): Promise<boolean> {
    try {
      // Fast path: the leader renews with what it wrote last, without reading first.
      if (this.leading && this.lease && this.observed?.record.holderIdentity === this.identity) {
        const claim = claimLease(this.observed, this.identity, this.leaseSeconds, now);
        if (claim.kind === 'write') {
          try {
            await this.write(claim.record, now);
            return true;
          } catch (err) {
            if (!isConflict(err)) throw err;
            this.logger.debug({ lease: this.leaseRef }, 'leader election: the Lease changed since the last renewal; reading it again');
          }
        }
      }
      const current = await this.read();
      if (!current) {
        const record = firstRecord(this.identity, this.leaseSeconds, now);
        this.lease = await this.create(record);
        this.observe(record, this.clock.now());
        this.problem('');
        return true;
      }
      const claim = claimLease(this.observed!, this.identity, this.leaseSeconds, now);
      if (claim.kind === 'held') {
        this.problem('');
        return false;
      }
      await this.write(claim.record, now);
      this.problem('');
      return true;
    } catch (err) {
      // A conflict or AlreadyExists means another replica won this round: not worth a warning.
      if (isConflict(err) || isAlreadyExists(err))
        this.logger.debug({ lease: this.leaseRef }, 'leader election: another replica wrote the Lease first');
      else this.problem(errorMessage(err));
      return false;
    }
  }

  private observe(record: LeaderElectionRecord, at: number): void {
    if (!this.observed || !sameRecord(this.observed.record, record)) this.observed = { record, observedAt: at };
    this.lastReadAt = at;
    this.noteLeader(record.holderIdentity);
  }

  private noteLeader(identity: string): void {
    if (identity === this.lastLeader) return;
    this.lastLeader = identity;
    if (identity !== this.identity) {
      this.logger.info({ lease: this.leaseRef, leader: identity || '(none: released)' }, 'leader election: the leader changed');
    }
    this.options.onNewLeader?.(identity);
  }

  private problem(message: string): void {
    if (message && message !== this.lastProblem)
      this.logger.warn({ lease: this.leaseRef, error: message }, 'leader election: reading or writing the Lease failed; trying again');
    this.lastProblem = message;
  }

  /** A standby's shortcut: a released Lease (no holder) ends its wait for the next try. */
  private watchReleases(): { unsubscribe(): void } {
    const { client, name } = this.options;
    const fieldSelector = `metadata.name=${name}`;
    return watchStream<LeaseObject>({
      kubeConfig: client.kubeConfig,
      rest: client.rest,
      path: this.path,
      fieldSelector,
      logger: this.logger,
      list: async (query) => {
        const list = await kubeCall(`list Leases ${this.leaseRef}`, () =>
          client.rest.request<{ items?: LeaseObject[]; metadata?: { resourceVersion?: string; continue?: string } }>({
            method: 'GET',
            path: this.path,
            query: { fieldSelector, limit: query.limit, continue: query.continue },
          }),
        );
        return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '', continue: list.metadata?.continue };
      },
    }).subscribe((event) => {
      if (event.type !== 'added' && event.type !== 'modified') return;
      if (!this.leading && !this.stopped && recordOfLease(event.object.spec).holderIdentity === '') this.wake?.();
    });
  }

  private get path(): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(this.options.namespace)}/leases`;
  }

  private async read(): Promise<LeaseObject | null> {
    try {
      const lease = await kubeCall(`get Lease ${this.leaseRef}`, () =>
        this.options.client.rest.request<LeaseObject>({ method: 'GET', path: `${this.path}/${encodeURIComponent(this.options.name)}` }),
      );
      this.lease = lease;
      this.observe(recordOfLease(lease.spec), this.clock.now());
      return lease;
    } catch (err) {
      if (isNotFound(err)) {
        this.lease = null;
        return null;
      }
      throw err;
    }
  }

  private create(record: LeaderElectionRecord): Promise<LeaseObject> {
    const body: LeaseObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: this.options.name, namespace: this.options.namespace },
      spec: leaseSpecOf(record),
    };
    return kubeCall(`create Lease ${this.leaseRef}`, () =>
      this.options.client.rest.request<LeaseObject>({ method: 'POST', path: this.path, body }),
    );
  }

  /** PUT of the Lease as last seen with `record`: a 409 when anyone wrote it since. */
  private async write(record: LeaderElectionRecord, _now: number): Promise<void> {
    const lease = this.lease!;
    const body: LeaseObject = { ...lease, spec: { ...lease.spec, ...leaseSpecOf(record) } };
    const stored = await kubeCall(`update Lease ${this.leaseRef}`, () =>
      this.options.client.rest.request<LeaseObject>({ method: 'PUT', path: `${this.path}/${encodeURIComponent(this.options.name)}`, body }),
    );
    this.lease = stored;
    this.observe(record, this.clock.now());
  }

  private async release(): Promise<void> {
    if (!this.lease || !this.observed) return;
    try {
      await this.write(releasedRecord(this.observed.record, this.clock.now()), this.clock.now());
      this.logger.info({ lease: this.leaseRef, identity: this.identity }, 'leader election: released the Lease');
    } catch (err) {
      this.logger.warn({ lease: this.leaseRef, err }, 'leader election: releasing the Lease failed; a standby takes over when it expires');
    }
  }
}
