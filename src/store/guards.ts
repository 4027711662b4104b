/**
 * Named write operations on guards' live state (configuration says who they are; position,
 * shift and status are live).
 */
import type { Queryable } from './db.js';

// Lifecycle (API)

/** Frees a guard whose patrol completed (assigned -> available; any other status is left alone). */
export async function releaseGuard(q: Queryable, guardId: string): Promise<void> {
  await q.query(`UPDATE guards SET status = 'available', updated_at = now() WHERE id = $1 AND status = 'assigned'`, [guardId]);
}

/** A change of a guard's live state; fields left out keep their value. */
export interface GuardStateChange {
  position?: readonly [number, number];
  onShift?: boolean;
  status?: 'available' | 'unavailable' | 'off_duty';
}

/** Updates a guard's live position, shift and status (fields left out keep their value). */
export async function updateGuardState(q: Queryable, id: string, c: GuardStateChange): Promise<void> {
  await q.query(
    `UPDATE guards SET position = coalesce($2::jsonb, position), on_shift = coalesce($3, on_shift), status = coalesce($4, status), updated_at = now() WHERE id = $1`,
    [id, c.position ? JSON.stringify(c.position) : null, c.onShift ?? null, c.status ?? null],
  );
}
