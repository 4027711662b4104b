/**
 * Steps 12 and 13 in the store: `access_findings`, `equipment_findings`, `device_audits`, the
 * maintenance rows of `tasks` (kind 'maintenance': this module inserts them, the tasks module owns
 * the rest of that table), `device_state.down_since`, and the reads of badge and device events in
 * a window. Every write is idempotent: deterministic ids with ON CONFLICT.
 */
import type { AccessFinding, BadgeEvent } from '../domain/access-review.js';
import type { DeviceEventLite, DeviceStateRow, InitialState } from '../domain/equipment-audit.js';
import type { Queryable } from './db.js';

// ---------------------------------------------------------------------------------------------
// Reads for the reviews

/** The incident facts the reviews need. */
export interface IncidentForReview {
  id: string;
  site: string;
  zones: string[];
  status: string;
  firstEventAt: Date;
  lastEventAt: Date;
  resolvedAt: Date | null;
  /** Touched assets as the assessment stored them (incidents.assets.touched). */
  assets: { id: string; zone: string; highRisk?: boolean; highRiskReasons?: string[] }[];
}

/** An incident as the reviews read it, or undefined. */
export async function incidentForReview(q: Queryable, id: string): Promise<IncidentForReview | undefined> {
  const r = await q.query<{ id: string; site: string; zone: string | null; zones: string[]; status: string; first_event_at: Date; last_event_at: Date; resolved_at: Date | null; assets: unknown }>(
    `SELECT id, site, zone, zones, status, first_event_at, last_event_at, resolved_at, assets FROM incidents WHERE id = $1`,
    [id],
  );
  const row = r.rows[0];
  if (!row) return undefined;
  const stored = row.assets as { touched?: IncidentForReview['assets'] } | unknown[] | null;
  const zones = row.zones?.length ? row.zones : row.zone ? [row.zone] : [];
  return {
    id: row.id,
    site: row.site,
    zones,
    status: row.status,
    firstEventAt: row.first_event_at,
    lastEventAt: row.last_event_at,
    resolvedAt: row.resolved_at,
    assets: stored && !Array.isArray(stored) ? (stored.touched ?? []) : [],
  };
}

interface EventRow {
  seq: number;
  type: string;
  occurred_at: Date;
  site: string;
  zone: string | null;
  device: string | null;
  badge: string | null;
  details: Record<string, unknown> | null;
}

const toBadgeEvent = (r: EventRow): BadgeEvent => ({ seq: Number(r.seq), type: r.type, at: r.occurred_at.getTime(), site: r.site, zone: r.zone, device: r.device, badge: r.badge, details: r.details ?? {} });

/**
 * Access-control events in [from, to] of a site (of the given zones when `zones` is set), plus
 * every access-control event in the window of the badges seen there, at any site or zone (so travel
 * and passback look at the badge's whole path). Time order.
 */
export async function badgeEventsInWindow(q: Queryable, p: { site: string; zones?: readonly string[]; from: Date; to: Date }): Promise<BadgeEvent[]> {
  const local = await q.query<EventRow>(
    `SELECT seq, type, occurred_at, site, zone, device, badge, details FROM events
      WHERE site = $1 AND occurred_at >= $2 AND occurred_at <= $3 AND source = 'access_control' ${p.zones ? 'AND zone = ANY($4::text[])' : ''}
      ORDER BY occurred_at, seq`,
    p.zones ? [p.site, p.from, p.to, p.zones] : [p.site, p.from, p.to],
  );
  const badges = [...new Set(local.rows.map((r) => r.badge).filter((b): b is string => b !== null))];
  if (badges.length === 0 || !p.zones) return local.rows.map(toBadgeEvent);
  const more = await q.query<EventRow>(
    `SELECT seq, type, occurred_at, site, zone, device, badge, details FROM events
      WHERE occurred_at >= $1 AND occurred_at <= $2 AND source = 'access_control' AND badge = ANY($3::text[])
        AND NOT (site = $4 AND coalesce(zone = ANY($5::text[]), false))
      ORDER BY occurred_at, seq`,
    [p.from, p.to, badges, p.site, p.zones],
  );
  return [...local.rows, ...more.rows].map(toBadgeEvent).sort((a, b) => a.at - b.at || a.seq - b.seq);
}

