// What the synchronisation remembers between cycles so that an application that did not change costs
// almost nothing: the summary of its conversion (planned-application.ts), keyed by a digest of the
// Director input, for the current conversion settings. Only digests and names are kept, never the
// Director objects nor the converted ones: the full objects are built again when an operation needs
// them. A miss only costs time: the outcome is the same with or without the memory.
//
// It also remembers the last apply that found nothing to do: given the very same Director answers
// again (RuntimeConfiguration.answers, which DirectorClient.fetchUnchanged recognises without
// parsing a page), with the same settings, an Application cache and a Secret record that have not
// changed since, the plan and its execution would come to the same again, so neither runs (a quiet
// cycle at 10,000 applications).

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

/** Nothing created, updated, deleted, adopted, failed or skipped. */
function isQuiet(report: SyncReport): boolean {
  return (
    report.created === 0 &&
    report.updated === 0 &&
    report.deleted === 0 &&
    report.failed.length === 0 &&
    report.skippedDuplicates.length === 0 &&
    report.goEra.adopted.length === 0 &&
    report.goEra.deleted.length === 0 &&
    report.message === null
  );
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
  /** The last apply, if it found nothing to do: what it was given. */
  #quiet: { answers: string; settings: string; versions: ClusterVersions; unchanged: number } | undefined;

  /**
   * The report of the last apply again, if it found nothing to do and everything it depended on is
   * the same: the same Director answers (`answers`, undefined: never quiet), the same settings, and
   * the Application cache and the Secret record unchanged since (`versions`, taken before it planned).
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

  /** After an apply planned with `versions`: remembered if it found nothing to do, forgotten otherwise. */
  noteApplied(
    answers: string | undefined,
    normalize: boolean,
    options: ConversionOptions,
    versions: ClusterVersions,
    report: SyncReport,
  ): void {
    this.#quiet =
      isQuiet(report) && versions.cache !== undefined && answers !== undefined
        ? { answers, settings: settingsOf(normalize, options), versions, unchanged: report.unchanged }
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
