// What the synchronisation remembers between cycles so that an application that did not change costs
// almost nothing: the summary of its conversion (planned-application.ts), keyed by a digest of the
// Director input, for the current conversion settings. A Director application object seen before
// (the Director client hands out the same objects for an unchanged answer) is not even digested
// again. Only digests and names are kept, never the converted objects: the full objects are built
// again when an operation needs them. A miss only costs time: the outcome is the same with or
// without the memory.

import { hash } from 'node:crypto';
import type { DirectorApplication } from '../../adapters/compass/director-types.js';
import { buildApplication, convertApplication, type ConversionOptions, type DesiredApplication } from './converter.js';
import { applicationName } from './normalizer.js';
import { planned, summarizeDesired, type DesiredSummary, type PlannedApplication } from './planned-application.js';

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
  /** Content keys of Director application objects already digested (they are never modified). */
  #keys = new WeakMap<DirectorApplication, string>();

  /**
   * Director applications → planned Applications, converting only those whose input changed since
   * the last call. Each planned application keeps its Director application (to build the full objects
   * on demand), nothing else of this cycle.
   */
  planAll(applications: DirectorApplication[], normalize: boolean, options: ConversionOptions): PlannedApplication[] {
    const settings = JSON.stringify([normalize, options.centralGatewayUrl, options.skipAppsTlsVerify, options.integrationNamespace, options.protectedSecrets ?? []]);
    if (settings !== this.#settings) {
      this.#settings = settings;
      this.#summaries = new Map();
    }
    const previous = this.#summaries;
    const next = new Map<string, DesiredSummary>();
    const result = applications.map((app): PlannedApplication => {
      const load = loader(app, normalize, options);
      let key = this.#keys.get(app);
      if (key === undefined) this.#keys.set(app, (key = contentKey(app)));
      const summary = next.get(key) ?? previous.get(key) ?? summarizeDesired(convertApplication(app, applicationName(app.name, normalize), options));
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
