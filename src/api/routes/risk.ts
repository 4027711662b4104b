/**
 * Risk (step 11): `GET /api/v1/risk?site=&scope=` the current risk per site, zone and asset, each
 * as it stands now (the stored score decayed to now), with a 5x5 matrix per site; and
 * `GET /api/v1/risk/history?scope=&id=` every recalculation of one scope with its inputs, newest
 * first. Zone ids are `<site>/<zone>`. A caller scoped to some sites sees only theirs: another
 * site's scope is a 404, like its incidents.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { NotFoundError } from '../../domain/errors.js';
import { RISK_SCOPES, type RiskScope } from '../../domain/risk.js';
import { BANDS } from '../../domain/types.js';
import { scopeSites } from '../../store/read/page.js';
import { listRiskHistory, listRiskScores, riskMatrix } from '../../store/read/risk.js';
import { principalOf } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

const levels = z.number().int().min(1).max(5);
const riskItemSchema = z.object({
  scope: z.enum(RISK_SCOPES),
  id: z.string().meta({ description: 'asset id, `<site>/<zone>`, or site id' }),
  site: z.string(),
  zone: z.string().optional(),
  likelihood: levels,
  impact: levels,
  score: z.number().int().min(1).max(25),
  band: z.enum(BANDS),
  recurring: z.boolean(),
  recurringUntil: z.string().nullable().meta({ description: 'when the recurring flag lapses without another incident' }),
  asOf: z.string().meta({ description: 'the values above are as of this instant (the stored score decayed to now)' }),
  computedAt: z.string().meta({ description: 'the last recalculation' }),
  computed: z.object({ likelihood: levels, score: z.number().int(), band: z.string(), recurring: z.boolean(), decayedSum: z.number() }).meta({ description: 'what the last recalculation gave at computedAt' }),
  inputs: z.unknown().meta({ description: 'what the last recalculation used: incidents, decayed sum and ages, thresholds, impact reasons, explanation' }),
});
const cellSchema = z.object({ likelihood: levels, impact: levels, score: z.number().int(), band: z.enum(BANDS), zones: z.array(z.string()), assets: z.array(z.string()) });
const historySchema = z.object({
  seq: z.number().int(),
  scope: z.enum(RISK_SCOPES),
  id: z.string(),
  site: z.string(),
  likelihood: levels,
  impact: levels,
  score: z.number().int(),
  band: z.string(),
  recurring: z.boolean(),
  incidentId: z.string().nullable().meta({ description: 'the incident whose step 11 recalculated it' }),
  computedAt: z.string(),
  inputs: z.unknown(),
});

/** Risk routes. */
export const riskRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service, query: Q } = deps;
  const listQuery = z
    .object({
      site: Q.list('site ids'),
      scope: Q.list('scopes', RISK_SCOPES),
      limit: Q.limit(1000, 500),
      cursor: Q.cursor(),
    })
    .strict();

  app.get(
    '/risk',
    {
      schema: {
        tags: ['risk'],
        summary: 'Risk per site, zone and asset as of now, with a 5x5 matrix per site',
        querystring: deps.input(listQuery),
        response: {
          200: deps.output(z.object({ items: z.array(riskItemSchema), nextCursor: z.string().nullable(), matrix: z.array(z.object({ site: z.string(), cells: z.array(cellSchema) })) })),
          ...deps.errors(400, 401),
        },
      },
    },
    async (request) => {
      const q = request.query as z.output<typeof listQuery>;
      const sites = scopeSites(q.site, principalOf(request).sites);
      const now = service.now();
      const policy = service.config.policy.risk;
      const page = await listRiskScores(service.db, { sites, scopes: q.scope as RiskScope[] | undefined, limit: q.limit, cursor: q.cursor }, now, policy);
      return { ...page, matrix: await riskMatrix(service.db, sites, now, policy) };
    },
  );

  const historyQuery = z
    .object({
      scope: z.enum(RISK_SCOPES, { message: `expected one of ${RISK_SCOPES.join(', ')}` }),
      id: z.string().regex(/^[a-z0-9-]{1,100}(\/[a-z0-9-]{1,100})?$/, 'expected an asset id, a site id, or a zone as <site>/<zone>'),
      limit: Q.limit(500, 50),
      cursor: Q.cursor(),
    })
    .strict()
    .superRefine((v, ctx) => {
      if (v.scope === 'zone' && !v.id.includes('/')) ctx.addIssue({ code: 'custom', path: ['id'], message: 'expected a zone as <site>/<zone>' });
      if (v.scope !== 'zone' && v.id.includes('/')) ctx.addIssue({ code: 'custom', path: ['id'], message: `expected a ${v.scope} id without "/"` });
    });

  app.get(
    '/risk/history',
    {
      schema: {
        tags: ['risk'],
        summary: 'Every recalculation of one asset, zone or site, newest first',
        querystring: deps.input(historyQuery),
        response: { 200: deps.output(z.object({ items: z.array(historySchema), nextCursor: z.string().nullable() })), ...deps.errors(400, 401, 404) },
      },
    },
    async (request) => {
      const q = request.query as z.output<typeof historyQuery>;
      const org = service.org;
      // The scope's site: from the configuration (an id nobody configured is not found).
      let site: string | undefined;
      if (q.scope === 'asset') site = org.assets.get(q.id)?.site;
      else if (q.scope === 'site') site = org.sites.has(q.id) ? q.id : undefined;
      else {
        const [s, zone] = q.id.split('/') as [string, string];
        site = org.sites.get(s)?.zones.has(zone) ? s : undefined;
      }
      const scope = principalOf(request).sites;
      if (!site || (scope && !scope.includes(site))) throw new NotFoundError(`${q.scope} ${q.id}`);
      return listRiskHistory(service.db, { scope: q.scope, id: q.id, limit: q.limit, cursor: q.cursor });
    },
  );
};
