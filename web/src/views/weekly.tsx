/**
 * The weekly loss report page: a week picker, the totals with the change against the previous week
 * and the 4-week average, the breakdowns as bar charts, and the downloads (PDF, HTML, CSV, JSON).
 */
import { useState } from 'preact/hooks';
import { humanize, r1 } from '../format.js';
import { download, errorText, type DashboardState } from '../store.js';
import { siteName } from './names.js';
import { useApi } from './use-api.js';

/** The parts of the weekly report JSON the page draws. */
interface WeeklyReport {
  week: string;
  from?: string;
  to?: string;
  currency?: string;
  totals?: Record<string, unknown>;
  breakdowns?: Record<string, { key: string; count: number; net?: string }[]>;
  [k: string]: unknown;
}

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
        <label class="small">
          Site{' '}
          <select value={site} onChange={(e) => setSite(e.currentTarget.value)}>
            <option value="">all sites</option>
            {[...s.sites.values()].map((x) => (
              <option key={x.id} value={x.id}>
                {x.name}
              </option>
            ))}
          </select>
        </label>
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

function WeeklyBody({ r, state: s }: { r: WeeklyReport; state: DashboardState }) {
  const totals = Object.entries(r.totals ?? {}).filter(([, v]) => typeof v === 'string' || typeof v === 'number');
  const breakdowns = Object.entries(r.breakdowns ?? {});
  return (
    <div class="weekly" data-week={r.week}>
      <dl class="totals">
        {totals.map(([k, v]) => (
          <div key={k} data-total={k}>
            <dt>{humanize(k)}</dt>
            <dd>{String(v)}</dd>
          </div>
        ))}
      </dl>
      <div class="cards">
        {breakdowns.map(([name, rows]) => (
          <section class="card span-6" key={name}>
            <h3>By {humanize(name)}</h3>
            <BarChart rows={rows.map((x) => ({ label: name === 'site' ? siteName(s, x.key) : humanize(x.key), value: x.count, extra: x.net }))} />
          </section>
        ))}
      </div>
    </div>
  );
}

function BarChart({ rows }: { rows: { label: string; value: number; extra?: string }[] }) {
  if (rows.length === 0) return <p class="small muted">Nothing this week.</p>;
  const max = Math.max(1, ...rows.map((x) => x.value));
  const H = 20;
  const W = 360;
  const L = 130;
  return (
    <svg viewBox={`0 0 ${W} ${rows.length * H + 4}`} class="bar-chart" role="img" aria-label={rows.map((x) => `${x.label}: ${x.value}`).join(', ')}>
      {rows.map((x, i) => (
        <g key={x.label}>
          <text x={L - 6} y={i * H + 14} text-anchor="end" class="muted-t">
            {x.label.length > 20 ? `${x.label.slice(0, 19)}…` : x.label}
          </text>
          <rect x={L} y={i * H + 3} width={r1(((W - L - 90) * x.value) / max)} height={H - 6} class="bar-fill" rx={2} />
          <text x={L + r1(((W - L - 90) * x.value) / max) + 4} y={i * H + 14} class="muted-t">
            {x.value}
            {x.extra ? ` · ${x.extra}` : ''}
          </text>
        </g>
      ))}
    </svg>
  );
}
