/**
 * Read model of patrols: guards sent somewhere for a reason, with their lifecycle timestamps.
 */
import type { Queryable } from '../db.js';
import { Where } from '../where.js';
import { iso, type SiteScope } from './page.js';

/** A patrol as the API shows it. */
export interface PatrolView {
  id: string;
  incidentId: string | null;
  site: string;
  kind: string;
  guardId: string | null;
  zone: string | null;
  target: [number, number] | null;
  route: unknown;
  assets: string[];
  reason: string;
  status: string;
  metres: number | null;
  etaSeconds: number | null;
  attempt: number;
  ackDeadline: string | null;
  scheduledFor: string | null;
  assignedAt: string;
  acknowledgedAt: string | null;
  enRouteAt: string | null;
  onSiteAt: string | null;
  completedAt: string | null;
}

/** Patrols, newest first. */
export async function listPatrols(q: Queryable, f: { site?: string; status?: string; incident?: string; id?: string; limit?: number }, scope: SiteScope): Promise<PatrolView[]> {
  const w = new Where();
  w.eq('id', f.id);
  w.eq('site', f.site);
  w.eq('status', f.status);
  w.eq('incident_id', f.incident);
  w.anyOf('site', scope);
  const r = await q.query<{
    id: string; incident_id: string | null; site: string; kind: string; guard_id: string | null; zone: string | null; target: [number, number] | null; route: unknown;
    assets: string[]; reason: string; status: string; metres: number | null; eta_seconds: number | null; attempt: number; ack_deadline: Date | null; scheduled_for: Date | null;
    assigned_at: Date; acknowledged_at: Date | null; en_route_at: Date | null; on_site_at: Date | null; completed_at: Date | null;
  }>(`SELECT * FROM patrols ${w.sql()} ORDER BY assigned_at DESC, id DESC LIMIT ${Math.min(Math.max(f.limit ?? 200, 1), 1000)}`, w.params);
  return r.rows.map((x) => ({
    id: x.id,
    incidentId: x.incident_id,
    site: x.site,
    kind: x.kind,
    guardId: x.guard_id,
    zone: x.zone,
    target: x.target,
    route: x.route,
    assets: x.assets,
    reason: x.reason,
    status: x.status,
    metres: x.metres === null ? null : Math.round(Number(x.metres) * 10) / 10,
    etaSeconds: x.eta_seconds === null ? null : Number(x.eta_seconds),
    attempt: Number(x.attempt),
    ackDeadline: iso(x.ack_deadline),
    scheduledFor: iso(x.scheduled_for),
    assignedAt: x.assigned_at.toISOString(),
    acknowledgedAt: iso(x.acknowledged_at),
    enRouteAt: iso(x.en_route_at),
    onSiteAt: iso(x.on_site_at),
    completedAt: iso(x.completed_at),
  }));
}
