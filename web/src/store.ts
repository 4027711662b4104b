/**
 * The dashboard's state and everything that changes it: sign-in and sign-out, the polling loop,
 * the selection, the filters and the lifecycle actions. Views read a snapshot and call these
 * functions; nothing here touches the DOM except focus.
 *
 * Polling: every 3 s the list (and the selected incident); every 2nd tick the band counters, every
 * 5th the 24 h chart; the site plans once per session. A failed tick shows the banner and the loop
 * goes on; the next good tick hides it. A 401 anywhere signs out with the reason.
 */
import { AuthError, authHeaders, createApiClient, HttpError, NetworkError, type Method } from './api.js';
import { BANDS, bandOf, STATUS_FILTERS, type Action, type Band, type Incident, type IncidentSummary, type Page, type SiteItem, type StatusFilter } from './model.js';
import { onLive as listenLive, setStreamOpener } from './live-stream.js';
import { applyFilters, noticeIncidents, patchFilters, resetAnnouncements, type TriageFilters } from './triage.js';
import { endSession, loadToken, markSession, passwordLogin, sessionMarked, readFragment, saveToken, setupLogin, whoAmI, writeFragment, type SessionAnswer, type SessionInfo } from './session.js';

export const POLL_MS = 3000;

export interface DashboardState {
  /** Which screen shows: nothing yet, the login form, or the dashboard. */
  screen: 'boot' | 'login' | 'app';
  loginMessage: string;
  /** Changes each time the login is shown again (the form clears and takes focus). */
  loginShown: number;
  banner: string | null;
  lastOk: Date | null;
  sites: ReadonlyMap<string, SiteItem>;
  sitesLoaded: boolean;
  incidents: IncidentSummary[];
  listLoaded: boolean;
  statusFilter: StatusFilter;
  bandFilter: Band | null;
  totals: { counts: Record<Band, number>; more: boolean } | null;
  hourly: { items: IncidentSummary[]; more: boolean; now: number } | null;
  selectedId: string | null;
  detail: Incident | null;
  /** Shown in the detail pane instead of an incident (loading, gone). */
  detailNote: string | null;
  detailBusy: boolean;
  /** The outcome of the last lifecycle action on `incidentId`. */
  action: { incidentId: string; text: string; error: boolean } | null;
  busy: boolean;
  /** The page shown under the header: the incident queue or one of the investigation pages. */
  page: PageId;
  /** Who is signed in (name, role, sites; by password or token), once the server said so. */
  user: SessionInfo | null;
  /** The first-run setup link's one-time code, while the setup form shows. */
  setupCode: string | null;
}

/** The dashboard's pages (the tabs under the header). */
export const PAGES = [
  { id: 'incidents', label: 'Incidents' },
  { id: 'tasks', label: 'Tasks' },
  { id: 'risk', label: 'Risk' },
  { id: 'equipment', label: 'Equipment' },
  { id: 'weekly', label: 'Weekly report' },
  { id: 'archive', label: 'Archive' },
  { id: 'notifications', label: 'Notifications' },
  { id: 'guards', label: 'Guards' },
  { id: 'sources', label: 'Sources' },
  // Shown only in demo mode (views/demo-inbox.tsx asks the server).
  { id: 'demo-inbox', label: 'Demo inbox' },
  { id: 'map', label: 'Map' },
  { id: 'guard', label: 'My patrol' },
  { id: 'users', label: 'Users' },
  { id: 'imports', label: 'Imports' },
] as const;
export type PageId = (typeof PAGES)[number]['id'];
const pageOf = (v: string | null): PageId => (PAGES.find((p) => p.id === v)?.id ?? 'incidents');

let state: DashboardState = {
  screen: 'boot',
  loginMessage: '',
  loginShown: 0,
  banner: null,
  lastOk: null,
  sites: new Map(),
  sitesLoaded: false,
  incidents: [],
  listLoaded: false,
  statusFilter: 'active',
  bandFilter: null,
  totals: null,
  hourly: null,
  selectedId: null,
  detail: null,
  detailNote: null,
  detailBusy: false,
  action: null,
  busy: false,
  page: 'incidents',
  user: null,
  setupCode: null,
};

const listeners = new Set<() => void>();

/** The current snapshot (replaced, never mutated, on every change). */
export const getState = (): DashboardState => state;

