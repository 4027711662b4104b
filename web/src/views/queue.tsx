/**
 * The incident queue, for triage: by priority (band high to low, then oldest first) or newest
 * first; filters by site, type, band, status and assignee; a search box (id, zone, asset, badge);
 * SLA countdowns on every incident; times in the viewer's chosen zone or each site's, the zone
 * named; a new high or critical incident announced (triage.ts). Keyboard, anywhere on the page
 * but in a text field: j/k or ↓/↑ move, Enter opens, a acknowledges, s assigns, ? lists them.
 */
import { Fragment } from 'preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { INCIDENT_TYPES } from '../../../src/domain/types.js';
import { clamp, fmtAgo, fmtMoney, fmtTime, humanize, r1 } from '../format.js';
import { ACTIONS, BANDS_DESC, bandClass, statusClass, type IncidentSummary } from '../model.js';
import { act, select, setBandFilter, setStatusFilter, setTriage, type DashboardState } from '../store.js';
import {
  askNotifications,
  browserZone,
  getFilters,
  getZone,
  markSeen,
  notificationPermission,
  setSound,
  setZone,
  soundOn,
  zoneOptions,
} from '../triage.js';
import { siteName, siteTz, zoneName } from './names.js';
import { SlaBadge, useNow } from './sla.js';
import '../triage.css';
import { SiteFilter } from './site-filter.js';

/** The keyboard shortcuts of the queue, as the help lists them. */
export const SHORTCUTS: readonly { keys: string[]; does: string }[] = [
  { keys: ['j', '↓'], does: 'next incident' },
  { keys: ['k', '↑'], does: 'previous incident' },
  { keys: ['Enter'], does: 'open the incident (focus its detail)' },
  { keys: ['a'], does: 'acknowledge the selected incident' },
  { keys: ['s'], does: 'assign the selected incident' },
  { keys: ['/'], does: 'search' },
  { keys: ['?'], does: 'show or hide this help' },
  { keys: ['Esc'], does: 'close this help' },
];

const ACK = ACTIONS.find((a) => a.action === 'acknowledge')!;

function typing(t: EventTarget | null): boolean {
  const el = t as HTMLElement | null;
  if (!el || !el.tagName) return false;
  return el.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(el.tagName);
}

