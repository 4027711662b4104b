/**
 * The weekly loss report's queries (step 14) and its table `weekly_reports` (the reports the
 * scheduler produced and emailed).
 *
 * Every query reads one range of `incidents.opened_at` (index incidents_opened) and sums money as
 * SQL numeric, so the sums are exact; the domain (domain/weekly-report.ts) turns them into minor
 * units. One statement per part of the report:
 *
 * - the week's incidents grouped by (site, zone), type, band, outcome and local day in one pass
 *   (GROUPING SETS), each dimension covering the same rows;
 * - the 5 weeks before by (week, site, zone): comparisons, the trend, recurring zones;
 * - response times (median and p90 with percentile_cont) per band and in all;
 * - the assets the week's incidents touched, the zones the risk assessment marks recurring, the
 *   devices' state and the week's equipment findings.
 *
 * Day and week boundaries are instants computed in the organisation's time zone by the domain
 * and bucketed with width_bucket, so no time zone arithmetic happens in SQL.
 */
import type { AssetRow, DeviceHealthRow, FindingRow, HistoryCell, ResponseDurations, RiskRow, WeeklyCell, WeeklyInputs, ZoneWeeks } from '../domain/weekly-report.js';
import type { Queryable } from './db.js';

/** What the report reads: the week, its days, the 5 weeks before it, the sites. */
export interface WeeklyQuery {
  /** The ISO week "YYYY-Www". */
  week: string;
  /** Its local dates, Monday first. */
  dates: string[];
  /** Local midnights Monday .. next Monday (8 instants). */
  days: Date[];
  /** The 5 weeks before the report week, oldest first. */
  previousWeeks: string[];
  /** Sites to include; null = all. */
  sites: readonly string[] | null;
  /** Assets listed (the most touched first). */
  topAssets: number;
  /** A device not heard from since then counts as stale. */
  staleBefore: Date;
}

// The scope condition: every query takes the site list as its parameter $1.
const SCOPE = `($1::text[] IS NULL OR site = ANY($1::text[]))`;
const GROSS = `coalesce((loss->>'gross')::numeric, net_loss)`;
const RECOVERED = `coalesce((loss->>'recovered')::numeric, 0)`;

// ---------------------------------------------------------------------------------------------
// The pre-aggregate (weekly_rollup, migration 0014): kept by triggers on incidents, per ISO week
// of the organisation's time zone, site and dimension.

/** The dimensions the rollup keeps, and the expression of each one's key. */
const ROLLUP_DIMS = `('site', ''), ('zone', coalesce(d.zone, '')), ('type', d.type), ('band', d.band), ('outcome', coalesce(d.outcome, 'unset')), ('day', d.local_day::text)`;

/**
 * Makes the rollup hold the incidents' figures in `timezone`: nothing to do when it was built in
 * it; otherwise (first start, or the organisation's zone changed) it is rebuilt from the incidents
 * while writers wait (SHARE lock on incidents), and the triggers use the new zone from then on.
 */
export async function ensureWeeklyRollup(db: { transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> } & Queryable, timezone: string): Promise<boolean> {
  const current = await db.query<{ timezone: string }>(`SELECT timezone FROM weekly_rollup_zone WHERE id = 1`);
  if (current.rows[0]?.timezone === timezone) return false;
  return db.transaction(async (tx) => {
    // One rebuilder at a time (processes starting together on PostgreSQL); the triggers' reads of
    // the zone are not blocked by it. Then no incident changes until the rollup is rebuilt.
    await tx.query(`LOCK TABLE weekly_rollup_zone IN EXCLUSIVE MODE`);
    await tx.query(`LOCK TABLE incidents IN SHARE MODE`);
    const again = await tx.query<{ timezone: string }>(`SELECT timezone FROM weekly_rollup_zone WHERE id = 1`);
    if (again.rows[0]?.timezone === timezone) return false;
    await tx.query(`DELETE FROM weekly_rollup`);
    await tx.query(
      `INSERT INTO weekly_rollup (week, dim, site, key, incidents, gross, recovered, net)
       SELECT to_char(d.local_day, 'IYYY-"W"IW'), k.dim, d.site, k.key, count(*)::int, sum(d.gross), sum(d.recovered), sum(d.net)
         FROM (SELECT site, zone, type, band, outcome, (opened_at AT TIME ZONE $1)::date AS local_day, ${GROSS} AS gross, ${RECOVERED} AS recovered, net_loss AS net FROM incidents) d
        CROSS JOIN LATERAL (VALUES ${ROLLUP_DIMS}) AS k(dim, key)
        GROUP BY 1, 2, 3, 4`,
      [timezone],
    );
    await tx.query(`INSERT INTO weekly_rollup_zone (id, timezone) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET timezone = EXCLUDED.timezone`, [timezone]);
    return true;
  });
}

