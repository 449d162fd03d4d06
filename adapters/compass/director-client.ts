// The Compass Director for a runtime (reference §5, §6): one synchronization fetch that follows every
// page of applications, bundles, API and event definitions and either returns the complete
// RuntimeConfiguration or fails; and setRuntimeLabel. Requests go over mutual TLS with the `Tenant` header.
import { CompassError } from './compass-error.js';
import { answersOf, type DirectorPageMemory, type PageLink } from './director-page-memory.js';
import { collectPages, IncompleteListError, readPage, type DirectorPage } from './director-paging.js';
import { DiscardedBeforeSending, MAX_IN_FLIGHT, PagePrefetch, RequestLimit } from './director-prefetch.js';
import {
  API_DEFINITIONS_PAGE_QUERY,
  APPLICATIONS_PAGE_QUERY,
  BUNDLES_PAGE_QUERY,
  EVENT_DEFINITIONS_PAGE_QUERY,
  RUNTIME_CONFIGURATION_QUERY,
  SET_RUNTIME_LABEL_MUTATION,
} from './director-queries.js';
import {
  asObject,
  MalformedDirectorDataError,
  optionalString,
  readApiDefinition,
  readAuth,
  readEventDefinition,
  readLabels,
  presentString,
  requiredString,
} from './director-response.js';
import type { DirectorApplication, DirectorBundle, Labels, RuntimeConfiguration, UnchangedConfiguration } from './director-types.js';
import { GraphQLTransport, type ClientCertificate, type DigestedAnswer, type GraphQLTransportOptions } from './graphql-transport.js';
import { isRecord } from '../unknown-values.js';

/** Applications per page: the Director's own default since 2021 (no upper bound for this query). */
export const DEFAULT_PAGE_SIZE = 200;
/** Nested lists (bundles, API and event definitions) were capped at 100 per page in 2020. */
export const NESTED_PAGE_SIZE_LIMIT = 100;

export interface DirectorClientOptions extends Omit<GraphQLTransportOptions, 'headers' | 'clientCertificate'> {
  /** External tenant id (configuration Secret `TENANT`), sent as the `Tenant` header. */
  tenant: string;
  clientCertificate: ClientCertificate;
  /** `first` for every list; default 100. */
  pageSize?: number;
  /** Requests of one fetch in flight at most; default 4 (MAX_IN_FLIGHT). */
  maxInFlight?: number;
  /** Request application pages ahead along the page memory's cursor chain; default true. */
  prefetch?: boolean;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface FetchOptions extends CallOptions {
  /** Kept by the caller across fetches: the digests and cursor chain of the last complete fetch. */
  memory?: DirectorPageMemory;
}

export interface RuntimeLabel {
  key: string;
  value: unknown;
}

type Json = Record<string, unknown>;

export class DirectorClient {
  private readonly transport: GraphQLTransport;
  private readonly pageSize: number;
  private readonly maxInFlight: number;
  private readonly prefetch: boolean;

  constructor(options: DirectorClientOptions) {
    const { tenant, pageSize, maxInFlight, prefetch, ...transport } = options;
    if (typeof tenant !== 'string' || tenant.trim() === '') {
      throw new TypeError('The Director client needs the tenant id; put TENANT into the agent configuration Secret.');
    }
    this.pageSize = pageSize ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(this.pageSize) || this.pageSize < 1)
      throw new RangeError(`Director page size ${this.pageSize} must be a positive integer.`);
    this.maxInFlight = maxInFlight ?? MAX_IN_FLIGHT;
    if (!Number.isInteger(this.maxInFlight) || this.maxInFlight < 1)
      throw new RangeError(`Director requests in flight ${this.maxInFlight} must be a positive integer.`);
    this.prefetch = prefetch ?? true;
    this.transport = new GraphQLTransport({ ...transport, headers: { Tenant: tenant } });
  }

  get endpoint(): string {
    return this.transport.endpoint;
  }

