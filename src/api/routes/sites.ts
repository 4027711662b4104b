/**
 * Sites: `GET /api/v1/sites?site=`, the configured site plans (zones with their polygons, assets
 * with positions and values, devices with positions and camera fields of view, guards) as the
 * dashboard draws them. Read-only, straight from the loaded configuration, filtered by the
 * token's site scope like every other list (a site outside the scope is simply not listed).
 *
 * Personal data stays out: no personnel, badges or phone numbers; a guard is a name, a position
 * and whether they are on shift.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { SiteConfig } from '../../config/schema.js';
import { scopeSites } from '../../store/read/page.js';
import { principalOf } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

/** A point on the site plan, metres: x east, y north. */
type Point = [number, number];

/** A site as `GET /api/v1/sites` shows it. */
export interface SiteItem {
  id: string;
  name: string;
  kind: string;
  timezone: string;
  businessHours: { open: string; close: string; days?: string[] };
  location: { lat: number; lon: number } | null;
  zones: { id: string; name: string; kind: string; restricted: boolean; polygon: Point[] | null; adjacent: string[] }[];
  assets: { id: string; name: string; category: string; zone: string; position: Point | null; value: string }[];
  devices: { id: string; kind: string; zone: string; position: Point | null; fov: { direction: number; angle: number; range: number } | null; covers: string[] }[];
  guards: { id: string; name: string; position: Point | null; onShift: boolean }[];
}

const point = z.tuple([z.number(), z.number()]);

const siteItemSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.string(),
  timezone: z.string().meta({ description: 'IANA time zone of the site' }),
  businessHours: z.object({ open: z.string(), close: z.string(), days: z.array(z.string()).optional() }),
  location: z.object({ lat: z.number(), lon: z.number() }).nullable(),
  zones: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      kind: z.string(),
      restricted: z.boolean(),
      polygon: z.array(point).nullable().meta({ description: 'outline in metres on the site plan (x east, y north)' }),
      adjacent: z.array(z.string()),
    }),
  ),
  assets: z.array(z.object({ id: z.string(), name: z.string(), category: z.string(), zone: z.string(), position: point.nullable(), value: z.string() })),
  devices: z.array(
    z.object({
      id: z.string(),
      kind: z.string(),
      zone: z.string(),
      position: point.nullable(),
      fov: z
        .object({ direction: z.number().meta({ description: 'degrees counter-clockwise from +x (east)' }), angle: z.number(), range: z.number() })
        .nullable(),
      covers: z.array(z.string()),
    }),
  ),
  guards: z.array(z.object({ id: z.string(), name: z.string(), position: point.nullable(), onShift: z.boolean() })),
});

/** The API view of one configured site. */
export function siteItem(site: SiteConfig): SiteItem {
  const pt = (p: readonly number[] | undefined): Point | null => (p ? [p[0], p[1]] : null);
  return {
    id: site.id,
    name: site.name,
    kind: site.kind,
    timezone: site.timezone,
    businessHours: { open: site.businessHours.open, close: site.businessHours.close, ...(site.businessHours.days ? { days: [...site.businessHours.days] } : {}) },
    location: site.location ? { lat: site.location.lat, lon: site.location.lon } : null,
    zones: site.zones.map((z) => ({
      id: z.id,
      name: z.name,
      kind: z.kind,
      restricted: z.restricted,
      polygon: z.polygon ? z.polygon.map((p) => [p[0], p[1]] as Point) : null,
      adjacent: [...z.adjacent],
    })),
    assets: site.assets.map((a) => ({ id: a.id, name: a.name, category: a.category, zone: a.zone, position: pt(a.position), value: a.value })),
    devices: site.devices.map((d) => ({
      id: d.id,
      kind: d.kind,
      zone: d.zone,
      position: pt(d.position),
      fov: d.fov ? { direction: d.fov.direction, angle: d.fov.angle, range: d.fov.range } : null,
      covers: [...d.covers],
    })),
    guards: site.guards.map((g) => ({ id: g.id, name: g.name, position: pt(g.position), onShift: g.onShift })),
  };
}

/** Site routes (mounted under /api/v1). */
export const siteRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service, query: Q } = deps;
  const query = z.object({ site: Q.list('site ids') }).strict();

  app.get(
    '/sites',
    {
      schema: {
        tags: ['sites'],
        summary: 'The site plans: zones, assets, devices (with camera fields of view) and guards',
        querystring: deps.input(query),
        response: { 200: deps.output(z.object({ items: z.array(siteItemSchema), nextCursor: z.null() })), ...deps.errors(400, 401) },
      },
    },
    async (request) => {
      const q = request.query as z.output<typeof query>;
      const wanted = scopeSites(q.site, principalOf(request).sites);
      const allowed = wanted ? new Set(wanted) : null;
      const items = service.config.sites.filter((s) => !allowed || allowed.has(s.id)).map(siteItem);
      // A handful of configured sites: one page.
      return { items, nextCursor: null };
    },
  );
};
