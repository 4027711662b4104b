/**
 * Step 11, update-risk-assessment: recalculates the risk of the incident's site as of now
 * (domain/risk.ts assessSite: every asset and zone of the site, and the site), writes the current
 * scores, and appends a history row with the inputs for each scope the incident touched (its
 * assets, its zones, its site) and for any other scope whose band or recurring flag changed.
 *
 * Idempotent: history rows are keyed by (incident, scope), and a run that finds every touched
 * scope already recorded for the incident changes nothing. Recalculations of one site are
 * serialised (store/risk.ts lockSiteRisk), so the last one written has seen every incident.
 */
import { assessSite, riskBandRank, zoneScopeId, type RiskAssessment } from '../../domain/risk.js';
import type { OrgModel } from '../../domain/site-model.js';
import { NotFoundError } from '../../domain/errors.js';
import {
  appendRiskHistory,
  assetIncidentLinks,
  incidentForRisk,
  lockSiteRisk,
  recordedRiskScopes,
  siteIncidentsForRisk,
  siteRiskScores,
  upsertRiskScores,
} from '../../store/risk.js';
import type { StepDefinition } from '../runner.js';

const key = (scope: string, id: string) => `${scope}|${id}`;

/** Step 11's definition. */
export function updateRiskAssessment(org: OrgModel): StepDefinition<'update-risk-assessment'> {
  const policy = org.config.policy;
  return {
    id: 'update-risk-assessment',
    async run({ tx, incidentId, now }) {
      const inc = await incidentForRisk(tx, incidentId);
      if (!inc) throw new NotFoundError(`incident ${incidentId}`);
      const model = org.sites.get(inc.site);
      if (!model) return { status: 'skipped', reason: `site ${inc.site} is not in the configuration` };
      const zones = [...new Set([...(inc.zone ? [inc.zone] : []), ...inc.zones])].filter((z) => model.zones.has(z));
      const assets = inc.assets.filter((a) => org.assets.get(a)?.site === inc.site);
      const touched = new Set([...assets.map((a) => key('asset', a)), ...zones.map((z) => key('zone', zoneScopeId(inc.site, z))), key('site', inc.site)]);

      await lockSiteRisk(tx, inc.site);
      const recorded = await recordedRiskScopes(tx, incidentId);
      if ([...touched].every((k) => recorded.has(k))) {
        return { status: 'done', result: { site: inc.site, note: 'already recorded for this incident', history: 0 } };
      }

      const from = new Date(now.getTime() - policy.risk.lookbackDays * 86_400_000);
      const incidents = (await siteIncidentsForRisk(tx, inc.site, from, now)).map((x) => ({ id: x.id, openedAt: x.opened_at, band: x.band, zones: x.zones }));
      const byId = new Map(incidents.map((x) => [x.id, x]));
      const links = await assetIncidentLinks(tx, model.site.assets.map((a) => a.id), from, now);
      const assetIncidents = new Map([...links].map(([asset, ids]) => [asset, ids.map((id) => byId.get(id)).filter((x) => x !== undefined)]));
      const results = assessSite({ model, incidents, assetIncidents, now, policy: policy.risk, policyVersion: policy.version });
      const before = await siteRiskScores(tx, inc.site);
      await upsertRiskScores(tx, results, now);

      const history: RiskAssessment[] = [];
      const changes: { scope: string; id: string; before: string | null; band: string; score: number; recurring: boolean }[] = [];
      for (const r of results) {
        const k = key(r.scope, r.id);
        const was = before.get(k);
        const changed = !was || was.band !== r.band || was.recurring !== r.recurring;
        if ((touched.has(k) || changed) && !recorded.has(k)) history.push(r);
        if (touched.has(k)) changes.push({ scope: r.scope, id: r.id, before: was?.band ?? null, band: r.band, score: r.score, recurring: r.recurring });
      }
      const added = await appendRiskHistory(tx, incidentId, history, now);
      const zoneResults = results.filter((r) => r.scope === 'zone' && touched.has(key('zone', r.id)));
      const rose = changes.filter((c) => c.before !== null && riskBandRank(c.band) > riskBandRank(c.before)).map((c) => `${c.scope} ${c.id}`);
      return {
        status: 'done',
        result: {
          site: inc.site,
          scopes: results.length,
          history: added,
          touched: changes,
          rose,
          recurringZones: zoneResults.filter((r) => r.recurring).map((r) => r.id),
          siteRisk: (() => {
            const s = results.find((r) => r.scope === 'site');
            return s ? { band: s.band, score: s.score, likelihood: s.likelihood, impact: s.impact } : null;
          })(),
        },
      };
    },
  };
}
