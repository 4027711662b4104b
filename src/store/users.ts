/**
 * Named operations on dashboard users. A user is found by name whatever its case; the password is
 * stored only as a scrypt hash with its salt and parameters (hashing lives in api/passwords.ts,
 * the store only keeps what it is given).
 */
import { ConflictError } from '../domain/errors.js';
import type { Queryable } from './db.js';

/** A stored password: scrypt output, its salt (both base64) and the parameters it was made with. */
export interface StoredPassword {
  hash: string;
  salt: string;
  params: { alg: 'scrypt'; N: number; r: number; p: number; keylen: number };
}

/** A user as listed: never the password hash. */
export interface UserRow {
  name: string;
  role: string;
  /** Empty: every site. */
  sites: string[];
  disabled: boolean;
  created_at: Date;
  updated_at: Date;
  last_login_at: Date | null;
}

/** A user with its stored password (for sign-in only). */
export interface UserWithPassword extends UserRow {
  password_hash: string;
  password_salt: string;
  password_params: StoredPassword['params'];
}

const COLUMNS = `name, role, sites, disabled, created_at, updated_at, last_login_at`;

/** The user of this name (any case), with its stored password. */
export async function findUserForLogin(q: Queryable, name: string): Promise<UserWithPassword | undefined> {
  const r = await q.query<UserWithPassword>(`SELECT ${COLUMNS}, password_hash, password_salt, password_params FROM users WHERE lower(name) = lower($1)`, [name]);
  return r.rows[0];
}

/** The user of this name (any case). */
export async function findUser(q: Queryable, name: string): Promise<UserRow | undefined> {
  const r = await q.query<UserRow>(`SELECT ${COLUMNS} FROM users WHERE lower(name) = lower($1)`, [name]);
  return r.rows[0];
}

/** How many users exist (a first run has none). */
export async function countUsers(q: Queryable): Promise<number> {
  const r = await q.query<{ n: number }>(`SELECT count(*)::int AS n FROM users`);
  return Number(r.rows[0]?.n ?? 0);
}

/** Most users one listing shows. */
export const USER_LIST_LIMIT = 1000;

/** Every user by name. */
export async function listUsers(q: Queryable): Promise<UserRow[]> {
  const r = await q.query<UserRow>(`SELECT ${COLUMNS} FROM users ORDER BY lower(name) LIMIT ${USER_LIST_LIMIT}`);
  return r.rows;
}

/** Stores a new user; a ConflictError when the name (in any case) is taken. */
export async function insertUser(q: Queryable, u: { name: string; role: string; sites: readonly string[]; password: StoredPassword; at: Date }): Promise<UserRow> {
  const r = await q.query<UserRow>(
    `INSERT INTO users (name, role, sites, password_hash, password_salt, password_params, created_at, updated_at)
     VALUES ($1, $2, $3::text[], $4, $5, $6::jsonb, $7, $7)
     ON CONFLICT DO NOTHING RETURNING ${COLUMNS}`,
    [u.name, u.role, [...u.sites], u.password.hash, u.password.salt, JSON.stringify(u.password.params), u.at],
  );
  if (!r.rows[0]) throw new ConflictError(`a user named "${u.name}" already exists`);
  return r.rows[0];
}

/** What an update may change; absent fields stay as they are. */
export interface UserChange {
  role?: string;
  sites?: readonly string[];
  disabled?: boolean;
  password?: StoredPassword;
}

/** Changes a user; the changed row, or undefined when there is no such user. */
export async function updateUser(q: Queryable, name: string, c: UserChange, at: Date): Promise<UserRow | undefined> {
  const r = await q.query<UserRow>(
    `UPDATE users SET
        role = coalesce($2, role),
        sites = coalesce($3::text[], sites),
        disabled = coalesce($4, disabled),
        password_hash = coalesce($5, password_hash),
        password_salt = coalesce($6, password_salt),
        password_params = coalesce($7::jsonb, password_params),
        updated_at = $8
      WHERE lower(name) = lower($1) RETURNING ${COLUMNS}`,
    [
      name,
      c.role ?? null,
      c.sites ? [...c.sites] : null,
      c.disabled ?? null,
      c.password?.hash ?? null,
      c.password?.salt ?? null,
      c.password ? JSON.stringify(c.password.params) : null,
      at,
    ],
  );
  return r.rows[0];
}

/** Records a successful sign-in. */
export async function recordLogin(q: Queryable, name: string, at: Date): Promise<void> {
  await q.query(`UPDATE users SET last_login_at = $2 WHERE name = $1`, [name, at]);
}
