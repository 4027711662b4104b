/**
 * Step 14, the weekly loss report, as a pure model: ISO weeks in the organisation's time zone, and
 * the report built from the store's aggregated rows (store/weekly-reports.ts).
 *
 * - A week runs from Monday 00:00 to the next Monday 00:00, local time: 167 or 169 hours in a
 *   week with a daylight-saving change.
 * - Money is exact: every sum is bigint minor units (money.ts); the totals are the sums of the
 *   breakdown cells, so every breakdown adds up to the totals to the cent.
 * - Change is measured against the previous week and against the average of the 4 weeks before
 *   the report week.
 */
import { InvalidError } from './errors.js';
import { isoWeekOf, localTime, wallClockToInstant } from './local-time.js';
import { fromMinor, toMinor } from './money.js';
import { BANDS, INCIDENT_TYPES } from './types.js';

// ---------------------------------------------------------------------------------------------
// ISO weeks

/** "YYYY-Www". */
const WEEK = /^(\d{4})-W(\d{2})$/;

/** The Monday (UTC calendar date, ms) of ISO week `week` of `year`. */
function mondayOf(year: number, week: number): number {
  const jan4 = Date.UTC(year, 0, 4);
  const jan4Weekday = new Date(jan4).getUTCDay() || 7;
  return jan4 - (jan4Weekday - 1) * 86_400_000 + (week - 1) * 7 * 86_400_000;
}

/** Number of ISO weeks in a year (52 or 53). */
export function isoWeeksInYear(year: number): number {
  return isoWeekOf(dateText(mondayOf(year + 1, 1) - 86_400_000)) === `${year}-W53` ? 53 : 52;
}

