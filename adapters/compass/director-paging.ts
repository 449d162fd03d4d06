// Following Director pages to the end, and refusing anything that is not provably complete: the
// agent deletes Applications that are missing from a fetch, so a silently partial list would delete
// real ones (reference bug 11). Pure apart from the injected page fetcher.

export interface DirectorPage {
  data: unknown[];
  pageInfo: { endCursor: string; hasNextPage: boolean };
  totalCount: number;
}

/** Why a list could not be collected completely; the Director client turns it into a CompassError. */
export class IncompleteListError extends Error {
  override readonly name = 'IncompleteListError';
}

/** Checks the shape of a page; `what` names the list, e.g. `bundles of application 1234`. */
export function readPage(value: unknown, what: string): DirectorPage {
  if (value === null || typeof value !== 'object') throw new IncompleteListError(`the ${what} page is missing`);
  const page = value as { data?: unknown; pageInfo?: { endCursor?: unknown; hasNextPage?: unknown } | null; totalCount?: unknown };
  if (!Array.isArray(page.data)) throw new IncompleteListError(`the ${what} page has no data list`);
  if (!page.pageInfo || typeof page.pageInfo.hasNextPage !== 'boolean') throw new IncompleteListError(`the ${what} page has no pageInfo.hasNextPage`);
  if (typeof page.totalCount !== 'number' || !Number.isInteger(page.totalCount) || page.totalCount < 0) throw new IncompleteListError(`the ${what} page has no valid totalCount`);
  const endCursor = typeof page.pageInfo.endCursor === 'string' ? page.pageInfo.endCursor : '';
  return { data: page.data, pageInfo: { endCursor, hasNextPage: page.pageInfo.hasNextPage }, totalCount: page.totalCount };
}

/**
 * Every item of a paged list, starting from the already fetched first page. Fails when a page says
 * there is more but gives no cursor, a cursor repeats, the total changes between pages, an id appears
 * twice (offset skew from concurrent changes) or the number of items differs from totalCount.
 */
export async function collectPages(
  what: string,
  first: DirectorPage,
  fetchNext: (after: string) => Promise<DirectorPage>,
  idOf: (item: unknown) => string | undefined,
): Promise<unknown[]> {
  const items: unknown[] = [...first.data];
  const seenCursors = new Set<string>();
  let page = first;
  let pageNumber = 1;
  while (page.pageInfo.hasNextPage) {
    const cursor = page.pageInfo.endCursor;
    if (cursor === '') throw new IncompleteListError(`page ${pageNumber} of the ${what} says more follow but gives no endCursor`);
    if (seenCursors.has(cursor)) throw new IncompleteListError(`the ${what} cursor after page ${pageNumber} repeats an earlier one`);
    seenCursors.add(cursor);
    pageNumber++;
    try {
      page = await fetchNext(cursor);
    } catch (error) {
      if (error instanceof Error) error.message = `page ${pageNumber} of the ${what}: ${error.message}`;
      throw error;
    }
    if (page.totalCount !== first.totalCount) {
      throw new IncompleteListError(`the ${what} changed while paging (totalCount ${first.totalCount} on page 1, ${page.totalCount} on page ${pageNumber})`);
    }
    items.push(...page.data);
  }
  if (items.length !== first.totalCount) {
    throw new IncompleteListError(`the ${what} has totalCount ${first.totalCount} but ${items.length} items arrived over ${pageNumber} page(s)`);
  }
  const ids = new Set<string>();
  for (const item of items) {
    const id = idOf(item);
    if (id === undefined) continue; // shape errors are reported by the conversion, with more context
    if (ids.has(id)) throw new IncompleteListError(`the ${what} returned id ${id} twice (the list changed while paging)`);
    ids.add(id);
  }
  return items;
}