/** The report week's lines by zone (with site), type, band, outcome and day, from the rollup. */
export async function weeklyCells(q: Queryable, w: WeeklyQuery): Promise<WeeklyCell[]> {
  // Zone lines are one row each already; the other dimensions are summed over the sites (a few groups).
  const r = await q.query<{ dim: WeeklyCell['dim']; site: string; key: string; incidents: number; gross: string; recovered: string; net: string }>(
    `SELECT dim, site, key, incidents, gross::text AS gross, recovered::text AS recovered, net::text AS net
       FROM weekly_rollup WHERE week = $2 AND dim = 'zone' AND incidents <> 0 AND ${SCOPE}
     UNION ALL
     SELECT dim, '', key, sum(incidents)::int, sum(gross)::text, sum(recovered)::text, sum(net)::text
       FROM weekly_rollup WHERE week = $2 AND dim IN ('type', 'band', 'outcome', 'day') AND incidents <> 0 AND ${SCOPE}
      GROUP BY dim, key`,
    [w.sites, w.week],
  );
  return r.rows.map((x) => ({
    dim: x.dim,
    site: x.site,
    key: x.dim === 'outcome' && x.key === 'unset' ? null : x.dim === 'day' ? String(w.dates.indexOf(x.key)) : x.key,
    incidents: x.incidents,
    gross: x.gross,
    recovered: x.recovered,
    net: x.net,
  }));
}

/** The 5 weeks before the report week by site, and per zone how many of the 4 before it had incidents. */
export async function weeklyHistory(q: Queryable, w: WeeklyQuery): Promise<{ history: HistoryCell[]; zoneWeeks: ZoneWeeks[] }> {
  const h = await q.query<{ week: string; site: string; incidents: number; gross: string; recovered: string; net: string }>(
    `SELECT week, site, incidents, gross::text AS gross, recovered::text AS recovered, net::text AS net
       FROM weekly_rollup WHERE week = ANY($2::text[]) AND dim = 'site' AND incidents <> 0 AND ${SCOPE}`,
    [w.sites, w.previousWeeks],
  );
  const z = await q.query<{ site: string; zone: string; weeks: number }>(
    `SELECT site, key AS zone, count(*)::int AS weeks FROM weekly_rollup
      WHERE week = ANY($2::text[]) AND dim = 'zone' AND incidents <> 0 AND ${SCOPE} GROUP BY site, key`,
    [w.sites, w.previousWeeks.slice(-4)],
  );
  // previousWeeks is oldest first: the last one is 1 week back.
  const back = new Map(w.previousWeeks.map((wk, i) => [wk, w.previousWeeks.length - i]));
  return {
    history: h.rows.map((x) => ({ weeksBack: back.get(x.week) ?? 0, site: x.site, incidents: x.incidents, gross: x.gross, recovered: x.recovered, net: x.net })),
    zoneWeeks: z.rows,
  };
}

/**
 * Response durations of the week's incidents in seconds, per band: opened to acknowledged, to the
 * first response patrol on site (incident_guard_arrivals), to resolved. The domain takes the
 * median and p90 (one sort per measure in the process beats SQL's sort per grouping set).
 */
