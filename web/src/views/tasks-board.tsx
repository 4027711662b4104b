/** The tasks board for investigators: investigation and maintenance tasks by status, overdue first. */
import { useState } from 'preact/hooks';
import { fmtTime, humanize } from '../format.js';
import type { TaskItem } from '../investigation-model.js';
import type { Page } from '../model.js';
import { errorText, request, select, setPage, type DashboardState } from '../store.js';
import { siteName, siteTz } from './names.js';
import { useApi } from './use-api.js';

const COLUMNS = ['open', 'in_progress', 'blocked', 'done'] as const;

export function TasksBoard({ state: s }: { state: DashboardState }) {
  const [kind, setKind] = useState('');
  const [assignee, setAssignee] = useState('');
  const q = new URLSearchParams({ limit: '200' });
  if (kind) q.set('kind', kind);
  if (assignee.trim()) q.set('assignee', assignee.trim());
  const tasks = useApi<Page<TaskItem>>(`/tasks?${q}`, 10_000);
  const [msg, setMsg] = useState<string | null>(null);
  const items = tasks.data?.items ?? [];
  const move = (t: TaskItem, status: string) =>
    request(`/tasks/${encodeURIComponent(t.id)}`, { method: 'PATCH', body: { status } })
      .then(() => {
        setMsg(null);
        tasks.reload();
      })
      .catch((e: unknown) => setMsg(errorText(e)));
  return (
    <section class="page" aria-labelledby="tasks-title">
      <div class="page-head">
        <h2 id="tasks-title">Tasks</h2>
        <label class="small">
          Kind{' '}
          <select value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
            <option value="">all</option>
            <option value="investigation">investigation</option>
            <option value="maintenance">maintenance</option>
          </select>
        </label>
        <label class="small">
          Assignee <input type="text" value={assignee} placeholder="anyone" onInput={(e) => setAssignee(e.currentTarget.value)} />
        </label>
        <span class="small muted">{tasks.data ? `${items.length}${tasks.data.nextCursor ? '+' : ''} tasks` : tasks.loading ? 'loading…' : ''}</span>
      </div>
      {tasks.error ? <p class="err">{tasks.error}</p> : null}
      {msg ? <p class="err small">{msg}</p> : null}
      <div class="board">
        {COLUMNS.map((col) => {
          const list = items
            .filter((t) => t.status === col)
            .sort((a, b) => Number(isOverdue(b)) - Number(isOverdue(a)) || (a.dueAt ?? '').localeCompare(b.dueAt ?? ''));
          return (
            <div class="board-col" key={col} data-column={col}>
              <h3>
                {humanize(col)} <span class="small muted">{list.length}</span>
              </h3>
              <ul>
                {list.map((t) => (
                  <li key={t.id} class={`task-card${isOverdue(t) ? ' overdue' : ''}`} data-task-id={t.id}>
                    <p>
                      <strong>{t.title}</strong>
                    </p>
                    <p class="small muted">
                      {humanize(t.kind)} · {siteName(s, t.site)}
                      {t.assignee ? ` · ${t.assignee}` : ' · unassigned'}
                    </p>
                    {t.dueAt ? (
                      <p class={`small${isOverdue(t) ? ' err' : ''}`}>
                        {isOverdue(t) ? 'overdue since ' : 'due '}
                        {fmtTime(t.dueAt, siteTz(s, t.site))}
                      </p>
                    ) : null}
                    {t.checklist?.length ? (
                      <p class="small">
                        evidence {t.checklist.filter((c) => c.done).length}/{t.checklist.length}
                      </p>
                    ) : null}
                    <div class="row-actions">
                      {t.incidentId ? (
                        <button
                          type="button"
                          class="ghost"
                          onClick={() => {
                            setPage('incidents');
                            select(t.incidentId!, { focus: true });
                          }}
                        >
                          Incident
                        </button>
                      ) : null}
                      {COLUMNS.filter((c) => c !== col).map((c) => (
                        <button type="button" key={c} class="ghost" onClick={() => void move(t, c)} title={`Move to ${humanize(c)}`}>
                          → {humanize(c)}
                        </button>
                      ))}
                    </div>
                  </li>
                ))}
              </ul>
            </div>
          );
        })}
      </div>
    </section>
  );
}

function isOverdue(t: TaskItem): boolean {
  return t.overdue === true || (t.status !== 'done' && !!t.dueAt && new Date(t.dueAt).getTime() < Date.now());
}
