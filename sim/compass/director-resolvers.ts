// The Director's resolvers for a runtime consumer (compass-api.md §2): applicationsForRuntime with
// scenario matching and offset paging, nested pages, runtime(id), application(id), setRuntimeLabel.
// Field resolvers per type over the store's records; the caller's identity travels in the context.
import type { CompassStore } from './compass-store.js';
import type { ApiDefinitionRecord, ApplicationRecord, BundleRecord, EventDefinitionRecord, Labels, RuntimeRecord } from './model.js';
import { DirectorError, formatDirectorMessage, invalidData } from './director-errors.js';
import { noPageFaults, paginate, type PageFaults } from './paging.js';
import { pageFaultKinds } from './faults.js';
import { sharesScenario } from './application-index.js';
import type { Resolvers } from './graphql-execution.js';

export interface DirectorContext {
  store: CompassStore;
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

const compareIds = (x: { id: string }, y: { id: string }) => (x.id < y.id ? -1 : x.id > y.id ? 1 : 0);

/** The items in id order: the list itself when it already is, otherwise a sorted copy. */
function byId<T extends { id: string }>(items: readonly T[]): readonly T[] {
  for (let i = 1; i < items.length; i++) if (compareIds(items[i - 1], items[i]) > 0) return [...items].sort(compareIds);
  return items;
}

function selectLabels(labels: Labels, key: string | null | undefined): Labels {
  if (key === undefined || key === null) return labels;
  return key in labels ? { [key]: labels[key] } : {};
}

/** Consumes the page faults armed for one produced page of `name`. */
function pageFaults(store: CompassStore, name: string, after: string | null | undefined): PageFaults {
  const taken = store.faults.take([name], pageFaultKinds, 'director', after);
  if (taken.length === 0) return noPageFaults;
  return {
    truncate: taken.some((fault) => fault.kind === 'truncated-page'),
    totalCountDelta: taken.filter((fault) => fault.kind === 'wrong-total-count').reduce((sum, fault) => sum + (fault.delta ?? 1), 0),
  };
}

function inTenant<T extends { tenant: string }>(context: DirectorContext, record: T | undefined): T | undefined {
  return record && record.tenant === context.tenant ? record : undefined;
}

function definitionsPage<T extends { id: string; group?: string | null }>(
  items: readonly T[],
  { group, first, after }: PageArgs,
  context: DirectorContext,
  name: string,
) {
  const sorted = byId(items);
  const selected = group === undefined || group === null ? sorted : sorted.filter((item) => item.group === group);
  return paginate(selected, { first, after, cap: context.store.options.pageSize }, pageFaults(context.store, name, after));
}

function defaultEventingUrl(store: CompassStore, app: ApplicationRecord): string {
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
}

const systemAuth = (type: 'APPLICATION' | 'RUNTIME', id: string, context: DirectorContext, referenceObjectId: string) => ({
  id,
  type,
  tenantId: context.internalTenant,
  referenceObjectId,
});

export const directorResolvers: Resolvers<DirectorContext> = {
  Query: {
    applicationsForRuntime: (_root, { runtimeID, first, after }: { runtimeID: string } & PageArgs, context) => {
      // Upstream fails to parse a non-UUID id deep inside the repository: a masked internal error.
      if (!uuidPattern.test(runtimeID)) throw new Error(`runtime id ${runtimeID} is not a UUID`);
      const runtime = inTenant(context, context.store.runtimes.get(runtimeID));
      if (!runtime) throw invalidData('runtime does not exist');
      const apps = context.store.runtimeApplications.visibleTo(runtime);
      return paginate(
        apps,
        { first, after, cap: context.store.options.pageSize },
        pageFaults(context.store, 'applicationsForRuntime', after),
      );
    },
    application: (_root, { id }: { id: string }, context) => {
      const app = inTenant(context, context.store.applications.get(id));
      const consumer = context.store.runtimes.get(context.consumerRuntimeId);
      return app && consumer && sharesScenario(consumer.labels, app.labels) ? app : null;
    },
    runtime: (_root, { id }: { id: string }, context) => inTenant(context, context.store.runtimes.get(id)) ?? null,
  },
  Mutation: {
    setRuntimeLabel: (_root, { runtimeID, key, value }: { runtimeID: string; key: string; value: unknown }, context) => {
      const reason =
        key === ''
          ? 'cannot be blank'
          : key.length > 256
            ? 'the length must be no more than 256'
            : !labelKeyPattern.test(key)
              ? 'must be in a valid format'
              : undefined;
      if (reason) throw new DirectorError('InvalidData', formatDirectorMessage('Invalid data LabelInput', { key: reason }));
      if (key === 'scenarios') throw invalidData('label with key scenarios cannot be set explicitly');
      const runtime = inTenant(context, context.store.runtimes.get(runtimeID));
      if (!runtime) throw new Error(`Runtime with ID ${runtimeID} doesn't exist`);
      runtime.labels = { ...runtime.labels, [key]: value };
      return { key, value };
    },
  },
  Application: {
    labels: (app: ApplicationRecord, { key }: { key?: string | null }) => selectLabels(app.labels, key),
    auths: (app: ApplicationRecord, _args, context) => app.auths.map((auth) => systemAuth('APPLICATION', auth.id, context, app.id)),
    bundles: (app: ApplicationRecord, { first, after }: PageArgs, context) =>
      paginate(byId(app.bundles), { first, after, cap: context.store.options.pageSize }, pageFaults(context.store, 'bundles', after)),
    bundle: (app: ApplicationRecord, { id }: { id: string }) => app.bundles.find((item) => item.id === id) ?? null,
    eventingConfiguration: (app: ApplicationRecord, _args, context) => ({ defaultURL: defaultEventingUrl(context.store, app) }),
  },
  Bundle: {
    apiDefinitions: (bundle: BundleRecord, args: PageArgs, context) =>
      definitionsPage(bundle.apiDefinitions, args, context, 'apiDefinitions'),
    eventDefinitions: (bundle: BundleRecord, args: PageArgs, context) =>
      definitionsPage(bundle.eventDefinitions, args, context, 'eventDefinitions'),
    apiDefinition: (bundle: BundleRecord, { id }: { id: string }) => bundle.apiDefinitions.find((item) => item.id === id) ?? null,
    eventDefinition: (bundle: BundleRecord, { id }: { id: string }) => bundle.eventDefinitions.find((item) => item.id === id) ?? null,
  },
  APIDefinition: {
    spec: (api: ApiDefinitionRecord) => (api.spec ? { id: `${api.id}-spec`, ...api.spec } : null),
  },
  EventDefinition: {
    spec: (event: EventDefinitionRecord) => (event.spec ? { id: `${event.id}-spec`, ...event.spec } : null),
  },
  Runtime: {
    labels: (runtime: RuntimeRecord, { key }: { key?: string | null }) => selectLabels(runtime.labels, key),
    metadata: (runtime: RuntimeRecord) => ({ creationTimestamp: runtime.creationTimestamp }),
    auths: (runtime: RuntimeRecord, _args, context) =>
      [...context.store.systemAuths.values()]
        .filter((auth) => auth.runtimeId === runtime.id)
        .map((auth) => systemAuth('RUNTIME', auth.id, context, runtime.id)),
    eventingConfiguration: (runtime: RuntimeRecord) => ({
      defaultURL: typeof runtime.labels.runtime_eventServiceUrl === 'string' ? runtime.labels.runtime_eventServiceUrl : '',
    }),
  },
};
