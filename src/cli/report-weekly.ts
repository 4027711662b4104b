/**
 * `vigil report weekly [--week YYYY-Www] [--site ID] [--format html|pdf|csv|json] [--out FILE]`:
 * the weekly loss report of an ISO week (default the last full week), written to a file or stdout.
 *
 * Two ways to reach the store, like `vigil token`:
 * - directly (DATABASE_URL, or the embedded store in VIGIL_DATA_DIR), refused while a server holds
 *   the embedded store (it says which one and how to go through it);
 * - through a running server with `--url` (or VIGIL_URL) and a token (`--token`, VIGIL_TOKEN or
 *   VIGIL_ADMIN_TOKEN): GET /api/v1/reports/weekly.
 *
 * Progress goes to stderr; the last line is a summary (on stderr too when the report goes to stdout).
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { formatMoney } from '../domain/money.js';
import { InvalidError, VigilError, type Problem } from '../domain/errors.js';
import { lastFullWeek, parseIsoWeek, type WeeklyReport } from '../domain/weekly-report.js';
import { generateWeeklyReport, renderWeeklyReport, WEEKLY_FORMATS, weeklyFilename, type WeeklyFormat } from '../reports/weekly-report.js';
import { ensureWeeklyRollup } from '../store/weekly-reports.js';
import { resolveConfig, resolveStore, UsageError, withStore } from './common.js';

export interface ReportWeeklyOptions {
  week?: string;
  site?: string;
  format?: string;
  out?: string;
  config?: string;
  url?: string;
  token?: string;
}

/** `vigil report weekly`. */
export async function reportWeeklyCommand(opts: ReportWeeklyOptions): Promise<void> {
  const format = (opts.format ?? 'json') as WeeklyFormat;
  if (!(WEEKLY_FORMATS as readonly string[]).includes(format)) throw new UsageError(`report weekly: --format expects one of ${WEEKLY_FORMATS.join(', ')}; got "${opts.format}"`);
  if (opts.week !== undefined) {
    try {
      parseIsoWeek(opts.week, '--week');
    } catch (e) {
      throw new UsageError(`report weekly: ${(e as InvalidError).problems[0].path} ${(e as InvalidError).problems[0].message}`);
    }
  }
  if (opts.site !== undefined && !/^[a-z0-9-]{1,100}$/.test(opts.site)) throw new UsageError(`report weekly: --site expects a site id ([a-z0-9-]+); got "${opts.site}"`);
  const say = (s: string) => process.stderr.write(`${s}\n`);
  const url = opts.url || process.env.VIGIL_URL;
  let body: Buffer;
  let summary: { week: string; sites: string[] | null; incidents: number; net: string; currency: string } | undefined;
  if (url) {
    if (!/^https?:\/\//.test(url)) throw new UsageError(`--url expects an http(s) URL; got "${url}"`);
    const token = opts.token || process.env.VIGIL_TOKEN || process.env.VIGIL_ADMIN_TOKEN;
    if (!token) throw new VigilError('unauthorized', `going through ${url} needs an API token: --token, VIGIL_TOKEN or VIGIL_ADMIN_TOKEN`);
    const qs = new URLSearchParams({ format, ...(opts.week ? { week: opts.week } : {}), ...(opts.site ? { site: opts.site } : {}) });
    say(`Asking ${url} for the weekly report (${format})...`);
    body = await fetchReport(`${url.replace(/\/+$/, '')}/api/v1/reports/weekly?${qs}`, token);
    if (format === 'json') summary = summaryOf(JSON.parse(body.toString('utf8')) as WeeklyReport);
  } else {
    const { config } = resolveConfig(opts.config);
    if (opts.site !== undefined && !config.sites.some((s) => s.id === opts.site)) throw new UsageError(`report weekly: --site ${opts.site} is not a site of the configuration (${config.sites.map((s) => s.id).join(', ')})`);
    const store = resolveStore();
    say(`Opening the store (${store.databaseUrl ? 'PostgreSQL' : resolve(store.dataDir)})...`);
    body = await withStore('report weekly', async (db) => {
      const tz = config.organization.timezone;
      const now = new Date();
      const week = opts.week ?? lastFullWeek(now, tz);
      if (await ensureWeeklyRollup(db, tz)) say(`Built the weekly pre-aggregate in ${tz}.`);
      say(`Reading ${week} (${tz}) for ${opts.site ? `site ${opts.site}` : 'all sites'}...`);
      const report = await generateWeeklyReport(db, config, { week, sites: opts.site ? [opts.site] : null, now });
      say(`Rendering ${format}...`);
      summary = summaryOf(report);
      return (await renderWeeklyReport(report, format)).body;
    });
  }
  const where = opts.out ? resolve(opts.out) : 'stdout';
  if (opts.out) writeFileSync(opts.out, body);
  else process.stdout.write(body);
  const what = summary
    ? `Weekly loss report ${summary.week} (${summary.sites ? summary.sites.join(', ') : 'all sites'}): ${summary.incidents} incidents, net ${formatMoney(summary.net, summary.currency)}`
    : `Weekly loss report${opts.week ? ` ${opts.week}` : ''} (${format})`;
  say(`${what}; ${format.toUpperCase()} written to ${where} (${body.length.toLocaleString('en-US')} bytes).`);
  if (!opts.out && format === 'pdf' && process.stdout.isTTY) say(`(use --out ${summary ? weeklyFilename(summary, 'pdf') : 'FILE.pdf'} to write it to a file)`);
}

function summaryOf(r: WeeklyReport) {
  return { week: r.week, sites: r.sites, incidents: r.totals.incidents, net: r.totals.net, currency: r.currency };
}

async function fetchReport(url: string, token: string): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(120_000) });
  } catch (e) {
    throw new VigilError('unavailable', `cannot reach ${url}: ${(e as Error).message}`);
  }
  const buf = Buffer.from(await res.arrayBuffer());
  if (res.ok) return buf;
  let parsed: { error?: { code?: string; message?: string; details?: Problem[] } } = {};
  try {
    parsed = JSON.parse(buf.toString('utf8'));
  } catch {
    // not JSON: reported by status
  }
  const message = parsed.error?.message ?? `${res.status} ${res.statusText}`;
  if (res.status === 400 && parsed.error?.details?.length) throw new InvalidError(parsed.error.details, message);
  throw new VigilError(parsed.error?.code ?? 'http_error', `the server answered ${res.status}: ${message}`);
}
