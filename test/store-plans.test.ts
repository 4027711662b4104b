/**
 * Queries that run against the whole history are answered from an index on both stores, so they
 * stay fast (and hold the embedded store briefly) however many incidents are stored. Sequential
 * scans are turned off for the check: on a small test table the planner would rightly prefer one.
 */
import { describe, expect, it } from 'vitest';
import { resolvedIncidentsDue } from '../src/store/archive.js';
import type { Queryable } from '../src/store/db.js';
import { TEST_STORES, useFreshDb } from './helpers/stores.js';

describe.each(TEST_STORES)('query plans on $name', (store) => {
  const db = useFreshDb(store);

  /** The plan of the statement `run` makes, run through the store's own function. */
  const plan = (run: (q: Queryable) => Promise<unknown>) =>
    db().transaction(async (tx) => {
      await tx.query('SET LOCAL enable_seqscan = off');
      const lines: string[] = [];
      await run({
        async query<T>(sql: string, params?: unknown[]) {
          const r = await tx.query<Record<string, string>>(`EXPLAIN ${sql}`, params);
          lines.push(...r.rows.map((x) => Object.values(x)[0]));
          return { rows: [] as T[], rowCount: 0 };
        },
      });
      return lines.join('\n');
    });

  it('finds the resolved incidents due for the archive through the resolved index', async () => {
    const text = await plan((q) => resolvedIncidentsDue(q, new Date(), 500));
    expect(text).toContain('incidents_resolved');
    expect(text).not.toMatch(/Sort/);
  });
});
