/**
 * Assets: `GET /api/v1/assets?highRisk=&site=`, the registry with each asset's status and whether
 * the policy counts it as high risk right now (value, category, restricted zone, sensitive data,
 * recent incidents), with the reasons.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AssetConfig } from '../../config/schema.js';
import { highRiskReasons } from '../../domain/assessment.js';
import { listAssetRows, type AssetRow } from '../../store/read/assets.js';
import { scopeSites } from '../../store/read/page.js';
import { principalOf } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

/** An asset as the API shows it. */
export interface AssetItem extends AssetRow {
  highRisk: boolean;
  highRiskReasons: string[];
}

const assetItemSchema = z.object({
  id: z.string(),
  site: z.string(),
  zone: z.string(),
  name: z.string(),
  category: z.string(),
  value: z.string(),
  currency: z.string(),
  vulnerability: z.number(),
  sensitiveData: z.boolean(),
  status: z.string(),
  highRisk: z.boolean(),
  highRiskReasons: z.array(z.string()),
  recentIncidents: z.number().int().meta({ description: 'incidents that touched the asset within policy.highRisk.recentDays' }),
  risk: z
    .object({ likelihood: z.number().int(), impact: z.number().int(), score: z.number().int(), band: z.string(), recurring: z.boolean(), computedAt: z.string() })
    .nullable()
    .meta({ description: 'the asset\'s risk (step 11) as of now; null before its first assessment' }),
});

/** Asset routes. */
export const assetRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service, query: Q } = deps;
  const query = z
    .object({
      highRisk: z.enum(['true', 'false'], { message: 'expected true or false' }).optional().meta({ description: 'only high-risk (true) or only other (false) assets' }),
      site: Q.list('site ids'),
    })
    .strict();

  app.get(
    '/assets',
    {
      schema: {
        tags: ['assets'],
        summary: 'The asset registry, with status and risk',
        querystring: deps.input(query),
        response: { 200: deps.output(z.object({ items: z.array(assetItemSchema), nextCursor: z.null() })), ...deps.errors(400, 401) },
      },
    },
    async (request) => {
      const q = request.query as z.output<typeof query>;
      const policy = service.config.policy;
      const since = new Date(service.now().getTime() - policy.highRisk.recentDays * 86_400_000);
      const rows = await listAssetRows(service.db, scopeSites(q.site, principalOf(request).sites), since, { now: service.now(), policy: policy.risk });
      const items: AssetItem[] = [];
      for (const row of rows) {
        // The store row is the registry (synced from configuration); the zone comes from the chain.
        const zone = service.org.sites.get(row.site)?.zones.get(row.zone);
        const asset: AssetConfig = {
          id: row.id,
          name: row.name,
          category: row.category,
          zone: row.zone,
          value: row.value,
          vulnerability: row.vulnerability,
          sensitiveData: row.sensitiveData,
          status: row.status as AssetConfig['status'],
        };
        const reasons = highRiskReasons(asset, zone, row.recentIncidents, row.currency, policy);
        const item: AssetItem = { ...row, highRisk: reasons.length > 0, highRiskReasons: reasons };
        if (q.highRisk === undefined || (q.highRisk === 'true') === item.highRisk) items.push(item);
      }
      // The registry is small (configured assets), so it is one page.
      return { items, nextCursor: null };
    },
  );
};
