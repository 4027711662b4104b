/**
 * Making and changing dashboard users, shared by the API (`/api/v1/users`, the first-run setup)
 * and the CLI (`vigil user`): every problem of the input is listed at once (InvalidError), a taken
 * name is a ConflictError. Disabling a user or setting a new password ends their sessions; a new
 * role or sites hold at once for sessions under way (a session reads its user on every request).
 * Each change is written with its audit record (`user.create`, `user.change`: who, what changed,
 * never a password or its hash) in one transaction.
 */
import { createHash, randomBytes } from 'node:crypto';
import { InvalidError, NotFoundError, type Problem } from '../domain/errors.js';
import type { CheckpointSigner } from '../domain/checkpoint.js';
import { appendAuditRecord } from '../store/audit-log.js';
import type { Db, Queryable } from '../store/db.js';
import { consumeSetupCode, deleteUserSessions, replaceSetupCode } from '../store/sessions.js';
import { countUsers, findUser, insertUser, updateUser, type UserChange, type UserRow } from '../store/users.js';
import { USER_ROLES } from './auth.js';
import { hashPassword, passwordProblem } from './passwords.js';

/** A user's name: letters, digits and _ . @ -, starting with a letter or digit (also a URL path segment). */
export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$/;
export const USER_NAME_HINT = 'expected a name of 1-64 characters: letters, digits, _ . @ -, starting with a letter or digit';
export const SITE_ID = /^[a-z0-9-]{1,100}$/;

/** A user as the API and the CLI list it: never a password hash. */
export interface UserItem {
  name: string;
  role: string;
  /** Empty: every site. */
  sites: string[];
  disabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

export function userItem(r: UserRow): UserItem {
  return {
    name: r.name,
    role: r.role,
    sites: r.sites ?? [],
    disabled: r.disabled,
    createdAt: new Date(r.created_at).toISOString(),
    lastLoginAt: r.last_login_at ? new Date(r.last_login_at).toISOString() : null,
  };
}

function siteProblems(sites: readonly unknown[] | undefined, knownSites: ReadonlySet<string> | undefined, problems: Problem[]): void {
  (sites ?? []).forEach((s, i) => {
    if (typeof s !== 'string' || !SITE_ID.test(s)) problems.push({ path: `sites[${i}]`, message: 'expected a site id ([a-z0-9-]+)' });
    else if (knownSites && !knownSites.has(s)) problems.push({ path: `sites[${i}]`, message: `unknown site "${s}"; expected one of ${[...knownSites].join(', ')}` });
  });
}

/** Who makes a change, for the audit record (default `vigil`), and the log's signer when there is one. */
export interface ChangeAuthor {
  actor?: string;
  signer?: CheckpointSigner;
}

/** Makes a user. `knownSites`, when given, is what `sites` is checked against. */
export async function createUser(
  db: Db,
  input: { name: string; role: string; sites?: readonly string[]; password: string; now: Date; knownSites?: ReadonlySet<string> } & ChangeAuthor,
): Promise<UserRow> {
  const problems: Problem[] = [];
  if (typeof input.name !== 'string' || !USER_NAME.test(input.name)) problems.push({ path: 'name', message: USER_NAME_HINT });
  if (!(USER_ROLES as readonly string[]).includes(input.role)) problems.push({ path: 'role', message: `expected one of ${USER_ROLES.join(', ')}` });
  siteProblems(input.sites, input.knownSites, problems);
  const pw = passwordProblem(input.password);
  if (pw) problems.push({ path: 'password', message: pw });
  if (problems.length > 0) throw new InvalidError(problems);
  const password = await hashPassword(input.password);
  return db.transaction(async (tx) => {
    const row = await insertUser(tx, { name: input.name, role: input.role, sites: [...new Set(input.sites ?? [])], password, at: input.now });
    await appendAuditRecord(tx, { at: input.now, actor: input.actor ?? 'vigil', action: 'user.create', target: row.name, details: { role: row.role, sites: row.sites }, after: userItem(row) }, input.signer);
    return row;
  });
}

/** Changes a user's role, sites, disabled flag or password; their sessions end. */
export async function changeUser(
  db: Db,
  name: string,
  input: { role?: string; sites?: readonly string[]; disabled?: boolean; password?: string; now: Date; knownSites?: ReadonlySet<string> } & ChangeAuthor,
): Promise<UserRow> {
  const problems: Problem[] = [];
  if (input.role !== undefined && !(USER_ROLES as readonly string[]).includes(input.role)) problems.push({ path: 'role', message: `expected one of ${USER_ROLES.join(', ')}` });
  if (input.sites !== undefined) siteProblems(input.sites, input.knownSites, problems);
  if (input.disabled !== undefined && typeof input.disabled !== 'boolean') problems.push({ path: 'disabled', message: 'expected true or false' });
  if (input.password !== undefined) {
    const pw = passwordProblem(input.password);
    if (pw) problems.push({ path: 'password', message: pw });
  }
  if (problems.length > 0) throw new InvalidError(problems);
  const change: UserChange = {
    ...(input.role !== undefined ? { role: input.role } : {}),
    ...(input.sites !== undefined ? { sites: [...new Set(input.sites)] } : {}),
    ...(input.disabled !== undefined ? { disabled: input.disabled } : {}),
    ...(input.password !== undefined ? { password: await hashPassword(input.password) } : {}),
  };
  return db.transaction(async (tx) => {
    const before = await findUser(tx, name);
    const row = await updateUser(tx, name, change, input.now);
    if (!before || !row) throw new NotFoundError(`user ${name}`);
    // A new role or sites hold at once anyway (sessions read the user on every request); a disabled
    // user or a new password ends every session.
    if (change.disabled === true || change.password !== undefined) await deleteUserSessions(tx, row.name);
    const details = {
      ...(change.role !== undefined ? { role: change.role } : {}),
      ...(change.sites !== undefined ? { sites: change.sites } : {}),
      ...(change.disabled !== undefined ? { disabled: change.disabled } : {}),
      ...(change.password !== undefined ? { passwordChanged: true } : {}),
    };
    await appendAuditRecord(tx, { at: input.now, actor: input.actor ?? 'vigil', action: 'user.change', target: row.name, details, before: userItem(before), after: userItem(row) }, input.signer);
    return row;
  });
}

/** How long a first-run setup link works. */
export const SETUP_TTL_MS = 60 * 60_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * A new one-time setup code while no user exists (undefined otherwise): it lets whoever opens the
 * link `/#setup=<code>` create the first admin user. Only its hash is stored; a new code replaces
 * the previous one; it works once, for SETUP_TTL_MS.
 */
export async function issueSetupCode(db: Queryable, now: Date): Promise<string | undefined> {
  if ((await countUsers(db)) > 0) return undefined;
  const code = randomBytes(24).toString('base64url');
  await replaceSetupCode(db, sha256(code), now, new Date(now.getTime() + SETUP_TTL_MS));
  return code;
}

/** Uses up a setup code; true when it was the live one. */
export function useSetupCode(db: Queryable, code: string, now: Date): Promise<boolean> {
  return consumeSetupCode(db, sha256(code), now);
}
