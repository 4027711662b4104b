/**
 * Memory of `vigil serve` with a large store: one year of a 500-site chain, 1,000,000 incidents
 * (the weekly-report benchmark's generator) and 10,000,000 events (ten per incident, generated in
 * SQL with their duplicate-check keys, in the monthly partitions of their time), on the embedded
 * store on disk. The store is filled by this process; `vigil serve` then runs as its own process
 * on it (only reopening it, as after any restart), and its resident size is read from /proc when
 * it has been idle a while, and again after the reads a dashboard makes (incident, event and
 * notification lists, an incident, the week's loss report, the risk and asset views), with its
 * peak (VmHWM).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../config/loader.js';
import { shiftWeek, weekWindow } from '../domain/weekly-report.js';
import { inventChain } from '../sim/invent-chain.js';
import { openDb } from '../store/db.js';
import { ensureWeeklyRollup } from '../store/weekly-reports.js';
import { FIRST_WEEK, WEEKS, fillIncidents } from './weekly-report.js';
import { waitForCatchUp } from './catch-up.js';

export interface StoredMemoryResult {
  incidents: number;
  events: number;
  fillSeconds: number;
  /** Size of the data directory on disk (bytes). */
  storeBytes: number;
  /** How long `vigil serve` took from start to "running" (s). */
  startSeconds: number;
  idleSeconds: number;
  /** Resident size after `idleSeconds` (bytes). */
  idleRssBytes: number;
  /** Resident size after the reads (bytes). */
  afterReadsRssBytes: number;
  /** The serving process's peak resident size (bytes). */
  peakBytes: number;
  /** Each read with its status and time. */
  reads: { path: string; status: number; ms: number }[];
}

const TOKEN = 'bench-admin-token-0123456789';

function procKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** Bytes of the files under `dir`. */
function duBytes(dir: string): number {
  let total = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) total += statSync(join(e.parentPath, e.name)).size;
  return total;
}

