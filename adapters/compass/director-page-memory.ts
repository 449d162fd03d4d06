// What the Director client remembers of its last complete fetch: the digest of each application
// page's answer (its exact text), the cursor chain (each page's cursors, hasNextPage and totalCount)
// and the runtime's labels from the first answer. Never the applications: 10,000 of them are tens of
// megabytes of heap that every garbage collection would walk between cycles.
//
// What it is for:
// - A quiet cycle: the pages are requested again along the chain, and when every answer has the
//   digest remembered for its position, the Director says exactly what it said last time
//   (DirectorClient.fetchUnchanged), which the synchronisation may take as "nothing to do" without
//   parsing a page. Only a fetch whose pages each held their applications whole can be recognised
//   so: an application whose bundles or definitions continued on further requests depends on more
//   than its page's text.
// - Requesting pages ahead when the chain is known (docs/decisions/0008-director-page-prefetch.md).

import { hash } from 'node:crypto';
import type { Labels } from './director-types.js';

/** One application page of a complete fetch as the cursor chain has it: requested with `after`, answered with the rest. */
export interface PageLink {
  /** The cursor the page was requested with; null for the first page. */
  after: string | null;
  startCursor: string | undefined;
  endCursor: string;
  hasNextPage: boolean;
  totalCount: number;
}

export interface RememberedFetch {
  /** Identifies the chain: the endpoint, runtime and page sizes it was read with. */
  key: string;
  links: readonly PageLink[];
  /** Digest of each page's answer, by position; undefined for a page that did not hold its applications whole. */
  digests: readonly (string | undefined)[];
  runtimeLabels: Labels;
}

export class DirectorPageMemory {
  #last: (RememberedFetch & { answers: string | undefined }) | undefined;

  /**
   * The cursor chain of the last complete fetch for `key` (the endpoint, runtime and page size it was
   * read with), or undefined: a chain of another key predicts nothing.
   */
  chain(key: string): readonly PageLink[] | undefined {
    return this.#last?.key === key ? this.#last.links : undefined;
  }

  /**
   * The last complete fetch for `key` when it can be recognised again: every page's digest known.
   * Its `answers` names the whole of what the Director said (see `answersOf`).
   */
  recognisable(key: string): (RememberedFetch & { answers: string }) | undefined {
    const last = this.#last;
    if (last?.key !== key || last.answers === undefined) return undefined;
    return { ...last, answers: last.answers };
  }

  /** After a complete fetch. */
  replace(fetch: RememberedFetch): void {
    this.#last = { ...fetch, answers: answersOf(fetch.digests) };
  }

  /** Pages remembered. */
  get size(): number {
    return this.#last?.digests.length ?? 0;
  }
}

/**
 * One digest for all the answers of a fetch, in order: equal for two fetches whose every page came
 * in the same bytes; undefined when a page did not hold its applications whole (its text alone does
 * not say what the fetch read).
 */
export function answersOf(digests: readonly (string | undefined)[]): string | undefined {
  if (digests.length === 0 || digests.some((digest) => digest === undefined)) return undefined;
  return hash('sha256', digests.join('\n'), 'base64');
}
