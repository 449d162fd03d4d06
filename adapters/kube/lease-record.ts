// The leader election record a coordination.k8s.io/v1 Lease carries, and client-go's decision on it
// (tools/leaderelection tryAcquireOrRenew): pure, so every rule is testable without a server or clock.

/** client-go's LeaderElectionRecord, as kept in a Lease's spec. */
export interface LeaderElectionRecord {
  /** Empty when nobody holds it (after a release). */
  holderIdentity: string;
  leaseDurationSeconds: number;
  acquireTime: string | null;
  renewTime: string | null;
  leaseTransitions: number;
}

export interface LeaseSpec {
  holderIdentity?: string | null;
  leaseDurationSeconds?: number | null;
  acquireTime?: string | null;
  renewTime?: string | null;
  leaseTransitions?: number | null;
  [key: string]: unknown;
}

/** metav1.MicroTime as the API server writes it: RFC 3339 with six fractional digits, UTC. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function recordOfLease(spec: LeaseSpec | undefined | null): LeaderElectionRecord {
  const s = spec ?? {};
  return {
    holderIdentity: typeof s.holderIdentity === 'string' ? s.holderIdentity : '',
    leaseDurationSeconds: typeof s.leaseDurationSeconds === 'number' ? s.leaseDurationSeconds : 0,
    acquireTime: typeof s.acquireTime === 'string' ? s.acquireTime : null,
    renewTime: typeof s.renewTime === 'string' ? s.renewTime : null,
    leaseTransitions: typeof s.leaseTransitions === 'number' ? s.leaseTransitions : 0,
  };
}

export function leaseSpecOf(record: LeaderElectionRecord): LeaseSpec {
  return {
    holderIdentity: record.holderIdentity,
    leaseDurationSeconds: record.leaseDurationSeconds,
    acquireTime: record.acquireTime,
    renewTime: record.renewTime,
    leaseTransitions: record.leaseTransitions,
  };
}

export function sameRecord(a: LeaderElectionRecord | null, b: LeaderElectionRecord | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** What this replica last saw of the Lease, and when by its own clock (client-go's observedTime). */
export interface Observation {
  record: LeaderElectionRecord;
  /** Local clock (ms) when this record was first seen; never the times written in it. */
  observedAt: number;
}

export type Claim = { kind: 'write'; record: LeaderElectionRecord } | { kind: 'held'; holder: string; expiresAt: number };

/**
 * Given the Lease as just read (and what was observed before), whether this replica may write itself
 * into it now, and with which record. A follower takes over only once `leaseDurationSeconds` have
 * passed, by its own clock, since it first saw the current record; the leader keeps its acquireTime
 * and transitions; a new holder counts one more transition.
 */
export function claimLease(current: Observation, identity: string, leaseDurationSeconds: number, now: number): Claim {
  const { record, observedAt } = current;
  const leading = record.holderIdentity === identity;
  const expiresAt = observedAt + record.leaseDurationSeconds * 1000;
  if (record.holderIdentity !== '' && !leading && expiresAt > now) {
    return { kind: 'held', holder: record.holderIdentity, expiresAt };
  }
  const stamp = microTime(now);
  return {
    kind: 'write',
    record: {
      holderIdentity: identity,
      leaseDurationSeconds,
      acquireTime: leading ? record.acquireTime : stamp,
      renewTime: stamp,
      leaseTransitions: leading ? record.leaseTransitions : record.leaseTransitions + 1,
    },
  };
}

/** The record a new Lease starts with: this replica holds it, no transition yet. */
export function firstRecord(identity: string, leaseDurationSeconds: number, now: number): LeaderElectionRecord {
  const stamp = microTime(now);
  return { holderIdentity: identity, leaseDurationSeconds, acquireTime: stamp, renewTime: stamp, leaseTransitions: 0 };
}

/** client-go's release: nobody holds it and it expires after one second, so a standby takes it at once. */
export function releasedRecord(previous: LeaderElectionRecord, now: number): LeaderElectionRecord {
  const stamp = microTime(now);
  return { holderIdentity: '', leaseDurationSeconds: 1, acquireTime: stamp, renewTime: stamp, leaseTransitions: previous.leaseTransitions };
}
