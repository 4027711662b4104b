import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Db } from './db.js';
import { pgliteInThread } from './pglite-options.js';
import { openPgliteThread } from './pglite-thread.js';

describe('the embedded store in its own thread', () => {
  let db: Db | undefined;
  afterEach(async () => {
    await db?.close();
    db = undefined;
  });

  it('commits a transaction that resolves and rolls back one that throws, with the values it returned', async () => {
    db = await openPgliteThread('memory://', {});
    await db.exec('CREATE TABLE t (id int PRIMARY KEY, at timestamptz, amount numeric(18,2), doc jsonb)');
    const at = new Date('2026-11-30T23:59:59.123Z');
    const out = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO t VALUES ($1, $2, $3, $4)', [1, at, '12.50', JSON.stringify({ a: [1, 'x'] })]);
      return (await tx.query<{ n: number }>('SELECT count(*)::int AS n FROM t')).rows[0].n;
    });
    expect(out).toBe(1);
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (2, now(), 1, null)');
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const rows = (await db.query<{ id: number; at: Date; amount: string; doc: unknown }>('SELECT * FROM t ORDER BY id')).rows;
    expect(rows).toEqual([{ id: 1, at, amount: '12.50', doc: { a: [1, 'x'] } }]);
    expect(rows[0].at).toBeInstanceOf(Date);
  });

  it('carries the database error across, with its SQLSTATE and constraint, and the store stays usable', async () => {
    db = await openPgliteThread('memory://', {});
    await db.exec('CREATE TABLE t (id int PRIMARY KEY)');
    await db.query('INSERT INTO t VALUES (1)');
    const err = await db.query('INSERT INTO t VALUES (1)').then(
      () => undefined,
      (e: unknown) => e as Error & { code?: string; constraint?: string },
    );
    expect(err?.message).toMatch(/duplicate key value violates unique constraint/);
    expect(err?.code).toBe('23505');
    expect(err?.constraint).toBe('t_pkey');
    // A failed statement inside a transaction rolls the whole transaction back.
    await expect(
      db.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES (2)');
        await tx.query('INSERT INTO t VALUES (1)');
      }),
    ).rejects.toMatchObject({ code: '23505' });
    expect((await db.query<{ id: number }>('SELECT id FROM t ORDER BY id')).rows).toEqual([{ id: 1 }]);
  });

  it('runs transactions one after another: a second waits until the first has ended', async () => {
    db = await openPgliteThread('memory://', {});
    await db.exec('CREATE TABLE log (seq serial, who text)');
    const order: string[] = [];
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    const first = db.transaction(async (tx) => {
      await tx.query(`INSERT INTO log (who) VALUES ('first-a')`);
      order.push('first started');
      await held;
      await tx.query(`INSERT INTO log (who) VALUES ('first-b')`);
    });
    await new Promise((r) => setTimeout(r, 20));
    const second = db.transaction(async (tx) => {
      order.push('second started');
      await tx.query(`INSERT INTO log (who) VALUES ('second')`);
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(order).toEqual(['first started']);
    release();
    await Promise.all([first, second]);
    expect((await db.query<{ who: string }>('SELECT who FROM log ORDER BY seq')).rows.map((r) => r.who)).toEqual(['first-a', 'first-b', 'second']);
  });

  it('keeps what was committed on disk across a reopen, and refuses statements after close', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-thread-'));
    try {
      const a = await openPgliteThread(join(dir, 'data'), {});
      await a.exec('CREATE TABLE t (v text)');
      await a.transaction((tx) => tx.query(`INSERT INTO t VALUES ('kept')`));
      await a.close();
      await expect(a.query('SELECT 1')).rejects.toThrow(/thread exited/);
      db = await openPgliteThread(join(dir, 'data'), {});
      expect((await db.query<{ v: string }>('SELECT v FROM t')).rows).toEqual([{ v: 'kept' }]);
    } finally {
      await db?.close();
      db = undefined;
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is off unless VIGIL_STORE_THREAD=on, and names a bad value', () => {
    expect(pgliteInThread({})).toBe(false);
    expect(pgliteInThread({ VIGIL_STORE_THREAD: 'off' })).toBe(false);
    expect(pgliteInThread({ VIGIL_STORE_THREAD: 'on' })).toBe(true);
    expect(() => pgliteInThread({ VIGIL_STORE_THREAD: 'yes' })).toThrow(/VIGIL_STORE_THREAD: expected on or off, got "yes"/);
  });
});