export async function weeklyResponseTimes(q: Queryable, w: WeeklyQuery): Promise<ResponseDurations[]> {
  const r = await q.query<{ band: string; ack: number[] | null; arrival: number[] | null; res: number[] | null }>(
    `WITH w AS (SELECT id, band, opened_at, acknowledged_at, resolved_at FROM incidents WHERE opened_at >= $2 AND opened_at < $3 AND ${SCOPE})
     SELECT band, array_agg(extract(epoch FROM acknowledged_at - opened_at)::float8) FILTER (WHERE acknowledged_at IS NOT NULL) AS ack,
            array_agg(extract(epoch FROM resolved_at - opened_at)::float8) FILTER (WHERE resolved_at IS NOT NULL) AS res, NULL::float8[] AS arrival
       FROM w GROUP BY band
     UNION ALL
     SELECT w.band, NULL, NULL, array_agg(extract(epoch FROM g.on_site_at - g.opened_at)::float8)
       FROM incident_guard_arrivals g JOIN w ON w.id = g.incident_id WHERE g.opened_at >= $2 AND g.opened_at < $3 GROUP BY w.band`,
    [w.sites, w.days[0], w.days[7]],
  );
  const byBand = new Map<string, ResponseDurations>();
  for (const x of r.rows) {
    let d = byBand.get(x.band);
    if (!d) byBand.set(x.band, (d = { band: x.band, acknowledge: [], guardArrival: [], resolve: [] }));
    for (const v of x.ack ?? []) d.acknowledge.push(Number(v));
    for (const v of x.res ?? []) d.resolve.push(Number(v));
    for (const v of x.arrival ?? []) d.guardArrival.push(Number(v));
  }
  return [...byBand.values()];
}

/**
 * The assets the week's incidents touched most (then the most named), with the net loss of the
 * incidents that named them: the top ones from incident_assets by its opening index, then their
 * net loss for those few only.
 */
export async function weeklyTopAssets(q: Queryable, w: WeeklyQuery): Promise<AssetRow[]> {
  const r = await q.query<{ asset_id: string; name: string | null; site: string | null; zone: string | null; category: string | null; incidents: number; named: number; net: string }>(
    `WITH top AS (
       SELECT ia.asset_id, count(*)::int AS incidents, (count(*) FILTER (WHERE ia.relation = 'named'))::int AS named
         FROM incident_assets ia
        WHERE ia.opened_at >= $2 AND ia.opened_at < $3
          AND ($1::text[] IS NULL OR ia.asset_id IN (SELECT id FROM assets WHERE site = ANY($1::text[])))
        GROUP BY ia.asset_id ORDER BY incidents DESC, named DESC, ia.asset_id LIMIT $4)
     SELECT top.asset_id, a.name, a.site, a.zone, a.category, top.incidents, top.named,
            (SELECT coalesce(sum(i.net_loss), 0) FROM incident_assets x JOIN incidents i ON i.id = x.incident_id
              WHERE x.asset_id = top.asset_id AND x.relation = 'named' AND x.opened_at >= $2 AND x.opened_at < $3)::text AS net
       FROM top LEFT JOIN assets a ON a.id = top.asset_id
      ORDER BY top.incidents DESC, top.named DESC, top.asset_id`,
    [w.sites, w.days[0], w.days[7], w.topAssets],
  );
  return r.rows.map((x) => ({ assetId: x.asset_id, name: x.name ?? x.asset_id, site: x.site ?? '', zone: x.zone ?? '', category: x.category ?? '', incidents: x.incidents, named: x.named, net: x.net }));
}

/** Zones the risk assessment (step 11, risk_scores) marks recurring. */
export async function recurringRisks(q: Queryable, w: Pick<WeeklyQuery, 'sites'>): Promise<RiskRow[]> {
  const r = await q.query<RiskRow>(
    `SELECT scope, scope_id AS "scopeId", site, score, band FROM risk_scores WHERE recurring AND scope = 'zone' AND ${SCOPE} ORDER BY score DESC, scope_id`,
    [w.sites],
  );
  return r.rows;
}

