// Desired state (from the Director) vs. current compass-managed Applications → the operations that
// make the cluster match. Pure: no I/O, the executor carries the plan out.

import { ownershipOf } from './adoption.js';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type ApplicationObject, type SecretObject } from './application-resource.js';
import type { DesiredApplication } from './converter.js';
import { credentialsSecretName, requestParametersSecretName } from './naming.js';
import { ownedFieldsDigest } from './owned-fields.js';
import { isPlanned, plannedFrom, type DesiredSecretRef, type PlannedApplication } from './planned-application.js';
import { storedSummaryOf } from './stored-application.js';

interface OperationBase {
  /** The Application CR name. */
  name: string;
  /** The Compass application id (from the Director, or from `compassMetadata` of the CR). */
  applicationId: string;
}

export interface CreateOperation extends OperationBase {
  kind: 'create';
  /** The Application and its Secrets, built when the operation runs. */
  load(): DesiredApplication;
}

/** A Secret in the integration namespace. */
export interface SecretRef {
  namespace: string;
  name: string;
}

export interface UpdateOperation extends OperationBase {
  kind: 'update';
  /** The stored object is a Go agent's (adoption.ts): this update adopts it (its Secrets first, the label last). */
  adopting?: true;
  /** The stored Application (compact): the owner its Secrets must name. */
  current: ApplicationObject;
  /** The current object with the agent-owned fields replaced; carries the cached resourceVersion. Built on read. */
  readonly application: ApplicationObject;
  readonly secrets: SecretObject[];
  /** Secrets of the current CR that the new one no longer uses. */
  obsoleteSecrets: SecretRef[];
}

export interface UnchangedOperation extends OperationBase {
  kind: 'unchanged';
  current: ApplicationObject;
  /** Still ensured: their content may have changed (rotated credentials) while the CR did not. */
  secrets: DesiredSecretRef[];
  /** The full desired objects, for a Secret that has to be written. */
  load(): DesiredApplication;
}

export interface DeleteOperation extends OperationBase {
  kind: 'delete';
  /** The stored object is a Go agent's (adoption.ts) whose application the Director no longer assigns. */
  goEra?: true;
  /** The stored Application (compact): only Secrets it owns are deleted. */
  current: ApplicationObject;
  /** Secrets the CR references and the ones the agent would have named for it. */
  secrets: SecretRef[];
}

/** The name is held by an object the agent does not manage: reported, never taken over. */
export interface ConflictOperation extends OperationBase {
  kind: 'conflict';
  message: string;
}

export type PlannedOperation = CreateOperation | UpdateOperation | UnchangedOperation | DeleteOperation | ConflictOperation;

export interface DuplicateName {
  name: string;
  applicationIds: string[];
}

/** A Director application that cannot be applied (application-validation.ts): skipped, its existing CR kept. */
export interface RejectedApplication {
  /** The CR name it would have (possibly invalid). */
  name: string;
  /** The name the Director gave it. */
  directorName: string;
  applicationId: string;
  problems: string[];
}

export interface SyncPlan {
  operations: PlannedOperation[];
  /** Names several Director applications map to: all of them are skipped, the existing CR kept. */
  duplicates: DuplicateName[];
  /** Applications with malformed data: skipped, the existing CR (by name or by application id) kept. */
  rejected: RejectedApplication[];
}

/** Whether the agent-owned fields of `current` (full, or compact: stored-application.ts) differ from the desired ones. */
export function ownedFieldsDiffer(current: ApplicationObject, desired: ApplicationObject | { ownedDigest: string }): boolean {
  const wanted = 'ownedDigest' in desired ? desired.ownedDigest : ownedFieldsDigest(desired.spec);
  return current.metadata.labels?.[MANAGED_BY_LABEL] !== MANAGED_BY_VALUE || storedSummaryOf(current).ownedDigest !== wanted;
}

/**
 * `current` with the agent-owned fields taken from `desired`; user fields (skipVerify, encodeUrl,
 * annotations, other labels) are kept. Ports call it again after re-reading on a 409.
 */
export function mergeOwnedFields(current: ApplicationObject, desired: ApplicationObject): ApplicationObject {
  const metadata = { ...current.metadata };
  delete metadata.managedFields;
  metadata.labels = { ...current.metadata.labels, [MANAGED_BY_LABEL]: MANAGED_BY_VALUE };
  return {
    ...current,
    metadata,
    spec: {
      ...current.spec,
      description: desired.spec.description,
      labels: desired.spec.labels,
      services: desired.spec.services,
      compassMetadata: desired.spec.compassMetadata,
    },
  };
}

/**
 * The Secrets an Application uses: those its entries reference, limited to names of this
 * application's shape (a user's edit must not make the agent delete an unrelated Secret), plus the
 * names the agent derives for each of its services (only for the services `derivedFor` accepts).
 */
export function secretNamesOf(app: ApplicationObject, derivedFor: (serviceId: string) => boolean = () => true): string[] {
  const name = app.metadata.name;
  const summary = storedSummaryOf(app);
  const names = new Set<string>(summary.referencedSecrets);
  for (const serviceId of summary.serviceIds) {
    if (derivedFor(serviceId)) {
      names.add(credentialsSecretName(name, serviceId));
      names.add(requestParametersSecretName(name, serviceId));
    }
  }
  return [...names].sort();
}

