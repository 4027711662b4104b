/**
 * Weekly report benchmark: one year of a 500-site chain (about 1,000,000 incidents by default)
 * generated in SQL (generate_series, deterministic pseudo-random sites, zones, types, bands,
 * losses with recoveries, acknowledgements, resolutions, guard arrivals and touched assets), then
 * the weekly report of a week in the middle of the year (the organisation's, every part of it)
 * against the store's own plain aggregate over the same week's rows (count and net loss per site),
 * each the median of several runs in the same process. On the embedded store on disk, and on
 * PostgreSQL when a server URL is given (a fresh database is made there and dropped afterwards).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { parseConfig } from '../config/loader.js';
import type { Config } from '../config/schema.js';
import { shiftWeek, weekWindow } from '../domain/weekly-report.js';
import { generateWeeklyReport } from '../reports/weekly-report.js';
import { openDb, type Db } from '../store/db.js';
import { ensureWeeklyRollup, plainWeeklyAggregate } from '../store/weekly-reports.js';
import { inventChain } from '../sim/invent-chain.js';

export interface WeeklyBenchResult {
  store: 'pglite' | 'postgres';
  sites: number;
  incidents: number;
  weekIncidents: number;
  week: string;
  /** Median milliseconds of the whole report (every query and the model). */
  reportMs: number;
  /** Median milliseconds of the plain aggregate over the same rows. */
  baselineMs: number;
  runs: number;
  fillSeconds: number;
}

/** The first week generated: 52 weeks from here (ISO week of 2025-11-17). */
export const FIRST_WEEK = '2025-W47';
export const WEEKS = 52;

