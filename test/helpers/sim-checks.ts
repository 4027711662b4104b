/**
 * Checks shared by the simulator's tests: does a simulated event name only things the
 * configuration has?
 */
import type { Config, SiteConfig } from '../../src/config/schema.js';
import type { SecurityEvent } from '../../src/domain/types.js';

/** The site of a configuration by id; throws for an unknown id. */
export function siteOf(config: Config, id: string): SiteConfig {
  const s = config.sites.find((x) => x.id === id);
  if (!s) throw new Error(`unknown site ${id}`);
  return s;
}

/** Checks that every id an event names exists in the configuration, and returns the problems. */
export function referenceProblems(config: Config, ev: SecurityEvent): string[] {
  const out: string[] = [];
  const site = config.sites.find((s) => s.id === ev.site);
  if (!site) return [`unknown site ${ev.site}`];
  if (ev.zone && !site.zones.some((z) => z.id === ev.zone)) out.push(`unknown zone ${ev.zone}`);
  if (ev.device) {
    const d = site.devices.find((x) => x.id === ev.device);
    if (!d) out.push(`unknown device ${ev.device}`);
    // A device reports for its own zone or a zone it covers; alarm panels report for any zone.
    else if (ev.zone && d.zone !== ev.zone && !d.covers.includes(ev.zone) && d.kind !== 'alarm_panel') out.push(`device ${d.id} does not see zone ${ev.zone}`);
  }
  if (ev.badge && !site.personnel.some((p) => p.badge === ev.badge)) out.push(`unknown badge ${ev.badge}`);
  for (const a of ev.assets ?? []) if (!site.assets.some((x) => x.id === a)) out.push(`unknown asset ${a}`);
  if (ev.amount && ev.amount.currency !== config.organization.currency) out.push(`currency ${ev.amount.currency}`);
  return out;
}
