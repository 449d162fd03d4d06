// What the synchronisation remembers between cycles so that an application that did not change costs
// almost nothing: the summary of its conversion (planned-application.ts), keyed by a digest of the
// Director input and the conversion settings. Only digests and names are kept, never the converted
// objects: the full objects are built again when an operation needs them. A miss only costs time:
// the outcome is the same with or without the memory.

import { hash } from 'node:crypto';
import type { DirectorApplication } from '../../adapters/compass/director-types.js';
import { convertApplication, type ConversionOptions, type DesiredApplication } from './converter.js';
import { applicationName } from './normalizer.js';
import { summarizeDesired, type DesiredSummary, type PlannedApplication } from './planned-application.js';

/** Outside the class so that the closure holds only its Director application, not this cycle's maps. */
function loader(app: DirectorApplication, name: string, options: ConversionOptions): () => DesiredApplication {
  return () => convertApplication(app, name, options);
}

export class SyncMemory {
  /** Summaries by digest of (settings, Director application); replaced every cycle, so it holds only current applications. */
  #summaries = new Map<string, DesiredSummary>();

  /**
   * Director applications → planned Applications, converting only those whose input changed since
   * the last call. Each planned application keeps its Director application (to build the full objects
   * on demand), nothing else of this cycle.
   */
  planAll(applications: DirectorApplication[], normalize: boolean, options: ConversionOptions): PlannedApplication[] {
    const settings = JSON.stringify([normalize, options.centralGatewayUrl, options.skipAppsTlsVerify, options.integrationNamespace]);
    const previous = this.#summaries;
    const next = new Map<string, DesiredSummary>();
    const result = applications.map((app): PlannedApplication => {
      const load = loader(app, applicationName(app.name, normalize), options);
      const key = hash('sha256', `${settings}\n${JSON.stringify(app)}`, 'base64');
      const summary = next.get(key) ?? previous.get(key) ?? summarizeDesired(load());
      next.set(key, summary);
      return { ...summary, load };
    });
    this.#summaries = next;
    return result;
  }

  get size(): number {
    return this.#summaries.size;
  }
}
