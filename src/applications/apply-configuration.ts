// The entry points the synchronize effect calls after a complete, successful Director fetch.

import type { Labels, RuntimeConfiguration, UnchangedConfiguration } from '../../adapters/compass/director-types.js';
import type { ApplicationObject } from './application-resource.js';
import { convertApplication, type ConversionOptions, type DesiredApplication } from './converter.js';
import { applicationName, shouldNormalizeNames } from './normalizer.js';
import type { SyncPorts } from './ports.js';
import type { SecretContentRecord } from './secret-content-record.js';
import { executeSyncPlan, type ExecutorOptions } from './sync-executor.js';
import { planSync, type SyncPlan } from './sync-plan.js';
import { SyncMemory, type ClusterVersions } from './sync-memory.js';
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
 * a complete fetch: every managed Application absent from `config` is deleted, and so is every one the
 * Go agent left without a label (adoption.ts); those present are adopted.
 *
 * Consumes `config.applications` (config lists none afterwards, as executeSyncPlan empties its plan;
 * the list itself is not changed): when nothing else holds the list, as for a fetch, each Director
 * application is then held only by the operation that writes it and released when that operation
 * ends, so that an initial sync of 10,000 applications does not hold every Director object until the
 * last Application is written.
 */
export async function applyConfiguration(config: RuntimeConfiguration, ports: SyncPorts, options: ApplyOptions): Promise<SyncReport> {
  const memory = memoryOf(options);
  const normalize = shouldNormalizeNames(config.runtimeLabels);
  // Taken before anything is read: a change from here on that the apply's own writes did not make
  // makes the next cycle plan again.
  const before = clusterVersions(ports, options);
  const quiet = memory.quietReport(config.answers, normalize, options, before);
  if (quiet) return quiet;
  const existing = await ports.applications.listManaged();
  const report = await executeSyncPlan(takePlan(config, memory, existing, normalize, options), ports, options);
  memory.noteApplied(config.answers, normalize, options, { before, after: clusterVersions(ports, options) }, report);
  return report;
}

/** The plan, taking the applications out of `config`; synchronous, so that no frame of it outlives the call. */
function takePlan(
  config: RuntimeConfiguration,
  memory: SyncMemory,
  existing: ApplicationObject[],
  normalize: boolean,
  options: ApplyOptions,
): SyncPlan {
  const { applications } = config;
  config.applications = [];
  return planSync(memory.planAll(applications, normalize, options), existing, options.integrationNamespace);
}

/**
 * The report of a plan that finds nothing to do, without planning, when the Director said exactly what
 * it said at the last apply (`unchanged`, DirectorClient.fetchUnchanged), that apply left the cluster as
 * asked and nothing in the cluster or the settings changed since (sync-memory.ts); undefined otherwise,
 * and then the caller fetches the applications and applies them.
 */
export function unchangedReport(unchanged: UnchangedConfiguration, ports: SyncPorts, options: ApplyOptions): SyncReport | undefined {
  const normalize = shouldNormalizeNames(unchanged.runtimeLabels);
  return memoryOf(options).quietReport(unchanged.answers, normalize, options, clusterVersions(ports, options));
}

/** Whether unchangedReport could answer at all: the last apply left the cluster as asked and nothing in it changed since. */
export function quietPossible(ports: SyncPorts, options: ApplyOptions): boolean {
  return memoryOf(options).quietPossible(clusterVersions(ports, options));
}

function clusterVersions(ports: SyncPorts, options: ApplyOptions): ClusterVersions {
  return {
    cache: ports.applications.cacheVersion?.(),
    record: options.secretContent.version,
    ownCache: ports.applications.ownCacheChanges?.(),
    recordExternal: options.secretContent.externalChanges,
  };
}

export const EVENT_SERVICE_URL_LABEL = 'runtime_eventServiceUrl';
export const CONSOLE_URL_LABEL = 'runtime_consoleUrl';

export interface RuntimeUrls {
  /** APP_RUNTIME_EVENTS_URL */
  eventServiceUrl?: string;
  /** APP_RUNTIME_CONSOLE_URL */
  consoleUrl?: string;
}

/**
 * Why labels are left as the Director has them: the URLs that are not configured (unset, or still the
 * deploy/ placeholder for the cluster domain), for the CR status and the log; null when both are set.
 */
export function runtimeLabelsLeftNote(urls: RuntimeUrls): string | null {
  const left = [
    ...(urls.eventServiceUrl === undefined ? [[EVENT_SERVICE_URL_LABEL, 'APP_RUNTIME_EVENTS_URL']] : []),
    ...(urls.consoleUrl === undefined ? [[CONSOLE_URL_LABEL, 'APP_RUNTIME_CONSOLE_URL']] : []),
  ];
  if (left.length === 0) return null;
  const labels = left.map(([label]) => label).join(' and ');
  const variables = left.map(([, variable]) => variable).join(' and ');
  return `the Runtime label${left.length > 1 ? 's' : ''} ${labels} ${left.length > 1 ? 'are' : 'is'} left as ${left.length > 1 ? 'they are' : 'it is'} in the Director: ${variables} ${left.length > 1 ? 'are' : 'is'} not configured (unset, or the deploy/ placeholder CLUSTER_DOMAIN); set the cluster domain in deploy/kustomization.yaml`;
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
