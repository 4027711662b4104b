/**
 * The weekly report as CSV (RFC 4180: comma-separated, CRLF line ends, fields quoted when they hold
 * a comma, quote or line break). One row per line of the report, one header for all of them:
 *
 *   section,site,zone,key,label,incidents,gross,recovered,net,count,median_seconds,p90_seconds
 *
 * `section` says what the row is (total, previous_week, four_week_average, change_*, site, zone,
 * type, band, outcome, day, trend, response_time, top_asset, recurring_zone, equipment,
 * equipment_finding). Money columns are exact decimal strings in the report's currency (no
 * grouping, no currency sign); columns a section does not use are empty.
 */
import type { LossFigures, ResponseMeasure, WeeklyReport } from '../domain/weekly-report.js';

export const WEEKLY_CSV_HEADER = ['section', 'site', 'zone', 'key', 'label', 'incidents', 'gross', 'recovered', 'net', 'count', 'median_seconds', 'p90_seconds'] as const;

type Row = Partial<Record<(typeof WEEKLY_CSV_HEADER)[number], string | number | null>>;

/** One CSV field (RFC 4180 quoting). */
export function csvField(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The report as CSV text. */
export function weeklyCsv(r: WeeklyReport): string {
  const rows: Row[] = [];
  const fig = (f: Pick<LossFigures, 'incidents' | 'gross' | 'recovered' | 'net'>) => ({ incidents: f.incidents, gross: f.gross, recovered: f.recovered, net: f.net });
  const c = r.comparison;
  rows.push({ section: 'total', key: r.week, label: `${r.period.from}/${r.period.to}`, ...fig(r.totals) });
  rows.push({ section: 'previous_week', key: c.previousWeek.week, ...fig(c.previousWeek) });
  rows.push({ section: 'four_week_average', key: c.fourWeekAverage.weeks.join(' '), ...fig(c.fourWeekAverage) });
  rows.push({ section: 'change_vs_previous_week', incidents: c.vsPreviousWeek.incidents, net: c.vsPreviousWeek.net, label: `incidents ${c.vsPreviousWeek.incidentsPct ?? 'n/a'} %; net ${c.vsPreviousWeek.netPct ?? 'n/a'} %` });
  rows.push({ section: 'change_vs_four_week_average', incidents: c.vsFourWeekAverage.incidents, net: c.vsFourWeekAverage.net, label: `incidents ${c.vsFourWeekAverage.incidentsPct ?? 'n/a'} %; net ${c.vsFourWeekAverage.netPct ?? 'n/a'} %` });
  for (const s of r.bySite) rows.push({ section: 'site', site: s.key, key: s.key, label: s.label, ...fig(s) });
  for (const z of r.byZone) rows.push({ section: 'zone', site: z.site, zone: z.zone, key: z.key, label: z.label, ...fig(z) });
  for (const [section, lines] of [['type', r.byType], ['band', r.byBand], ['outcome', r.byOutcome], ['day', r.byDay]] as const) {
    for (const l of lines) rows.push({ section, key: l.key, label: l.label, ...fig(l) });
  }
  for (const t of r.trend) rows.push({ section: 'trend', key: t.week, incidents: t.incidents, net: t.net });
  const rt = (key: string, band: string, m: ResponseMeasure) => rows.push({ section: 'response_time', key, label: band, count: m.count, median_seconds: m.medianSeconds, p90_seconds: m.p90Seconds });
  for (const [key, m] of [['acknowledge', r.responseTimes.acknowledge], ['guard_arrival', r.responseTimes.guardArrival], ['resolve', r.responseTimes.resolve]] as const) rt(key, 'all', m);
  for (const b of r.responseTimes.byBand) {
    rt('acknowledge', b.band, b.acknowledge);
    rt('guard_arrival', b.band, b.guardArrival);
    rt('resolve', b.band, b.resolve);
  }
  for (const a of r.topAssets) rows.push({ section: 'top_asset', site: a.site, zone: a.zone, key: a.assetId, label: a.name, incidents: a.incidents, count: a.named, net: a.net });
  for (const v of r.recurringVulnerabilities) rows.push({ section: 'recurring_zone', site: v.site, zone: v.zone, key: `${v.site}/${v.zone}`, label: v.reasons.join('; '), incidents: v.incidents, count: v.weeksWithIncidents, net: v.net });
  const eq = r.equipmentHealth;
  rows.push({ section: 'equipment', key: 'devices', count: eq.devices });
  rows.push({ section: 'equipment', key: 'offline', count: eq.offline });
  rows.push({ section: 'equipment', key: 'not_recording', count: eq.notRecording });
  rows.push({ section: 'equipment', key: 'stale', count: eq.stale });
  for (const f of eq.findings) rows.push({ section: 'equipment_finding', key: f.finding, count: f.count });
  const lines = [WEEKLY_CSV_HEADER.join(','), ...rows.map((row) => WEEKLY_CSV_HEADER.map((h) => csvField(row[h])).join(','))];
  return lines.join('\r\n') + '\r\n';
}
