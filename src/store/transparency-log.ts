/**
 * The transparency log's tables (log_state, log_leaves, log_checkpoints): an append-only Merkle
 * tree in the manner of Certificate Transparency (domain/merkle.ts), with signed checkpoints
 * (domain/checkpoint.ts). Every append runs in the caller's transaction and locks the one head row
 * (log_state) FOR UPDATE, so leaves get consecutive indexes whichever process appends, and a leaf
 * commits together with the record it stands for. Appends take that lock last in their
 * transaction, after the rows of the change they log.
 */
import { signCheckpoint, type CheckpointSigner, type SignedCheckpoint } from '../domain/checkpoint.js';
import { appendToFrontier, frontierRoot, leafHash, type Hash } from '../domain/merkle.js';
import type { Queryable } from './db.js';

/** What a leaf stands for. */
export type LeafKind = 'audit' | 'archive';

/** A leaf to append: its kind, the record it stands for, and its leaf data (canonical bytes). */
export interface NewLeaf {
  kind: LeafKind;
  ref: string;
  data: string;
}

/** A stored leaf. */
export interface LeafRow {
  leaf_index: number;
  kind: LeafKind;
  ref: string;
  leaf_hash: string;
  at: Date;
}

/** The result of an append: the leaves' indexes, the new size and root, the checkpoint signed. */
export interface Appended {
  indexes: number[];
  treeSize: number;
  rootHash: string;
  checkpoint?: SignedCheckpoint;
}

/**
 * Appends leaves (in order) to the log in transaction `tx`; with a signer, signs a checkpoint of
 * the new head in the same transaction.
 */
export async function appendLeaves(tx: Queryable, leaves: readonly NewLeaf[], at: Date, signer?: CheckpointSigner): Promise<Appended> {
  const st = (await tx.query<{ tree_size: number; frontier: string[] }>(`SELECT tree_size, frontier FROM log_state WHERE id = 1 FOR UPDATE`)).rows[0];
  if (!st) throw new Error('the transparency log has no head row (migration 0015 not applied)');
  let size = Number(st.tree_size);
  let frontier: Hash[] = st.frontier.map((h) => Buffer.from(h, 'hex'));
  const indexes: number[] = [];
  const rows: unknown[] = [];
  const values: string[] = [];
  for (const l of leaves) {
    const h = leafHash(Buffer.from(l.data, 'utf8'));
    frontier = appendToFrontier(frontier, size, h);
    indexes.push(size);
    const b = rows.length;
    values.push(`($${b + 1}::bigint, $${b + 2}, $${b + 3}, $${b + 4}, $${b + 5}::timestamptz)`);
    rows.push(size, l.kind, l.ref, h.toString('hex'), at);
    size++;
  }
  if (leaves.length === 0) return { indexes, treeSize: size, rootHash: frontierRoot(frontier).toString('hex') };
  const rootHash = frontierRoot(frontier).toString('hex');
  const checkpoint = signer ? signCheckpoint(signer, { treeSize: size, rootHash, at }) : undefined;
  // One statement: the leaves, the new head and its checkpoint (fewer round trips while the head is locked).
  const p = rows.length;
  rows.push(size, JSON.stringify(frontier.map((h) => h.toString('hex'))));
  const cp = checkpoint ? [checkpoint.treeSize, checkpoint.rootHash, checkpoint.at, checkpoint.keyId, checkpoint.signature] : [];
  rows.push(...cp);
  await tx.query(
    `WITH leaves AS (INSERT INTO log_leaves (leaf_index, kind, ref, leaf_hash, at) VALUES ${values.join(', ')} RETURNING 1),
          head AS (UPDATE log_state SET tree_size = $${p + 1}, frontier = $${p + 2}::jsonb WHERE id = 1 RETURNING 1)
          ${checkpoint ? `, cp AS (INSERT INTO log_checkpoints (tree_size, root_hash, at, key_id, signature) VALUES ($${p + 3}::bigint, $${p + 4}, $${p + 5}::timestamptz, $${p + 6}, $${p + 7}) RETURNING 1)` : ''}
     SELECT (SELECT count(*) FROM leaves)::int AS leaves, (SELECT count(*) FROM head)::int AS head`,
    rows,
  );
  return { indexes, treeSize: size, rootHash, ...(checkpoint ? { checkpoint } : {}) };
}

async function insertCheckpoint(tx: Queryable, c: SignedCheckpoint): Promise<SignedCheckpoint | undefined> {
  const r = await tx.query(
    `INSERT INTO log_checkpoints (tree_size, root_hash, at, key_id, signature) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (tree_size) DO NOTHING RETURNING 1`,
    [c.treeSize, c.rootHash, c.at, c.keyId, c.signature],
  );
  return r.rows.length > 0 ? c : undefined;
}

/**
 * Signs a checkpoint of the current head when the latest checkpoint is older than the head
 * (leaves appended by a caller without the signer). Returns it, or undefined when none was due.
 */
