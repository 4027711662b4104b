/**
 * What every read model shares: the caller's site scope, list pages and their keyset cursors.
 *
 * Lists are paginated with keyset cursors, never OFFSET: a cursor names the last row of a page by
 * its sort key (time + tiebreaker), so a page costs the same however deep it is and rows inserted
 * meanwhile neither repeat nor vanish. The time part of a cursor is formatted by the database
 * (to_char in UTC, microseconds) so it round-trips exactly whatever precision a writer stored.
 */
import { InvalidError } from '../../domain/errors.js';

/** Rows of a list page and the cursor of the next page (null on the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** Site scope of a caller: null sees every site, a list sees only those sites. */
export type SiteScope = readonly string[] | null;

const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
/** SQL that formats a timestamptz column as a cursor's time part. */
export const CURSOR_AT_SQL = (col: string) => `to_char(${col} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Encodes a keyset position (time text from the database + tiebreaker) as an opaque token. */
export function encodeCursor(at: string, key: string | number): string {
  return Buffer.from(JSON.stringify([at, key]), 'utf8').toString('base64url');
}

/** Decodes a cursor; a cursor that is not one of ours is an input problem, not a server error. */
export function decodeCursor<K extends 'number' | 'string'>(cursor: string, keyType: K): [string, K extends 'number' ? number : string] {
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    v = undefined;
  }
  const ok =
    Array.isArray(v) &&
    v.length === 2 &&
    typeof v[0] === 'string' &&
    CURSOR_TIME.test(v[0]) &&
    (keyType === 'number' ? Number.isSafeInteger(v[1]) && (v[1] as number) >= 0 : typeof v[1] === 'string' && (v[1] as string).length <= 200);
  if (!ok) throw new InvalidError([{ path: 'cursor', message: 'expected a cursor returned as nextCursor by this list' }]);
  return v as [string, K extends 'number' ? number : string];
}

/** Intersects a requested site filter with the caller's scope (undefined = no filter). */
export function scopeSites(requested: readonly string[] | undefined, scope: SiteScope): readonly string[] | undefined {
  if (!scope) return requested;
  if (!requested) return scope;
  return requested.filter((s) => scope.includes(s));
}

/** An instant as ISO 8601 text, or null. */
export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
