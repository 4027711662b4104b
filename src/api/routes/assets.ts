/**
 * Assets: `GET /api/v1/assets?highRisk=&site=`, the registry with each asset's status and whether
 * the policy counts it as high risk right now (value, category, restricted zone, sensitive data,
 * recent incidents), with the reasons; `GET /api/v1/assets/{id}` one asset with its status history;
 * `PATCH /api/v1/assets/{id}` a person's status change, under the same lifecycle rules as step 10
 * (domain/asset-status.ts: 409 listing the allowed statuses), recorded with who, when, why and the
 * incident; recovering an asset for an incident records the value recovered in its loss.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import type { AssetConfig } from '../../config/schema.js';
import { highRiskReasons } from '../../domain/assessment.js';
import { ASSET_STATUSES } from '../../domain/asset-status.js';
import { NotFoundError } from '../../domain/errors.js';
import { assetStatusHistory } from '../../store/asset-status.js';
import { applyAssetStatusRequest } from '../../workflow/asset-status-change.js';
import { listAssetRows, type AssetRow } from '../../store/read/assets.js';
import { scopeSites } from '../../store/read/page.js';
import { principalOf, type Principal } from '../auth.js';
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

const changeSchema = z.object({
  seq: z.number().int(),
  assetId: z.string(),
  from: z.string(),
  to: z.string(),
  at: z.string(),
  actor: z.string(),
  reason: z.string(),
  incidentId: z.string().nullable(),
  recoveredValue: z.string().nullable(),
  currency: z.string().nullable(),
});

const assetDetailSchema = assetItemSchema.extend({
  history: z.array(changeSchema).meta({ description: 'every status change, oldest first (at most the latest 200)' }),
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

  /** A registry row with the policy's high-risk verdict. */
  function toItem(row: AssetRow): AssetItem {
    const policy = service.config.policy;
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
    return { ...row, highRisk: reasons.length > 0, highRiskReasons: reasons };
  }

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
        const item = toItem(row);
        if (q.highRisk === undefined || (q.highRisk === 'true') === item.highRisk) items.push(item);
      }
      // The registry is small (configured assets), so it is one page.
      return { items, nextCursor: null };
    },
  );

  /** One asset of the caller's sites as the list shows it, with its history; 404 otherwise. */
  async function assetDetail(id: string, principal: Principal) {
    const policy = service.config.policy;
    const since = new Date(service.now().getTime() - policy.highRisk.recentDays * 86_400_000);
    const row = (await listAssetRows(service.db, principal.sites ?? undefined, since)).find((a) => a.id === id);
    if (!row) throw new NotFoundError(`asset ${id}`);
    return { ...toItem(row), history: await assetStatusHistory(service.db, id) };
  }

  const params = z.object({ id: z.string().regex(/^[a-z0-9-]{1,200}$/, 'expected an asset id') }).strict();
  app.get(
    '/assets/:id',
    {
      schema: {
        tags: ['assets'],
        summary: 'One asset, with its status history',
        params: deps.input(params),
        response: { 200: deps.output(assetDetailSchema), ...deps.errors(400, 401, 404) },
      },
    },
    async (request) => assetDetail((request.params as z.output<typeof params>).id, principalOf(request)),
  );

  const patchBody = z
    .object({
      status: z.enum(ASSET_STATUSES, { message: `expected one of ${ASSET_STATUSES.join(', ')}` }),
      reason: z.string().trim().min(1, 'expected why the status changes').max(500, 'expected at most 500 characters'),
      incident: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'expected an incident id').optional().meta({ description: 'the incident the change belongs to' }),
      recoveredValue: z
        .string()
        .regex(/^\d{1,16}(\.\d{1,4})?$/, 'expected a decimal amount like "450.00" (below 10^16)')
        .optional()
        .meta({ description: 'with status recovered and an incident: the value recovered, a recovery item of the incident\'s loss (default: the asset\'s value)' }),
    })
    .strict();
  app.patch(
    '/assets/:id',
    {
      config: { permission: 'assets:act' },
      schema: {
        tags: ['assets'],
        summary: 'Change an asset\'s status (409 lists the statuses allowed from the current one)',
        params: deps.input(params),
        // No body at all lists the missing fields rather than "expected an object".
        body: deps.input(z.preprocess((v) => v ?? {}, patchBody)),
        response: {
          200: deps.output(assetDetailSchema.extend({ change: changeSchema, loss: z.unknown().meta({ description: 'the incident\'s loss after a recovery, else null' }) })),
          ...deps.errors(400, 401, 403, 404, 409),
        },
      },
    },
    async (request) => {
      const { id } = request.params as z.output<typeof params>;
      const body = request.body as z.output<typeof patchBody>;
      const principal = principalOf(request);
      const r = await applyAssetStatusRequest(service.db, service.org, {
        assetId: id,
        to: body.status,
        reason: body.reason,
        actor: principal.name,
        scope: principal.sites,
        now: service.now(),
        signer: service.logSigner,
        ...(body.incident !== undefined ? { incidentId: body.incident } : {}),
        ...(body.recoveredValue !== undefined ? { recoveredValue: body.recoveredValue } : {}),
      });
      service.announce({
        kind: 'asset.updated',
        site: r.asset.site,
        ...(r.change.incidentId ? { incidentId: r.change.incidentId } : {}),
        data: { id: r.asset.id, status: r.change.to, from: r.change.from, seq: r.change.seq, ...(r.loss ? { net: r.loss.net } : {}) },
      });
      if (r.change.incidentId) service.announce({ kind: 'incident.updated', site: r.asset.site, incidentId: r.change.incidentId, data: { asset: r.asset.id, assetStatus: r.change.to, ...(r.loss ? { net: r.loss.net } : {}) } });
      return { ...(await assetDetail(id, principal)), change: r.change, loss: r.loss ?? null };
    },
  );
};