/** Calls `fn` after every change; returns the unsubscribe function. */
export function subscribe(fn: () => void): () => void {
  listeners.add(fn);
  return () => {
    listeners.delete(fn);
  };
}

function set(patch: Partial<DashboardState>): void {
  state = { ...state, ...patch };
  for (const fn of listeners) fn();
}

const api = createApiClient(() => signOut('The sign-in was refused (an unknown, revoked or expired token, or a session that ended). Sign in again.'));

// ---------------------------------------------------------------------------------------------
// Banner and status line

function markOk(): void {
  set({ lastOk: new Date(), banner: null });
}

function reportError(e: unknown): void {
  if (e instanceof AuthError) return;
  const since = state.lastOk ? ` Last update ${state.lastOk.toLocaleTimeString()}.` : '';
  if (e instanceof NetworkError) set({ banner: `Connection problem: ${e.message}. Retrying every ${POLL_MS / 1000} s.${since}` });
  else if (e instanceof HttpError) set({ banner: `The server answered ${e.status} (${e.code}): ${e.message}. Retrying.${since}` });
  else {
    set({ banner: `Something went wrong while updating: ${e instanceof Error ? e.message : String(e)}. Retrying.` });
    console.error(e);
  }
}

// ---------------------------------------------------------------------------------------------
// Session

let running = false;
let timer: ReturnType<typeof setTimeout> | undefined;
let ticks = 0;
let generation = 0;
let autoSelect = true;
let detailSig = '';

let liveOff: (() => void) | undefined;
let liveTimer: ReturnType<typeof setTimeout> | undefined;
let liveDetailTimer: ReturnType<typeof setTimeout> | undefined;

/** A change heard on the live stream: the list (and the open incident) are fetched again at once. */
function onLive(kind: string, data: Record<string, unknown>): void {
  if (kind === 'incident.opened' || kind === 'incident.updated') {
    clearTimeout(liveTimer);
    liveTimer = setTimeout(() => void refreshList().catch(reportError), 100);
  }
  if (state.selectedId && data.incidentId === state.selectedId) {
    clearTimeout(liveDetailTimer);
    liveDetailTimer = setTimeout(refreshSelected, 150);
  }
  for (const fn of liveListeners) fn(kind, data);
}
const liveListeners = new Set<(kind: string, data: Record<string, unknown>) => void>();

/** Calls `fn` with every live-stream event (pages that show notifications, patrols, guards); returns the unsubscribe function. */
export function onLiveEvent(fn: (kind: string, data: Record<string, unknown>) => void): () => void {
  liveListeners.add(fn);
  return () => {
    liveListeners.delete(fn);
  };
}

function stop(): void {
  running = false;
  liveOff?.();
  liveOff = undefined;
  generation++;
  api.reset();
  clearTimeout(timer);
}

function start(): void {
  stop();
  running = true;
  ticks = 0;
  set({ screen: 'app', loginMessage: '', setupCode: null });
  resetAnnouncements();
  liveOff = listenLive((m) => onLive(m.kind, m.data));
  void tick();
  // Who is signed in (the Users page is for admins only).
  if (!state.user) {
    const gen = generation;
    void whoAmI(api.token).then((r) => {
      if (gen === generation && r.ok) set({ user: r.session });
    });
  }
}

function showLogin(message = ''): void {
  set({ screen: 'login', banner: null, loginMessage: message, loginShown: state.loginShown + 1 });
}

/** Signs in with a token typed into the form. */
export function signIn(raw: string): void {
  const token = raw.trim();
  if (!token) {
    set({ loginMessage: 'Enter a token.' });
    return;
  }
  saveToken(token);
  api.token = token;
  api.csrf = null;
  set({ user: null });
  start();
}

/** What the login form says when the server refused a sign-in. */
function refusal(r: Exclude<SessionAnswer, { ok: true }>): string {
  if (r.status === 429) return `Too many failed sign-ins. Try again in ${r.retryAfter ?? 60} s.`;
  if (r.status === 401) return 'The name or password is wrong (or the user is disabled).';
  return r.message;
}

/** Signed in by the session cookie: keep its CSRF token and start. */
function startSession(session: SessionInfo): void {
  saveToken(null);
  api.token = null;
  api.csrf = session.csrfToken;
  markSession(true);
  set({ user: session });
  start();
}

