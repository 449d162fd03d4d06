// Following Director pages to the end, and refusing anything that is not provably complete: the
// agent deletes Applications that are missing from a fetch, so a silently partial list would delete
// real ones (reference bug 11). Pure apart from the injected page fetcher.

export interface DirectorPage {
  data: unknown[];
  /** startCursor only where the query asks for it (application pages: the prefetch checks it). */
  pageInfo: { startCursor?: string; endCursor: string; hasNextPage: boolean };
  totalCount: number;
  /** Digest of the exact answer the page came in, when the transport gave one. */
  digest?: string;
}

/** Why a list could not be collected completely; the Director client turns it into a CompassError. */
export class IncompleteListError extends Error {
  override readonly name = 'IncompleteListError';
}

/** Checks the shape of a page; `what` names the list, e.g. `bundles of application 1234`. */
export function readPage(value: unknown, what: string): DirectorPage {
  if (value === null || typeof value !== 'object') throw new IncompleteListError(`the ${what} page is missing`);
  const page = value as {
    data?: unknown;
    pageInfo?: { startCursor?: unknown; endCursor?: unknown; hasNextPage?: unknown } | null;
    totalCount?: unknown;
  };
  if (!Array.isArray(page.data)) throw new IncompleteListError(`the ${what} page has no data list`);
  if (!page.pageInfo || typeof page.pageInfo.hasNextPage !== 'boolean')
    throw new IncompleteListError(`the ${what} page has no pageInfo.hasNextPage`);
  if (typeof page.totalCount !== 'number' || !Number.isInteger(page.totalCount) || page.totalCount < 0)
    throw new IncompleteListError(`the ${what} page has no valid totalCount`);
  const endCursor = typeof page.pageInfo.endCursor === 'string' ? page.pageInfo.endCursor : '';
  const { startCursor } = page.pageInfo;
  const pageInfo = { ...(typeof startCursor === 'string' ? { startCursor } : {}), endCursor, hasNextPage: page.pageInfo.hasNextPage };
  return { data: page.data, pageInfo, totalCount: page.totalCount };
}

/**
 * Every item of a paged list, starting from the already fetched first page, each turned into its
 * typed form by `read` as its page arrives (so a page's raw JSON can go before the next one comes);
 * `onPage` gets each page with its items once they are read.
 * The next page is requested before the current one is read, so the Director prepares it meanwhile.
 * Fails when a page says there is more but gives no cursor, a cursor repeats, the total changes
 * between pages, an id appears twice (offset skew from concurrent changes) or the number of items
 * differs from totalCount.
 */
export async function collectPages<T extends { id: string }>(
  what: string,
  first: DirectorPage,
  fetchNext: (after: string) => Promise<DirectorPage>,
  read: (item: unknown) => T | Promise<T>,
  onPage?: (page: DirectorPage, items: T[]) => void,
): Promise<T[]> {
  const items: T[] = [];
  const ids = new Set<string>();
  const seenCursors = new Set<string>();
  let page = first;
  let pageNumber = 1;
  for (;;) {
    const next = page.pageInfo.hasNextPage ? requestNext(what, page, pageNumber, seenCursors, fetchNext) : undefined;
    try {
      const start = items.length;
      for (const raw of page.data) {
        const value = read(raw);
        const item = value instanceof Promise ? await value : value;
        if (ids.has(item.id)) throw new IncompleteListError(`the ${what} returned id ${item.id} twice (the list changed while paging)`);
        ids.add(item.id);
        items.push(item);
      }
      onPage?.(page, items.slice(start));
    } catch (error) {
      // A failed fetch leaves none of its requests running behind it.
      await next?.catch(() => undefined);
      throw error;
    }
    if (next === undefined) break;
    pageNumber++;
    page = await next;
    if (page.totalCount !== first.totalCount) {
      throw new IncompleteListError(
        `the ${what} changed while paging (totalCount ${first.totalCount} on page 1, ${page.totalCount} on page ${pageNumber})`,
      );
    }
  }
  if (items.length !== first.totalCount) {
    throw new IncompleteListError(
      `the ${what} has totalCount ${first.totalCount} but ${items.length} items arrived over ${pageNumber} page(s)`,
    );
  }
  return items;
}

/** Starts fetching the page after `page` (page `pageNumber`); its failure names the page and is raised when awaited. */
function requestNext(
  what: string,
  page: DirectorPage,
  pageNumber: number,
  seenCursors: Set<string>,
  fetchNext: (after: string) => Promise<DirectorPage>,
): Promise<DirectorPage> {
  const cursor = page.pageInfo.endCursor;
  if (cursor === '') throw new IncompleteListError(`page ${pageNumber} of the ${what} says more follow but gives no endCursor`);
  if (seenCursors.has(cursor)) throw new IncompleteListError(`the ${what} cursor after page ${pageNumber} repeats an earlier one`);
  seenCursors.add(cursor);
  const next = new Promise<DirectorPage>((resolve) => resolve(fetchNext(cursor))).catch((error: unknown) => {
    if (error instanceof Error) error.message = `page ${pageNumber + 1} of the ${what}: ${error.message}`;
    throw error;
  });
  // Awaited after the current page is read; if reading fails first, only its settling is awaited.
  next.catch(() => undefined);
  return next;
}
