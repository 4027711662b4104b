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
}

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
  return r.rows.map((g) => ({ id: g.id, site: g.site, name: g.name, phone: g.phone, position: g.position, onShift: g.on_shift, status: g.status, updatedAt: g.updated_at.toISOString() }));
}