/** Access-control events of every site in [from, to) (the daily review), time order. */
export async function badgeEventsOfPeriod(q: Queryable, from: Date, to: Date): Promise<BadgeEvent[]> {
  const r = await q.query<EventRow>(
    `SELECT seq, type, occurred_at, site, zone, device, badge, details FROM events
      WHERE occurred_at >= $1 AND occurred_at < $2 AND source = 'access_control' ORDER BY occurred_at, seq`,
    [from, to],
  );
  return r.rows.map(toBadgeEvent);
}

/** Device events (device.*, cctv.camera_tamper) of the given devices in [from, to]. */
export async function deviceEventsInWindow(q: Queryable, p: { site: string; devices: readonly string[]; from: Date; to: Date }): Promise<Map<string, DeviceEventLite[]>> {
  const out = new Map<string, DeviceEventLite[]>();
  if (p.devices.length === 0) return out;
  const r = await q.query<{ seq: number; source: string; type: string; device: string; occurred_at: Date }>(
    `SELECT seq, source, type, device, occurred_at FROM events
      WHERE site = $1 AND occurred_at >= $2 AND occurred_at <= $3 AND device = ANY($4::text[])
        AND (source = 'device' OR (source = 'cctv' AND type = 'camera_tamper'))
      ORDER BY occurred_at, seq`,
    [p.site, p.from, p.to, p.devices],
  );
  for (const e of r.rows) out.set(e.device, [...(out.get(e.device) ?? []), { seq: Number(e.seq), source: e.source, type: e.type, at: e.occurred_at.getTime() }]);
  return out;
}

/**
 * Each device's state just before `before`, from its latest device events since `since`: online
 * (offline / online / heartbeat), recording (recording_off / recording_on) and the last time heard.
 */
export async function deviceStatesBefore(q: Queryable, p: { site: string; devices: readonly string[]; since: Date; before: Date }): Promise<Map<string, InitialState>> {
  const out = new Map<string, InitialState>();
  if (p.devices.length === 0) return out;
  const r = await q.query<{ device: string; k: string; type: string; occurred_at: Date }>(
    `SELECT DISTINCT ON (device, k) device, k, type, occurred_at FROM (
       SELECT device, occurred_at, type,
              CASE WHEN type IN ('offline', 'online', 'heartbeat') THEN 'o' WHEN type IN ('recording_on', 'recording_off') THEN 'r' ELSE 's' END AS k
         FROM events WHERE site = $1 AND source = 'device' AND device = ANY($2::text[]) AND occurred_at >= $3 AND occurred_at < $4) x
      ORDER BY device, k, occurred_at DESC`,
    [p.site, p.devices, p.since, p.before],
  );
  for (const row of r.rows) {
    const s = out.get(row.device) ?? { online: null, recording: null, lastSeenAt: null };
    const at = row.occurred_at.getTime();
    s.lastSeenAt = Math.max(s.lastSeenAt ?? 0, at);
    if (row.k === 'o') s.online = row.type !== 'offline';
    if (row.k === 'r') s.recording = row.type === 'recording_on';
    out.set(row.device, s);
  }
  return out;
}

/** Current device_state rows of the sites (every site when `sites` is undefined). */
export async function currentDeviceStates(q: Queryable, sites?: readonly string[]): Promise<Map<string, DeviceStateRow & { site: string; downSince: Date | null }>> {
  const r = await q.query<{ id: string; site: string; online: boolean; recording: boolean; last_seen_at: Date | null; down_since: Date | null }>(
    `SELECT id, site, online, recording, last_seen_at, down_since FROM device_state ${sites ? 'WHERE site = ANY($1::text[])' : ''}`,
    sites ? [sites] : [],
  );
  return new Map(r.rows.map((x) => [x.id, { id: x.id, site: x.site, online: x.online, recording: x.recording, lastSeenAt: x.last_seen_at?.getTime() ?? null, downSince: x.down_since }]));
}

/** The latest camera_tamper event per device of the sites since `since`. */
export async function latestTampers(q: Queryable, sites: readonly string[], since: Date): Promise<Map<string, number>> {
  const r = await q.query<{ device: string; at: Date }>(
    `SELECT device, max(occurred_at) AS at FROM events WHERE site = ANY($1::text[]) AND occurred_at >= $2 AND source = 'cctv' AND type = 'camera_tamper' AND device IS NOT NULL GROUP BY device`,
    [sites, since],
  );
  return new Map(r.rows.map((x) => [x.device, x.at.getTime()]));
}

