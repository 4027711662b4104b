/**
 * Step 12, review-access-logs: the badge events of the incident's zones and their adjacent zones in
 * the incident window (workflow/incident-window.ts), plus the other events of the badges seen there
 * (their path elsewhere, for travel and passback), run through the access rules
 * (domain/access-review.ts). Findings with at least one event of those zones are stored with the
 * incident's id (store/findings.ts); the investigation task shows them by incident. The journal
 * result lists who badged in around the incident. While the window is open the step records what it
 * sees and waits for the window's end; a re-run adds nothing twice (ids from incident, rule and
 * first evidence event).
 */
import { badgeHolders, reviewAccess, type AccessRule } from '../../domain/access-review.js';
import type { OrgModel } from '../../domain/site-model.js';
import { badgeEventsInWindow, incidentForReview, upsertAccessFindings } from '../../store/findings.js';
import { incidentWindow } from '../incident-window.js';
import type { StepDefinition } from '../runner.js';

/** The step's definition. */
export function reviewAccessLogs(org: OrgModel): StepDefinition<'review-access-logs'> {
  return {
    id: 'review-access-logs',
    async run({ tx, incidentId, now }) {
      const policy = org.config.policy;
      const inc = await incidentForReview(tx, incidentId);
      if (!inc) return { status: 'skipped', reason: 'the incident no longer exists' };
      const model = org.sites.get(inc.site);
      if (!model) return { status: 'skipped', reason: `site ${inc.site} is not in the configuration` };
      const w = incidentWindow(inc, policy, now);
      // The incident's zones and their neighbours; an incident without a zone: the whole site.
      const zones = inc.zones.length > 0 ? [...new Set(inc.zones.flatMap((z) => [z, ...(model.adjacency.get(z) ?? [])]))] : undefined;
      const events = await badgeEventsInWindow(tx, { site: inc.site, ...(zones ? { zones } : {}), from: w.from, to: w.readTo });
      const readers = (zones ?? [...model.zones.keys()]).flatMap((z) => model.devicesByZone.get(z) ?? []).filter((d) => d.kind === 'card_reader' || d.kind === 'biometric_scanner');
      if (events.length === 0 && readers.length === 0) {
        return { status: 'skipped', reason: `no card reader or biometric scanner in zone(s) ${(zones ?? ['any']).join(', ')} and no badge events in the window` };
      }
      const here = events.filter((e) => e.site === inc.site && (!zones || (e.zone !== null && zones.includes(e.zone))));
      const local = new Set(here.map((e) => e.seq));
      const findings = reviewAccess(events, org, policy.accessReview, incidentId).filter((f) => f.evidence.some((s) => local.has(s)));
      const added = await upsertAccessFindings(tx, incidentId, findings, now);
      if (w.open) return { status: 'waiting', reason: `access review window open until ${w.to.toISOString()}`, until: w.to };
      const byRule: Partial<Record<AccessRule, number>> = {};
      for (const f of findings) byRule[f.rule] = (byRule[f.rule] ?? 0) + 1;
      return {
        status: 'done',
        result: {
          window: { from: w.from.toISOString(), to: w.to.toISOString() },
          zones: zones ?? 'all',
          badgeEvents: here.length,
          badgeHolders: badgeHolders(here, org),
          findings: findings.length,
          byRule,
          added: added.length,
        },
      };
    },
  };
}
