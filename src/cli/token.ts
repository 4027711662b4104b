/**
 * `vigil token create|list|revoke`: API tokens for people and machines. `create` prints the plain
 * token once, on the last line of stdout; the store keeps only its SHA-256.
 *
 * Two ways to reach the store:
 * - directly (DATABASE_URL, or the embedded store in VIGIL_DATA_DIR). The embedded store belongs
 *   to one process: while a server holds it, the command says which one and exits 1;
 * - through a running server's API, with `--url` (or VIGIL_URL) and an admin token (`--token`,
 *   VIGIL_TOKEN or VIGIL_ADMIN_TOKEN). This works whichever store the server has.
 */
import { createApiToken, ROLES, type Role } from '../api/auth.js';
import { tokenItem, type TokenItem } from '../api/routes/tokens.js';
import { DURATION_HINT, parseDuration } from '../domain/duration.js';
import { InvalidError, NotFoundError, VigilError, type Problem } from '../domain/errors.js';
import { listApiTokens, revokeApiToken } from '../store/tokens.js';
import { resolveConfig, UsageError, withStore } from './common.js';

/** Options every token subcommand takes. */
export interface TokenTarget {
  config?: string;
  url?: string;
  token?: string;
}

export interface TokenCreateOptions extends TokenTarget {
  role: string;
  sites?: string;
  expires?: string;
}

/** `vigil token create NAME --role ROLE [--sites S1,S2] [--expires DURATION]`. */
export async function tokenCreateCommand(name: string, opts: TokenCreateOptions): Promise<void> {
  if (!(ROLES as readonly string[]).includes(opts.role)) throw new UsageError(`token create: --role expects one of ${ROLES.join(', ')}; got "${opts.role}"`);
  const sites = opts.sites === undefined ? [] : [...new Set(opts.sites.split(',').map((s) => s.trim()).filter((s) => s !== ''))];
  const bad = sites.filter((s) => !/^[a-z0-9-]{1,100}$/.test(s));
  if (bad.length > 0) throw new UsageError(`token create: --sites expects site ids ([a-z0-9-]+, comma-separated); got ${bad.map((s) => `"${s}"`).join(', ')}`);
  if (opts.expires !== undefined && parseDuration(opts.expires) === undefined) throw new UsageError(`token create: --expires expects ${DURATION_HINT}; got "${opts.expires}"`);
  const api = apiTarget(opts);
  let made: TokenItem & { token: string };
  if (api) {
    made = (await callApi(api, 'POST', '/api/v1/tokens', { name, role: opts.role, ...(sites.length ? { sites } : {}), ...(opts.expires ? { expires: opts.expires } : {}) })) as TokenItem & { token: string };
  } else {
    const { config } = resolveConfig(opts.config);
    const known = new Set(config.sites.map((s) => s.id));
    const unknown = sites.filter((s) => !known.has(s));
    if (unknown.length > 0) throw new UsageError(`token create: --sites ${unknown.join(', ')} is not a site of the configuration (${[...known].join(', ')})`);
    made = await withStore('token create', async (db) => {
      const now = new Date();
      const t = await createApiToken(db, { name, role: opts.role as Role, sites, ...(opts.expires ? { expires: opts.expires } : {}), now });
      return { ...tokenItem({ id: t.id, name: t.name, role: t.role, sites: t.sites, created_at: now, expires_at: t.expiresAt, revoked_at: null }, now), token: t.token };
    });
  }
  process.stdout.write(
    `Created token "${made.name}": role ${made.role}, ${made.sites.length ? `sites ${made.sites.join(', ')}` : 'all sites'}, ${made.expiresAt ? `expires ${made.expiresAt}` : 'does not expire'}.\n` +
      `It is shown once (only its hash is stored); keep it now. Use it as "Authorization: Bearer <token>":\n` +
      `${made.token}\n`,
  );
}

/** `vigil token list`: name, role, sites, state, expiry, creation; never a token. */
export async function tokenListCommand(opts: TokenTarget): Promise<void> {
  const api = apiTarget(opts);
  const items = api
    ? ((await callApi(api, 'GET', '/api/v1/tokens')) as { items: TokenItem[] }).items
    : await withStore('token list', async (db) => {
        const now = new Date();
        return (await listApiTokens(db)).map((r) => tokenItem(r, now));
      });
  if (items.length === 0) {
    process.stdout.write('No API tokens yet (`vigil token create NAME --role ROLE`).\n');
    return;
  }
  const rows = [['NAME', 'ROLE', 'SITES', 'STATE', 'EXPIRES', 'CREATED'], ...items.map((t) => [t.name, t.role, t.sites.length ? t.sites.join(',') : '(all sites)', t.state, t.expiresAt ?? 'never', t.createdAt])];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  process.stdout.write(rows.map((r) => r.map((v, c) => (c === r.length - 1 ? v : v.padEnd(widths[c]))).join('  ')).join('\n') + '\n');
}

/** `vigil token revoke NAME`. */
export async function tokenRevokeCommand(name: string, opts: TokenTarget): Promise<void> {
  const api = apiTarget(opts);
  const t = api
    ? ((await callApi(api, 'DELETE', `/api/v1/tokens/${encodeURIComponent(name)}`)) as TokenItem)
    : await withStore('token revoke', async (db) => {
        const now = new Date();
        const row = await revokeApiToken(db, name, now);
        if (!row) throw new NotFoundError(`active token named ${name}`);
        return tokenItem(row, now);
      });
  process.stdout.write(`Revoked token "${t.name}" (role ${t.role}). Servers refuse it within 10 seconds (at once on the server that revoked it).\n`);
}

// ---------------------------------------------------------------------------------------------

/** The server to go through, when --url or VIGIL_URL names one. */
export function apiTarget(opts: TokenTarget): { url: string; token: string } | undefined {
  const url = opts.url || process.env.VIGIL_URL;
  if (!url) return undefined;
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url expects an http(s) URL; got "${url}"`);
  const token = opts.token || process.env.VIGIL_TOKEN || process.env.VIGIL_ADMIN_TOKEN;
  if (!token) throw new VigilError('unauthorized', `going through ${url} needs an admin API token: --token, VIGIL_TOKEN or VIGIL_ADMIN_TOKEN`);
  return { url: url.replace(/\/+$/, ''), token };
}

/** One request to the server's token API; its error answers become the CLI's errors (exit 1). */
export async function callApi(api: { url: string; token: string }, method: string, path: string, body?: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetch(`${api.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${api.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (e) {
    throw new VigilError('unavailable', `cannot reach ${api.url}: ${(e as Error).message}`);
  }
  const text = await res.text();
  let parsed: { error?: { code?: string; message?: string; details?: Problem[] } } & Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: reported below by status
  }
  if (res.ok) return parsed;
  const message = parsed.error?.message ?? `${res.status} ${res.statusText}`;
  if (res.status === 400 && parsed.error?.details?.length) throw new InvalidError(parsed.error.details, message);
  throw new VigilError(parsed.error?.code ?? 'http_error', `${api.url} answered ${res.status}: ${message}`);
}

