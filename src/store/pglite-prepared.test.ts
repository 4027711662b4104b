import { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preparedQueries } from './pglite-prepared.js';

describe('prepared statements on the embedded store', () => {
  let lite: PGlite;
  let q: ReturnType<typeof preparedQueries>;
  beforeAll(async () => {
    lite = await PGlite.create('memory://');
    await lite.exec(`CREATE TABLE t (id text PRIMARY KEY, n int8, amount numeric(14,2), at timestamptz, doc jsonb, tags text[], ok boolean)`);
    q = preparedQueries(lite, 3);
  });
  afterAll(async () => {
    await lite.close();
  });

  it('serialises and parses every type as PGlite query does, and counts affected rows', async () => {
    const at = new Date('2026-12-02T07:30:00.123Z');
    const sql = `INSERT INTO t (id, n, amount, at, doc, tags, ok) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`;
    const params = ['a', 42, '19.90', at, JSON.stringify({ k: [1, 'x'] }), ['x', 'y z'], true];
    const mine = await q.query<Record<string, unknown>>(sql, params);
    await lite.query(`DELETE FROM t`);
    const theirs = await lite.query<Record<string, unknown>>(sql, params);
    expect(mine.rows).toEqual(theirs.rows);
    expect(mine.rows[0]).toEqual({ id: 'a', n: 42, amount: '19.90', at, doc: { k: [1, 'x'] }, tags: ['x', 'y z'], ok: true });
    expect(mine.rowCount).toBe(1);
    const nulls = await q.query<{ n: number | null }>(`UPDATE t SET n = $1, doc = $2 WHERE id = $3 RETURNING n`, [null, undefined, 'a']);
    expect(nulls).toEqual({ rows: [{ n: null }], rowCount: 1 });
    const none = await q.query(`UPDATE t SET n = 1 WHERE id = $1`, ['nobody']);
    expect(none).toEqual({ rows: [], rowCount: 0 });
    const read = await q.query(`SELECT id FROM t WHERE id = ANY($1::text[])`, [['a', 'b']]);
    expect(read).toEqual({ rows: [{ id: 'a' }], rowCount: 1 });
  });

  it('keeps the server error (code, detail) and works on after it; in a transaction the error rolls the whole transaction back', async () => {
    const insert = `INSERT INTO t (id) VALUES ($1)`;
    const err = await q.query(insert, ['a']).catch((e: unknown) => e as { code?: string; message: string });
    expect(err).toMatchObject({ code: '23505' });
    expect((err as Error).message).toMatch(/duplicate key/);
    expect((await q.query(insert, ['b'])).rowCount).toBe(1);
    await expect(
      lite.transaction(async () => {
        await q.queryInTransaction(insert, ['c']);
        await q.queryInTransaction(insert, ['a']);
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect((await q.query<{ id: string }>(`SELECT id FROM t ORDER BY id`)).rows.map((r) => r.id)).toEqual(['a', 'b']);
  });

  it('a statement outside a transaction waits for the open one instead of running inside it', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const order: string[] = [];
    const tx = lite.transaction(async () => {
      await q.queryInTransaction(`INSERT INTO t (id) VALUES ($1)`, ['in-tx']);
      order.push('tx wrote');
      await gate;
      throw new Error('rolled back on purpose');
    });
    await new Promise((r) => setTimeout(r, 20));
    const outside = q.query(`INSERT INTO t (id) VALUES ($1)`, ['outside']).then(() => order.push('outside wrote'));
    await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual(['tx wrote']);
    release();
    await expect(tx).rejects.toThrow(/on purpose/);
    await outside;
    const ids = (await q.query<{ id: string }>(`SELECT id FROM t WHERE id IN ('in-tx', 'outside') ORDER BY id`)).rows.map((r) => r.id);
    // Had the outside statement run inside the transaction, the rollback would have taken it too.
    expect(ids).toEqual(['outside']);
  });

  it('keeps at most its limit prepared, closing the least recently used, which prepares again when called', async () => {
    const texts = [1, 2, 3, 4].map((k) => `SELECT $1::int + ${k} AS v`);
    for (const t of texts) expect((await q.query<{ v: number }>(t, [1])).rows[0]!.v).toBe(1 + Number(t.match(/\+ (\d)/)![1]));
    expect(q.size).toBe(3);
    const names = await lite.query<{ name: string }>(`SELECT name FROM pg_prepared_statements`);
    expect(names.rows).toHaveLength(3);
    expect((await q.query<{ v: number }>(texts[0]!, [10])).rows[0]!.v).toBe(11);
    expect((await lite.query(`SELECT name FROM pg_prepared_statements`)).rows).toHaveLength(3);
  });
});
