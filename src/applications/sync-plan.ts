// Desired state (from the Director) vs. current compass-managed Applications → the operations that
// make the cluster match. Pure: no I/O, the executor carries the plan out.

import {
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  isManagedApplication,
  type ApplicationObject,
  type SecretObject,
} from './application-resource.js';
import type { DesiredApplication } from './converter.js';
import { credentialsSecretName, isSecretNameOfApplication, requestParametersSecretName } from './naming.js';
import { semanticEqual } from './semantic-equality.js';

interface OperationBase {
  /** The Application CR name. */
  name: string;
  /** The Compass application id (from the Director, or from `compassMetadata` of the CR). */
  applicationId: string;
}

export interface CreateOperation extends OperationBase {
  kind: 'create';
  application: ApplicationObject;
  secrets: SecretObject[];
}

/** A Secret in the integration namespace. */
export interface SecretRef {
  namespace: string;
  name: string;
}

export interface UpdateOperation extends OperationBase {
  kind: 'update';
  /** The current object with the agent-owned fields replaced; carries the cached resourceVersion. */
  application: ApplicationObject;
  secrets: SecretObject[];
  /** Secrets of the current CR that the new one no longer uses. */
  obsoleteSecrets: SecretRef[];
}

export interface UnchangedOperation extends OperationBase {
  kind: 'unchanged';
  current: ApplicationObject;
  /** Still ensured: their content may have changed (rotated credentials) while the CR did not. */
  secrets: SecretObject[];
}

export interface DeleteOperation extends OperationBase {
  kind: 'delete';
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

export interface SyncPlan {
  operations: PlannedOperation[];
  /** Names several Director applications map to: all of them are skipped, the existing CR kept. */
  duplicates: DuplicateName[];
}

/** Whether the agent-owned fields of `current` differ from `desired`. */
export function ownedFieldsDiffer(current: ApplicationObject, desired: ApplicationObject): boolean {
  const c = current.spec ?? ({} as ApplicationObject['spec']);
  const d = desired.spec;
  return !(
    current.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY_VALUE &&
    semanticEqual(c.description, d.description) &&
    semanticEqual(c.labels, d.labels) &&
    semanticEqual(c.services, d.services) &&
    semanticEqual(c.compassMetadata, d.compassMetadata)
  );
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
  const names = new Set<string>();
  for (const service of app.spec?.services ?? []) {
    if (typeof service.id === 'string' && service.id && derivedFor(service.id)) {
      names.add(credentialsSecretName(name, service.id));
      names.add(requestParametersSecretName(name, service.id));
    }
    for (const entry of service.entries ?? []) {
      for (const referenced of [entry.credentials?.secretName, entry.requestParametersSecretName]) {
        if (typeof referenced === 'string' && referenced && isSecretNameOfApplication(referenced, name)) {
          names.add(referenced);
        }
      }
    }
  }
  return [...names].sort();
}

/**
 * `existing` may hold any listed Applications: objects that are not managed (no managed-by label or
 * no compassMetadata) are never updated or deleted, and a desired app of the same name is a conflict.
 * `integrationNamespace` is where the Secrets of deleted/updated Applications live. `differs` is
 * `ownedFieldsDiffer` or a memoised equivalent (see sync-memory.ts).
 */
export function planSync(
  desired: DesiredApplication[],
  existing: ApplicationObject[],
  integrationNamespace: string,
  differs: (current: ApplicationObject, desired: ApplicationObject) => boolean = ownedFieldsDiffer,
): SyncPlan {
  const inNamespace = (name: string): SecretRef => ({ namespace: integrationNamespace, name });
  const byName = new Map<string, DesiredApplication[]>();
  for (const app of desired) {
    const group = byName.get(app.name);
    if (group) group.push(app);
    else byName.set(app.name, [app]);
  }
  const managed = new Map<string, ApplicationObject>();
  const unmanaged = new Set<string>();
  for (const app of existing) {
    if (isManagedApplication(app)) managed.set(app.metadata.name, app);
    else unmanaged.add(app.metadata.name);
  }

  const operations: PlannedOperation[] = [];
  const duplicates: DuplicateName[] = [];
  for (const [name, group] of byName) {
    if (group.length > 1) {
      duplicates.push({ name, applicationIds: group.map((app) => app.applicationId) });
      continue;
    }
    const wanted = group[0]!;
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
        operations.push({ ...base, kind: 'create', application: wanted.application, secrets: wanted.secrets });
      }
    } else if (differs(current, wanted.application)) {
      const wantedSecrets = new Set(wanted.secrets.map((secret) => secret.metadata.name));
      const wantedServices = new Set(wanted.application.spec.services.map((service) => service.id));
      operations.push({
        ...base,
        kind: 'update',
        application: mergeOwnedFields(current, wanted.application),
        secrets: wanted.secrets,
        // Derived names only of removed services: a kept service's Secrets are gone only if the old CR named them.
        obsoleteSecrets: secretNamesOf(current, (serviceId) => !wantedServices.has(serviceId))
          .filter((secretName) => !wantedSecrets.has(secretName))
          .map(inNamespace),
      });
    } else {
      operations.push({ ...base, kind: 'unchanged', current, secrets: wanted.secrets });
    }
  }
  for (const [name, current] of managed) {
    if (byName.has(name)) continue;
    operations.push({
      kind: 'delete',
      name,
      applicationId: current.spec.compassMetadata?.applicationId ?? '',
      secrets: secretNamesOf(current).map(inNamespace),
    });
  }
  return { operations, duplicates };
}
