/** Names from the site plans: a site's name and time zone, a zone's name (the id where the plan lacks it). */
import type { SiteItem } from '../model.js';
import { displayZone } from '../triage.js';

interface WithSites {
  sites: ReadonlyMap<string, SiteItem>;
}

export const siteOf = (s: WithSites, id: string): SiteItem | undefined => s.sites.get(id);
export const siteName = (s: WithSites, id: string): string => siteOf(s, id)?.name ?? id;
/** The zone to show a site's times in: the viewer's chosen zone (triage.ts), else the site's own. */
export const siteTz = (s: WithSites, id: string): string | undefined => displayZone(siteOf(s, id)?.timezone);

export function zoneName(s: WithSites, siteId: string, zoneId: string | null | undefined): string {
  if (!zoneId) return '';
  return siteOf(s, siteId)?.zones.find((z) => z.id === zoneId)?.name ?? zoneId;
}
