/**
 * The `assets` table: the asset registry. Configuration owns name, value, zone and
 * vulnerability; the store owns status (changed by the workflow), which a sync never resets.
 */
import type { Queryable } from './db.js';

/** A configured asset as the registry sync writes it. */
export interface AssetRegistryRow {
  id: string;
  site: string;
  zone: string;
  name: string;
  category: string;
  value: string;
  currency: string;
  vulnerability: number;
  sensitive_data: boolean;
  position: [number, number] | null;
  status: string;
}

/** Copies configured assets into the registry (new assets take their configured status). */
export async function syncAssets(q: Queryable, assets: readonly AssetRegistryRow[]): Promise<void> {
  if (assets.length === 0) return;
  await q.query(
    `INSERT INTO assets (id, site, zone, name, category, value, currency, vulnerability, sensitive_data, position, status)
     SELECT id, site, zone, name, category, value, currency, vulnerability, sensitive_data, position, status
       FROM jsonb_to_recordset($1::jsonb) AS x(id text, site text, zone text, name text, category text, value numeric, currency text,
            vulnerability real, sensitive_data boolean, position jsonb, status text)
     ON CONFLICT (id) DO UPDATE SET site = EXCLUDED.site, zone = EXCLUDED.zone, name = EXCLUDED.name, category = EXCLUDED.category,
       value = EXCLUDED.value, currency = EXCLUDED.currency, vulnerability = EXCLUDED.vulnerability,
       sensitive_data = EXCLUDED.sensitive_data, position = EXCLUDED.position, updated_at = now()`,
    [JSON.stringify(assets)],
  );
}
