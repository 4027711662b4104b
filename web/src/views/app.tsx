/** The page: the banner, the login, and the dashboard (header, tabs, and the page of the tab). */
import { useEffect, useState } from 'preact/hooks';
import { getState, PAGES, setPage, subscribe, type DashboardState } from '../store.js';
import { ArchivePage } from './archive.js';
import { ImportsPage } from './imports.js';
import { EquipmentPage } from './equipment.js';
import { Header } from './header.js';
import { IncidentDetailPane } from './incident.js';
import { Login } from './login.js';
import { Queue } from './queue.js';
import { RiskPage } from './risk-matrix.js';
import { TasksBoard } from './tasks-board.js';
import { WeeklyPage } from './weekly.js';

export function App() {
  // Every change of the store renders the page again (Preact diffs; the DOM changes little).
  const [, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((n) => n + 1);
    const off = subscribe(bump);
    bump(); // whatever changed before this first effect ran (boot runs right after the first render)
    return off;
  }, []);
  const s = getState();
  return (
    <>
      <a class="skip" href="#detail">
        Skip to the selected incident
      </a>
      <div id="banner" class="banner" role="alert" hidden={!s.banner}>
        {s.banner ?? ''}
      </div>
      <Login shown={s.screen === 'login'} message={s.loginMessage} generation={s.loginShown} />
      <div id="app" class="app" hidden={s.screen !== 'app'}>
        <Header state={s} />
        <Tabs state={s} />
        {s.page === 'incidents' ? (
          <main class="layout">
            <Queue state={s} />
            <IncidentDetailPane state={s} />
          </main>
        ) : (
          <main class="page-main">{s.screen === 'app' ? <PageView state={s} /> : null}</main>
        )}
      </div>
    </>
  );
}

function Tabs({ state: s }: { state: DashboardState }) {
  return (
    <nav class="tabs" aria-label="Pages">
      {PAGES.map((p) => (
        <button key={p.id} type="button" class="tab" data-page={p.id} aria-current={s.page === p.id ? 'page' : undefined} onClick={() => setPage(p.id)}>
          {p.label}
        </button>
      ))}
    </nav>
  );
}

function PageView({ state: s }: { state: DashboardState }) {
  switch (s.page) {
    case 'tasks':
      return <TasksBoard state={s} />;
    case 'risk':
      return <RiskPage state={s} />;
    case 'equipment':
      return <EquipmentPage state={s} />;
    case 'weekly':
      return <WeeklyPage state={s} />;
    case 'archive':
      return <ArchivePage state={s} />;
    case 'imports':
      return <ImportsPage state={s} />;
    default:
      return null;
  }
}
