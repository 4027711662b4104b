/**
 * Step 14, the weekly loss report, on the real store and over real HTTP: totals that reconcile
 * with the incidents to the cent in all four formats, weeks across a daylight-saving change, the
 * scheduled run once per week across a restart (and caught up after downtime), the email with its
 * PDF at a local SMTP server, and the API's parameters and site scope.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { extractText, getDocumentProxy } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { buildServer } from '../src/api/server.js';
import { BUNDLED, parseConfig } from '../src/config/loader.js';
import type { Config } from '../src/config/schema.js';
import { formatMoney, fromMinor, toMinor } from '../src/domain/money.js';
import type { WeeklyReport } from '../src/domain/weekly-report.js';
import { generateWeeklyReport, renderWeeklyReport } from '../src/reports/weekly-report.js';
import { createService, type Service } from '../src/service.js';
import { openDb, type Queryable } from '../src/store/db.js';
import { ensureWeeklyRollup } from '../src/store/weekly-reports.js';
import { SmtpReceiver } from './helpers/receivers.js';
import { TEST_STORES } from './helpers/stores.js';

const smtp = new SmtpReceiver();
beforeAll(async () => {
  await smtp.start();
});
afterAll(async () => {
  await smtp.stop();
});

function config(timezone?: string): Config {
  const doc = YAML.parse(readFileSync(BUNDLED.demo, 'utf8'));
  doc.notify = { email: { url: `smtp://127.0.0.1:${smtp.port}`, from: 'vigil@test.example' }, webhooks: [] };
  doc.publicUrl = 'http://vigil.test';
  if (timezone) doc.organization.timezone = timezone;
  doc.policy = { notify: { retry: { maxAttempts: 3, baseMs: 1000, maxMs: 60000 } } };
  return parseConfig(doc);
}

interface Inc {
  id: string;
  site: string;
  zone?: string | null;
  type?: string;
  band?: string;
  at: string;
  gross?: string;
  recovered?: string;
  net: string;
  /** false: no itemised loss stored (the assessment failed): the net loss is all there is. */
  loss?: boolean;
  outcome?: string | null;
  ackAfterS?: number;
  resolveAfterS?: number;
}

async function insertIncidents(q: Queryable, list: Inc[]): Promise<void> {
  for (const i of list) {
    const opened = new Date(i.at);
    const plus = (s?: number) => (s === undefined ? null : new Date(opened.getTime() + s * 1000));
    const loss = i.loss === false ? null : JSON.stringify({ currency: 'USD', gross: i.gross ?? i.net, recovered: i.recovered ?? '0.00', net: i.net, items: [] });
    await q.query(
      `INSERT INTO incidents (id, site, zone, type, status, opened_at, first_event_at, last_event_at, band, loss, net_loss, currency, outcome, acknowledged_at, resolved_at)
       VALUES ($1, $2, $3, $4, $5, $6, $6, $6, $7, $8, $9, 'USD', $10, $11, $12)`,
      [i.id, i.site, i.zone === undefined ? 'cash-office' : i.zone, i.type ?? 'theft', i.resolveAfterS !== undefined ? 'resolved' : 'open', opened, i.band ?? 'high', loss, i.net, i.outcome ?? null, plus(i.ackAfterS), plus(i.resolveAfterS)],
    );
  }
}

// 2026-W47 in New York (EST, -05:00): Monday 2026-11-16T05:00Z to Monday 2026-11-23T05:00Z.
const KNOWN: Inc[] = [
  { id: 'inc-a', site: 'store-101', zone: 'cash-office', type: 'theft', band: 'high', at: '2026-11-16T05:00:00Z', gross: '100.10', recovered: '0.10', net: '100.00', outcome: 'confirmed_loss', ackAfterS: 60, resolveAfterS: 3600 },
  { id: 'inc-b', site: 'store-101', zone: 'sales-floor', type: 'theft', band: 'medium', at: '2026-11-18T15:00:00Z', gross: '0.30', net: '0.30', ackAfterS: 180 },
  { id: 'inc-c', site: 'store-102', zone: 'stockroom', type: 'vandalism', band: 'critical', at: '2026-11-23T04:59:59Z', gross: '1234.56', recovered: '234.56', net: '1000.00', outcome: 'recovered', ackAfterS: 120, resolveAfterS: 7200 },
  { id: 'inc-d', site: 'dc-201', zone: null, type: 'fraud', band: 'low', at: '2026-11-20T12:00:00Z', net: '19.99', loss: false },
  // Outside the week: a second before it (Sunday 23:59:59 local, W46), its end (W48), and W43.
  { id: 'inc-e', site: 'store-101', zone: 'cash-office', at: '2026-11-16T04:59:59Z', net: '500.00' },
  { id: 'inc-f', site: 'store-101', zone: 'cash-office', at: '2026-11-23T05:00:00Z', net: '7.00' },
  { id: 'inc-g', site: 'hq-301', zone: 'server-room', at: '2026-10-21T12:00:00Z', net: '40.00' },
];

