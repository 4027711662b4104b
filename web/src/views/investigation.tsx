/**
 * The investigation cards of an incident (steps 8-13): the report with its versions and sign-off,
 * the investigation task with its evidence checklist, the case notes, the asset statuses, who badged
 * into the zone around it and which cameras were up. Each card reads what the incident detail
 * carries and acts through the API; a change refetches the incident.
 */
import { useEffect, useState } from 'preact/hooks';
import { fmtAgo, fmtTime, humanize } from '../format.js';
import { download, errorText, refreshSelected, request } from '../store.js';
import type { ReportVersionInfo, TaskItem, WithInvestigation } from '../investigation-model.js';

/** The report card: current version, digest, sign-off, downloads. */
export function ReportCard({ d }: { d: WithInvestigation }) {
  const [info, setInfo] = useState<ReportVersionInfo | null>(null);
  const [msg, setMsg] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const id = encodeURIComponent(d.id);
  useEffect(() => {
    let live = true;
    request<ReportVersionInfo>(`/incidents/${id}/report?format=json`)
      .then((r) => live && setInfo(r))
      .catch((e: unknown) => live && setMsg({ text: errorText(e), error: true }));
    return () => {
      live = false;
    };
  }, [d.id, d.version]);
  const v = info ? { version: info.version, digest: info.digest, generatedAt: info.generatedAt, signedBy: info.signoff?.signedBy ?? null, signedAt: info.signoff?.signedAt ?? null } : null;
  const save = (format: 'html' | 'pdf' | 'json') => {
    void download(`/incidents/${id}/report?format=${format}${v ? `&version=${v.version}` : ''}`, `${d.id}-report${v ? `-v${v.version}` : ''}.${format}`).catch((e: unknown) => setMsg({ text: errorText(e), error: true }));
  };
  const sign = () => {
    setBusy(true);
    request<{ version?: number }>(`/incidents/${id}/report/sign`, { method: 'POST', body: v ? { version: v.version } : {} })
      .then((r) => {
        setMsg({ text: `Signed off${r.version ? ` version ${r.version}` : ''}: that version is frozen; later changes make a new one.`, error: false });
        refreshSelected();
        return request<ReportVersionInfo>(`/incidents/${id}/report?format=json`).then(setInfo);
      })
      .catch((e: unknown) => setMsg({ text: errorText(e), error: true }))
      .finally(() => setBusy(false));
  };
  return (
    <div class="report-card">
      {v ? (
        <p class="small">
          Version <strong data-report-version={v.version}>{v.version}</strong>
          {v.generatedAt ? ` · generated ${fmtAgo(v.generatedAt)}` : ''}
          {' · SHA-256 '}
          <span class="mono" title={v.digest}>
            {v.digest.slice(0, 16)}…
          </span>
          {v.signedBy ? (
            <>
              {' · '}
              <strong class="signed" data-signed-by={v.signedBy}>
                signed by {v.signedBy}
              </strong>
              {v.signedAt ? ` ${fmtAgo(v.signedAt)}` : ''}
            </>
          ) : (
            ' · not signed'
          )}
        </p>
      ) : (
        <p class="small muted">{msg?.error ? '' : 'Loading the report…'}</p>
      )}
      <div class="row-actions" role="group" aria-label="Report">
        <button type="button" onClick={() => save('pdf')}>
          PDF
        </button>
        <button type="button" onClick={() => save('html')}>
          HTML
        </button>
        <button type="button" onClick={() => save('json')}>
          JSON
        </button>
        <button type="button" class="primary" id="report-sign" disabled={busy || !v || !!v.signedBy} onClick={sign} title={v?.signedBy ? 'This version is signed; a change makes a new version' : 'Sign off this version (freezes it)'}>
          Sign off
        </button>
      </div>
      {msg ? (
        <p class={`small${msg.error ? ' err' : ''}`} role="status">
          {msg.text}
        </p>
      ) : null}
    </div>
  );
}

/** The investigation task(s): assignee, due date, status, the evidence checklist. */
export function TaskCard({ d, tz }: { d: WithInvestigation; tz?: string }) {
  const tasks = d.tasks ?? [];
  if (tasks.length === 0) return <p class="small muted">No task for this incident (see the workflow for the reason).</p>;
  return (
    <ul class="task-list">
      {tasks.map((t) => (
        <TaskView key={t.id} t={t} tz={tz} />
      ))}
    </ul>
  );
}

const TASK_STATUSES = ['open', 'in_progress', 'blocked', 'done'] as const;

