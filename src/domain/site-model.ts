/**
 * The site model: an indexed, read-only view of the configured organisation (sites, zones, assets,
 * devices, people) so the rules can look things up in O(1). Built once from the configuration; pure data.
 */
import { centroid } from './geometry.js';
import type { AssetConfig, Config, DeviceConfig, PersonConfig, SiteConfig, ZoneConfig } from '../config/schema.js';

export interface SiteModel {
  site: SiteConfig;
  zones: Map<string, ZoneConfig>;
  /** Zone id -> ids of adjacent zones (made symmetric). */
  adjacency: Map<string, Set<string>>;
  assetsByZone: Map<string, AssetConfig[]>;
  /** Zone id -> devices that sit in or cover the zone. */
  devicesByZone: Map<string, DeviceConfig[]>;
  /** Zone centroid on the site plan (metres), when the zone has a polygon. */
  centroids: Map<string, [number, number]>;
}

/** Every site of the organisation, indexed, with organisation-wide lookups by id and badge. */
export interface OrgModel {
  config: Config;
  sites: Map<string, SiteModel>;
  assets: Map<string, AssetConfig & { site: string }>;
  devices: Map<string, DeviceConfig & { site: string }>;
  badges: Map<string, PersonConfig & { site: string }>;
}

/** Builds the indexed site model from a validated configuration. */
export function buildOrgModel(config: Config): OrgModel {
  const org: OrgModel = { config, sites: new Map(), assets: new Map(), devices: new Map(), badges: new Map() };
  for (const site of config.sites) {
    const model: SiteModel = {
      site,
      zones: new Map(site.zones.map((z) => [z.id, z])),
      adjacency: new Map(site.zones.map((z) => [z.id, new Set<string>()])),
      assetsByZone: new Map(),
      devicesByZone: new Map(),
      centroids: new Map(),
    };
    for (const z of site.zones) {
      for (const a of z.adjacent) {
        model.adjacency.get(z.id)?.add(a);
        model.adjacency.get(a)?.add(z.id);
      }
      if (z.polygon) model.centroids.set(z.id, centroid(z.polygon));
    }
    for (const a of site.assets) {
      push(model.assetsByZone, a.zone, a);
      org.assets.set(a.id, { ...a, site: site.id });
    }
    for (const d of site.devices) {
      for (const z of new Set([d.zone, ...d.covers])) push(model.devicesByZone, z, d);
      org.devices.set(d.id, { ...d, site: site.id });
    }
    for (const p of site.personnel) org.badges.set(p.badge, { ...p, site: site.id });
    org.sites.set(site.id, model);
  }
  return org;
}

function push<K, V>(m: Map<K, V[]>, k: K, v: V): void {
  const list = m.get(k);
  if (list) list.push(v);
  else m.set(k, [v]);
}
