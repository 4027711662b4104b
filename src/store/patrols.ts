/**
 * Named write operations on patrols. The caller owns the transaction and the rules (the lifecycle
 * table in domain/patrol-lifecycle.ts decides which status comes next, this module only writes it).
 */
import type { PatrolStatus } from '../domain/patrol-lifecycle.js';
import type { Queryable } from './db.js';

// Lifecycle (API)

/** What a lifecycle change needs to know of a patrol. */
export interface PatrolState {
  status: string;
  site: string;
  guardId: string | null;
  incidentId: string | null;
}

/** Reads a patrol and locks its row until the transaction ends; undefined when there is no such patrol. */
export async function lockPatrol(tx: Queryable, id: string): Promise<PatrolState | undefined> {
  const r = await tx.query<{ status: string; site: string; guard_id: string | null; incident_id: string | null }>(
    `SELECT status, site, guard_id, incident_id FROM patrols WHERE id = $1 FOR UPDATE`,
    [id],
  );
  const p = r.rows[0];
  return p ? { status: p.status, site: p.site, guardId: p.guard_id, incidentId: p.incident_id } : undefined;
}

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
