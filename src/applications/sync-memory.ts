// What the synchronisation remembers between cycles so that an application that did not change costs
// almost nothing: its conversion (keyed by a digest of the Director input and the conversion settings)
// and the verdict that the stored Application already holds what that conversion wants. Both are pure
// computations, so a miss only costs time: the outcome is the same with or without the memory.
//
// Remembered objects are shared by later cycles and must not be mutated (nothing in the sync does:
// the plan and the executor build new objects for whatever they change).

import { hash } from 'node:crypto';
import type { DirectorApplication } from '../../adapters/compass/director-types.js';
import type { ApplicationObject } from './application-resource.js';
import { convertApplication, type ConversionOptions, type DesiredApplication } from './converter.js';
import { normalizeApplicationName } from './normalizer.js';
import { ownedFieldsDiffer } from './sync-plan.js';

interface Verdict {
  desired: ApplicationObject;
  resourceVersion: unknown;
  differs: boolean;
}

export class SyncMemory {
  /** Desired state by digest of (settings, Director application); replaced every cycle, so it holds only current applications. */
  #conversions = new Map<string, DesiredApplication>();
  /** Keyed by the stored object as the Application cache hands it out: a changed object is a new object. */
  #verdicts = new WeakMap<ApplicationObject, Verdict>();

  /** Director applications → desired Applications, converting only those whose input changed since the last call. */
  convertAll(applications: DirectorApplication[], normalize: boolean, options: ConversionOptions): DesiredApplication[] {
    const settings = JSON.stringify([normalize, options.centralGatewayUrl, options.skipAppsTlsVerify, options.integrationNamespace]);
    const previous = this.#conversions;
    const next = new Map<string, DesiredApplication>();
    const result = applications.map((app) => {
      const key = hash('sha256', `${settings}\n${JSON.stringify(app)}`);
      let desired = next.get(key) ?? previous.get(key);
      if (!desired) desired = convertApplication(app, normalize ? normalizeApplicationName(app.name) : app.name, options);
      next.set(key, desired);
      return desired;
    });
    this.#conversions = next;
    return result;
  }

  /** `ownedFieldsDiffer`, answered from memory when both objects are the ones it was last asked about. */
  ownedFieldsDiffer(current: ApplicationObject, desired: ApplicationObject): boolean {
    const known = this.#verdicts.get(current);
    const resourceVersion = current.metadata.resourceVersion;
    if (known && known.desired === desired && known.resourceVersion === resourceVersion) return known.differs;
    const differs = ownedFieldsDiffer(current, desired);
    this.#verdicts.set(current, { desired, resourceVersion, differs });
    return differs;
  }

  get size(): number {
    return this.#conversions.size;
  }
}
