/**
 * `GET /api/v1/me`: who the caller is (name, role, sites, the permissions the role holds) and, for
 * a guard, which configured guard they are. The dashboard reads it to open a guard's phone view
 * and to find their patrols; the server still decides every permission and site on each request.
 *
 * A principal is tied to a configured guard by name: the guard (within the principal's sites)
 * whose id, or whose name, equals the principal's name, case-insensitively (a token or user
 * called "guard-101-1" or "Sam Ortiz" is that guard). Patrols carry the guard's id
 * (`patrols.guard_id`), so the guard view shows that guard's patrols first.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ROLE_PERMISSIONS, ROLES, principalOf, type Principal } from '../auth.js';
import type { Service } from '../../service.js';
import type { RouteDeps } from '../route-deps.js';

/** The configured guard a principal is, if any (by id or name, within its sites). */
export function guardOfPrincipal(service: Pick<Service, 'config'>, principal: Principal): { id: string; name: string; site: string } | null {
  const want = principal.name.trim().toLowerCase();
  for (const site of service.config.sites) {
    if (principal.sites && !principal.sites.includes(site.id)) continue;
    for (const g of site.guards) if (g.id.toLowerCase() === want || g.name.trim().toLowerCase() === want) return { id: g.id, name: g.name, site: site.id };
  }
  return null;
}

const meSchema = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  sites: z.array(z.string()).nullable().meta({ description: 'the sites the caller may see; null for every site' }),
  permissions: z.array(z.string()),
  guard: z.object({ id: z.string(), name: z.string(), site: z.string() }).nullable().meta({ description: 'the configured guard this caller is (by id or name), if any' }),
});

/** The route (under /api/v1). */
export const meRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  app.get(
    '/me',
    { schema: { tags: ['auth'], summary: 'The caller: name, role, sites, permissions, and the guard they are', response: { 200: deps.output(meSchema), ...deps.errors(401) } } },
    async (request) => {
      const p = principalOf(request);
      return { name: p.name, role: p.role, sites: p.sites ? [...p.sites] : null, permissions: [...ROLE_PERMISSIONS[p.role]], guard: guardOfPrincipal(deps.service, p) };
    },
  );
};