const WEEK = '2026-W47';
const TOTALS = { incidents: 4, gross: '1354.95', recovered: '234.66', net: '1120.29' };

async function pdfText(buf: Buffer): Promise<string> {
  const doc = await getDocumentProxy(new Uint8Array(buf));
  const { text } = await extractText(doc, { mergePages: true });
  return text as string;
}

/** The sum of a money column over the CSV rows of a section. */
function csvRows(csv: string): Record<string, string>[] {
  const [head, ...lines] = csv.trim().split('\r\n');
  const cols = head.split(',');
  return lines.map((l) => Object.fromEntries(splitCsv(l).map((v, i) => [cols[i], v])));
}
function splitCsv(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') out.push(cur), (cur = '');
    else cur += ch;
  }
  out.push(cur);
  return out;
}
const sum = (vals: string[]) => fromMinor(vals.reduce((a, v) => a + toMinor(v, 'USD'), 0n), 'USD');

describe.each(TEST_STORES)('weekly loss report on $name', (store) => {
  let service: Service;
  let drop: () => Promise<void>;
  let url: string | undefined;
  let clock = new Date('2026-11-25T12:00:00Z');
  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    url = s.databaseUrl;
    service = await createService({ config: config(), dataDir: s.dataDir, databaseUrl: s.databaseUrl, now: () => clock, adminToken: 'weekly-admin' });
    await insertIncidents(service.db, KNOWN);
    // inc-a had a guard on site after 5 minutes; a checkpoint patrol does not count.
    await service.db.query(
      `INSERT INTO patrols (id, incident_id, site, kind, reason, status, assigned_at, on_site_at) VALUES
        ('pat-1', 'inc-a', 'store-101', 'response', 'test', 'completed', '2026-11-16T05:01:00Z', '2026-11-16T05:05:00Z'),
        ('pat-2', 'inc-a', 'store-101', 'response', 'test', 'completed', '2026-11-16T05:02:00Z', '2026-11-16T05:09:00Z'),
        ('pat-3', 'inc-b', 'store-101', 'checkpoint', 'test', 'completed', '2026-11-18T15:00:00Z', '2026-11-18T15:01:00Z')`,
    );
    await service.db.query(`INSERT INTO incident_assets (incident_id, asset_id, relation, opened_at) VALUES ('inc-a', 'safe-1', 'named', '2026-11-16T05:00:00Z'), ('inc-b', 'safe-1', 'zone', '2026-11-18T15:00:00Z')`);
  });
  afterAll(async () => {
    await service?.close();
    await drop?.();
  });

  it('totals reconcile with the incidents to the cent, and every breakdown adds up to them', async () => {
    const r = await generateWeeklyReport(service.db, service.config, { week: WEEK, sites: null, now: clock });
    expect(r.totals).toEqual(TOTALS);
    expect(r.period).toEqual({ from: '2026-11-16T05:00:00.000Z', to: '2026-11-23T05:00:00.000Z', hours: 168 });
    for (const lines of [r.bySite, r.byZone, r.byType, r.byBand, r.byOutcome, r.byDay]) {
      expect(lines.reduce((a, l) => a + l.incidents, 0)).toBe(TOTALS.incidents);
      expect(sum(lines.map((l) => l.net))).toBe(TOTALS.net);
      expect(sum(lines.map((l) => l.gross))).toBe(TOTALS.gross);
      expect(sum(lines.map((l) => l.recovered))).toBe(TOTALS.recovered);
    }
    expect(r.bySite.find((s) => s.key === 'store-102')).toMatchObject({ incidents: 1, gross: '1234.56', recovered: '234.56', net: '1000.00' });
    expect(r.byOutcome.map((o) => [o.key, o.incidents])).toEqual([['confirmed_loss', 1], ['recovered', 1], ['unset', 2]]);
    expect(r.byDay.map((d) => [d.key, d.incidents])).toEqual([['2026-11-16', 1], ['2026-11-17', 0], ['2026-11-18', 1], ['2026-11-19', 0], ['2026-11-20', 1], ['2026-11-21', 0], ['2026-11-22', 1]]);
    // Previous week: inc-e; the 4-week average (W43-W46): inc-e and inc-g.
    expect(r.comparison.previousWeek).toMatchObject({ week: '2026-W46', incidents: 1, net: '500.00' });
    expect(r.comparison.fourWeekAverage).toMatchObject({ weeks: ['2026-W43', '2026-W44', '2026-W45', '2026-W46'], incidents: 0.5, net: '135.00' });
    expect(r.comparison.vsPreviousWeek).toEqual({ incidents: 3, incidentsPct: '300.0', net: '620.29', netPct: '124.1' });
    expect(r.comparison.vsFourWeekAverage.net).toBe('985.29');
    // Response times: acknowledged after 60, 180, 120 s; resolved after 3600, 7200 s; the first response patrol on site after 300 s.
    expect(r.responseTimes.acknowledge).toEqual({ count: 3, medianSeconds: 120, p90Seconds: 168 });
    expect(r.responseTimes.resolve).toEqual({ count: 2, medianSeconds: 5400, p90Seconds: 6840 });
    expect(r.responseTimes.guardArrival).toEqual({ count: 1, medianSeconds: 300, p90Seconds: 300 });
    expect(r.topAssets[0]).toMatchObject({ assetId: 'safe-1', incidents: 2, named: 1, net: '100.00' });
  });

  it('gives the same totals in JSON, CSV, HTML and PDF through the API', async () => {
    const app = await buildServer(service);
    try {
      const get = (format: string) => app.inject({ method: 'GET', url: `/api/v1/reports/weekly?week=${WEEK}&format=${format}`, headers: { authorization: 'Bearer weekly-admin' } });
      const json = await get('json');
      expect(json.statusCode).toBe(200);
      expect(json.headers['content-type']).toMatch(/^application\/json/);
      expect((json.json() as WeeklyReport).totals).toEqual(TOTALS);

      const csv = await get('csv');
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.headers['content-disposition']).toContain('weekly-loss-report-2026-W47.csv');
      const rows = csvRows(csv.body);
      expect(rows.find((x) => x.section === 'total')).toMatchObject({ key: WEEK, incidents: '4', gross: TOTALS.gross, recovered: TOTALS.recovered, net: TOTALS.net });
      for (const section of ['site', 'zone', 'type', 'band', 'outcome', 'day']) {
        expect(sum(rows.filter((x) => x.section === section).map((x) => x.net))).toBe(TOTALS.net);
      }

      const html = await get('html');
      expect(html.headers['content-type']).toMatch(/^text\/html/);
      for (const v of [TOTALS.gross, TOTALS.recovered, TOTALS.net]) expect(html.body).toContain(formatMoney(v, 'USD'));
      expect(html.body).toContain('<svg');
      expect(html.body).not.toContain('<script');

      const pdf = await get('pdf');
      expect(pdf.headers['content-type']).toBe('application/pdf');
      const text = await pdfText(pdf.rawPayload);
      for (const v of [TOTALS.gross, TOTALS.recovered, TOTALS.net]) expect(text).toContain(formatMoney(v, 'USD'));
      expect(text).toContain('Weekly loss report 2026-W47');
    } finally {
      await app.close();
    }
  });

  it('answers 400 naming the parameter for a bad week or format, defaults to the last full week, and keeps to the site scope', async () => {
    const app = await buildServer(service);
    try {
      const auth = { authorization: 'Bearer weekly-admin' };
      const bad = await app.inject({ method: 'GET', url: '/api/v1/reports/weekly?week=2026-W54&format=xml', headers: auth });
      expect(bad.statusCode).toBe(400);
      const paths = (bad.json() as { error: { details: { path: string }[] } }).error.details.map((d) => d.path).sort();
      expect(paths).toEqual(['format', 'week']);
      expect((await app.inject({ method: 'GET', url: '/api/v1/reports/weekly?week=2026-47', headers: auth })).statusCode).toBe(400);
      expect((await app.inject({ method: 'GET', url: '/api/v1/reports/weekly?week=2026-W47&site=nowhere', headers: auth })).statusCode).toBe(404);
      // clock is Wednesday of W48: the default is W47.
      const dflt = await app.inject({ method: 'GET', url: '/api/v1/reports/weekly', headers: auth });
      expect((dflt.json() as WeeklyReport).week).toBe(WEEK);

      const made = await app.inject({ method: 'POST', url: '/api/v1/tokens', headers: auth, payload: { name: 'store-101 manager', role: 'manager', sites: ['store-101'] } });
      const scoped = { authorization: `Bearer ${(made.json() as { token: string }).token}` };
      const own = await app.inject({ method: 'GET', url: `/api/v1/reports/weekly?week=${WEEK}`, headers: scoped });
      expect(own.statusCode).toBe(200);
      expect((own.json() as WeeklyReport).sites).toEqual(['store-101']);
      expect((own.json() as WeeklyReport).totals).toEqual({ incidents: 2, gross: '100.40', recovered: '0.10', net: '100.30' });
      expect((await app.inject({ method: 'GET', url: `/api/v1/reports/weekly?week=${WEEK}&site=store-102`, headers: scoped })).statusCode).toBe(403);
      expect((await app.inject({ method: 'GET', url: `/api/v1/reports/weekly?week=${WEEK}&site=nowhere`, headers: scoped })).statusCode).toBe(403);
      const doc = (await app.inject({ method: 'GET', url: '/openapi.json' })).json() as { paths: Record<string, { get: { parameters: { name: string }[] } }> };
      expect(doc.paths['/api/v1/reports/weekly'].get.parameters.map((p) => p.name).sort()).toEqual(['format', 'site', 'week']);
    } finally {
      await app.close();
    }
  });

  it('stays equal to the incidents when they change, and is rebuilt when the time zone changes', async () => {
    const before = await generateWeeklyReport(service.db, service.config, { week: WEEK, sites: null, now: clock });
    expect(before.totals).toEqual(TOTALS);
    // The incident grows, is resolved with an outcome, another moves to a new band; an unrelated update changes nothing.
    await service.db.query(`UPDATE incidents SET net_loss = '150.05', loss = jsonb_set(jsonb_set(loss, '{gross}', '"150.15"'), '{net}', '"150.05"'), outcome = 'no_loss' WHERE id = 'inc-a'`);
    await service.db.query(`UPDATE incidents SET band = 'critical' WHERE id = 'inc-b'`);
    await service.db.query(`UPDATE incidents SET updated_at = now() WHERE id IN ('inc-c', 'inc-d')`);
    await insertIncidents(service.db, [{ id: 'inc-h', site: 'hq-301', zone: 'lobby', at: '2026-11-19T12:00:00Z', gross: '10.00', recovered: '10.00', net: '0.00' }]);
    const after = await generateWeeklyReport(service.db, service.config, { week: WEEK, sites: null, now: clock });
    expect(after.totals).toEqual({ incidents: 5, gross: '1415.00', recovered: '244.66', net: '1170.34' });
    expect(after.byBand.find((b) => b.key === 'critical')).toMatchObject({ incidents: 2, net: '1000.30' });
    expect(after.byOutcome.map((o) => [o.key, o.incidents])).toEqual([['recovered', 1], ['no_loss', 1], ['unset', 3]]);
    // Back as it was: the figures are the original ones again, to the cent.
    await service.db.query(`DELETE FROM incidents WHERE id = 'inc-h'`);
    await service.db.query(`UPDATE incidents SET net_loss = '100.00', loss = jsonb_set(jsonb_set(loss, '{gross}', '"100.10"'), '{net}', '"100.00"'), outcome = 'confirmed_loss' WHERE id = 'inc-a'`);
    await service.db.query(`UPDATE incidents SET band = 'medium' WHERE id = 'inc-b'`);
    const restored = await generateWeeklyReport(service.db, service.config, { week: WEEK, sites: null, now: clock });
    expect({ ...restored, generatedAt: '' }).toEqual({ ...before, generatedAt: '' });

    // In Tokyo, inc-c (2026-11-23T04:59:59Z = Monday 13:59 local) is in W48 and inc-e in W47.
    const tokyo = { ...service.config, organization: { ...service.config.organization, timezone: 'Asia/Tokyo' } };
    expect(await ensureWeeklyRollup(service.db, 'Asia/Tokyo')).toBe(true);
    expect(await ensureWeeklyRollup(service.db, 'Asia/Tokyo')).toBe(false);
    const t = await generateWeeklyReport(service.db, tokyo, { week: WEEK, sites: null, now: clock });
    expect(t.period).toEqual({ from: '2026-11-15T15:00:00.000Z', to: '2026-11-22T15:00:00.000Z', hours: 168 });
    expect(t.totals).toEqual({ incidents: 4, gross: '620.39', recovered: '0.10', net: '620.29' });
    expect(await ensureWeeklyRollup(service.db, 'America/New_York')).toBe(true);
    expect((await generateWeeklyReport(service.db, service.config, { week: WEEK, sites: null, now: clock })).totals).toEqual(TOTALS);
  });

  it('rebuilds the pre-aggregate once when two processes start with a new time zone at the same time', async () => {
    const other = url ? await openDb({ url }) : service.db;
    try {
      const done = await Promise.all([ensureWeeklyRollup(service.db, 'UTC'), ensureWeeklyRollup(other, 'UTC')]);
      expect(done.sort()).toEqual([false, true]);
      expect(await ensureWeeklyRollup(service.db, 'America/New_York')).toBe(true);
      expect((await generateWeeklyReport(other, service.config, { week: WEEK, sites: null, now: clock })).totals).toEqual(TOTALS);
    } finally {
      if (other !== service.db) await other.close();
    }
  });

  it('puts an incident into the local week across a daylight-saving change (New York, 2026-11-01)', async () => {
    await insertIncidents(service.db, [
      // Sunday 2026-11-01 23:30 EST: the last half hour of W44 (which began on EDT).
      { id: 'dst-1', site: 'store-101', at: '2026-11-02T04:30:00Z', net: '11.11' },
      // Monday 2026-11-02 00:30 EST: W45.
      { id: 'dst-2', site: 'store-101', at: '2026-11-02T05:30:00Z', net: '22.22' },
    ]);
    const w44 = await generateWeeklyReport(service.db, service.config, { week: '2026-W44', sites: ['store-101'], now: clock });
    const w45 = await generateWeeklyReport(service.db, service.config, { week: '2026-W45', sites: ['store-101'], now: clock });
    expect(w44.period).toEqual({ from: '2026-10-26T04:00:00.000Z', to: '2026-11-02T05:00:00.000Z', hours: 169 });
    expect(w44.totals).toMatchObject({ incidents: 1, net: '11.11' });
    expect(w44.byDay.at(-1)).toMatchObject({ key: '2026-11-01', incidents: 1 });
    expect(w45.totals).toMatchObject({ incidents: 1, net: '22.22' });
    expect(w45.byDay[0]).toMatchObject({ key: '2026-11-02', incidents: 1 });
  });
});

