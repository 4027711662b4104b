/** The incident queue: newest first, filtered by status (and by band from the header), ↑/↓/Home/End to move. */
import { useRef } from 'preact/hooks';
import { clamp, fmtAgo, fmtMoney, fmtTime, humanize, r1 } from '../format.js';
import { bandClass, statusClass, type IncidentSummary } from '../model.js';
import { select, setStatusFilter, type DashboardState } from '../store.js';
import { siteName, siteTz, zoneName } from './names.js';

export function Queue({ state: s }: { state: DashboardState }) {
  const list = useRef<HTMLUListElement>(null);

  const onKeyDown = (e: KeyboardEvent) => {
    const buttons = [...(list.current?.querySelectorAll<HTMLButtonElement>('button.inc') ?? [])];
    const i = buttons.indexOf(document.activeElement as HTMLButtonElement);
    if (i < 0) return;
    let j = -1;
    if (e.key === 'ArrowDown') j = Math.min(buttons.length - 1, i + 1);
    else if (e.key === 'ArrowUp') j = Math.max(0, i - 1);
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = buttons.length - 1;
    if (j < 0) return;
    e.preventDefault();
    const id = buttons[j].getAttribute('data-id');
    if (!id) return;
    select(id);
    buttons[j].focus();
  };

  return (
    <section class="list-pane" aria-labelledby="list-title">
      <div class="pane-head">
        <h2 id="list-title">Incidents</h2>
        <label class="small">
          Show{' '}
          <select id="status-filter" value={s.statusFilter} onChange={(e) => setStatusFilter(e.currentTarget.value)}>
            <option value="active">active</option>
            <option value="open">open only</option>
            <option value="resolved">resolved</option>
            <option value="all">all</option>
          </select>
        </label>
      </div>
      <p id="list-hint" class="small muted">
        Newest first · ↑/↓ to move
      </p>
      <ul ref={list} id="incident-list" class="incident-list" aria-label="Incidents, newest first" onKeyDown={onKeyDown}>
        {s.incidents.map((it, i) => (
          <li key={it.id}>
            <QueueItem it={it} state={s} focusable={it.id === s.selectedId || (!s.selectedId && i === 0)} />
          </li>
        ))}
      </ul>
      <p id="list-empty" class="empty" hidden={!s.listLoaded || s.incidents.length > 0}>
        No incidents match.
      </p>
    </section>
  );
}

function QueueItem({ it, state: s, focusable }: { it: IncidentSummary; state: DashboardState; focusable: boolean }) {
  const band = it.severity?.band ?? '';
  const score = Number(it.severity?.score) || 0;
  const tz = siteTz(s, it.site);
  const where = [zoneName(s, it.site, it.zone), siteName(s, it.site)].filter(Boolean).join(' · ');
  const selected = it.id === s.selectedId;
  const net = it.loss ? fmtMoney(it.loss.net, it.loss.currency) : '';
  return (
    <button
      type="button"
      class={`inc ${bandClass(band)}`}
      data-id={it.id}
      data-type={it.type}
      data-status={it.status}
      aria-current={selected ? 'true' : undefined}
      tabindex={focusable ? 0 : -1}
      aria-label={`${band} ${humanize(it.type)}, ${where}, ${fmtTime(it.firstEventAt, tz)}, score ${r1(score)}, ${it.status}, net loss ${net}`}
      onClick={() => select(it.id)}
    >
      <span class={`chip ${bandClass(band)}`} data-band={band}>
        {band}
      </span>
      <span class="inc-type">{humanize(it.type)}</span>
      <span class="inc-loss" title="estimated net loss">
        {net}
      </span>
      <span class="inc-where" title={where}>
        {where}
      </span>
      <time class="inc-time" dateTime={it.firstEventAt} data-ago={it.openedAt} title={`opened ${fmtAgo(it.openedAt)}`}>
        {fmtTime(it.firstEventAt, tz)}
      </time>
      <span class="inc-bar">
        <span class={`inc-status ${statusClass(it.status)}`}>{it.status}</span>
        <span class="scorebar" aria-hidden="true">
          <span style={{ width: `${clamp(score, 0, 100)}%` }} />
        </span>
        <span class="score-num" title="severity score (0-100)">
          {String(Math.round(score))}
        </span>
      </span>
    </button>
  );
}
