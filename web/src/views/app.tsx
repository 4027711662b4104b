/** The page: the banner, the login, and the dashboard (header, tabs, and the page of the tab). */
import { useEffect, useState } from 'preact/hooks';
import { getState, PAGES, setPage, subscribe, type DashboardState } from '../store.js';
import { ArchivePage } from './archive.js';
import { SourcesPage } from './sources.js';
import { DemoInboxPage, useDemoMode } from './demo-inbox.js';
import { ImportsPage } from './imports.js';
import { EquipmentPage } from './equipment.js';
import { GuardsPage } from './guards.js';
import { GuardPage, useMe } from './guard.js';
import { Header } from './header.js';
import { IncidentDetailPane } from './incident.js';
import { Login } from './login.js';
import { NotificationsPage } from './notifications.js';
import { Queue } from './queue.js';
import { RiskPage } from './risk-matrix.js';
import { SiteMapPage } from './site-map-page.js';
import { TasksBoard } from './tasks-board.js';
import { UsersPage } from './users.js';
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
  useGuardLanding(s);
  return (
    <>
      <a class="skip" href="#detail">
        Skip to the selected incident
      </a>
      <div id="banner" class="banner" role="alert" hidden={!s.banner}>
        {s.banner ?? ''}
      </div>
      <Login shown={s.screen === 'login'} message={s.loginMessage} generation={s.loginShown} setupCode={s.setupCode} />
      <div id="app" class="app" hidden={s.screen !== 'app'}>
        {s.page === 'guard' ? null : <Header state={s} />}
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
  const demo = useDemoMode(s.screen === 'app');
  return (
    <nav class="tabs" aria-label="Pages">
      {PAGES.filter((p) => (p.id !== 'demo-inbox' || demo || s.page === 'demo-inbox') && (p.id !== 'users' || s.user?.role === 'admin')).map((p) => (
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
    case 'notifications':
      return <NotificationsPage state={s} />;
    case 'guards':
      return <GuardsPage state={s} />;
    case 'sources':
      return <SourcesPage state={s} />;
    case 'demo-inbox':
      return <DemoInboxPage state={s} />;
    case 'map':
      return <SiteMapPage state={s} />;
    case 'guard':
      return <GuardPage state={s} />;
    case 'users':
      return s.user?.role === 'admin' ? <UsersPage state={s} /> : null;
    case 'imports':
      return <ImportsPage state={s} />;
    default:
      return null;
  }
}

/** The address the page was opened with (before the session rewrites it). */
const OPENED_WITH = typeof location === 'undefined' ? '' : location.hash;

/** A guard who signs in lands on their phone view (unless the address asked for a page or an incident). */
function useGuardLanding(s: DashboardState): void {
  const me = useMe(s.screen === 'app' ? `session-${s.loginShown}` : null);
  const [done, setDone] = useState<string | null>(null);
  useEffect(() => {
    if (!me || done === `session-${s.loginShown}`) return;
    setDone(`session-${s.loginShown}`);
    if (me.role === 'guard' && s.page === 'incidents' && !/(^|[#&])(page|incident)=/.test(OPENED_WITH)) setPage('guard');
  }, [me, s.loginShown]);
}