  /**
   * The runtime's labels and every application assigned to it, with all bundles, API and event
   * definitions. Throws CompassError on any failed, inconsistent or malformed page: never partial.
   */
  async fetchRuntimeConfiguration(runtimeId: string, options: FetchOptions = {}): Promise<RuntimeConfiguration> {
    const fetch = new ConfigurationFetch(this.transport, this.pageSize, runtimeId, options.signal, options.memory, {
      maxInFlight: this.maxInFlight,
      prefetch: this.prefetch,
    });
    try {
      return await fetch.run();
    } catch (error) {
      if (error instanceof IncompleteListError || error instanceof MalformedDirectorDataError) {
        throw new CompassError(
          `Director synchronization fetch for runtime ${runtimeId} at ${this.endpoint} is incomplete: ${error.message}. Nothing was applied, so no Application is deleted; the next synchronization retries.`,
          { kind: 'invalid-response', operation: 'applicationsForRuntime', endpoint: this.endpoint },
        );
      }
      if (error instanceof CompassError) throw error.withContext(`Director synchronization fetch for runtime ${runtimeId} failed`);
      throw error;
    }
  }

  /**
   * The pages of the last complete fetch requested again along its cursor chain (at most maxInFlight at
   * a time), none of them parsed: the runtime's labels and what the Director said when every answer is,
   * byte for byte, the one remembered for its position; undefined as soon as one is not (or when
   * the memory has nothing recognisable), and then the caller fetches and reads everything.
   */
  async fetchUnchanged(
    runtimeId: string,
    options: FetchOptions & { memory: DirectorPageMemory },
  ): Promise<UnchangedConfiguration | undefined> {
    const sizes = pageSizes(this.pageSize);
    const last = options.memory.recognisable(chainKeyOf(this.transport.url, runtimeId, sizes));
    if (!last) return undefined;
    const limit = new RequestLimit(this.maxInFlight);
    this.transport.knownAnswers = new Set(last.digests.filter((digest) => digest !== undefined));
    let changed = false;
    try {
      const answers = last.links.map((link, position) =>
        limit.run(async () => {
          if (changed) return false;
          const answer = await requestApplicationsPage(this.transport, runtimeId, sizes, link.after, options.signal);
          // A page that differs ends the recognition: requests not yet sent are not sent.
          const same = answer.known !== undefined && answer.known === last.digests[position];
          if (!same) changed = true;
          return same;
        }),
      );
      const outcomes = await Promise.allSettled(answers);
      if (changed) return undefined;
      const failure = outcomes.find((outcome) => outcome.status === 'rejected');
      if (failure) throw failure.reason;
      return { unchanged: true, runtimeLabels: last.runtimeLabels, answers: last.answers, pages: { read: 0, reused: last.links.length } };
    } catch (error) {
      if (error instanceof CompassError) throw error.withContext(`Director synchronization fetch for runtime ${runtimeId} failed`);
      throw error;
    } finally {
      this.transport.knownAnswers = new Set();
    }
  }