/** Signs in with a name and password typed into the form. */
export async function signInWithPassword(name: string, password: string): Promise<void> {
  if (!name.trim() || !password) {
    set({ loginMessage: 'Enter your name and password.' });
    return;
  }
  set({ loginMessage: 'Signing in…' });
  const r = await passwordLogin(name.trim(), password);
  if (!r.ok) set({ loginMessage: refusal(r) });
  else startSession(r.session);
}

/** First run: creates the first admin user with the setup link's code, and signs in. */
export async function completeSetup(name: string, password: string, repeat: string): Promise<void> {
  if (password !== repeat) {
    set({ loginMessage: 'The two passwords differ.' });
    return;
  }
  const code = state.setupCode;
  if (!code) return;
  const r = await setupLogin(code, name.trim(), password);
  if (!r.ok) {
    // A used or expired link will not work again: fall back to the ordinary sign-in.
    set({ loginMessage: r.message, ...(r.status === 403 || r.status === 409 ? { setupCode: null } : {}) });
  } else startSession(r.session);
}

/** Forgets the token (or ends the session) and shows the login with `message`. */
export function signOut(message: string): void {
  stop();
  if (api.csrf) void endSession(api.csrf);
  markSession(false);
  saveToken(null);
  api.token = null;
  api.csrf = null;
  set({ user: null });
  showLogin(message);
}

// ---------------------------------------------------------------------------------------------
// Polling

async function tick(): Promise<void> {
  if (!running) return;
  const gen = generation;
  clearTimeout(timer);
  const jobs = [refreshList()];
  if (ticks % 2 === 0) jobs.push(refreshTotals());
  if (!state.sitesLoaded) jobs.push(loadSites());
  if (ticks % 5 === 0) jobs.push(refreshHourly());
  if (state.selectedId) jobs.push(refreshDetail());
  ticks++;
  const results = await Promise.allSettled(jobs);
  if (gen !== generation) return;
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) reportError(failed.reason);
  else markOk();
  if (running) timer = setTimeout(() => void tick(), POLL_MS);
}

async function loadSites(): Promise<void> {
  let sites: ReadonlyMap<string, SiteItem> = state.sites;
  try {
    const r = await api.request<Page<SiteItem>>('/sites');
    sites = new Map((r.items ?? []).map((site) => [site.id, site]));
  } catch (e) {
    // Without the site plans the dashboard still works (ids instead of names, no plan).
    if (!(e instanceof HttpError && e.status === 404)) throw e;
  }
  set({ sites, sitesLoaded: true });
}

async function refreshList(): Promise<void> {
  const q = new URLSearchParams({ limit: '100' });
  const statuses = STATUS_FILTERS[state.statusFilter];
  if (statuses.length) q.set('status', statuses.join(','));
  if (state.bandFilter) q.set('band', state.bandFilter);
  applyFilters(q);
  const r = await api.request<Page<IncidentSummary>>(`/incidents?${q}`);
  const incidents = r.items ?? [];
  set({ incidents, listLoaded: true });
  noticeIncidents(incidents, (it) => `${it.type.replace(/_/g, ' ')} at ${state.sites.get(it.site)?.name ?? it.site}`);
  if (autoSelect && !state.selectedId && incidents.length > 0) {
    autoSelect = false;
    select(incidents[0].id);
  }
}

async function refreshTotals(): Promise<void> {
  const { items, more } = await api.listAll<IncidentSummary>(`/incidents?status=${STATUS_FILTERS.active.join(',')}&limit=500`, 4);
  const counts = Object.fromEntries(BANDS.map((b) => [b, 0])) as Record<Band, number>;
  for (const it of items) {
    const band = bandOf(it.severity?.band);
    if (band) counts[band]++;
  }
  set({ totals: { counts, more } });
}

async function refreshHourly(): Promise<void> {
  const now = Date.now();
  const from = new Date(now - 24 * 3_600_000);
  const { items, more } = await api.listAll<IncidentSummary>(`/incidents?from=${encodeURIComponent(from.toISOString())}&limit=500`, 6);
  set({ hourly: { items, more, now } });
}

