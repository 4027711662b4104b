/**
 * API tokens (admin only, `tokens:manage`): `POST /api/v1/tokens` makes one and answers its plain
 * form once, `GET /api/v1/tokens` lists them (never a token or its hash), `DELETE
 * /api/v1/tokens/{name}` revokes the live token of that name. A revocation holds at once on this
 * process and within the token cache's lifetime (10 s) on every other process.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { InvalidError, NotFoundError } from '../../domain/errors.js';
import { listApiTokens, revokeApiToken, type ApiTokenListRow } from '../../store/tokens.js';
import { createApiToken, noteTokensChanged, ROLES, TOKEN_NAME } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

/** A token as the API lists it. */
export interface TokenItem {
  id: string;
  name: string;
  role: string;
  /** Empty: every site. */
  sites: string[];
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
  state: 'active' | 'expired' | 'revoked';
}

/** The listed form of a stored token at `now`. */
export function tokenItem(r: ApiTokenListRow, now: Date): TokenItem {
  return {
    id: r.id,
    name: r.name,
    role: r.role,
    sites: r.sites ?? [],
    createdAt: r.created_at.toISOString(),
    expiresAt: r.expires_at ? r.expires_at.toISOString() : null,
    revokedAt: r.revoked_at ? r.revoked_at.toISOString() : null,
    state: r.revoked_at ? 'revoked' : r.expires_at && r.expires_at.getTime() <= now.getTime() ? 'expired' : 'active',
  };
}

const tokenItemSchema = z.object({
  id: z.string(),
  name: z.string(),
  role: z.enum(ROLES),
  sites: z.array(z.string()).meta({ description: 'sites the token may see and act for; empty for every site' }),
  createdAt: z.string(),
  expiresAt: z.string().nullable(),
  revokedAt: z.string().nullable(),
  state: z.enum(['active', 'expired', 'revoked']),
});

/** Token routes (admin). */
export const tokenRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service } = deps;
  const config = { permission: 'tokens:manage' } as const;

  const body = z
    .object({
      name: z.string().regex(TOKEN_NAME, 'expected a name of 1-100 characters: letters, digits, space, _ . @ -, starting with a letter or digit'),
      role: z.enum(ROLES, { error: `expected one of ${ROLES.join(', ')}` }),
      sites: z.array(z.string().regex(/^[a-z0-9-]{1,100}$/, 'expected a site id ([a-z0-9-]+)')).max(1000).optional().meta({ description: 'sites the token is limited to; absent or empty for every site' }),
      expires: z
        .string()
        .regex(/^\s*\d{1,6}\s*[smhdwySMHDWY]\s*$/, 'expected a whole number and a unit (s, m, h, d, w, y), like "30d" or "12h"')
        .optional()
        .meta({ description: 'lifetime from now, like "30d"; absent for a token that does not expire' }),
    })
    .strict();
  app.post(
    '/tokens',
    {
      config,
      schema: {
        tags: ['tokens'],
        summary: 'Make an API token (the plain token is in this answer only)',
        body: deps.input(body),
        response: { 201: deps.output(tokenItemSchema.extend({ token: z.string().meta({ description: 'the plain token: shown once, stored only as its SHA-256' }) })), ...deps.errors(400, 401, 403, 409) },
      },
    },
    async (request, reply) => {
      const b = request.body as z.output<typeof body>;
      const unknown = (b.sites ?? []).map((s, i) => ({ s, i })).filter(({ s }) => !service.org.sites.has(s));
      if (unknown.length > 0) throw new InvalidError(unknown.map(({ s, i }) => ({ path: `sites[${i}]`, message: `unknown site "${s}"; expected one of ${[...service.org.sites.keys()].join(', ')}` })));
      const now = service.now();
      const made = await createApiToken(service.db, { name: b.name, role: b.role, ...(b.sites ? { sites: b.sites } : {}), ...(b.expires ? { expires: b.expires } : {}), now });
      const item = tokenItem({ id: made.id, name: made.name, role: made.role, sites: made.sites, created_at: now, expires_at: made.expiresAt, revoked_at: null }, now);
      return reply.code(201).send({ ...item, token: made.token });
    },
  );

  app.get(
    '/tokens',
    {
      config,
      schema: { tags: ['tokens'], summary: 'API tokens: live ones by name, then revoked ones (never a token or its hash)', response: { 200: deps.output(z.object({ items: z.array(tokenItemSchema), nextCursor: z.null() })), ...deps.errors(401, 403) } },
    },
    async () => {
      const now = service.now();
      return { items: (await listApiTokens(service.db)).map((r) => tokenItem(r, now)), nextCursor: null };
    },
  );

  const params = z.object({ name: z.string().min(1).max(100) }).strict();
  app.delete(
    '/tokens/:name',
    {
      config,
      schema: { tags: ['tokens'], summary: 'Revoke the live token of this name', params: deps.input(params), response: { 200: deps.output(tokenItemSchema), ...deps.errors(400, 401, 403, 404) } },
    },
    async (request) => {
      const { name } = request.params as z.output<typeof params>;
      const now = service.now();
      const row = await revokeApiToken(service.db, name, now);
      if (!row) throw new NotFoundError(`active token named ${name}`);
      noteTokensChanged(service.db);
      return tokenItem(row, now);
    },
  );
};
