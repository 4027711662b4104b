/**
 * How the browser is signed in.
 *
 * - With an API token: it lives in localStorage (`vigil.token`), or memory where storage is
 *   blocked. A token handed over in the address (`#token=...`) is taken out of the address bar and
 *   the history at once.
 * - With a name and password: the server sets an HttpOnly session cookie the page never sees; the
 *   page keeps only the session's CSRF token, in memory, and asks the server for it again after a
 *   reload (`GET /api/v1/session`).
 * - First run: the setup link `vigil serve` prints (`#setup=...`) carries a one-time code that
 *   creates the first admin user; it is taken out of the address at once too.
 */
import { authHeaders } from './api.js';

/** Who is signed in, as the server says (`/api/v1/session`). */
export interface SessionInfo {
  name: string;
  role: string;
  /** Empty: every site. */
  sites: string[];
  via: 'session' | 'token';
  csrfToken: string | null;
}

/** What a session call answered: the session, or the server's error message and status. */
export type SessionAnswer = { ok: true; session: SessionInfo } | { ok: false; status: number; message: string; retryAfter?: number };

async function sessionCall(method: 'GET' | 'POST' | 'DELETE', path: string, opts: { body?: unknown; token?: string | null; csrf?: string | null } = {}): Promise<SessionAnswer> {
  const auth = authHeaders(opts.token ?? null, opts.csrf ?? null);
  let res: Response;
  try {
    res = await fetch(`/api/v1${path}`, {
      method,
      headers: { ...auth.headers, accept: 'application/json', ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      credentials: auth.credentials,
      cache: 'no-store',
      signal: AbortSignal.timeout(10_000),
    });
  } catch {
    return { ok: false, status: 0, message: 'The server cannot be reached.' };
  }
  let json: unknown = null;
  try {
    json = await res.json();
  } catch {
    json = null;
  }
  if (res.ok) return { ok: true, session: json as SessionInfo };
  const message = (json as { error?: { message?: string } } | null)?.error?.message ?? `HTTP ${res.status}`;
  const retry = Number(res.headers.get('retry-after'));
  return { ok: false, status: res.status, message, ...(retry > 0 ? { retryAfter: retry } : {}) };
}

const SESSION_KEY = 'vigil.session';

/**
 * Remembers (not secret) that this browser signed in by password, so a reload asks the server for
 * the session; a fresh visitor is shown the login without a request that must fail.
 */
export function markSession(on: boolean): void {
  try {
    if (on) localStorage.setItem(SESSION_KEY, '1');
    else localStorage.removeItem(SESSION_KEY);
  } catch {
    /* storage blocked: a reload shows the login */
  }
}

export function sessionMarked(): boolean {
  try {
    return localStorage.getItem(SESSION_KEY) === '1';
  } catch {
    return false;
  }
}

/** Signs in with a name and password (the server sets the cookie). */
export const passwordLogin = (name: string, password: string) => sessionCall('POST', '/session', { body: { name, password } });
/** Creates the first admin user with the setup link's code, and signs in. */
export const setupLogin = (code: string, name: string, password: string) => sessionCall('POST', '/session/setup', { body: { code, name, password } });
/** Who is signed in: by the token when there is one, else by the cookie. */
export const whoAmI = (token: string | null) => sessionCall('GET', '/session', { token });
/** Ends the cookie's session on the server. */
export const endSession = (csrf: string | null) => sessionCall('DELETE', '/session', { csrf });

const TOKEN_KEY = 'vigil.token';
let memoryToken: string | null = null;

export function loadToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return memoryToken;
  }
}

export function saveToken(token: string | null): void {
  memoryToken = token;
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage blocked: keep it in memory */
  }
}

/** Takes `#token=...` and `#setup=...` out of the URL fragment; also reads `#incident=...` and `#page=...`. */
export function readFragment(): { token: string | null; setup: string | null; incident: string | null; page: string | null } {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = params.get('token');
  const setup = params.get('setup');
  const incident = params.get('incident');
  const page = params.get('page');
  if (token !== null || setup !== null) {
    params.delete('token');
    params.delete('setup');
    const rest = params.toString();
    // The token must not linger in the address bar or the history.
    history.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  }
  return { token: token ? token.trim() : token, setup: setup ? setup.trim() : setup, incident, page };
}

/**
 * Puts the page (`#page=...`, when not the incident queue) and the selected incident
 * (`#incident=...`) in the fragment, so a reload or a link keeps them.
 */
export function writeFragment(selectedId: string | null, page = 'incidents'): void {
  const params = new URLSearchParams();
  if (page !== 'incidents') params.set('page', page);
  if (selectedId) params.set('incident', selectedId);
  const rest = params.size > 0 ? `#${params.toString()}` : '';
  const url = `${location.pathname}${location.search}${rest}`;
  if (`${location.pathname}${location.search}${location.hash}` !== url) history.replaceState(null, '', url);
}
