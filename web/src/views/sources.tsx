/**
 * The sources page: each live source (Frigate over MQTT, ...) with its state in colour, the
 * reason of its last failure, how long ago its last message arrived, and its message counts.
 * Refreshed every 5 seconds from GET /api/v1/sources.
 */
import type { SourceItem } from '../../../src/api/routes/sources.js';
import { humanize } from '../format.js';
import type { DashboardState } from '../store.js';
import { useApi } from './use-api.js';

/** The chip colour of a state: green when connected, amber while (re)connecting, red when failed. */
const STATE_CLASS: Record<SourceItem['state'], string> = {
  connected: 'band-low',
  connecting: 'band-medium',
  reconnecting: 'band-medium',
  failed: 'band-critical',
  stopped: 'band-high',
};

/** "12 s ago", "4 min ago", ... from seconds. */
export function secondsAgo(s: number | null): string {
  if (s === null) return 'no message yet';
  if (s < 120) return `${s} s ago`;
  if (s < 7200) return `${Math.round(s / 60)} min ago`;
  if (s < 172_800) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86_400)} d ago`;
}

export function SourcesPage(_props: { state: DashboardState }) {
  const r = useApi<{ items: SourceItem[] }>('/sources', 5000);
  const items = r.data?.items ?? [];
  return (
    <section class="page" aria-labelledby="sources-title">
      <div class="page-head">
        <h2 id="sources-title">Sources</h2>
        <span class="small muted">live connections that feed events: state, last message, counts</span>
      </div>
      {r.error ? <p class="err small">{r.error}</p> : null}
      {r.data && items.length === 0 ? <p class="empty">No live source is configured (sources in the configuration file).</p> : null}
      {items.length > 0 ? (
        <table class="mini sources" aria-label="Live sources">
          <thead>
            <tr>
              <th>Source</th>
              <th>State</th>
              <th>Last message</th>
              <th>Accepted</th>
              <th>Duplicate</th>
              <th>Rejected</th>
              <th>Connection</th>
            </tr>
          </thead>
          <tbody>
            {items.map((s) => (
              <tr key={s.id} data-source={s.id} data-state={s.state}>
                <td>
                  <strong>{s.id}</strong> <span class="small muted">{s.kind}</span>
                </td>
                <td>
                  <span class={`chip ${STATE_CLASS[s.state]}`}>{humanize(s.state)}</span>
                  {s.reason ? <div class="small err">{s.reason}</div> : null}
                </td>
                <td class="small" data-field="last-message">
                  {secondsAgo(s.silentSeconds)}
                </td>
                <td data-field="accepted">{s.counts.accepted}</td>
                <td data-field="duplicate">{s.counts.duplicate}</td>
                <td data-field="rejected">{s.counts.rejected}</td>
                <td class="small mono">{typeof s.detail.broker === 'string' ? s.detail.broker : typeof s.detail.url === 'string' ? s.detail.url : ''}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
