/** The sign-in form: an API token (`npm start` prints an admin token). */
import { useEffect, useRef } from 'preact/hooks';
import { signIn } from '../store.js';

export function Login({ shown, message, generation }: { shown: boolean; message: string; generation: number }) {
  const input = useRef<HTMLInputElement>(null);
  // Each time the login is shown again, the field is emptied and takes the focus.
  useEffect(() => {
    if (!shown || !input.current) return;
    input.current.value = '';
    input.current.focus();
  }, [shown, generation]);

  const onSubmit = (e: Event) => {
    e.preventDefault();
    signIn(input.current?.value ?? '');
  };

  return (
    <section id="login" class="login" aria-labelledby="login-title" hidden={!shown}>
      <form id="login-form" class="login-card" autocomplete="off" onSubmit={onSubmit}>
        <h1 id="login-title">
          <span class="brand-mark" aria-hidden="true" />
          Vigil
        </h1>
        <p class="muted">
          Loss-prevention incident response. Sign in with an API token (<code>npm start</code> prints an admin token).
        </p>
        <label for="token-input">API token</label>
        <input ref={input} id="token-input" name="token" type="password" required spellcheck={false} autocapitalize="off" autocomplete="off" />
        <p id="login-error" class="login-error" role="alert">
          {message}
        </p>
        <button type="submit" class="primary">
          Sign in
        </button>
      </form>
    </section>
  );
}
