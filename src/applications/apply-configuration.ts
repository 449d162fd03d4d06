// The entry points the synchronize effect calls after a complete, successful Director fetch.

import type { Labels, RuntimeConfiguration } from '../../adapters/compass/director-types.js';
import { convertApplication, type ConversionOptions, type DesiredApplication } from './converter.js';
import { applicationName, shouldNormalizeNames } from './normalizer.js';
import type { SyncPorts } from './ports.js';
import type { SecretContentRecord } from './secret-content-record.js';
import { executeSyncPlan, type ExecutorOptions } from './sync-executor.js';
import { planSync } from './sync-plan.js';
import { SyncMemory } from './sync-memory.js';
import type { SyncReport } from './sync-report.js';

export type ApplyOptions = ConversionOptions &
  ExecutorOptions & {
    /** What earlier cycles converted and compared; default: one kept with `secretContent`, which outlives cycles too. */
    memory?: SyncMemory;
  };

/** Director applications → desired Applications, names normalised unless the runtime says they already are. */
export function desiredApplications(config: RuntimeConfiguration, options: ConversionOptions): DesiredApplication[] {
  const normalize = shouldNormalizeNames(config.runtimeLabels);
  return config.applications.map((app) => convertApplication(app, applicationName(app.name, normalize), options));
}

const memories = new WeakMap<SecretContentRecord, SyncMemory>();

function memoryOf(options: ApplyOptions): SyncMemory {
  if (options.memory) return options.memory;
  let memory = memories.get(options.secretContent);
  if (!memory) memories.set(options.secretContent, (memory = new SyncMemory()));
  return memory;
}

/**
 * Makes the compass-managed Applications (and their Secrets) match `config`. Must only be called with
 * a complete fetch: every managed Application absent from `config` is deleted.
 */
export async function applyConfiguration(config: RuntimeConfiguration, ports: SyncPorts, options: ApplyOptions): Promise<SyncReport> {
  const planned = memoryOf(options).planAll(config.applications, shouldNormalizeNames(config.runtimeLabels), options);
  const existing = await ports.applications.listManaged();
  return executeSyncPlan(planSync(planned, existing, options.integrationNamespace), ports, options);
}

export const EVENT_SERVICE_URL_LABEL = 'runtime_eventServiceUrl';
export const CONSOLE_URL_LABEL = 'runtime_consoleUrl';

export interface RuntimeUrls {
  /** APP_RUNTIME_EVENTS_URL */
  eventServiceUrl?: string;
  /** APP_RUNTIME_CONSOLE_URL */
  consoleUrl?: string;
}

/** The runtime labels to set: only those missing or holding another value; unconfigured URLs are skipped. */
export function labelsToSet(runtimeLabels: Labels | null | undefined, urls: RuntimeUrls): { key: string; value: string }[] {
  const wanted: [string, string | undefined][] = [
    [EVENT_SERVICE_URL_LABEL, urls.eventServiceUrl],
    [CONSOLE_URL_LABEL, urls.consoleUrl],
  ];
  const result: { key: string; value: string }[] = [];
  for (const [key, value] of wanted) {
    if (value === undefined) continue;
    if (runtimeLabels?.[key] !== value) result.push({ key, value });
  }
  return result;
}
