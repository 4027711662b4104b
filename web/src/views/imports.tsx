/**
 * Imports: choose a file (NDJSON, CSV with a profile, POSLog, Frigate), its format, profile and
 * site, upload it to POST /api/v1/imports with a progress bar, then follow the import to its end:
 * rows read, accepted, duplicates, rejected, what the file held, why records were skipped, and
 * every problem with its row. Nothing of a file with a rejected row is written.
 */
import { useEffect, useState } from 'preact/hooks';
import { apiToken, errorText, request, type DashboardState } from '../store.js';
import type { ImportCounts } from '../../../src/ingest/import-file.js';
import { useApi } from './use-api.js';

type Counts = ImportCounts;

export interface ImportItem {
  id: string;
  state: 'running' | 'done' | 'failed';
  format: string;
  profile: string | null;
  site: string | null;
  fileName: string | null;
  createdAt: string;
  finishedAt: string | null;
  progress: { phase: string; bytes: number; bytesTotal: number; rows: number };
  counts: Counts;
  kinds: Record<string, number>;
  skippedWhy: Record<string, { count: number; rows: number[] }>;
  problems: { path: string; message: string; row?: number }[];
  error: string | null;
}

const FORMATS = ['', 'ndjson', 'csv', 'poslog', 'frigate'];
const PROFILES = ['', 'vigil', 'uci-online-retail', 'generic-access-control', 'generic-pos'];

function Bar({ value, label }: { value: number; label: string }) {
  const pct = Math.max(0, Math.min(100, Math.round(value * 100)));
  return (
    <div class="import-progress" role="progressbar" aria-label={label} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}>
      <div class="import-progress-fill" style={{ width: `${pct}%`, height: '0.6rem', background: '#3b82f6' }} />
      <span class="small">
        {label}: {pct}%
      </span>
    </div>
  );
}

