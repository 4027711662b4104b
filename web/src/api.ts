/**
 * The dashboard's client of this server's /api/v1. Signed in with a token, every request carries
 * it as a bearer token and no cookie; signed in with a name and password, every request carries
 * the session cookie (same origin only) and the session's CSRF token in `X-CSRF-Token`. Requests
 * time out after 10 s and fail with one of three errors the page tells apart (the sign-in was
 * refused, the server cannot be reached, the server answered an error).
 */
import type { Page } from './model.js';

const API = '/api/v1';
const TIMEOUT_MS = 10_000;

/** The server refused the token (401). */
export class AuthError extends Error {}
/** The server did not answer (down, unreachable, or slower than the time-out). */
export class NetworkError extends Error {}
/** The server answered with an error (`{ error: { code, message } }`). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The CSRF header state-changing requests made with the session cookie carry. */
export const CSRF_HEADER = 'X-CSRF-Token';

/** How a request proves who is asking: the bearer token, else the cookie and the CSRF token. */
export function authHeaders(token: string | null, csrf: string | null): { headers: Record<string, string>; credentials: RequestCredentials } {
  if (token) return { headers: { authorization: `Bearer ${token}` }, credentials: 'omit' };
  return { headers: csrf ? { [CSRF_HEADER]: csrf } : {}, credentials: 'same-origin' };
}

export interface ApiClient {
  /** The token sent as `Authorization: Bearer`; null before sign-in or when signed in by password. */
  token: string | null;
  /** The session's CSRF token when signed in by password (the browser holds the cookie). */
  csrf: string | null;
  /** A JSON request under /api/v1; resolves with the parsed body. */
  request<T>(path: string, opts?: { method?: Method; body?: unknown }): Promise<T>;
  /** Pages through a list endpoint (at most `maxPages`); the items and whether more remain. */
  listAll<T>(path: string, maxPages: number): Promise<{ items: T[]; more: boolean }>;
  /** Forgets requests under way: their 401s no longer sign anyone out. */
  reset(): void;
}

/**
 * A client. `onUnauthorized` runs when a request that was started since the last `reset()` gets a
 * 401, so a late answer to an old token cannot sign out a new session.
 */
export function createApiClient(onUnauthorized: () => void): ApiClient {
  let generation = 0;

  const client: ApiClient = {
    token: null,
    csrf: null,

    async request<T>(path: string, { method = 'GET', body }: { method?: Method; body?: unknown } = {}): Promise<T> {
      const gen = generation;
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), TIMEOUT_MS);
      let res: Response;
      const auth = authHeaders(client.token, client.csrf);
      try {
        res = await fetch(`${API}${path}`, {
          method,
          headers: {
            ...auth.headers,
            accept: 'application/json',
            ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          },
          ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
          signal: ctl.signal,
          cache: 'no-store',
          credentials: auth.credentials,
        });
      } catch (e) {
        throw new NetworkError(e instanceof Error && e.name === 'AbortError' ? `the server did not answer within ${TIMEOUT_MS / 1000} s` : 'the server cannot be reached');
      } finally {
        clearTimeout(timer);
      }
      if (res.status === 401) {
        if (gen === generation) onUnauthorized();
        throw new AuthError('unauthorized');
      }
      const text = await res.text();
      let json: unknown = null;
      try {
        json = text ? JSON.parse(text) : null;
      } catch {
        json = null;
      }
      if (!res.ok) {
        const err = (json as { error?: { code?: string; message?: string } } | null)?.error ?? {};
        throw new HttpError(res.status, err.code || String(res.status), err.message || res.statusText || `HTTP ${res.status}`);
      }
      return json as T;
    },

    async listAll<T>(path: string, maxPages: number): Promise<{ items: T[]; more: boolean }> {
      const items: T[] = [];
      let cursor: string | null = null;
      for (let i = 0; i < maxPages; i++) {
        const sep = path.includes('?') ? '&' : '?';
        const page: Page<T> = await client.request<Page<T>>(`${path}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`);
        items.push(...(page.items ?? []));
        cursor = page.nextCursor;
        if (!cursor) return { items, more: false };
      }
      return { items, more: true };
    },

    reset() {
      generation++;
    },
  };
  return client;
}
