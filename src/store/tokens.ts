/**
 * Named operations on API tokens. Tokens are stored and looked up by their SHA-256 only; the plain
 * token never reaches the store. A name names at most one live (not revoked) token.
 */
import { ConflictError } from '../domain/errors.js';
import type { Queryable } from './db.js';

/** A stored API token (without its hash). */
export interface ApiTokenRow {
  id: string;
  name: string;
  role: string;
  /** Sites the token may see; empty or null means every site. */
  sites: string[] | null;
  /** When the token stops working; null for never. */
  expires_at: Date | null;
}

/** A token as listed: never its hash. */
export interface ApiTokenListRow extends ApiTokenRow {
  created_at: Date;
  revoked_at: Date | null;
}

/** The token with this SHA-256 hash (hex), unless it is unknown or revoked (expiry is the caller's to judge). */
export async function findActiveToken(q: Queryable, tokenHash: string): Promise<ApiTokenRow | undefined> {
  const r = await q.query<ApiTokenRow>(`SELECT id, name, role, sites, expires_at FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`, [tokenHash]);
  return r.rows[0];
}

/** Stores a new API token by its hash; a ConflictError when a live token already has the name. */
export async function insertApiToken(
  q: Queryable,
  t: { id: string; name: string; tokenHash: string; role: string; sites: readonly string[]; createdAt?: Date; expiresAt?: Date | null },
): Promise<void> {
  const r = await q.query(
    `INSERT INTO api_tokens (id, name, token_hash, role, sites, created_at, expires_at) VALUES ($1, $2, $3, $4, $5::text[], coalesce($6::timestamptz, now()), $7)
     ON CONFLICT (name) WHERE revoked_at IS NULL DO NOTHING RETURNING id`,
    [t.id, t.name, t.tokenHash, t.role, [...t.sites], t.createdAt ?? null, t.expiresAt ?? null],
  );
  if (r.rows.length === 0) throw new ConflictError(`a token named "${t.name}" already exists; revoke it first or choose another name`);
}

/** Most tokens one listing shows (live ones first, then the most recently revoked). */
export const TOKEN_LIST_LIMIT = 1000;

/** The stored tokens, live ones first by name, then revoked ones newest first. */
export async function listApiTokens(q: Queryable): Promise<ApiTokenListRow[]> {
  const r = await q.query<ApiTokenListRow>(
    `SELECT id, name, role, sites, created_at, expires_at, revoked_at FROM api_tokens
      ORDER BY revoked_at IS NOT NULL, revoked_at DESC, name, id LIMIT ${TOKEN_LIST_LIMIT}`,
  );
  return r.rows;
}

/** Revokes the live token of this name at `at`; the revoked row, or undefined when there is none. */
export async function revokeApiToken(q: Queryable, name: string, at: Date): Promise<ApiTokenListRow | undefined> {
  const r = await q.query<ApiTokenListRow>(
    `UPDATE api_tokens SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL RETURNING id, name, role, sites, created_at, expires_at, revoked_at`,
    [name, at],
  );
  return r.rows[0];
}
