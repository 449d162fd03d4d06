// The outcome of one application synchronisation and its one-line summary for the CR status.

import type { DuplicateName } from './sync-plan.js';

/** `validate`: the Director data of the application cannot be applied (application-validation.ts). */
export type SyncOperationName = 'create' | 'update' | 'delete' | 'validate';

export interface SyncFailure {
  /** Application CR name (for `validate`, the name it would have, which may be what is wrong). */
  name: string;
  /** Compass application id. */
  applicationId: string;
  operation: SyncOperationName;
  /** Free of credential values. */
  message: string;
}

export interface SyncReport {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  failed: SyncFailure[];
  /** Applications the Go agent had created (adoption.ts), by name: adopted (updated, labelled) and deleted in this cycle; also in the counts. */
  goEra: { adopted: string[]; deleted: string[] };
  /** CR names shared by several Director applications after normalisation: none of them was applied. */
  skippedDuplicates: string[];
  /** One line for `status.synchronizationStatus.error`; null when every application was applied. */
  message: string | null;
}

const LISTED_PROBLEMS = 5;

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/**
 * `"<n> of <m> applications failed: <name> (<operation>: <message>); …"`, or null if nothing failed; a
 * malformed application is listed by its Compass id (the message says so).
 */
export function summarizeSync(
  counts: Pick<SyncReport, 'created' | 'updated' | 'deleted' | 'unchanged'>,
  failed: SyncFailure[],
  duplicates: DuplicateName[],
): string | null {
  const duplicateApps = duplicates.reduce((sum, duplicate) => sum + duplicate.applicationIds.length, 0);
  const failedApps = failed.length + duplicateApps;
  if (failedApps === 0) return null;
  const total = counts.created + counts.updated + counts.deleted + counts.unchanged + failedApps;
  const problems = [
    ...failed.map((failure) =>
      failure.operation === 'validate' ? oneLine(failure.message) : `${failure.name} (${failure.operation}: ${oneLine(failure.message)})`,
    ),
    ...duplicates.map(
      (duplicate) =>
        `${duplicate.name} (skipped: Compass applications ${duplicate.applicationIds.join(', ')} have the same name after normalisation; rename all but one in Compass)`,
    ),
  ];
  const listed = problems.slice(0, LISTED_PROBLEMS).join('; ');
  const more = problems.length > LISTED_PROBLEMS ? `; and ${problems.length - LISTED_PROBLEMS} more` : '';
  return `${failedApps} of ${total} applications failed: ${listed}${more}`;
}
