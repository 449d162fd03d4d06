// Carries out a sync plan through the ports: one task per application, a bounded number at a time;
// a failing application is recorded and the others go on.

import { redactText } from '../../adapters/redaction.js';
import { ownerReferenceTo, type ApplicationObject, type SecretObject } from './application-resource.js';
import { isAlreadyExists, type SyncPorts } from './ports.js';
import { secretContentDigest, type SecretContentRecord } from './secret-content-record.js';
import type { DesiredSecretRef } from './planned-application.js';
import type { PlannedOperation, SecretRef, SyncPlan, UnchangedOperation } from './sync-plan.js';
import { summarizeSync, type SyncFailure, type SyncOperationName, type SyncReport } from './sync-report.js';

export const DEFAULT_SYNC_CONCURRENCY = 16;

export interface ExecutorOptions {
  /** Must outlive a single cycle: it is what lets an unchanged cycle skip every Secret request. */
  secretContent: SecretContentRecord;
  /** Applications processed at the same time (default 16). */
  concurrency?: number;
}

/** An error whose message names the step that failed; its cause stays out of reports. */
class StepError extends Error {}

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
  if (!keys.every((key) => have[key] !== undefined && decoded(have[key]!) === decoded(want[key]!))) return false;
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

  async function step<T>(description: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      throw new StepError(`${description} failed: ${causeOf(error)}`);
    }
  }

  /**
   * `secret` as converted (no owner yet); `owner` is the stored Application. `applicationIsNew`: it
   * was just created, so its Secrets are most likely missing.
   */
  async function ensureSecret(secret: SecretObject, owner: ApplicationObject, applicationIsNew: boolean): Promise<void> {
    const { namespace, name } = secret.metadata;
    const digest = secretContentDigest(secret);
    const ownerUid = owner.metadata.uid ?? '';
    if (record.isCurrent(namespace, name, digest, ownerUid)) return;
    const owned = withOwner(secret, owner);
    const where = `Secret ${namespace}/${name} of Application ${owner.metadata.name}`;
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
    } else if (!holdsDesiredContent(existing, owned)) {
      const replacement: SecretObject = {
        ...owned,
        metadata: {
          ...owned.metadata,
          labels: { ...existing.metadata.labels, ...owned.metadata.labels },
          ...(existing.metadata.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
        },
      };
      await step(`replacing ${where}`, () => ports.secrets.replace(replacement));
    }
    record.remember(namespace, name, digest, ownerUid);
  }

  async function deleteSecret(ref: SecretRef, appName: string): Promise<void> {
    record.forget(ref.namespace, ref.name);
    await step(`deleting Secret ${ref.namespace}/${ref.name} of Application ${appName}`, () =>
      ports.secrets.delete(ref.namespace, ref.name),
    );
  }

  async function ensureSecrets(secrets: SecretObject[], app: ApplicationObject, applicationIsNew = false): Promise<void> {
    for (const secret of secrets) await ensureSecret(secret, app, applicationIsNew);
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
        await ensureSecrets(desired.secrets, stored, true);
        counts.created++;
        return;
      }
      case 'update': {
        loaded.secrets = operation.secrets;
        const stored = await step(`updating Application ${operation.name}`, () =>
          ports.applications.update(operation.application),
        );
        for (const ref of operation.obsoleteSecrets) await deleteSecret(ref, operation.name);
        await ensureSecrets(operation.secrets, stored);
        counts.updated++;
        return;
      }
      case 'unchanged': {
        const stale = new Set(staleSecrets(operation).map((ref) => ref.name));
        if (stale.size > 0) {
          loaded.secrets = operation.load().secrets;
          await ensureSecrets(loaded.secrets.filter((secret) => stale.has(secret.metadata.name)), operation.current);
        }
        counts.unchanged++;
        return;
      }
      case 'delete':
        // Secrets first: if one cannot be deleted the Application stays, so the next cycle retries.
        for (const ref of operation.secrets) await deleteSecret(ref, operation.name);
        await step(`deleting Application ${operation.name}`, () => ports.applications.delete(operation.name));
        counts.deleted++;
        return;
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

  failed.sort((a, b) => a.name.localeCompare(b.name));
  return {
    ...counts,
    failed,
    skippedDuplicates: plan.duplicates.map((duplicate) => duplicate.name).sort(),
    message: summarizeSync(counts, failed, plan.duplicates),
  };
}
