/**
 * The `guards` table: each guard's live state (position, availability, status). Identity and
 * shift come from the configuration (syncGuards); the workflow changes the status.
 */
import type { GuardState } from '../domain/guard-dispatch.js';
import type { Queryable } from './db.js';

/** A configured guard as the registry sync writes it. */
export interface GuardRegistryRow {
  id: string;
  site: string;
  name: string;
  phone: string | undefined;
  position: [number, number] | null;
  on_shift: boolean;
  shift: unknown;
}

/** Copies configured guards into the store; live position, availability and status are kept. */
export async function syncGuards(q: Queryable, guards: readonly GuardRegistryRow[]): Promise<void> {
  if (guards.length === 0) return;
  await q.query(
    `INSERT INTO guards (id, site, name, phone, position, on_shift, shift)
     SELECT id, site, name, phone, position, on_shift, shift
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, site text, name text, phone text, position jsonb, on_shift boolean, shift jsonb)
     ON CONFLICT (id) DO UPDATE SET site = EXCLUDED.site, name = EXCLUDED.name, phone = EXCLUDED.phone, shift = EXCLUDED.shift,
       position = coalesce(guards.position, EXCLUDED.position), updated_at = now()`,
    [JSON.stringify(guards)],
  );
}

/** A site's guards as the dispatcher sees them, locked for the transaction. */
export async function lockSiteGuards(tx: Queryable, site: string): Promise<GuardState[]> {
  const r = await tx.query<{ id: string; name: string; position: [number, number] | null; on_shift: boolean; status: GuardState['status']; shift: GuardState['shift'] | null }>(
    `SELECT id, name, position, on_shift, status, shift FROM guards WHERE site = $1 ORDER BY id FOR UPDATE`,
    [site],
  );
  return r.rows.map((g) => ({ id: g.id, name: g.name, onShift: g.on_shift, status: g.status, ...(g.position ? { position: g.position } : {}), ...(g.shift ? { shift: g.shift } : {}) }));
}

/** Marks a guard assigned to a patrol. */
export async function markGuardAssigned(tx: Queryable, id: string): Promise<void> {
  await tx.query(`UPDATE guards SET status = 'assigned', updated_at = now() WHERE id = $1`, [id]);
}

// Lifecycle (API)

/** Makes an assigned guard available again (a patrol completed, or its guard did not acknowledge); any other status is left alone. */
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