function TaskView({ t, tz }: { t: TaskItem; tz?: string }) {
  const [msg, setMsg] = useState<string | null>(null);
  const overdue = t.status !== 'done' && t.dueAt && new Date(t.dueAt).getTime() < Date.now();
  const patch = (body: Record<string, unknown>) =>
    request(`/tasks/${encodeURIComponent(t.id)}`, { method: 'PATCH', body })
      .then(() => {
        setMsg(null);
        refreshSelected();
      })
      .catch((e: unknown) => setMsg(errorText(e)));
  const checklist = t.checklist ?? [];
  return (
    <li class="task" data-task-id={t.id} data-status={t.status}>
      <p>
        <strong>{t.title}</strong>
        <span class={`status-pill t-${t.status}`}>{humanize(t.status)}</span>
        {overdue ? <span class="chip band-critical">overdue</span> : null}
      </p>
      <p class="small muted">
        {t.assignee ? `assigned to ${t.assignee}` : 'unassigned'}
        {t.dueAt ? ` · due ${fmtTime(t.dueAt, tz)}` : ''}
      </p>
      <label class="small">
        Status{' '}
        <select value={t.status} onChange={(e) => void patch({ status: e.currentTarget.value })}>
          {TASK_STATUSES.map((s) => (
            <option key={s} value={s}>
              {humanize(s)}
            </option>
          ))}
        </select>
      </label>
      {checklist.length > 0 ? (
        <ul class="checklist" aria-label="Evidence checklist">
          {checklist.map((c, i) => (
            <li key={i}>
              <label>
                <input type="checkbox" checked={!!c.done} onChange={(e) => void patch({ checklist: [{ id: c.id, done: e.currentTarget.checked }] })} /> {checklistText(c, tz)}
              </label>
              {c.footage && c.footage.length > 0 ? <FootageLinks footage={c.footage} tz={tz} /> : null}
            </li>
          ))}
        </ul>
      ) : null}
      {msg ? <p class="small err">{msg}</p> : null}
    </li>
  );
}

/** The NVR's footage of a clip item: its snapshot and clip per NVR event, opened in a new tab. */
function FootageLinks({ footage, tz }: { footage: NonNullable<TaskItem['checklist'][number]['footage']>; tz?: string }) {
  const safe = (u: string | null) => (u && /^https?:\/\//.test(u) ? u : null);
  return (
    <ul class="footage small" aria-label="Footage from the NVR">
      {footage.map((f) => (
        <li key={f.nvrEventId} data-nvr-event={f.nvrEventId}>
          {fmtTime(f.at, tz)}
          {safe(f.clip) ? (
            <>
              {' · '}
              <a href={safe(f.clip)!} target="_blank" rel="noopener noreferrer">
                clip
              </a>
            </>
          ) : null}
          {safe(f.snapshot) ? (
            <>
              {' · '}
              <a href={safe(f.snapshot)!} target="_blank" rel="noopener noreferrer">
                snapshot
              </a>
            </>
          ) : null}
        </li>
      ))}
    </ul>
  );
}

function checklistText(c: TaskItem['checklist'][number], tz?: string): string {
  if (c.label) return c.label;
  if (c.text) return c.text;
  if (c.kind === 'badge_events') return `Badge events around it${c.count !== undefined ? ` (${c.count})` : ''}`;
  if (c.kind === 'pos_transactions') return 'POS transactions behind it';
  if (c.kind === 'clip' && c.camera) return `Clip from camera ${c.camera}${c.from ? `, ${fmtTime(c.from, tz)}` : ''}${c.to ? ` to ${fmtTime(c.to, tz)}` : ''}`;
  return humanize(c.kind ?? 'item');
}

/** Case notes: the timeline (the note field of the actions adds one). */
export function NotesCard({ d, tz }: { d: WithInvestigation; tz?: string }) {
  const notes = d.notes ?? [];
  if (notes.length === 0) return <p class="small muted">No notes yet: write one in the note field above and press Add note.</p>;
  return (
    <ol class="notes" id="case-notes" aria-label="Case notes">
      {notes.map((n, i) => (
        <li key={i} data-kind={n.kind}>
          <p class="small muted">
            {fmtTime(n.at, tz)} · {n.author}
            {n.kind && n.kind !== 'note' ? ` · ${humanize(n.kind)}` : ''}
          </p>
          <p class="note-text">{n.text}</p>
        </li>
      ))}
    </ol>
  );
}

/** Asset statuses of the incident's assets. */
export function AssetStatusCard({ d }: { d: WithInvestigation }) {
  const assets = d.assets ?? [];
  if (assets.length === 0) return <p class="small muted">The incident touches no registered asset.</p>;
  return (
    <table class="mini">
      <thead>
        <tr>
          <th>Asset</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        {assets.map((a) => (
          <tr key={a.id} data-asset-id={a.id}>
            <td>{(a as { name?: string }).name ?? a.id}</td>
            <td>
              <span class={`status-pill a-${String((a as { status?: string }).status ?? 'active')}`}>{humanize(String((a as { status?: string }).status ?? 'active'))}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