async function refreshDetail(): Promise<void> {
  const id = state.selectedId;
  if (!id) return;
  try {
    const d = await api.request<Incident>(`/incidents/${encodeURIComponent(id)}`);
    if (id !== state.selectedId) return;
    setDetail(d);
  } catch (e) {
    if (e instanceof HttpError && e.status === 404 && id === state.selectedId) {
      detailSig = '';
      set({ detail: null, detailNote: `Incident ${id} is no longer available (archived, or outside this token's sites).` });
      return;
    }
    throw e;
  }
}

function setDetail(d: Incident): void {
  const sig = JSON.stringify(d);
  if (sig === detailSig) return;
  detailSig = sig;
  set({ detail: d, detailNote: null });
}

// ---------------------------------------------------------------------------------------------
// What the user does

/** Selects an incident and loads it; with `focus`, the detail pane takes the focus when loaded. */
export function select(id: string, { focus = false }: { focus?: boolean } = {}): void {
  if (!id) return;
  const changed = id !== state.selectedId;
  autoSelect = false;
  writeFragment(id, state.page);
  if (!changed) return;
  detailSig = '';
  set({ selectedId: id, detail: null, detailNote: 'Loading the incident…', detailBusy: true, action: null });
  void refreshDetail()
    .then(() => {
      markOk();
      if (focus) document.getElementById('detail')?.focus();
    })
    .catch(reportError)
    .finally(() => set({ detailBusy: false }));
}

/** The list's status filter (the select). */
export function setStatusFilter(value: string): void {
  set({ statusFilter: value in STATUS_FILTERS ? (value as StatusFilter) : 'active' });
  void refreshList().catch(reportError);
}

/** The queue's order, filters and search (triage.ts); the list is fetched again. */
export function setTriage(patch: Partial<TriageFilters>): void {
  patchFilters(patch);
  set({});
  void refreshList().catch(reportError);
}

/** The list's band filter (the select), '' for every band. */
export function setBandFilter(value: string): void {
  set({ bandFilter: bandOf(value) });
  void refreshList().catch(reportError);
}

/** A band counter: filters the list to that band, or back to every band. */
export function toggleBand(band: Band): void {
  set({ bandFilter: state.bandFilter === band ? null : band });
  void refreshList().catch(reportError);
}

/** Adds a case note to an incident's timeline; resolves true when the server took it. */
export async function addNote(id: string, note: string): Promise<boolean> {
  const text = note.trim();
  if (state.busy || !text) return false;
  set({ busy: true, action: { incidentId: id, text: 'Adding the note…', error: false } });
  try {
    await api.request(`/incidents/${encodeURIComponent(id)}/notes`, { method: 'POST', body: { note: text } });
    markOk();
    set({ action: { incidentId: id, text: 'Note added.', error: false } });
    if (id === state.selectedId) await refreshDetail();
    return true;
  } catch (e) {
    if (e instanceof AuthError) return false;
    const message = e instanceof HttpError ? (e.status === 403 ? `Not allowed: ${e.message}` : `Failed (${e.status}): ${e.message}`) : `Failed: ${e instanceof Error ? e.message : String(e)}`;
    set({ action: { incidentId: id, text: message, error: true } });
    if (e instanceof NetworkError) reportError(e);
    return false;
  } finally {
    set({ busy: false });
  }
}

/** A lifecycle action with an optional note (and the outcome, for resolve); resolves true when the server took it. */
export async function act(id: string, a: Action, note: string, outcome = ''): Promise<boolean> {
  if (state.busy) return false;
  set({ busy: true, action: { incidentId: id, text: `${a.label}…`, error: false } });
  const text = note.trim();
  // One field for the note on every action; resolving also records the outcome.
  const body = { ...(text ? { note: text } : {}), ...(a.action === 'resolve' && outcome ? { outcome } : {}) };
  try {
    const d = await api.request<Incident>(`/incidents/${encodeURIComponent(id)}/${a.action}`, { method: 'POST', body });
    markOk();
    if (id === state.selectedId) setDetail(d);
    set({ action: { incidentId: id, text: `${a.done}: the incident is now ${d.status}.`, error: false } });
    await Promise.allSettled([refreshList(), refreshTotals()]);
    return true;
  } catch (e) {
    if (e instanceof AuthError) return false;
    const message =
      e instanceof HttpError
        ? e.status === 403
          ? `Not allowed: ${e.message}`
          : e.status === 409
            ? `Not possible now: ${e.message}`
            : `Failed (${e.status}): ${e.message}`
        : `Failed: ${e instanceof Error ? e.message : String(e)}`;
    set({ action: { incidentId: id, text: message, error: true } });
    if (e instanceof NetworkError) reportError(e);
    return false;
  } finally {
    set({ busy: false });
  }
}

