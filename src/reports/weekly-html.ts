/**
 * The weekly report as one self-contained HTML page: tables and inline SVG charts, no scripts, no
 * external resources (it is also the body of the email).
 */
import { formatDuration, type BreakdownLine, type Change, type ResponseMeasure, type WeeklyReport } from '../domain/weekly-report.js';
import { approxMajorUnits, formatMoney } from '../domain/money.js';
import { barChartSvg, escapeXml as e, lineChartSvg, type ChartDatum } from './weekly-charts.js';

const CSS = `body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#222;max-width:980px;margin:24px auto;padding:0 16px}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;width:100%;font-size:13px;margin:8px 0}th,td{padding:4px 8px;border-bottom:1px solid #eee;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.muted{color:#666}.up{color:#b3261e}.down{color:#1e7b34}
.kpis{display:flex;gap:16px;flex-wrap:wrap}.kpi{border:1px solid #ddd;border-radius:6px;padding:8px 12px;min-width:150px}.kpi b{display:block;font-size:18px}`;

/** The report as HTML. */
export function weeklyHtml(r: WeeklyReport): string {
  const cur = r.currency;
  const money = (v: string) => e(formatMoney(v, cur));
  const datum = (l: BreakdownLine): ChartDatum => ({ label: l.label, value: Math.max(0, approxMajorUnits(l.net, cur)), text: formatMoney(l.net, cur) });
  const c = r.comparison;
  const scope = r.sites ? `sites ${r.sites.join(', ')}` : 'all sites';
  const breakdown = (title: string, lines: BreakdownLine[], keyTitle: string) =>
    `<h2>${e(title)}</h2><table><thead><tr><th>${e(keyTitle)}</th><th class="n">incidents</th><th class="n">gross</th><th class="n">recovered</th><th class="n">net</th></tr></thead><tbody>` +
    lines.map((l) => `<tr><td>${e(l.label)}</td><td class="n">${l.incidents}</td><td class="n">${money(l.gross)}</td><td class="n">${money(l.recovered)}</td><td class="n">${money(l.net)}</td></tr>`).join('') +
    `</tbody></table>`;
  const measure = (m: ResponseMeasure) => `<td class="n">${m.count}</td><td class="n">${e(formatDuration(m.medianSeconds))}</td><td class="n">${e(formatDuration(m.p90Seconds))}</td>`;
  const rt = r.responseTimes;
  const eq = r.equipmentHealth;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${e(`Weekly loss report ${r.week} – ${r.organization}`)}</title><style>${CSS}</style></head><body>
<h1>Weekly loss report ${e(r.week)}</h1>
<p class="muted">${e(r.organization)} · ${e(scope)} · ${e(r.period.from)} to ${e(r.period.to)} (${r.period.hours} h, ${e(r.timezone)}) · generated ${e(r.generatedAt)}</p>
<div class="kpis">
<div class="kpi">Incidents<b>${r.totals.incidents}</b>${changeHtml(c.vsPreviousWeek, 'incidents', cur)}</div>
<div class="kpi">Gross loss<b>${money(r.totals.gross)}</b></div>
<div class="kpi">Recoveries<b>${money(r.totals.recovered)}</b></div>
<div class="kpi">Net loss<b>${money(r.totals.net)}</b>${changeHtml(c.vsPreviousWeek, 'net', cur)}</div>
</div>
<h2>Change</h2>
<table><thead><tr><th></th><th class="n">incidents</th><th class="n">gross</th><th class="n">recovered</th><th class="n">net</th></tr></thead><tbody>
<tr><td>This week (${e(r.week)})</td><td class="n">${r.totals.incidents}</td><td class="n">${money(r.totals.gross)}</td><td class="n">${money(r.totals.recovered)}</td><td class="n">${money(r.totals.net)}</td></tr>
<tr><td>Previous week (${e(c.previousWeek.week)})</td><td class="n">${c.previousWeek.incidents}</td><td class="n">${money(c.previousWeek.gross)}</td><td class="n">${money(c.previousWeek.recovered)}</td><td class="n">${money(c.previousWeek.net)}</td></tr>
<tr><td>4-week average (${e(c.fourWeekAverage.weeks[0])} to ${e(c.fourWeekAverage.weeks[3])})</td><td class="n">${c.fourWeekAverage.incidents}</td><td class="n">${money(c.fourWeekAverage.gross)}</td><td class="n">${money(c.fourWeekAverage.recovered)}</td><td class="n">${money(c.fourWeekAverage.net)}</td></tr>
<tr><td>Change vs previous week</td><td class="n">${signed(c.vsPreviousWeek.incidents)}${pct(c.vsPreviousWeek.incidentsPct)}</td><td></td><td></td><td class="n">${money(c.vsPreviousWeek.net)}${pct(c.vsPreviousWeek.netPct)}</td></tr>
<tr><td>Change vs 4-week average</td><td class="n">${signed(c.vsFourWeekAverage.incidents)}${pct(c.vsFourWeekAverage.incidentsPct)}</td><td></td><td></td><td class="n">${money(c.vsFourWeekAverage.net)}${pct(c.vsFourWeekAverage.netPct)}</td></tr>
</tbody></table>
${lineChartSvg('Net loss per week', r.trend.map((t) => ({ label: t.week.slice(5), value: Math.max(0, approxMajorUnits(t.net, cur)), text: formatMoney(t.net, cur) })))}
${barChartSvg('Net loss by site (top 15)', r.bySite.slice(0, 15).map(datum))}
${barChartSvg('Net loss by incident type', r.byType.map(datum))}
<h2>By site</h2><table><thead><tr><th>site</th><th class="n">incidents</th><th class="n">gross</th><th class="n">recovered</th><th class="n">net</th><th class="n">net, previous week</th><th class="n">net, 4-week average</th></tr></thead><tbody>
${r.bySite.slice(0, LISTED).map((s) => `<tr><td>${e(s.label)}</td><td class="n">${s.incidents}</td><td class="n">${money(s.gross)}</td><td class="n">${money(s.recovered)}</td><td class="n">${money(s.net)}</td><td class="n">${money(s.previousWeek.net)}</td><td class="n">${money(s.fourWeekAverage.net)}</td></tr>`).join('\n')}
</tbody></table>${more(r.bySite.length)}
${breakdown('By zone (most net loss first)', r.byZone.slice(0, LISTED), 'zone')}${more(r.byZone.length)}
${breakdown('By incident type', r.byType, 'type')}
${breakdown('By severity band', r.byBand, 'band')}
${breakdown('By outcome', r.byOutcome, 'outcome')}
${breakdown('By day', r.byDay, 'day')}
<h2>Response times</h2>
<table><thead><tr><th>band</th><th class="n">acknowledged</th><th class="n">median</th><th class="n">p90</th><th class="n">guard on site</th><th class="n">median</th><th class="n">p90</th><th class="n">resolved</th><th class="n">median</th><th class="n">p90</th></tr></thead><tbody>
<tr><td><b>all</b></td>${measure(rt.acknowledge)}${measure(rt.guardArrival)}${measure(rt.resolve)}</tr>
${rt.byBand.map((b) => `<tr><td>${e(b.band)}</td>${measure(b.acknowledge)}${measure(b.guardArrival)}${measure(b.resolve)}</tr>`).join('\n')}
</tbody></table>
<p class="muted">From the incident's opening to its acknowledgement, to the first response patrol on site, and to its resolution.</p>
<h2>Top assets</h2>
<table><thead><tr><th>asset</th><th>site / zone</th><th class="n">incidents</th><th class="n">named in events</th><th class="n">net loss of those</th></tr></thead><tbody>
${r.topAssets.map((a) => `<tr><td>${e(a.name)} <span class="muted">(${e(a.assetId)}, ${e(a.category)})</span></td><td>${e(a.site)} / ${e(a.zone)}</td><td class="n">${a.incidents}</td><td class="n">${a.named}</td><td class="n">${money(a.net)}</td></tr>`).join('\n') || '<tr><td colspan="5" class="muted">no assets touched</td></tr>'}
</tbody></table>
<h2>Recurring vulnerabilities</h2>
<table><thead><tr><th>zone</th><th class="n">incidents</th><th class="n">weeks with incidents (of 5)</th><th class="n">net</th><th>why</th></tr></thead><tbody>
${r.recurringVulnerabilities.map((v) => `<tr><td>${e(v.label)}</td><td class="n">${v.incidents}</td><td class="n">${v.weeksWithIncidents}</td><td class="n">${money(v.net)}</td><td>${e(v.reasons.join('; '))}</td></tr>`).join('\n') || '<tr><td colspan="5" class="muted">none</td></tr>'}
</tbody></table>
<h2>Equipment health</h2>
<p>${eq.devices} devices reporting: ${eq.offline} offline, ${eq.notRecording} not recording, ${eq.stale} stale.${eq.findings.length ? ` Findings this week: ${e(eq.findings.map((f) => `${f.finding} ${f.count}`).join(', '))}.` : ' No equipment findings this week.'}</p>
${eq.bySite.some((s) => s.offline + s.notRecording + s.stale > 0) ? `<table><thead><tr><th>site</th><th class="n">devices</th><th class="n">offline</th><th class="n">not recording</th><th class="n">stale</th></tr></thead><tbody>${eq.bySite.filter((s) => s.offline + s.notRecording + s.stale > 0).map((s) => `<tr><td>${e(s.site)}</td><td class="n">${s.devices}</td><td class="n">${s.offline}</td><td class="n">${s.notRecording}</td><td class="n">${s.stale}</td></tr>`).join('')}</tbody></table>` : ''}
</body></html>
`;
}

/** Lines listed in the HTML and PDF for sites and zones; the JSON and CSV carry all of them. */
export const LISTED = 50;

function more(n: number): string {
  return n > LISTED ? `<p class="muted">${n - LISTED} more in the CSV and JSON formats.</p>` : '';
}

function signed(n: number): string {
  return n > 0 ? `+${n}` : String(n);
}

function pct(p: string | null): string {
  return p === null ? '' : ` (${p.startsWith('-') ? '' : '+'}${e(p)} %)`;
}

function changeHtml(c: Change, what: 'incidents' | 'net', cur: string): string {
  const p = what === 'incidents' ? c.incidentsPct : c.netPct;
  const up = what === 'incidents' ? c.incidents > 0 : !c.net.startsWith('-') && /[1-9]/.test(c.net);
  const down = what === 'incidents' ? c.incidents < 0 : c.net.startsWith('-');
  const text = what === 'incidents' ? signed(c.incidents) : formatMoney(c.net, cur);
  return `<span class="${up ? 'up' : down ? 'down' : 'muted'}">${e(text)}${pct(p)} vs previous week</span>`;
}
