/**
 * The `report_versions` table (step 8): every version of an incident's report, append-only. A
 * version's `content` is the report JSON and `digest` the SHA-256 of its canonical form; the only
 * change ever made to a stored version is its sign-off, and migration 0010's trigger refuses any
 * other UPDATE, and any DELETE of a signed version, whoever issues it.
 */
import type { Queryable } from './db.js';

/** A stored report version. */
export interface ReportVersionRow {
  incidentId: string;
  version: number;
  generatedAt: Date;
  digest: string;
  content: unknown;
  signedAt: Date | null;
  signedBy: string | null;
  signNote: string | null;
}

interface Row {
  incident_id: string;
  version: number;
  generated_at: Date;
  digest: string;
  content: unknown;
  signed_at: Date | null;
  signed_by: string | null;
  sign_note: string | null;
}

const COLUMNS = 'incident_id, version, generated_at, digest, content, signed_at, signed_by, sign_note';

function toVersion(r: Row): ReportVersionRow {
  return {
    incidentId: r.incident_id,
    version: Number(r.version),
    generatedAt: r.generated_at,
    digest: r.digest,
    content: r.content,
    signedAt: r.signed_at,
    signedBy: r.signed_by,
    signNote: r.sign_note,
  };
}

/**
 * Serialises report work on one incident until the transaction ends (two readers ensuring the
 * current version at once would otherwise both insert the same next version number).
 */
export async function lockIncidentReports(tx: Queryable, incidentId: string): Promise<void> {
  await tx.query(`SELECT pg_advisory_xact_lock(hashtext('vigil-report:' || $1))`, [incidentId]);
}

/** The newest version of an incident's report, or undefined when it has none. */
export async function latestReportVersion(q: Queryable, incidentId: string): Promise<ReportVersionRow | undefined> {
  const r = await q.query<Row>(`SELECT ${COLUMNS} FROM report_versions WHERE incident_id = $1 ORDER BY version DESC LIMIT 1`, [incidentId]);
  return r.rows[0] ? toVersion(r.rows[0]) : undefined;
}

/** One version of an incident's report, or undefined. */
export async function reportVersion(q: Queryable, incidentId: string, version: number): Promise<ReportVersionRow | undefined> {
  const r = await q.query<Row>(`SELECT ${COLUMNS} FROM report_versions WHERE incident_id = $1 AND version = $2`, [incidentId, version]);
  return r.rows[0] ? toVersion(r.rows[0]) : undefined;
}

/** Every version of an incident's report, oldest first, without content. */
export async function listReportVersions(q: Queryable, incidentId: string): Promise<Omit<ReportVersionRow, 'content'>[]> {
  const r = await q.query<Row>(`SELECT incident_id, version, generated_at, digest, NULL AS content, signed_at, signed_by, sign_note FROM report_versions WHERE incident_id = $1 ORDER BY version`, [incidentId]);
  return r.rows.map((x) => {
    const { content: _content, ...rest } = toVersion(x);
    return rest;
  });
}

/** Appends a version; false when that version number exists already (nothing is overwritten). */
export async function insertReportVersion(tx: Queryable, v: { incidentId: string; version: number; generatedAt: Date; digest: string; content: unknown }): Promise<boolean> {
  const r = await tx.query(
    `INSERT INTO report_versions (incident_id, version, generated_at, digest, content) VALUES ($1, $2, $3, $4, $5::jsonb) ON CONFLICT (incident_id, version) DO NOTHING RETURNING 1`,
    [v.incidentId, v.version, v.generatedAt, v.digest, JSON.stringify(v.content)],
  );
  return r.rows.length > 0;
}

/** Signs a version that is not signed yet; the signed row, or undefined when it was signed already (or does not exist). */
export async function signReportVersion(tx: Queryable, p: { incidentId: string; version: number; at: Date; by: string; note: string | null }): Promise<ReportVersionRow | undefined> {
  const r = await tx.query<Row>(
    `UPDATE report_versions SET signed_at = $3, signed_by = $4, sign_note = $5 WHERE incident_id = $1 AND version = $2 AND signed_at IS NULL RETURNING ${COLUMNS}`,
    [p.incidentId, p.version, p.at, p.by, p.note],
  );
  return r.rows[0] ? toVersion(r.rows[0]) : undefined;
}
