/**
 * The weekly loss report page: a week picker, the totals with the change against the previous week
 * and the 4-week average, the breakdowns as bar charts, and the downloads (PDF, HTML, CSV, JSON).
 */
import { useState } from 'preact/hooks';
import type { BreakdownLine, WeeklyReport } from '../../../src/domain/weekly-report.js';
import { r1 } from '../format.js';
import { download, errorText, type DashboardState } from '../store.js';
import { bodyFontPx, textWidth, useMeasuredWidth } from './chart-size.js';
import { useApi } from './use-api.js';
import { SiteFilter } from './site-filter.js';

/** The ISO week (YYYY-Www) before the one containing `d`, in UTC (the server picks the organisation's zone). */
export function lastWeek(d = new Date()): string {
  const t = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - 7));
  const day = t.getUTCDay() || 7;
  t.setUTCDate(t.getUTCDate() + 4 - day);
  const y = t.getUTCFullYear();
  const w = Math.ceil(((t.getTime() - Date.UTC(y, 0, 1)) / 86_400_000 + 1) / 7);
  return `${y}-W${String(w).padStart(2, '0')}`;
}

export function WeeklyPage({ state: s }: { state: DashboardState }) {
  const [week, setWeek] = useState(lastWeek());
  const [site, setSite] = useState('');
  const [msg, setMsg] = useState<string | null>(null);
  const q = new URLSearchParams({ week, format: 'json' });
  if (site) q.set('site', site);
  const valid = /^\d{4}-W\d{2}$/.test(week);
  const rep = useApi<WeeklyReport>(valid ? `/reports/weekly?${q}` : null);
  const save = (format: 'pdf' | 'html' | 'csv' | 'json') => {
    const p = new URLSearchParams({ week, format });
    if (site) p.set('site', site);
    void download(`/reports/weekly?${p}`, `vigil-weekly-${week}${site ? `-${site}` : ''}.${format}`).catch((e: unknown) => setMsg(errorText(e)));
  };
  const r = rep.data;
  return (
    <section class="page" aria-labelledby="weekly-title">
      <div class="page-head">
        <h2 id="weekly-title">Weekly loss report</h2>
        <label class="small">
          Week <input type="week" id="week-picker" value={week} onInput={(e) => setWeek(e.currentTarget.value)} />
        </label>
        <SiteFilter value={site} sites={s.sites.values()} onChange={setSite} allLabel="all sites" />
        <div class="row-actions">
          {(['pdf', 'html', 'csv', 'json'] as const).map((f) => (
            <button type="button" key={f} onClick={() => save(f)}>
              {f.toUpperCase()}
            </button>
          ))}
        </div>
      </div>
      {!valid ? <p class="err small">Pick a week (YYYY-Www).</p> : null}
      {rep.error ? <p class="err">{rep.error}</p> : null}
      {msg ? <p class="err small">{msg}</p> : null}
      {r ? <WeeklyBody r={r} state={s} /> : rep.loading ? <p class="muted">Loading…</p> : null}
    </section>
  );
}

const fmtSeconds = (v: number | null | undefined): string => (v === null || v === undefined ? '—' : v < 90 ? `${Math.round(v)} s` : v < 5400 ? `${Math.round(v / 60)} min` : `${r1(v / 3600)} h`);
const pct = (v: string | null | undefined): string => (v === null || v === undefined ? '' : ` (${v.startsWith('-') ? '' : '+'}${v} %)`);