  /** Upserts one runtime label (reference §6); the error names the key and the value we tried to set. */
  async setRuntimeLabel(runtimeId: string, key: string, value: unknown, options: CallOptions = {}): Promise<RuntimeLabel> {
    const context = `Failed to set the runtime label ${key}=${JSON.stringify(value)} on runtime ${runtimeId}`;
    let data: { setRuntimeLabel?: unknown };
    try {
      data = await this.transport.request(
        SET_RUNTIME_LABEL_MUTATION,
        { runtimeId, key, value },
        { operation: 'setRuntimeLabel', signal: options.signal },
      );
    } catch (error) {
      if (error instanceof CompassError) throw error.withContext(context);
      throw error;
    }
    const label = data.setRuntimeLabel;
    if (!isRecord(label) || label.key !== key) {
      throw new CompassError(`${context}: the Director answered without the label. Retry; check the Director if it persists.`, {
        kind: 'invalid-response',
        operation: 'setRuntimeLabel',
        endpoint: this.endpoint,
      });
    }
    return { key, value: label.value };
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}

/** An application page's answer: its data and the digest of its text. */
type PageAnswer = { data: Json; digest: string | undefined };

/** `first` of the application pages and of the nested lists (capped at NESTED_PAGE_SIZE_LIMIT). */
interface PageSizes {
  pageSize: number;
  nestedPageSize: number;
}

const pageSizes = (pageSize: number): PageSizes => ({ pageSize, nestedPageSize: Math.min(pageSize, NESTED_PAGE_SIZE_LIMIT) });

/** Identifies a cursor chain: another endpoint, runtime or page size has another one. */
function chainKeyOf(url: string, runtimeId: string, sizes: PageSizes): string {
  return JSON.stringify([url, runtimeId, sizes.pageSize, sizes.nestedPageSize]);
}

/** One application page: the first (with the runtime's labels) when `after` is null, else the page after that cursor. */
function requestApplicationsPage(
  transport: GraphQLTransport,
  runtimeId: string,
  sizes: PageSizes,
  after: string | null,
  signal: AbortSignal | undefined,
): Promise<DigestedAnswer<Json>> {
  const variables = { runtimeId, first: sizes.pageSize, after, nestedFirst: sizes.nestedPageSize };
  return after === null
    ? transport.requestWithDigest<Json>(RUNTIME_CONFIGURATION_QUERY, variables, {
        operation: 'runtime, applicationsForRuntime',
        signal,
        resendable: true,
      })
    : transport.requestWithDigest<Json>(APPLICATIONS_PAGE_QUERY, variables, {
        operation: 'applicationsForRuntime',
        signal,
        resendable: true,
      });
}

/** One synchronization fetch; holds the per-fetch parameters so the page helpers stay small. */
class ConfigurationFetch {
  private readonly nestedPageSize: number;
  private readonly what: string;
  /** Application pages requested so far (the position of the next one). */
  private requested = 0;
  /** What the page memory gets after this fetch completes: each page's digest, by position (undefined: not whole). */
  private readonly digests: (string | undefined)[] = [];
  /** The cursor chain of this fetch, by position: the next fetch requests pages ahead along it. */
  private readonly links: PageLink[] = [];
  /** Applications whose bundles or definitions took further requests: their page is not remembered. */
  private readonly continued = new Set<string>();
  private runtimeLabels: Labels = {};
  /** Every request of this fetch goes through it: at most maxInFlight at a time. */
  private readonly limit: RequestLimit;
  /** Application pages requested ahead, when the page memory knows the chain of the last complete fetch. */
  private readonly prefetch: PagePrefetch<PageAnswer> | undefined;
  /** Identifies the chain: another endpoint, runtime or page size has another one. */
  private readonly chainKey: string;

  constructor(
    private readonly transport: GraphQLTransport,
    private readonly pageSize: number,
    private readonly runtimeId: string,
    private readonly signal: AbortSignal | undefined,
    private readonly memory: DirectorPageMemory | undefined,
    options: { maxInFlight: number; prefetch: boolean },
  ) {
    this.nestedPageSize = pageSizes(pageSize).nestedPageSize;
    this.what = `applications of runtime ${runtimeId}`;
    this.limit = new RequestLimit(options.maxInFlight);
    this.chainKey = chainKeyOf(transport.url, runtimeId, pageSizes(pageSize));
    const chain = options.prefetch && options.maxInFlight > 1 ? memory?.chain(this.chainKey) : undefined;
    this.prefetch =
      chain && chain.length > 1
        ? new PagePrefetch(chain, options.maxInFlight, (after, wanted) =>
            this.limit.run(() => (wanted() ? this.requestApplicationsPage(after) : Promise.reject(new DiscardedBeforeSending()))),
          )
        : undefined;
  }

  async run(): Promise<RuntimeConfiguration> {
    try {
      // Each page is read as it arrives: 10,000 applications of raw JSON are tens of MB never held at once.
      const firstPage = this.applicationsPage(null);
      this.prefetch?.fill(0);
      const first = await firstPage;
      const applications = await collectPages(
        this.what,
        first,
        (after) => this.applicationsPage(after),
        (raw) => this.application(raw),
        (page, items) => this.pageRead(page, items),
      );
      await this.prefetch?.settled();
      this.memory?.replace({ key: this.chainKey, links: this.links, digests: this.digests, runtimeLabels: this.runtimeLabels });
      const prefetch = this.prefetch ? { prefetch: { used: this.prefetch.used, discarded: this.prefetch.discarded } } : {};
      const answers = answersOf(this.digests);
      return {
        runtimeLabels: this.runtimeLabels,
        applications,
        ...(answers !== undefined ? { answers } : {}),
        pages: { read: this.requested, reused: 0 },
        ...prefetch,
      };
    } finally {
      // A failed fetch leaves no request running behind it either.
      await this.prefetch?.settled();
    }
  }

