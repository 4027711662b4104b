/**
 * `vigil user add|list|disable`: dashboard users. `add` reads the password from stdin with
 * `--password-stdin`; without it, it generates a strong one and prints it once (the store keeps
 * only its scrypt hash).
 *
 * Like `vigil token`, it reaches the store directly (DATABASE_URL, or the embedded store when no
 * server holds it; while one does, the command names it and exits 1) or goes through a running
 * server's API with `--url` (or VIGIL_URL) and an admin token.
 */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { USER_ROLES } from '../api/auth.js';
import { generatePassword, passwordProblem } from '../api/passwords.js';
import { changeUser, createUser, SITE_ID, USER_NAME, USER_NAME_HINT, userItem, type UserItem } from '../api/user-accounts.js';
import { listUsers } from '../store/users.js';
import { loadSigner } from '../archive/keys.js';
import type { Config } from '../config/schema.js';
import type { CheckpointSigner } from '../domain/checkpoint.js';
import type { Db } from '../store/db.js';
import { latestCheckpoint } from '../store/transparency-log.js';
import { resolveConfig, resolveStore, UsageError, withStore } from './common.js';
import { apiTarget, callApi, type TokenTarget } from './token.js';

/** The actor of changes made on the store directly (the audit log). */
const CLI_ACTOR = 'vigil user (command line)';

/**
 * The transparency log's signer for the audit records of a change made on the store directly: the
 * key the server uses (configured, or the data directory's). When the log is signed by another key,
 * none: the next process with the log's key signs the new head, rather than forking the log.
 */
async function auditSigner(db: Db, config: Config): Promise<CheckpointSigner | undefined> {
  const signer = loadSigner({ ...(config.archive?.signingKey ? { keyFile: config.archive.signingKey } : {}), dataDir: resolveStore().dataDir });
  const latest = await latestCheckpoint(db);
  return latest && latest.keyId !== signer.keyId ? undefined : signer;
}

export interface UserAddOptions extends TokenTarget {
  role: string;
  sites?: string;
  passwordStdin?: boolean;
}

/** Everything on stdin, without one trailing newline. */
async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** `vigil user add NAME --role ROLE [--sites S1,S2] [--password-stdin]`. */
export async function userAddCommand(name: string, opts: UserAddOptions): Promise<void> {
  if (!USER_NAME.test(name)) throw new UsageError(`user add: NAME: ${USER_NAME_HINT}; got "${name}"`);
  if (!(USER_ROLES as readonly string[]).includes(opts.role)) throw new UsageError(`user add: --role expects one of ${USER_ROLES.join(', ')}; got "${opts.role}"`);
  const sites = opts.sites === undefined ? [] : [...new Set(opts.sites.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  const bad = sites.filter((s) => !SITE_ID.test(s));
  if (bad.length > 0) throw new UsageError(`user add: --sites expects site ids ([a-z0-9-]+, comma-separated); got ${bad.map((s) => `"${s}"`).join(', ')}`);
  const generated = !opts.passwordStdin;
  const password = generated ? generatePassword() : await readStdin();
  const problem = passwordProblem(password);
  if (problem) throw new UsageError(`user add: the password on stdin: ${problem}`);
  const api = apiTarget(opts);
  let made: UserItem;
  if (api) {
    made = (await callApi(api, 'POST', '/api/v1/users', { name, role: opts.role, ...(sites.length ? { sites } : {}), password })) as UserItem;
  } else {
    const { config } = resolveConfig(opts.config);
    const known = new Set(config.sites.map((s) => s.id));
    const unknown = sites.filter((s) => !known.has(s));
    if (unknown.length > 0) throw new UsageError(`user add: --sites ${unknown.join(', ')} is not a site of the configuration (${[...known].join(', ')})`);
    made = await withStore('user add', async (db) => userItem(await createUser(db, { name, role: opts.role, sites, password, now: new Date(), knownSites: known, actor: CLI_ACTOR, signer: await auditSigner(db, config) })));
  }
  process.stdout.write(`Created user "${made.name}": role ${made.role}, ${made.sites.length ? `sites ${made.sites.join(', ')}` : 'all sites'}.\n`);
  if (generated) process.stdout.write(`Generated password (shown once; only its hash is stored):\n${password}\n`);
}

/** `vigil user list`: name, role, sites, state, last sign-in; never a password. */
export async function userListCommand(opts: TokenTarget): Promise<void> {
  const api = apiTarget(opts);
  const items = api ? ((await callApi(api, 'GET', '/api/v1/users')) as { items: UserItem[] }).items : await withStore('user list', async (db) => (await listUsers(db)).map(userItem));
  if (items.length === 0) {
    process.stdout.write('No users yet (`vigil user add NAME --role ROLE`).\n');
    return;
  }
  const rows = [
    ['NAME', 'ROLE', 'SITES', 'STATE', 'LAST SIGN-IN', 'CREATED'],
    ...items.map((u) => [u.name, u.role, u.sites.length ? u.sites.join(',') : '(all sites)', u.disabled ? 'disabled' : 'active', u.lastLoginAt ?? 'never', u.createdAt]),
  ];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  process.stdout.write(rows.map((r) => r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c]))).join('  ')).join('\n') + '\n');
}

/** `vigil user disable NAME`: the user can no longer sign in, and their sessions end. */
export async function userDisableCommand(name: string, opts: TokenTarget): Promise<void> {
  const api = apiTarget(opts);
  const u = api
    ? ((await callApi(api, 'PATCH', `/api/v1/users/${encodeURIComponent(name)}`, { disabled: true })) as UserItem)
    : await withStore('user disable', async (db) => {
        const { config } = resolveConfig(opts.config);
        return userItem(await changeUser(db, name, { disabled: true, now: new Date(), actor: CLI_ACTOR, signer: await auditSigner(db, config) }));
      });
  process.stdout.write(`Disabled user "${u.name}" (role ${u.role}): they can no longer sign in, and their sessions have ended.\n`);
}

/**
 * The line `vigil serve` prints while no user exists: the one-time setup link that creates the
 * first admin user. Like the admin token, it is printed on a terminal only; otherwise it is written
 * to `setup-link` in the data directory (0600) and the line names that file.
 */
export function setupLinkLine(url: string, code: string, dataDir: string, terminal = process.stdout.isTTY === true): string {
  const link = `${url}/#setup=${code}`;
  const what = 'First sign-in (no user yet; one use, valid 1 hour; creates the first admin user)';
  if (terminal) return `  ${what}: ${link}`;
  const file = join(dataDir, 'setup-link');
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  writeFileSync(file, `${link}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return `  ${what}: in ${file} (readable by this user only)`;
}
