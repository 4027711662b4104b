/**
 * The weekly report as a PDF (pdfkit, the standard Helvetica fonts): the same sections as the
 * HTML, with bar charts drawn as vector shapes. Money is written from the report's exact strings.
 */
import PDFDocument from 'pdfkit';
import { approxMajorUnits, formatMoney } from '../domain/money.js';
import { formatDuration, type BreakdownLine, type ResponseMeasure, type WeeklyReport } from '../domain/weekly-report.js';
import { drawBarChartPdf, type ChartDatum } from './weekly-charts.js';
import { LISTED } from './weekly-html.js';

const MARGIN = 40;

/** The report as PDF bytes. */
export function weeklyPdf(r: WeeklyReport): Promise<Buffer> {
  const doc = new PDFDocument({ size: 'A4', margin: MARGIN, info: { Title: `Weekly loss report ${r.week}`, Author: 'Vigil', Subject: r.organization }, compress: true });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const cur = r.currency;
  const money = (v: string) => formatMoney(v, cur);
  const width = doc.page.width - 2 * MARGIN;
  const bottom = () => doc.page.height - MARGIN;
  const ensure = (h: number) => {
    if (doc.y + h > bottom()) doc.addPage();
  };
  const heading = (t: string) => {
    ensure(40);
    doc.moveDown(0.6).font('Helvetica-Bold').fontSize(12.5).fillColor('#222').text(t, MARGIN, doc.y);
    doc.moveDown(0.2);
  };
  const para = (t: string, size = 9.5) => {
    ensure(16);
    doc.font('Helvetica').fontSize(size).fillColor('#222').text(t, MARGIN, doc.y, { width });
  };
  /** A table: column widths as shares of the page, numeric columns right-aligned. */
  const table = (head: string[], rows: string[][], shares: number[], numeric: (i: number) => boolean) => {
    const widths = shares.map((s) => s * width);
    const line = (cells: string[], bold: boolean) => {
      ensure(14);
      const y = doc.y;
      let x = MARGIN;
      doc.font(bold ? 'Helvetica-Bold' : 'Helvetica').fontSize(8.5).fillColor('#222');
      cells.forEach((c, i) => {
        doc.text(c, x + 2, y, { width: widths[i] - 4, align: numeric(i) ? 'right' : 'left', lineBreak: false, ellipsis: true });
        x += widths[i];
      });
      doc.x = MARGIN;
      doc.y = y + 13;
    };
    line(head, true);
    for (const row of rows) line(row, false);
    if (rows.length === 0) para('none', 8.5);
  };
  const figures = (l: BreakdownLine) => [l.label, String(l.incidents), money(l.gross), money(l.recovered), money(l.net)];
  const breakdown = (title: string, lines: BreakdownLine[], key: string) => {
    heading(title);
    table([key, 'incidents', 'gross', 'recovered', 'net'], lines.map(figures), [0.36, 0.12, 0.18, 0.16, 0.18], (i) => i > 0);
  };
  const chart = (title: string, data: ChartDatum[]) => {
    const h = 30 + data.length * 15;
    ensure(h);
    doc.y = drawBarChartPdf(doc, title, data, MARGIN, doc.y + 4, width);
    doc.x = MARGIN;
  };
  const datum = (l: { label: string; net: string }): ChartDatum => ({ label: l.label, value: Math.max(0, approxMajorUnits(l.net, cur)), text: money(l.net) });
  const c = r.comparison;
  const pct = (p: string | null) => (p === null ? '' : ` (${p.startsWith('-') ? '' : '+'}${p} %)`);

  doc.font('Helvetica-Bold').fontSize(18).fillColor('#222').text(`Weekly loss report ${r.week}`);
  para(`${r.organization} - ${r.sites ? `sites ${r.sites.join(', ')}` : 'all sites'} - ${r.period.from} to ${r.period.to} (${r.period.hours} h, ${r.timezone}) - generated ${r.generatedAt}`, 8.5);

  heading('Totals');
  table(
    ['', 'incidents', 'gross', 'recovered', 'net'],
    [
      [`This week (${r.week})`, String(r.totals.incidents), money(r.totals.gross), money(r.totals.recovered), money(r.totals.net)],
      [`Previous week (${c.previousWeek.week})`, String(c.previousWeek.incidents), money(c.previousWeek.gross), money(c.previousWeek.recovered), money(c.previousWeek.net)],
      ['4-week average', String(c.fourWeekAverage.incidents), money(c.fourWeekAverage.gross), money(c.fourWeekAverage.recovered), money(c.fourWeekAverage.net)],
    ],
    [0.36, 0.12, 0.18, 0.16, 0.18],
    (i) => i > 0,
  );
  para(`Change vs previous week: ${c.vsPreviousWeek.incidents >= 0 ? '+' : ''}${c.vsPreviousWeek.incidents} incidents${pct(c.vsPreviousWeek.incidentsPct)}, net ${money(c.vsPreviousWeek.net)}${pct(c.vsPreviousWeek.netPct)}.`);
  para(`Change vs 4-week average: ${c.vsFourWeekAverage.incidents >= 0 ? '+' : ''}${c.vsFourWeekAverage.incidents} incidents${pct(c.vsFourWeekAverage.incidentsPct)}, net ${money(c.vsFourWeekAverage.net)}${pct(c.vsFourWeekAverage.netPct)}.`);

  heading('Charts');
  chart('Net loss per week', r.trend.map((t) => datum({ label: t.week, net: t.net })));
  chart('Net loss by site (top 15)', r.bySite.slice(0, 15).map(datum));
  chart('Net loss by incident type', r.byType.map(datum));

  heading('By site');
  table(
    ['site', 'incidents', 'gross', 'recovered', 'net', 'net prev. week', 'net 4-wk avg'],
    r.bySite.slice(0, LISTED).map((s) => [s.label, String(s.incidents), money(s.gross), money(s.recovered), money(s.net), money(s.previousWeek.net), money(s.fourWeekAverage.net)]),
    [0.25, 0.08, 0.14, 0.13, 0.14, 0.13, 0.13],
    (i) => i > 0,
  );
  if (r.bySite.length > LISTED) para(`${r.bySite.length - LISTED} more sites in the CSV and JSON formats.`, 8.5);
  breakdown('By zone (most net loss first)', r.byZone.slice(0, LISTED), 'zone');
  if (r.byZone.length > LISTED) para(`${r.byZone.length - LISTED} more zones in the CSV and JSON formats.`, 8.5);
  breakdown('By incident type', r.byType, 'type');
  breakdown('By severity band', r.byBand, 'band');
  breakdown('By outcome', r.byOutcome, 'outcome');
  breakdown('By day', r.byDay, 'day');

  heading('Response times (median / p90)');
  const m = (x: ResponseMeasure) => `${x.count}: ${formatDuration(x.medianSeconds)} / ${formatDuration(x.p90Seconds)}`;
  const rt = r.responseTimes;
  table(
    ['band', 'to acknowledge', 'to guard on site', 'to resolve'],
    [['all', m(rt.acknowledge), m(rt.guardArrival), m(rt.resolve)], ...rt.byBand.map((b) => [b.band, m(b.acknowledge), m(b.guardArrival), m(b.resolve)])],
    [0.16, 0.28, 0.28, 0.28],
    (i) => i > 0,
  );

  heading('Top assets');
  table(
    ['asset', 'site / zone', 'incidents', 'named', 'net of those'],
    r.topAssets.map((a) => [`${a.name} (${a.assetId})`, `${a.site} / ${a.zone}`, String(a.incidents), String(a.named), money(a.net)]),
    [0.36, 0.24, 0.12, 0.1, 0.18],
    (i) => i > 1,
  );

  heading('Recurring vulnerabilities');
  table(
    ['zone', 'incidents', 'weeks (of 5)', 'net', 'why'],
    r.recurringVulnerabilities.map((v) => [v.label, String(v.incidents), String(v.weeksWithIncidents), money(v.net), v.reasons.join('; ')]),
    [0.3, 0.1, 0.12, 0.16, 0.32],
    (i) => i > 0 && i < 4,
  );

  heading('Equipment health');
  const eq = r.equipmentHealth;
  para(`${eq.devices} devices reporting: ${eq.offline} offline, ${eq.notRecording} not recording, ${eq.stale} stale.`);
  para(eq.findings.length ? `Findings this week: ${eq.findings.map((f) => `${f.finding} ${f.count}`).join(', ')}.` : 'No equipment findings this week.');

  doc.end();
  return done;
}
