/**
 * The archive (archive_records, legal_holds) and the reads that gather an incident's whole case
 * for its archive record. Archive records and legal holds are append-only: the database refuses
 * UPDATE, DELETE and TRUNCATE (migration 0015). Nothing here ever deletes anything.
 *
 * The case is read table by table with `to_jsonb(row)`, so a column a later migration adds is in
 * the record without a change here; money columns are read as decimal text (exact).
 */
import type { Queryable } from './db.js';
import { CURSOR_AT_SQL, decodeCursor, encodeCursor, scopeSites, type Page, type SiteScope } from './read/page.js';
import { Where } from './where.js';

/** What an incident's archive record is built from: the rows of every table that names it. */
export interface CaseRows {
  incident: Record<string, unknown>;
  events: unknown[];
  scores: unknown[];
  assets: unknown[];
  workflow: unknown[];
  reportVersions: unknown[];
  tasks: unknown[];
  taskComments: unknown[];
  notes: unknown[];
  notifications: unknown[];
  notificationAttempts: unknown[];
  patrols: unknown[];
  accessFindings: unknown[];
  equipmentFindings: unknown[];
  assetStatusChanges: unknown[];
  riskHistory: unknown[];
}

const rowsOf = async (q: Queryable, sql: string, params: unknown[]): Promise<unknown[]> => (await q.query<{ row: unknown }>(sql, params)).rows.map((r) => r.row);

/**
 * Every row of the case of incident `id` (undefined when there is no such incident). Times are
 * written in UTC (the transaction's time zone is set to UTC for these reads).
 */
export async function readCase(tx: Queryable, id: string): Promise<CaseRows | undefined> {
  await tx.query(`SET LOCAL TIME ZONE 'UTC'`);
  const inc = await rowsOf(tx, `SELECT to_jsonb(i) || jsonb_build_object('net_loss', i.net_loss::text) AS row FROM incidents i WHERE i.id = $1`, [id]);
  if (inc.length === 0) return undefined;
  const p = [id];
  return {
    incident: inc[0] as Record<string, unknown>,
    events: await rowsOf(tx, `SELECT to_jsonb(e) || jsonb_build_object('amount', e.amount::text) AS row FROM events e WHERE e.incident_id = $1 ORDER BY e.seq`, p),
    scores: await rowsOf(tx, `SELECT to_jsonb(s) AS row FROM incident_scores s WHERE s.incident_id = $1 ORDER BY s.seq`, p),
    assets: await rowsOf(tx, `SELECT to_jsonb(a) AS row FROM incident_assets a WHERE a.incident_id = $1 ORDER BY a.asset_id`, p),
    workflow: await rowsOf(tx, `SELECT to_jsonb(w) - 'locked_until' - 'locked_by' AS row FROM workflow_steps w WHERE w.incident_id = $1 ORDER BY w.ord`, p),
    reportVersions: await rowsOf(tx, `SELECT to_jsonb(r) AS row FROM report_versions r WHERE r.incident_id = $1 ORDER BY r.version`, p),
    tasks: await rowsOf(tx, `SELECT to_jsonb(t) AS row FROM tasks t WHERE t.incident_id = $1 ORDER BY t.created_at, t.id`, p),
    taskComments: await rowsOf(tx, `SELECT to_jsonb(c) AS row FROM task_comments c JOIN tasks t ON t.id = c.task_id WHERE t.incident_id = $1 ORDER BY c.task_id, c.seq`, p),
    notes: await rowsOf(tx, `SELECT to_jsonb(n) AS row FROM incident_notes n WHERE n.incident_id = $1 ORDER BY n.seq`, p),
    notifications: await rowsOf(tx, `SELECT to_jsonb(n) AS row FROM notifications n WHERE n.incident_id = $1 ORDER BY n.created_at, n.id`, p),
    notificationAttempts: await rowsOf(
      tx,
      `SELECT to_jsonb(a) AS row FROM notification_attempts a JOIN notifications n ON n.id = a.notification_id WHERE n.incident_id = $1 ORDER BY a.notification_id, a.attempt`,
      p,
    ),
    patrols: await rowsOf(tx, `SELECT to_jsonb(x) AS row FROM patrols x WHERE x.incident_id = $1 ORDER BY x.id`, p),
    accessFindings: await rowsOf(tx, `SELECT to_jsonb(f) AS row FROM access_findings f WHERE f.incident_id = $1 ORDER BY f.at, f.id`, p),
    equipmentFindings: await rowsOf(tx, `SELECT to_jsonb(f) AS row FROM equipment_findings f WHERE f.incident_id = $1 ORDER BY f.found_at, f.id`, p),
    assetStatusChanges: await rowsOf(tx, `SELECT to_jsonb(c) AS row FROM asset_status_changes c WHERE c.incident_id = $1 ORDER BY c.seq`, p),
    riskHistory: await rowsOf(tx, `SELECT to_jsonb(h) AS row FROM risk_history h WHERE h.incident_id = $1 ORDER BY h.seq`, p),
  };
}

