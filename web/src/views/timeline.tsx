/**
 * What happened: one lane per source and one mark per event on a time axis in the site's time
 * zone (labels where they fit, alternating above and below), and the event list (the source's own
 * reference shown as text, whatever it contains).
 */
import { Fragment, type VNode } from 'preact';
import { clamp, fmtMoney, fmtTime, humanize, r1, validTz } from '../format.js';
import { OTHER_SOURCE_COLOUR, SOURCE_COLOUR, SOURCES, known, type EventItem, type Incident } from '../model.js';
import type { DashboardState } from '../store.js';
import { bodyFontPx, textWidth, useMeasuredWidth } from './chart-size.js';
import { zoneName } from './names.js';

const TICK_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map((m) => m * 60_000);
const sourceColour = (src: string): string => {
  const s = known(SOURCES, src);
  return s ? SOURCE_COLOUR[s] : OTHER_SOURCE_COLOUR;
};

export function Timeline({ d, tz, state: s }: { d: Incident; tz: string | undefined; state: DashboardState }) {
  // Drawn in CSS pixels (chart-size.ts): the labels keep the body size at every width.
  const [ref, measured] = useMeasuredWidth(400, 280);
  const events = (d.events ?? []).filter((e) => !Number.isNaN(new Date(e.occurredAt).getTime()));
  if (events.length === 0) return <p class="muted">No events.</p>;
  const zname = (z: string | undefined) => zoneName(s, d.site, z);
  const times = events.map((e) => new Date(e.occurredAt).getTime());
  const tMin = Math.min(...times);
  const tMax = Math.max(...times);
  const span = Math.max(tMax - tMin, 10 * 60_000);
  const padT = span * 0.08;
  const mid = (tMin + tMax) / 2;
  const short = tMax - tMin < 10 * 60_000;
  const d0 = short ? mid - span / 2 - padT : tMin - padT;
  const d1 = short ? mid + span / 2 + padT : tMax + padT;

  const sources = [...new Set(events.map((e) => e.source))];
  const fs = bodyFontPx();
  const W = measured;
  const labelW = Math.ceil(Math.max(...sources.map((src) => textWidth(humanize(src), fs))) + 24);
  const laneH = Math.round(fs * 3.7);
  const top = 6;
  const axisH = Math.round(fs * 3.2);
  const H = top + sources.length * laneH + axisH;
  const x = (t: number) => labelW + ((W - labelW - 12) * (t - d0)) / (d1 - d0);
  const isoOf = (t: number) => new Date(t).toISOString();

  // Axis and ticks
  const axisY = top + sources.length * laneH + 4;
  const multiDay = d1 - d0 > 20 * 3_600_000;
  // As many ticks as their labels leave room for.
  const sampleTick = multiDay ? `${fmtTime(isoOf(d0), tz, 'date')} ${fmtTime(isoOf(d0), tz, 'time')}` : fmtTime(isoOf(d0), tz, 'time');
  const tickRoom = Math.max(2, Math.floor((W - labelW) / (textWidth(sampleTick, fs) + 16)));
  const step = TICK_STEPS.find((st) => (d1 - d0) / st <= tickRoom) ?? TICK_STEPS[TICK_STEPS.length - 1];
  const ticks: VNode[] = [];
  for (let t = Math.ceil(d0 / step) * step; t <= d1; t += step) {
    const tx = r1(x(t));
    const iso = isoOf(t);
    ticks.push(
      <Fragment key={t}>
        <line x1={tx} x2={tx} y1={top} y2={axisY + 4} class="grid" />
        <text x={tx} y={r1(axisY + 4 + fs)} text-anchor="middle" class="muted-t">
          {multiDay ? `${fmtTime(iso, tz, 'date')} ${fmtTime(iso, tz, 'time')}` : fmtTime(iso, tz, 'time')}
        </text>
      </Fragment>,
    );
  }

  // Marks: one per event; labels where they fit (alternating above and below the mark).
  const lastLabelEnd = sources.map(() => [-Infinity, -Infinity]);
  const order = events.map((e, i) => ({ e, t: times[i] })).sort((a, b) => a.t - b.t);
  const marks = order.map(({ e, t }) => {
    const li = sources.indexOf(e.source);
    const cy = top + li * laneH + laneH / 2 - 2;
    const cx = r1(x(t));
    const what = humanize(e.type);
    const tip = `${fmtTime(e.occurredAt, tz, 'seconds')} · ${humanize(e.source)} · ${what}${e.device ? ` · device ${e.device}` : ''}${e.zone ? ` · ${zname(e.zone)}` : ''}${e.badge ? ` · badge ${e.badge}` : ''}${e.amount ? ` · ${fmtMoney(e.amount.value, e.amount.currency)}` : ''}`;
    const est = textWidth(what, fs);
    const slots = lastLabelEnd[li];
    const left = clamp(cx - est / 2, labelW + 2, W - 14 - est);
    let slot = -1;
    if (left > slots[0] + 4) slot = 0;
    else if (left > slots[1] + 4) slot = 1;
    if (slot >= 0) slots[slot] = left + est;
    return (
      <g key={e.id} data-event={e.id} data-source={e.source} tabindex={0} role="img" aria-label={tip}>
        <title>{tip}</title>
        <circle cx={cx} cy={cy} r={6} fill={sourceColour(e.source)} stroke="#0f1520" stroke-width={1.5} />
        {slot >= 0 ? (
          <text x={r1(left + est / 2)} y={slot === 0 ? cy - 10 : r1(cy + 8 + fs)} text-anchor="middle" class="halo">
            {what}
          </text>
        ) : null}
      </g>
    );
  });

  return (
    <div ref={ref}>
      <svg
        viewBox={`0 0 ${W} ${H}`}
        width={W}
        height={H}
        class="chart px-text timeline"
        role="img"
        aria-label={`Timeline of ${events.length} event${events.length === 1 ? '' : 's'} from ${fmtTime(isoOf(tMin), tz)} to ${fmtTime(isoOf(tMax), tz)}`}
      >
        <line x1={labelW} x2={W - 12} y1={axisY} y2={axisY} class="axis" />
        {ticks}
        <text x={W - 12} y={r1(axisY + 8 + 2 * fs)} text-anchor="end" class="muted-t">
          {`site time (${validTz(tz) ?? 'browser'}) · ${fmtTime(isoOf(tMin), tz, 'date')}`}
        </text>
        {sources.map((src, li) => {
          const y = top + li * laneH;
          return (
            <Fragment key={src}>
              <rect x={labelW} y={y} width={W - labelW - 12} height={laneH - 4} fill={li % 2 ? '#1a2637' : '#152030'} rx={3} />
              <circle cx={6} cy={y + laneH / 2 - 2} r={4} fill={sourceColour(src)} />
              <text x={14} y={r1(y + laneH / 2 - 2 + fs * 0.35)}>
                {humanize(src)}
              </text>
            </Fragment>
          );
        })}
        {marks}
      </svg>
      <details open={events.length <= 12}>
        <summary>{`Event list (${events.length})`}</summary>
        <table class="event-table">
          <thead>
            <tr>
              <th>time</th>
              <th>source</th>
              <th>type</th>
              <th>where</th>
              <th>ref</th>
            </tr>
          </thead>
          <tbody>
            {order.map(({ e }) => (
              <EventRow key={e.id} e={e} tz={tz} zone={zname(e.zone)} />
            ))}
          </tbody>
        </table>
      </details>
    </div>
  );
}

function EventRow({ e, tz, zone }: { e: EventItem; tz: string | undefined; zone: string }) {
  return (
    <tr>
      <td class="num">{fmtTime(e.occurredAt, tz, 'seconds')}</td>
      <td>{humanize(e.source)}</td>
      <td>
        {humanize(e.type)}
        {e.amount ? ` ${fmtMoney(e.amount.value, e.amount.currency)}` : ''}
      </td>
      <td>{[zone, e.device, e.badge ? `badge ${e.badge}` : ''].filter(Boolean).join(' · ')}</td>
      <td class="mono small">{e.sourceEventId || e.id}</td>
    </tr>
  );
}
