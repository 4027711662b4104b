/**
 * The monthly partitions of `events` (migration 0023), on both stores: an event lands in its
 * month's partition or, outside the months made, in the default one (never refused); making a
 * month late moves its rows out of the default partition; the duplicate check on
 * (source, sourceEventId) holds across months; and a store with events from before the migration
 * keeps them, their ids and their sequence.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { SecurityEvent } from '../src/domain/types.js';
import { migrate, openDb, splitSql, type Db } from '../src/store/db.js';
import { insertEvents, storedEventSeqs } from '../src/store/events.js';
import { ensureEventPartitions, listEventPartitions } from '../src/store/partitions.js';
import { TEST_STORES } from './helpers/stores.js';

const ev = (sourceEventId: string | undefined, occurredAt: string, source = 'access_control'): SecurityEvent =>
  ({ source, type: 'access_granted', ...(sourceEventId ? { sourceEventId } : {}), occurredAt, site: 'store-1', details: {} }) as unknown as SecurityEvent;

const partitionOf = async (db: Db) =>
  (await db.query<{ p: string; seq: number }>(`SELECT tableoid::regclass::text AS p, seq FROM events ORDER BY seq`)).rows.map((r) => [Number(r.seq), r.p]);

for (const store of TEST_STORES) {
  describe(`events partitioned by month (${store.name})`, () => {
    const cleanup: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const c of cleanup.splice(0)) await c();
    });

    it('stores each event in its month or the default partition, moves rows when a month is made late, and keeps the duplicate check across months', async () => {
      const s = await store.fresh();
      const db = await openDb({ url: s.databaseUrl, dataDir: s.dataDir });
      cleanup.push(async () => {
        await db.close();
        await s.drop();
      });
      const now = new Date();
      const thisMonth = `${now.getUTCFullYear()}m${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
      const names = (await listEventPartitions(db)).map((p) => p.name);
      expect(names).toContain(`events_${thisMonth}`);
      expect(names[names.length - 1]).toBe('events_default');
      expect(names.length).toBeGreaterThanOrEqual(5); // this month, three ahead, the default

      const rows = await db.transaction((tx) => insertEvents(tx, [ev('a', now.toISOString()), ev(undefined, '2001-03-04T05:06:07Z'), ev('b', '2001-03-10T00:00:00Z')]));
      expect(rows.map((r) => r.source_event_id)).toEqual(['a', null, 'b']);
      const [a, old1, old2] = rows.map((r) => Number(r.seq));
      expect(await partitionOf(db)).toEqual([
        [a, `events_${thisMonth}`],
        [old1, 'events_default'],
        [old2, 'events_default'],
      ]);
      // The same key at another time is still a duplicate (the check is in event_keys, not per partition).
      const again = await db.transaction((tx) => insertEvents(tx, [ev('a', '2001-03-05T00:00:00Z'), ev('c', now.toISOString())]));
      expect(again.map((r) => r.source_event_id)).toEqual(['c']);
      expect((await storedEventSeqs(db, [{ source: 'access_control', sourceEventId: 'a' }])).get('access_control\u0000a')).toBe(a);
      // Making March 2001 late moves its rows out of the default partition.
      expect(await ensureEventPartitions(db, new Date('2001-03-15T00:00:00Z'), 0)).toBe(1);
      expect((await partitionOf(db)).filter(([seq]) => seq === old1 || seq === old2)).toEqual([
        [old1, 'events_2001m03'],
        [old2, 'events_2001m03'],
      ]);
      expect(await ensureEventPartitions(db, new Date('2001-03-15T00:00:00Z'), 0)).toBe(0);
      expect((await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM events WHERE site = 'store-1' AND occurred_at >= '2001-03-01' AND occurred_at < '2001-04-01'`)).rows[0].n).toBe(2);
    });

    it('migrates a store with events from before the partitioning: rows, ids, keys and the sequence kept', async () => {
      const s = await store.fresh();
      const db = await openDb({ url: s.databaseUrl, dataDir: s.dataDir });
      cleanup.push(async () => {
        await db.close();
        await s.drop();
      });
      // Undo to the state before migration 0023 (an unpartitioned table with rows), then apply it again.
      await db.transaction(async (tx) => {
        await tx.query(`DROP TABLE events`);
        await tx.query(`DROP TABLE event_keys`);
        await tx.query(`DROP FUNCTION vigil_make_event_partitions(timestamptz, timestamptz)`);
        const init = readFileSync(new URL('../src/store/migrations/0001_init.sql', import.meta.url), 'utf8');
        const create = splitSql(init).filter((x) => /^CREATE (TABLE|UNIQUE INDEX|INDEX) events/.test(x) || /ON events /.test(x));
        for (const stmt of create) await tx.query(stmt);
        await tx.query(
          `INSERT INTO events (source, type, source_event_id, occurred_at, site) VALUES ('pos','sale','k1','2026-10-03T00:00:00Z','s'), ('pos','sale',NULL,'2019-10-03T00:00:00Z','s'), ('pos','sale','k2',now(),'s')`,
        );
        await tx.query(`DELETE FROM schema_migrations WHERE version = 23`);
      });
      const files = readdirSync(new URL('../src/store/migrations/', import.meta.url)).filter((f) => /^\d{4}_/.test(f));
      expect(files.filter((f) => f.startsWith('0023'))).toHaveLength(1);
      expect(await migrate(db)).toBe(1);
      const after = await db.query<{ seq: number; source_event_id: string | null; p: string }>(`SELECT seq, source_event_id, tableoid::regclass::text AS p FROM events ORDER BY seq`);
      expect(after.rows.map((r) => [Number(r.seq), r.source_event_id])).toEqual([
        [1, 'k1'],
        [2, null],
        [3, 'k2'],
      ]);
      expect(after.rows[0].p).toBe('events_2026m10');
      expect(after.rows[1].p).toBe('events_default'); // older than 36 months before now
      expect((await storedEventSeqs(db, [{ source: 'pos', sourceEventId: 'k2' }])).get('pos\u0000k2')).toBe(3);
      const next = await db.transaction((tx) => insertEvents(tx, [ev('k3', new Date().toISOString(), 'pos'), ev('k1', new Date().toISOString(), 'pos')]));
      expect(next.map((r) => [Number(r.seq), r.source_event_id])).toEqual([[4, 'k3']]);
    });
  });
}
