/**
 * Archive search: archived incidents by text, dates and site, each with its verification status
 * (its inclusion proof checked against the latest signed checkpoint by the server), read-only.
 */
import { useEffect, useState } from 'preact/hooks';
import { checkInclusion, type InclusionProof, type ProofCheck } from '../log-proof.js';
import { fmtTime, humanize } from '../format.js';
import type { ArchiveItem } from '../investigation-model.js';
import type { Page } from '../model.js';
import type { DashboardState } from '../store.js';
import { siteName, siteTz } from './names.js';
import { useApi } from './use-api.js';


export function ArchivePage({ state: s }: { state: DashboardState }) {
  const [q, setQ] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [site, setSite] = useState('');
  const [query, setQuery] = useState('');
  const [open, setOpen] = useState<string | null>(null);
  const params = new URLSearchParams({ limit: '100' });
  const apply = (e: Event) => {
    e.preventDefault();
    const p = new URLSearchParams({ limit: '100' });
    if (q.trim()) p.set('q', q.trim());
    if (from) p.set('from', new Date(`${from}T00:00:00`).toISOString());
    if (to) p.set('to', new Date(`${to}T23:59:59`).toISOString());
    if (site) p.set('site', site);
    setQuery(p.toString());
  };
  const list = useApi<Page<ArchiveItem>>(`/archive?${query || params.toString()}`);
  const items = list.data?.items ?? [];
  return (
    <section class="page" aria-labelledby="archive-title">
      <div class="page-head">
        <h2 id="archive-title">Archive</h2>
        <form class="filters" onSubmit={apply}>
          <input type="search" id="archive-q" placeholder="id, zone, asset, badge, text" aria-label="Search the archive" value={q} onInput={(e) => setQ(e.currentTarget.value)} />
          <label class="small">
            from <input type="date" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
          </label>
          <label class="small">
            to <input type="date" value={to} onInput={(e) => setTo(e.currentTarget.value)} />
          </label>
          <select value={site} aria-label="Site" onChange={(e) => setSite(e.currentTarget.value)}>
            <option value="">all sites</option>
            {[...s.sites.values()].map((x) => (
              <option key={x.id} value={x.id}>
                {x.name}
              </option>
            ))}
          </select>
          <button type="submit">Search</button>
        </form>
      </div>
      {list.error ? <p class="err">{list.error}</p> : null}
      {list.data && items.length === 0 ? <p class="empty">No archived incident matches.</p> : null}
      <table class="mini archive-list">
        <thead>
          <tr>
            <th>Incident</th>
            <th>Site</th>
            <th>Archived</th>
            <th>Retained until</th>
            <th>Verification</th>
          </tr>
        </thead>
        <tbody>
          {items.map((a) => (
            <tr key={a.incidentId} data-archived={a.incidentId}>
              <td>
                <button type="button" class="link" onClick={() => setOpen(open === a.incidentId ? null : a.incidentId)}>
                  <span class="mono">{a.incidentId}</span>
                </button>
                {a.type ? ` ${humanize(a.type)}` : ''}
                {a.band ? <span class={`chip band-${a.band}`}>{a.band}</span> : null}
                {a.held ? <span class="chip band-high">legal hold</span> : null}
              </td>
              <td>{siteName(s, a.site)}</td>
              <td class="small">{fmtTime(a.archivedAt, siteTz(s, a.site))}</td>
              <td class="small">{a.retainUntil ? a.retainUntil.slice(0, 10) : '—'}</td>
              <td>{open === a.incidentId ? <Verification id={a.incidentId} /> : <span class="small muted">open to check</span>}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** The record's inclusion proof, fetched and then checked here in the browser (log-proof.ts). */
function Verification({ id }: { id: string }) {
  const proof = useApi<InclusionProof>(`/archive/${encodeURIComponent(id)}/proof`);
  const [check, setCheck] = useState<ProofCheck | null>(null);
  useEffect(() => {
    if (!proof.data) return;
    let live = true;
    void checkInclusion(proof.data).then((c) => live && setCheck(c));
    return () => {
      live = false;
    };
  }, [proof.data]);
  if (proof.error) return <span class="err small">{proof.error}</span>;
  if (!check) return <span class="small muted">checking…</span>;
  return check.ok ? (
    <span class="chip band-low" data-verified="true" title={check.text}>
      verified in the signed log
    </span>
  ) : (
    <span class="chip band-critical" data-verified="false" title={check.text}>
      does not verify: {check.text}
    </span>
  );
}