/** The full objects are built when the executor reads them, not when the plan is made. */
function updateOperation(
  base: OperationBase,
  current: ApplicationObject,
  wanted: PlannedApplication,
  obsoleteSecrets: SecretRef[],
  adopting: boolean,
): UpdateOperation {
  let full: DesiredApplication | undefined;
  const load = (): DesiredApplication => (full ??= wanted.load());
  return {
    ...base,
    kind: 'update',
    ...(adopting ? { adopting: true as const } : {}),
    current,
    obsoleteSecrets,
    get application() {
      return mergeOwnedFields(current, load().application);
    },
    get secrets() {
      return load().secrets;
    },
  };
}

/**
 * `existing` may hold any listed Applications, full or compact (stored-application.ts): objects that
 * are neither managed nor Go-era (adoption.ts: no compassMetadata, or another manager's label) are
 * never updated or deleted, and a desired app of the same name is a conflict. A Go-era object is
 * planned like a managed one (matched by name, as the Go agent does): updated, which adopts it, or
 * deleted when no Director application has its name. `integrationNamespace` is where the Secrets of
 * deleted/updated Applications live. Full desired objects are built only for updates (rare), so a
 * plan of 10,000 applications stays small. Desired applications with problems (application-validation.ts)
 * are rejected: nothing is planned for them, and the managed CR of their name or of their Compass id is kept.
 */
export function planSync(
  desired: Array<DesiredApplication | PlannedApplication>,
  existing: ApplicationObject[],
  integrationNamespace: string,
): SyncPlan {
  const inNamespace = (name: string): SecretRef => ({ namespace: integrationNamespace, name });
  // One entry per name; the (rare) names several applications map to are also grouped apart.
  const byName = new Map<string, PlannedApplication>();
  const shared = new Map<string, PlannedApplication[]>();
  const rejected: RejectedApplication[] = [];
  // A malformed application keeps the CR of its name and the CR of its Compass id (its name may be what broke).
  const keptNames = new Set<string>();
  const keptIds = new Set<string>();
  for (const entry of desired) {
    const app = isPlanned(entry) ? entry : plannedFrom(entry);
    if (app.problems) {
      rejected.push({
        name: app.name,
        directorName: app.directorName ?? app.name,
        applicationId: app.applicationId,
        problems: app.problems,
      });
      keptNames.add(app.name);
      keptIds.add(app.applicationId);
      continue;
    }
    const first = byName.get(app.name);
    if (first === undefined) {
      byName.set(app.name, app);
      continue;
    }
    const group = shared.get(app.name);
    if (group) group.push(app);
    else shared.set(app.name, [first, app]);
  }
  const managed = new Map<string, ApplicationObject>();
  const goEra = new Set<string>();
  const unmanaged = new Set<string>();
  for (const app of existing) {
    const ownership = ownershipOf(app);
    if (ownership === 'foreign') {
      unmanaged.add(app.metadata.name);
      continue;
    }
    managed.set(app.metadata.name, app);
    if (ownership === 'go-era') goEra.add(app.metadata.name);
  }

  const operations: PlannedOperation[] = [];
  const duplicates: DuplicateName[] = [];
  for (const [name, wanted] of byName) {
    const group = shared.get(name);
    if (group) {
      duplicates.push({ name, applicationIds: group.map((app) => app.applicationId) });
      continue;
    }
    const current = managed.get(name);
    const base = { name, applicationId: wanted.applicationId };
    if (!current) {
      if (unmanaged.has(name)) {
        operations.push({
          ...base,
          kind: 'conflict',
          message: `Application ${name} exists but is not managed by the runtime agent (it lacks the ${MANAGED_BY_LABEL} label or spec.compassMetadata); rename or delete it to let the agent create it`,
        });
      } else {
        operations.push({ ...base, kind: 'create', load: wanted.load });
      }
    } else if (ownedFieldsDiffer(current, wanted)) {
      const wantedSecrets = new Set(wanted.secrets.map((secret) => secret.name));
      const wantedServices = new Set(wanted.serviceIds);
      // Derived names only of removed services: a kept service's Secrets are gone only if the old CR named them.
      const obsoleteSecrets = secretNamesOf(current, (serviceId) => !wantedServices.has(serviceId))
        .filter((secretName) => !wantedSecrets.has(secretName))
        .map(inNamespace);
      operations.push(updateOperation(base, current, wanted, obsoleteSecrets, goEra.has(name)));
    } else {
      operations.push({
        kind: 'unchanged',
        name,
        applicationId: wanted.applicationId,
        current,
        secrets: wanted.secrets,
        load: wanted.load,
      });
    }
  }
  for (const [name, current] of managed) {
    if (byName.has(name) || keptNames.has(name)) continue;
    const applicationId = current.spec.compassMetadata?.applicationId ?? '';
    if (keptIds.has(applicationId)) continue;
    operations.push({
      kind: 'delete',
      ...(goEra.has(name) ? { goEra: true as const } : {}),
      name,
      applicationId,
      current,
      secrets: secretNamesOf(current).map(inNamespace),
    });
  }
  return { operations, duplicates, rejected };
}
