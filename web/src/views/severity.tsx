/**
 * Why this score: the score as one stacked bar of factor contributions on 0-100, one row per factor
 * (what it could add, weight × 100, and what it added), the score history, and the factor table.
 */
import { Fragment } from 'preact';
import { bodyFontPx, textWidth, useMeasuredWidth } from './chart-size.js';
import { clamp, fmtTime, humanize, num, r1, r2 } from '../format.js';
import { BAND_COLOUR, bandOf, EXTRA_FACTOR_COLOURS, FACTORS, type FactorName, type Incident } from '../model.js';

type Factor = Incident['severity']['factors'][number];

const factorStyle = (f: Factor): { label: string; colour: string } | undefined => (f.name in FACTORS ? FACTORS[f.name as FactorName] : undefined);
const colourOf = (f: Factor, i: number): string => factorStyle(f)?.colour ?? EXTRA_FACTOR_COLOURS[i % EXTRA_FACTOR_COLOURS.length];
const labelOf = (f: Factor): string => factorStyle(f)?.label ?? humanize(f.name);

export function SeverityFactors({ d, tz }: { d: Incident; tz: string | undefined }) {
  const [ref, measured] = useMeasuredWidth(470);
  const factors = d.severity?.factors ?? [];
  const score = num(d.severity?.score);
  if (factors.length === 0) return (
      <div ref={ref}>
        <p class="muted">No severity factors recorded yet.</p>
      </div>
    );

  // Pixels: the labels are at the body size, the bars take what is left.
  const fs = bodyFontPx();
  const W = Math.min(760, measured);
  const labelW = Math.ceil(Math.max(textWidth('total', fs), ...factors.map((f) => textWidth(labelOf(f), fs))) + 24);
  const valueW = Math.ceil(textWidth('00.0 / 00', fs) + 12);
  const barW = Math.max(40, W - labelW - valueW);
  const rowH = Math.round(fs * 1.8);
  const stackH = Math.round(fs * 1.4);
  const top = Math.round(fs * 2);
  const H = top + stackH + 18 + factors.length * rowH + 4;
  const sx = (v: number) => labelW + (barW * clamp(v, 0, 100)) / 100;

  // The whole score as one stacked bar on a 0-100 scale.
  let acc = 0;
  const segments = factors.map((f, i) => {
    const c = num(f.contribution);
    if (c <= 0) return null;
    const x = sx(acc);
    acc += c;
    return (
      <rect key={f.name} x={r1(x)} y={top - 4} width={r1(Math.max(0.5, sx(acc) - x))} height={stackH} fill={colourOf(f, i)} data-segment={f.name}>
        <title>{`${labelOf(f)}: ${r1(c)} points${f.detail ? ` — ${f.detail}` : ''}`}</title>
      </rect>
    );
  });

  // One row per factor: what it could add (weight x 100) and what it added.
  const maxPts = Math.max(1, ...factors.map((f) => num(f.weight) * 100));
  const fx = (v: number) => (barW * clamp(v, 0, maxPts)) / maxPts;
  const y0 = top + stackH + 14;

  return (
    <div ref={ref}>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        width={W}
        height={H}
        class="chart px-text factor-chart"
        role="img"
        aria-label={`Severity ${r1(score)} of 100: ${factors
          .filter((f) => f.contribution > 0)
          .map((f) => `${labelOf(f)} ${r1(f.contribution)}`)
          .join(', ')}`}
      >
        <text x={0} y={top - 10} class="muted-t">
          Score, 0-100
        </text>
        <rect x={labelW} y={top - 4} width={barW} height={stackH} rx={3} fill="#0b1119" />
        {[25, 50, 75].map((t) => (
          <line key={t} x1={sx(t)} x2={sx(t)} y1={top - 6} y2={top + stackH - 2} class="grid" />
        ))}
        {segments}
        <text x={Math.min(sx(acc) + 6, W - valueW + 8)} y={top + stackH / 2 + fs * 0.35} font-weight={700}>
          {`${r1(score)}`}
        </text>
        <text x={labelW - 8} y={top + stackH / 2 + fs * 0.35} text-anchor="end" class="muted-t">
          total
        </text>
        {factors.map((f, i) => {
          const y = y0 + i * rowH;
          const c = num(f.contribution);
          const possible = num(f.weight) * 100;
          const tip = `${labelOf(f)}: ${r1(c)} of ${r1(possible)} possible points (value ${r2(num(f.value))} × weight ${r2(num(f.weight))})${f.detail ? ` — ${f.detail}` : ''}`;
          return (
            <g key={f.name} data-factor={f.name} data-contribution={c} tabindex={0} role="img" aria-label={tip}>
              <title>{tip}</title>
              <rect x={0} y={y} width={W} height={rowH - 2} fill="transparent" />
              <rect x={2} y={y + rowH / 2 - 5} width={8} height={8} rx={2} fill={colourOf(f, i)} />
              <text x={16} y={y + rowH / 2 + fs * 0.3}>
                {labelOf(f)}
              </text>
              <rect x={labelW} y={y + 4} width={r1(fx(possible))} height={rowH - 10} rx={2} fill="#0b1119" stroke="#2a3a50" />
              {c > 0 ? <rect x={labelW} y={y + 4} width={r1(Math.max(1, fx(c)))} height={rowH - 10} rx={2} fill={colourOf(f, i)} /> : null}
              <text x={W - valueW + 8} y={y + rowH / 2 + fs * 0.3} class={c > 0 ? undefined : 'muted-t'}>
                {`${r1(c)}`}
                <tspan class="muted-t">{` / ${r1(possible)}`}</tspan>
              </text>
            </g>
          );
        })}
      </svg>
      <Sparkline d={d} tz={tz} />
      <details>
        <summary>Factor details</summary>
        <table>
          <thead>
            <tr>
              <th>factor</th>
              <th class="amt">value</th>
              <th class="amt">weight</th>
              <th class="amt">points</th>
              <th>why</th>
            </tr>
          </thead>
          <tbody>
            {factors.map((f) => (
              <tr key={f.name}>
                <td>{labelOf(f)}</td>
                <td class="amt">{String(r2(num(f.value)))}</td>
                <td class="amt">{String(r2(num(f.weight)))}</td>
                <td class="amt">{String(r1(num(f.contribution)))}</td>
                <td>{f.detail || ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}

/** The score after each assessment of the incident (one dot per stored score). */
function Sparkline({ d, tz }: { d: Incident; tz: string | undefined }) {
  const [ref, measured] = useMeasuredWidth(470);
  const hist = [...(d.severityHistory ?? [])].sort((a, b) => a.seq - b.seq);
  const heading = <p class="sub-h">{`Score history · ${hist.length} assessment${hist.length === 1 ? '' : 's'}`}</p>;
  if (hist.length === 0)
    return (
      <div class="spark" ref={ref}>
        {heading}
      </div>
    );
  const fs = bodyFontPx();
  const W = Math.min(760, measured);
  const H = Math.round(fs * 5);
  const padL = Math.ceil(textWidth('100', fs) + 8);
  const padR = Math.ceil(textWidth('100', fs) + 12);
  const padT = Math.round(fs * 0.6);
  const padB = Math.round(fs * 0.6);
  const x = (i: number) => (hist.length === 1 ? padL + (W - padL - padR) / 2 : padL + ((W - padL - padR) * i) / (hist.length - 1));
  const y = (v: number) => padT + ((H - padT - padB) * (100 - clamp(v, 0, 100))) / 100;
  const pts = hist.map((p, i) => `${r1(x(i))},${r1(y(p.score))}`);
  if (hist.length === 1) pts.unshift(`${padL},${r1(y(hist[0].score))}`);
  const last = hist[hist.length - 1];
  return (
    <div class="spark" ref={ref}>
      {heading}
      <svg viewBox={`0 0 ${W} ${H}`} width={W} height={H} class="chart px-text sparkline" role="img" aria-label={`Score history: ${hist.map((p) => r1(p.score)).join(', ')}`}>
        {[0, 50, 100].map((t) => (
          <Fragment key={t}>
            <line x1={padL} x2={W - padR} y1={y(t)} y2={y(t)} class="grid" />
            <text x={padL - 4} y={y(t) + fs * 0.35} text-anchor="end" class="muted-t">
              {String(t)}
            </text>
          </Fragment>
        ))}
        <polyline points={pts.join(' ')} fill="none" stroke="#5cb3ff" stroke-width={2} stroke-linejoin="round" />
        {hist.map((p, i) => {
          const band = bandOf(p.band);
          return (
            <circle key={p.seq} cx={r1(x(i))} cy={r1(y(p.score))} r={3.5} fill={band ? BAND_COLOUR[band] : '#5cb3ff'} stroke="#0f1520" data-history={p.seq}>
              <title>{`#${p.seq}: ${r1(p.score)} (${p.band}) after ${p.eventCount} event${p.eventCount === 1 ? '' : 's'}, ${fmtTime(p.computedAt, tz)}, policy ${p.policyVersion}`}</title>
            </circle>
          );
        })}
        <text x={r1(x(hist.length - 1)) + 8} y={r1(y(last.score)) + fs * 0.35} font-weight={700}>
          {String(r1(last.score))}
        </text>
      </svg>
    </div>
  );
}
