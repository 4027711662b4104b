/**
 * The `patrols` table: response patrols (a guard sent to an incident) and checkpoint patrols (a
 * route planned for the next shift through a zone with repeated incidents).
 */
import type { Queryable } from './db.js';

/** A response patrol as step 7 and the response monitor create it. */
export interface NewResponsePatrol {
  id: string;
  incidentId: string;
  site: string;
  guardId: string;
  zone: string | null;
  target: [number, number];
  assets: string[];
  reason: string;
  metres: number | null;
  etaSeconds: number;
  attempt: number;
  ackDeadline: Date;
  assignedAt: Date;
}

/** Inserts a response patrol, assigned. */
export async function insertResponsePatrol(tx: Queryable, p: NewResponsePatrol): Promise<void> {
  await tx.query(
    `INSERT INTO patrols (id, incident_id, site, kind, guard_id, zone, target, assets, reason, status, metres, eta_seconds, attempt, ack_deadline, assigned_at)
     VALUES ($1, $2, $3, 'response', $4, $5, $6, $7, $8, 'assigned', $9, $10, $11, $12, $13)`,
    [p.id, p.incidentId, p.site, p.guardId, p.zone, JSON.stringify(p.target), JSON.stringify(p.assets), p.reason, p.metres, p.etaSeconds, p.attempt, p.ackDeadline, p.assignedAt],
  );
}

/** The incident's response patrol still in play (not unacknowledged or cancelled), if any. */
export async function activeResponsePatrol(tx: Queryable, incidentId: string): Promise<{ id: string; guard_id: string; status: string } | undefined> {
  const r = await tx.query<{ id: string; guard_id: string; status: string }>(
    `SELECT id, guard_id, status FROM patrols WHERE incident_id = $1 AND kind = 'response' AND status NOT IN ('unacknowledged', 'cancelled') LIMIT 1`,
    [incidentId],
  );
  return r.rows[0];
}

/** Inserts a checkpoint patrol unless one with its id (site, zone, day) exists; true when new. */
export async function insertCheckpointPatrol(
  tx: Queryable,
  p: { id: string; incidentId: string | null; site: string; zone: string; route: unknown; reason: string; assignedAt: Date; scheduledFor: Date },
): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO patrols (id, incident_id, site, kind, zone, route, reason, status, assigned_at, scheduled_for)
     VALUES ($1, $2, $3, 'checkpoint', $4, $5, $6, 'scheduled', $7, $8) ON CONFLICT (id) DO NOTHING RETURNING 1`,
    [p.id, p.incidentId, p.site, p.zone, JSON.stringify(p.route), p.reason, p.assignedAt, p.scheduledFor],
  );
  return r.rows.length > 0;
}

/** Ids of assigned patrols whose acknowledgement deadline passed, oldest first. */
export async function patrolsPastAckDeadline(q: Queryable, now: Date, limit = 50): Promise<string[]> {
  const r = await q.query<{ id: string }>(`SELECT id FROM patrols WHERE status = 'assigned' AND ack_deadline < $1 ORDER BY ack_deadline LIMIT $2`, [now, limit]);
  return r.rows.map((x) => x.id);
}

/** A patrol locked for the transaction. */
export async function lockPatrol(tx: Queryable, id: string): Promise<{ id: string; incident_id: string | null; guard_id: string; attempt: number; status: string } | undefined> {
  const r = await tx.query<{ id: string; incident_id: string | null; guard_id: string; attempt: number; status: string }>(
    `SELECT id, incident_id, guard_id, attempt, status FROM patrols WHERE id = $1 FOR UPDATE`,
    [id],
  );
  return r.rows[0];
}

/** Marks a patrol unacknowledged (its guard did not answer in time). */
export async function markPatrolUnacknowledged(tx: Queryable, id: string): Promise<void> {
  await tx.query(`UPDATE patrols SET status = 'unacknowledged', updated_at = now() WHERE id = $1`, [id]);
}

/** The guards an incident's patrols were given to so far. */
export async function guardsTriedFor(tx: Queryable, incidentId: string): Promise<string[]> {
  const r = await tx.query<{ guard_id: string }>(`SELECT DISTINCT guard_id FROM patrols WHERE incident_id = $1 AND guard_id IS NOT NULL`, [incidentId]);
  return r.rows.map((x) => x.guard_id);
}
