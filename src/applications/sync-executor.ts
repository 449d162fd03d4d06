// Carries out a sync plan through the ports: one task per application, a bounded number at a time;
// a failing application is recorded and the others go on. Secrets are replaced or deleted only when
// they are the agent's for that Application (secret-ownership.ts), and never when they are the agent's
// own configuration, certificate or CA Secrets (protected-secrets.ts).

import { redactText } from '../../adapters/redaction.js';
import { goEraSecretLabels } from './adoption.js';
import { idText, quoted } from './application-validation.js';
import { ownerReferenceTo, type ApplicationObject, type SecretObject } from './application-resource.js';
import { isAlreadyExists, type SyncPorts } from './ports.js';
import { protectedSecretAt, type ProtectedSecret } from './protected-secrets.js';
import { secretContentDigest, type SecretContentRecord } from './secret-content-record.js';
import { notOwnedBecause } from './secret-ownership.js';
import type { DesiredSecretRef } from './planned-application.js';
import type { PlannedOperation, RejectedApplication, SecretRef, SyncPlan, UnchangedOperation } from './sync-plan.js';
import { summarizeSync, type SyncFailure, type SyncOperationName, type SyncReport } from './sync-report.js';

export const DEFAULT_SYNC_CONCURRENCY = 16;

export interface ExecutorOptions {
  /** Must outlive a single cycle: it is what lets an unchanged cycle skip every Secret request. */
  secretContent: SecretContentRecord;
  /** Applications processed at the same time (default 16). */
  concurrency?: number;
  /** Secrets never written or deleted for an Application, whatever their name is derived from. */
  protectedSecrets?: readonly ProtectedSecret[];
}

/** An error whose message names the step that failed; its cause stays out of reports. */
class StepError extends Error {}

/** A Secret the agent left alone because it is not its own: the Application's other Secrets still go ahead. */
class RefusedSecret extends StepError {}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A port's error text: PEM blocks and token-like runs removed (our own wording is left readable). */
function causeOf(error: unknown): string {
  return redactText(messageOf(error));
}

function withOwner(secret: SecretObject, app: ApplicationObject): SecretObject {
  return { ...secret, metadata: { ...secret.metadata, ownerReferences: [ownerReferenceTo(app)] } };
}

function decoded(value: string): string {
  return Buffer.from(value, 'base64').toString('utf8');
}

/** Same data keys and bytes, the agent's labels present, owned by the same Application. */
function holdsDesiredContent(existing: SecretObject, desired: SecretObject): boolean {
  const have = existing.data ?? {};
  const want = desired.data ?? {};
  const keys = Object.keys(want);
  if (Object.keys(have).length !== keys.length) return false;
  if (!keys.every((key) => have[key] !== undefined && decoded(have[key]) === decoded(want[key]))) return false;
  const labels = existing.metadata.labels ?? {};
  if (!Object.entries(desired.metadata.labels ?? {}).every(([key, value]) => labels[key] === value)) return false;
  const owners = new Set((existing.metadata.ownerReferences ?? []).map((owner) => owner.uid));
  return (desired.metadata.ownerReferences ?? []).every((owner) => owners.has(owner.uid));
}

/** Every credential value the operation carries, to scrub from error messages. */
function secretValuesOf(secrets: SecretObject[]): string[] {
  const values = new Set<string>();
  const add = (value: unknown): void => {
    if (typeof value === 'string' && value.length >= 4) values.add(value);
    else if (Array.isArray(value)) value.forEach(add);
    else if (value && typeof value === 'object') Object.values(value).forEach(add);
  };
  for (const secret of secrets) {
    for (const encoded of Object.values(secret.data ?? {})) {
      const text = decoded(encoded);
      add(encoded);
      add(text);
      try {
        add(JSON.parse(text));
      } catch {
        // not JSON: a plain credential, added above
      }
    }
  }
  return [...values].sort((a, b) => b.length - a.length);
}

function scrub(message: string, values: string[]): string {
  let text = message;
  for (const value of values) text = text.split(value).join('[REDACTED]');
  return text;
}

