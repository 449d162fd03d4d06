// The simulator's state: a fake clock, the Director's tenants/runtimes/applications, the
// Connector's system auths, one-time tokens, issued and revoked certificates, armed faults and
// the call log. Pure in-memory; the HTTP surfaces read and change it.
import { randomBytes, randomUUID } from 'node:crypto';
import type {
  ApplicationInput,
  ApplicationRecord,
  BundleInput,
  BundleRecord,
  IssuedCertificateRecord,
  MintedToken,
  RuntimeInput,
  RuntimeRecord,
  SystemAuthRecord,
  TenantRecord,
  TokenType,
} from './model.js';
import { FaultBoard } from './faults.js';
import { generateApplications } from './app-generator.js';
import { RuntimeApplicationIndex } from './application-index.js';

export const subjectConstants = { C: 'DE', O: 'Org', OU: 'OrgUnit', L: 'locality', ST: 'province' } as const;

const tokenTtlMs: Record<TokenType, number> = { Runtime: 60 * 60_000, Certificate: 5 * 60_000 };

export interface CallIdentity {
  kind: 'token' | 'certificate' | 'none';
  clientId?: string;
  certificateSha256?: string;
  runtimeId?: string;
}

export interface CallLogEntry {
  seq: number;
  /** Simulator clock, RFC 3339. */
  at: string;
  surface: 'connector' | 'connector-mtls' | 'director';
  method: string;
  /** Path without the query string (which may carry ?token=). */
  path: string;
  /** Root fields of the operation, in document order. */
  operations: string[];
  identity: CallIdentity;
  /** Request headers without Connector-Token, Authorization, Cookie and the like. */
  headers: Record<string, string>;
  /** Variables with secret-looking keys replaced by "[redacted]". */
  variables?: Record<string, unknown>;
  /** rejected: the connection was closed (tls-reject) or reset (connection-reset) without an answer. */
  outcome: { status: number; errors: string[] } | { status: 0; rejected: 'tls' | 'reset' };
  /** Kinds of the faults applied to the call. */
  faults: string[];
  /** The connection the request came on, numbered as connections first send (unique in the process): equal numbers, one kept-alive connection. */
  connection: number;
}

const secretHeader = /^(connector-token|authorization|proxy-authorization|cookie|set-cookie|x-api-key)$/i;
const secretKey = /token|password|secret|credential|private|key|cert|csr/i;

export function loggableHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || secretHeader.test(name)) continue;
    out[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}

export function loggableVariables(variables: unknown): Record<string, unknown> | undefined {
  if (typeof variables !== 'object' || variables === null) return undefined;
  const mask = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(mask);
    if (typeof value !== 'object' || value === null) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, secretKey.test(k) ? '[redacted]' : mask(v)]));
  };
  return mask(variables) as Record<string, unknown>;
}

