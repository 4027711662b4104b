/**
 * API authentication and authorisation.
 *
 * - Authentication: `Authorization: Bearer <token>`. A token is either the service's admin token
 *   (VIGIL_ADMIN_TOKEN; admin of every site) or a row of `api_tokens` (not revoked). Tokens are
 *   looked up by their SHA-256 only; the plain token is never stored.
 * - Authorisation: each route names the permission it needs (route `config.permission`), and each
 *   role holds a fixed set of permissions (ROLE_PERMISSIONS).
 * - Site scope: a token with a non-empty `sites` list sees only those sites. Lists are filtered,
 *   an incident of another site is "not found" (its existence is not revealed), and writing events
 *   for another site is forbidden.
 *
 * Lookups are cached for a few seconds per process so the ingest hot path does not pay a query per
 * request. The price: a revoked token keeps working for at most `ttlMs` on a process that used it.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ForbiddenError, InvalidError, UnauthorizedError, type Problem } from '../domain/errors.js';
import { hashToken, type Service } from '../service.js';
import type { Queryable } from '../store/db.js';
import { findActiveToken, insertApiToken } from '../store/tokens.js';

/** Roles of API tokens (dashboard users share them, plus `ingest` for machines). */
export const ROLES = ['admin', 'manager', 'security_lead', 'guard', 'investigator', 'auditor', 'ingest'] as const;
export type Role = (typeof ROLES)[number];

/** What a route may require. `read` is any authenticated caller. */
export type Permission = 'read' | 'events:write' | 'incidents:act' | 'patrols:act';

/** Who may do what. Reads are open to every role; writes to the roles that own them. */
export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  admin: ['read', 'events:write', 'incidents:act', 'patrols:act'],
  manager: ['read', 'events:write', 'incidents:act', 'patrols:act'],
  security_lead: ['read', 'incidents:act', 'patrols:act'],
  guard: ['read', 'patrols:act'],
  investigator: ['read'],
  auditor: ['read'],
  ingest: ['read', 'events:write'],
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
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the auth hook on every /api route; null elsewhere. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Permission an /api route requires (default `read`). */
    permission?: Permission;
  }
}

/** Options of the token authenticator. */
export interface TokenAuthOptions {
  /** How long a token lookup is trusted (ms). */
  ttlMs?: number;
  /** Most cached tokens; the cache is dropped when full (bounded memory under token spraying). */
  maxEntries?: number;
}

/** Resolves bearer tokens to principals, with a short-lived cache. */
export class TokenAuth {
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly adminHash: Buffer | undefined;

  constructor(
    private readonly service: Pick<Service, 'db' | 'adminTokenHash'>,
    opts: TokenAuthOptions = {},
  ) {
    this.ttlMs = opts.ttlMs ?? 10_000;
    this.maxEntries = opts.maxEntries ?? 10_000;
    this.adminHash = service.adminTokenHash ? Buffer.from(service.adminTokenHash, 'hex') : undefined;
  }

  /** The principal of a plain token, or null when it is not a valid token. */
  async resolve(token: string): Promise<Principal | null> {
    const hash = hashToken(token);
    const hashBuf = Buffer.from(hash, 'hex');
    if (this.adminHash && timingSafeEqual(hashBuf, this.adminHash)) return { id: 'admin', name: 'admin', role: 'admin', sites: null };
    const now = Date.now();
    const hit = this.cache.get(hash);
    if (hit && hit.until > now) return hit.principal;
    const row = await findActiveToken(this.service.db, hash);
    const principal: Principal | null =
      row && (ROLES as readonly string[]).includes(row.role)
        ? { id: row.id, name: row.name, role: row.role as Role, sites: row.sites && row.sites.length > 0 ? [...row.sites] : null }
        : null;
    // Unknown tokens are cached too (briefly), so a flood of bad tokens does not become a flood of queries.
    if (this.cache.size >= this.maxEntries) this.cache.clear();
    this.cache.set(hash, { principal, until: now + (principal ? this.ttlMs : Math.min(this.ttlMs, 2_000)) });
    return principal;
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
    const token = bearerToken(request.headers.authorization);
    if (!token) throw new UnauthorizedError();
    const principal = await auth.resolve(token);
    if (!principal) throw new UnauthorizedError('the bearer token is not valid (unknown or revoked)');
    request.principal = principal;
    const needed = request.routeOptions.config.permission ?? 'read';
    if (!can(principal.role, needed)) {
      const roles = ROLES.filter((r) => can(r, needed));
      throw new ForbiddenError(`role ${principal.role} may not ${describe(needed)}; expected one of ${roles.join(', ')}`);
    }
  };
}

function describe(p: Permission): string {
  return p === 'events:write' ? 'post events' : p === 'incidents:act' ? 'act on incidents' : 'read';
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

/**
 * Creates an API token and returns it once in plain form (32 random bytes, base64url); only its
 * SHA-256 is stored. `sites` empty or absent means every site.
 */
export async function createApiToken(db: Queryable, input: { name: string; role: Role | string; sites?: readonly string[] }): Promise<{ id: string; token: string }> {
  const problems: Problem[] = [];
  if (typeof input.name !== 'string' || input.name.trim() === '' || input.name.length > 200) problems.push({ path: 'name', message: 'expected a name of 1-200 characters' });
  if (!(ROLES as readonly string[]).includes(input.role)) problems.push({ path: 'role', message: `expected one of ${ROLES.join(', ')}` });
  (input.sites ?? []).forEach((s, i) => {
    if (!/^[a-z0-9-]{1,100}$/.test(s)) problems.push({ path: `sites[${i}]`, message: 'expected a site id ([a-z0-9-]+)' });
  });
  if (problems.length > 0) throw new InvalidError(problems);
  const token = randomBytes(32).toString('base64url');
  const id = `tok-${randomBytes(6).toString('hex')}`;
  await insertApiToken(db, { id, name: input.name.trim(), tokenHash: hashToken(token), role: input.role, sites: [...new Set(input.sites ?? [])] });
  return { id, token };
}
