/**
 * Estimated loss: the gross loss as one bar of its parts (replacement, downtime, fines,
 * remediation), the recovered share hatched from the right, the net marked; the legend and the
 * itemised table below. The amounts are the API's decimal strings; they become numbers only to draw.
 */
import { Fragment } from 'preact';
import { bodyFontPx, textWidth, useMeasuredWidth } from './chart-size.js';
import { clamp, fmtMoney, humanize, r1 } from '../format.js';
import { LOSS_PARTS, type Incident } from '../model.js';

export function LossBreakdown({ d }: { d: Incident }) {
  const [ref, measured] = useMeasuredWidth(470);
  const loss = d.loss;
  if (!loss)
    return (
      <div ref={ref}>
        <p class="muted">The loss has not been estimated yet.</p>
      </div>
    );
  const cur = loss.currency;
  const parts = LOSS_PARTS.map((p) => ({ ...p, amount: Math.max(0, Number(loss[p.key]) || 0) }));
  const gross = Number(loss.gross) || parts.reduce((a, p) => a + p.amount, 0);
  const recovered = Math.max(0, Number(loss.recovered) || 0);
  const net = Number(loss.net) || 0;
  // Pixels: the labels are at the body size at every width.
  const fs = bodyFontPx();
  const W = Math.min(760, measured);
  const barY = Math.round(fs * 1.5);
  const barH = Math.round(fs * 2);
  const H = barY + barH + Math.round(fs * 2.2);
  const x0 = 0;
  const bw = W - 4;
  const scale = gross > 0 ? bw / gross : 0;
  const hatch = 'loss-recovered-hatch';

  let acc = 0;
  const bars = parts.map((p) => {
    if (p.amount <= 0) return null;
    const w = p.amount * scale;
    const x = x0 + acc * scale;
    acc += p.amount;
    return (
      <Fragment key={p.key}>
        <rect x={r1(x)} y={barY} width={r1(Math.max(1, w))} height={barH} fill={p.colour} data-loss={p.key}>
          <title>{`${p.label}: ${fmtMoney(p.amount, cur)}`}</title>
        </rect>
        {w > textWidth(fmtMoney(p.amount, cur, true), fs) + 12 ? (
          <text x={r1(x + 6)} y={r1(barY + barH / 2 + fs * 0.35)} fill="#10151d" font-weight={600} pointer-events="none">
            {fmtMoney(p.amount, cur, true)}
          </text>
        ) : null}
      </Fragment>
    );
  });
  const rw = Math.min(recovered, gross) * scale;
  const nx = clamp(x0 + Math.max(0, net) * scale, 1, W - 1);
  const items = loss.items ?? [];

  return (
    <div ref={ref}>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        width={W}
        height={H}
        class="chart px-text loss-chart"
        role="img"
        aria-label={`Gross loss ${fmtMoney(loss.gross, cur)}: ${parts
          .filter((p) => p.amount > 0)
          .map((p) => `${p.label.toLowerCase()} ${fmtMoney(p.amount, cur)}`)
          .join(', ')}; recovered ${fmtMoney(recovered, cur)}; net ${fmtMoney(loss.net, cur)}`}
      >
        <defs>
          <pattern id={hatch} width={6} height={6} patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
            <rect width={6} height={6} fill="#0f1520" fill-opacity={0.55} />
            <rect width={2.5} height={6} fill="#3fb27f" />
          </pattern>
        </defs>
        <rect x={x0} y={barY} width={bw} height={barH} rx={4} fill="#0b1119" />
        {bars}
        {recovered > 0 && gross > 0 ? (
          <rect x={r1(x0 + bw - rw)} y={barY} width={r1(rw)} height={barH} fill={`url(#${hatch})`} data-loss="recovered">
            <title>{`Recovered: −${fmtMoney(recovered, cur)}`}</title>
          </rect>
        ) : null}
        {gross > 0 ? (
          <>
            <line x1={nx} x2={nx} y1={barY - 6} y2={barY + barH + 6} stroke="#e6edf5" stroke-width={2} />
            <text x={nx} y={H - 4} font-weight={700} text-anchor={nx > W - 120 ? 'end' : nx < 120 ? 'start' : 'middle'}>
              {`net ${fmtMoney(loss.net, cur)}`}
            </text>
          </>
        ) : null}
        <text x={0} y={fs} class="muted-t">
          {`gross ${fmtMoney(loss.gross, cur)}`}
        </text>
        {loss.executiveEscalation ? (
          <text x={W} y={fs} text-anchor="end" fill="#ff9ca3">
            {W < 420 ? 'executive' : 'above the executive threshold'}
          </text>
        ) : null}
      </svg>
      <ul class="legend">
        {parts.map((p) => (
          <li key={p.key}>
            <span class="sw" style={{ '--sw': p.colour }} />
            {`${p.label} ${fmtMoney(p.amount, cur)}`}
          </li>
        ))}
        <li>
          <span class="sw recovered" />
          {`Recovered −${fmtMoney(recovered, cur)}`}
        </li>
      </ul>
      <table class="loss-items">
        <caption class="sr-only">Loss items</caption>
        <thead>
          <tr>
            <th>kind</th>
            <th>what</th>
            <th class="amt">amount</th>
          </tr>
        </thead>
        <tbody>
          {items.length === 0 ? (
            <tr>
              <td colSpan={3} class="muted">
                No loss items.
              </td>
            </tr>
          ) : (
            items.map((it, i) => (
              <tr key={i} data-loss-item={it.kind}>
                <td>{humanize(it.kind)}</td>
                <td>
                  {it.description || ''}
                  {it.assetId ? <span class="muted small">{` (${it.assetId})`}</span> : null}
                </td>
                <td class="amt">{it.kind === 'recovered' ? `−${fmtMoney(String(it.amount).replace(/^-/, ''), cur)}` : fmtMoney(it.amount, cur)}</td>
              </tr>
            ))
          )}
        </tbody>
        <tfoot>
          <tr>
            <td colSpan={2}>Net loss</td>
            <td class="amt">{fmtMoney(loss.net, cur)}</td>
          </tr>
        </tfoot>
      </table>
    </div>
  );
}
