/**
 * The weekly loss report end to end: read the store's aggregates for a week and a scope
 * (store/weekly-reports.ts), build the model (domain/weekly-report.ts), and render it as JSON,
 * HTML (inline SVG charts), PDF or CSV. The API, the CLI and the scheduled job all come here.
 */
import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.js';
import { buildWeeklyReport, shiftWeek, weekDates, weekWindow, type WeeklyReport } from '../domain/weekly-report.js';
import type { Queryable } from '../store/db.js';
import { weeklyInputs } from '../store/weekly-reports.js';
import { weeklyCsv } from './weekly-csv.js';
import { weeklyHtml } from './weekly-html.js';
import { weeklyPdf } from './weekly-pdf.js';

export const WEEKLY_FORMATS = ['json', 'html', 'pdf', 'csv'] as const;
export type WeeklyFormat = (typeof WEEKLY_FORMATS)[number];

/** Builds the report of `week` for `sites` (null: the whole organisation) from the store. */
export async function generateWeeklyReport(q: Queryable, config: Config, p: { week: string; sites: readonly string[] | null; now: Date }): Promise<WeeklyReport> {
  const tz = config.organization.timezone;
  const policy = config.policy.weeklyReport;
  const w = weekWindow(p.week, tz);
  // Device health is the state when the report is made; "stale" is judged then, or at the week's end for a report made later.
  const asOf = p.now.getTime() < w.to.getTime() ? p.now : w.to;
  const inputs = await weeklyInputs(q, {
    week: p.week,
    dates: weekDates(p.week),
    days: w.days,
    previousWeeks: [-5, -4, -3, -2, -1].map((n) => shiftWeek(p.week, n)),
    sites: p.sites,
    topAssets: policy.topAssets,
    staleBefore: new Date(asOf.getTime() - policy.staleDeviceMinutes * 60_000),
  });
  const siteNames = new Map(config.sites.map((s) => [s.id, s.name]));
  const zoneNames = new Map(config.sites.flatMap((s) => s.zones.map((z) => [`${s.id}/${z.id}`, z.name] as [string, string])));
  return buildWeeklyReport(inputs, {
    week: p.week,
    timeZone: tz,
    currency: config.organization.currency,
    organization: config.organization.name,
    sites: p.sites,
    siteNames,
    zoneNames,
    generatedAt: p.now,
    topAssets: policy.topAssets,
    recurringMinIncidents: policy.recurringMinIncidents,
    recurringMinWeeks: policy.recurringMinWeeks,
  });
}

/** A rendered report: its bytes, content type and a file name. */
export interface RenderedReport {
  body: Buffer;
  contentType: string;
  filename: string;
}

/** The file name of a report in a format ("weekly-loss-report-2026-W47.pdf", with the sites when narrowed). */
export function weeklyFilename(r: Pick<WeeklyReport, 'week' | 'sites'>, format: WeeklyFormat): string {
  const scope = r.sites && r.sites.length > 0 ? `-${r.sites.join('_')}`.slice(0, 80) : '';
  return `weekly-loss-report-${r.week}${scope}.${format}`;
}

/** Renders the report in a format. */
export async function renderWeeklyReport(r: WeeklyReport, format: WeeklyFormat): Promise<RenderedReport> {
  const filename = weeklyFilename(r, format);
  switch (format) {
    case 'json':
      return { body: Buffer.from(JSON.stringify(r, null, 2) + '\n'), contentType: 'application/json; charset=utf-8', filename };
    case 'html':
      return { body: Buffer.from(weeklyHtml(r)), contentType: 'text/html; charset=utf-8', filename };
    case 'csv':
      return { body: Buffer.from(weeklyCsv(r)), contentType: 'text/csv; charset=utf-8; header=present', filename };
    case 'pdf':
      return { body: await weeklyPdf(r), contentType: 'application/pdf', filename };
  }
}

/** SHA-256 (hex) of the report's JSON, as stored with it. */
export function weeklyDigest(r: WeeklyReport): string {
  return createHash('sha256').update(JSON.stringify(r)).digest('hex');
}
