/**
 * Devices and access findings (steps 12 and 13):
 *
 * - `GET /api/v1/devices/audit?site=`: the equipment audit of each site, computed at request time
 *   from the current device state (workflow/equipment-monitor.ts auditSite): every device with its
 *   health, coverage per zone, blind spots of high-risk assets, open maintenance tasks, and when
 *   the daily job last stored an audit of the site (`lastStoredAuditAt`).
 * - `GET /api/v1/access-findings?site=&from=&to=&rule=&incident=&limit=&cursor=`: access-log
 *   findings of incidents and of the daily review, newest first.
 *
 * Site scope: a site-scoped token asking for another site is refused (403); without `site` it sees
 * its own sites only.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ACCESS_RULES } from '../../domain/access-review.js';
import { InvalidError } from '../../domain/errors.js';
import { latestDeviceAudit, listAccessFindings } from '../../store/findings.js';
import { decodeCursor, encodeCursor, scopeSites } from '../../store/read/page.js';
import { auditSite } from '../../workflow/equipment-monitor.js';
import { assertSites, principalOf } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

const deviceSchema = z.object({
  id: z.string(),
  site: z.string(),
  kind: z.string(),
  zone: z.string(),
  status: z.enum(['online', 'stale', 'offline', 'not_recording', 'tampered', 'unknown']),
  online: z.boolean().nullable(),
  recording: z.boolean().nullable(),
  lastSeenAt: z.string().nullable(),
  silentMinutes: z.number().nullable(),
  silent: z.boolean(),
  tamperedAt: z.string().nullable(),
  working: z.boolean(),
});

const auditSchema = z.object({
  site: z.string(),
  at: z.string(),
  lastStoredAuditAt: z.string().nullable(),
  policy: z.object({ offlineAfterMinutes: z.number(), staleAfterMinutes: z.number() }),
  summary: z.record(z.string(), z.number()),
  devices: z.array(deviceSchema),
  coverage: z.array(z.object({ zone: z.string(), name: z.string(), share: z.number(), designShare: z.number(), cameras: z.array(z.string()), camerasDown: z.array(z.string()) })),
  blindSpots: z.array(
    z.object({
      asset: z.string(),
      name: z.string(),
      zone: z.string(),
      position: z.tuple([z.number(), z.number()]).nullable(),
      highRiskReasons: z.array(z.string()),
      reason: z.enum(['no_camera', 'cameras_down']),
      cameras: z.array(z.string()),
    }),
  ),
  maintenanceTasks: z.array(z.object({ id: z.string(), deviceId: z.string(), title: z.string(), status: z.string(), createdAt: z.string(), dueAt: z.string().nullable() })),
});

/** An access finding as the API shows it. */
export const accessFindingSchema = z.object({
  id: z.string(),
  incidentId: z.string().nullable(),
  site: z.string(),
  rule: z.enum(ACCESS_RULES),
  badge: z.string().nullable(),
  person: z.string().nullable(),
  zone: z.string().nullable(),
  at: z.string(),
  severity: z.enum(['low', 'medium', 'high']),
  summary: z.string(),
  evidence: z.array(z.number().int()).meta({ description: 'event seqs (evt-<seq> in the event log)' }),
  details: z.record(z.string(), z.unknown()),
  foundAt: z.string(),
});

/** Device and access-finding routes. */
export const deviceRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service, query: Q } = deps;
  const auditQuery = z.object({ site: Q.list('site ids') }).strict();

  app.get(
    '/devices/audit',
    {
      schema: {
        tags: ['devices'],
        summary: 'The equipment audit of each site, computed now: device status, coverage per zone, blind spots of high-risk assets',
        querystring: deps.input(auditQuery),
        response: { 200: deps.output(z.object({ items: z.array(auditSchema), nextCursor: z.null() })), ...deps.errors(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query as z.output<typeof auditQuery>;
      const principal = principalOf(request);
      if (q.site) {
        const unknown = q.site.filter((s) => !service.org.sites.has(s));
        if (unknown.length > 0) throw new InvalidError(unknown.map((s) => ({ path: 'site', message: `no configured site ${s}` })));
        assertSites(principal, q.site);
      }
      const sites = q.site ?? [...service.org.sites.keys()].filter((s) => !principal.sites || principal.sites.includes(s));
      const now = service.now();
      const items = [];
      for (const site of sites) {
        const audit = await auditSite(service.db, service.org, site, now);
        const stored = await latestDeviceAudit(service.db, site);
        items.push({ ...audit, lastStoredAuditAt: stored ? stored.at.toISOString() : null });
      }
      return { items, nextCursor: null };
    },
  );

  const findingsQuery = z
    .object({
      site: Q.list('site ids'),
      rule: Q.list('rules', ACCESS_RULES),
      incident: z.string().min(1).max(200).optional().meta({ description: 'only the findings of this incident' }),
      from: Q.instant('found events at or after this time'),
      to: Q.instant('found events before this time'),
      limit: Q.limit(),
      cursor: Q.cursor(),
    })
    .strict();

  app.get(
    '/access-findings',
    {
      schema: {
        tags: ['devices'],
        summary: 'Access-log findings (incident reviews and the daily review), newest first',
        querystring: deps.input(findingsQuery),
        response: { 200: deps.output(z.object({ items: z.array(accessFindingSchema), nextCursor: z.string().nullable() })), ...deps.errors(400, 401) },
      },
    },
    async (request) => {
      const q = request.query as z.output<typeof findingsQuery>;
      const sites = scopeSites(q.site, principalOf(request).sites);
      const after = q.cursor ? decodeCursor(q.cursor, 'string') : undefined;
      const page = await listAccessFindings(service.db, {
        ...(sites ? { sites } : {}),
        ...(q.from ? { from: q.from } : {}),
        ...(q.to ? { to: q.to } : {}),
        ...(q.rule ? { rules: q.rule } : {}),
        ...(q.incident ? { incident: q.incident } : {}),
        limit: q.limit,
        ...(after ? { after } : {}),
      });
      const last = page.rows[page.rows.length - 1];
      return { items: page.rows.map(({ cursorAt: _c, ...f }) => f), nextCursor: page.more && last ? encodeCursor(last.cursorAt, last.id) : null };
    },
  );
};
