// Listing pages: 1-based page numbers, whitelisted sort columns, ListRequest.specificIds.
import type { Page, PageRequest } from '../domain/model.js';
import type { Row, SqlValue } from './db.js';

const MAX_COUNT_PER_PAGE = 1000;

export interface Paging { page: number; size: number; offset: number }
export interface CountRow extends Row { n: number }

/** Page numbers are 1-based; out-of-range requests are clamped to a sane page. */
export function paging(page: PageRequest): Paging {
  const p = Number.isSafeInteger(page.page) && page.page >= 1 ? page.page : 1;
  const size = Number.isSafeInteger(page.countPerPage) && page.countPerPage >= 1
    ? Math.min(page.countPerPage, MAX_COUNT_PER_PAGE) : 1;
  return { page: p, size, offset: (p - 1) * size };
}

/** ORDER BY for a page: the requested sort (a whitelisted column) or the list's default; rowid breaks ties. */
export function orderBy(request: PageRequest, columns: Record<string, string>, fallback: string, rowid: string): string {
  const column = request.sort ? columns[request.sort.field] : undefined;
  if (!request.sort || column === undefined) return fallback;
  const dir = request.sort.descending ? 'DESC' : 'ASC';
  return `${column} ${dir}, ${rowid} ${dir}`;
}

/** `AND <id column> IN (…)` for ListRequest.specificIds, as one JSON parameter (one statement text). */
export function idFilter(request: PageRequest, column: string): { sql: string; params: SqlValue[] } {
  return request.ids ? { sql: ` AND ${column} IN (SELECT value FROM json_each(?))`, params: [JSON.stringify(request.ids)] } : { sql: '', params: [] };
}

export function pageOf<T>(items: T[], totalCount: number, page: number, size: number): Page<T> {
  const totalPages = Math.ceil(totalCount / size);
  return { items, totalCount, totalPages, hasMorePages: page < totalPages };
}

/** The page of a listing that takes a Paging and answers its items and total. */
export async function paged<T>(request: PageRequest, list: (p: Paging) => Promise<{ items: T[]; total: number }>): Promise<Page<T>> {
  const p = paging(request);
  const { items, total } = await list(p);
  return pageOf(items, total, p.page, p.size);
}
