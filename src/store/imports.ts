/**
 * The imports table (migration 0021): state and counts of files imported into a running server.
 * Progress while an import runs lives in the server's memory; the row is written when it starts
 * and when it ends (the ingest transaction of a large file holds the store, see docs/imports.md).
 */
import type { Problem } from '../domain/errors.js';
import type { Queryable } from './db.js';

export type ImportState = 'running' | 'done' | 'failed';

export interface ImportRow {
  id: string;
  state: ImportState;
  format: string;
  profile: string | null;
  site: string | null;
  file_name: string | null;
  created_by: string;
  created_at: Date;
  finished_at: Date | null;
  bytes: number;
  rows_read: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  skipped: number;
  incidents_opened: number;
  problems: Problem[];
  summary: Record<string, unknown>;
  error: string | null;
}

export async function insertImport(
  q: Queryable,
  r: { id: string; format: string; profile?: string; site?: string; fileName?: string; createdBy: string; createdAt: Date; bytes: number },
): Promise<void> {
  await q.query(
    `INSERT INTO imports (id, state, format, profile, site, file_name, created_by, created_at, bytes) VALUES ($1, 'running', $2, $3, $4, $5, $6, $7, $8)`,
    [r.id, r.format, r.profile ?? null, r.site ?? null, r.fileName ?? null, r.createdBy, r.createdAt, r.bytes],
  );
}

export async function finishImport(
  q: Queryable,
  id: string,
  r: {
    state: 'done' | 'failed';
    finishedAt: Date;
    rowsRead: number;
    accepted: number;
    duplicates: number;
    rejected: number;
    skipped: number;
    incidentsOpened: number;
    problems: Problem[];
    summary: Record<string, unknown>;
    error?: string;
  },
): Promise<void> {
  await q.query(
    `UPDATE imports SET state = $2, finished_at = $3, rows_read = $4, accepted = $5, duplicates = $6, rejected = $7, skipped = $8,
        incidents_opened = $9, problems = $10::jsonb, summary = $11::jsonb, error = $12
      WHERE id = $1`,
    [id, r.state, r.finishedAt, r.rowsRead, r.accepted, r.duplicates, r.rejected, r.skipped, r.incidentsOpened, JSON.stringify(r.problems), JSON.stringify(r.summary), r.error ?? null],
  );
}

export async function getImport(q: Queryable, id: string): Promise<ImportRow | undefined> {
  const r = await q.query<ImportRow>(`SELECT * FROM imports WHERE id = $1`, [id]);
  return r.rows[0];
}

/** The latest imports, newest first, optionally only those of some sites (site scope). */
export async function listImports(q: Queryable, limit: number, sites: readonly string[] | null): Promise<ImportRow[]> {
  const r = await q.query<ImportRow>(
    `SELECT * FROM imports WHERE ($2::text[] IS NULL OR site = ANY($2)) ORDER BY created_at DESC, id DESC LIMIT $1`,
    [limit, sites ? [...sites] : null],
  );
  return r.rows;
}

/** Marks imports left `running` by a stopped server as failed (interrupted); returns how many. */
export async function markInterruptedImports(q: Queryable, now: Date, except: readonly string[] = []): Promise<number> {
  const r = await q.query(
    `UPDATE imports SET state = 'failed', finished_at = $1, accepted = 0, duplicates = 0, incidents_opened = 0,
        error = 'interrupted: the server stopped during the import; nothing of the file was written (its transaction never committed)'
      WHERE state = 'running' AND id <> ALL($2::text[])`,
    [now, [...except]],
  );
  return r.rowCount;
}