/** 64 random bytes, URL-safe base64 WITH padding: 88 characters ending in "==". */
export function newOneTimeToken(): string {
  return randomBytes(64).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

export interface StoreOptions {
  tenant: string;
  runtimeId: string;
  certificateValidityMs: number;
  pageSize?: number;
  /** Milliseconds every Director request waits before it is executed (a Director far away); default 0. */
  directorLatencyMs?: number;
}

/** Director requests being answered now, and the most at any one time since the last reset. */
export interface InFlight {
  current: number;
  max: number;
}

export class CompassStore {
  private clockOffsetMs = 0;
  readonly tenants = new Map<string, TenantRecord>();
  readonly runtimes = new Map<string, RuntimeRecord>();
  /** Read freely; write only through the methods below, which keep the revision and the indexes current. */
  readonly applications = new Map<string, ApplicationRecord>();
  private revision = 0;
  private contentRevision = 0;
  /** Every application in id order, rebuilt only after a write (every Director page needs it). */
  private sortedApplications: ApplicationRecord[] | null = null;
  /** Per runtime, the applications it sees: what applicationsForRuntime pages through. */
  readonly runtimeApplications = new RuntimeApplicationIndex(this);
  readonly systemAuths = new Map<string, SystemAuthRecord>();
  private tokens = new Map<string, { clientId: string; type: TokenType; expiresAt: number }>();
  readonly issued = new Map<string, IssuedCertificateRecord>();
  readonly revoked = new Set<string>();
  readonly faults = new FaultBoard();
  private calls: CallLogEntry[] = [];
  private seq = 0;
  connectorUrl = '';
  certSecuredConnectorUrl = '';
  directorUrl = '';
  /** Added to every Director request (see StoreOptions.directorLatencyMs). */
  directorLatencyMs: number;
  /** Counted by the Director surface from a request's arrival to its answer. */
  readonly directorInFlight: InFlight = { current: 0, max: 0 };

  constructor(readonly options: StoreOptions) {
    this.directorLatencyMs = options.directorLatencyMs ?? 0;
    this.addTenant(options.tenant);
    this.upsertRuntime({ id: options.runtimeId, tenant: options.tenant, name: 'compass-sim-runtime', labels: { scenarios: ['DEFAULT'] } });
  }

  now(): Date {
    return new Date(Date.now() + this.clockOffsetMs);
  }

  advanceClock(ms: number): Date {
    if (!Number.isFinite(ms) || ms < 0) throw new Error(`advanceClock: ms must be a non-negative number of milliseconds, got ${ms}`);
    this.clockOffsetMs += ms;
    return this.now();
  }

  addTenant(externalId: string): TenantRecord {
    const existing = this.tenants.get(externalId);
    if (existing) return existing;
    const tenant = { externalId, internalId: randomUUID() };
    this.tenants.set(externalId, tenant);
    return tenant;
  }

  upsertRuntime(input: RuntimeInput): RuntimeRecord {
    if (typeof input?.id !== 'string' || input.id === '') throw new Error('runtime.id must be a non-empty string');
    const existing = this.runtimes.get(input.id);
    const now = this.now().toISOString();
    const runtime: RuntimeRecord = {
      id: input.id,
      tenant: input.tenant ?? existing?.tenant ?? this.options.tenant,
      name: input.name ?? existing?.name ?? `runtime-${input.id.slice(0, 8)}`,
      description: input.description !== undefined ? input.description : (existing?.description ?? null),
      labels: input.labels ?? existing?.labels ?? { scenarios: ['DEFAULT'] },
      status: input.status ?? existing?.status ?? { condition: 'INITIAL', timestamp: now },
      creationTimestamp: existing?.creationTimestamp ?? input.creationTimestamp ?? now,
    };
    this.addTenant(runtime.tenant);
    this.runtimes.set(runtime.id, runtime);
    return runtime;
  }

  removeRuntime(id: string): boolean {
    return this.runtimes.delete(id);
  }

  upsertApplication(input: ApplicationInput): ApplicationRecord {
    if (typeof input?.id !== 'string' || input.id === '') throw new Error('application.id must be a non-empty string');
    const existing = this.applications.get(input.id);
    const name = input.name ?? existing?.name ?? `app-${input.id.slice(0, 8)}`;
    const app: ApplicationRecord = {
      id: input.id,
      tenant: input.tenant ?? existing?.tenant ?? this.options.tenant,
      name,
      providerName: input.providerName !== undefined ? input.providerName : (existing?.providerName ?? null),
      description: input.description !== undefined ? input.description : (existing?.description ?? null),
      integrationSystemID: input.integrationSystemID ?? existing?.integrationSystemID ?? null,
      healthCheckURL: input.healthCheckURL ?? existing?.healthCheckURL ?? null,
      labels: input.labels ?? existing?.labels ?? { scenarios: ['DEFAULT'], name },
      status: input.status ?? existing?.status ?? { condition: 'INITIAL', timestamp: this.now().toISOString() },
      auths: input.auths ?? existing?.auths ?? [{ id: randomUUID() }],
      bundles: input.bundles ? input.bundles.map(normalizeBundle) : (existing?.bundles ?? []),
    };
    this.addTenant(app.tenant);
    this.applications.set(app.id, app);
    this.applicationsChanged();
    return app;
  }

  removeApplication(id: string): boolean {
    const removed = this.applications.delete(id);
    if (removed) this.applicationsChanged();
    return removed;
  }

  /** Changes with every write of an application (records are replaced, so cached lists must go). */
  get applicationsRevision(): number {
    return this.revision;
  }

  /** Changes with every write of an application or of its bundles: what the Director's kept answers depend on. */
  get applicationContentRevision(): number {
    return this.contentRevision;
  }

  private applicationsChanged(): void {
    this.revision += 1;
    this.contentRevision += 1;
    this.sortedApplications = null;
  }

  /** Every application ordered by id, as the Director pages them; do not modify the returned list. */
  applicationsById(): readonly ApplicationRecord[] {
    this.sortedApplications ??= [...this.applications.values()].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
    return this.sortedApplications;
  }

  upsertBundle(applicationId: string, input: BundleInput): BundleRecord {
    const app = this.applications.get(applicationId);
    if (!app) throw new Error(`application ${applicationId} does not exist; create it before adding bundles`);
    const bundle = normalizeBundle({ ...app.bundles.find((b) => b.id === input.id), ...input });
    const index = app.bundles.findIndex((b) => b.id === input.id);
    if (index >= 0) app.bundles[index] = bundle;
    else app.bundles.push(bundle);
    this.contentRevision += 1; // the Director's kept answers hold the bundles too; the lists of records stay
    return bundle;
  }

  removeBundle(applicationId: string, bundleId: string): boolean {
    const app = this.applications.get(applicationId);
    if (!app) return false;
    const before = app.bundles.length;
    app.bundles = app.bundles.filter((b) => b.id !== bundleId);
    if (app.bundles.length === before) return false;
    this.contentRevision += 1;
    return true;
  }

  generateApplications(count: number, seed = 1, scenarios?: string[]): ApplicationRecord[] {
    if (!Number.isInteger(count) || count < 0 || count > 100_000)
      throw new Error(`generateApplications: count must be an integer between 0 and 100000, got ${count}`);
    const apps = generateApplications(count, seed, { tenant: this.options.tenant, scenarios, timestamp: this.now().toISOString() });
    for (const app of apps) this.applications.set(app.id, app);
    this.applicationsChanged();
    return apps;
  }

  /** Every minted runtime token creates a new system auth: its id becomes the certificate CN. */
  mintRuntimeToken(runtimeId = this.options.runtimeId): MintedToken {
    const runtime = this.runtimes.get(runtimeId);
    if (!runtime) throw new Error(`runtime ${runtimeId} does not exist; seed it before minting a token for it`);
    const auth: SystemAuthRecord = { id: randomUUID(), tenant: runtime.tenant, runtimeId };
    this.systemAuths.set(auth.id, auth);
    const { token, expiresAt } = this.mintToken(auth.id, 'Runtime');
    const raw = JSON.stringify({ token, connectorURL: this.connectorUrl });
    return {
      token,
      clientId: auth.id,
      runtimeId,
      connectorURL: this.connectorUrl,
      raw,
      rawEncoded: Buffer.from(raw).toString('base64'),
      expiresAt: new Date(expiresAt).toISOString(),
    };
  }

  mintToken(clientId: string, type: TokenType): { token: string; expiresAt: number } {
    const token = newOneTimeToken();
    const expiresAt = this.now().getTime() + tokenTtlMs[type];
    this.tokens.set(token, { clientId, type, expiresAt });
    return { token, expiresAt };
  }

  /** The client id of a live token; the token is burned whatever happens next. */
  resolveToken(token: string | undefined): string | undefined {
    if (!token) return undefined;
    const entry = this.tokens.get(token);
    if (!entry) return undefined;
    this.tokens.delete(token);
    return entry.expiresAt > this.now().getTime() ? entry.clientId : undefined;
  }

  /** A Connector restart: every outstanding token becomes invalid. */
  wipeTokens(): number {
    const count = this.tokens.size;
    this.tokens.clear();
    return count;
  }

  revokeCertificate(sha256: string): void {
    const hash = sha256.toLowerCase();
    if (!/^[0-9a-f]{64}$/.test(hash))
      throw new Error('revokeCertificate: expected the SHA-256 of the certificate DER as 64 hex characters');
    this.revoked.add(hash);
    const issued = this.issued.get(hash);
    if (issued) issued.revoked = true;
  }

  isRevoked(sha256: string): boolean {
    return this.revoked.has(sha256);
  }

  recordCall(entry: Omit<CallLogEntry, 'seq' | 'at'>): CallLogEntry {
    const full = { seq: ++this.seq, at: this.now().toISOString(), ...entry };
    this.calls.push(full);
    if (this.calls.length > 10_000) this.calls.shift();
    return full;
  }

  callLog(): CallLogEntry[] {
    return this.calls.map((call) => structuredClone(call));
  }

  clearCallLog(): void {
    this.calls = [];
  }
}

function normalizeBundle(input: BundleInput): BundleRecord {
  if (typeof input?.id !== 'string' || input.id === '') throw new Error('bundle.id must be a non-empty string');
  return {
    id: input.id,
    name: input.name ?? `bundle-${input.id.slice(0, 8)}`,
    description: input.description ?? null,
    instanceAuthRequestInputSchema: input.instanceAuthRequestInputSchema ?? null,
    defaultInstanceAuth: input.defaultInstanceAuth ?? null,
    apiDefinitions: input.apiDefinitions ?? [],
    eventDefinitions: input.eventDefinitions ?? [],
  };
}
