/**
 * The risk page: per site, the ISO 31000 style 5x5 matrix (likelihood up, impact across) with the
 * site's zones and assets placed in their cells; recurring zones are marked; the list below.
 */
import { humanize } from '../format.js';
import type { RiskItem } from '../investigation-model.js';
import type { Page } from '../model.js';
import type { DashboardState } from '../store.js';
import { bodyFontPx, useMeasuredWidth } from './chart-size.js';
import { siteName } from './names.js';
import { useApi } from './use-api.js';


/** The matrix cell colours: score = likelihood x impact. */
function cellBand(score: number): string {
  return score >= 17 ? 'critical' : score >= 10 ? 'high' : score >= 5 ? 'medium' : 'low';
}

export function RiskPage({ state: s }: { state: DashboardState }) {
  const risk = useApi<Page<RiskItem>>('/risk?limit=500', 30_000);
  const items = risk.data?.items ?? [];
  const sites = [...new Set(items.map((r) => r.site))].sort();
  return (
    <section class="page" aria-labelledby="risk-title">
      <div class="page-head">
        <h2 id="risk-title">Risk</h2>
        <span class="small muted">likelihood from time-decayed incidents × impact from value and criticality</span>
      </div>
      {risk.error ? <p class="err">{risk.error}</p> : null}
      {risk.data && items.length === 0 ? <p class="empty">No risk assessed yet: it is computed as incidents are handled.</p> : null}
      <div class="risk-sites">
        {sites.map((site) => (
          <SiteMatrix key={site} name={siteName(s, site)} items={items.filter((r) => r.site === site)} />
        ))}
      </div>
    </section>
  );
}

function SiteMatrix({ name, items }: { name: string; items: RiskItem[] }) {
  const placed = items.filter((r) => r.scope !== 'site');
  const site = items.find((r) => r.scope === 'site');
  // Pixels: the cells share the measured width (at most 380 px), the labels stay at the body size.
  const [ref, measured] = useMeasuredWidth(330);
  const fs = bodyFontPx();
  const PAD = Math.round(fs * 2.6);
  const CELL = Math.max(36, Math.floor((Math.min(380, measured) - PAD - 8) / 5));
  const W = PAD + CELL * 5 + 8;
  const H = CELL * 5 + PAD;
  const cells: { l: number; i: number; list: RiskItem[] }[] = [];
  for (let l = 1; l <= 5; l++) for (let i = 1; i <= 5; i++) cells.push({ l, i, list: placed.filter((r) => r.likelihood === l && r.impact === i) });
  return (
    <figure class="card risk-card" data-site={items[0]?.site}>
      <figcaption>
        <strong>{name}</strong>
        {site ? (
          <span class={`chip band-${site.band}`}>
            site {site.score} · {site.band}
          </span>
        ) : null}
      </figcaption>
      <div ref={ref}>
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} role="img" class="risk-matrix px-text" aria-label={`Risk matrix of ${name}: ${placed.length} zones and assets placed`}>
        {cells.map(({ l, i, list }) => {
          const x = PAD + (i - 1) * CELL;
          const y = (5 - l) * CELL;
          const recurring = list.some((r) => r.recurring && r.scope === 'zone');
          return (
            <g key={`${l}-${i}`}>
              <rect x={x} y={y} width={CELL - 2} height={CELL - 2} class={`cell band-${cellBand(l * i)}`} />
              {list.length > 0 ? (
                <>
                  <circle cx={x + CELL / 2 - 1} cy={y + CELL / 2 - 1} r={Math.min(CELL / 2 - 4, fs * 0.8 + 3 * list.length)} class={recurring ? 'dot recurring' : 'dot'} />
                  <text x={x + CELL / 2 - 1} y={y + CELL / 2 - 1 + fs * 0.35} text-anchor="middle" class="dot-n">
                    {list.length}
                  </text>
                  <title>{list.map((r) => `${r.scope} ${r.name ?? r.id}: L${r.likelihood} × I${r.impact} = ${r.score}${r.recurring ? ' (recurring)' : ''}`).join('\n')}</title>
                </>
              ) : null}
            </g>
          );
        })}
        {[1, 2, 3, 4, 5].map((n) => (
          <g key={n}>
            <text x={PAD - 8} y={(5 - n) * CELL + CELL / 2 + fs * 0.35} text-anchor="end" class="muted-t">
              {n}
            </text>
            <text x={PAD + (n - 1) * CELL + CELL / 2} y={H - PAD + fs * 1.1} text-anchor="middle" class="muted-t">
              {n}
            </text>
          </g>
        ))}
        <text x={PAD + (CELL * 5) / 2} y={H - 2} text-anchor="middle" class="muted-t">
          impact →
        </text>
        <text x={fs * 0.8} y={(CELL * 5) / 2} text-anchor="middle" class="muted-t" transform={`rotate(-90 ${fs * 0.8} ${(CELL * 5) / 2})`}>
          likelihood →
        </text>
      </svg>
      </div>
      <table class="mini">
        <thead>
          <tr>
            <th>Scope</th>
            <th>Name</th>
            <th>L × I</th>
            <th>Band</th>
          </tr>
        </thead>
        <tbody>
          {[...items]
            .sort((a, b) => b.score - a.score)
            .slice(0, 12)
            .map((r) => (
              <tr key={`${r.scope}:${r.id}`} data-scope={r.scope} data-recurring={r.recurring ? 'true' : undefined}>
                <td>{humanize(r.scope)}</td>
                <td>
                  {r.name ?? r.id}
                  {r.recurring ? <span class="chip band-high">recurring</span> : null}
                </td>
                <td>
                  {r.likelihood} × {r.impact} = {r.score}
                </td>
                <td>
                  <span class={`chip band-${r.band}`}>{r.band}</span>
                </td>
              </tr>
            ))}
        </tbody>
      </table>
    </figure>
  );
}
