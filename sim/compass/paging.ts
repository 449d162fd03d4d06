// Offset paging as the Director does it (compass-api.md §2.2): the cursor is standard base64 of
// the fixed prefix 'DpKtJ4j9jDq' plus the decimal offset of the next page.
import { invalidData } from './director-errors.js';

const cursorPrefix = 'DpKtJ4j9jDq';

export function encodeCursor(offset: number): string {
  return Buffer.from(`${cursorPrefix}${offset}`).toString('base64');
}

/** The offset a cursor points at; '' or absent is 0. A foreign cursor is an internal error, a negative one InvalidData. */
export function decodeCursor(cursor: string | null | undefined): number {
  if (cursor === null || cursor === undefined || cursor === '') return 0;
  const text = Buffer.from(cursor, 'base64').toString('utf8');
  if (!text.startsWith(cursorPrefix) || !/^-?\d+$/.test(text.slice(cursorPrefix.length))) {
    // Upstream surfaces "cursor is not correct" as a masked internal error.
    throw new Error(`cursor is not correct: ${JSON.stringify(cursor)}`);
  }
  const offset = Number(text.slice(cursorPrefix.length));
  if (offset < 0) throw invalidData('cursor is not correct');
  return offset;
}

export interface Page<T> {
  data: T[];
  pageInfo: { startCursor: string; endCursor: string; hasNextPage: boolean };
  totalCount: number;
}

export interface PageRequest {
  first: number | null | undefined;
  after: string | null | undefined;
  /** Server-side cap on the page size. */
  cap?: number;
}

export interface PageFaults {
  truncate: boolean;
  totalCountDelta: number;
}

export const noPageFaults: PageFaults = { truncate: false, totalCountDelta: 0 };

export function paginate<T>(items: readonly T[], request: PageRequest, faults: PageFaults = noPageFaults): Page<T> {
  if (request.first === null || request.first === undefined) throw invalidData("missing required parameter 'first'");
  if (request.first < 1) throw invalidData('page size cannot be smaller than 1');
  const size = request.cap !== undefined ? Math.min(request.first, request.cap) : request.first;
  const offset = decodeCursor(request.after);
  const data = items.slice(offset, offset + size);
  const next = offset + data.length;
  const hasNextPage = items.length > next;
  const page: Page<T> = {
    data,
    pageInfo: { startCursor: request.after ?? '', endCursor: hasNextPage ? encodeCursor(next) : '', hasNextPage },
    totalCount: items.length + faults.totalCountDelta,
  };
  if (faults.truncate) {
    // The page claims more and points past items it never returned.
    page.data = data.slice(0, Math.floor(data.length / 2));
    page.pageInfo = { ...page.pageInfo, hasNextPage: true, endCursor: encodeCursor(next) };
  }
  return page;
}
