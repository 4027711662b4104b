/**
 * API authentication and authorisation.
 *
 * - Authentication: `Authorization: Bearer <token>`. A token is either the service's admin token
 *   (VIGIL_ADMIN_TOKEN; admin of every site) or a row of `api_tokens` (not revoked, not expired).
 *   Tokens are looked up by their SHA-256 only; the plain token is never stored.
 * - Or the dashboard's session cookie (`vigil_session`, made by `POST /api/v1/session`): the
 *   session's user becomes the same Principal (role and sites), so every permission and site scope
 *   holds alike. A state-changing request (anything but GET, HEAD, OPTIONS) made with the cookie
 *   must carry the session's CSRF token in `X-CSRF-Token`, or it is a 403. A bearer token wins
 *   over a cookie and needs no CSRF token (a browser never adds it by itself).
 * - Authorisation: each route names the permission it needs (route `config.permission`), and each
 *   role holds a fixed set of permissions (ROLE_PERMISSIONS).
 * - Site scope: a token with a non-empty `sites` list sees only those sites. Lists are filtered,
 *   an incident of another site is "not found" (its existence is not revealed), and writing events
 *   for another site is forbidden.
 *
 * - Redaction: a caller without `people:read` gets answers without contact data (`forCaller`):
 *   guards without phone numbers, notifications without address, subject and body.
 *
 * Lookups are cached for a few seconds per process so the ingest hot path does not pay a query per
 * request. The price: a token revoked by another process keeps working for at most `ttlMs` on a
 * process that used it; revoking through this process (the API) takes effect here at once. An
 * expiry is honoured to the second: a cached lookup never outlives its token.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError, InvalidError, UnauthorizedError, type Problem } from '../domain/errors.js';
import { hashToken, type Service } from '../service.js';
import type { Queryable } from '../store/db.js';
import { DURATION_HINT, parseDuration } from '../domain/duration.js';
import { findActiveToken, insertApiToken } from '../store/tokens.js';
import { deleteExpiredSessions, findSession, insertSession } from '../store/sessions.js';

/** Roles of API tokens (dashboard users share them, plus `ingest` for machines). */
export const ROLES = ['admin', 'manager', 'security_lead', 'guard', 'investigator', 'auditor', 'ingest'] as const;
export type Role = (typeof ROLES)[number];

/** Roles of dashboard users: those of tokens except `ingest` (machines do not sign in). */
export const USER_ROLES = ['admin', 'manager', 'security_lead', 'guard', 'investigator', 'auditor'] as const satisfies readonly Role[];
export type UserRole = (typeof USER_ROLES)[number];

/**
 * What a route may require:
 * - `read`: incidents, events, assets, sites, patrols, jobs, CAP alerts and the live stream;
 * - `people:read`: contact data, i.e. phone numbers, email addresses and alert bodies (the
 *   notification list, guards' phone numbers, the notifications inside an incident); without it
 *   those fields are left out of every answer;
 * - `events:write`: posting events; `incidents:act` and `patrols:act`: the lifecycle actions
 *   (patrols and guards' state); `tokens:manage`: making, listing and revoking API tokens;
 * - `notes:write`: case notes on incidents; `tasks:act`: working investigation and maintenance
 *   tasks (status, comments, reassignment); `assets:act`: changing an asset's status;
 *   `reports:sign`: signing off an incident report (freezes the version); `archive:hold`: placing
 *   and lifting a legal hold on an archived incident; `users:manage`: making, listing and changing
 *   dashboard users (role, sites, disabled, password).
 */
export const PERMISSIONS = ['read', 'people:read', 'events:write', 'incidents:act', 'patrols:act', 'tokens:manage', 'notes:write', 'tasks:act', 'assets:act', 'reports:sign', 'archive:hold', 'users:manage'] as const;
export type Permission = (typeof PERMISSIONS)[number];

