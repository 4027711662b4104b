/**
 * Named operations on API tokens. Tokens are stored and looked up by their SHA-256 only; the plain
 * token never reaches the store.
 */
import type { Queryable } from './db.js';

/** A stored API token (without its hash). */
export interface ApiTokenRow {
  id: string;
  name: string;
  role: string;
  /** Sites the token may see; empty or null means every site. */
  sites: string[] | null;
}

/** The token with this SHA-256 hash (hex), unless it is unknown or revoked. */
export async function findActiveToken(q: Queryable, tokenHash: string): Promise<ApiTokenRow | undefined> {
  const r = await q.query<ApiTokenRow>(`SELECT id, name, role, sites FROM api_tokens WHERE token_hash = $1 AND revoked_at IS NULL`, [tokenHash]);
  return r.rows[0];
}

/** Stores a new API token by its hash. */
export async function insertApiToken(q: Queryable, t: { id: string; name: string; tokenHash: string; role: string; sites: readonly string[] }): Promise<void> {
  await q.query(`INSERT INTO api_tokens (id, name, token_hash, role, sites) VALUES ($1, $2, $3, $4, $5::text[])`, [t.id, t.name, t.tokenHash, t.role, [...t.sites]]);
}