/** The lifecycle state the archive step needs, locked for the transaction. */
export async function lockIncidentForArchive(tx: Queryable, id: string): Promise<{ id: string; site: string; status: string; resolved_at: Date | null } | undefined> {
  const r = await tx.query<{ id: string; site: string; status: string; resolved_at: Date | null }>(`SELECT id, site, status, resolved_at FROM incidents WHERE id = $1 FOR UPDATE`, [id]);
  return r.rows[0];
}

/** Moves a resolved incident to `archived` (out of the active views); false when it is not resolved. */
export async function markIncidentArchived(tx: Queryable, id: string, at: Date): Promise<boolean> {
  const r = await tx.query(`UPDATE incidents SET status = 'archived', updated_at = $2, version = version + 1 WHERE id = $1 AND status = 'resolved' RETURNING 1`, [id, at]);
  return r.rows.length > 0;
}

/** Resolved incidents resolved at or before `before`, oldest first. */
export async function resolvedIncidentsDue(q: Queryable, before: Date, limit: number): Promise<{ id: string; site: string; resolved_at: Date }[]> {
  const r = await q.query<{ id: string; site: string; resolved_at: Date }>(
    `SELECT id, site, resolved_at FROM incidents WHERE status = 'resolved' AND resolved_at <= $1 ORDER BY resolved_at, id LIMIT $2`,
    [before, limit],
  );
  return r.rows;
}

/** An archive record as stored. */
export interface ArchiveRow {
  incident_id: string;
  site: string;
  archived_at: Date;
  resolved_at: Date;
  retain_until: Date;
  record: Record<string, unknown>;
  digest: string;
  leaf_index: number;
  search_text: string;
}

/** Stores an archive record; false when the incident was archived already. */
export async function insertArchiveRecord(tx: Queryable, r: ArchiveRow): Promise<boolean> {
  const res = await tx.query(
    `INSERT INTO archive_records (incident_id, site, archived_at, resolved_at, retain_until, record, digest, leaf_index, search_text)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8, $9) ON CONFLICT (incident_id) DO NOTHING RETURNING 1`,
    [r.incident_id, r.site, r.archived_at, r.resolved_at, r.retain_until, JSON.stringify(r.record), r.digest, r.leaf_index, r.search_text],
  );
  return res.rows.length > 0;
}

const ROW_COLUMNS = 'incident_id, site, archived_at, resolved_at, retain_until, record, digest, leaf_index, search_text';
const fix = (r: ArchiveRow): ArchiveRow => ({ ...r, leaf_index: Number(r.leaf_index) });

/** One archive record (with the record), or undefined; out of scope is undefined too. */
export async function getArchiveRecord(q: Queryable, id: string, scope: SiteScope = null): Promise<ArchiveRow | undefined> {
  const r = await q.query<ArchiveRow>(`SELECT ${ROW_COLUMNS} FROM archive_records WHERE incident_id = $1`, [id]);
  const row = r.rows[0];
  if (!row || (scope && !scope.includes(row.site))) return undefined;
  return fix(row);
}

/** Archive records by incident id (verification). */
export async function archiveRecordsByIds(q: Queryable, ids: readonly string[]): Promise<Map<string, ArchiveRow>> {
  const r = await q.query<ArchiveRow>(`SELECT ${ROW_COLUMNS} FROM archive_records WHERE incident_id = ANY($1::text[])`, [ids]);
  return new Map(r.rows.map((x) => [x.incident_id, fix(x)]));
}

/** Archive records whose leaf is not in the log (verification). */
export async function archiveRecordsOutsideLog(q: Queryable, limit: number): Promise<string[]> {
  const r = await q.query<{ incident_id: string }>(
    `SELECT a.incident_id FROM archive_records a WHERE NOT EXISTS (SELECT 1 FROM log_leaves l WHERE l.kind = 'archive' AND l.ref = a.incident_id) ORDER BY a.incident_id LIMIT $1`,
    [limit],
  );
  return r.rows.map((x) => x.incident_id);
}

