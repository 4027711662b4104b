/**
 * The `audit_log` table: who did what to which record, append-only.
 */
import type { Queryable } from './db.js';

/** Appends one audit entry. */
export async function appendAudit(q: Queryable, entry: { actor: string; action: string; target: string; details?: unknown }): Promise<void> {
  await q.query(`INSERT INTO audit_log (actor, action, target, details) VALUES ($1, $2, $3, $4)`, [entry.actor, entry.action, entry.target, entry.details === undefined ? null : JSON.stringify(entry.details)]);
}