/** Consumes `items`: a slot is cleared when taken, so what a finished task held can be collected. */
async function runBounded<T>(items: Array<T | undefined>, limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next]!;
      items[next++] = undefined;
      await task(item);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
}

/** Carries out `plan`, consuming its operations (the list is empty afterwards). */
export async function executeSyncPlan(plan: SyncPlan, ports: SyncPorts, options: ExecutorOptions): Promise<SyncReport> {
  const record = options.secretContent;
  const counts = { created: 0, updated: 0, deleted: 0, unchanged: 0 };
  const failed: SyncFailure[] = [];
  const goEra = { adopted: [] as string[], deleted: [] as string[] };

  async function step<T>(description: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw new StepError(`${description} failed: ${causeOf(error)}`);
    }
  }

  /** The protected Secret at `ref`: never requested, let alone written or deleted. */
  function guarded(namespace: string, name: string): ProtectedSecret | undefined {
    return protectedSecretAt(options.protectedSecrets, namespace, name);
  }

  /**
   * Why `existing` is not `owner`'s Secret with `labels`; undefined when it is. The Secrets of an
   * Application being adopted (`goEraOwner`) may also carry the labels of the Go agent's API-package
   * era (adoption.ts); the owner reference to that Application's name and uid is required either way.
   */
  function notOwnedSecret(
    existing: SecretObject,
    owner: ApplicationObject,
    labels: Record<string, string> | undefined,
    goEraOwner: boolean,
  ): string | undefined {
    const why = notOwnedBecause(existing, owner, labels);
    if (why === undefined || !goEraOwner) return why;
    const legacy = goEraSecretLabels(labels);
    return legacy && notOwnedBecause(existing, owner, legacy) === undefined ? undefined : why;
  }

  /**
   * `secret` as converted (no owner yet); `owner` is the stored Application. `applicationIsNew`: it
   * was just created, so its Secrets are most likely missing. `goEraOwner`: `owner` is being adopted.
   */
  async function ensureSecret(
    secret: SecretObject,
    owner: ApplicationObject,
    applicationIsNew: boolean,
    goEraOwner = false,
  ): Promise<void> {
    const { namespace, name } = secret.metadata;
    const where = `Secret ${namespace}/${name} of Application ${owner.metadata.name}`;
    const own = guarded(namespace, name);
    if (own) {
      throw new RefusedSecret(
        `${where} was not written: it is ${own.role}, which the agent never writes for an Application; rename the application or the bundle in Compass`,
      );
    }
    const digest = secretContentDigest(secret);
    const ownerUid = owner.metadata.uid ?? '';
    if (record.isCurrent(namespace, name, digest, ownerUid)) return;
    const owned = withOwner(secret, owner);
    record.forget(namespace, name);
    if (applicationIsNew) {
      // Create first and read only if one exists after all: half the requests of a first sync.
      try {
        await ports.secrets.create(owned);
        record.remember(namespace, name, digest, ownerUid);
        return;
      } catch (error) {
        if (!isAlreadyExists(error)) throw new StepError(`creating ${where} failed: ${causeOf(error)}`);
      }
    }
    const existing = await step(`reading ${where}`, () => ports.secrets.get(namespace, name));
    if (existing === null) {
      await step(`creating ${where}`, () => ports.secrets.create(owned));
    } else {
      const foreign = notOwnedSecret(existing, owner, secret.metadata.labels, goEraOwner);
      if (foreign) {
        throw new RefusedSecret(
          `${where} was not written: a Secret of that name exists and is not the agent's (${foreign}); the agent replaces only Secrets it created for the Application. Rename or delete that Secret, or rename the application or the bundle in Compass`,
        );
      }
      if (!holdsDesiredContent(existing, owned)) {
        const replacement: SecretObject = {
          ...owned,
          metadata: {
            ...owned.metadata,
            labels: { ...existing.metadata.labels, ...owned.metadata.labels },
            ...(existing.metadata.annotations ? { annotations: existing.metadata.annotations } : {}),
            ...(existing.metadata.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
          },
        };
        await step(`replacing ${where}`, () => ports.secrets.replace(replacement));
      }
    }
    record.remember(namespace, name, digest, ownerUid);
  }

  /**
   * Deletes the Secret if it is `owner`'s (conditional on the version whose ownership was checked).
   * One that is not is left alone: why goes to `skipped`, which the operation reports.
   */
  async function deleteSecret(ref: SecretRef, owner: ApplicationObject, skipped: string[]): Promise<void> {
    const where = `Secret ${ref.namespace}/${ref.name} of Application ${owner.metadata.name}`;
    record.forget(ref.namespace, ref.name);
    const own = guarded(ref.namespace, ref.name);
    if (own) {
      skipped.push(`${where} was not deleted: it is ${own.role}`);
      return;
    }
    const existing = await step(`reading ${where}`, () => ports.secrets.get(ref.namespace, ref.name));
    if (existing === null) return;
    const foreign = notOwnedBecause(existing, owner);
    if (foreign) {
      skipped.push(`${where} was not deleted: it is not the agent's (${foreign})`);
      return;
    }
    const preconditions =
      existing.metadata.uid && existing.metadata.resourceVersion
        ? { uid: existing.metadata.uid, resourceVersion: existing.metadata.resourceVersion }
        : undefined;
    await step(`deleting ${where}`, () => ports.secrets.delete(ref.namespace, ref.name, preconditions));
  }

  /**
   * Every Secret in turn; the first failure stops, except a refusal (a Secret that is not the agent's),
   * which goes to `refused` and lets the others go ahead.
   */
  async function ensureSecrets(
    secrets: SecretObject[],
    app: ApplicationObject,
    refused: string[],
    applicationIsNew = false,
    goEraOwner = false,
  ): Promise<void> {
    for (const secret of secrets) {
      try {
        await ensureSecret(secret, app, applicationIsNew, goEraOwner);
      } catch (error) {
        if (!(error instanceof RefusedSecret)) throw error;
        refused.push(error.message);
      }
    }
  }

  /** What was left alone, as the operation's failure (what was done is said first). */
  function leftAlone(done: string, notes: string[]): void {
    if (notes.length > 0) throw new StepError(`${done}${notes.join('; ')}`);
  }

  /** `loaded` receives the desired Secrets once they are built, for scrubbing an error message. */
  async function perform(operation: PlannedOperation, loaded: { secrets: SecretObject[] }): Promise<void> {
    switch (operation.kind) {
      case 'conflict':
        throw new StepError(operation.message);
      case 'create': {
        const desired = operation.load();
        loaded.secrets = desired.secrets;
        let stored: ApplicationObject;
        try {
          stored = await ports.applications.create(desired.application);
        } catch (error) {
          if (isAlreadyExists(error)) {
            throw new StepError(
              `Application ${operation.name} already exists and is not managed by the runtime agent; rename or delete it to let the agent create it`,
            );
          }
          throw new StepError(`creating Application ${operation.name} failed: ${causeOf(error)}`);
        }
        const refused: string[] = [];
        await ensureSecrets(desired.secrets, stored, refused, true);
        leftAlone(`Application ${operation.name} was created; `, refused);
        counts.created++;
        return;
      }
      case 'update': {
        loaded.secrets = operation.secrets;
        if (operation.adopting) {
          // The Go agent's Application: its Secrets first, while it still carries no label, then the
          // Application with the label. Should a Secret step fail, the Application stays as the Go agent
          // left it and is adopted again next cycle, with the Go agent's Secrets still recognised. A
          // Secret that is not the agent's at all is reported and does not hold the adoption back.
          const skipped: string[] = [];
          for (const ref of operation.obsoleteSecrets) await deleteSecret(ref, operation.current, skipped);
          await ensureSecrets(operation.secrets, operation.current, skipped, false, true);
          await step(`adopting Application ${operation.name} (created by the Go agent)`, () =>
            ports.applications.update(operation.application),
          );
          goEra.adopted.push(operation.name);
          leftAlone(`Application ${operation.name} (created by the Go agent) was adopted; `, skipped);
          counts.updated++;
          return;
        }
        const stored = await step(`updating Application ${operation.name}`, () => ports.applications.update(operation.application));
        const skipped: string[] = [];
        for (const ref of operation.obsoleteSecrets) await deleteSecret(ref, operation.current, skipped);
        await ensureSecrets(operation.secrets, stored, skipped);
        leftAlone(`Application ${operation.name} was updated; `, skipped);
        counts.updated++;
        return;
      }
      case 'unchanged': {
        const stale = new Set(staleSecrets(operation).map((ref) => ref.name));
        if (stale.size > 0) {
          loaded.secrets = operation.load().secrets;
          const refused: string[] = [];
          await ensureSecrets(
            loaded.secrets.filter((secret) => stale.has(secret.metadata.name)),
            operation.current,
            refused,
          );
          leftAlone('', refused);
        }
        counts.unchanged++;
        return;
      }
      case 'delete': {
        // Secrets first: if one cannot be deleted the Application stays, so the next cycle retries.
        // One that is not the agent's is left alone and does not keep the Application.
        const skipped: string[] = [];
        for (const ref of operation.secrets) await deleteSecret(ref, operation.current, skipped);
        await step(`deleting Application ${operation.name}`, () => ports.applications.delete(operation.name));
        if (operation.goEra) goEra.deleted.push(operation.name);
        leftAlone(`Application ${operation.name} was deleted; `, skipped);
        counts.deleted++;
        return;
      }
    }
  }

  /** The desired Secrets of an unchanged Application that the cluster is not known to hold. */
  function staleSecrets(operation: UnchangedOperation): DesiredSecretRef[] {
    const ownerUid = operation.current.metadata.uid ?? '';
    return operation.secrets.filter((ref) => !record.isCurrent(ref.namespace, ref.name, ref.digest, ownerUid));
  }

  // An unchanged Application whose Secrets are all known to be current needs no request: counted here,
  // without a task (in a cycle where nothing changed, that is every application).
  const remaining: PlannedOperation[] = [];
  for (const operation of plan.operations) {
    if (operation.kind === 'unchanged' && staleSecrets(operation).length === 0) counts.unchanged++;
    else remaining.push(operation);
  }
  plan.operations.length = 0;

  const operationName = (operation: PlannedOperation): SyncOperationName =>
    operation.kind === 'conflict' || operation.kind === 'create' ? 'create' : operation.kind === 'delete' ? 'delete' : 'update';

  await runBounded(remaining, options.concurrency ?? DEFAULT_SYNC_CONCURRENCY, async (operation) => {
    const loaded = { secrets: [] as SecretObject[] };
    try {
      await perform(operation, loaded);
    } catch (error) {
      const secrets = loaded.secrets;
      failed.push({
        name: operation.name,
        applicationId: operation.applicationId,
        operation: operationName(operation),
        message: scrub(messageOf(error), secretValuesOf(secrets)),
      });
    }
  });

  for (const rejected of plan.rejected) failed.push(rejectionOf(rejected));
  failed.sort((a, b) => a.name.localeCompare(b.name) || a.applicationId.localeCompare(b.applicationId));
  return {
    ...counts,
    failed,
    goEra: { adopted: goEra.adopted.sort(), deleted: goEra.deleted.sort() },
    skippedDuplicates: plan.duplicates.map((duplicate) => duplicate.name).sort(),
    message: summarizeSync(counts, failed, plan.duplicates),
  };
}

/** A malformed application as a failure: named by its Compass id, since its name may be what is wrong. */
function rejectionOf(rejected: RejectedApplication): SyncFailure {
  return {
    name: rejected.name,
    applicationId: rejected.applicationId,
    operation: 'validate',
    message: `Compass application ${idText(rejected.applicationId)} named ${quoted(rejected.directorName)} is not applied: ${rejected.problems.join('; ')}; its existing Application, if any, is kept`,
  };
}
