// What the Director client remembers of the application pages of its last complete fetch, by the
// digest of each answer's exact text: an answer with the same digest is the same answer, so its
// applications are taken as they were read then, without parsing or reading the text again. Being
// content-addressed, nothing in it can go stale; it only bounds what it holds (the pages of one
// fetch). Only pages read from their answer alone are kept: an application whose bundles or
// definitions continued on further requests depends on more than the page's text.
// It also keeps the cursor chain of that fetch (each page's cursors, hasNextPage and totalCount), from
// which the client requests pages ahead (docs/decisions/0008-director-page-prefetch.md).

import type { DirectorApplication, Labels } from './director-types.js';

export interface RememberedPage {
  /** Digest of the answer's text (GraphQLTransport.requestWithDigest). */
  digest: string;
  pageInfo: { startCursor?: string; endCursor: string; hasNextPage: boolean };
  totalCount: number;
  applications: DirectorApplication[];
  /** The runtime's labels, which the first answer also carries. */
  runtimeLabels?: Labels;
}

/** One application page of a complete fetch as the cursor chain has it: requested with `after`, answered with the rest. */
export interface PageLink {
  /** The cursor the page was requested with; null for the first page. */
  after: string | null;
  startCursor: string | undefined;
  endCursor: string;
  hasNextPage: boolean;
  totalCount: number;
}

export class DirectorPageMemory {
  /** The pages of the last complete fetch in their order; a page that came differently this time is dropped as it arrives. */
  #pages: (RememberedPage | undefined)[] = [];
  readonly #digests = new Set<string>();
  #chain: { key: string; links: readonly PageLink[] } | undefined;

  /** The digests of the remembered answers; live: it changes as pages are dropped or replaced. */
  get digests(): ReadonlySet<string> {
    return this.#digests;
  }

  recall(digest: string): RememberedPage | undefined {
    if (!this.#digests.has(digest)) return undefined;
    return this.#pages.find((page) => page?.digest === digest);
  }

  /**
   * Drops the page remembered at `position` (0-based) when this fetch got something else there: it
   * will hardly come again, and holding it would keep two copies of the applications during a
   * fetch that changed them.
   */
  release(position: number, digest: string | undefined): void {
    const page = this.#pages[position];
    if (page === undefined || page.digest === digest) return;
    this.#pages[position] = undefined;
    if (!this.#pages.some((other) => other?.digest === page.digest)) this.#digests.delete(page.digest);
  }

  /**
   * The cursor chain of the last complete fetch for `key` (the endpoint, runtime and page size it was
   * read with), or undefined: a chain of another key predicts nothing.
   */
  chain(key: string): readonly PageLink[] | undefined {
    return this.#chain?.key === key ? this.#chain.links : undefined;
  }

  /** After a complete fetch: its pages (undefined where a page was not read from its answer alone), and its cursor chain. */
  replace(pages: (RememberedPage | undefined)[], chain?: { key: string; links: readonly PageLink[] }): void {
    this.#pages = pages;
    this.#chain = chain;
    this.#digests.clear();
    for (const page of pages) if (page) this.#digests.add(page.digest);
  }

  get size(): number {
    return this.#digests.size;
  }
}