/** Fills `db` with `total` incidents over 52 weeks for the chain's sites (ids `inc-bench-0` ...). */
export async function fillIncidents(db: Db, config: Config, total: number, log: (s: string) => void): Promise<void> {
  const sites = config.sites.map((s) => s.id);
  const zones = [...new Set(config.sites.flatMap((s) => s.zones.map((z) => z.id)))].slice(0, 8);
  const from = weekWindow(FIRST_WEEK, config.organization.timezone).from;
  const spanS = WEEKS * 7 * 86_400;
  // Assets and devices: 8 per site.
  await db.query(
    `INSERT INTO assets (id, site, zone, name, category, value, currency, vulnerability)
     SELECT s || '-a' || k, s, ($2::text[])[1 + (k % array_length($2::text[], 1))], 'Asset ' || k || ' of ' || s, (ARRAY['merchandise','cash','equipment','data'])[1 + k % 4], (500 + k * 1250)::numeric, 'USD', 0.4
       FROM unnest($1::text[]) AS s, generate_series(0, 7) AS k ON CONFLICT (id) DO NOTHING`,
    [sites, zones],
  );
  await db.query(
    `INSERT INTO device_state (id, site, online, recording, last_seen_at)
     SELECT s || '-d' || k, s, k <> 3, k <> 5, $2::timestamptz - (k * interval '20 minutes') FROM unnest($1::text[]) AS s, generate_series(0, 7) AS k ON CONFLICT (id) DO NOTHING`,
    [sites, new Date(from.getTime() + spanS * 1000)],
  );
  const chunk = 100_000;
  for (let start = 0; start < total; start += chunk) {
    const end = Math.min(total, start + chunk) - 1;
    await db.transaction(async (tx) => {
      // h: a deterministic pseudo-random number per incident; every column draws from its own bits.
      // Every other incident touches an asset (every fourth names it); high and critical ones got a guard.
      await tx.query(
        `WITH ins AS (
           INSERT INTO incidents (id, site, zone, zones, type, status, opened_at, first_event_at, last_event_at, band, score, loss, net_loss, currency, outcome, acknowledged_at, resolved_at, event_count)
           SELECT 'inc-bench-' || g, site, zone, ARRAY[zone], type, CASE WHEN resolved THEN 'resolved' ELSE 'open' END, opened, opened, opened + interval '3 minutes', band, 50,
                  jsonb_build_object('currency', 'USD', 'replacement', gross::text, 'downtime', '0.00', 'fines', '0.00', 'remediation', '0.00', 'recovered', rec::text, 'gross', gross::text, 'net', (gross - rec)::text,
                    'items', jsonb_build_array(jsonb_build_object('kind', 'replacement', 'amount', gross::text, 'description', 'merchandise'))),
                  gross - rec, 'USD',
                  CASE WHEN resolved THEN (ARRAY['confirmed_loss','recovered','no_loss','false_alarm'])[1 + (h >> 20) % 4] END,
                  CASE WHEN (h >> 4) % 10 < 8 THEN opened + ((30 + (h >> 8) % 900) * interval '1 second') END,
                  CASE WHEN resolved THEN opened + ((600 + (h >> 12) % 86400) * interval '1 second') END, 3
             FROM (SELECT g, h, ($1::text[])[1 + (h % array_length($1::text[], 1))] AS site, ($2::text[])[1 + ((h >> 3) % array_length($2::text[], 1))] AS zone,
                          (ARRAY['theft','unauthorized_entry','vandalism','fraud','tampering','suspicious_activity'])[1 + (h >> 6) % 6] AS type,
                          (ARRAY['low','low','medium','medium','high','critical'])[1 + (h >> 9) % 6] AS band,
                          $3::timestamptz + ((g::float8 / $5::float8) * $6::float8 + (h % 600)) * interval '1 second' AS opened,
                          ((h >> 14) % 200000)::numeric / 100 AS gross,
                          CASE WHEN (h >> 2) % 5 = 0 THEN round(((h >> 14) % 200000)::numeric / 300, 2) ELSE 0 END AS rec,
                          (h >> 16) % 3 <> 0 AS resolved
                     FROM (SELECT g, (hashint4(g)::bigint & 2147483647) AS h FROM generate_series($4::int, $7::int) AS g) x) y
           RETURNING id, site, band, opened_at),
         assets AS (
           INSERT INTO incident_assets (incident_id, asset_id, relation, opened_at)
           SELECT id, site || '-a' || ((hashint4(substr(id, 11)::int + 7)::bigint & 2147483647) % 8), CASE WHEN substr(id, 11)::int % 4 = 0 THEN 'named' ELSE 'zone' END, opened_at
             FROM ins WHERE substr(id, 11)::int % 2 = 0 RETURNING 1)
         INSERT INTO patrols (id, incident_id, site, kind, reason, status, assigned_at, on_site_at)
         SELECT 'pat-' || id, id, site, 'response', 'bench', 'completed', opened_at + interval '1 minute',
                opened_at + ((120 + (hashint4(substr(id, 11)::int + 3)::bigint & 2147483647) % 900) * interval '1 second')
           FROM ins WHERE band IN ('high', 'critical')`,
        [sites, zones, from, start, total, spanS, end],
      );
    });
    log(`  weekly bench: ${Math.min(total, end + 1).toLocaleString('en-US')} / ${total.toLocaleString('en-US')} incidents`);
  }
  await db.exec('ANALYZE');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** Runs the benchmark on one store; `url` is a PostgreSQL server (a fresh database is created on it). */
export async function benchWeeklyReport(opts: { incidents?: number; sites?: number; runs?: number; url?: string; log?: (s: string) => void } = {}): Promise<WeeklyBenchResult> {
  const log = opts.log ?? (() => undefined);
  const total = opts.incidents ?? 1_000_000;
  const runs = opts.runs ?? 7;
  const config = parseConfig(inventChain(opts.sites ?? 500, 11));
  let dir: string | undefined;
  let dbName: string | undefined;
  let db: Db;
  if (opts.url) {
    dbName = `vigil_bench_${randomBytes(4).toString('hex')}`;
    const admin = new pg.Client({ connectionString: opts.url });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${dbName}`);
    await admin.end();
    const u = new URL(opts.url);
    u.pathname = `/${dbName}`;
    db = await openDb({ url: u.toString() });
  } else {
    dir = mkdtempSync(join(tmpdir(), 'vigil-bench-weekly-'));
    db = await openDb({ dataDir: join(dir, 'data') });
  }
  try {
    const started = performance.now();
    await ensureWeeklyRollup(db, config.organization.timezone);
    await fillIncidents(db, config, total, log);
    const fillSeconds = (performance.now() - started) / 1000;
    const week = shiftWeek(FIRST_WEEK, 30);
    const w = weekWindow(week, config.organization.timezone);
    const now = new Date(w.to.getTime() + 6 * 3_600_000);
    const reportTimes: number[] = [];
    const baseTimes: number[] = [];
    let weekIncidents = 0;
    // One warm-up of each, then alternate so both see the same cache state.
    await generateWeeklyReport(db, config, { week, sites: null, now });
    await plainWeeklyAggregate(db, w.from, w.to);
    for (let i = 0; i < runs; i++) {
      let t = performance.now();
      const r = await generateWeeklyReport(db, config, { week, sites: null, now });
      reportTimes.push(performance.now() - t);
      weekIncidents = r.totals.incidents;
      t = performance.now();
      await plainWeeklyAggregate(db, w.from, w.to);
      baseTimes.push(performance.now() - t);
    }
    return { store: opts.url ? 'postgres' : 'pglite', sites: config.sites.length, incidents: total, weekIncidents, week, reportMs: median(reportTimes), baselineMs: median(baseTimes), runs, fillSeconds };
  } finally {
    await db.close();
    if (dir && !process.env.VIGIL_BENCH_KEEP) rmSync(dir, { recursive: true, force: true });
    if (dir && process.env.VIGIL_BENCH_KEEP) log(`  kept ${dir}`);
    if (dbName && opts.url && process.env.VIGIL_BENCH_KEEP) log(`  kept database ${dbName}`);
    else if (dbName && opts.url) {
      const admin = new pg.Client({ connectionString: opts.url });
      await admin.connect();
      await admin.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
      await admin.end();
    }
  }
}