/** Devices that reported before, are online by their state, and have been silent since before `cutoff`. */
export async function silentDevices(q: Queryable, cutoff: Date, limit = 500): Promise<{ id: string; site: string; lastSeenAt: Date }[]> {
  const r = await q.query<{ id: string; site: string; last_seen_at: Date }>(
    `SELECT id, site, last_seen_at FROM device_state WHERE online AND last_seen_at < $1 ORDER BY last_seen_at LIMIT $2`,
    [cutoff, limit],
  );
  return r.rows.map((x) => ({ id: x.id, site: x.site, lastSeenAt: x.last_seen_at }));
}

/**
 * Keeps device_state.down_since: the start of the current outage (the state's last change when it
 * was first seen down), cleared once the device is online and recording again. Returns the
 * devices down now with that start.
 */
export async function markDownSince(tx: Queryable): Promise<{ id: string; site: string; online: boolean; recording: boolean; downSince: Date }[]> {
  await tx.query(`UPDATE device_state SET down_since = NULL WHERE down_since IS NOT NULL AND online AND recording`);
  await tx.query(`UPDATE device_state SET down_since = coalesce(changed_at, last_seen_at, updated_at) WHERE down_since IS NULL AND (NOT online OR NOT recording)`);
  const r = await tx.query<{ id: string; site: string; online: boolean; recording: boolean; down_since: Date }>(
    `SELECT id, site, online, recording, down_since FROM device_state WHERE (NOT online OR NOT recording) AND down_since IS NOT NULL ORDER BY id`,
  );
  return r.rows.map((x) => ({ id: x.id, site: x.site, online: x.online, recording: x.recording, downSince: x.down_since }));
}

// ---------------------------------------------------------------------------------------------
// Access findings

/** An access finding as stored and shown (GET incident `accessFindings`, GET access-findings). */
export interface AccessFindingView extends AccessFinding {
  incidentId: string | null;
  foundAt: string;
}

/** Findings written by one statement at most (upsertAccessFindings). */
export const FINDINGS_PER_STATEMENT = 500;

/**
 * Stores findings (deterministic ids). A finding already stored keeps its id, incident and
 * found_at; its evidence, summary and details follow a re-review that saw more events. Returns
 * the ids that were new.
 */
export async function upsertAccessFindings(tx: Queryable, incidentId: string | null, findings: readonly AccessFinding[], foundAt: Date): Promise<string[]> {
  const added: string[] = [];
  // In statements of at most FINDINGS_PER_STATEMENT: a statement's JSON parameter and its result
  // are built whole, in the heap and in the store (10,000 findings in one took 60 MiB, 680 ms).
  for (let i = 0; i < findings.length; i += FINDINGS_PER_STATEMENT) {
    const r = await tx.query<{ id: string; inserted: boolean }>(
      `INSERT INTO access_findings (id, incident_id, site, rule, badge, person, zone, at, severity, summary, evidence, details, found_at)
       SELECT f.id, $2, f.site, f.rule, f.badge, f.person, f.zone, f.at, f.severity, f.summary,
              ARRAY(SELECT jsonb_array_elements_text(f.evidence)::bigint), f.details, $3
         FROM jsonb_to_recordset($1::jsonb) AS f(id text, site text, rule text, badge text, person text, zone text, at timestamptz, severity text, summary text, evidence jsonb, details jsonb)
       ON CONFLICT (id) DO UPDATE SET evidence = EXCLUDED.evidence, summary = EXCLUDED.summary, details = EXCLUDED.details, severity = EXCLUDED.severity
         WHERE access_findings.evidence IS DISTINCT FROM EXCLUDED.evidence OR access_findings.details IS DISTINCT FROM EXCLUDED.details
       RETURNING id, (xmax = 0) AS inserted`,
      [JSON.stringify(findings.slice(i, i + FINDINGS_PER_STATEMENT)), incidentId, foundAt],
    );
    for (const x of r.rows) if (x.inserted) added.push(x.id);
  }
  return added;
}

interface AccessFindingRow {
  id: string;
  incident_id: string | null;
  site: string;
  rule: string;
  badge: string | null;
  person: string | null;
  zone: string | null;
  at: Date;
  severity: string;
  summary: string;
  evidence: (number | string)[];
  details: Record<string, unknown>;
  found_at: Date;
}

