/**
 * Named write operations on incidents. Each is one parameterised statement; the caller owns the
 * transaction and the rules (the lifecycle table in domain/incident-lifecycle.ts decides which
 * status comes next, this module only writes it).
 */
import type { IncidentStatus } from '../domain/incident-lifecycle.js';
import type { Queryable } from './db.js';

// Lifecycle (API)
//
// A status change is an optimistic update guarded by the status it was checked against (not by
// the row version: events keep arriving while a guard acknowledges, and an ingest that bumps the
// version must not make the click fail). Each returns false when the status changed meanwhile.

/** A status change of an incident, guarded by the status the transition was checked against. */
export interface IncidentStatusChange {
  id: string;
  from: string;
  to: IncidentStatus;
}

/** Moves an incident to `to` and records who acknowledged it and when; false when it was no longer `from`. */
export async function markIncidentAcknowledged(q: Queryable, c: IncidentStatusChange & { at: Date; actor: string }): Promise<boolean> {
  const r = await q.query(
    `UPDATE incidents SET status = $3, acknowledged_at = $4, acknowledged_by = $5, updated_at = now(), version = version + 1 WHERE id = $1 AND status = $2`,
    [c.id, c.from, c.to, c.at, c.actor],
  );
  return r.rowCount > 0;
}

/** Moves an incident to `to` and records who resolved it, when and how; false when it was no longer `from`. */
export async function markIncidentResolved(q: Queryable, c: IncidentStatusChange & { at: Date; actor: string; resolution: string | null }): Promise<boolean> {
  const r = await q.query(
    `UPDATE incidents SET status = $3, resolved_at = $4, resolved_by = $5, resolution = $6, updated_at = now(), version = version + 1 WHERE id = $1 AND status = $2`,
    [c.id, c.from, c.to, c.at, c.actor, c.resolution],
  );
  return r.rowCount > 0;
}

/** Moves an incident to `to` and clears its resolution; false when it was no longer `from`. */
export async function markIncidentReopened(q: Queryable, c: IncidentStatusChange): Promise<boolean> {
  const r = await q.query(
    `UPDATE incidents SET status = $3, resolved_at = NULL, resolved_by = NULL, resolution = NULL, updated_at = now(), version = version + 1 WHERE id = $1 AND status = $2`,
    [c.id, c.from, c.to],
  );
  return r.rowCount > 0;
}

/** An incident an SMS reply "ACK <code>" may acknowledge. */
export interface AckCodeMatch {
  id: string;
  site: string;
  status: string;
  acknowledgedBy: string | null;
}

/** The unresolved incidents whose alert carried this ack code (any site), newest first. */
export async function findUnresolvedIncidentsByAckCode(q: Queryable, code: string): Promise<AckCodeMatch[]> {
  const r = await q.query<{ id: string; site: string; status: string; acknowledged_by: string | null }>(
    `SELECT id, site, status, acknowledged_by FROM incidents WHERE ack_code = $1 AND status NOT IN ('resolved', 'archived') ORDER BY opened_at DESC`,
    [code],
  );
  return r.rows.map((x) => ({ id: x.id, site: x.site, status: x.status, acknowledgedBy: x.acknowledged_by }));
}
