/** The page: the banner, the login, and the dashboard (header, incident queue, selected incident). */
import { useEffect, useState } from 'preact/hooks';
import { getState, subscribe } from '../store.js';
import { Header } from './header.js';
import { IncidentDetailPane } from './incident.js';
import { Login } from './login.js';
import { Queue } from './queue.js';

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
        <main class="layout">
          <Queue state={s} />
          <IncidentDetailPane state={s} />
        </main>
      </div>
    </>
  );
}
