/**
 * Read model of guards: who they are and their live position, shift and status.
 */
import type { Queryable } from '../db.js';
import { Where } from '../where.js';
import type { SiteScope } from './page.js';

/** A guard as the API shows it. */
export interface GuardView {
  id: string;
  site: string;
  name: string;
  phone: string;
  position: [number, number] | null;
  onShift: boolean;
  status: string;
  updatedAt: string;
  /** The patrol the guard is on now (assigned, acknowledged, en route or on site), the latest one; null when none. */
  currentPatrol: { id: string; incidentId: string | null; status: string; zone: string | null; etaSeconds: number | null; assignedAt: string } | null;
}

/** Patrol statuses of a guard still on the way or at the place. */
const UNDER_WAY = ['assigned', 'acknowledged', 'en_route', 'on_site'];

/** Guards with their live state. */
export async function listGuards(q: Queryable, f: { site?: string; id?: string }, scope: SiteScope): Promise<GuardView[]> {
  const w = new Where();
  w.eq('id', f.id);
  w.eq('site', f.site);
  w.anyOf('site', scope);
  const r = await q.query<{ id: string; site: string; name: string; phone: string; position: [number, number] | null; on_shift: boolean; status: string; updated_at: Date }>(
    `SELECT id, site, name, phone, position, on_shift, status, updated_at FROM guards ${w.sql()} ORDER BY site, id`,
    w.params,
  );
  const current = new Map<string, GuardView['currentPatrol']>();
  const ids = r.rows.map((g) => g.id);
  if (ids.length > 0) {
    const p = await q.query<{ id: string; guard_id: string; incident_id: string | null; status: string; zone: string | null; eta_seconds: number | null; assigned_at: Date }>(
      `SELECT id, guard_id, incident_id, status, zone, eta_seconds, assigned_at FROM patrols WHERE guard_id = ANY($1::text[]) AND status = ANY($2::text[]) ORDER BY assigned_at DESC, id DESC`,
      [ids, UNDER_WAY],
    );
    for (const x of p.rows) {
      if (!current.has(x.guard_id)) {
        current.set(x.guard_id, { id: x.id, incidentId: x.incident_id, status: x.status, zone: x.zone, etaSeconds: x.eta_seconds === null ? null : Number(x.eta_seconds), assignedAt: x.assigned_at.toISOString() });
      }
    }
  }
  return r.rows.map((g) => ({
    id: g.id,
    site: g.site,
    name: g.name,
    phone: g.phone,
    position: g.position,
    onShift: g.on_shift,
    status: g.status,
    updatedAt: g.updated_at.toISOString(),
    currentPatrol: current.get(g.id) ?? null,
  }));
}
