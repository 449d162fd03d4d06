// What the synchronisation remembers between cycles so that an application that did not change costs
// almost nothing: the summary of its conversion (planned-application.ts), keyed by a digest of the
// Director input, for the current conversion settings. Only digests and names are kept, never the
// Director objects nor the converted ones: the full objects are built again when an operation needs
// them. A miss only costs time: the outcome is the same with or without the memory.
//
// It also remembers the last apply that left the cluster as the Director data asks: given the very
// same Director answers again (RuntimeConfiguration.answers, which DirectorClient.fetchUnchanged
// recognises without parsing a page), with the same settings, an Application cache and a Secret record
// that have not changed since, the plan would find nothing to do, so neither it nor the execution runs
// (a quiet cycle at 10,000 applications). Such an apply is one that failed nowhere and during which
// the cache and the record changed by its own writes alone (ports.ts, ownCacheChanges;
// SecretContentRecord.externalChanges): what it planned from, plus what it wrote, is what the cluster
// holds after it. So the cycle after the one that created 10,000 Applications is quiet already,
// instead of planning all of them again to find that nothing is left to do.

import { hash } from 'node:crypto';
import type { DirectorApplication } from '../../adapters/compass/director-types.js';
import { buildApplication, convertApplication, type ConversionOptions, type DesiredApplication } from './converter.js';
import { applicationName } from './normalizer.js';
import { planned, summarizeDesired, type DesiredSummary, type PlannedApplication } from './planned-application.js';
import type { SyncReport } from './sync-report.js';

/** What a quiet apply depends on besides the Director data: the Application cache's and the Secret record's versions. */
export interface ClusterVersions {
  /** ApplicationPort.cacheVersion; undefined: unknown, never quiet. */
  cache: number | undefined;
  /** SecretContentRecord.version. */
  record: number;
  /** ApplicationPort.ownCacheChanges; undefined: unknown (then only an apply during which the cache did not change is quiet). */
  ownCache?: number;
  /** SecretContentRecord.externalChanges. */
  recordExternal: number;
}

/** The cache and the record at the start and at the end of an apply. */
export interface AppliedVersions {
  before: ClusterVersions;
  after: ClusterVersions;
}

/** Between `before` and `after`, the cache and the record changed by the apply's own writes alone. */
function changedByOwnWritesAlone({ before, after }: AppliedVersions): boolean {
  if (before.cache === undefined || after.cache === undefined) return false;
  if (after.recordExternal !== before.recordExternal) return false;
  if (after.cache === before.cache) return true;
  if (before.ownCache === undefined || after.ownCache === undefined) return false;
  return after.cache - before.cache === after.ownCache - before.ownCache;
}

function settingsOf(normalize: boolean, options: ConversionOptions): string {
  return JSON.stringify([
    normalize,
    options.centralGatewayUrl,
    options.skipAppsTlsVerify,
    options.integrationNamespace,
    options.protectedSecrets ?? [],
  ]);
}

/** Every application applied: nothing failed, nothing skipped. */
function isComplete(report: SyncReport): boolean {
  return report.failed.length === 0 && report.skippedDuplicates.length === 0 && report.message === null;
}

/**
 * Outside the class so that the closure holds only its Director application, not this cycle's maps.
 * Loaded objects skip the checks: only an application whose summary has no problems is ever loaded.
 */
function loader(app: DirectorApplication, normalize: boolean, options: ConversionOptions): () => DesiredApplication {
  return () => buildApplication(app, applicationName(app.name, normalize), options);
}

/** The memory key of an application's content: a digest of everything the conversion reads. */
function contentKey(app: DirectorApplication): string {
  return hash('sha256', JSON.stringify(app), 'base64');
}

export class SyncMemory {
  /** The conversion settings the memory holds results for; other settings start it afresh. */
  #settings: string | undefined;
  /** Summaries by content key; replaced every cycle, so it holds only current applications. */
  #summaries = new Map<string, DesiredSummary>();
  /** The last apply, if it left the cluster as asked and nothing else changed it meanwhile: what it was given, the versions after it. */
  #quiet: { answers: string; settings: string; versions: ClusterVersions; unchanged: number } | undefined;

  /**
   * The report a plan would give now, without planning, if the last apply left the cluster as asked
   * and everything it depended on is the same: the same Director answers (`answers`, undefined: never
   * quiet), the same settings, and the Application cache and the Secret record unchanged since it
   * ended. Every application then counts as unchanged.
   */
  quietReport(
    answers: string | undefined,
    normalize: boolean,
    options: ConversionOptions,
    versions: ClusterVersions,
  ): SyncReport | undefined {
    const quiet = this.#quiet;
    if (!quiet || answers === undefined || answers !== quiet.answers || !this.quietPossible(versions)) return undefined;
    if (settingsOf(normalize, options) !== quiet.settings) return undefined;
    return {
      created: 0,
      updated: 0,
      deleted: 0,
      unchanged: quiet.unchanged,
      failed: [],
      goEra: { adopted: [], deleted: [] },
      skippedDuplicates: [],
      message: null,
    };
  }

  /** Whether quietReport could give a report with these versions, whatever the answers and settings. */
  quietPossible(versions: ClusterVersions): boolean {
    const quiet = this.#quiet;
    return (
      quiet !== undefined &&
      versions.cache !== undefined &&
      versions.cache === quiet.versions.cache &&
      versions.record === quiet.versions.record
    );
  }

  /**
   * After an apply: remembered, with the versions after it, if every application was applied and
   * nothing but the apply's own writes changed the cache or the record meanwhile; forgotten otherwise.
   */
  noteApplied(
    answers: string | undefined,
    normalize: boolean,
    options: ConversionOptions,
    versions: AppliedVersions,
    report: SyncReport,
  ): void {
    this.#quiet =
      answers !== undefined && isComplete(report) && changedByOwnWritesAlone(versions)
        ? {
            answers,
            settings: settingsOf(normalize, options),
            versions: versions.after,
            unchanged: report.created + report.updated + report.unchanged,
          }
        : undefined;
  }

  /**
   * Director applications → planned Applications, converting only those whose input changed since
   * the last call. Each planned application keeps its Director application (to build the full objects
   * on demand), nothing else of this cycle.
   */
  planAll(applications: DirectorApplication[], normalize: boolean, options: ConversionOptions): PlannedApplication[] {
    const settings = settingsOf(normalize, options);
    if (settings !== this.#settings) {
      this.#settings = settings;
      this.#summaries = new Map();
    }
    const previous = this.#summaries;
    const next = new Map<string, DesiredSummary>();
    const result = applications.map((app): PlannedApplication => {
      const load = loader(app, normalize, options);
      const key = contentKey(app);
      const summary =
        next.get(key) ?? previous.get(key) ?? summarizeDesired(convertApplication(app, applicationName(app.name, normalize), options));
      next.set(key, summary);
      return planned(summary, load);
    });
    this.#summaries = next;
    return result;
  }

  get size(): number {
    return this.#summaries.size;
  }
}