/** How many archive records there are. */
export async function countArchiveRecords(q: Queryable): Promise<number> {
  return Number((await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM archive_records`)).rows[0].n);
}

/** A line of the archive list. */
export interface ArchiveSummaryRow {
  incident_id: string;
  site: string;
  archived_at: Date;
  resolved_at: Date;
  retain_until: Date;
  digest: string;
  leaf_index: number;
  type: string | null;
  band: string | null;
  zone: string | null;
  opened_at: string | null;
  net_loss: string | null;
  currency: string | null;
  held: boolean;
}

/** Filters of the archive list: words all found in the search text, archived_at in [from, to). */
export interface ArchiveFilter {
  q?: string;
  from?: Date;
  to?: Date;
  sites?: readonly string[];
  limit: number;
  cursor?: string;
}

/** Escapes LIKE's wildcards. */
const likeText = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

/** Archived incidents, most recently archived first. */
export async function listArchive(q: Queryable, f: ArchiveFilter, scope: SiteScope): Promise<Page<ArchiveSummaryRow>> {
  const w = new Where();
  w.anyOf('a.site', scopeSites(f.sites, scope));
  for (const word of (f.q ?? '').toLowerCase().split(/\s+/).filter((x) => x !== '')) w.add(`a.search_text LIKE ${w.p(likeText(word))}`);
  if (f.from) w.add(`a.archived_at >= ${w.p(f.from)}`);
  if (f.to) w.add(`a.archived_at < ${w.p(f.to)}`);
  if (f.cursor) {
    const [at, id] = decodeCursor(f.cursor, 'string');
    w.add(`(a.archived_at, a.incident_id) < (${w.p(at)}::timestamptz, ${w.p(id)}::text)`);
  }
  const r = await q.query<ArchiveSummaryRow & { cursor_at: string }>(
    `SELECT a.incident_id, a.site, a.archived_at, a.resolved_at, a.retain_until, a.digest, a.leaf_index,
            a.record->'incident'->>'type' AS type, a.record->'incident'->>'band' AS band, a.record->'incident'->>'zone' AS zone,
            a.record->'incident'->>'opened_at' AS opened_at, a.record->'incident'->>'net_loss' AS net_loss, a.record->'incident'->>'currency' AS currency,
            coalesce((SELECT h.hold FROM legal_holds h WHERE h.incident_id = a.incident_id ORDER BY h.seq DESC LIMIT 1), false) AS held,
            ${CURSOR_AT_SQL('a.archived_at')} AS cursor_at
       FROM archive_records a ${w.sql()} ORDER BY a.archived_at DESC, a.incident_id DESC LIMIT ${w.p(f.limit + 1)}`,
    w.params,
  );
  const more = r.rows.length > f.limit;
  const rows = more ? r.rows.slice(0, f.limit) : r.rows;
  const last = rows[rows.length - 1];
  return { items: rows.map(({ cursor_at: _c, ...x }) => ({ ...x, leaf_index: Number(x.leaf_index) })), nextCursor: more && last ? encodeCursor(last.cursor_at, last.incident_id) : null };
}

/** One legal-hold entry. */
export interface LegalHoldRow {
  seq: number;
  incident_id: string;
  at: Date;
  actor: string;
  hold: boolean;
  reason: string;
}

/** Appends a legal-hold entry (placed: hold true; lifted: false). */
export async function appendLegalHold(tx: Queryable, h: Omit<LegalHoldRow, 'seq'>): Promise<LegalHoldRow> {
  const r = await tx.query<LegalHoldRow>(`INSERT INTO legal_holds (incident_id, at, actor, hold, reason) VALUES ($1, $2, $3, $4, $5) RETURNING seq, incident_id, at, actor, hold, reason`, [
    h.incident_id,
    h.at,
    h.actor,
    h.hold,
    h.reason,
  ]);
  return { ...r.rows[0], seq: Number(r.rows[0].seq) };
}

/** An incident's legal-hold history, oldest first; the last entry says whether it is held. */
export async function legalHoldsOf(q: Queryable, id: string): Promise<LegalHoldRow[]> {
  const r = await q.query<LegalHoldRow>(`SELECT seq, incident_id, at, actor, hold, reason FROM legal_holds WHERE incident_id = $1 ORDER BY seq`, [id]);
  return r.rows.map((x) => ({ ...x, seq: Number(x.seq) }));
}

/** Locks an archive record's hold history for a change (serialises two holds on one incident). */
export async function lockArchiveRecord(tx: Queryable, id: string): Promise<{ site: string } | undefined> {
  // A row lock fires no trigger: the append-only rule is about changes, not locks.
  const r = await tx.query<{ site: string }>(`SELECT site FROM archive_records WHERE incident_id = $1 FOR UPDATE`, [id]);
  return r.rows[0];
}