/** Each site's devices by state now: offline, not recording, not heard from since `staleBefore`. */
export async function deviceHealth(q: Queryable, w: Pick<WeeklyQuery, 'sites' | 'staleBefore'>): Promise<DeviceHealthRow[]> {
  const r = await q.query<DeviceHealthRow>(
    `SELECT site, count(*)::int AS devices, (count(*) FILTER (WHERE NOT online))::int AS "offline",
            (count(*) FILTER (WHERE NOT recording))::int AS "notRecording",
            (count(*) FILTER (WHERE last_seen_at IS NOT NULL AND last_seen_at < $2))::int AS stale
       FROM device_state WHERE ${SCOPE} GROUP BY site ORDER BY site`,
    [w.sites, w.staleBefore],
  );
  return r.rows;
}

/** The week's equipment findings (step 13) by site and kind, leaving out the healthy ones. */
export async function weeklyFindings(q: Queryable, w: WeeklyQuery): Promise<FindingRow[]> {
  const r = await q.query<FindingRow>(
    `SELECT site, finding, count(*)::int AS count FROM equipment_findings
      WHERE found_at >= $2 AND found_at < $3 AND finding <> 'covering_ok' AND ${SCOPE} GROUP BY site, finding`,
    [w.sites, w.days[0], w.days[7]],
  );
  return r.rows;
}

/** Everything the weekly report reads, in one snapshot when `q` is a transaction. */
export async function weeklyInputs(q: Queryable, w: WeeklyQuery): Promise<WeeklyInputs> {
  // Sequential: PGlite is one connection, and a transaction's statements run one at a time anyway.
  const cells = await weeklyCells(q, w);
  const { history, zoneWeeks } = await weeklyHistory(q, w);
  const response = await weeklyResponseTimes(q, w);
  const assets = await weeklyTopAssets(q, w);
  const risks = await recurringRisks(q, w);
  const devices = await deviceHealth(q, w);
  const findings = await weeklyFindings(q, w);
  return { cells, history, zoneWeeks, response, assets, risks, devices, findings };
}

/**
 * The baseline of the benchmark: the store's own plain aggregate over the same week's rows (count
 * and net loss per site), with nothing else.
 */
export async function plainWeeklyAggregate(q: Queryable, from: Date, to: Date): Promise<{ site: string; incidents: number; net: string }[]> {
  const r = await q.query<{ site: string; incidents: number; net: string }>(
    `SELECT site, count(*)::int AS incidents, sum(net_loss)::text AS net FROM incidents WHERE opened_at >= $1 AND opened_at < $2 GROUP BY site`,
    [from, to],
  );
  return r.rows;
}

// ---------------------------------------------------------------------------------------------
// weekly_reports: what the scheduler produced

/** The `site` key of a stored report: '' for the whole organisation, else the sorted site ids joined by ','. */
export function scopeKey(sites: readonly string[] | null): string {
  return sites === null ? '' : [...new Set(sites)].sort().join(',');
}

/** Stores (or replaces) a produced report. */
export async function saveWeeklyReport(tx: Queryable, r: { week: string; sites: readonly string[] | null; generatedAt: Date; digest: string; content: unknown }): Promise<void> {
  await tx.query(
    `INSERT INTO weekly_reports (week, site, generated_at, digest, content) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (week, site) DO UPDATE SET generated_at = EXCLUDED.generated_at, digest = EXCLUDED.digest, content = EXCLUDED.content`,
    [r.week, scopeKey(r.sites), r.generatedAt, r.digest, JSON.stringify(r.content)],
  );
}

/** A stored report, if the scheduler produced it. */
export async function storedWeeklyReport(q: Queryable, week: string, sites: readonly string[] | null): Promise<{ generatedAt: Date; digest: string; content: unknown } | undefined> {
  const r = await q.query<{ generated_at: Date; digest: string; content: unknown }>(`SELECT generated_at, digest, content FROM weekly_reports WHERE week = $1 AND site = $2`, [week, scopeKey(sites)]);
  const row = r.rows[0];
  return row ? { generatedAt: row.generated_at, digest: row.digest, content: row.content } : undefined;
}