function WeeklyBody({ r }: { r: WeeklyReport; state: DashboardState }) {
  const c = r.comparison;
  const rt = r.responseTimes;
  const groups: [string, BreakdownLine[]][] = [
    ['site', r.bySite],
    ['zone', r.byZone],
    ['type', r.byType],
    ['band', r.byBand],
    ['outcome', r.byOutcome],
    ['day', r.byDay],
  ];
  return (
    <div class="weekly" data-week={r.week}>
      <p class="small muted">
        {r.period.from.slice(0, 10)} to {r.period.to.slice(0, 10)} ({r.period.hours} h, {r.timezone})
      </p>
      <dl class="totals">
        <div data-total="incidents">
          <dt>Incidents</dt>
          <dd>
            {r.totals.incidents}
            <span class="small muted">{pct(c.vsPreviousWeek.incidentsPct)}</span>
          </dd>
        </div>
        <div data-total="gross">
          <dt>Gross loss</dt>
          <dd>
            {r.totals.gross} {r.currency}
          </dd>
        </div>
        <div data-total="recovered">
          <dt>Recovered</dt>
          <dd>
            {r.totals.recovered} {r.currency}
          </dd>
        </div>
        <div data-total="net">
          <dt>Net loss</dt>
          <dd>
            {r.totals.net} {r.currency}
            <span class="small muted">{pct(c.vsPreviousWeek.netPct)}</span>
          </dd>
        </div>
        <div>
          <dt>vs 4-week average</dt>
          <dd class="small">
            {c.vsFourWeekAverage.incidents >= 0 ? '+' : ''}
            {c.vsFourWeekAverage.incidents} incidents{pct(c.vsFourWeekAverage.incidentsPct)}
          </dd>
        </div>
        <div>
          <dt>To acknowledge (median / p90)</dt>
          <dd class="small">
            {fmtSeconds(rt.acknowledge.medianSeconds)} / {fmtSeconds(rt.acknowledge.p90Seconds)}
          </dd>
        </div>
        <div>
          <dt>Guard on site</dt>
          <dd class="small">
            {fmtSeconds(rt.guardArrival.medianSeconds)} / {fmtSeconds(rt.guardArrival.p90Seconds)}
          </dd>
        </div>
        <div>
          <dt>To resolve</dt>
          <dd class="small">
            {fmtSeconds(rt.resolve.medianSeconds)} / {fmtSeconds(rt.resolve.p90Seconds)}
          </dd>
        </div>
      </dl>
      <div class="cards">
        <section class="card span-6">
          <h3>Trend (net loss per week)</h3>
          <BarChart rows={r.trend.map((t) => ({ label: t.week, value: Number(t.net), extra: `${t.incidents} incidents` }))} />
        </section>
        {groups.map(([name, rows]) => (
          <section class="card span-6" key={name} data-breakdown={name}>
            <h3>By {name}</h3>
            <BarChart rows={rows.slice(0, 12).map((x) => ({ label: x.label, value: x.incidents, extra: `${x.net} net` }))} />
          </section>
        ))}
        {r.topAssets.length > 0 ? (
          <section class="card span-6">
            <h3>Top assets</h3>
            <table class="mini">
              <tbody>
                {r.topAssets.map((a) => (
                  <tr key={a.assetId}>
                    <td>{a.name}</td>
                    <td>{a.incidents}</td>
                    <td>{a.net}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        ) : null}
        {r.recurringVulnerabilities.length > 0 ? (
          <section class="card span-6">
            <h3>Recurring vulnerabilities</h3>
            <ul class="findings">
              {r.recurringVulnerabilities.map((v) => (
                <li key={`${v.site}/${v.zone}`} class="finding sev-high">
                  <strong>{v.label}</strong> <span class="small">{v.incidents} incidents · {v.net} net</span>
                </li>
              ))}
            </ul>
          </section>
        ) : null}
      </div>
    </div>
  );
}

function BarChart({ rows }: { rows: { label: string; value: number; extra?: string }[] }) {
  const [ref, measured] = useMeasuredWidth(380);
  if (rows.length === 0)
    return (
      <div ref={ref}>
        <p class="small muted">Nothing this week.</p>
      </div>
    );
  // Pixels, labels at the body size: the label column fits the longest (shortened) label.
  const fs = bodyFontPx();
  const max = Math.max(1, ...rows.map((x) => x.value));
  const H = Math.round(fs * 1.7);
  const W = Math.min(640, measured);
  const short = (l: string) => (l.length > 20 ? `${l.slice(0, 19)}…` : l);
  const L = Math.min(Math.round(W * 0.45), Math.ceil(Math.max(...rows.map((x) => textWidth(short(x.label), fs))) + 10));
  const valueW = Math.ceil(Math.max(...rows.map((x) => textWidth(x.extra ?? String(x.value), fs))) + 8);
  const span = Math.max(20, W - L - valueW);
  const base = H / 2 + fs * 0.35;
  return (
    <div ref={ref}>
      <svg viewBox={`0 0 ${W} ${rows.length * H + 4}`} width={W} height={rows.length * H + 4} class="bar-chart px-text" role="img" aria-label={rows.map((x) => `${x.label}: ${x.value}`).join(', ')}>
        {rows.map((x, i) => (
          <g key={`${x.label}-${i}`}>
            <text x={L - 6} y={r1(i * H + base)} text-anchor="end" class="muted-t">
              {short(x.label)}
            </text>
            <rect x={L} y={i * H + 3} width={r1(Math.max(1, (span * x.value) / max))} height={H - 6} class="bar-fill" rx={2} />
            <text x={L + r1((span * x.value) / max) + 4} y={r1(i * H + base)} class="muted-t">
              {x.extra ?? String(x.value)}
            </text>
          </g>
        ))}
      </svg>
    </div>
  );
}
