/**
 * The Users page (admins only): every dashboard user with role, sites, state and last sign-in; a
 * form that makes a user; per user: change the role and sites, set a new password, disable or
 * enable. The server checks everything again (`users:manage`); this page only asks.
 */
import { useState } from 'preact/hooks';
import type { Page } from '../model.js';
import { errorText, request, type DashboardState } from '../store.js';
import { useApi } from './use-api.js';

/** The roles of dashboard users (as the server's USER_ROLES). */
const ROLES = ['admin', 'manager', 'security_lead', 'guard', 'investigator', 'auditor'] as const;

interface UserItem {
  name: string;
  role: string;
  sites: string[];
  disabled: boolean;
  createdAt: string;
  lastLoginAt: string | null;
}

const parseSites = (text: string) => [...new Set(text.split(',').map((s) => s.trim()).filter(Boolean))];

export function UsersPage({ state: s }: { state: DashboardState }) {
  const list = useApi<Page<UserItem>>('/users');
  const [note, setNote] = useState<{ text: string; error: boolean } | null>(null);
  const siteIds = [...s.sites.keys()];

  const run = async (what: string, fn: () => Promise<unknown>): Promise<boolean> => {
    setNote({ text: `${what}…`, error: false });
    try {
      await fn();
      setNote({ text: `${what}: done.`, error: false });
      list.reload();
      return true;
    } catch (e) {
      setNote({ text: errorText(e), error: true });
      return false;
    }
  };

  const onCreate = async (e: Event) => {
    e.preventDefault();
    const form = e.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const name = String(data.get('name') ?? '').trim();
    const sites = parseSites(String(data.get('sites') ?? ''));
    const ok = await run(`Creating ${name}`, () =>
      request('/users', { method: 'POST', body: { name, role: String(data.get('role')), password: String(data.get('password') ?? ''), ...(sites.length ? { sites } : {}) } }),
    );
    if (ok) form.reset();
  };

  const items = list.data?.items ?? [];
  return (
    <section class="page" aria-labelledby="users-title">
      <div class="page-head">
        <h2 id="users-title">Users</h2>
        <p class="muted small">People who sign in to this dashboard. Sites empty: every site. Known sites: {siteIds.join(', ') || '…'}</p>
      </div>
      <form id="user-create" class="filters card" onSubmit={onCreate} aria-label="New user">
        <label class="small">
          Name <input name="name" required pattern="[A-Za-z0-9][A-Za-z0-9_.@\-]{0,63}" autocomplete="off" />
        </label>
        <label class="small">
          Role{' '}
          <select name="role" required>
            {ROLES.map((r) => (
              <option key={r} value={r} selected={r === 'guard'}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label class="small">
          Sites <input name="sites" placeholder="store-101,store-102" autocomplete="off" />
        </label>
        <label class="small">
          Password <input name="password" type="password" required minLength={10} autocomplete="new-password" />
        </label>
        <button type="submit" class="primary">
          Add user
        </button>
      </form>
      <p id="users-note" class={note?.error ? 'err' : 'muted small'} role="status">
        {note?.text ?? ''}
      </p>
      {list.error ? <p class="err">{list.error}</p> : null}
      {list.data && items.length === 0 ? <p class="empty">No users yet.</p> : null}
      <table class="mini users-list">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Sites</th>
            <th scope="col">State</th>
            <th scope="col">Last sign-in</th>
            <th scope="col">New password</th>
          </tr>
        </thead>
        <tbody>
          {items.map((u) => (
            <UserRow key={`${u.name}:${u.role}:${u.sites.join(',')}:${u.disabled}`} user={u} self={s.user?.via === 'session' && s.user.name.toLowerCase() === u.name.toLowerCase()} run={run} />
          ))}
        </tbody>
      </table>
    </section>
  );
}

function UserRow({ user: u, self, run }: { user: UserItem; self: boolean; run: (what: string, fn: () => Promise<unknown>) => Promise<boolean> }) {
  const [sites, setSites] = useState(u.sites.join(','));
  const [password, setPassword] = useState('');
  const path = `/users/${encodeURIComponent(u.name)}`;
  const patch = (what: string, body: object) => run(what, () => request(path, { method: 'PATCH', body }));
  return (
    <tr data-user={u.name} data-disabled={u.disabled ? 'true' : 'false'}>
      <th scope="row">
        {u.name}
        {self ? <span class="muted small"> (you)</span> : null}
      </th>
      <td>
        <select aria-label={`Role of ${u.name}`} value={u.role} disabled={self} onChange={(e) => void patch(`Role of ${u.name}`, { role: e.currentTarget.value })}>
          {ROLES.map((r) => (
            <option key={r} value={r}>
              {r}
            </option>
          ))}
        </select>
      </td>
      <td>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void patch(`Sites of ${u.name}`, { sites: parseSites(sites) });
          }}
        >
          <input aria-label={`Sites of ${u.name}`} value={sites} placeholder="every site" onInput={(e) => setSites(e.currentTarget.value)} />
          <button type="submit">Save</button>
        </form>
      </td>
      <td>
        {u.disabled ? 'disabled' : 'active'}{' '}
        <button type="button" class="ghost" disabled={self} onClick={() => void patch(`${u.disabled ? 'Enabling' : 'Disabling'} ${u.name}`, { disabled: !u.disabled })}>
          {u.disabled ? 'Enable' : 'Disable'}
        </button>
      </td>
      <td>{u.lastLoginAt ? new Date(u.lastLoginAt).toLocaleString() : 'never'}</td>
      <td>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            void patch(`New password for ${u.name}`, { password }).then((ok) => ok && setPassword(''));
          }}
        >
          <input type="password" aria-label={`New password for ${u.name}`} minLength={10} required value={password} autocomplete="new-password" onInput={(e) => setPassword(e.currentTarget.value)} />
          <button type="submit">Set</button>
        </form>
      </td>
    </tr>
  );
}