/** Runs the benchmark: fills a fresh store, then measures `vigil serve` on it. */
export async function benchStoredMemory(opts: { incidents?: number; eventsPerIncident?: number; idleSeconds?: number; log?: (s: string) => void } = {}): Promise<StoredMemoryResult> {
  const log = opts.log ?? (() => undefined);
  const incidents = opts.incidents ?? 1_000_000;
  const perIncident = opts.eventsPerIncident ?? 10;
  const events = incidents * perIncident;
  const idleSeconds = opts.idleSeconds ?? 15;
  const doc = inventChain(500, 11);
  const config = parseConfig(doc);
  const dir = mkdtempSync(join(tmpdir(), 'vigil-bench-stored-'));
  const dataDir = join(dir, 'data');
  const configFile = join(dir, 'vigil.json');
  writeFileSync(configFile, JSON.stringify(doc));
  try {
    const started = performance.now();
    const db = await openDb({ dataDir });
    try {
      await ensureWeeklyRollup(db, config.organization.timezone);
      await fillIncidents(db, config, incidents, log);
      const from = weekWindow(FIRST_WEEK, config.organization.timezone).from;
      const spanS = WEEKS * 7 * 86_400;
      // The months the events fall in, made before they are written (as a running server makes them ahead).
      await db.query(`SELECT vigil_make_event_partitions($1::timestamptz, $2::timestamptz)`, [from, weekWindow(shiftWeek(FIRST_WEEK, WEEKS), config.organization.timezone).to]);
      const sites = config.sites.map((s) => s.id);
      const zones = [...new Set(config.sites.flatMap((s) => s.zones.map((z) => z.id)))].slice(0, 8);
      const chunk = 250_000;
      for (let start = 0; start < events; start += chunk) {
        const end = Math.min(events, start + chunk) - 1;
        // Event g belongs to incident g / perIncident, at that incident's time of the year, a few
        // seconds apart; a badge swipe, a door alarm, a camera or a sale in turn.
        await db.transaction((tx) =>
          tx.query(
            `WITH ins AS (
               INSERT INTO events (source, type, source_event_id, occurred_at, site, zone, device, badge, details, incident_id)
               SELECT (ARRAY['access_control','alarm','cctv','pos'])[1 + g % 4], (ARRAY['access_granted','door_forced','motion','void'])[1 + g % 4], 'bench-' || g,
                      $3::timestamptz + (((g / $5)::float8 / $6::float8) * $7::float8 + g % $5) * interval '1 second',
                      site, ($8::text[])[1 + (g % array_length($8::text[], 1))], site || '-d' || (g % 8),
                      CASE WHEN g % 4 = 0 THEN 'B' || (g % 9973) END, jsonb_build_object('n', g % 100), 'inc-bench-' || (g / $5)
                 FROM (SELECT g, ($1::text[])[1 + ((hashint4((g / $5)::int)::bigint & 2147483647) % array_length($1::text[], 1))] AS site
                         FROM generate_series($2::bigint, $4::bigint) AS g) x
               RETURNING seq, source, source_event_id)
             INSERT INTO event_keys (source, source_event_id, seq) SELECT source, source_event_id, seq FROM ins`,
            [sites, start, from, end, perIncident, incidents, spanS, zones],
          ),
        );
        log(`  stored-memory bench: ${(end + 1).toLocaleString('en-US')} / ${events.toLocaleString('en-US')} events`);
      }
      await db.exec('ANALYZE');
    } finally {
      await db.close();
    }
    const fillSeconds = (performance.now() - started) / 1000;
    const storeBytes = duBytes(dataDir);
    log(`stored-memory: filled in ${fillSeconds.toFixed(0)} s, ${(storeBytes / 2 ** 30).toFixed(1)} GiB on disk; starting vigil serve on it`);
    const bin = fileURLToPath(new URL('../../bin/vigil.js', import.meta.url));
    const t0 = performance.now();
    const child = spawn(process.execPath, [bin, 'serve', '--port', '0', '--config', configFile], {
      env: { ...process.env, VIGIL_DATA_DIR: dataDir, VIGIL_ADMIN_TOKEN: TOKEN, VIGIL_LOG_LEVEL: 'silent' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout!.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /API:\s+(http:\/\/\S+)\/api\/v1/.exec(out);
          if (m) resolve(m[1]);
        });
        child.once('exit', (code) => reject(new Error(`vigil serve exited (${code}) before it was running`)));
      });
      const startSeconds = (performance.now() - t0) / 1000;
      // Idle means after the start's catch-up of the scheduled jobs (policy.schedule.startDelaySeconds).
      const caughtUpMs = await waitForCatchUp(url, TOKEN, 600_000);
      log(`stored-memory: running after ${startSeconds.toFixed(1)} s; the start's scheduled jobs caught up ${(caughtUpMs / 1000).toFixed(1)} s later; idle ${idleSeconds} s`);
      await new Promise((r) => setTimeout(r, idleSeconds * 1000));
      const idleRssBytes = procKb(child.pid!, 'VmRSS');
      const week = shiftWeek(FIRST_WEEK, 30);
      const paths = [
        '/api/v1/incidents?limit=50',
        '/api/v1/incidents?status=open&band=critical&limit=50',
        `/api/v1/incidents?site=${config.sites[7].id}&limit=50`,
        `/api/v1/incidents/inc-bench-${Math.floor(incidents / 2)}`,
        '/api/v1/events?limit=100',
        `/api/v1/events?site=${config.sites[3].id}&limit=100`,
        '/api/v1/notifications?limit=50',
        `/api/v1/reports/weekly?week=${week}&format=json`,
        '/api/v1/risk',
        '/api/v1/assets?highRisk=true',
        '/api/v1/tasks',
      ];
      const reads: StoredMemoryResult['reads'] = [];
      for (const path of paths) {
        const t = performance.now();
        const r = await fetch(`${url}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
        await r.arrayBuffer();
        reads.push({ path, status: r.status, ms: performance.now() - t });
      }
      const afterReadsRssBytes = procKb(child.pid!, 'VmRSS');
      const peakBytes = procKb(child.pid!, 'VmHWM');
      log(`stored-memory: ${(idleRssBytes / 2 ** 20).toFixed(0)} MiB idle, ${(afterReadsRssBytes / 2 ** 20).toFixed(0)} MiB after the reads, peak ${(peakBytes / 2 ** 20).toFixed(0)} MiB; reads ${reads.map((x) => `${x.path} ${x.status} ${x.ms.toFixed(0)} ms`).join(', ')}`);
      return { incidents, events, fillSeconds, storeBytes, startSeconds, idleSeconds, idleRssBytes, afterReadsRssBytes, peakBytes, reads };
    } finally {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