/** Posts the file with XMLHttpRequest, for its upload progress events. */
function upload(file: File, query: string, onProgress: (f: number) => void): Promise<ImportItem> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/api/v1/imports?${query}`);
    xhr.setRequestHeader('authorization', `Bearer ${apiToken()}`);
    xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onerror = () => reject(new Error('the upload failed (network)'));
    xhr.onload = () => {
      let body: { error?: { message?: string; details?: { path: string; message: string }[] } } & Partial<ImportItem> = {};
      try {
        body = JSON.parse(xhr.responseText) as typeof body;
      } catch {
        /* not JSON */
      }
      if (xhr.status === 202) resolve(body as ImportItem);
      else {
        const details = (body.error?.details ?? []).map((d) => `${d.path}: ${d.message}`).join('; ');
        reject(new Error(`${xhr.status}: ${body.error?.message ?? xhr.statusText}${details ? ` (${details})` : ''}`));
      }
    };
    xhr.send(file);
  });
}

export function ImportsPage({ state: s }: { state: DashboardState }) {
  const [file, setFile] = useState<File | null>(null);
  const [format, setFormat] = useState('');
  const [profile, setProfile] = useState('');
  const [site, setSite] = useState('');
  const [sent, setSent] = useState<number | null>(null);
  const [current, setCurrent] = useState<ImportItem | null>(null);
  const [error, setError] = useState<string | null>(null);
  const recent = useApi<{ items: ImportItem[] }>('/imports', 10_000);

  // Follows the current import until it is done or failed.
  useEffect(() => {
    if (!current || current.state !== 'running') return;
    const t = setTimeout(() => {
      request<ImportItem>(`/imports/${encodeURIComponent(current.id)}`)
        .then((v) => {
          setCurrent(v);
          if (v.state !== 'running') recent.reload();
        })
        .catch((e: unknown) => setError(errorText(e)));
    }, 500);
    return () => clearTimeout(t);
  }, [current]);

  const submit = (e: Event) => {
    e.preventDefault();
    if (!file) return;
    setError(null);
    setCurrent(null);
    setSent(0);
    const q = new URLSearchParams({ name: file.name });
    if (format) q.set('format', format);
    if (profile) q.set('profile', profile);
    if (site) q.set('site', site);
    upload(file, q.toString(), setSent)
      .then((v) => {
        setSent(1);
        setCurrent(v);
      })
      .catch((err: unknown) => {
        setSent(null);
        setError(errorText(err));
      });
  };

  return (
    <section class="imports-page" aria-label="Imports">
      <h2>Import a file</h2>
      <form class="filters" onSubmit={submit}>
        <input type="file" aria-label="File" onChange={(e) => setFile(e.currentTarget.files?.[0] ?? null)} />
        <select aria-label="Format" value={format} onChange={(e) => setFormat(e.currentTarget.value)}>
          {FORMATS.map((f) => (
            <option key={f} value={f}>
              {f || 'format: detect'}
            </option>
          ))}
        </select>
        <select aria-label="Profile" value={profile} onChange={(e) => setProfile(e.currentTarget.value)}>
          {PROFILES.map((p) => (
            <option key={p} value={p}>
              {p || 'CSV profile: vigil'}
            </option>
          ))}
        </select>
        <select aria-label="Site" value={site} onChange={(e) => setSite(e.currentTarget.value)}>
          <option value="">site: from the file</option>
          {[...s.sites.values()].map((x) => (
            <option key={x.id} value={x.id}>
              {x.name}
            </option>
          ))}
        </select>
        <button type="submit" disabled={!file || (sent !== null && sent < 1)}>
          Upload
        </button>
      </form>
      {error ? <p class="err">{error}</p> : null}
      {sent !== null && sent < 1 ? <Bar value={sent} label="Uploading" /> : null}
      {current ? <ImportSummary item={current} /> : null}
      <h3>Recent imports</h3>
      {recent.error ? <p class="err">{recent.error}</p> : null}
      <table class="mini imports-list">
        <thead>
          <tr>
            <th>File</th>
            <th>State</th>
            <th>Read</th>
            <th>Accepted</th>
            <th>Duplicates</th>
            <th>Rejected</th>
            <th>Started</th>
          </tr>
        </thead>
        <tbody>
          {(recent.data?.items ?? []).map((i) => (
            <tr key={i.id} data-import={i.id}>
              <td>
                <button type="button" class="link" onClick={() => setCurrent(i)}>
                  {i.fileName ?? i.id}
                </button>{' '}
                <span class="small muted">{i.format}</span>
              </td>
              <td>{i.state}</td>
              <td>{i.counts.read}</td>
              <td>{i.counts.accepted}</td>
              <td>{i.counts.duplicates}</td>
              <td>{i.counts.rejected}</td>
              <td class="small">{i.createdAt.slice(0, 19).replace('T', ' ')}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function ImportSummary({ item: i }: { item: ImportItem }) {
  const frac = i.progress.bytesTotal > 0 ? i.progress.bytes / i.progress.bytesTotal : 0;
  return (
    <div class="import-summary" data-state={i.state}>
      <h3>
        {i.fileName ?? i.id} <span class="small muted">({i.format}{i.profile ? `, ${i.profile}` : ''})</span>: <span class="import-state">{i.state}</span>
      </h3>
      {i.state === 'running' ? <Bar value={frac} label={`Importing, ${i.progress.rows} rows read`} /> : null}
      <p class="import-counts">
        {i.counts.read} read, {i.counts.accepted} accepted, {i.counts.duplicates} duplicate(s), {i.counts.skipped} skipped, {i.counts.rejected} rejected;{' '}
        {i.counts.incidentsOpened} incident(s) opened
      </p>
      {i.error ? <p class="err">{i.error}</p> : null}
      {Object.keys(i.kinds).length > 0 ? (
        <p class="small">The file held: {Object.entries(i.kinds).map(([k, n]) => `${n} ${k}`).join(', ')}</p>
      ) : null}
      {Object.keys(i.skippedWhy).length > 0 ? (
        <ul class="small">
          {Object.entries(i.skippedWhy).map(([why, w]) => (
            <li key={why}>
              skipped {w.count}: {why} (rows {w.rows.join(', ')}
              {w.count > w.rows.length ? ', ...' : ''})
            </li>
          ))}
        </ul>
      ) : null}
      {i.problems.length > 0 ? (
        <table class="mini import-problems">
          <thead>
            <tr>
              <th>Row</th>
              <th>Field</th>
              <th>Problem</th>
            </tr>
          </thead>
          <tbody>
            {i.problems.map((p, k) => (
              <tr key={k}>
                <td>{p.row ?? '—'}</td>
                <td class="mono">{p.path}</td>
                <td>{p.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </div>
  );
}
