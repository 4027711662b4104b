/** The header: brand and freshness, active incidents per band (filters the list), incidents per hour over 24 h, sign-out. */
import { BAND_COLOUR, BANDS, BANDS_DESC, bandOf, type Band } from '../model.js';
import { r1 } from '../format.js';
import { bodyFontPx, useMeasuredWidth } from './chart-size.js';
import { signOut, toggleBand, type DashboardState } from '../store.js';

export function Header({ state: s }: { state: DashboardState }) {
  return (
    <header class="top">
      <div class="brand">
        <span class="brand-mark" aria-hidden="true" />
        <div>
          <h1>Vigil</h1>
          <p class="muted small" id="updated" aria-live="off">
            {s.lastOk ? `live · updated ${s.lastOk.toLocaleTimeString()}` : 'connecting…'}
          </p>
        </div>
      </div>

      <nav class="counters" aria-label="Active incidents by band (select to filter the list)">
        <ul id="counters">{s.totals ? <Counters totals={s.totals} filter={s.bandFilter} /> : null}</ul>
      </nav>

      <figure class="hourly">
        <figcaption class="small muted" id="hourly-caption">
          {s.hourly ? `Incidents per hour, last 24 h · peak ${peak(s.hourly)}${s.hourly.more ? '+' : ''}` : 'Incidents per hour, last 24 h'}
        </figcaption>
        <HourlyBox data={s.hourly} />
      </figure>

      <div class="session">
        {s.user ? (
          <span class="muted small" id="signed-in-as">
            {s.user.name} · {s.user.role}
          </span>
        ) : null}
        <button type="button" id="sign-out" class="ghost" onClick={() => signOut('Signed out.')}>
          Sign out
        </button>
      </div>
    </header>
  );
}

function Counters({ totals, filter }: { totals: NonNullable<DashboardState['totals']>; filter: Band | null }) {
  return (
    <>
      {BANDS_DESC.map((band) => {
        const n = totals.counts[band];
        const pressed = filter === band;
        const shown = `${n}${totals.more ? '+' : ''}`;
        return (
          <li key={band}>
            <button
              type="button"
              class={`counter band-${band}`}
              data-band={band}
              aria-pressed={pressed ? 'true' : 'false'}
              aria-label={`${shown} active ${band} incident${n === 1 ? '' : 's'}${pressed ? ' (filtering the list)' : ''}`}
              title={pressed ? 'Show every band' : `Show only ${band} incidents`}
              onClick={() => toggleBand(band)}
            >
              <span class="n">{shown}</span>
              <span class="lbl">{band}</span>
            </button>
          </li>
        );
      })}
    </>
  );
}

type Hourly = NonNullable<DashboardState['hourly']>;
const HOUR_MS = 3_600_000;

/** Incidents opened per hour over the last 24 hours, stacked by band. */
function bins(data: Hourly): { start: number; bins: Record<Band, number>[]; totals: number[] } {
  const end = Math.ceil(data.now / HOUR_MS) * HOUR_MS;
  const start = end - 24 * HOUR_MS;
  const out = Array.from({ length: 24 }, () => Object.fromEntries(BANDS.map((b) => [b, 0])) as Record<Band, number>);
  for (const it of data.items) {
    const i = Math.floor((new Date(it.openedAt).getTime() - start) / HOUR_MS);
    const band = bandOf(it.severity?.band);
    if (i >= 0 && i < 24 && band) out[i][band]++;
  }
  return { start, bins: out, totals: out.map((b) => BANDS.reduce((a, k) => a + b[k], 0)) };
}

const peak = (data: Hourly): number => Math.max(...bins(data).totals);

/** The chart's box, measured so the chart is drawn in CSS pixels (its labels at the body size). */
function HourlyBox({ data }: { data: Hourly | null | undefined }) {
  const [ref, width] = useMeasuredWidth(340, 200);
  return (
    <div id="hourly" ref={ref}>
      {data ? <HourlyChart data={data} width={width} /> : null}
    </div>
  );
}

function HourlyChart({ data, width }: { data: Hourly; width: number }) {
  const fs = bodyFontPx();
  const W = width;
  const top = 4;
  const base = Math.round(fs * 3.2);
  const H = base + Math.round(fs * 1.3);
  const { start, bins: hours, totals } = bins(data);
  const max = Math.max(1, ...totals);
  const bw = W / 24;
  const hhmm = (t: number) => new Date(t).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return (
    <svg
      viewBox={`0 0 ${W} ${H}`}
      width={W}
      height={H}
      role="img"
      class="px-text hourly-chart"
      aria-label={`Incidents opened per hour over the last 24 hours: ${totals.reduce((a, b) => a + b, 0)}${data.more ? '+' : ''} in total, at most ${Math.max(...totals)} in one hour`}
    >
      <line x1={0} x2={W} y1={base + 0.5} y2={base + 0.5} class="axis" />
      {hours.map((bin, i) => {
        let y = base;
        const bars = BANDS.map((band) => {
          const n = bin[band];
          if (!n) return null;
          const hgt = ((base - top) * n) / max;
          y -= hgt;
          return <rect key={band} x={r1(i * bw + 1)} y={r1(y)} width={r1(bw - 2)} height={r1(Math.max(hgt, 1))} fill={BAND_COLOUR[band]} rx={1} />;
        });
        const from = start + i * HOUR_MS;
        const breakdown = totals[i] ? ` (${BANDS.filter((b) => bin[b]).map((b) => `${bin[b]} ${b}`).join(', ')})` : '';
        return (
          <g key={i} data-hour={i}>
            {bars}
            {/* An invisible full-height target, so every hour has a tooltip. */}
            <rect x={r1(i * bw)} y={0} width={r1(bw)} height={base} fill="transparent">
              <title>{`${hhmm(from)}–${hhmm(from + HOUR_MS)}: ${totals[i]} incident${totals[i] === 1 ? '' : 's'}${breakdown}`}</title>
            </rect>
          </g>
        );
      })}
      <text x={0} y={H - 2} class="muted-t">
        24 h ago
      </text>
      <text x={W / 2} y={H - 2} text-anchor="middle" class="muted-t">
        12 h
      </text>
      <text x={W} y={H - 2} text-anchor="end" class="muted-t">
        now
      </text>
    </svg>
  );
}