const ACCESS_COLUMNS = `id, incident_id, site, rule, badge, person, zone, at, severity, summary, evidence, details, found_at`;

const toAccessView = (r: AccessFindingRow): AccessFindingView => ({
  id: r.id,
  incidentId: r.incident_id,
  site: r.site,
  rule: r.rule as AccessFinding['rule'],
  badge: r.badge,
  person: r.person,
  zone: r.zone,
  at: r.at.toISOString(),
  severity: r.severity as AccessFinding['severity'],
  summary: r.summary,
  evidence: (r.evidence ?? []).map(Number),
  details: r.details ?? {},
  foundAt: r.found_at.toISOString(),
});

/** The access findings of an incident, in time order. */
export async function accessFindingsOfIncident(q: Queryable, incidentId: string): Promise<AccessFindingView[]> {
  const r = await q.query<AccessFindingRow>(`SELECT ${ACCESS_COLUMNS} FROM access_findings WHERE incident_id = $1 ORDER BY at, id`, [incidentId]);
  return r.rows.map(toAccessView);
}

/** Access findings of sites in [from, to) by `at`, newest first, keyset-paginated on (at, id). */
export async function listAccessFindings(
  q: Queryable,
  f: { sites?: readonly string[]; from?: Date; to?: Date; rules?: readonly string[]; incident?: string; limit: number; after?: [string, string] },
): Promise<{ rows: (AccessFindingView & { cursorAt: string })[]; more: boolean }> {
  const where: string[] = [];
  const params: unknown[] = [];
  const p = (v: unknown) => `$${params.push(v)}`;
  if (f.sites) where.push(`site = ANY(${p(f.sites)}::text[])`);
  if (f.from) where.push(`at >= ${p(f.from)}`);
  if (f.to) where.push(`at < ${p(f.to)}`);
  if (f.rules) where.push(`rule = ANY(${p(f.rules)}::text[])`);
  if (f.incident) where.push(`incident_id = ${p(f.incident)}`);
  if (f.after) where.push(`(at, id) < (${p(f.after[0])}::timestamptz, ${p(f.after[1])}::text)`);
  const r = await q.query<AccessFindingRow & { cursor_at: string }>(
    `SELECT ${ACCESS_COLUMNS}, to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at FROM access_findings
      ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY at DESC, id DESC LIMIT ${p(f.limit + 1)}`,
    params,
  );
  const more = r.rows.length > f.limit;
  return { rows: r.rows.slice(0, f.limit).map((x) => ({ ...toAccessView(x), cursorAt: x.cursor_at })), more };
}

/** `rule:anchor` of the findings incident reviews recorded at sites in [from, to) (the daily review skips those). */
export async function incidentAccessFindingKeys(q: Queryable, from: Date, to: Date): Promise<Set<string>> {
  const r = await q.query<{ rule: string; anchor: string | null }>(
    `SELECT rule, details->>'anchor' AS anchor FROM access_findings WHERE incident_id IS NOT NULL AND at >= $1 AND at < $2`,
    [from, to],
  );
  return new Set(r.rows.map((x) => `${x.rule}:${x.anchor ?? ''}`));
}

// ---------------------------------------------------------------------------------------------
// Equipment findings, audits, maintenance tasks

/** An equipment finding (equipment_findings row). */
export interface EquipmentFinding {
  id: string;
  incidentId: string | null;
  site: string;
  deviceId: string | null;
  /** covering_ok | offline | not_recording | stale | tampered | blind_spot | unknown */
  finding: string;
  summary: string;
  details: Record<string, unknown>;
  foundAt: string;
}