export function Queue({ state: s }: { state: DashboardState }) {
  const list = useRef<HTMLUListElement>(null);
  const search = useRef<HTMLInputElement>(null);
  const [help, setHelp] = useState(false);
  const [, redraw] = useState(0);
  const now = useNow(1000);
  const f = getFilters();
  const [q, setQ] = useState(f.q);

  // The search is sent a moment after the typing stops.
  useEffect(() => {
    if (q === getFilters().q) return;
    const t = setTimeout(() => setTriage({ q }), 250);
    return () => clearTimeout(t);
  }, [q]);

  // Looking at the page clears the count of new incidents in the title.
  useEffect(() => {
    const seen = () => document.visibilityState === 'visible' && markSeen();
    window.addEventListener('focus', seen);
    document.addEventListener('visibilitychange', seen);
    return () => {
      window.removeEventListener('focus', seen);
      document.removeEventListener('visibilitychange', seen);
    };
  }, []);

  const move = (delta: number | 'first' | 'last') => {
    const items = getItems();
    if (items.length === 0) return;
    const from = focusedId() ?? stateRef.current.selectedId;
    const i = items.findIndex((it) => it.id === from);
    const j = delta === 'first' ? 0 : delta === 'last' ? items.length - 1 : i < 0 ? 0 : clamp(i + delta, 0, items.length - 1);
    select(items[j].id);
    const btn = list.current?.querySelector<HTMLButtonElement>(`button.inc[data-id="${CSS.escape(items[j].id)}"]`);
    btn?.focus();
  };
  const itemsRef = useRef<IncidentSummary[]>(s.incidents);
  itemsRef.current = s.incidents;
  const getItems = () => itemsRef.current;
  const stateRef = useRef(s);
  stateRef.current = s;

  /** The incident of the focused queue item, if an item has the focus. */
  const focusedId = (): string | null => {
    const el = document.activeElement as HTMLElement | null;
    return el && list.current?.contains(el) ? el.getAttribute('data-id') : null;
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const st = stateRef.current;
      if (st.page !== 'incidents' || st.screen !== 'app') return;
      if (e.key === 'Escape' && help) {
        setHelp(false);
        return;
      }
      if (e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
      const inList = !!list.current?.contains(document.activeElement);
      const k = e.key;
      if (k === 'j' || (k === 'ArrowDown' && inList)) move(1);
      else if (k === 'k' || (k === 'ArrowUp' && inList)) move(-1);
      else if (k === 'Home' && inList) move('first');
      else if (k === 'End' && inList) move('last');
      else if (k === 'Enter' && inList) {
        const fid = focusedId() ?? st.selectedId;
        if (!fid) return;
        select(fid, { focus: true });
        if (fid === st.selectedId) document.getElementById('detail')?.focus();
      } else if (k === 'a' && (focusedId() ?? st.selectedId)) {
        const aid = (focusedId() ?? st.selectedId)!;
        if (aid !== st.selectedId) select(aid);
        const it = st.incidents.find((x) => x.id === aid) ?? (st.detail?.id === aid ? st.detail : null);
        if (it && (ACK.from as readonly string[]).includes(it.status)) void act(aid, ACK, '');
      } else if (k === 's' && st.selectedId) {
        document.getElementById('assign-select')?.focus();
      } else if (k === '/') search.current?.focus();
      else if (k === '?') setHelp((h) => !h);
      else return;
      e.preventDefault();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [help]);

  const sites = [...s.sites.values()];
  const assignees = [...new Set(s.incidents.map((i) => i.assignee).filter((a): a is string => !!a).concat(f.assignee && f.assignee !== 'none' ? [f.assignee] : []))].sort();
  const zone = getZone();
  const perm = notificationPermission();
  const sorted = f.sort === 'priority';

  return (
    <section class="list-pane" aria-labelledby="list-title">
      <div class="pane-head">
        <h2 id="list-title">Incidents</h2>
        <button type="button" id="shortcuts-button" class="small" aria-expanded={help ? 'true' : 'false'} aria-controls="shortcuts-help" onClick={() => setHelp(!help)} title="Keyboard shortcuts (?)">
          ? Shortcuts
        </button>
      </div>
      {help ? (
        <div id="shortcuts-help" class="help-pop" role="dialog" aria-label="Keyboard shortcuts">
          <strong>Keyboard shortcuts</strong>
          <dl>
            {SHORTCUTS.map((x) => (
              <Fragment key={x.does}>
                <dt>
                  {x.keys.map((k, i) => (
                    <Fragment key={k}>
                      {i > 0 ? ' / ' : ''}
                      <kbd>{k}</kbd>
                    </Fragment>
                  ))}
                </dt>
                <dd>{x.does}</dd>
              </Fragment>
            ))}
          </dl>
        </div>
      ) : null}
      <div class="triage-bar small" role="group" aria-label="Order, filters and search">
        <input
          ref={search}
          type="search"
          id="queue-search"
          placeholder="Search id, zone, asset, badge"
          aria-label="Search by incident id, zone, asset or badge"
          maxLength={200}
          value={q}
          onInput={(e) => setQ(e.currentTarget.value)}
        />
        <label>
          Order{' '}
          <select id="queue-sort" value={f.sort} onChange={(e) => setTriage({ sort: e.currentTarget.value === 'opened' ? 'opened' : 'priority' })}>
            <option value="priority">priority (band, then oldest)</option>
            <option value="opened">newest first</option>
          </select>
        </label>
        <label>
          Status{' '}
          <select id="status-filter" value={s.statusFilter} onChange={(e) => setStatusFilter(e.currentTarget.value)}>
            <option value="active">active</option>
            <option value="open">open only</option>
            <option value="resolved">resolved</option>
            <option value="all">all</option>
          </select>
        </label>
        <label>
          Band{' '}
          <select id="filter-band" value={s.bandFilter ?? ''} onChange={(e) => setBandFilter(e.currentTarget.value)}>
            <option value="">any</option>
            {BANDS_DESC.map((b) => (
              <option key={b} value={b}>
                {b}
              </option>
            ))}
          </select>
        </label>
        <label>
          Site <SiteFilter bare id="filter-site" value={f.site} sites={sites} onChange={(site) => setTriage({ site })} />
        </label>
        <label>
          Type{' '}
          <select id="filter-type" value={f.type} onChange={(e) => setTriage({ type: e.currentTarget.value })}>
            <option value="">any</option>
            {INCIDENT_TYPES.map((t) => (
              <option key={t} value={t}>
                {humanize(t)}
              </option>
            ))}
          </select>
        </label>
        <label>
          Assignee{' '}
          <select id="filter-assignee" value={f.assignee} onChange={(e) => setTriage({ assignee: e.currentTarget.value })}>
            <option value="">anyone</option>
            <option value="none">unassigned</option>
            {assignees.map((a) => (
              <option key={a} value={a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label>
          Times in{' '}
          <select
            id="zone-picker"
            value={zone}
            onChange={(e) => {
              setZone(e.currentTarget.value);
              redraw((n) => n + 1);
              setTriage({});
            }}
          >
            <option value="site">each site's zone</option>
            {zoneOptions(sites.map((x) => x.timezone)).map((z) => (
              <option key={z} value={z}>
                {z === browserZone() ? `${z} (mine)` : z}
              </option>
            ))}
          </select>
        </label>
        <label title="A tone when a new high or critical incident arrives">
          <input
            type="checkbox"
            id="sound-toggle"
            checked={soundOn()}
            onChange={(e) => {
              setSound(e.currentTarget.checked);
              redraw((n) => n + 1);
            }}
          />{' '}
          sound
        </label>
        {perm === 'default' ? (
          <button type="button" id="desktop-alerts" class="small" onClick={() => void askNotifications().then(() => redraw((n) => n + 1))}>
            Desktop alerts
          </button>
        ) : perm === 'granted' ? (
          <span class="muted" id="desktop-alerts-on">desktop alerts on</span>
        ) : null}
      </div>
      <p id="list-hint" class="small muted">
        {sorted ? 'Highest band first, oldest first within a band' : 'Newest first'} · j/k or ↑/↓ to move · ? for shortcuts
      </p>
      <ul ref={list} id="incident-list" class="incident-list" aria-label={sorted ? 'Incidents by priority' : 'Incidents, newest first'}>
        {s.incidents.map((it, i) => (
          <li key={it.id}>
            <QueueItem it={it} state={s} now={now} focusable={it.id === s.selectedId || (!s.selectedId && i === 0)} />
          </li>
        ))}
      </ul>
      <p id="list-empty" class="empty" hidden={!s.listLoaded || s.incidents.length > 0}>
        No incidents match.
      </p>
    </section>
  );
}

function QueueItem({ it, state: s, focusable, now }: { it: IncidentSummary; state: DashboardState; focusable: boolean; now: number }) {
  const band = it.severity?.band ?? '';
  const score = Number(it.severity?.score) || 0;
  const tz = siteTz(s, it.site);
  const where = [zoneName(s, it.site, it.zone), siteName(s, it.site)].filter(Boolean).join(' · ');
  const selected = it.id === s.selectedId;
  const net = it.loss ? fmtMoney(it.loss.net, it.loss.currency) : '';
  const closed = it.status === 'resolved' || it.status === 'archived';
  return (
    <button
      type="button"
      class={`inc ${bandClass(band)}`}
      data-id={it.id}
      data-type={it.type}
      data-status={it.status}
      data-site={it.site}
      aria-current={selected ? 'true' : undefined}
      tabindex={focusable ? 0 : -1}
      aria-label={`${band} ${humanize(it.type)}, ${where}, ${fmtTime(it.firstEventAt, tz)}, score ${r1(score)}, ${it.status}${it.assignee ? `, assigned to ${it.assignee}` : ''}, net loss ${net}`}
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
      <span class="inc-sla">
        {closed ? null : <SlaBadge label="ack" due={it.ackDueAt} doneAt={it.acknowledgedAt} now={now} />}
        <SlaBadge label="resolve" due={it.resolveDueAt} doneAt={it.resolvedAt} now={now} />
        {it.assignee ? <span class="inc-assignee">{`→ ${it.assignee}`}</span> : null}
      </span>
    </button>
  );
}
