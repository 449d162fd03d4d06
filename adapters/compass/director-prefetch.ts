// Requesting Director application pages ahead (docs/decisions/0008-director-page-prefetch.md). The
// cursor chain of the last complete fetch says with which cursor each page was requested; pages are
// requested with those cursors before the page before them has arrived, a bounded number at a time.
// A page requested ahead is used only when the fetch asks for that very position with that very
// cursor, and only while every page before it matched the chain (cursors, hasNextPage, totalCount):
// then it is the answer to the request a sequential reader would have sent. The first mismatch
// discards everything requested ahead, and the fetch reads on sequentially.
import type { PageLink } from './director-page-memory.js';

/** Requests of one fetch in flight to the Director at most (application pages ahead, nested pages). */
export const MAX_IN_FLIGHT = 4;

/** A first-come, first-served bound on concurrent requests. */
export class RequestLimit {
  #active = 0;
  readonly #waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`a request limit of ${limit} must be a positive integer`);
  }

  /** Runs `request` once fewer than `limit` requests run; the slot is free again when it has settled. */
  async run<T>(request: () => Promise<T>): Promise<T> {
    if (this.#active < this.limit && this.#waiting.length === 0) this.#active++;
    else await new Promise<void>((resolve) => this.#waiting.push(resolve)); // the slot is handed over
    try {
      return await request();
    } finally {
      const next = this.#waiting.shift();
      if (next) next();
      else this.#active--;
    }
  }
}

/** Thrown by a request ahead that was discarded before it was sent: it never reaches the Director. */
export class DiscardedBeforeSending extends Error {
  override readonly name = 'DiscardedBeforeSending';
}

/** What the chain check reads of a page. */
export interface PageHead {
  pageInfo: { startCursor?: string; endCursor: string; hasNextPage: boolean };
  totalCount: number;
}

/** Whether a page is what the chain predicted for its position: the Director echoes the cursor as startCursor ('' for the first page). */
export function matchesLink(page: PageHead, link: PageLink): boolean {
  return (
    page.pageInfo.startCursor === (link.after ?? '') &&
    page.pageInfo.endCursor === link.endCursor &&
    page.pageInfo.hasNextPage === link.hasNextPage &&
    page.totalCount === link.totalCount
  );
}

/** The pages of one fetch requested ahead along a cursor chain. */
export class PagePrefetch<A> {
  readonly #ahead = new Map<number, { after: string; answer: Promise<A> }>();
  readonly #settling: Promise<unknown>[] = [];
  /** The next position to request ahead. */
  #next = 1;
  #alive = true;
  /** Answers requested ahead that the fetch used, and requests ahead it discarded. */
  used = 0;
  discarded = 0;

  /**
   * @param chain the cursor chain of the last complete fetch (position 0 is the first page)
   * @param lookahead positions requested ahead of the one the fetch asked for last
   * @param request sends the request for the page after `after`, unless `wanted()` is false by the time it may be sent
   */
  constructor(
    private readonly chain: readonly PageLink[],
    private readonly lookahead: number,
    private readonly request: (after: string, wanted: () => boolean) => Promise<A>,
  ) {}

  /** Requests ahead the positions after `position` (the one the fetch asked for last), up to the lookahead. */
  fill(position: number): void {
    while (this.#alive && this.#next < this.chain.length && this.#next <= position + this.lookahead - 1) {
      const at = this.#next++;
      const after = this.chain[at].after;
      if (after === null) break; // only the first page goes without a cursor
      const answer = this.request(after, () => this.#alive);
      answer.catch(() => undefined); // raised when taken; ignored when discarded
      this.#ahead.set(at, { after, answer });
    }
  }

  /**
   * The answer requested ahead for `position`, if the fetch asks for it with the cursor it was
   * requested with; otherwise undefined, and everything requested ahead is discarded.
   */
  take(position: number, after: string): Promise<A> | undefined {
    const ahead = this.#ahead.get(position);
    if (ahead === undefined || ahead.after !== after) {
      this.discard();
      return undefined;
    }
    this.#ahead.delete(position);
    this.used++;
    this.fill(position);
    return ahead.answer;
  }

  /** Compares the page the fetch got at `position` with the chain; a mismatch discards everything requested ahead. */
  check(position: number, page: PageHead): void {
    if (!this.#alive) return;
    const link = this.chain[position];
    if (link === undefined || !matchesLink(page, link)) this.discard();
  }

  get alive(): boolean {
    return this.#alive;
  }

  /** Stops requesting ahead; what was requested is left to settle, unused. */
  discard(): void {
    if (!this.#alive) return;
    this.#alive = false;
    for (const { answer } of this.#ahead.values()) {
      this.discarded++;
      this.#settling.push(answer.catch(() => undefined));
    }
    this.#ahead.clear();
  }

  /** Discards what is left and waits until every request made ahead has settled: a fetch leaves none running behind it. */
  async settled(): Promise<void> {
    this.discard();
    await Promise.all(this.#settling);
  }
}