  /**
   * The first page (with the runtime's labels) when `after` is null, otherwise the page after that
   * cursor: the answer requested ahead for this position with this cursor, if there is one.
   */
  private async applicationsPage(after: string | null): Promise<DirectorPage> {
    const position = this.requested++;
    const ahead = after === null ? undefined : this.prefetch?.take(position, after);
    const answer = await (ahead ?? this.limit.run(() => this.requestApplicationsPage(after)));
    const page = this.applicationsPageFrom(after, answer);
    this.prefetch?.check(position, page);
    this.links[position] = {
      after,
      startCursor: page.pageInfo.startCursor,
      endCursor: page.pageInfo.endCursor,
      hasNextPage: page.pageInfo.hasNextPage,
      totalCount: page.totalCount,
    };
    return page;
  }

  /** Sends the request for one application page. */
  private async requestApplicationsPage(after: string | null): Promise<PageAnswer> {
    const answer = await requestApplicationsPage(this.transport, this.runtimeId, pageSizes(this.pageSize), after, this.signal);
    if (answer.known !== undefined) throw new Error(`the Director answer ${answer.known} was taken as known while reading every page`);
    return { data: answer.data, digest: answer.digest };
  }

  /** The page of an answer the fetch uses at `position`. */
  private applicationsPageFrom(after: string | null, answer: PageAnswer): DirectorPage {
    const { data, digest } = answer;
    if (after === null) {
      if (data.runtime === null || data.runtime === undefined) {
        throw new IncompleteListError(
          `runtime ${this.runtimeId} is unknown to the Director in this tenant (runtime is null); check RUNTIME_ID and TENANT`,
        );
      }
      this.runtimeLabels = readLabels(asObject(data.runtime, 'runtime').labels, 'runtime labels') ?? {};
      if (data.applicationsForRuntime === null || data.applicationsForRuntime === undefined) {
        throw new IncompleteListError('applicationsForRuntime is null');
      }
    }
    return { ...readPage(data.applicationsForRuntime, this.what), digest };
  }

  /** Notes the digest of a completely read application page for the page memory, if its answer alone held it. */
  private pageRead(page: DirectorPage, applications: DirectorApplication[]): void {
    const whole = page.digest !== undefined && applications.every((app) => !this.continued.has(app.id));
    this.digests.push(whole ? page.digest : undefined);
  }

  private async application(raw: unknown): Promise<DirectorApplication> {
    const app = asObject(raw, 'an application');
    const id = requiredString(app, 'id', 'an application');
    const where = `application ${id}`;
    const rawAuths = app.auths ?? [];
    if (!Array.isArray(rawAuths)) throw new MalformedDirectorDataError(`${where}: auths is not a list`);
    const auths = rawAuths.map((auth: unknown) => ({ id: requiredString(asObject(auth, `${where} auth`), 'id', `${where} auth`) }));
    const what = `bundles of application ${id}`;
    // A null page means the application has no bundles (nullable in the schema), not a partial answer.
    const firstBundles = app.bundles === null || app.bundles === undefined ? undefined : readPage(app.bundles, what);
    const bundles: DirectorBundle[] =
      firstBundles === undefined
        ? []
        : await collectPages(
            what,
            firstBundles,
            (after) => this.bundlesPage(id, after),
            (raw) => this.bundle(id, raw),
          );
    if (firstBundles !== undefined && (firstBundles.pageInfo.hasNextPage || !firstBundles.data.every(definitionsComplete)))
      this.continued.add(id);
    return {
      id,
      // May be empty or invalid: the conversion checks it and fails this application alone, not the fetch.
      name: presentString(app, 'name', where),
      description: optionalString(app, 'description', where),
      auths,
      bundles,
    };
  }