function dateText(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Parses "YYYY-Www" (a week that exists: W53 only in long years); throws InvalidError naming `path`. */
export function parseIsoWeek(text: string, path = 'week'): { year: number; week: number } {
  const m = WEEK.exec(text);
  const problem = (why: string) => new InvalidError([{ path, message: `expected an ISO week like "2026-W47"${why}; got ${JSON.stringify(text)}` }]);
  if (!m) throw problem('');
  const year = Number(m[1]);
  const week = Number(m[2]);
  if (year < 1971 || year > 9998) throw problem(' (year 1971-9998)');
  const max = isoWeeksInYear(year);
  if (week < 1 || week > max) throw problem(` (${year} has weeks 01-${max})`);
  return { year, week };
}

/** The ISO week `n` weeks after `week` (negative: before). */
export function shiftWeek(week: string, n: number): string {
  const { year, week: w } = parseIsoWeek(week);
  return isoWeekOf(dateText(mondayOf(year, w) + n * 7 * 86_400_000));
}

/** The local dates (Monday .. Sunday, "YYYY-MM-DD") of an ISO week. */
export function weekDates(week: string): string[] {
  const { year, week: w } = parseIsoWeek(week);
  const monday = mondayOf(year, w);
  return Array.from({ length: 7 }, (_, i) => dateText(monday + i * 86_400_000));
}

/** The instant local midnight of a date "YYYY-MM-DD" denotes in a zone (moved forward out of a DST gap). */
export function localMidnight(date: string, timeZone: string): Date {
  const [year, month, day] = date.split('-').map(Number);
  return wallClockToInstant({ year, month, day, hour: 0, minute: 0 }, timeZone)!;
}

/** A week's instants: [from, to) with the day boundaries between (8 instants: Monday 00:00 .. next Monday 00:00). */
export interface WeekWindow {
  week: string;
  from: Date;
  to: Date;
  /** Local midnights: days[i] starts day i; days[7] === to. */
  days: Date[];
  /** Length in hours (167 or 169 across a daylight-saving change). */
  hours: number;
}

/** The window of an ISO week in a time zone. */
export function weekWindow(week: string, timeZone: string): WeekWindow {
  const dates = weekDates(week);
  const next = weekDates(shiftWeek(week, 1))[0];
  const days = [...dates, next].map((d) => localMidnight(d, timeZone));
  return { week, from: days[0], to: days[7], days, hours: (days[7].getTime() - days[0].getTime()) / 3_600_000 };
}

/** The ISO week an instant falls in, in a time zone. */
export function weekOfInstant(at: Date, timeZone: string): string {
  return isoWeekOf(localTime(at, timeZone).date);
}

/** The last full ISO week before the one `now` falls in (the default report week). */
export function lastFullWeek(now: Date, timeZone: string): string {
  return shiftWeek(weekOfInstant(now, timeZone), -1);
}

// ---------------------------------------------------------------------------------------------
// The store's aggregated rows (inputs)

/**
 * One line of a breakdown of the report week's incidents, as the store groups them: by zone (with
 * its site; these lines give the totals and the sites), by type, band, outcome, or local day
 * (key "0" = Monday .. "6" = Sunday). Every dimension covers the same incidents.
 */
export interface WeeklyCell {
  dim: 'zone' | 'type' | 'band' | 'outcome' | 'day';
  /** zone lines: the site; '' otherwise. */
  site: string;
  /** The zone (zone lines; '' for incidents without a zone), type, band, outcome (null: not set) or day. */
  key: string | null;
  incidents: number;
  /** Sums as decimal text (the store's exact numeric). */
  gross: string;
  recovered: string;
  net: string;
}

/** Incidents of an earlier week per site: `weeksBack` 1 = the previous week .. 5. */
export interface HistoryCell {
  weeksBack: number;
  site: string;
  incidents: number;
  gross: string;
  recovered: string;
  net: string;
}

/** In how many of the 4 weeks before the report week a zone ('' = no zone) had incidents. */
export interface ZoneWeeks {
  site: string;
  zone: string;
  weeks: number;
}

/** Response durations in seconds of the week's incidents of one band (any order). */
export interface ResponseDurations {
  band: string;
  /** Opened to acknowledged. */
  acknowledge: number[];
  /** Opened to the first response patrol on site. */
  guardArrival: number[];
  /** Opened to resolved. */
  resolve: number[];
}

/** The p-quantile (0..1) of sorted values, interpolated between the nearest ranks (as SQL percentile_cont); null when empty. */
export function quantile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** How often an asset was touched by the week's incidents. */
export interface AssetRow {
  assetId: string;
  name: string;
  site: string;
  zone: string;
  category: string;
  incidents: number;
  /** Incidents whose events named the asset (the ones its value can be lost in). */
  named: number;
  /** Net loss of the incidents that named it (an incident naming two assets counts for both). */
  net: string;
}

/** A zone or asset the risk assessment (step 11) marks as recurring. */
export interface RiskRow {
  scope: string;
  scopeId: string;
  site: string;
  score: number;
  band: string;
}

/** Devices of a site by state, at generation time. */
export interface DeviceHealthRow {
  site: string;
  devices: number;
  offline: number;
  notRecording: number;
  stale: number;
}

/** Equipment findings of the week by kind. */
export interface FindingRow {
  site: string;
  finding: string;
  count: number;
}

/** Everything the store hands the report. */
export interface WeeklyInputs {
  cells: WeeklyCell[];
  history: HistoryCell[];
  zoneWeeks: ZoneWeeks[];
  response: ResponseDurations[];
  assets: AssetRow[];
  risks: RiskRow[];
  devices: DeviceHealthRow[];
  findings: FindingRow[];
}

export interface WeeklyReportOptions {
  week: string;
  timeZone: string;
  currency: string;
  organization: string;
  /** Sites the report covers; null: the whole organisation. */
  sites: readonly string[] | null;
  /** Names of sites and zones ("site/zone"), for display. */
  siteNames: ReadonlyMap<string, string>;
  zoneNames: ReadonlyMap<string, string>;
  generatedAt: Date;
  topAssets: number;
  /** A zone is a recurring vulnerability with this many incidents in the week ... */
  recurringMinIncidents: number;
  /** ... or with incidents in this many of the 5 weeks ending with the report week (this one included). */
  recurringMinWeeks: number;
}

// ---------------------------------------------------------------------------------------------
// The report (output)

/** Counts and exact money of a set of incidents. */
export interface LossFigures {
  incidents: number;
  gross: string;
  recovered: string;
  net: string;
}

/** A change: absolute difference and percentage (one decimal; null when the base is zero). */
export interface Change {
  incidents: number;
  incidentsPct: string | null;
  net: string;
  netPct: string | null;
}

export interface BreakdownLine extends LossFigures {
  key: string;
  label: string;
}

export interface SiteLine extends BreakdownLine {
  previousWeek: LossFigures;
  fourWeekAverage: AverageFigures;
}

export interface ZoneLine extends BreakdownLine {
  site: string;
  zone: string;
}

/** An average over 4 weeks: counts with two decimals, money rounded half away from zero to the minor unit. */
export interface AverageFigures {
  incidents: number;
  gross: string;
  recovered: string;
  net: string;
}

export interface ResponseMeasure {
  count: number;
  medianSeconds: number | null;
  p90Seconds: number | null;
}

export interface WeeklyReport {
  kind: 'weekly-loss-report';
  week: string;
  organization: string;
  currency: string;
  timezone: string;
  /** Sites covered; null: the whole organisation. */
  sites: string[] | null;
  period: { from: string; to: string; hours: number };
  generatedAt: string;
  totals: LossFigures;
  comparison: {
    previousWeek: LossFigures & { week: string };
    fourWeekAverage: AverageFigures & { weeks: string[] };
    vsPreviousWeek: Change;
    vsFourWeekAverage: Change;
  };
  bySite: SiteLine[];
  byZone: ZoneLine[];
  byType: BreakdownLine[];
  byBand: BreakdownLine[];
  byOutcome: BreakdownLine[];
  /** The week's days (local dates), Monday first. */
  byDay: BreakdownLine[];
  /** The report week and the 5 before it, oldest first (the trend chart). */
  trend: { week: string; incidents: number; net: string }[];
  responseTimes: {
    acknowledge: ResponseMeasure;
    guardArrival: ResponseMeasure;
    resolve: ResponseMeasure;
    byBand: { band: string; acknowledge: ResponseMeasure; guardArrival: ResponseMeasure; resolve: ResponseMeasure }[];
  };
  topAssets: (Omit<AssetRow, 'net'> & { net: string })[];
  recurringVulnerabilities: {
    site: string;
    zone: string;
    label: string;
    incidents: number;
    net: string;
    /** Of the 5 weeks ending with the report week. */
    weeksWithIncidents: number;
    risk: { score: number; band: string } | null;
    reasons: string[];
  }[];
  equipmentHealth: {
    devices: number;
    offline: number;
    notRecording: number;
    stale: number;
    bySite: DeviceHealthRow[];
    findings: { finding: string; count: number }[];
  };
}

/** Running sums of a set of incidents, in minor units. */
interface Acc {
  incidents: number;
  gross: bigint;
  recovered: bigint;
  net: bigint;
}

const zero = (): Acc => ({ incidents: 0, gross: 0n, recovered: 0n, net: 0n });

function add(a: Acc, incidents: number, gross: bigint, recovered: bigint, net: bigint): void {
  a.incidents += incidents;
  a.gross += gross;
  a.recovered += recovered;
  a.net += net;
}

/** Rounds num/den half away from zero. */
function divRound(num: bigint, den: bigint): bigint {
  const neg = num < 0n !== den < 0n;
  const n = num < 0n ? -num : num;
  const d = den < 0n ? -den : den;
  const q = (n * 2n + d) / (2n * d);
  return neg ? -q : q;
}

/** (now - base) / base as a percentage with one decimal ("12.5", "-100.0"); null when base is 0. */
export function percentChange(now: bigint, base: bigint): string | null {
  if (base === 0n) return null;
  const tenths = divRound((now - base) * 1000n, base);
  const neg = tenths < 0n;
  const abs = neg ? -tenths : tenths;
  return `${neg ? '-' : ''}${abs / 10n}.${abs % 10n}`;
}

/** Recurring vulnerabilities listed at most (the most incidents first). */
export const RECURRING_LISTED = 50;

/** The UNSET outcome's name in breakdowns. */
export const OUTCOME_UNSET = 'unset';

/** The weeks of the 4-week average: the 4 before `week`, oldest first. */
export function averageWeeks(week: string): string[] {
  return [-4, -3, -2, -1].map((n) => shiftWeek(week, n));
}

/** Builds the report from the store's rows. Pure. */
export function buildWeeklyReport(inputs: WeeklyInputs, o: WeeklyReportOptions): WeeklyReport {
  const cur = o.currency;
  const m = (text: string) => toMinor(text, cur);
  const money = (v: bigint) => fromMinor(v, cur);
  const figures = (a: Acc): LossFigures => ({ incidents: a.incidents, gross: money(a.gross), recovered: money(a.recovered), net: money(a.net) });
  const window = weekWindow(o.week, o.timeZone);

  const total = zero();
  const bySite = new Map<string, Acc>();
  const byZone = new Map<string, Acc & { site: string; zone: string }>();
  const byType = new Map<string, Acc>(INCIDENT_TYPES.map((t) => [t, zero()]));
  const byBand = new Map<string, Acc>(BANDS.map((b) => [b, zero()]));
  const byOutcome = new Map<string, Acc>();
  const byDay = Array.from({ length: 7 }, zero);
  const get = <K>(map: Map<K, Acc>, k: K): Acc => {
    let a = map.get(k);
    if (!a) map.set(k, (a = zero()));
    return a;
  };
  for (const c of inputs.cells) {
    const g = m(c.gross);
    const r = m(c.recovered);
    const n = m(c.net);
    switch (c.dim) {
      case 'zone': {
        add(total, c.incidents, g, r, n);
        add(get(bySite, c.site), c.incidents, g, r, n);
        const zone = c.key ?? '';
        const zk = `${c.site}/${zone}`;
        let z = byZone.get(zk);
        if (!z) byZone.set(zk, (z = { ...zero(), site: c.site, zone }));
        add(z, c.incidents, g, r, n);
        break;
      }
      case 'type': add(get(byType, c.key ?? ''), c.incidents, g, r, n); break;
      case 'band': add(get(byBand, c.key ?? ''), c.incidents, g, r, n); break;
      case 'outcome': add(get(byOutcome, c.key ?? OUTCOME_UNSET), c.incidents, g, r, n); break;
      case 'day': {
        const d = Number(c.key);
        if (Number.isInteger(d) && d >= 0 && d < 7) add(byDay[d], c.incidents, g, r, n);
        break;
      }
    }
  }

  // Earlier weeks: per week (1..5 back) in all, and per site.
  const weekly = Array.from({ length: 6 }, zero);
  const siteHistory = new Map<string, Acc[]>();
  const zoneWeeks = new Map(inputs.zoneWeeks.map((z) => [`${z.site}/${z.zone}`, z.weeks]));
  for (const h of inputs.history) {
    if (h.weeksBack < 1 || h.weeksBack > 5) continue;
    const g = m(h.gross);
    const r = m(h.recovered);
    const n = m(h.net);
    add(weekly[h.weeksBack], h.incidents, g, r, n);
    let s = siteHistory.get(h.site);
    if (!s) siteHistory.set(h.site, (s = Array.from({ length: 6 }, zero)));
    add(s[h.weeksBack], h.incidents, g, r, n);
  }
  const average = (accs: Acc[]): AverageFigures => {
    const sum = zero();
    for (const a of accs.slice(1, 5)) add(sum, a.incidents, a.gross, a.recovered, a.net);
    return { incidents: Math.round((sum.incidents / 4) * 100) / 100, gross: money(divRound(sum.gross, 4n)), recovered: money(divRound(sum.recovered, 4n)), net: money(divRound(sum.net, 4n)) };
  };
  const change = (now: Acc, base: { incidents: number; net: bigint }): Change => ({
    incidents: Math.round((now.incidents - base.incidents) * 100) / 100,
    incidentsPct: percentChange(BigInt(Math.round(now.incidents * 100)), BigInt(Math.round(base.incidents * 100))),
    net: money(now.net - base.net),
    netPct: percentChange(now.net, base.net),
  });
  const avgAll = average(weekly);
  const sumPrior = zero();
  for (const a of weekly.slice(1, 5)) add(sumPrior, a.incidents, a.gross, a.recovered, a.net);

  const label = (k: string, names: ReadonlyMap<string, string>) => names.get(k) ?? k;
  const byMoney = <T extends { net: bigint; incidents: number; key: string }>(a: T, b: T) => (a.net === b.net ? b.incidents - a.incidents || a.key.localeCompare(b.key) : a.net > b.net ? -1 : 1);
  const lines = (map: Map<string, Acc>, names: ReadonlyMap<string, string> = new Map(), keepOrder = false): BreakdownLine[] => {
    const rows = [...map].map(([key, a]) => ({ key, ...a }));
    if (!keepOrder) rows.sort(byMoney);
    return rows.map((r) => ({ key: r.key, label: label(r.key, names), ...figures(r) }));
  };

  const sites = new Set<string>([...bySite.keys(), ...siteHistory.keys(), ...(o.sites ?? [])]);
  const siteLines: SiteLine[] = [...sites]
    .map((s) => ({ key: s, ...(bySite.get(s) ?? zero()) }))
    .sort(byMoney)
    .map((r) => {
      const h = siteHistory.get(r.key) ?? Array.from({ length: 6 }, zero);
      return { key: r.key, label: label(r.key, o.siteNames), ...figures(r), previousWeek: figures(h[1]), fourWeekAverage: average(h) };
    });

  const zoneLines: ZoneLine[] = [...byZone.values()]
    .map((z) => ({ ...z, key: `${z.site}/${z.zone}` }))
    .sort(byMoney)
    .map((z) => ({ key: z.key, label: zoneLabel(z.site, z.zone, o), site: z.site, zone: z.zone, ...figures(z) }));

  // Outcomes: the known ones first in a fixed order, unset last.
  const outcomeOrder = ['confirmed_loss', 'recovered', 'no_loss', 'false_alarm', 'referred_to_police'];
  const outcomes = new Map([...byOutcome].sort(([a], [b]) => rank(outcomeOrder, a) - rank(outcomeOrder, b) || a.localeCompare(b)));

  const dates = weekDates(o.week);
  const dayLines = new Map(dates.map((d, i) => [d, byDay[i]]));

  // Recurring vulnerabilities: zones hit often this week, hit in many recent weeks, or marked recurring by the risk assessment.
  const risks = new Map(inputs.risks.filter((r) => r.scope === 'zone').map((r) => [r.scopeId, r]));
  const recurring: WeeklyReport['recurringVulnerabilities'] = [];
  const candidates = new Set<string>([...byZone.keys(), ...risks.keys()]);
  for (const zk of candidates) {
    const z = byZone.get(zk);
    const incidents = z?.incidents ?? 0;
    const weeks = Math.min(4, zoneWeeks.get(zk) ?? 0) + (incidents > 0 ? 1 : 0);
    const risk = risks.get(zk);
    const reasons: string[] = [];
    if (incidents >= o.recurringMinIncidents) reasons.push(`${incidents} incidents this week`);
    if (incidents > 0 && weeks >= o.recurringMinWeeks) reasons.push(`incidents in ${weeks} of the last 5 weeks`);
    if (risk) reasons.push(`marked recurring by the risk assessment (score ${risk.score}, ${risk.band})`);
    if (reasons.length === 0) continue;
    const [site, ...rest] = zk.split('/');
    const zone = rest.join('/');
    recurring.push({ site, zone, label: zoneLabel(site, zone, o), incidents, net: money(z?.net ?? 0n), weeksWithIncidents: weeks, risk: risk ? { score: risk.score, band: risk.band } : null, reasons });
  }
  recurring.sort((a, b) => b.incidents - a.incidents || b.weeksWithIncidents - a.weeksWithIncidents || a.site.localeCompare(b.site) || a.zone.localeCompare(b.zone));
  recurring.splice(RECURRING_LISTED);

  // One sort per band and measure; the overall figures from all bands' values.
  const kinds = ['acknowledge', 'guardArrival', 'resolve'] as const;
  const sortedBy = new Map<string, Record<(typeof kinds)[number], Float64Array>>();
  for (const d of inputs.response) {
    const prev = sortedBy.get(d.band);
    const entry = {} as Record<(typeof kinds)[number], Float64Array>;
    for (const k of kinds) {
      const a = new Float64Array((prev?.[k].length ?? 0) + d[k].length);
      if (prev) a.set(prev[k]);
      a.set(d[k], prev?.[k].length ?? 0);
      entry[k] = a.sort();
    }
    sortedBy.set(d.band, entry);
  }
  const stats = (values: ArrayLike<number>): ResponseMeasure => ({ count: values.length, medianSeconds: round1(quantile(values, 0.5)), p90Seconds: round1(quantile(values, 0.9)) });
  const overall = (k: (typeof kinds)[number]) => {
    const parts = [...sortedBy.values()].map((e) => e[k]);
    const all = new Float64Array(parts.reduce((n, a) => n + a.length, 0));
    let at = 0;
    for (const a of parts) {
      all.set(a, at);
      at += a.length;
    }
    return stats(all.sort());
  };
  const measure = (k: (typeof kinds)[number], band: string | null): ResponseMeasure => (band === null ? overall(k) : stats(sortedBy.get(band)?.[k] ?? []));

  const dev = inputs.devices.reduce((a, d) => ({ devices: a.devices + d.devices, offline: a.offline + d.offline, notRecording: a.notRecording + d.notRecording, stale: a.stale + d.stale }), { devices: 0, offline: 0, notRecording: 0, stale: 0 });
  const findings = new Map<string, number>();
  for (const f of inputs.findings) findings.set(f.finding, (findings.get(f.finding) ?? 0) + f.count);

  const trendWeeks = [5, 4, 3, 2, 1].map((n) => ({ week: shiftWeek(o.week, -n), incidents: weekly[n].incidents, net: money(weekly[n].net) }));

  return {
    kind: 'weekly-loss-report',
    week: o.week,
    organization: o.organization,
    currency: cur,
    timezone: o.timeZone,
    sites: o.sites ? [...o.sites].sort() : null,
    period: { from: window.from.toISOString(), to: window.to.toISOString(), hours: window.hours },
    generatedAt: o.generatedAt.toISOString(),
    totals: figures(total),
    comparison: {
      previousWeek: { week: shiftWeek(o.week, -1), ...figures(weekly[1]) },
      fourWeekAverage: { weeks: averageWeeks(o.week), ...avgAll },
      vsPreviousWeek: change(total, weekly[1]),
      // Against the average: compare 4 x this week with the 4 weeks' sum (exact, no rounded average).
      vsFourWeekAverage: {
        incidents: Math.round((total.incidents - sumPrior.incidents / 4) * 100) / 100,
        incidentsPct: percentChange(BigInt(total.incidents * 4), BigInt(sumPrior.incidents)),
        net: money(total.net - divRound(sumPrior.net, 4n)),
        netPct: percentChange(total.net * 4n, sumPrior.net),
      },
    },
    bySite: siteLines,
    byZone: zoneLines,
    byType: lines(byType, new Map(INCIDENT_TYPES.map((t) => [t, t.replace(/_/g, ' ')]))),
    byBand: lines(byBand, new Map(), true),
    byOutcome: lines(outcomes, new Map([[OUTCOME_UNSET, 'not set'], ...outcomeOrder.map((x) => [x, x.replace(/_/g, ' ')] as [string, string])]), true),
    byDay: lines(dayLines, new Map(), true),
    trend: [...trendWeeks, { week: o.week, incidents: total.incidents, net: money(total.net) }],
    responseTimes: {
      acknowledge: measure('acknowledge', null),
      guardArrival: measure('guardArrival', null),
      resolve: measure('resolve', null),
      byBand: BANDS.map((b) => ({ band: b, acknowledge: measure('acknowledge', b), guardArrival: measure('guardArrival', b), resolve: measure('resolve', b) })),
    },
    topAssets: [...inputs.assets]
      .sort((a, b) => b.incidents - a.incidents || b.named - a.named || a.assetId.localeCompare(b.assetId))
      .slice(0, o.topAssets)
      .map((a) => ({ ...a, net: money(m(a.net)) })),
    recurringVulnerabilities: recurring,
    equipmentHealth: { ...dev, bySite: [...inputs.devices].sort((a, b) => a.site.localeCompare(b.site)), findings: [...findings].map(([finding, count]) => ({ finding, count })).sort((a, b) => b.count - a.count || a.finding.localeCompare(b.finding)) },
  };
}

function rank(order: string[], k: string): number {
  if (k === OUTCOME_UNSET) return order.length + 1;
  const i = order.indexOf(k);
  return i < 0 ? order.length : i;
}

function round1(v: number | null): number | null {
  return v === null ? null : Math.round(v * 10) / 10;
}

function zoneLabel(site: string, zone: string, o: Pick<WeeklyReportOptions, 'siteNames' | 'zoneNames'>): string {
  const s = o.siteNames.get(site) ?? site;
  return zone === '' ? `${s}: (no zone)` : `${s}: ${o.zoneNames.get(`${site}/${zone}`) ?? zone}`;
}

/** A duration in seconds for people: "42 s", "12.5 min", "3.2 h"; "–" when unknown. */
export function formatDuration(seconds: number | null): string {
  if (seconds === null) return '–';
  if (seconds < 120) return `${Math.round(seconds)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}
