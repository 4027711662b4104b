/**
 * The transparency log's store operations on both stores: appends from several connections at
 * once get consecutive leaf indexes and verify; audit records from before the log are added to it
 * in order at start; a checkpoint or a leaf changed behind the triggers is named by verification.
 */
import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sealLog } from '../src/archive/transparency-log.js';
import { verifyStore } from '../src/archive/verify.js';
import { checkpointSigner } from '../src/domain/checkpoint.js';
import { appendAuditRecord } from '../src/store/audit-log.js';
import { openDb, type Db } from '../src/store/db.js';
import { latestCheckpoint, leavesFrom } from '../src/store/transparency-log.js';
import { TEST_STORES } from './helpers/stores.js';

const signer = checkpointSigner(generateKeyPairSync('ed25519').privateKey);

describe.each(TEST_STORES)('the transparency log on $name', (store) => {
  const withDb = async (fn: (db: Db, open: () => Promise<Db>) => Promise<void>) => {
    const s = await store.fresh();
    const opts = s.databaseUrl ? { url: s.databaseUrl } : { dataDir: s.dataDir! };
    const db = await openDb(opts);
    const others: Db[] = [];
    try {
      await fn(db, async () => {
        const d = s.databaseUrl ? await openDb(opts) : db;
        if (d !== db) others.push(d);
        return d;
      });
    } finally {
      for (const d of others) await d.close();
      await db.close();
      await s.drop();
    }
  };

  it('gives appends from several connections consecutive indexes, one signed checkpoint each', async () => {
    await withDb(async (db, open) => {
      const conns = [db, await open(), await open()];
      const at = new Date('2026-11-20T10:00:00Z');
      const results = await Promise.all(
        conns.flatMap((c, k) => Array.from({ length: 20 }, (_, i) => c.transaction((tx) => appendAuditRecord(tx, { at, actor: `conn-${k}`, action: 'test.append', target: `t-${k}-${i}`, details: { i } }, signer)))),
      );
      const indexes = results.map((r) => r.leafIndex).sort((a, b) => a - b);
      expect(indexes).toEqual(Array.from({ length: 60 }, (_, i) => i));
      const leaves = await leavesFrom(db, 0, 100);
      expect(leaves.map((l) => l.leaf_index)).toEqual(indexes);
      expect((await latestCheckpoint(db))?.treeSize).toBe(60);
      const check = await verifyStore(db, signer.publicKey);
      expect(check.failure).toBeUndefined();
      expect(check).toMatchObject({ ok: true, leaves: 60, auditRecords: 60, checkpoints: 60, unsigned: 0 });
    });
  });

  it('adds audit records from before the log to it, in order, and signs the head', async () => {
    await withDb(async (db) => {
      for (let i = 0; i < 5; i++) await db.query(`INSERT INTO audit_log (at, actor, action, target, details) VALUES (now(), 'old', 'legacy', $1, '{"x": 1.5}'::jsonb)`, [`old-${i}`]);
      // As if these five were there when migration 0015 ran.
      await db.query(`UPDATE log_state SET backfill_upto = (SELECT max(seq) FROM audit_log)`);
      expect((await verifyStore(db, signer.publicKey)).legacyUnlogged).toBe(5);
      expect(await sealLog(db, signer, new Date())).toEqual({ added: 5, signed: true });
      expect(await sealLog(db, signer, new Date())).toEqual({ added: 0, signed: false });
      await db.transaction((tx) => appendAuditRecord(tx, { at: new Date(), actor: 'new', action: 'test.append', target: 'new-1', details: {} }, signer));
      const leaves = await leavesFrom(db, 0, 10);
      expect(leaves.map((l) => l.ref)).toEqual(['1', '2', '3', '4', '5', '6']);
      const check = await verifyStore(db, signer.publicKey);
      expect(check).toMatchObject({ ok: true, leaves: 6, legacyUnlogged: 0 });
    });
  });

  it('names a checkpoint whose root or signature was changed, and one signed by another key', async () => {
    await withDb(async (db) => {
      for (let i = 0; i < 4; i++) await db.transaction((tx) => appendAuditRecord(tx, { at: new Date(), actor: 'a', action: 'test.append', target: `x-${i}`, details: {} }, signer));
      expect((await verifyStore(db, signer.publicKey)).ok).toBe(true);
      const other = checkpointSigner(generateKeyPairSync('ed25519').privateKey);
      expect((await verifyStore(db, other.publicKey)).failure).toMatch(/^checkpoint of tree size 1: signed by key [0-9a-f]{64}, not this log's key/);
      await db.query(`ALTER TABLE log_checkpoints DISABLE TRIGGER log_checkpoints_append_only`);
      try {
        const sig = (await db.query<{ signature: string }>(`SELECT signature FROM log_checkpoints WHERE tree_size = 3`)).rows[0].signature;
        const forged = Buffer.from(sig, 'base64');
        forged[5] ^= 1;
        await db.query(`UPDATE log_checkpoints SET signature = $1 WHERE tree_size = 3`, [forged.toString('base64')]);
        expect((await verifyStore(db, signer.publicKey)).failure).toBe('checkpoint of tree size 3: its signature does not verify');
        await db.query(`UPDATE log_checkpoints SET signature = $1, root_hash = $2 WHERE tree_size = 3`, [sig, 'ab'.repeat(32)]);
        expect((await verifyStore(db, signer.publicKey)).failure).toMatch(/^checkpoint of tree size 3 \(.*\): its root abab/);
      } finally {
        await db.query(`ALTER TABLE log_checkpoints ENABLE TRIGGER log_checkpoints_append_only`);
      }
    });
  });
});
