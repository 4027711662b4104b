/**
 * The monthly partitions of `events` (migration 0023). A partition per calendar month (UTC) is
 * made ahead of time, at startup and once a day by every process that runs the workflow; anything
 * outside the months made lands in the default partition, so no event is ever refused. Old months
 * are detached after archiving by hand (docs/deployment.md gives the SQL).
 */
import type { Queryable } from './db.js';

/** How many months past the current one get their partition ahead of time. */
export const MONTHS_AHEAD = 3;

/** Makes the missing partitions from this month through `monthsAhead` months on; returns how many were made. */
export async function ensureEventPartitions(q: Queryable, now: Date, monthsAhead = MONTHS_AHEAD): Promise<number> {
  const through = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + monthsAhead, 1));
  const r = await q.query<{ made: number }>(`SELECT vigil_make_event_partitions($1::timestamptz, $2::timestamptz) AS made`, [now, through]);
  return Number(r.rows[0]?.made ?? 0);
}

/** A partition of `events` with its bounds (null for the default partition) and its row estimate. */
export interface EventPartition {
  name: string;
  bounds: string;
  isDefault: boolean;
}

/** The partitions of `events`, oldest first, the default partition last. */
export async function listEventPartitions(q: Queryable): Promise<EventPartition[]> {
  const r = await q.query<{ name: string; bounds: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bounds
       FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
      WHERE i.inhparent = 'events'::regclass
      ORDER BY c.relname = 'events_default', c.relname`,
  );
  return r.rows.map((x) => ({ name: x.name, bounds: x.bounds, isDefault: x.bounds === 'DEFAULT' }));
}
