/** Whether the store answers: the probe behind GET /healthz. */
import type { Queryable } from './db.js';

/** Runs the cheapest possible statement; resolves when the store answers, rejects otherwise. */
export async function pingStore(q: Queryable): Promise<void> {
  await q.query('SELECT 1');
}
