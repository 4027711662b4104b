/**
 * Access findings through the real store on both stores: a review that finds more than one
 * statement's worth (FINDINGS_PER_STATEMENT) stores every finding, reports each new one once, and
 * a re-run adds nothing and updates only what changed.
 */
import { describe, expect, it } from 'vitest';
import type { AccessFinding } from '../src/domain/access-review.js';
import { FINDINGS_PER_STATEMENT, upsertAccessFindings } from '../src/store/findings.js';
import { TEST_STORES, useFreshDb } from './helpers/stores.js';

const finding = (i: number): AccessFinding => ({
  id: `daily:2026-11-30:inactive_badge:${i}`,
  rule: 'inactive_badge',
  site: i % 2 ? 'store-101' : 'store-102',
  badge: `B${i}`,
  person: null,
  zone: 'stockroom',
  at: new Date(Date.UTC(2026, 10, 30, 12, 0, 0, i)).toISOString(),
  severity: 'medium',
  summary: `badge B${i} is not active`,
  evidence: [i, i + 1],
  details: { anchor: i },
});

describe.each(TEST_STORES)('access findings on $name', (store) => {
  const db = useFreshDb(store);

  it('stores more findings than one statement takes, each reported new once; a re-run adds nothing', async () => {
    const n = FINDINGS_PER_STATEMENT * 2 + 7;
    const all = Array.from({ length: n }, (_, i) => finding(i));
    const at = new Date('2026-12-01T02:30:00Z');
    const added = await db().transaction((tx) => upsertAccessFindings(tx, null, all, at));
    expect(added).toHaveLength(n);
    expect(new Set(added)).toEqual(new Set(all.map((f) => f.id)));
    const stored = await db().query<{ n: number; last: number[] }>(
      `SELECT count(*)::int AS n, (SELECT evidence FROM access_findings WHERE id = $1) AS last FROM access_findings`,
      [all[n - 1].id],
    );
    expect(stored.rows[0].n).toBe(n);
    expect(stored.rows[0].last.map(Number)).toEqual([n - 1, n]);

    // Again, one finding in the last statement seeing more evidence: nothing new, that one updated.
    const again = all.map((f, i) => (i === n - 1 ? { ...f, evidence: [...f.evidence, n + 1] } : f));
    expect(await db().transaction((tx) => upsertAccessFindings(tx, null, again, new Date('2026-12-02T02:30:00Z')))).toEqual([]);
    const after = await db().query<{ evidence: number[]; found_at: Date }>(`SELECT evidence, found_at FROM access_findings WHERE id = $1`, [all[n - 1].id]);
    expect(after.rows[0].evidence.map(Number)).toEqual([n - 1, n, n + 1]);
    expect(after.rows[0].found_at.toISOString()).toBe(at.toISOString());
  });
});