describe.each(TEST_STORES)('the scheduled weekly report on $name', (store) => {
  let dir: string | undefined;
  let fresh: Awaited<ReturnType<(typeof store)['fresh']>>;
  let clock: Date;
  const open = async () => createService({ config: config(), ...(fresh.databaseUrl ? { databaseUrl: fresh.databaseUrl } : { dataDir: dir! }), now: () => clock });
  beforeAll(async () => {
    fresh = await store.fresh();
    if (!fresh.databaseUrl) dir = mkdtempSync(join(tmpdir(), 'vigil-weekly-'));
  });
  afterAll(async () => {
    await fresh.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('runs once per week across a restart, emails each manager and executive the PDF, and catches up after downtime', async () => {
    smtp.mails.length = 0;
    clock = new Date('2026-11-23T11:00:00Z'); // Monday 06:00 in New York
    let service = await open();
    const weeklyRuns = async (s: Service) =>
      (await s.db.query<{ window_key: string; status: string; attempts: number }>(`SELECT window_key, status, attempts FROM scheduled_runs WHERE job = 'generate-weekly-loss-report' ORDER BY window_key`)).rows.map((r) => [r.window_key, r.status, r.attempts]);
    const reports = async (s: Service) => (await s.db.query<{ week: string; site: string; net: string }>(`SELECT week, site, content->'totals'->>'net' AS net FROM weekly_reports ORDER BY week, site`)).rows.map((r) => [r.week, r.site, r.net]);
    try {
      await insertIncidents(service.db, KNOWN);
      await service.scheduler.drain();
      expect(await weeklyRuns(service)).toEqual([['2026-W48', 'done', 1]]);
      // The organisation's report and one per set of sites a recipient covers (demo: store-101+102, dc-201, hq-301).
      expect(await reports(service)).toEqual([
        [WEEK, '', TOTALS.net],
        [WEEK, 'dc-201', '19.99'],
        [WEEK, 'hq-301', '0.00'],
        [WEEK, 'store-101,store-102', '1100.30'],
      ]);
      await service.dispatcher.drain();
      const to = (a: string) => smtp.to(a);
      expect(smtp.mails.length).toBe(6);
      for (const a of ['lp-director@northwind.example', 'cso@northwind.example', 'cfo@northwind.example', 'morgan.blake@northwind.example', 'riley.chen@northwind.example', 'jamie.fox@northwind.example']) expect(to(a).length).toBe(1);
      const mail = to('cfo@northwind.example')[0];
      expect(mail.subject).toContain('Weekly loss report 2026-W47');
      expect(mail.subject).toContain(formatMoney(TOTALS.net, 'USD'));
      expect(mail.raw).toMatch(/Content-Type: application\/pdf; name=weekly-loss-report-2026-W47\.pdf/);
      // The attachment is the report: decode it and read its text.
      const b64 = /Content-Type: application\/pdf[^]*?\r\n\r\n([A-Za-z0-9+/=\r\n]+?)\r\n(?:\r\n)?--/.exec(mail.raw)![1].replace(/\r\n/g, '');
      const text = await pdfText(Buffer.from(b64, 'base64'));
      expect(text).toContain(formatMoney(TOTALS.net, 'USD'));
      expect(to('morgan.blake@northwind.example')[0].subject).toContain(formatMoney('1100.30', 'USD'));
    } finally {
      await service.close();
    }

    // A restart later the same week: nothing runs again, nothing is sent again.
    clock = new Date('2026-11-25T15:00:00Z');
    service = await open();
    try {
      await service.scheduler.drain();
      await service.dispatcher.drain();
      expect(await weeklyRuns(service)).toEqual([['2026-W48', 'done', 1]]);
      expect(smtp.mails.length).toBe(6);
    } finally {
      await service.close();
    }

    // Down for two Mondays: both missed weeks run at start, once each.
    clock = new Date('2026-12-09T12:00:00Z');
    service = await open();
    try {
      await service.scheduler.drain();
      await service.scheduler.drain();
      expect(await weeklyRuns(service)).toEqual([
        ['2026-W48', 'done', 1],
        ['2026-W49', 'done', 1],
        ['2026-W50', 'done', 1],
      ]);
      expect((await reports(service)).filter(([, site]) => site === '').map(([week]) => week)).toEqual([WEEK, '2026-W48', '2026-W49']);
      await service.dispatcher.drain();
      expect(smtp.mails.length).toBe(18);
      expect(smtp.to('cso@northwind.example').map((m) => /Weekly loss report (\S+):/.exec(m.subject)![1]).sort()).toEqual([WEEK, '2026-W48', '2026-W49']);
    } finally {
      await service.close();
    }
  });

  it('renders an empty week without failing', async () => {
    clock = new Date('2026-12-09T12:00:00Z');
    const service = await open();
    try {
      const r = await generateWeeklyReport(service.db, service.config, { week: '2020-W10', sites: null, now: clock });
      expect(r.totals).toEqual({ incidents: 0, gross: '0.00', recovered: '0.00', net: '0.00' });
      for (const f of ['json', 'html', 'csv', 'pdf'] as const) expect((await renderWeeklyReport(r, f)).body.length).toBeGreaterThan(100);
    } finally {
      await service.close();
    }
  });
});
