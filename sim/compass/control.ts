// The simulator's control surface, in process. The HTTP control API (control-routes.ts) exposes the
// same functions as JSON routes.
import type { CallLogEntry, CompassStore, InFlight } from './compass-store.js';
import type { ArmedFault, FaultSpec } from './faults.js';
import type {
  ApplicationInput,
  ApplicationRecord,
  BundleInput,
  BundleRecord,
  IssuedCertificateRecord,
  Labels,
  MintedToken,
  RuntimeInput,
  RuntimeRecord,
  TenantRecord,
} from './model.js';

export interface CompassControl {
  /** The simulator clock. */
  now(): Date;
  /** Moves the simulator clock forward; tokens and certificate validity follow it. */
  advanceClock(ms: number): Date;
  /** A fresh one-time runtime token (60 min) with a new system auth (= certificate CN). */
  mintToken(runtimeId?: string): MintedToken;
  /** A Connector restart: forgets every outstanding token; returns how many. */
  wipeTokens(): number;
  /** Revokes a certificate by the SHA-256 of its DER (hex). */
  revokeCertificate(sha256: string): void;
  issuedCertificates(): IssuedCertificateRecord[];
  addTenant(externalId: string): TenantRecord;
  tenants(): TenantRecord[];
  upsertRuntime(input: RuntimeInput): RuntimeRecord;
  removeRuntime(id: string): boolean;
  runtime(id: string): RuntimeRecord | undefined;
  runtimeLabels(id: string): Labels | undefined;
  upsertApplication(input: ApplicationInput): ApplicationRecord;
  removeApplication(id: string): boolean;
  applications(): ApplicationRecord[];
  upsertBundle(applicationId: string, bundle: BundleInput): BundleRecord;
  removeBundle(applicationId: string, bundleId: string): boolean;
  /** Adds `count` deterministic applications generated from `seed` to the default tenant. */
  generateApplications(count: number, seed?: number, scenarios?: string[]): ApplicationRecord[];
  armFault(fault: FaultSpec): ArmedFault;
  faults(): ArmedFault[];
  clearFaults(): void;
  callLog(): CallLogEntry[];
  clearCallLog(): void;
  /** Milliseconds every Director request waits before it is answered (0: none). */
  setDirectorLatency(ms: number): void;
  /** Director requests being answered now, and the most at once since the last reset. */
  directorInFlight(): InFlight;
  /** Starts counting the most Director requests at once afresh. */
  resetDirectorInFlight(): void;
}

export function createControl(store: CompassStore): CompassControl {
  const copy = <T>(value: T): T => structuredClone(value);
  return {
    now: () => store.now(),
    advanceClock: (ms) => store.advanceClock(ms),
    mintToken: (runtimeId) => store.mintRuntimeToken(runtimeId),
    wipeTokens: () => store.wipeTokens(),
    revokeCertificate: (sha256) => store.revokeCertificate(sha256),
    issuedCertificates: () => [...store.issued.values()].map(copy),
    addTenant: (externalId) => {
      if (typeof externalId !== 'string' || externalId === '') throw new Error('tenant externalId must be a non-empty string');
      return copy(store.addTenant(externalId));
    },
    tenants: () => [...store.tenants.values()].map(copy),
    upsertRuntime: (input) => copy(store.upsertRuntime(input)),
    removeRuntime: (id) => store.removeRuntime(id),
    runtime: (id) => {
      const runtime = store.runtimes.get(id);
      return runtime ? copy(runtime) : undefined;
    },
    runtimeLabels: (id) => {
      const runtime = store.runtimes.get(id);
      return runtime ? copy(runtime.labels) : undefined;
    },
    upsertApplication: (input) => copy(store.upsertApplication(input)),
    removeApplication: (id) => store.removeApplication(id),
    applications: () => [...store.applications.values()].sort((a, b) => (a.id < b.id ? -1 : 1)).map(copy),
    upsertBundle: (applicationId, bundle) => copy(store.upsertBundle(applicationId, bundle)),
    removeBundle: (applicationId, bundleId) => store.removeBundle(applicationId, bundleId),
    generateApplications: (count, seed, scenarios) => store.generateApplications(count, seed, scenarios).map(copy),
    armFault: (fault) => store.faults.arm(fault),
    faults: () => store.faults.list(),
    clearFaults: () => store.faults.clear(),
    callLog: () => store.callLog(),
    clearCallLog: () => store.clearCallLog(),
    setDirectorLatency: (ms) => {
      if (!(typeof ms === 'number' && Number.isFinite(ms) && ms >= 0 && ms <= 600_000))
        throw new Error('Director latency must be between 0 and 600000 ms');
      store.directorLatencyMs = ms;
    },
    directorInFlight: () => ({ ...store.directorInFlight }),
    resetDirectorInFlight: () => {
      store.directorInFlight.max = store.directorInFlight.current;
    },
  };
}