/**
 * Who may do what (least privilege). Only `admin` manages tokens. `ingest` is for machines that
 * feed events: it posts events for its sites and reads nothing at all, so a leaked feeder token
 * shows no incident, phone number, email address or alert text.
 */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: ['read', 'people:read', 'events:write', 'incidents:act', 'patrols:act', 'tokens:manage', 'notes:write', 'tasks:act', 'assets:act', 'reports:sign', 'archive:hold', 'users:manage'],
  manager: ['read', 'people:read', 'events:write', 'incidents:act', 'patrols:act', 'notes:write', 'tasks:act', 'assets:act', 'reports:sign', 'archive:hold'],
  security_lead: ['read', 'people:read', 'incidents:act', 'patrols:act', 'notes:write', 'tasks:act', 'assets:act'],
  guard: ['read', 'patrols:act', 'notes:write'],
  investigator: ['read', 'notes:write', 'tasks:act', 'assets:act', 'reports:sign'],
  auditor: ['read', 'people:read'],
  ingest: ['events:write'],
};

/** The authenticated caller of a request. */
export interface Principal {
  /** Token id ("admin" for the service's admin token). */
  id: string;
  /** Name recorded as the actor in the audit log. */
  name: string;
  role: Role;
  /** Sites the caller may see; null means every site. */
  sites: readonly string[] | null;
  /** How the caller signed in: a bearer token (default) or the dashboard's session cookie. */
  via?: 'token' | 'session';
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every /api route; null elsewhere. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Permission an /api route requires (default `read`). */
    permission?: Permission;
    /** `none`: the route needs no caller (signing in, the first-run setup); it checks its own input. */
    auth?: 'none';
  }
}

/** Options of the token authenticator. */
export interface TokenAuthOptions {
  /** How long a token lookup is trusted (ms). */
  ttlMs?: number;
  /** Most cached tokens; the cache is dropped when full (bounded memory under token spraying). */
  maxEntries?: number;
}

/** What a token lookup found: the caller, or why the token is refused. */
export type TokenLookup = { principal: Principal; refused?: undefined } | { principal: null; refused: string };

/**
 * Token changes made in this process, per store: a TokenAuth over the same store drops its cache
 * when the count moved, so a revocation through this process's API holds at once.
 */
const tokenChanges = new WeakMap<object, number>();

/** Tells every TokenAuth of this process over `db` that tokens changed (created or revoked). */
export function noteTokensChanged(db: object): void {
  tokenChanges.set(db, (tokenChanges.get(db) ?? 0) + 1);
}

/** Resolves bearer tokens to principals, with a short-lived cache. */
export class TokenAuth {
  private readonly cache = new Map<string, { lookup: TokenLookup; until: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly adminHash: Buffer | undefined;
  private seenChanges = 0;
  /** The store and clock sessions are looked up with. */
  readonly sessionService: Pick<Service, 'db'> & Partial<Pick<Service, 'now'>>;

  constructor(
    private readonly service: Pick<Service, 'db' | 'adminTokenHash'> & Partial<Pick<Service, 'now'>>,
    opts: TokenAuthOptions = {},
  ) {
    this.sessionService = service;
    this.ttlMs = opts.ttlMs ?? 10_000;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.adminHash = service.adminTokenHash ? Buffer.from(service.adminTokenHash, 'hex') : undefined;
  }

  /** The principal of a plain token, or null when it is not a valid token. */
  async resolve(token: string): Promise<Principal | null> {
    return (await this.lookup(token)).principal;
  }

  /** The principal of a plain token, or the reason it is refused (unknown, revoked, expired). */
  async lookup(token: string): Promise<TokenLookup> {
    const hash = hashToken(token);
    const hashBuf = Buffer.from(hash, 'hex');
    if (this.adminHash && timingSafeEqual(hashBuf, this.adminHash)) return { principal: { id: 'admin', name: 'admin', role: 'admin', sites: null } };
    const changes = tokenChanges.get(this.service.db) ?? 0;
    if (changes !== this.seenChanges) {
      this.seenChanges = changes;
      this.cache.clear();
    }
    const now = (this.service.now?.() ?? new Date()).getTime();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.lookup;
    const row = await findActiveToken(this.service.db, hash);
    let lookup: TokenLookup;
    let until = now + Math.min(this.ttlMs, 2_000);
    if (!row || !(ROLES as readonly string[]).includes(row.role)) {
      lookup = { principal: null, refused: 'the bearer token is not valid (unknown or revoked)' };
    } else if (row.expires_at && row.expires_at.getTime() <= now) {
      lookup = { principal: null, refused: `the bearer token expired at ${row.expires_at.toISOString()}` };
    } else {
      lookup = { principal: { id: row.id, name: row.name, role: row.role as Role, sites: row.sites && row.sites.length > 0 ? [...row.sites] : null } };
      // A cached lookup never outlives the token's expiry.
      until = Math.min(now + this.ttlMs, row.expires_at ? row.expires_at.getTime() : Infinity);
    }
    // Unknown tokens are cached too (briefly), so a flood of bad tokens does not become a flood of queries.
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(hash, { lookup, until });
    return lookup;
  }

  /** Forgets cached lookups (after revoking or creating tokens in this process). */
  clear(): void {
    this.cache.clear();
  }
}

/** Extracts the token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const m = /^Bearer[ \t]+([^\s]+)[ \t]*$/i.exec(header);
  return m ? m[1] : undefined;
}

/** The session cookie's name. */
export const SESSION_COOKIE = 'vigil_session';
/** The header that carries the CSRF token on state-changing requests made with the cookie. */
export const CSRF_HEADER = 'x-csrf-token';
/** How long a session lasts from sign-in: a long shift. */
export const SESSION_TTL_MS = 12 * 3_600_000;

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      const v = part.slice(eq + 1).trim();
      return /^[A-Za-z0-9_-]{1,200}$/.test(v) ? v : undefined;
    }
  }
  return undefined;
}