export async function signHead(tx: Queryable, signer: CheckpointSigner, at: Date): Promise<SignedCheckpoint | undefined> {
  const st = (await tx.query<{ tree_size: number; frontier: string[] }>(`SELECT tree_size, frontier FROM log_state WHERE id = 1 FOR UPDATE`)).rows[0];
  if (!st || Number(st.tree_size) === 0) return undefined;
  const latest = await latestCheckpoint(tx);
  if (latest && latest.treeSize >= Number(st.tree_size)) return undefined;
  const rootHash = frontierRoot(st.frontier.map((h) => Buffer.from(h, 'hex'))).toString('hex');
  return insertCheckpoint(tx, signCheckpoint(signer, { treeSize: Number(st.tree_size), rootHash, at }));
}

/** The log's current size (leaves appended so far). */
export async function treeSize(q: Queryable): Promise<number> {
  const r = await q.query<{ tree_size: number }>(`SELECT tree_size FROM log_state WHERE id = 1`);
  return Number(r.rows[0]?.tree_size ?? 0);
}

/** The audit records written before the log existed that are not in it yet (seq order). */
export async function unloggedLegacyAuditSeqs(q: Queryable, limit: number): Promise<number[]> {
  const r = await q.query<{ seq: number }>(
    `SELECT a.seq FROM audit_log a, log_state s
      WHERE s.id = 1 AND a.seq <= s.backfill_upto AND NOT EXISTS (SELECT 1 FROM log_leaves l WHERE l.kind = 'audit' AND l.ref = a.seq::text)
      ORDER BY a.seq LIMIT $1`,
    [limit],
  );
  return r.rows.map((x) => Number(x.seq));
}

/** Leaves from index `from` on, in order (a page of at most `limit`). */
export async function leavesFrom(q: Queryable, from: number, limit: number): Promise<LeafRow[]> {
  const r = await q.query<LeafRow>(`SELECT leaf_index, kind, ref, leaf_hash, at FROM log_leaves WHERE leaf_index >= $1 ORDER BY leaf_index LIMIT $2`, [from, limit]);
  return r.rows.map((x) => ({ ...x, leaf_index: Number(x.leaf_index) }));
}

/** The leaf hashes of the first `size` leaves, in order. */
export async function leafHashes(q: Queryable, size: number): Promise<Hash[]> {
  const r = await q.query<{ leaf_hash: string }>(`SELECT leaf_hash FROM log_leaves WHERE leaf_index < $1 ORDER BY leaf_index`, [size]);
  return r.rows.map((x) => Buffer.from(x.leaf_hash, 'hex'));
}

/** The leaf of a record, if it is in the log. */
export async function leafOf(q: Queryable, kind: LeafKind, ref: string): Promise<LeafRow | undefined> {
  const r = await q.query<LeafRow>(`SELECT leaf_index, kind, ref, leaf_hash, at FROM log_leaves WHERE kind = $1 AND ref = $2`, [kind, ref]);
  const x = r.rows[0];
  return x ? { ...x, leaf_index: Number(x.leaf_index) } : undefined;
}

interface CheckpointRow {
  tree_size: number;
  root_hash: string;
  at: Date;
  key_id: string;
  signature: string;
}
const toCheckpoint = (r: CheckpointRow): SignedCheckpoint => ({ treeSize: Number(r.tree_size), rootHash: r.root_hash, at: r.at, keyId: r.key_id, signature: r.signature });

/** The checkpoint of the largest tree. */
export async function latestCheckpoint(q: Queryable): Promise<SignedCheckpoint | undefined> {
  const r = await q.query<CheckpointRow>(`SELECT tree_size, root_hash, at, key_id, signature FROM log_checkpoints ORDER BY tree_size DESC LIMIT 1`);
  return r.rows[0] ? toCheckpoint(r.rows[0]) : undefined;
}

/** The checkpoint of a tree size, if one was signed. */
export async function checkpointOf(q: Queryable, size: number): Promise<SignedCheckpoint | undefined> {
  const r = await q.query<CheckpointRow>(`SELECT tree_size, root_hash, at, key_id, signature FROM log_checkpoints WHERE tree_size = $1`, [size]);
  return r.rows[0] ? toCheckpoint(r.rows[0]) : undefined;
}

/** Checkpoints of tree sizes >= `from` (and > `after`, for paging), smallest first. */
export async function checkpointsFrom(q: Queryable, from: number, limit: number, after?: number): Promise<SignedCheckpoint[]> {
  const r = await q.query<CheckpointRow>(
    `SELECT tree_size, root_hash, at, key_id, signature FROM log_checkpoints WHERE tree_size >= $1 AND tree_size > $2 ORDER BY tree_size LIMIT $3`,
    [from, after ?? -1, limit],
  );
  return r.rows.map(toCheckpoint);
}

/** How many leaves and checkpoints the log holds. */
export async function logCounts(q: Queryable): Promise<{ leaves: number; checkpoints: number }> {
  const r = await q.query<{ leaves: number; checkpoints: number }>(`SELECT (SELECT count(*) FROM log_leaves)::int AS leaves, (SELECT count(*) FROM log_checkpoints)::int AS checkpoints`);
  return { leaves: Number(r.rows[0].leaves), checkpoints: Number(r.rows[0].checkpoints) };
}
