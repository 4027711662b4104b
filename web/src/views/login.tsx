/**
 * The sign-in screen: a name and password (dashboard users), or an API token as the alternative
 * (`npm start` prints an admin token); on a first run, the setup link's form that creates the
 * first admin user.
 */
import { useEffect, useRef } from 'preact/hooks';
import { completeSetup, signIn, signInWithPassword } from '../store.js';

export function Login({ shown, message, generation, setupCode }: { shown: boolean; message: string; generation: number; setupCode?: string | null }) {
  const first = useRef<HTMLInputElement>(null);
  // Each time the login is shown again, the fields are emptied and the first takes the focus.
  useEffect(() => {
    if (!shown) return;
    for (const el of document.querySelectorAll<HTMLInputElement>('#login input')) el.value = '';
    first.current?.focus();
  }, [shown, generation, !!setupCode]);

  const value = (id: string) => (document.getElementById(id) as HTMLInputElement | null)?.value ?? '';

  if (setupCode) {
    const onSetup = (e: Event) => {
      e.preventDefault();
      void completeSetup(value('setup-name'), value('setup-password'), value('setup-repeat'));
    };
    return (
      <section id="login" class="login" aria-labelledby="login-title" hidden={!shown}>
        <form id="setup-form" class="login-card" onSubmit={onSetup}>
          <h1 id="login-title">
            <span class="brand-mark" aria-hidden="true" />
            Vigil: first sign-in
          </h1>
          <p class="muted">No user exists yet. Choose the name and password of the first administrator; this link works once.</p>
          <label for="setup-name">Name</label>
          <input ref={first} id="setup-name" name="username" required spellcheck={false} autocapitalize="off" autocomplete="username" />
          <label for="setup-password">Password (at least 10 characters)</label>
          <input id="setup-password" name="new-password" type="password" required minLength={10} autocomplete="new-password" />
          <label for="setup-repeat">Password again</label>
          <input id="setup-repeat" name="repeat-password" type="password" required minLength={10} autocomplete="new-password" />
          <p id="login-error" class="login-error" role="alert">
            {message}
          </p>
          <button type="submit" class="primary">
            Create the administrator and sign in
          </button>
        </form>
      </section>
    );
  }

  const onPassword = (e: Event) => {
    e.preventDefault();
    void signInWithPassword(value('name-input'), value('password-input'));
  };
  const onToken = (e: Event) => {
    e.preventDefault();
    signIn(value('token-input'));
  };

  return (
    <section id="login" class="login" aria-labelledby="login-title" hidden={!shown}>
      <div class="login-stack">
        <form id="password-form" class="login-card" onSubmit={onPassword}>
          <h1 id="login-title">
            <span class="brand-mark" aria-hidden="true" />
            Vigil
          </h1>
          <p class="muted">Loss-prevention incident response. Sign in with your name and password.</p>
          <label for="name-input">Name</label>
          <input ref={first} id="name-input" name="username" spellcheck={false} autocapitalize="off" autocomplete="username" />
          <label for="password-input">Password</label>
          <input id="password-input" name="password" type="password" autocomplete="current-password" />
          <p id="login-error" class="login-error" role="alert">
            {message}
          </p>
          <button type="submit" class="primary">
            Sign in
          </button>
        </form>
        <form id="login-form" class="login-card login-alt" autocomplete="off" onSubmit={onToken}>
          <p class="muted small">
            Or with an API token (<code>npm start</code> prints an admin token).
          </p>
          <label for="token-input">API token</label>
          <input id="token-input" name="token" type="password" spellcheck={false} autocapitalize="off" autocomplete="off" />
          <button type="submit">Sign in with the token</button>
        </form>
      </div>
    </section>
  );
}