/**
 * The CSRF token of a session: derived from the session id (HMAC), so the server can hand it out
 * again to the page that holds the cookie (`GET /api/v1/session`) while storing only its hash.
 * Knowing it reveals nothing of the session id.
 */
export function csrfTokenOf(sessionId: string): string {
  return createHmac('sha256', sessionId).update('vigil-csrf').digest('base64url');
}

/** Starts a session for a user: the id for the cookie, its CSRF token, and when it ends. */
export async function createSession(db: Queryable, userName: string, now: Date, ttlMs = SESSION_TTL_MS): Promise<{ id: string; csrfToken: string; expiresAt: Date }> {
  const id = randomBytes(32).toString('base64url');
  const csrfToken = csrfTokenOf(id);
  const expiresAt = new Date(now.getTime() + ttlMs);
  await deleteExpiredSessions(db, now);
  await insertSession(db, { idHash: sha256(id), userName, csrfHash: sha256(csrfToken), createdAt: now, expiresAt });
  return { id, csrfToken, expiresAt };
}

/** The SHA-256 (hex) a session id is stored under. */
export const sessionHash = (sessionId: string): string => sha256(sessionId);

/** What a session lookup found: the caller and the CSRF token's hash, or why it is refused. */
export type SessionLookup = { principal: Principal; csrfHash: string; expiresAt: Date; refused?: undefined } | { principal: null; refused: string };

/**
 * The session of a cookie value, looked up on every request (no cache), so signing out, disabling
 * a user or changing their role holds at once on every process.
 */
export async function lookupSession(service: Pick<Service, 'db'> & Partial<Pick<Service, 'now'>>, sessionId: string): Promise<SessionLookup> {
  const row = await findSession(service.db, sha256(sessionId));
  const now = service.now?.() ?? new Date();
  if (!row) return { principal: null, refused: 'the session is not valid (signed out or unknown); sign in again' };
  if (new Date(row.expires_at).getTime() <= now.getTime()) return { principal: null, refused: 'the session expired; sign in again' };
  if (row.disabled) return { principal: null, refused: 'this user is disabled' };
  if (!(USER_ROLES as readonly string[]).includes(row.role)) return { principal: null, refused: 'the session is not valid; sign in again' };
  return {
    principal: { id: `user:${row.user_name}`, name: row.user_name, role: row.role as Role, sites: row.sites && row.sites.length > 0 ? [...row.sites] : null, via: 'session' },
    csrfHash: row.csrf_hash,
    expiresAt: new Date(row.expires_at),
  };
}

