/**
 * Named operations on dashboard sessions and first-run setup codes. Both are stored only as
 * SHA-256 hashes: the session id (the cookie), its CSRF token, the setup code.
 */
import type { Queryable } from './db.js';

/** A live session with its user as it is now (role, sites, disabled). */
export interface SessionRow {
  user_name: string;
  role: string;
  sites: string[];
  disabled: boolean;
  csrf_hash: string;
  expires_at: Date;
}

/** Stores a new session. */
export async function insertSession(q: Queryable, s: { idHash: string; userName: string; csrfHash: string; createdAt: Date; expiresAt: Date }): Promise<void> {
  await q.query(`INSERT INTO user_sessions (id_hash, user_name, csrf_hash, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)`, [s.idHash, s.userName, s.csrfHash, s.createdAt, s.expiresAt]);
}

/** The session of this id hash with its user, unless it is unknown (expiry and disabled are the caller's to judge). */
export async function findSession(q: Queryable, idHash: string): Promise<SessionRow | undefined> {
  const r = await q.query<SessionRow>(
    `SELECT s.user_name, u.role, u.sites, u.disabled, s.csrf_hash, s.expires_at
       FROM user_sessions s JOIN users u ON u.name = s.user_name WHERE s.id_hash = $1`,
    [idHash],
  );
  return r.rows[0];
}

/** Ends one session. */
export async function deleteSession(q: Queryable, idHash: string): Promise<void> {
  await q.query(`DELETE FROM user_sessions WHERE id_hash = $1`, [idHash]);
}

/** Ends every session of a user (disabled, new password, new role). */
export async function deleteUserSessions(q: Queryable, userName: string): Promise<number> {
  const r = await q.query(`DELETE FROM user_sessions WHERE lower(user_name) = lower($1)`, [userName]);
  return r.rowCount;
}

/** Forgets sessions that expired before `now`. */
export async function deleteExpiredSessions(q: Queryable, now: Date): Promise<void> {
  await q.query(`DELETE FROM user_sessions WHERE expires_at <= $1`, [now]);
}

/** Replaces every setup code with this one (only the newest printed link works). */
export async function replaceSetupCode(q: Queryable, codeHash: string, createdAt: Date, expiresAt: Date): Promise<void> {
  await q.query(`DELETE FROM user_setup_codes`);
  await q.query(`INSERT INTO user_setup_codes (code_hash, created_at, expires_at) VALUES ($1, $2, $3)`, [codeHash, createdAt, expiresAt]);
}

/** Uses up a setup code: true when it existed and had not expired at `now` (it is gone either way). */
export async function consumeSetupCode(q: Queryable, codeHash: string, now: Date): Promise<boolean> {
  const r = await q.query<{ expires_at: Date }>(`DELETE FROM user_setup_codes WHERE code_hash = $1 RETURNING expires_at`, [codeHash]);
  const row = r.rows[0];
  return !!row && new Date(row.expires_at).getTime() > now.getTime();
}
