import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromMinor, toMinor } from './money.js';
import { buildWeeklyReport, isoWeeksInYear, lastFullWeek, parseIsoWeek, percentChange, quantile, shiftWeek, weekDates, weekWindow, type WeeklyCell, type WeeklyReportOptions } from './weekly-report.js';
import { BANDS, INCIDENT_TYPES } from './types.js';

const opts = (over: Partial<WeeklyReportOptions> = {}): WeeklyReportOptions => ({
  week: '2026-W47',
  timeZone: 'America/New_York',
  currency: 'USD',
  organization: 'Test',
  sites: null,
  siteNames: new Map(),
  zoneNames: new Map(),
  generatedAt: new Date('2026-11-23T11:00:00Z'),
  topAssets: 10,
  recurringMinIncidents: 3,
  recurringMinWeeks: 3,
  ...over,
});
const empty = { history: [], zoneWeeks: [], response: [], assets: [], risks: [], devices: [], findings: [] };

describe('ISO weeks', () => {
  it('parses weeks that exist and names the parameter otherwise', () => {
    expect(parseIsoWeek('2026-W53')).toEqual({ year: 2026, week: 53 });
    expect(isoWeeksInYear(2026)).toBe(53);
    expect(isoWeeksInYear(2025)).toBe(52);
    for (const bad of ['2025-W53', '2026-W00', '2026-47', '2026W47', ' 2026-W47']) {
      expect(() => parseIsoWeek(bad, 'week')).toThrow(/ISO week/);
      try {
        parseIsoWeek(bad, 'week');
      } catch (e) {
        expect((e as { problems: { path: string }[] }).problems[0].path).toBe('week');
      }
    }
  });

  it('shifts across years and lists Monday to Sunday', () => {
    expect(shiftWeek('2026-W53', 1)).toBe('2027-W01');
    expect(shiftWeek('2027-W01', -1)).toBe('2026-W53');
    expect(shiftWeek('2026-W02', -5)).toBe('2025-W49');
    expect(weekDates('2027-W01')).toEqual(['2027-01-04', '2027-01-05', '2027-01-06', '2027-01-07', '2027-01-08', '2027-01-09', '2027-01-10']);
    expect(weekDates('2026-W53')[0]).toBe('2026-12-28');
  });

  it('runs from local Monday midnight to the next: 167 or 169 hours across a DST change', () => {
    // London: clocks go forward on Sunday 2026-03-29 (W13) and back on Sunday 2026-10-25 (W43).
    expect(weekWindow('2026-W13', 'Europe/London')).toMatchObject({ from: new Date('2026-03-23T00:00:00Z'), to: new Date('2026-03-29T23:00:00Z'), hours: 167 });
    expect(weekWindow('2026-W43', 'Europe/London')).toMatchObject({ from: new Date('2026-10-18T23:00:00Z'), to: new Date('2026-10-26T00:00:00Z'), hours: 169 });
    expect(weekWindow('2026-W44', 'Europe/London').hours).toBe(168);
    // New York falls back on Sunday 2026-11-01.
    const ny = weekWindow('2026-W44', 'America/New_York');
    expect(ny.hours).toBe(169);
    expect(ny.days.map((d) => d.toISOString().slice(11, 13))).toEqual(['04', '04', '04', '04', '04', '04', '04', '05']);
  });

  it('takes the last full week in the organisation time zone', () => {
    // Monday 2026-11-23 03:00 UTC is still Sunday in New York: the last full week is W46.
    expect(lastFullWeek(new Date('2026-11-23T03:00:00Z'), 'America/New_York')).toBe('2026-W46');
    expect(lastFullWeek(new Date('2026-11-23T06:00:00Z'), 'America/New_York')).toBe('2026-W47');
  });
});

describe('percentChange', () => {
  it('rounds half away from zero to one decimal and has no base for zero', () => {
    expect(percentChange(150n, 100n)).toBe('50.0');
    expect(percentChange(0n, 100n)).toBe('-100.0');
    expect(percentChange(2n, 3n)).toBe('-33.3');
    expect(percentChange(112029n, 50000n)).toBe('124.1');
    expect(percentChange(5n, 0n)).toBeNull();
  });
});