// ---------------------------------------------------------------------------------------------
// Start

/** Reads the address and the stored token, then shows the login or starts the dashboard. */
export function boot(): void {
  const frag = readFragment();
  if (frag.token) saveToken(frag.token);
  if (frag.setup) set({ setupCode: frag.setup });
  set({ page: pageOf(frag.page) });
  if (frag.incident) {
    // Loaded by the first tick, once the token is known.
    autoSelect = false;
    set({ selectedId: frag.incident });
  }
  api.token = loadToken();

  window.addEventListener('hashchange', () => {
    const f = readFragment();
    if (f.setup && !running) {
      set({ setupCode: f.setup });
      showLogin();
    }
    if (f.token) {
      saveToken(f.token);
      api.token = f.token;
      set({ sitesLoaded: false });
      start();
    }
    if (pageOf(f.page) !== state.page) set({ page: pageOf(f.page) });
    if (f.incident && f.incident !== state.selectedId && running) select(f.incident, { focus: true });
  });
  window.addEventListener('online', () => {
    if (running) void tick();
  });

  if (api.token) start();
  else if (state.setupCode) showLogin();
  else if (!sessionMarked()) showLogin();
  else {
    // A session cookie from an earlier sign-in (the page cannot see it; the server can).
    void whoAmI(null).then((r) => {
      if (r.ok && r.session.via === 'session') startSession(r.session);
      else {
        markSession(false);
        showLogin();
      }
    });
  }
}

// ---------------------------------------------------------------------------------------------
// The investigation pages and cards

/** Shows a page (a tab); the address keeps it. */
export function setPage(page: PageId): void {
  writeFragment(state.selectedId, page);
  set({ page });
}

/**
 * A request for the pages and cards that load their own data: the session's token, and a 401 signs
 * out like everywhere else. Errors are thrown for the caller to show where the data would be.
 */
export function request<T>(path: string, opts?: { method?: Method; body?: unknown }): Promise<T> {
  return api.request<T>(path, opts);
}

/** The text of an error for a card ("Not allowed: ...", "Failed (409): ..."). */
export function errorText(e: unknown): string {
  if (e instanceof HttpError) return e.status === 403 ? `Not allowed: ${e.message}` : e.status === 409 ? `Not possible now: ${e.message}` : `Failed (${e.status}): ${e.message}`;
  if (e instanceof AuthError) return 'Signed out.';
  return `Failed: ${e instanceof Error ? e.message : String(e)}`;
}

/** Refetches the selected incident now (after a card changed it). */
export function refreshSelected(): void {
  detailSig = '';
  if (state.selectedId) void refreshDetail().catch(reportError);
}

/** The signed-in token (uploads that need their own request, like the import page's). */
export function apiToken(): string {
  return api.token ?? '';
}

/**
 * Opens the live stream (`GET /api/v1/stream`, server-sent events) with the session's token; the
 * caller reads the body. EventSource cannot send the bearer token, so the stream is read through
 * fetch (live-stream.ts reads it).
 */
export function openStream(signal: AbortSignal): Promise<Response> {
  const auth = authHeaders(api.token, api.csrf);
  return fetch('/api/v1/stream', { headers: { ...auth.headers, accept: 'text/event-stream' }, signal, cache: 'no-store', credentials: auth.credentials });
}
setStreamOpener(openStream);

/**
 * Downloads a file from the API (a report as PDF, HTML, CSV or JSON): fetched with the token, then
 * saved through a temporary link, so the token never goes into an address.
 */
export async function download(path: string, filename: string): Promise<void> {
  const auth = authHeaders(api.token, api.csrf);
  const res = await fetch(`/api/v1${path}`, { headers: auth.headers, cache: 'no-store', credentials: auth.credentials });
  if (!res.ok) {
    let message = res.statusText;
    try {
      message = ((await res.json()) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      /* not JSON */
    }
    throw new HttpError(res.status, String(res.status), message);
  }
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60_000);
}