  private async bundlesPage(applicationId: string, after: string): Promise<DirectorPage> {
    const data = await this.request(
      BUNDLES_PAGE_QUERY,
      { applicationId, first: this.nestedPageSize, after, nestedFirst: this.nestedPageSize },
      'application.bundles',
    );
    return readPage(this.applicationOf(data, applicationId).bundles, `bundles of application ${applicationId}`);
  }

  private async bundle(applicationId: string, raw: unknown): Promise<DirectorBundle> {
    const where = `a bundle of application ${applicationId}`;
    const bundle = asObject(raw, where);
    const id = presentString(bundle, 'id', where); // checked by the conversion, like the application name
    const at = `bundle ${id} of application ${applicationId}`;
    const schema = bundle.instanceAuthRequestInputSchema;
    const apiWhat = `API definitions of ${at}`;
    const eventWhat = `event definitions of ${at}`;
    const apiDefinitions =
      bundle.apiDefinitions === null || bundle.apiDefinitions === undefined
        ? []
        : await collectPages(
            apiWhat,
            readPage(bundle.apiDefinitions, apiWhat),
            (after) => this.definitionsPage('apiDefinitions', applicationId, id, after),
            (raw) => readApiDefinition(raw, `API definition of ${at}`),
          );
    const eventDefinitions =
      bundle.eventDefinitions === null || bundle.eventDefinitions === undefined
        ? []
        : await collectPages(
            eventWhat,
            readPage(bundle.eventDefinitions, eventWhat),
            (after) => this.definitionsPage('eventDefinitions', applicationId, id, after),
            (raw) => readEventDefinition(raw, `event definition of ${at}`),
          );
    return {
      id,
      name: requiredString(bundle, 'name', at),
      description: optionalString(bundle, 'description', at),
      // JSONSchema scalar: JSON text; an object some servers send is kept as its JSON text.
      instanceAuthRequestInputSchema:
        schema === undefined || schema === null ? null : typeof schema === 'string' ? schema : JSON.stringify(schema),
      apiDefinitions,
      eventDefinitions,
      defaultInstanceAuth: readAuth(bundle.defaultInstanceAuth, at),
    };
  }

  private async definitionsPage(
    list: 'apiDefinitions' | 'eventDefinitions',
    applicationId: string,
    bundleId: string,
    after: string,
  ): Promise<DirectorPage> {
    const document = list === 'apiDefinitions' ? API_DEFINITIONS_PAGE_QUERY : EVENT_DEFINITIONS_PAGE_QUERY;
    const data = await this.request(document, { applicationId, bundleId, first: this.nestedPageSize, after }, `application.bundle.${list}`);
    const bundle = this.applicationOf(data, applicationId).bundle;
    if (bundle === null || bundle === undefined)
      throw new IncompleteListError(`bundle ${bundleId} of application ${applicationId} disappeared while paging`);
    const what = `${list === 'apiDefinitions' ? 'API' : 'event'} definitions of bundle ${bundleId} of application ${applicationId}`;
    return readPage(asObject(bundle, `bundle ${bundleId}`)[list], what);
  }

  private applicationOf(data: Json, applicationId: string): Json {
    if (data.application === null || data.application === undefined) {
      throw new IncompleteListError(`application ${applicationId} disappeared while paging (or is no longer assigned to this runtime)`);
    }
    return asObject(data.application, `application ${applicationId}`);
  }

  private request(document: string, variables: Record<string, unknown>, operation: string): Promise<Json> {
    return this.limit.run(() => this.transport.request<Json>(document, variables, { operation, signal: this.signal, resendable: true }));
  }
}

/** Whether a (validated) raw bundle's API and event definitions all came on their first page. */
function definitionsComplete(rawBundle: unknown): boolean {
  const hasNextPage = (page: unknown) => isRecord(page) && isRecord(page.pageInfo) && page.pageInfo.hasNextPage === true;
  return !isRecord(rawBundle) || (!hasNextPage(rawBundle.apiDefinitions) && !hasNextPage(rawBundle.eventDefinitions));
}
