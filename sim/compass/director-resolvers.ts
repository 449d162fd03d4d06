// The Director's resolvers for a runtime consumer (compass-api.md §2): applicationsForRuntime with
// scenario matching and offset paging, nested pages, runtime(id), application(id), setRuntimeLabel.
import type { CompassStore } from './compass-store.js';
import type { ApiDefinitionRecord, ApplicationRecord, BundleRecord, EventDefinitionRecord, Labels, RuntimeRecord } from './model.js';
import { DirectorError, formatDirectorMessage, invalidData } from './director-errors.js';
import { paginate, type PageFaults } from './paging.js';
import { pageFaultKinds } from './faults.js';

export interface DirectorContext {
  /** External tenant of the caller's system auth. */
  tenant: string;
  internalTenant: string;
  /** The runtime the calling certificate belongs to. */
  consumerRuntimeId: string;
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const labelKeyPattern = /^[a-zA-Z0-9_]*$/;

interface PageArgs {
  first?: number | null;
  after?: string | null;
  group?: string | null;
}

function scenariosOf(labels: Labels): string[] {
  const value = labels.scenarios;
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
}

function sharesScenario(a: Labels, b: Labels): boolean {
  const mine = new Set(scenariosOf(a));
  return scenariosOf(b).some((scenario) => mine.has(scenario));
}

function byId<T extends { id: string }>(items: readonly T[]): T[] {
  return [...items].sort((x, y) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0));
}

function labelsView(labels: Labels) {
  return ({ key }: { key?: string | null }) => {
    if (key === undefined || key === null) return labels;
    return key in labels ? { [key]: labels[key] } : {};
  };
}

