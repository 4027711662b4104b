/**
 * The `patrols` table: response patrols (a guard sent to an incident) and checkpoint patrols (a
 * route planned for the next shift through a zone with repeated incidents). The lifecycle table in
 * domain/patrol-lifecycle.ts decides which status comes next; this module only writes it.
 */
import type { PatrolStatus } from '../domain/patrol-lifecycle.js';
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

/** What a lifecycle change or a timeout needs to know of a patrol. */
export interface PatrolState {
  id: string;
  status: string;
  site: string;
  guardId: string | null;
  incidentId: string | null;
  attempt: number;
}

/** Reads a patrol and locks its row until the transaction ends; undefined when there is no such patrol. */
export async function lockPatrol(tx: Queryable, id: string): Promise<PatrolState | undefined> {
  const r = await tx.query<{ id: string; status: string; site: string; guard_id: string | null; incident_id: string | null; attempt: number }>(
    `SELECT id, status, site, guard_id, incident_id, attempt FROM patrols WHERE id = $1 FOR UPDATE`,
    [id],
  );
  const p = r.rows[0];
  return p ? { id: p.id, status: p.status, site: p.site, guardId: p.guard_id, incidentId: p.incident_id, attempt: Number(p.attempt) } : undefined;
}

/** Sets a patrol's status (the lifecycle table decided it). */
export async function setPatrolStatus(tx: Queryable, id: string, status: PatrolStatus): Promise<void> {
  await tx.query(`UPDATE patrols SET status = $2, updated_at = now() WHERE id = $1`, [id, status]);
}

/** An incident's response patrols still under way (assigned, acknowledged, en route or on site). */
export async function responsePatrolsUnderWay(tx: Queryable, incidentId: string): Promise<{ id: string; status: string; guardId: string | null }[]> {
  const r = await tx.query<{ id: string; status: string; guard_id: string | null }>(
    `SELECT id, status, guard_id FROM patrols WHERE incident_id = $1 AND kind = 'response' AND status IN ('assigned', 'acknowledged', 'en_route', 'on_site') ORDER BY id FOR UPDATE`,
    [incidentId],
  );
  return r.rows.map((p) => ({ id: p.id, status: p.status, guardId: p.guard_id }));
}

/** The guards an incident's patrols were given to so far. */
export async function guardsTriedFor(tx: Queryable, incidentId: string): Promise<string[]> {
  const r = await tx.query<{ guard_id: string }>(`SELECT DISTINCT guard_id FROM patrols WHERE incident_id = $1 AND guard_id IS NOT NULL`, [incidentId]);
  return r.rows.map((x) => x.guard_id);
}

// Lifecycle (API)

/** The stages a guard reports, with the column that records when each was reached. */
const STAGE_COLUMN = {
  acknowledged: 'acknowledged_at',
  en_route: 'en_route_at',
  on_site: 'on_site_at',
  completed: 'completed_at',
} as const satisfies Partial<Record<PatrolStatus, string>>;

/** A stage a guard reports (a patrol status with a timestamp column of its own). */
export type PatrolStage = keyof typeof STAGE_COLUMN;

/**
 * Moves a patrol to a reported stage at `at`: records the time of that stage, clears the
 * acknowledgement deadline, and records an acknowledgement too when a later stage is reported
 * first (reaching a later stage implies the guard acknowledged).
 */
export async function recordPatrolStage(tx: Queryable, id: string, stage: PatrolStage, at: Date): Promise<void> {
  const column = STAGE_COLUMN[stage];
  const ack = column === 'acknowledged_at' ? '' : ', acknowledged_at = coalesce(acknowledged_at, $3)';
  await tx.query(`UPDATE patrols SET status = $2, ${column} = $3, ack_deadline = NULL${ack}, updated_at = now() WHERE id = $1`, [id, stage, at]);
}

/** The assigned patrol of the guard with this phone number whose id ends in `code` (an SMS reply "ACK <code>"). */
export async function findAssignedPatrolByAckCode(q: Queryable, phone: string, code: string): Promise<{ id: string; guardId: string; site: string } | undefined> {
  const r = await q.query<{ id: string; guard_id: string; site: string }>(
    `SELECT p.id, p.guard_id, p.site FROM patrols p JOIN guards g ON g.id = p.guard_id WHERE p.status = 'assigned' AND g.phone = $1 AND right(p.id, 6) = $2`,
    [phone, code],
  );
  const p = r.rows[0];
  return p ? { id: p.id, guardId: p.guard_id, site: p.site } : undefined;
}

/**
 * The patrol under way (assigned, acknowledged, en route or on site) of the guard with this phone
 * number whose id ends in `code`: an SMS reply "ENROUTE <code>", "ONSITE <code>", "DONE <code>".
 */
export async function findActivePatrolByCode(q: Queryable, phone: string, code: string): Promise<{ id: string; guardId: string; site: string; status: string } | undefined> {
  const r = await q.query<{ id: string; guard_id: string; site: string; status: string }>(
    `SELECT p.id, p.guard_id, p.site, p.status FROM patrols p JOIN guards g ON g.id = p.guard_id
     WHERE p.status IN ('assigned', 'acknowledged', 'en_route', 'on_site') AND g.phone = $1 AND right(p.id, 6) = $2
     ORDER BY p.assigned_at DESC LIMIT 1`,
    [phone, code],
  );
  const p = r.rows[0];
  return p ? { id: p.id, guardId: p.guard_id, site: p.site, status: p.status } : undefined;
}
