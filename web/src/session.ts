/**
 * Where the token lives in the browser: localStorage (`vigil.token`), or memory where storage is
 * blocked. A token handed over in the address (`#token=...`, as `npm start` prints it) is taken out
 * of the address bar and the history at once.
 */

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

/** Takes `#token=...` out of the URL fragment; also reads `#incident=...` and `#page=...`. */
export function readFragment(): { token: string | null; incident: string | null; page: string | null } {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = params.get('token');
  const incident = params.get('incident');
  const page = params.get('page');
  if (token !== null) {
    params.delete('token');
    const rest = params.toString();
    // The token must not linger in the address bar or the history.
    history.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  }
  return { token: token ? token.trim() : token, incident, page };
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