export function directorRoot(store: CompassStore, context: DirectorContext): Record<string, unknown> {
  const cap = store.options.pageSize;
  const pageFaults = (name: string): PageFaults => {
    const taken = store.faults.take([name], pageFaultKinds);
    return {
      truncate: taken.some((fault) => fault.kind === 'truncated-page'),
      totalCountDelta: taken.filter((fault) => fault.kind === 'wrong-total-count').reduce((sum, fault) => sum + (fault.delta ?? 1), 0),
    };
  };
  const inTenant = <T extends { tenant: string }>(record: T | undefined): T | undefined => (record && record.tenant === context.tenant ? record : undefined);

  const apiView = (api: ApiDefinitionRecord) => ({ ...api, spec: api.spec ? { id: `${api.id}-spec`, ...api.spec } : null });
  const eventView = (event: EventDefinitionRecord) => ({ ...event, spec: event.spec ? { id: `${event.id}-spec`, ...event.spec } : null });

  const bundleView = (bundle: BundleRecord) => ({
    id: bundle.id,
    name: bundle.name,
    description: bundle.description ?? null,
    instanceAuthRequestInputSchema: bundle.instanceAuthRequestInputSchema ?? null,
    defaultInstanceAuth: bundle.defaultInstanceAuth ?? null,
    apiDefinitions: ({ group, first, after }: PageArgs) => {
      const items = byId(bundle.apiDefinitions).filter((api) => group === undefined || group === null || api.group === group);
      const page = paginate(items, { first, after, cap }, pageFaults('apiDefinitions'));
      return { ...page, data: page.data.map(apiView) };
    },
    eventDefinitions: ({ group, first, after }: PageArgs) => {
      const items = byId(bundle.eventDefinitions).filter((event) => group === undefined || group === null || event.group === group);
      const page = paginate(items, { first, after, cap }, pageFaults('eventDefinitions'));
      return { ...page, data: page.data.map(eventView) };
    },
    apiDefinition: ({ id }: { id: string }) => {
      const api = bundle.apiDefinitions.find((item) => item.id === id);
      return api ? apiView(api) : null;
    },
    eventDefinition: ({ id }: { id: string }) => {
      const event = bundle.eventDefinitions.find((item) => item.id === id);
      return event ? eventView(event) : null;
    },
  });

  const defaultEventingUrl = (app: ApplicationRecord): string => {
    const runtimes = [...store.runtimes.values()]
      .filter((runtime) => runtime.tenant === app.tenant && sharesScenario(runtime.labels, app.labels))
      .sort((a, b) => a.creationTimestamp.localeCompare(b.creationTimestamp));
    const base = runtimes[0]?.labels.runtime_eventServiceUrl;
    if (typeof base !== 'string') return '';
    try {
      const url = new URL(base);
      url.pathname = `/${app.name}/v1/events`;
      return url.toString();
    } catch {
      return '';
    }
  };

  const applicationView = (app: ApplicationRecord) => ({
    id: app.id,
    name: app.name,
    providerName: app.providerName ?? null,
    description: app.description ?? null,
    integrationSystemID: app.integrationSystemID ?? null,
    healthCheckURL: app.healthCheckURL ?? null,
    status: app.status,
    labels: labelsView(app.labels),
    auths: app.auths.map((auth) => ({ id: auth.id, type: 'APPLICATION', tenantId: context.internalTenant, referenceObjectId: app.id })),
    bundles: ({ first, after }: PageArgs) => {
      const page = paginate(byId(app.bundles), { first, after, cap }, pageFaults('bundles'));
      return { ...page, data: page.data.map(bundleView) };
    },
    bundle: ({ id }: { id: string }) => {
      const bundle = app.bundles.find((item) => item.id === id);
      return bundle ? bundleView(bundle) : null;
    },
    eventingConfiguration: () => ({ defaultURL: defaultEventingUrl(app) }),
  });

  const runtimeView = (runtime: RuntimeRecord) => ({
    id: runtime.id,
    name: runtime.name,
    description: runtime.description ?? null,
    labels: labelsView(runtime.labels),
    status: runtime.status,
    metadata: { creationTimestamp: runtime.creationTimestamp },
    auths: [...store.systemAuths.values()]
      .filter((auth) => auth.runtimeId === runtime.id)
      .map((auth) => ({ id: auth.id, type: 'RUNTIME', tenantId: context.internalTenant, referenceObjectId: runtime.id })),
    eventingConfiguration: { defaultURL: typeof runtime.labels.runtime_eventServiceUrl === 'string' ? runtime.labels.runtime_eventServiceUrl : '' },
  });

  return {
    applicationsForRuntime: ({ runtimeID, first, after }: { runtimeID: string } & PageArgs) => {
      // Upstream fails to parse a non-UUID id deep inside the repository: a masked internal error.
      if (!uuidPattern.test(runtimeID)) throw new Error(`runtime id ${runtimeID} is not a UUID`);
      const runtime = inTenant(store.runtimes.get(runtimeID));
      if (!runtime) throw invalidData('runtime does not exist');
      const apps = scenariosOf(runtime.labels).length === 0
        ? []
        : store.applicationsById().filter((app) => app.tenant === context.tenant && sharesScenario(runtime.labels, app.labels));
      const page = paginate(apps, { first, after, cap }, pageFaults('applicationsForRuntime'));
      return { ...page, data: page.data.map(applicationView) };
    },
    application: ({ id }: { id: string }) => {
      const app = inTenant(store.applications.get(id));
      const consumer = store.runtimes.get(context.consumerRuntimeId);
      if (!app || !consumer || !sharesScenario(consumer.labels, app.labels)) return null;
      return applicationView(app);
    },
    runtime: ({ id }: { id: string }) => {
      const runtime = inTenant(store.runtimes.get(id));
      return runtime ? runtimeView(runtime) : null;
    },
    setRuntimeLabel: ({ runtimeID, key, value }: { runtimeID: string; key: string; value: unknown }) => {
      const reason = key === '' ? 'cannot be blank' : key.length > 256 ? 'the length must be no more than 256' : !labelKeyPattern.test(key) ? 'must be in a valid format' : undefined;
      if (reason) throw new DirectorError('InvalidData', formatDirectorMessage('Invalid data LabelInput', { key: reason }));
      if (key === 'scenarios') throw invalidData('label with key scenarios cannot be set explicitly');
      const runtime = inTenant(store.runtimes.get(runtimeID));
      if (!runtime) throw new Error(`Runtime with ID ${runtimeID} doesn't exist`);
      runtime.labels = { ...runtime.labels, [key]: value };
      return { key, value };
    },
  };
}
