/**
 * The audit log: who did what, to which target, when. Append-only; written in the transaction of
 * the change it records.
 */
import type { Queryable } from './db.js';

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
}

/** Appends one audit record. */
export async function appendAuditRecord(q: Queryable, r: AuditRecord): Promise<void> {
  await q.query(`INSERT INTO audit_log (at, actor, action, target, details) VALUES ($1, $2, $3, $4, $5)`, [r.at, r.actor, r.action, r.target, JSON.stringify(r.details)]);
}
