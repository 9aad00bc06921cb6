import { BadUserInputError } from '../core/errors';

/** Lists are ordered newest first by (createdAt, id); a cursor is that pair of the last row, opaque to clients. */
export interface Cursor {
  createdAt: string;
  id: string;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

export function encodeCursor(c: Cursor): string {
  return Buffer.from(JSON.stringify([c.createdAt, c.id]), 'utf8').toString('base64url');
}

export function decodeCursor(text: string, argument = 'after'): Cursor {
  try {
    const [createdAt, id] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown[];
    if (typeof createdAt === 'string' && typeof id === 'string' && !Number.isNaN(Date.parse(createdAt))) return { createdAt, id };
  } catch {
    // fall through
  }
  throw new BadUserInputError('not a cursor this API gave out', argument);
}

export function pageSize(first: number | null | undefined): number {
  if (first === null || first === undefined) return DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(first) || first < 0 || first > MAX_PAGE_SIZE) {
    throw new BadUserInputError(`first must be an integer from 0 to ${MAX_PAGE_SIZE}`, 'first');
  }
  return first;
}

/** PostgREST filter for rows strictly after the cursor in (created_at desc, id desc) order. */
export function afterCursorFilter(c: Cursor): string {
  const at = new Date(c.createdAt).toISOString();
  return `created_at.lt.${at},and(created_at.eq.${at},id.lt.${c.id})`;
}

export interface Connection<T> {
  edges: Array<{ cursor: string; node: T }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Builds a connection from `size + 1` rows: the extra row only says there is a next page. */
export function toConnection<T>(rows: T[], size: number, cursorOf: (row: T) => Cursor): Connection<T> {
  const page = rows.slice(0, size);
  const edges = page.map((node) => ({ cursor: encodeCursor(cursorOf(node)), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > size, endCursor: edges.at(-1)?.cursor ?? null } };
}