/** True when `token` is the CSRF token whose hash is `hash` (constant-time). */
export function csrfMatches(token: string | undefined, hash: string): boolean {
  if (!token || token.length > 200) return false;
  const a = Buffer.from(sha256(token), 'hex');
  const b = Buffer.from(hash, 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Who is calling: the bearer token's principal, else the session cookie's (with its CSRF check on
 * state-changing methods). Throws 401 when neither proves anyone, 403 when the CSRF token is missing.
 */
export async function authenticateRequest(auth: TokenAuth, request: FastifyRequest): Promise<Principal> {
  const header = request.headers.authorization;
  const token = bearerToken(header);
  if (token) {
    const found = await auth.lookup(token);
    if (!found.principal) throw new UnauthorizedError(found.refused);
    return found.principal;
  }
  const sessionId = header ? undefined : cookieValue(request.headers.cookie, SESSION_COOKIE);
  if (!sessionId) throw new UnauthorizedError(header ? undefined : 'a valid bearer token or a signed-in session is required');
  const found = await lookupSession(auth.sessionService, sessionId);
  if (!found.principal) throw new UnauthorizedError(found.refused);
  if (!SAFE_METHODS.has(request.method)) {
    const sent = request.headers[CSRF_HEADER];
    if (!csrfMatches(typeof sent === 'string' ? sent : undefined, found.csrfHash)) {
      throw new ForbiddenError(`a ${request.method} request signed in by the session cookie must carry the session's CSRF token in the X-CSRF-Token header`);
    }
  }
  return found.principal;
}

/** True when the role holds the permission. */
export function can(role: Role, permission: Permission): boolean {
  return ROLE_PERMISSIONS[role].includes(permission);
}

/**
 * The onRequest hook of /api routes: authenticates the caller and checks the route's permission.
 * Runs before the body is read, so an unauthenticated caller cannot make the server parse 5 MiB.
 */
export function authHook(auth: TokenAuth) {
  return async function authenticate(request: FastifyRequest, _reply: FastifyReply): Promise<void> {
    if (request.routeOptions.config.auth === 'none') return;
    const principal = await authenticateRequest(auth, request);
    request.principal = principal;
    const needed = request.routeOptions.config.permission ?? 'read';
    if (!can(principal.role, needed)) {
      const roles = ROLES.filter((r) => can(r, needed));
      throw new ForbiddenError(`role ${principal.role} may not ${describe(needed)}; expected one of ${roles.join(', ')}`);
    }
  };
}

const PERMISSION_TEXT: Record<Permission, string> = {
  read: 'read',
  'people:read': 'read contact data (phone numbers, emails, alert texts)',
  'events:write': 'post events',
  'incidents:act': 'act on incidents',
  'patrols:act': 'act on patrols and guards',
  'tokens:manage': 'manage API tokens',
  'notes:write': 'write case notes',
  'tasks:act': 'work on tasks',
  'assets:act': 'change asset status',
  'reports:sign': 'sign off incident reports',
  'archive:hold': 'place or lift a legal hold',
  'users:manage': 'manage dashboard users',
};

function describe(p: Permission): string {
  return PERMISSION_TEXT[p];
}

/** The authenticated principal of an /api request (the auth hook guarantees one). */
export function principalOf(request: FastifyRequest): Principal {
  if (!request.principal) throw new UnauthorizedError();
  return request.principal;
}

/** Throws 403 unless the principal may see every one of `sites`. */
export function assertSites(principal: Principal, sites: Iterable<string>): void {
  if (!principal.sites) return;
  const foreign = [...new Set(sites)].filter((s) => !principal.sites!.includes(s));
  if (foreign.length > 0) {
    throw new ForbiddenError(`this token may act for site(s) ${principal.sites.join(', ')} only; got ${foreign.join(', ')}`);
  }
}

/** Fields that are contact data: shown only to callers with `people:read`. */
const PEOPLE_FIELDS = ['phone', 'email', 'address', 'subject', 'body', 'html'] as const;

/** A copy of `item` without its contact-data fields. */
export function withoutPeopleFields<T extends object>(item: T): Omit<T, (typeof PEOPLE_FIELDS)[number]> {
  const out = { ...item } as Record<string, unknown>;
  for (const f of PEOPLE_FIELDS) delete out[f];
  return out as Omit<T, (typeof PEOPLE_FIELDS)[number]>;
}

/** A copy of a JSON value without contact-data fields at any depth (step results name recipients). */
function withoutPeopleDeep(value: unknown, depth = 0): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => withoutPeopleDeep(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (!(PEOPLE_FIELDS as readonly string[]).includes(k)) out[k] = withoutPeopleDeep(v, depth + 1);
  return out;
}

/**
 * An answer as this caller may see it: unchanged with `people:read`; otherwise guards lose their
 * phone numbers, notifications their address, subject and body, and the incident's step results
 * the phone numbers and addresses of the people they alerted. `kind` says which shape `value` has.
 */
export function forCaller<T>(principal: Principal, kind: 'guard' | 'guards' | 'incident', value: T): T {
  if (can(principal.role, 'people:read') || value === null || value === undefined) return value;
  if (kind === 'guard') return withoutPeopleFields(value as object) as T;
  if (kind === 'guards') return (value as object[]).map((g) => withoutPeopleFields(g)) as T;
  const inc = value as { notifications?: object[]; workflow?: { result?: unknown }[] };
  return {
    ...inc,
    notifications: (inc.notifications ?? []).map((n) => withoutPeopleFields(n)),
    workflow: (inc.workflow ?? []).map((w) => ({ ...w, result: withoutPeopleDeep(w.result) })),
  } as T;
}

/** A new token's name: what people type, within reason (also a URL path segment). */
export const TOKEN_NAME = /^[A-Za-z0-9][A-Za-z0-9 _.@-]{0,99}$/;

/** What a new API token is: its name, role, sites and lifetime. */
export interface NewApiToken {
  name: string;
  role: Role | string;
  sites?: readonly string[];
  /** A duration like "30d" from `now`; or `expiresAt`. */
  expires?: string;
  expiresAt?: Date;
  now?: Date;
}

/**
 * Creates an API token and returns it once in plain form (32 random bytes, base64url); only its
 * SHA-256 is stored. `sites` empty or absent means every site. Every problem of the input is
 * listed (InvalidError); a live token of the same name is a ConflictError.
 */
export async function createApiToken(db: Queryable, input: NewApiToken): Promise<{ id: string; token: string; name: string; role: Role; sites: string[]; expiresAt: Date | null }> {
  const problems: Problem[] = [];
  const name = typeof input.name === 'string' ? input.name.trim() : '';
  if (!TOKEN_NAME.test(name)) problems.push({ path: 'name', message: 'expected a name of 1-100 characters: letters, digits, space, _ . @ -, starting with a letter or digit' });
  if (!(ROLES as readonly string[]).includes(input.role)) problems.push({ path: 'role', message: `expected one of ${ROLES.join(', ')}` });
  (input.sites ?? []).forEach((s, i) => {
    if (!/^[a-z0-9-]{1,100}$/.test(s)) problems.push({ path: `sites[${i}]`, message: 'expected a site id ([a-z0-9-]+)' });
  });
  const now = input.now ?? new Date();
  let expiresAt: Date | null = input.expiresAt ?? null;
  if (input.expires !== undefined) {
    const ms = parseDuration(input.expires);
    if (ms === undefined) problems.push({ path: 'expires', message: `expected ${DURATION_HINT}` });
    else expiresAt = new Date(now.getTime() + ms);
  }
  if (problems.length > 0) throw new InvalidError(problems);
  const token = randomBytes(32).toString('base64url');
  const id = `tok-${randomBytes(6).toString('hex')}`;
  const sites = [...new Set(input.sites ?? [])];
  await insertApiToken(db, { id, name, tokenHash: hashToken(token), role: input.role, sites, createdAt: now, expiresAt });
  noteTokensChanged(db);
  return { id, token, name, role: input.role as Role, sites, expiresAt };
}