/** Stores equipment findings; a re-run of the same check replaces summary and details. Returns the new ids. */
export async function upsertEquipmentFindings(tx: Queryable, findings: readonly Omit<EquipmentFinding, 'foundAt'>[], foundAt: Date): Promise<string[]> {
  if (findings.length === 0) return [];
  const r = await tx.query<{ id: string; inserted: boolean }>(
    `INSERT INTO equipment_findings (id, incident_id, site, device_id, finding, summary, details, found_at)
     SELECT f.id, f."incidentId", f.site, f."deviceId", f.finding, f.summary, f.details, $2
       FROM jsonb_to_recordset($1::jsonb) AS f(id text, "incidentId" text, site text, "deviceId" text, finding text, summary text, details jsonb)
     ON CONFLICT (id) DO UPDATE SET finding = EXCLUDED.finding, summary = EXCLUDED.summary, details = EXCLUDED.details
       WHERE equipment_findings.details IS DISTINCT FROM EXCLUDED.details OR equipment_findings.finding IS DISTINCT FROM EXCLUDED.finding
     RETURNING id, (xmax = 0) AS inserted`,
    [JSON.stringify(findings), foundAt],
  );
  return r.rows.filter((x) => x.inserted).map((x) => x.id);
}

interface EquipmentRow {
  id: string;
  incident_id: string | null;
  site: string;
  device_id: string | null;
  finding: string;
  summary: string;
  details: Record<string, unknown>;
  found_at: Date;
}
const toEquipmentView = (r: EquipmentRow): EquipmentFinding => ({ id: r.id, incidentId: r.incident_id, site: r.site, deviceId: r.device_id, finding: r.finding, summary: r.summary, details: r.details ?? {}, foundAt: r.found_at.toISOString() });

/** The equipment findings of an incident: devices (cameras first), then blind spots. */
export async function equipmentFindingsOfIncident(q: Queryable, incidentId: string): Promise<EquipmentFinding[]> {
  const r = await q.query<EquipmentRow>(
    `SELECT id, incident_id, site, device_id, finding, summary, details, found_at FROM equipment_findings WHERE incident_id = $1
      ORDER BY (finding = 'blind_spot'), (details->>'kind' = 'camera') DESC, device_id, id`,
    [incidentId],
  );
  return r.rows.map(toEquipmentView);
}

/** Records an audit of a site (one per site and instant). */
export async function insertDeviceAudit(tx: Queryable, site: string, at: Date, result: unknown): Promise<void> {
  await tx.query(`INSERT INTO device_audits (site, at, result) VALUES ($1, $2, $3) ON CONFLICT (site, at) DO NOTHING`, [site, at, JSON.stringify(result)]);
}

/** The latest stored audit of a site, if any. */
export async function latestDeviceAudit(q: Queryable, site: string): Promise<{ at: Date; result: unknown } | undefined> {
  const r = await q.query<{ at: Date; result: unknown }>(`SELECT at, result FROM device_audits WHERE site = $1 ORDER BY at DESC LIMIT 1`, [site]);
  return r.rows[0];
}

/** A maintenance task for a device outage. */
export interface NewMaintenanceTask {
  id: string;
  site: string;
  deviceId: string;
  title: string;
  dueAt: Date;
  checklist: unknown[];
}

/** Opens maintenance tasks (tasks.kind = 'maintenance') unless their id exists; returns the ids opened. */
export async function insertMaintenanceTasks(tx: Queryable, tasks: readonly NewMaintenanceTask[], now: Date): Promise<string[]> {
  if (tasks.length === 0) return [];
  const r = await tx.query<{ id: string }>(
    `INSERT INTO tasks (id, kind, incident_id, site, device_id, title, status, due_at, checklist, created_at, updated_at)
     SELECT t.id, 'maintenance', NULL, t.site, t."deviceId", t.title, 'open', t."dueAt", t.checklist, $2, $2
       FROM jsonb_to_recordset($1::jsonb) AS t(id text, site text, "deviceId" text, title text, "dueAt" timestamptz, checklist jsonb)
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [JSON.stringify(tasks), now],
  );
  return r.rows.map((x) => x.id);
}

/** Maintenance tasks of a site's devices that are not done (the audit lists them). */
export async function openMaintenanceTasks(q: Queryable, site: string): Promise<{ id: string; deviceId: string; title: string; status: string; createdAt: string; dueAt: string | null }[]> {
  const r = await q.query<{ id: string; device_id: string; title: string; status: string; created_at: Date; due_at: Date | null }>(
    `SELECT id, device_id, title, status, created_at, due_at FROM tasks WHERE kind = 'maintenance' AND site = $1 AND status <> 'done' ORDER BY created_at, id`,
    [site],
  );
  return r.rows.map((x) => ({ id: x.id, deviceId: x.device_id, title: x.title, status: x.status, createdAt: x.created_at.toISOString(), dueAt: x.due_at?.toISOString() ?? null }));
}
