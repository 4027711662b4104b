/**
 * The audit log: who did what, to which target, when, and digests of the target's state before
 * and after. Append-only (the database refuses UPDATE, DELETE and TRUNCATE, migration 0015); each
 * record is written in the transaction of the change it records, together with its leaf in the
 * transparency log (store/transparency-log.ts) and, given the log's signer, a signed checkpoint.
 */
import { digestOf } from '../domain/canonical-json.js';
import type { CheckpointSigner } from '../domain/checkpoint.js';
import { auditLeafData, type StoredAuditRecord } from '../domain/log-leaves.js';
import type { Queryable } from './db.js';
import { appendLeaves, type Appended } from './transparency-log.js';

/** One audit record. */
export interface AuditRecord {
  at: Date;
  /** Who: a token or user name, `<contact> (sms)`, `sms:<phone>`, or `vigil` for the service itself. */
  actor: string;
  /** What, as `<resource>.<action>`, e.g. `incident.resolve`. */
  action: string;
  /** The record it concerns (an incident id, or a patrol id when the patrol has no incident). */
  target: string;
  details: Record<string, unknown>;
  /** The target's state before the change (its digest is recorded, not the state). */
  before?: unknown;
  /** The target's state after the change. */
  after?: unknown;
}

const COLUMNS = 'seq, at, actor, action, target, details, before_digest, after_digest';

/**
 * Appends one audit record and its leaf in transaction `tx`; with `signer` (the service's log
 * key, `service.logSigner`) also signs a checkpoint of the log's new head. Without it the head is
 * signed by the next append that has it (or `vigil verify`'s caller sees it unsigned). Call it
 * last in the transaction: it takes the log's head lock.
 */
export async function appendAuditRecord(tx: Queryable, r: AuditRecord, signer?: CheckpointSigner): Promise<{ seq: number; leafIndex: number; log: Appended }> {
  const before = r.before === undefined ? null : digestOf(r.before);
  const after = r.after === undefined ? null : digestOf(r.after);
  const row = (
    await tx.query<StoredAuditRecord>(
      `INSERT INTO audit_log (at, actor, action, target, details, before_digest, after_digest) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
      [r.at, r.actor, r.action, r.target, JSON.stringify(r.details), before, after],
    )
  ).rows[0];
  const log = await appendLeaves(tx, [{ kind: 'audit', ref: String(row.seq), data: auditLeafData(row) }], r.at, signer);
  return { seq: Number(row.seq), leafIndex: log.indexes[0], log };
}

/** Adds audit records that are not in the log yet (written before it existed) to it, in order. */
export async function logAuditRecords(tx: Queryable, seqs: readonly number[], at: Date, signer?: CheckpointSigner): Promise<Appended> {
  const rows = (await tx.query<StoredAuditRecord>(`SELECT ${COLUMNS} FROM audit_log WHERE seq = ANY($1::bigint[]) ORDER BY seq`, [seqs])).rows;
  return appendLeaves(tx, rows.map((x) => ({ kind: 'audit' as const, ref: String(x.seq), data: auditLeafData(x) })), at, signer);
}

/** Audit records by seq (verification). */
export async function auditRecordsBySeq(q: Queryable, seqs: readonly number[]): Promise<Map<number, StoredAuditRecord>> {
  const rows = (await q.query<StoredAuditRecord>(`SELECT ${COLUMNS} FROM audit_log WHERE seq = ANY($1::bigint[])`, [seqs])).rows;
  return new Map(rows.map((x) => [Number(x.seq), x]));
}

/** Audit records with no leaf in the log, past the ones the log's backfill takes (verification). */
export async function auditRecordsOutsideLog(q: Queryable, limit: number): Promise<number[]> {
  const r = await q.query<{ seq: number }>(
    `SELECT a.seq FROM audit_log a, log_state s
      WHERE s.id = 1 AND a.seq > s.backfill_upto AND NOT EXISTS (SELECT 1 FROM log_leaves l WHERE l.kind = 'audit' AND l.ref = a.seq::text)
      ORDER BY a.seq LIMIT $1`,
    [limit],
  );
  return r.rows.map((x) => Number(x.seq));
}

/** The audit trail of a target, oldest first, with each record's leaf index. */
export async function auditTrailOf(q: Queryable, target: string): Promise<(StoredAuditRecord & { leaf_index: number | null })[]> {
  const r = await q.query<StoredAuditRecord & { leaf_index: number | null }>(
    `SELECT a.seq, a.at, a.actor, a.action, a.target, a.details, a.before_digest, a.after_digest, l.leaf_index
       FROM audit_log a LEFT JOIN log_leaves l ON l.kind = 'audit' AND l.ref = a.seq::text
      WHERE a.target = $1 ORDER BY a.seq`,
    [target],
  );
  return r.rows.map((x) => ({ ...x, seq: Number(x.seq), leaf_index: x.leaf_index === null ? null : Number(x.leaf_index) }));
}