describe('buildWeeklyReport', () => {
  const money = fc.bigInt({ min: 0n, max: 10n ** 12n });
  const cell = fc.record({
    site: fc.constantFrom('s1', 's2', 's3'),
    zone: fc.constantFrom('a', 'b', ''),
    type: fc.constantFrom(...INCIDENT_TYPES),
    band: fc.constantFrom(...BANDS),
    outcome: fc.constantFrom(null, 'confirmed_loss', 'recovered'),
    day: fc.integer({ min: 0, max: 6 }),
    gross: money,
    recoveredShare: fc.integer({ min: 0, max: 100 }),
  });

  it('totals are the exact sums of the incidents, and every breakdown adds up to them', () => {
    fc.assert(
      fc.property(fc.array(cell, { maxLength: 60 }), (incidents) => {
        // One cell per incident and dimension, as the store's rollup gives them.
        const cells: WeeklyCell[] = [];
        let gross = 0n;
        let rec = 0n;
        for (const i of incidents) {
          const r = (i.gross * BigInt(i.recoveredShare)) / 100n;
          gross += i.gross;
          rec += r;
          const f = { incidents: 1, gross: fromMinor(i.gross, 'USD'), recovered: fromMinor(r, 'USD'), net: fromMinor(i.gross - r, 'USD') };
          cells.push({ dim: 'zone', site: i.site, key: i.zone, ...f }, { dim: 'type', site: '', key: i.type, ...f }, { dim: 'band', site: '', key: i.band, ...f }, { dim: 'outcome', site: '', key: i.outcome, ...f }, { dim: 'day', site: '', key: String(i.day), ...f });
        }
        const rep = buildWeeklyReport({ ...empty, cells }, opts());
        expect(rep.totals).toEqual({ incidents: incidents.length, gross: fromMinor(gross, 'USD'), recovered: fromMinor(rec, 'USD'), net: fromMinor(gross - rec, 'USD') });
        for (const lines of [rep.bySite, rep.byZone, rep.byType, rep.byBand, rep.byOutcome, rep.byDay]) {
          expect(lines.reduce((a, l) => a + l.incidents, 0)).toBe(incidents.length);
          expect(fromMinor(lines.reduce((a, l) => a + toMinor(l.net, 'USD'), 0n), 'USD')).toBe(rep.totals.net);
          expect(fromMinor(lines.reduce((a, l) => a + toMinor(l.gross, 'USD'), 0n), 'USD')).toBe(rep.totals.gross);
        }
      }),
    );
  });

  it('compares with the previous week and the 4-week average, and lists recurring zones', () => {
    const f = (incidents: number, net: string) => ({ incidents, gross: net, recovered: '0.00', net });
    const rep = buildWeeklyReport(
      {
        ...empty,
        cells: [{ dim: 'zone', site: 's1', key: 'a', ...f(4, '400.00') }],
        history: [
          { weeksBack: 1, site: 's1', ...f(2, '100.00') },
          { weeksBack: 2, site: 's1', ...f(1, '0.01') },
          { weeksBack: 4, site: 's1', ...f(1, '0.02') },
          { weeksBack: 5, site: 's1', ...f(9, '999.00') },
        ],
        zoneWeeks: [{ site: 's1', zone: 'a', weeks: 2 }],
        risks: [{ scope: 'zone', scopeId: 's2/b', site: 's2', score: 70, band: 'high' }],
      },
      opts(),
    );
    expect(rep.comparison.previousWeek).toMatchObject({ week: '2026-W46', incidents: 2, net: '100.00' });
    // W43-W46: 100.00 + 0.01 + 0.02 = 100.03, / 4 = 25.0075 -> 25.01; W42 (5 back) is only in the trend.
    expect(rep.comparison.fourWeekAverage).toMatchObject({ weeks: ['2026-W43', '2026-W44', '2026-W45', '2026-W46'], incidents: 1, net: '25.01' });
    expect(rep.comparison.vsPreviousWeek).toEqual({ incidents: 2, incidentsPct: '100.0', net: '300.00', netPct: '300.0' });
    expect(rep.comparison.vsFourWeekAverage).toEqual({ incidents: 3, incidentsPct: '300.0', net: '374.99', netPct: '1499.5' });
    expect(rep.trend.map((t) => t.week)).toEqual(['2026-W42', '2026-W43', '2026-W44', '2026-W45', '2026-W46', '2026-W47']);
    expect(rep.trend[0].net).toBe('999.00');
    expect(rep.recurringVulnerabilities.map((v) => [v.site, v.zone, v.weeksWithIncidents, v.reasons.length])).toEqual([
      ['s1', 'a', 3, 2],
      ['s2', 'b', 0, 1],
    ]);
  });
});

describe('quantile', () => {
  it('interpolates between the nearest ranks like percentile_cont', () => {
    expect(quantile([], 0.5)).toBeNull();
    expect(quantile([7], 0.9)).toBe(7);
    expect(quantile([60, 120, 180], 0.5)).toBe(120);
    expect(quantile([60, 120, 180], 0.9)).toBeCloseTo(168, 9);
    expect(quantile([3600, 7200], 0.9)).toBeCloseTo(6840, 9);
  });

  it('lies between the smallest and the largest value and grows with p', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e7, noNaN: true }), { minLength: 1, maxLength: 50 }), fc.double({ min: 0, max: 1, noNaN: true }), (xs, p) => {
        const s = [...xs].sort((a, b) => a - b);
        const q = quantile(s, p)!;
        expect(q).toBeGreaterThanOrEqual(s[0]);
        expect(q).toBeLessThanOrEqual(s[s.length - 1]);
        expect(quantile(s, Math.min(1, p + 0.1))!).toBeGreaterThanOrEqual(q - 1e-6);
      }),
    );
  });
});
