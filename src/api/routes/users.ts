/**
 * Dashboard users (admin only, `users:manage`): `GET /api/v1/users` lists them (never a password
 * or its hash), `POST /api/v1/users` makes one, `PATCH /api/v1/users/{name}` changes the role,
 * sites, disabled flag or password. Disabling a user or setting a new password ends their sessions.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { listUsers } from '../../store/users.js';
import { principalOf, USER_ROLES } from '../auth.js';
import { PASSWORD_MAX, PASSWORD_MIN } from '../passwords.js';
import type { RouteDeps } from '../route-deps.js';
import { changeUser, createUser, SITE_ID, USER_NAME, USER_NAME_HINT, userItem } from '../user-accounts.js';
import { ForbiddenError } from '../../domain/errors.js';

const userSchema = z.object({
  name: z.string(),
  role: z.enum(USER_ROLES),
  sites: z.array(z.string()).meta({ description: 'sites the user may see and act for; empty for every site' }),
  disabled: z.boolean(),
  createdAt: z.string(),
  lastLoginAt: z.string().nullable(),
});

/** User routes (admin). */
export const userRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service } = deps;
  const config = { permission: 'users:manage' } as const;
  const knownSites = () => new Set(service.org.sites.keys());
  const sites = z.array(z.string().regex(SITE_ID, 'expected a site id ([a-z0-9-]+)')).max(1000);
  const password = z.string().min(PASSWORD_MIN, `expected at least ${PASSWORD_MIN} characters`).max(PASSWORD_MAX);
  const role = z.enum(USER_ROLES, { error: `expected one of ${USER_ROLES.join(', ')}` });

  app.get(
    '/users',
    { config, schema: { tags: ['users'], summary: 'Dashboard users by name (never a password or its hash)', response: { 200: deps.output(z.object({ items: z.array(userSchema), nextCursor: z.null() })), ...deps.errors(401, 403) } } },
    async () => ({ items: (await listUsers(service.db)).map(userItem), nextCursor: null }),
  );

  const body = z.object({ name: z.string().regex(USER_NAME, USER_NAME_HINT), role, sites: sites.optional(), password }).strict();
  app.post(
    '/users',
    {
      config,
      schema: { tags: ['users'], summary: 'Make a dashboard user', body: deps.input(body), response: { 201: deps.output(userSchema), ...deps.errors(400, 401, 403, 409) } },
    },
    async (request, reply) => {
      const b = request.body as z.output<typeof body>;
      const row = await createUser(service.db, { ...b, now: service.now(), knownSites: knownSites(), actor: principalOf(request).name, signer: service.logSigner });
      return reply.code(201).send(userItem(row));
    },
  );

  const params = z.object({ name: z.string().min(1).max(100) }).strict();
  const patch = z.object({ role: role.optional(), sites: sites.optional(), disabled: z.boolean().optional(), password: password.optional() }).strict();
  app.patch(
    '/users/:name',
    {
      config,
      schema: {
        tags: ['users'],
        summary: 'Change a user: role, sites, disabled, a new password (disabling or a new password ends their sessions)',
        params: deps.input(params),
        body: deps.input(patch),
        response: { 200: deps.output(userSchema), ...deps.errors(400, 401, 403, 404) },
      },
    },
    async (request) => {
      const { name } = request.params as z.output<typeof params>;
      const b = request.body as z.output<typeof patch>;
      const me = principalOf(request);
      // An admin cannot lock themselves out by mistake (another admin, or the admin token, can).
      if (me.via === 'session' && me.name.toLowerCase() === name.toLowerCase() && (b.disabled === true || (b.role !== undefined && b.role !== 'admin'))) {
        throw new ForbiddenError('you may not disable yourself or take away your own admin role; another admin may');
      }
      return userItem(await changeUser(service.db, name, { ...b, now: service.now(), knownSites: knownSites(), actor: me.name, signer: service.logSigner }));
    },
  );
};
