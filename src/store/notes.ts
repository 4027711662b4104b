/**
 * The `incident_notes` table (migration 0008; append-only by the trigger of 0011): the case-note
 * timeline of each incident. Notes are appended by the lifecycle actions and the notes route, in
 * the transaction of the change they describe, and read oldest first.
 */
import type { NoteKind } from '../domain/case-notes.js';
import type { Queryable } from './db.js';

/** A note to append. */
export interface NewNote {
  incidentId: string;
  at: Date;
  author: string;
  kind: NoteKind;
  text: string;
}

/** One note of the timeline, as the API shows it. */
export interface NoteView {
  seq: number;
  at: string;
  author: string;
  kind: string;
  text: string;
}

/** Appends a note; returns it with its sequence number. */
export async function appendNote(q: Queryable, n: NewNote): Promise<NoteView> {
  const r = await q.query<{ seq: string | number; at: Date }>(
    `INSERT INTO incident_notes (incident_id, at, author, kind, text) VALUES ($1, $2, $3, $4, $5) RETURNING seq, at`,
    [n.incidentId, n.at, n.author, n.kind, n.text],
  );
  const row = r.rows[0];
  return { seq: Number(row.seq), at: row.at.toISOString(), author: n.author, kind: n.kind, text: n.text };
}

/** An incident's notes, oldest first (at most `limit`, the newest ones when there are more). */
export async function listNotes(q: Queryable, incidentId: string, limit = 1000): Promise<NoteView[]> {
  const r = await q.query<{ seq: string | number; at: Date; author: string; kind: string; text: string }>(
    `SELECT seq, at, author, kind, text FROM (SELECT seq, at, author, kind, text FROM incident_notes WHERE incident_id = $1 ORDER BY seq DESC LIMIT $2) n ORDER BY seq`,
    [incidentId, limit],
  );
  return r.rows.map((x) => ({ seq: Number(x.seq), at: x.at.toISOString(), author: x.author, kind: x.kind, text: x.text }));
}
