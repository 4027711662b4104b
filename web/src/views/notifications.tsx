/**
 * Who was told and whether it reached them: the notifications of an incident (recipient, channel,
 * state, attempts, last error) for the incident detail, and the notifications page (every alert,
 * filtered by state, channel and site), both updated live from the stream (notification.updated).
 */
import { useEffect, useState } from 'preact/hooks';
import { fmtTime, humanize } from '../format.js';
import type { Incident, Page } from '../model.js';
import { onLiveEvent, request, select, setPage, type DashboardState } from '../store.js';
import { siteName, siteOf, siteTz } from './names.js';
import { useApi } from './use-api.js';
import { deliveryOf, lastError } from './workflow-delivery.js';
import { SiteFilter } from './site-filter.js';

type Notification = Incident['notifications'][number];

/** The notification states of the API (GET /api/v1/notifications?status=). */
const STATES = ['queued', 'sending', 'sent', 'failed', 'acknowledged', 'folded', 'folded_sent', 'cancelled'] as const;
const CHANNELS = ['sms', 'email', 'webhook'] as const;

/**
 * The names of the people of an incident's site: its contacts (GET /incidents/{id}/assignees) and
 * its guards (the site plan), by id; empty until loaded (the ids are shown meanwhile).
 */
export function usePeopleNames(incidentId: string, site: string, s: DashboardState): ReadonlyMap<string, string> {
  const [contacts, setContacts] = useState<ReadonlyMap<string, string>>(new Map());
  useEffect(() => {
    let live = true;
    request<{ items: { id: string; name: string }[] }>(`/incidents/${encodeURIComponent(incidentId)}/assignees`)
      .then((r) => live && setContacts(new Map(r.items.map((p) => [p.id, p.name]))))
      .catch(() => undefined); // names are a nicety: the ids stay
    return () => {
      live = false;
    };
  }, [incidentId]);
  const names = new Map(contacts);
  for (const g of siteOf(s, site)?.guards ?? []) names.set(g.id, g.name);
  return names;
}

/** A table of notifications; `showIncident` adds the incident and site columns (the page). */
export function NotificationsTable({
  items,
  tz,
  state: s,
  showIncident = false,
  names = new Map(),
}: {
  items: readonly Notification[];
  tz: (site: string | null) => string | undefined;
  state: DashboardState;
  showIncident?: boolean;
  names?: ReadonlyMap<string, string>;
}) {
  if (items.length === 0) return <p class="muted small">No notifications.</p>;
  return (
    <div class="dl-wrap">
    <table class="dl-table" aria-label="Notifications">
      <thead>
        <tr>
          {showIncident ? <th scope="col">Incident</th> : null}
          <th scope="col">Recipient</th>
          <th scope="col">Channel</th>
          <th scope="col">State</th>
          <th scope="col">Attempts</th>
          <th scope="col">Last error</th>
          <th scope="col">Queued</th>
          <th scope="col">Sent</th>
        </tr>
      </thead>
      <tbody>
        {items.map((n) => {
          const dl = deliveryOf(n.status);
          const err = lastError(n);
          return (
            <tr key={n.id} data-notification={n.id} data-recipient={n.recipient} data-channel={n.channel} data-state={n.status}>
              {showIncident ? (
                <td>
                  <button
                    type="button"
                    class="link kbd-focus"
                    onClick={() => {
                      setPage('incidents');
                      select(n.incidentId, { focus: true });
                    }}
                  >
                    {n.site ? siteName(s, n.site) : n.incidentId}
                  </button>
                  <div class="small muted mono">{n.incidentId}</div>
                </td>
              ) : null}
              <td>
                <strong>{names.get(n.recipient) ?? n.recipient}</strong>
                {names.has(n.recipient) ? <span class="small muted">{` ${n.recipient}`}</span> : null}
                {n.address ? <div class="small muted">{n.address}</div> : null}
                <div class="small muted">{humanize(String(n.kind).split(':')[0])}</div>
              </td>
              <td>{n.channel}</td>
              <td class={`state-${dl}`}>{`${humanize(n.status)}${dl === 'pending' ? ' (pending)' : ''}`}</td>
              <td>{String(n.attempts)}</td>
              <td class={err ? 'err' : 'muted'}>{err ?? '—'}</td>
              <td>{fmtTime(n.createdAt, tz(n.site), 'seconds')}</td>
              <td>{n.sentAt ? fmtTime(n.sentAt, tz(n.site), 'seconds') : '—'}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
    </div>
  );
}

/** The notifications of the selected incident (its detail). */
export function IncidentNotifications({ d, state: s }: { d: Incident; state: DashboardState }) {
  const items = d.notifications ?? [];
  const names = usePeopleNames(d.id, d.site, s);
  const counts = { delivered: 0, pending: 0, failed: 0, cancelled: 0 };
  for (const n of items) counts[deliveryOf(n.status)]++;
  return (
    <>
      <p class="small" id="notif-summary">
        {`${items.length} notification${items.length === 1 ? '' : 's'}: ${counts.delivered} delivered, ${counts.pending} pending, ${counts.failed} failed${counts.cancelled ? `, ${counts.cancelled} cancelled` : ''}`}
      </p>
      <NotificationsTable items={items} tz={() => siteTz(s, d.site)} state={s} names={names} />
    </>
  );
}

/** The notifications page: every alert with its delivery, filtered by state, channel and site. */
export function NotificationsPage({ state: s }: { state: DashboardState }) {
  const [status, setStatus] = useState('');
  const [channel, setChannel] = useState('');
  const [site, setSite] = useState('');
  const q = new URLSearchParams({ limit: '200' });
  if (status) q.set('status', status);
  if (channel) q.set('channel', channel);
  if (site) q.set('site', site);
  const list = useApi<Page<Notification>>(`/notifications?${q}`, 15_000);
  useEffect(() => onLiveEvent((kind) => kind === 'notification.updated' && list.reload()), [list]);
  const items = list.data?.items ?? [];
  return (
    <section class="page" aria-labelledby="notifications-title">
      <div class="page-head">
        <h2 id="notifications-title">Notifications</h2>
        <div class="page-filters">
          <label class="small">
            State{' '}
            <select id="notif-state" value={status} onChange={(e) => setStatus(e.currentTarget.value)}>
              <option value="">any</option>
              {STATES.map((x) => (
                <option key={x} value={x}>
                  {humanize(x)}
                </option>
              ))}
            </select>
          </label>
          <label class="small">
            Channel{' '}
            <select id="notif-channel" value={channel} onChange={(e) => setChannel(e.currentTarget.value)}>
              <option value="">any</option>
              {CHANNELS.map((x) => (
                <option key={x} value={x}>
                  {x}
                </option>
              ))}
            </select>
          </label>
          <SiteFilter id="notif-site" value={site} sites={s.sites.values()} onChange={setSite} />
          <span class="small muted">{list.data ? `${items.length}${list.data.nextCursor ? '+' : ''} notifications` : list.loading ? 'loading…' : ''}</span>
        </div>
      </div>
      {list.error ? <p class="err">{list.error}</p> : null}
      <NotificationsTable items={items} tz={(x) => (x ? siteTz(s, x) : undefined)} state={s} showIncident />
    </section>
  );
}
