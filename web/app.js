// Vigil dashboard: a plain ES module, no framework, no build, nothing fetched from elsewhere.
//
// Safety rule of this file: text that comes from the API is only ever put into the page as
// text (textContent, Text nodes, setAttribute); markup is built with createElement /
// createElementNS. Nothing is assigned to innerHTML. Values used as class names or colours are
// first checked against fixed lists.

const API = '/api/v1';
const POLL_MS = 3000;
const TOKEN_KEY = 'vigil.token';
const SVG_NS = 'http://www.w3.org/2000/svg';

const BANDS = ['critical', 'high', 'medium', 'low'];
const BAND_COLOUR = { low: '#3fb27f', medium: '#e6b422', high: '#f2811d', critical: '#ef4b55' };
const STATUSES = ['open', 'acknowledged', 'investigating', 'resolved', 'archived'];
const SOURCE_COLOUR = {
  cctv: '#b38cff',
  access_control: '#5cb3ff',
  pos: '#38c7b5',
  alarm: '#ef4b55',
  inventory: '#d9a066',
  device: '#93a4b8',
};
const FACTORS = {
  breachType: { label: 'Breach type', colour: '#ef4b55' },
  assetCriticality: { label: 'Asset criticality', colour: '#f2811d' },
  assetVulnerability: { label: 'Vulnerability', colour: '#e6b422' },
  contagion: { label: 'Contagion', colour: '#b38cff' },
  afterHours: { label: 'After hours', colour: '#5cb3ff' },
  restrictedZone: { label: 'Restricted zone', colour: '#e86fb0' },
  recurrence: { label: 'Recurrence', colour: '#38c7b5' },
  corroboration: { label: 'Corroboration', colour: '#8fd16a' },
};
const EXTRA_FACTOR_COLOURS = ['#c0c9d4', '#7f8ea3', '#a3b8cc'];
const LOSS_PARTS = [
  { key: 'replacement', label: 'Replacement', colour: '#ef4b55' },
  { key: 'downtime', label: 'Downtime', colour: '#f2811d' },
  { key: 'fines', label: 'Fines', colour: '#b38cff' },
  { key: 'remediation', label: 'Remediation', colour: '#5cb3ff' },
];
const STEPS = [
  'fetch-incident-logs',
  'get-high-risk-assets',
  'calculate-severity',
  'calculate-loss-impact',
  'send-emergency-sms',
  'notify-management',
  'assign-guard-patrol',
  'create-incident-report',
  'create-investigation-task',
  'update-asset-status',
  'update-risk-assessment',
  'review-access-logs',
  'audit-surveillance-equipment',
  'archive-resolved-incident',
];
const STEP_ICON = { done: '✓', running: '⟳', pending: '…', skipped: '↷', failed: '✕', none: '·' };
const ACTIONS = [
  { action: 'acknowledge', label: 'Acknowledge', done: 'Acknowledged', from: ['open'] },
  { action: 'resolve', label: 'Resolve', done: 'Resolved', from: ['open', 'acknowledged', 'investigating'] },
  { action: 'reopen', label: 'Reopen', done: 'Reopened', from: ['resolved'] },
];
const STATUS_FILTERS = {
  active: 'open,acknowledged,investigating',
  open: 'open',
  resolved: 'resolved,archived',
  all: '',
};

// ---------------------------------------------------------------------------------------------
// Small DOM helpers

const $ = (id) => document.getElementById(id);

function setAttrs(el, attrs) {
  if (!attrs) return;
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') el.textContent = String(v);
    else if (k === 'style') for (const [p, val] of Object.entries(v)) el.style.setProperty(p, String(val));
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

function appendKids(el, kids) {
  for (const kid of kids.flat(Infinity)) {
    if (kid === undefined || kid === null || kid === false) continue;
    el.append(kid instanceof Node ? kid : String(kid));
  }
}

/** An HTML element: h('p', { class: 'x' }, 'text', child). Strings become text nodes. */
function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  setAttrs(el, attrs);
  appendKids(el, kids);
  return el;
}

/** An SVG element, same calling convention. */
function s(tag, attrs, ...kids) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttrs(el, attrs);
  appendKids(el, kids);
  return el;
}

/** An SVG <title> (hover text and accessible name). */
const title = (text) => s('title', null, text);

const r1 = (n) => Math.round(n * 10) / 10;
const r2 = (n) => Math.round(n * 100) / 100;
const clamp = (n, lo, hi) => Math.min(hi, Math.max(lo, n));
const known = (list, v) => (list.includes(v) ? v : null);
const bandClass = (band) => (known(BANDS, band) ? `band-${band}` : '');
const statusClass = (st) => (known(STATUSES, st) ? `s-${st}` : '');
const humanize = (id) => {
  const t = String(id ?? '').replace(/[_-]+/g, ' ').trim();
  const out = t ? t[0].toUpperCase() + t.slice(1) : '';
  return out.replace(/\b(sms|pos|cctv|id)\b/gi, (m) => m.toUpperCase());
};
let uid = 0;
const nextId = (p) => `${p}-${++uid}`;

// ---------------------------------------------------------------------------------------------
// Formatting

const fmtCache = new Map();
function fmt(key, make) {
  let f = fmtCache.get(key);
  if (!f) {
    f = make();
    fmtCache.set(key, f);
  }
  return f;
}

function validTz(tz) {
  if (!tz) return undefined;
  try {
    fmt(`tz:${tz}`, () => new Intl.DateTimeFormat('en-US', { timeZone: tz }));
    return tz;
  } catch {
    return undefined;
  }
}

/** A time in a site's time zone: "Nov 20, 02:14 EST" (or "02:14" with `short`). */
function fmtTime(iso, tz, mode = 'full') {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const zone = validTz(tz);
  const opts =
    mode === 'time'
      ? { hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }
      : mode === 'seconds'
        ? { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZoneName: 'short' }
        : mode === 'date'
          ? { month: 'short', day: 'numeric' }
          : { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZoneName: 'short' };
  return fmt(`${zone}|${mode}`, () => new Intl.DateTimeFormat(undefined, { ...opts, ...(zone ? { timeZone: zone } : {}) })).format(d);
}

function fmtMoney(value, currency, compact = false) {
  const n = Number(value);
  if (!Number.isFinite(n)) return `${value ?? ''} ${currency ?? ''}`.trim();
  try {
    return fmt(`m:${currency}:${compact}`, () =>
      new Intl.NumberFormat(undefined, {
        style: 'currency',
        currency: currency || 'USD',
        ...(compact ? { notation: 'compact', maximumFractionDigits: 1 } : {}),
      }),
    ).format(n);
  } catch {
    return `${n.toFixed(2)} ${currency ?? ''}`.trim();
  }
}

function fmtAgo(iso) {
  const ms = Date.now() - new Date(iso).getTime();
  if (!Number.isFinite(ms)) return '';
  if (ms < 60_000) return 'just now';
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min ago`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h ago`;
  return `${Math.round(ms / 86_400_000)} d ago`;
}

// ---------------------------------------------------------------------------------------------
// State

const state = {
  token: null,
  running: false,
  timer: 0,
  ticks: 0,
  generation: 0,
  sites: new Map(),
  sitesLoaded: false,
  incidents: [],
  listSig: '',
  statusFilter: 'active',
  bandFilter: null,
  totals: null,
  hourly: null,
  selectedId: null,
  detail: null,
  detailSig: '',
  autoSelect: true,
  lastOk: null,
  busy: false,
};

// ---------------------------------------------------------------------------------------------
// Token storage (localStorage, with an in-memory fallback when storage is blocked)

let memoryToken = null;
function loadToken() {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return memoryToken;
  }
}
function saveToken(t) {
  memoryToken = t;
  try {
    if (t) localStorage.setItem(TOKEN_KEY, t);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    /* storage blocked: keep it in memory */
  }
}

/** Takes `#token=...` (and `#incident=...`) out of the URL fragment. */
function readFragment() {
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const token = params.get('token');
  const incident = params.get('incident');
  if (token !== null) {
    params.delete('token');
    const rest = params.toString();
    // The token must not linger in the address bar or the history.
    history.replaceState(null, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  }
  return { token: token ? token.trim() : token, incident };
}

function writeFragment() {
  const rest = state.selectedId ? `#incident=${encodeURIComponent(state.selectedId)}` : '';
  const url = `${location.pathname}${location.search}${rest}`;
  if (`${location.pathname}${location.search}${location.hash}` !== url) history.replaceState(null, '', url);
}

// ---------------------------------------------------------------------------------------------
// API

class AuthError extends Error {}
class NetworkError extends Error {}
class HttpError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function api(path, { method = 'GET', body } = {}) {
  const gen = state.generation;
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), 10_000);
  let res;
  try {
    res = await fetch(`${API}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${state.token}`,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: ctl.signal,
      cache: 'no-store',
      credentials: 'omit',
    });
  } catch (e) {
    throw new NetworkError(e && e.name === 'AbortError' ? 'the server did not answer within 10 s' : 'the server cannot be reached');
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 401) {
    if (gen === state.generation) signOut('The token was refused (unknown or revoked). Sign in again.');
    throw new AuthError('unauthorized');
  }
  const text = await res.text();
  let json = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  if (!res.ok) {
    const err = json && json.error ? json.error : {};
    throw new HttpError(res.status, err.code || String(res.status), err.message || res.statusText || `HTTP ${res.status}`);
  }
  return json;
}

/** Pages through a list endpoint (at most `maxPages`); returns the items and whether more remain. */
async function listAll(path, maxPages) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < maxPages; i++) {
    const sep = path.includes('?') ? '&' : '?';
    const page = await api(`${path}${cursor ? `${sep}cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...(page.items || []));
    cursor = page.nextCursor;
    if (!cursor) return { items, more: false };
  }
  return { items, more: true };
}

// ---------------------------------------------------------------------------------------------
// Banner and status line

function showBanner(text) {
  const b = $('banner');
  if (b.textContent !== text) b.textContent = text;
  b.hidden = false;
}
function hideBanner() {
  $('banner').hidden = true;
}

function markOk() {
  state.lastOk = new Date();
  hideBanner();
  $('updated').textContent = `live · updated ${state.lastOk.toLocaleTimeString()}`;
}

function reportError(e) {
  if (e instanceof AuthError) return;
  const since = state.lastOk ? ` Last update ${state.lastOk.toLocaleTimeString()}.` : '';
  if (e instanceof NetworkError) showBanner(`Connection problem: ${e.message}. Retrying every ${POLL_MS / 1000} s.${since}`);
  else if (e instanceof HttpError) showBanner(`The server answered ${e.status} (${e.code}): ${e.message}. Retrying.${since}`);
  else {
    showBanner(`Something went wrong while updating: ${e && e.message ? e.message : e}. Retrying.`);
    console.error(e);
  }
}

// ---------------------------------------------------------------------------------------------
// Login

function showLogin(message) {
  $('app').hidden = true;
  $('login').hidden = false;
  hideBanner();
  $('login-error').textContent = message || '';
  const input = $('token-input');
  input.value = '';
  input.focus();
}

function signOut(message) {
  stop();
  saveToken(null);
  state.token = null;
  showLogin(message);
}

function stop() {
  state.running = false;
  state.generation++;
  clearTimeout(state.timer);
}

function start() {
  stop();
  state.running = true;
  state.ticks = 0;
  state.listSig = '';
  state.detailSig = '';
  $('login').hidden = true;
  $('app').hidden = false;
  $('login-error').textContent = '';
  void tick();
}

// ---------------------------------------------------------------------------------------------
// Polling

async function tick() {
  if (!state.running) return;
  const gen = state.generation;
  clearTimeout(state.timer);
  const jobs = [refreshList()];
  if (state.ticks % 2 === 0) jobs.push(refreshTotals());
  if (!state.sitesLoaded) jobs.push(loadSites());
  if (state.ticks % 5 === 0) jobs.push(refreshHourly());
  if (state.selectedId) jobs.push(refreshDetail());
  state.ticks++;
  const results = await Promise.allSettled(jobs);
  if (gen !== state.generation) return;
  const failed = results.find((r) => r.status === 'rejected');
  if (failed) reportError(failed.reason);
  else markOk();
  if (state.running) state.timer = setTimeout(tick, POLL_MS);
}

async function loadSites() {
  try {
    const r = await api('/sites');
    state.sites = new Map((r.items || []).map((site) => [site.id, site]));
  } catch (e) {
    // Without the site plans the dashboard still works (ids instead of names, no plan).
    if (!(e instanceof HttpError && e.status === 404)) throw e;
  }
  state.sitesLoaded = true;
  state.listSig = '';
  state.detailSig = '';
  renderList();
  if (state.detail) renderDetail(state.detail);
}

async function refreshList() {
  const q = new URLSearchParams({ limit: '100' });
  const st = STATUS_FILTERS[state.statusFilter];
  if (st) q.set('status', st);
  if (state.bandFilter) q.set('band', state.bandFilter);
  const r = await api(`/incidents?${q}`);
  state.incidents = r.items || [];
  renderList();
  if (state.autoSelect && !state.selectedId && state.incidents.length > 0) {
    state.autoSelect = false;
    select(state.incidents[0].id, { focus: false });
  }
}

async function refreshTotals() {
  const { items, more } = await listAll(`/incidents?status=${STATUS_FILTERS.active}&limit=500`, 4);
  const counts = Object.fromEntries(BANDS.map((b) => [b, 0]));
  for (const it of items) if (it.severity && it.severity.band in counts) counts[it.severity.band]++;
  state.totals = { counts, more };
  renderCounters();
}

async function refreshHourly() {
  const now = Date.now();
  const from = new Date(now - 24 * 3_600_000);
  const { items, more } = await listAll(`/incidents?from=${encodeURIComponent(from.toISOString())}&limit=500`, 6);
  state.hourly = { items, more, now };
  renderHourly();
}

async function refreshDetail() {
  const id = state.selectedId;
  if (!id) return;
  try {
    const d = await api(`/incidents/${encodeURIComponent(id)}`);
    if (id !== state.selectedId) return;
    setDetail(d);
  } catch (e) {
    if (e instanceof HttpError && e.status === 404 && id === state.selectedId) {
      state.detail = null;
      state.detailSig = '';
      const pane = $('detail');
      pane.replaceChildren(h('p', { class: 'empty' }, `Incident ${id} is no longer available (archived, or outside this token's sites).`));
      return;
    }
    throw e;
  }
}

function setDetail(d) {
  const sig = JSON.stringify(d);
  state.detail = d;
  if (sig === state.detailSig) return;
  state.detailSig = sig;
  renderDetail(d);
}

// ---------------------------------------------------------------------------------------------
// Names from the site plans

const siteOf = (id) => state.sites.get(id);
const siteName = (id) => (siteOf(id) ? siteOf(id).name : id);
const siteTz = (id) => (siteOf(id) ? siteOf(id).timezone : undefined);
function zoneName(siteId, zoneId) {
  if (!zoneId) return '';
  const z = siteOf(siteId) && siteOf(siteId).zones.find((x) => x.id === zoneId);
  return z ? z.name : zoneId;
}

// ---------------------------------------------------------------------------------------------
// Header: counters and incidents per hour

function renderCounters() {
  const ul = $('counters');
  const t = state.totals;
  if (!t) return;
  const kids = BANDS.map((band) => {
    const n = t.counts[band];
    const pressed = state.bandFilter === band;
    const label = `${n}${t.more ? '+' : ''} active ${band} incident${n === 1 ? '' : 's'}${pressed ? ' (filtering the list)' : ''}`;
    return h(
      'li',
      null,
      h(
        'button',
        {
          type: 'button',
          class: `counter band-${band}`,
          'data-band': band,
          'aria-pressed': pressed ? 'true' : 'false',
          'aria-label': label,
          title: pressed ? 'Show every band' : `Show only ${band} incidents`,
          onclick: () => {
            state.bandFilter = state.bandFilter === band ? null : band;
            state.listSig = '';
            renderCounters();
            void refreshList().catch(reportError);
          },
        },
        h('span', { class: 'n' }, `${n}${t.more ? '+' : ''}`),
        h('span', { class: 'lbl' }, band),
      ),
    );
  });
  ul.replaceChildren(...kids);
}

function renderHourly() {
  const box = $('hourly');
  const data = state.hourly;
  if (!data) return;
  const W = 340;
  const H = 58;
  const top = 4;
  const base = 44;
  const hourMs = 3_600_000;
  const end = Math.ceil(data.now / hourMs) * hourMs;
  const start = end - 24 * hourMs;
  const bins = Array.from({ length: 24 }, () => Object.fromEntries(BANDS.map((b) => [b, 0])));
  for (const it of data.items) {
    const t = new Date(it.openedAt).getTime();
    const i = Math.floor((t - start) / hourMs);
    if (i >= 0 && i < 24 && it.severity && it.severity.band in bins[i]) bins[i][it.severity.band]++;
  }
  const totals = bins.map((b) => BANDS.reduce((a, k) => a + b[k], 0));
  const max = Math.max(1, ...totals);
  const bw = W / 24;
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`,
    role: 'img',
    'aria-label': `Incidents opened per hour over the last 24 hours: ${totals.reduce((a, b) => a + b, 0)}${data.more ? '+' : ''} in total, at most ${Math.max(...totals)} in one hour`,
    class: 'hourly-chart',
  });
  svg.append(s('line', { x1: 0, x2: W, y1: base + 0.5, y2: base + 0.5, class: 'axis' }));
  bins.forEach((bin, i) => {
    const g = s('g', { 'data-hour': i });
    let y = base;
    for (const band of ['low', 'medium', 'high', 'critical']) {
      const n = bin[band];
      if (!n) continue;
      const hgt = ((base - top) * n) / max;
      y -= hgt;
      g.append(s('rect', { x: r1(i * bw + 1), y: r1(y), width: r1(bw - 2), height: r1(Math.max(hgt, 1)), fill: BAND_COLOUR[band], rx: 1 }));
    }
    const from = new Date(start + i * hourMs);
    const to = new Date(start + (i + 1) * hourMs);
    // An invisible full-height target, so every hour has a tooltip.
    g.append(
      s(
        'rect',
        { x: r1(i * bw), y: 0, width: r1(bw), height: base, fill: 'transparent' },
        title(
          `${from.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}–${to.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}: ${totals[i]} incident${totals[i] === 1 ? '' : 's'}` +
            (totals[i] ? ` (${BANDS.filter((b) => bin[b]).map((b) => `${bin[b]} ${b}`).join(', ')})` : ''),
        ),
      ),
    );
    svg.append(g);
  });
  svg.append(s('text', { x: 0, y: H - 2, 'font-size': 10, class: 'muted-t' }, '24 h ago'));
  svg.append(s('text', { x: W / 2, y: H - 2, 'font-size': 10, 'text-anchor': 'middle', class: 'muted-t' }, '12 h'));
  svg.append(s('text', { x: W, y: H - 2, 'font-size': 10, 'text-anchor': 'end', class: 'muted-t' }, 'now'));
  box.replaceChildren(svg);
  $('hourly-caption').textContent = `Incidents per hour, last 24 h · peak ${Math.max(...totals)}${data.more ? '+' : ''}`;
}

// ---------------------------------------------------------------------------------------------
// Incident list

function renderList() {
  const ul = $('incident-list');
  const items = state.incidents;
  const sig = JSON.stringify([items, state.selectedId, state.sitesLoaded]);
  if (sig === state.listSig) {
    // Relative ages still move on.
    for (const t of ul.querySelectorAll('time[data-ago]')) t.title = `opened ${fmtAgo(t.getAttribute('data-ago'))}`;
    return;
  }
  state.listSig = sig;
  const focusedId = ul.contains(document.activeElement) ? document.activeElement.getAttribute('data-id') : null;
  const lis = items.map((it) => {
    const band = it.severity ? it.severity.band : '';
    const score = it.severity ? Number(it.severity.score) : 0;
    const tz = siteTz(it.site);
    const where = [zoneName(it.site, it.zone), siteName(it.site)].filter(Boolean).join(' · ');
    const selected = it.id === state.selectedId;
    const net = it.loss ? fmtMoney(it.loss.net, it.loss.currency) : '';
    const btn = h(
      'button',
      {
        type: 'button',
        class: `inc ${bandClass(band)}`,
        'data-id': it.id,
        'data-type': it.type,
        'data-status': it.status,
        'aria-current': selected ? 'true' : null,
        tabindex: selected || (!state.selectedId && it === items[0]) ? '0' : '-1',
        'aria-label': `${band} ${humanize(it.type)}, ${where}, ${fmtTime(it.firstEventAt, tz)}, score ${r1(score)}, ${it.status}, net loss ${net}`,
        onclick: () => select(it.id, { focus: false }),
      },
      h('span', { class: `chip ${bandClass(band)}`, 'data-band': band }, band),
      h('span', { class: 'inc-type' }, humanize(it.type)),
      h('span', { class: 'inc-loss', title: 'estimated net loss' }, net),
      h('span', { class: 'inc-where', title: where }, where),
      h('time', { class: 'inc-time', datetime: it.firstEventAt, 'data-ago': it.openedAt, title: `opened ${fmtAgo(it.openedAt)}` }, fmtTime(it.firstEventAt, tz)),
      h(
        'span',
        { class: 'inc-bar' },
        h('span', { class: `inc-status ${statusClass(it.status)}` }, it.status),
        h('span', { class: 'scorebar', 'aria-hidden': 'true' }, h('span', { style: { width: `${clamp(score, 0, 100)}%` } })),
        h('span', { class: 'score-num', title: 'severity score (0-100)' }, String(Math.round(score))),
      ),
    );
    return h('li', null, btn);
  });
  ul.replaceChildren(...lis);
  $('list-empty').hidden = items.length > 0;
  if (focusedId) {
    const again = [...ul.querySelectorAll('button.inc')].find((b) => b.getAttribute('data-id') === focusedId);
    if (again) again.focus();
  }
}

function onListKey(e) {
  const buttons = [...$('incident-list').querySelectorAll('button.inc')];
  const i = buttons.indexOf(document.activeElement);
  if (i < 0) return;
  let j = -1;
  if (e.key === 'ArrowDown') j = Math.min(buttons.length - 1, i + 1);
  else if (e.key === 'ArrowUp') j = Math.max(0, i - 1);
  else if (e.key === 'Home') j = 0;
  else if (e.key === 'End') j = buttons.length - 1;
  if (j < 0) return;
  e.preventDefault();
  const id = buttons[j].getAttribute('data-id');
  select(id, { focus: false });
  const again = [...$('incident-list').querySelectorAll('button.inc')].find((b) => b.getAttribute('data-id') === id);
  if (again) again.focus();
}

function select(id, { focus }) {
  if (!id) return;
  const changed = id !== state.selectedId;
  state.selectedId = id;
  state.autoSelect = false;
  writeFragment();
  renderList();
  if (changed) {
    state.detail = null;
    state.detailSig = '';
    const pane = $('detail');
    pane.setAttribute('aria-busy', 'true');
    pane.replaceChildren(h('p', { class: 'empty' }, 'Loading the incident…'));
    void refreshDetail()
      .then(() => {
        markOk();
        if (focus) pane.focus();
      })
      .catch(reportError)
      .finally(() => pane.removeAttribute('aria-busy'));
  }
}

// ---------------------------------------------------------------------------------------------
// Detail pane

function renderDetail(d) {
  const pane = $('detail');
  const band = d.severity ? d.severity.band : '';
  const tz = siteTz(d.site);
  const site = siteOf(d.site);
  pane.setAttribute('data-incident-id', d.id);
  pane.setAttribute('aria-label', `Incident ${humanize(d.type)} at ${siteName(d.site)}`);

  const zones = (d.zones && d.zones.length ? d.zones : [d.zone]).filter(Boolean);
  const head = h(
    'div',
    { class: `detail-head ${bandClass(band)}` },
    h(
      'div',
      null,
      h('h2', null, humanize(d.type), h('span', { class: `chip ${bandClass(band)}`, 'data-band': band }, band), h('span', { class: `status-pill ${statusClass(d.status)}`, id: 'detail-status', 'data-status': d.status }, d.status)),
      h(
        'p',
        { class: 'facts' },
        h('strong', null, siteName(d.site)),
        ' · ',
        zones.map((z) => zoneName(d.site, z)).join(', ') || 'no zone',
        ' · first event ',
        h('strong', null, fmtTime(d.firstEventAt, tz)),
        d.lastEventAt && d.lastEventAt !== d.firstEventAt ? ` · last ${fmtTime(d.lastEventAt, tz)}` : '',
        ` · ${d.eventCount} event${d.eventCount === 1 ? '' : 's'} from ${(d.sources || []).map(humanize).join(', ') || 'no source'}`,
      ),
      h(
        'p',
        { class: 'facts small' },
        h('span', { class: 'mono' }, d.id),
        ` · opened ${fmtAgo(d.openedAt)}`,
        d.acknowledgedAt ? ` · acknowledged by ${d.acknowledgedBy || 'someone'} ${fmtAgo(d.acknowledgedAt)}` : '',
        d.resolvedAt ? ` · resolved by ${d.resolvedBy || 'someone'} ${fmtAgo(d.resolvedAt)}` : '',
        d.resolution ? ` · resolution: ${d.resolution}` : '',
        d.severity && d.severity.policyVersion ? ` · policy ${d.severity.policyVersion}` : '',
      ),
    ),
    h('div', { class: 'bigscore', 'aria-label': `severity score ${r1(d.severity ? d.severity.score : 0)} of 100` }, h('span', { class: 'v' }, String(r1(d.severity ? d.severity.score : 0))), h('span', { class: 'of' }, ' / 100')),
    renderActions(d),
  );

  const cards = h(
    'div',
    { class: 'cards' },
    card('Why this score', 'span-6', renderSeverity(d), 'severity-card'),
    card('Estimated loss', 'span-6', renderLoss(d), 'loss-card'),
    card(site ? `Site plan · ${site.name}` : 'Site plan', 'span-7', renderPlanCard(d, site), 'plan-card'),
    card('What happened', 'span-5', renderTimeline(d, tz), 'timeline-card'),
    card('Response workflow', 'span-12', renderWorkflow(d, tz), 'workflow-card'),
  );
  pane.replaceChildren(head, cards);
}

function card(heading, span, body, id) {
  const hid = nextId('h');
  return h('section', { class: `card ${span}`, 'aria-labelledby': hid, id }, h('h3', { id: hid }, heading), body);
}

function renderActions(d) {
  const msg = h('span', { class: 'action-msg small', role: 'status', id: 'action-msg' });
  const note = h('input', { type: 'text', id: 'action-note', maxlength: 2000, placeholder: 'Note or resolution (optional)', 'aria-label': 'Note or resolution (optional)' });
  const buttons = ACTIONS.map((a) =>
    h(
      'button',
      {
        type: 'button',
        class: a.action === 'acknowledge' ? 'primary' : '',
        'data-action': a.action,
        disabled: !a.from.includes(d.status),
        title: a.from.includes(d.status) ? `${a.label} this incident` : `${a.label} applies to ${a.from.join(' or ')} incidents`,
        onclick: () => void act(d.id, a, note, msg),
      },
      a.label,
    ),
  );
  return h('div', { class: 'actions', role: 'group', 'aria-label': 'Incident actions' }, buttons, note, msg);
}

async function act(id, a, note, msg) {
  if (state.busy) return;
  state.busy = true;
  const buttons = [...document.querySelectorAll('.actions button')];
  for (const b of buttons) b.disabled = true;
  msg.className = 'action-msg small';
  msg.textContent = `${a.label}…`;
  const text = note.value.trim();
  const body = text ? (a.action === 'resolve' ? { resolution: text } : { note: text }) : {};
  try {
    const d = await api(`/incidents/${encodeURIComponent(id)}/${a.action}`, { method: 'POST', body });
    markOk();
    if (id === state.selectedId) setDetail(d);
    const m = document.getElementById('action-msg');
    if (m) m.textContent = `${a.done}: the incident is now ${d.status}.`;
    state.listSig = '';
    await Promise.allSettled([refreshList(), refreshTotals()]);
  } catch (e) {
    if (e instanceof AuthError) return;
    msg.className = 'action-msg small err';
    msg.textContent =
      e instanceof HttpError
        ? e.status === 403
          ? `Not allowed: ${e.message}`
          : e.status === 409
            ? `Not possible now: ${e.message}`
            : `Failed (${e.status}): ${e.message}`
        : `Failed: ${e && e.message ? e.message : e}`;
    for (const b of buttons) {
      const spec = ACTIONS.find((x) => x.action === b.getAttribute('data-action'));
      b.disabled = !spec || !state.detail || !spec.from.includes(state.detail.status);
    }
    if (e instanceof NetworkError) reportError(e);
  } finally {
    state.busy = false;
  }
}

// ----- (a) severity factors and score history

function renderSeverity(d) {
  const factors = (d.severity && d.severity.factors) || [];
  const score = d.severity ? Number(d.severity.score) : 0;
  if (factors.length === 0) return h('p', { class: 'muted' }, 'No severity factors recorded yet.');
  const colourOf = (f, i) => (FACTORS[f.name] ? FACTORS[f.name].colour : EXTRA_FACTOR_COLOURS[i % EXTRA_FACTOR_COLOURS.length]);
  const labelOf = (f) => (FACTORS[f.name] ? FACTORS[f.name].label : humanize(f.name));

  const W = 470;
  const labelW = 124;
  const valueW = 70;
  const barW = W - labelW - valueW;
  const rowH = 22;
  const stackH = 18;
  const top = 26;
  const H = top + stackH + 18 + factors.length * rowH + 4;
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart factor-chart',
    role: 'img',
    'aria-label': `Severity ${r1(score)} of 100: ${factors
      .filter((f) => f.contribution > 0)
      .map((f) => `${labelOf(f)} ${r1(f.contribution)}`)
      .join(', ')}`,
  });

  // The whole score as one stacked bar on a 0-100 scale.
  const sx = (v) => labelW + (barW * clamp(v, 0, 100)) / 100;
  svg.append(s('text', { x: 0, y: top - 10, 'font-size': 11, class: 'muted-t' }, 'Score, 0-100'));
  svg.append(s('rect', { x: labelW, y: top - 4, width: barW, height: stackH, rx: 3, fill: '#0b1119' }));
  for (const t of [25, 50, 75]) svg.append(s('line', { x1: sx(t), x2: sx(t), y1: top - 6, y2: top + stackH - 2, class: 'grid' }));
  let acc = 0;
  factors.forEach((f, i) => {
    const c = Number(f.contribution) || 0;
    if (c <= 0) return;
    svg.append(
      s(
        'rect',
        { x: r1(sx(acc)), y: top - 4, width: r1(Math.max(0.5, sx(acc + c) - sx(acc))), height: stackH, fill: colourOf(f, i), 'data-segment': f.name },
        title(`${labelOf(f)}: ${r1(c)} points${f.detail ? ` — ${f.detail}` : ''}`),
      ),
    );
    acc += c;
  });
  svg.append(s('text', { x: sx(acc) + 6, y: top + 9, 'font-size': 12, 'font-weight': 700 }, `${r1(score)}`));
  svg.append(s('text', { x: labelW - 8, y: top + 9, 'font-size': 11, 'text-anchor': 'end', class: 'muted-t' }, 'total'));

  // One row per factor: what it could add (weight x 100) and what it added.
  const maxPts = Math.max(1, ...factors.map((f) => (Number(f.weight) || 0) * 100));
  const fx = (v) => (barW * clamp(v, 0, maxPts)) / maxPts;
  const y0 = top + stackH + 14;
  factors.forEach((f, i) => {
    const y = y0 + i * rowH;
    const c = Number(f.contribution) || 0;
    const possible = (Number(f.weight) || 0) * 100;
    const tip = `${labelOf(f)}: ${r1(c)} of ${r1(possible)} possible points (value ${r2(Number(f.value) || 0)} × weight ${r2(Number(f.weight) || 0)})${f.detail ? ` — ${f.detail}` : ''}`;
    svg.append(
      s(
        'g',
        { 'data-factor': f.name, 'data-contribution': c, tabindex: '0', role: 'img', 'aria-label': tip },
        title(tip),
        s('rect', { x: 0, y, width: W, height: rowH - 2, fill: 'transparent' }),
        s('rect', { x: 2, y: y + 6, width: 8, height: 8, rx: 2, fill: colourOf(f, i) }),
        s('text', { x: 16, y: y + 14, 'font-size': 12 }, labelOf(f)),
        s('rect', { x: labelW, y: y + 4, width: r1(fx(possible)), height: rowH - 10, rx: 2, fill: '#0b1119', stroke: '#2a3a50' }),
        c > 0 ? s('rect', { x: labelW, y: y + 4, width: r1(Math.max(1, fx(c))), height: rowH - 10, rx: 2, fill: colourOf(f, i) }) : null,
        s('text', { x: W - valueW + 8, y: y + 14, 'font-size': 12, class: c > 0 ? '' : 'muted-t' }, `${r1(c)}`, s('tspan', { class: 'muted-t', 'font-size': 10 }, ` / ${r1(possible)}`)),
      ),
    );
  });

  const details = h(
    'details',
    null,
    h('summary', null, 'Factor details'),
    h(
      'table',
      null,
      h('thead', null, h('tr', null, h('th', null, 'factor'), h('th', { class: 'amt' }, 'value'), h('th', { class: 'amt' }, 'weight'), h('th', { class: 'amt' }, 'points'), h('th', null, 'why'))),
      h(
        'tbody',
        null,
        factors.map((f) =>
          h('tr', null, h('td', null, labelOf(f)), h('td', { class: 'amt' }, String(r2(Number(f.value) || 0))), h('td', { class: 'amt' }, String(r2(Number(f.weight) || 0))), h('td', { class: 'amt' }, String(r1(Number(f.contribution) || 0))), h('td', null, f.detail || '')),
        ),
      ),
    ),
  );
  return h('div', null, svg, renderSparkline(d), details);
}

function renderSparkline(d) {
  const hist = (d.severityHistory || []).slice().sort((a, b) => a.seq - b.seq);
  const wrap = h('div', { class: 'spark' });
  wrap.append(h('p', { class: 'sub-h' }, `Score history · ${hist.length} assessment${hist.length === 1 ? '' : 's'}`));
  if (hist.length === 0) return wrap;
  const W = 470;
  const H = 64;
  const padL = 30;
  const padR = 40;
  const padT = 8;
  const padB = 14;
  const x = (i) => (hist.length === 1 ? padL + (W - padL - padR) / 2 : padL + ((W - padL - padR) * i) / (hist.length - 1));
  const y = (v) => padT + ((H - padT - padB) * (100 - clamp(v, 0, 100))) / 100;
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart sparkline',
    role: 'img',
    'aria-label': `Score history: ${hist.map((p) => r1(p.score)).join(', ')}`,
  });
  for (const t of [0, 50, 100]) {
    svg.append(s('line', { x1: padL, x2: W - padR, y1: y(t), y2: y(t), class: 'grid' }));
    svg.append(s('text', { x: padL - 4, y: y(t) + 3, 'font-size': 9, 'text-anchor': 'end', class: 'muted-t' }, String(t)));
  }
  const pts = hist.map((p, i) => `${r1(x(i))},${r1(y(p.score))}`);
  if (hist.length === 1) pts.unshift(`${padL},${r1(y(hist[0].score))}`);
  svg.append(s('polyline', { points: pts.join(' '), fill: 'none', stroke: '#5cb3ff', 'stroke-width': 2, 'stroke-linejoin': 'round' }));
  hist.forEach((p, i) => {
    svg.append(
      s(
        'circle',
        { cx: r1(x(i)), cy: r1(y(p.score)), r: 3.5, fill: BAND_COLOUR[p.band] || '#5cb3ff', stroke: '#0f1520', 'data-history': p.seq },
        title(`#${p.seq}: ${r1(p.score)} (${p.band}) after ${p.eventCount} event${p.eventCount === 1 ? '' : 's'}, ${fmtTime(p.computedAt, siteTz(d.site))}, policy ${p.policyVersion}`),
      ),
    );
  });
  const last = hist[hist.length - 1];
  svg.append(s('text', { x: r1(x(hist.length - 1)) + 8, y: r1(y(last.score)) + 4, 'font-size': 11, 'font-weight': 700 }, String(r1(last.score))));
  wrap.append(svg);
  return wrap;
}

// ----- (b) loss breakdown

function renderLoss(d) {
  const loss = d.loss;
  if (!loss) return h('p', { class: 'muted' }, 'The loss has not been estimated yet.');
  const cur = loss.currency;
  const parts = LOSS_PARTS.map((p) => ({ ...p, amount: Math.max(0, Number(loss[p.key]) || 0) }));
  const gross = Number(loss.gross) || parts.reduce((a, p) => a + p.amount, 0);
  const recovered = Math.max(0, Number(loss.recovered) || 0);
  const net = Number(loss.net) || 0;
  const W = 470;
  const H = 74;
  const x0 = 0;
  const bw = W - 4;
  const scale = gross > 0 ? bw / gross : 0;
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart loss-chart',
    role: 'img',
    'aria-label': `Gross loss ${fmtMoney(loss.gross, cur)}: ${parts
      .filter((p) => p.amount > 0)
      .map((p) => `${p.label.toLowerCase()} ${fmtMoney(p.amount, cur)}`)
      .join(', ')}; recovered ${fmtMoney(recovered, cur)}; net ${fmtMoney(loss.net, cur)}`,
  });
  const hatch = nextId('rec');
  svg.append(
    s(
      'defs',
      null,
      s('pattern', { id: hatch, width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' }, s('rect', { width: 6, height: 6, fill: '#0f1520', 'fill-opacity': 0.55 }), s('rect', { width: 2.5, height: 6, fill: '#3fb27f' })),
    ),
  );
  svg.append(s('rect', { x: x0, y: 18, width: bw, height: 26, rx: 4, fill: '#0b1119' }));
  let acc = 0;
  for (const p of parts) {
    if (p.amount <= 0) continue;
    const w = p.amount * scale;
    svg.append(s('rect', { x: r1(x0 + acc * scale), y: 18, width: r1(Math.max(1, w)), height: 26, fill: p.colour, 'data-loss': p.key }, title(`${p.label}: ${fmtMoney(p.amount, cur)}`)));
    if (w > 70) svg.append(s('text', { x: r1(x0 + acc * scale + 6), y: 35, 'font-size': 11, fill: '#10151d', 'font-weight': 600, 'pointer-events': 'none' }, fmtMoney(p.amount, cur, true)));
    acc += p.amount;
  }
  if (recovered > 0 && gross > 0) {
    const rw = Math.min(recovered, gross) * scale;
    svg.append(s('rect', { x: r1(x0 + bw - rw), y: 18, width: r1(rw), height: 26, fill: `url(#${hatch})`, 'data-loss': 'recovered' }, title(`Recovered: −${fmtMoney(recovered, cur)}`)));
  }
  if (gross > 0) {
    const nx = clamp(x0 + Math.max(0, net) * scale, 1, W - 1);
    svg.append(s('line', { x1: nx, x2: nx, y1: 12, y2: 50, stroke: '#e6edf5', 'stroke-width': 2 }));
    svg.append(s('text', { x: nx, y: 64, 'font-size': 12, 'font-weight': 700, 'text-anchor': nx > W - 120 ? 'end' : nx < 120 ? 'start' : 'middle' }, `net ${fmtMoney(loss.net, cur)}`));
  }
  svg.append(s('text', { x: 0, y: 11, 'font-size': 11, class: 'muted-t' }, `gross ${fmtMoney(loss.gross, cur)}`));
  if (loss.executiveEscalation) svg.append(s('text', { x: W, y: 11, 'font-size': 11, 'text-anchor': 'end', fill: '#ff9ca3' }, 'above the executive threshold'));

  const legend = h(
    'ul',
    { class: 'legend' },
    parts.map((p) => h('li', null, h('span', { class: 'sw', style: { '--sw': p.colour } }), `${p.label} ${fmtMoney(p.amount, cur)}`)),
    h('li', null, h('span', { class: 'sw recovered' }), `Recovered −${fmtMoney(recovered, cur)}`),
  );
  const items = loss.items || [];
  const table = h(
    'table',
    { class: 'loss-items' },
    h('caption', { class: 'sr-only' }, 'Loss items'),
    h('thead', null, h('tr', null, h('th', null, 'kind'), h('th', null, 'what'), h('th', { class: 'amt' }, 'amount'))),
    h(
      'tbody',
      null,
      items.length === 0
        ? h('tr', null, h('td', { colspan: 3, class: 'muted' }, 'No loss items.'))
        : items.map((it) =>
            h(
              'tr',
              { 'data-loss-item': it.kind },
              h('td', null, humanize(it.kind)),
              h('td', null, it.description || '', it.assetId ? h('span', { class: 'muted small' }, ` (${it.assetId})`) : null),
              h('td', { class: 'amt' }, it.kind === 'recovery' || it.kind === 'recovered' ? `−${fmtMoney(String(it.amount).replace(/^-/, ''), cur)}` : fmtMoney(it.amount, cur)),
            ),
          ),
    ),
    h('tfoot', null, h('tr', null, h('td', { colspan: 2 }, 'Net loss'), h('td', { class: 'amt' }, fmtMoney(loss.net, cur)))),
  );
  return h('div', null, svg, legend, table);
}

// ----- (c) site plan

function polygonArea(pts) {
  let a = 0;
  for (let i = 0; i < pts.length; i++) {
    const [x1, y1] = pts[i];
    const [x2, y2] = pts[(i + 1) % pts.length];
    a += x1 * y2 - x2 * y1;
  }
  return a / 2;
}

function centroid(pts) {
  const a = polygonArea(pts);
  if (Math.abs(a) < 1e-9) return [pts.reduce((s1, p) => s1 + p[0], 0) / pts.length, pts.reduce((s1, p) => s1 + p[1], 0) / pts.length];
  let cx = 0;
  let cy = 0;
  for (let i = 0; i < pts.length; i++) {
    const [x1, y1] = pts[i];
    const [x2, y2] = pts[(i + 1) % pts.length];
    const f = x1 * y2 - x2 * y1;
    cx += (x1 + x2) * f;
    cy += (y1 + y2) * f;
  }
  return [cx / (6 * a), cy / (6 * a)];
}

function pointInPolygon([px, py], pts) {
  let inside = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i];
    const [xj, yj] = pts[j];
    if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

/**
 * Places asset labels without overlap (with each other, the dots and the zone names): right of
 * the dot, else left, above or below; a label that fits nowhere is left out (the dot keeps its tooltip and the asset list names it).
 */
function placeLabels(wanted, layer, W, H, obstacles = []) {
  // Zone names and the labelled dots themselves are obstacles too.
  const placed = [...obstacles, ...wanted.map((l) => ({ x0: l.x - l.r, y0: l.y - l.r, x1: l.x + l.r, y1: l.y + l.r }))];
  const fits = (b) => b.x0 >= 2 && b.x1 <= W - 2 && b.y0 >= 2 && b.y1 <= H - 2 && !placed.some((p) => !(b.x1 < p.x0 || b.x0 > p.x1 || b.y1 < p.y0 || b.y0 > p.y1));
  wanted.sort((a, b) => b.rank - a.rank || b.value - a.value);
  for (const l of wanted) {
    const text = l.name.length > 26 ? `${l.name.slice(0, 25)}…` : l.name;
    const w = text.length * 6.4;
    const candidates = [
      { x: l.x + l.r + 6, y: l.y + 4, anchor: 'start', box: { x0: l.x + l.r + 6, y0: l.y - 8, x1: l.x + l.r + 6 + w, y1: l.y + 5 } },
      { x: l.x - l.r - 6, y: l.y + 4, anchor: 'end', box: { x0: l.x - l.r - 6 - w, y0: l.y - 8, x1: l.x - l.r - 6, y1: l.y + 5 } },
      { x: l.x, y: l.y - l.r - 6, anchor: 'middle', box: { x0: l.x - w / 2, y0: l.y - l.r - 18, x1: l.x + w / 2, y1: l.y - l.r - 3 } },
      { x: l.x, y: l.y + l.r + 14, anchor: 'middle', box: { x0: l.x - w / 2, y0: l.y + l.r + 3, x1: l.x + w / 2, y1: l.y + l.r + 17 } },
    ];
    const c = candidates.find((k) => fits(k.box));
    if (!c) continue;
    placed.push(c.box);
    layer.append(s('text', { x: r1(c.x), y: r1(c.y), 'font-size': 11, 'font-weight': 600, 'text-anchor': c.anchor, class: 'halo' }, text));
  }
}

function niceStep(span, target) {
  const raw = span / target;
  const p = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * p >= raw) return m * p;
  return 10 * p;
}

function renderPlanCard(d, site) {
  if (!site) return h('p', { class: 'muted' }, state.sitesLoaded ? `No site plan for ${d.site}.` : 'Loading the site plan…');
  const zones = site.zones.filter((z) => Array.isArray(z.polygon) && z.polygon.length >= 3);
  if (zones.length === 0) return h('p', { class: 'muted' }, 'No zone outlines are configured for this site.');
  const incidentZones = new Set((d.zones && d.zones.length ? d.zones : [d.zone]).filter(Boolean));
  const touched = new Map((d.assets || []).map((a) => [a.id, a]));
  const adjacentHigh = new Map((d.adjacentHighRisk || []).map((a) => [a.id, a]));
  const eventDevices = new Set((d.events || []).map((e) => e.device).filter(Boolean));

  // Plan bounds in metres: the zone outlines.
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const z of zones)
    for (const [px, py] of z.polygon) {
      minX = Math.min(minX, px);
      maxX = Math.max(maxX, px);
      minY = Math.min(minY, py);
      maxY = Math.max(maxY, py);
    }
  const spanX = Math.max(1, maxX - minX);
  const spanY = Math.max(1, maxY - minY);
  const W = 600;
  const pad = 16;
  const bottom = 26;
  const k = Math.min((W - 2 * pad) / spanX, 520 / spanY);
  const H = Math.round(spanY * k + pad + bottom);
  const ox = (W - spanX * k) / 2;
  const X = (x) => r1(ox + (x - minX) * k);
  const Y = (y) => r1(pad + (maxY - y) * k);
  const P = (pt) => `${X(pt[0])},${Y(pt[1])}`;

  const hatch = nextId('hatch');
  const clip = nextId('clip');
  const bandCol = BAND_COLOUR[d.severity && d.severity.band] || '#5cb3ff';
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart site-plan',
    role: 'img',
    'aria-label': `Site plan of ${site.name}: incident in ${[...incidentZones].map((z) => zoneName(site.id, z)).join(', ')}; ${touched.size} asset(s) involved`,
  });
  svg.append(
    s(
      'defs',
      null,
      s('pattern', { id: hatch, width: 7, height: 7, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' }, s('rect', { width: 2, height: 7, fill: '#a77bbd', 'fill-opacity': 0.45 })),
      s('clipPath', { id: clip }, s('rect', { x: X(minX), y: Y(maxY), width: r1(spanX * k), height: r1(spanY * k) })),
    ),
  );

  // Zones
  const zoneLayer = s('g', { class: 'zones' });
  const labelLayer = s('g', { class: 'zone-labels', 'pointer-events': 'none' });
  const zoneLabelBoxes = [];
  for (const z of zones) {
    const hit = incidentZones.has(z.id);
    const pts = z.polygon.map(P).join(' ');
    const g = s('g', { 'data-zone': z.id, 'data-highlight': hit ? 'true' : 'false', 'data-restricted': z.restricted ? 'true' : 'false' });
    g.append(title(`${z.name}${z.restricted ? ' (restricted)' : ''}${hit ? ' — incident zone' : ''}; ${humanize(z.kind)}; adjacent: ${(z.adjacent || []).map((a) => zoneName(site.id, a)).join(', ') || 'none'}`));
    g.append(s('polygon', { points: pts, fill: hit ? bandCol : z.restricted ? '#2a2035' : '#1a2535', 'fill-opacity': hit ? 0.28 : 1, stroke: '#3b4e68', 'stroke-width': 1 }));
    if (z.restricted) g.append(s('polygon', { points: pts, fill: `url(#${hatch})`, stroke: 'none' }));
    if (hit) g.append(s('polygon', { points: pts, fill: 'none', stroke: bandCol, 'stroke-width': 3, 'stroke-linejoin': 'round', class: 'zone-hit' }));
    zoneLayer.append(g);

    const zx = z.polygon.map((p) => p[0]);
    const zy = z.polygon.map((p) => p[1]);
    const widthPx = (Math.max(...zx) - Math.min(...zx)) * k;
    const fs = 11;
    const maxChars = Math.max(3, Math.floor((widthPx - 8) / (fs * 0.6)));
    // The incident's zone keeps its whole name (it may run over its neighbour; the halo keeps it legible).
    const name = !hit && z.name.length > maxChars ? `${z.name.slice(0, Math.max(1, maxChars - 1))}…` : z.name;
    const corner = [Math.min(...zx) + 4 / k, Math.max(...zy) - 4 / k];
    const [lx, ly] = pointInPolygon(corner, z.polygon) ? corner : centroid(z.polygon);
    const atCorner = lx === corner[0] && ly === corner[1];
    const tw = name.length * fs * 0.6;
    zoneLabelBoxes.push(
      atCorner
        ? { x0: X(lx) + 2, y0: Y(ly) + 2, x1: X(lx) + 2 + tw, y1: Y(ly) + fs + 4 }
        : { x0: X(lx) - tw / 2, y0: Y(ly) - fs, x1: X(lx) + tw / 2, y1: Y(ly) + 3 },
    );
    labelLayer.append(
      s(
        'text',
        { x: r1(X(lx) + (atCorner ? 2 : 0)), y: r1(Y(ly) + (atCorner ? fs + 2 : 0)), 'font-size': fs, 'text-anchor': atCorner ? 'start' : 'middle', class: `halo${hit ? '' : ' muted-t'}`, 'font-weight': hit ? 700 : 400 },
        name,
      ),
    );
  }
  svg.append(zoneLayer);

  // Camera fields of view (clipped to the plan), then the devices.
  const fovLayer = s('g', { class: 'fov', 'clip-path': `url(#${clip})` });
  const deviceLayer = s('g', { class: 'devices' });
  for (const dev of site.devices || []) {
    if (!dev.position) continue;
    const [px, py] = dev.position;
    const involved = eventDevices.has(dev.id);
    const coversIncident = incidentZones.has(dev.zone) || (dev.covers || []).some((c) => incidentZones.has(c));
    if (dev.kind === 'camera' && dev.fov) {
      const { direction, angle, range } = dev.fov;
      const rr = range * k;
      const attrs = {
        fill: '#5cb3ff',
        'fill-opacity': coversIncident ? 0.22 : 0.08,
        stroke: '#5cb3ff',
        'stroke-opacity': coversIncident ? 0.7 : 0.25,
        'stroke-width': 1,
        'data-fov': dev.id,
      };
      if (angle >= 360) fovLayer.append(s('circle', { cx: X(px), cy: Y(py), r: r1(rr), ...attrs }));
      else {
        const a1 = ((direction - angle / 2) * Math.PI) / 180;
        const a2 = ((direction + angle / 2) * Math.PI) / 180;
        // Plan angles are counter-clockwise with y up; the screen's y points down.
        const p1 = [X(px) + rr * Math.cos(a1), Y(py) - rr * Math.sin(a1)];
        const p2 = [X(px) + rr * Math.cos(a2), Y(py) - rr * Math.sin(a2)];
        const large = angle > 180 ? 1 : 0;
        fovLayer.append(s('path', { d: `M${X(px)},${Y(py)} L${r1(p1[0])},${r1(p1[1])} A${r1(rr)},${r1(rr)} 0 ${large} 0 ${r1(p2[0])},${r1(p2[1])} Z`, ...attrs }));
      }
    }
    const label = `${humanize(dev.kind)} ${dev.id} in ${zoneName(site.id, dev.zone)}${dev.fov ? ` (facing ${dev.fov.direction}°, ${dev.fov.angle}° wide, ${dev.fov.range} m)` : ''}${involved ? ' — reported an event of this incident' : ''}`;
    const g = s('g', { 'data-device': dev.id, 'data-involved': involved ? 'true' : 'false' }, title(label));
    if (involved) g.append(s('circle', { cx: X(px), cy: Y(py), r: 8, fill: 'none', stroke: '#ffffff', 'stroke-width': 2 }));
    if (dev.kind === 'camera') g.append(s('circle', { cx: X(px), cy: Y(py), r: 4, fill: '#5cb3ff', stroke: '#0d131c', 'stroke-width': 1.5 }));
    else g.append(s('rect', { x: X(px) - 3, y: Y(py) - 3, width: 6, height: 6, fill: involved ? '#ffffff' : '#93a4b8', stroke: '#0d131c', 'stroke-width': 1, transform: `rotate(45 ${X(px)} ${Y(py)})` }));
    deviceLayer.append(g);
  }
  svg.append(fovLayer);
  svg.append(labelLayer);
  svg.append(deviceLayer);

  // Assets: dots sized by value; involved ones coloured, high-risk ones ringed.
  const assets = (site.assets || []).filter((a) => a.position);
  const maxValue = Math.max(1, ...assets.map((a) => Number(a.value) || 0));
  const assetLayer = s('g', { class: 'assets' });
  const assetLabels = s('g', { class: 'asset-labels', 'pointer-events': 'none' });
  const labelWanted = [];
  for (const a of assets) {
    const t = touched.get(a.id);
    const adj = adjacentHigh.get(a.id);
    const info = t || adj;
    const high = info ? !!info.highRisk || !!adj : false;
    const r = 3 + 9 * Math.sqrt((Number(a.value) || 0) / maxValue);
    const [ax, ay] = a.position;
    const fill = t ? (high ? '#ef4b55' : '#e6b422') : adj ? '#b38cff' : '#6b7b90';
    const tip = `${a.name} (${a.id}) · ${humanize(a.category)} · ${fmtMoney(a.value, (d.loss && d.loss.currency) || 'USD')}${t ? ` · involved (${t.relation || 'touched'})` : adj ? ' · high-risk, adjacent zone' : ''}${info && info.highRiskReasons && info.highRiskReasons.length ? ` · high risk: ${info.highRiskReasons.join('; ')}` : ''}${t && t.status ? ` · status ${t.status}` : ''}`;
    const g = s('g', { 'data-asset': a.id, 'data-touched': t ? 'true' : 'false', 'data-high-risk': high ? 'true' : 'false' }, title(tip));
    if (t && high) g.append(s('circle', { cx: X(ax), cy: Y(ay), r: r1(r + 5), fill: 'none', stroke: '#ef4b55', 'stroke-width': 2, 'stroke-dasharray': t.relation === 'named' ? null : '3 2' }));
    g.append(s('circle', { cx: X(ax), cy: Y(ay), r: r1(r), fill, 'fill-opacity': t || adj ? 0.95 : 0.6, stroke: '#0d131c', 'stroke-width': 1.5 }));
    assetLayer.append(g);
    if (t || adj) labelWanted.push({ name: a.name, x: X(ax), y: Y(ay), r, rank: (t ? 2 : 0) + (high ? 1 : 0), value: Number(a.value) || 0 });
  }
  svg.append(assetLayer);
  placeLabels(labelWanted, assetLabels, W, H, zoneLabelBoxes);

  // Guards
  const guardLayer = s('g', { class: 'guards' });
  for (const gd of site.guards || []) {
    if (!gd.position) continue;
    const [gx, gy] = gd.position;
    const x = X(gx);
    const y = Y(gy);
    guardLayer.append(
      s(
        'g',
        { 'data-guard': gd.id },
        title(`Guard ${gd.name}${gd.onShift ? ' (on shift)' : ' (off shift)'}`),
        s('path', { d: `M${x},${r1(y - 7)} L${r1(x + 6)},${r1(y + 5)} L${r1(x - 6)},${r1(y + 5)} Z`, fill: gd.onShift ? '#38c7b5' : 'none', stroke: '#38c7b5', 'stroke-width': 1.5 }),
      ),
    );
  }
  svg.append(guardLayer);
  svg.append(assetLabels);

  // Scale bar and north arrow
  const step = niceStep(spanX, 5);
  const sbY = H - 8;
  svg.append(s('line', { x1: X(minX), x2: r1(X(minX) + step * k), y1: sbY, y2: sbY, stroke: '#93a4b8', 'stroke-width': 2 }));
  svg.append(s('text', { x: r1(X(minX) + step * k + 6), y: sbY + 4, 'font-size': 10, class: 'muted-t' }, `${step} m`));
  const nx = W - 16;
  svg.append(s('path', { d: `M${nx},${H - 22} L${nx + 5},${H - 8} L${nx},${H - 11} L${nx - 5},${H - 8} Z`, fill: '#93a4b8' }, title('north')));
  svg.append(s('text', { x: nx - 10, y: H - 10, 'font-size': 10, 'text-anchor': 'end', class: 'muted-t' }, 'N'));

  const legend = h(
    'ul',
    { class: 'legend' },
    h('li', null, h('span', { class: 'sw', style: { '--sw': bandCol } }), 'incident zone'),
    h('li', null, h('span', { class: 'sw hatch' }), 'restricted zone'),
    h('li', null, h('span', { class: 'sw round', style: { '--sw': '#ef4b55' } }), 'high-risk asset involved'),
    h('li', null, h('span', { class: 'sw round', style: { '--sw': '#e6b422' } }), 'asset involved'),
    h('li', null, h('span', { class: 'sw round', style: { '--sw': '#6b7b90' } }), 'other asset (size = value)'),
    h('li', null, h('span', { class: 'sw', style: { '--sw': 'rgba(92,179,255,0.45)' } }), 'camera view'),
    h('li', null, h('span', { class: 'sw', style: { '--sw': '#38c7b5' } }), 'guard'),
  );

  const list = [...touched.values(), ...adjacentHigh.values()];
  const assetList = list.length
    ? h(
        'ul',
        { class: 'asset-list', 'aria-label': 'Assets involved' },
        list.map((a) =>
          h(
            'li',
            null,
            h('span', { class: 'sw round', style: { '--sw': touched.has(a.id) ? (a.highRisk ? '#ef4b55' : '#e6b422') : '#b38cff' } }),
            h('strong', null, a.name || a.id),
            a.value ? h('span', { class: 'num' }, fmtMoney(a.value, (d.loss && d.loss.currency) || 'USD')) : null,
            h('span', { class: 'rel' }, touched.has(a.id) ? a.relation || 'involved' : 'adjacent'),
            a.highRisk ? h('span', { class: 'hr', title: (a.highRiskReasons || []).join('; ') }, 'high risk') : null,
            a.status ? h('span', { class: 'muted small' }, humanize(a.status)) : null,
          ),
        ),
      )
    : h('p', { class: 'muted small' }, 'No asset involved.');
  return h('div', null, h('div', { class: 'plan-wrap' }, svg), legend, assetList);
}

// ----- (d) event timeline

const TICK_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720, 1440, 2880, 10080].map((m) => m * 60_000);

function renderTimeline(d, tz) {
  const events = (d.events || []).filter((e) => !Number.isNaN(new Date(e.occurredAt).getTime()));
  if (events.length === 0) return h('p', { class: 'muted' }, 'No events.');
  const times = events.map((e) => new Date(e.occurredAt).getTime());
  const tMin = Math.min(...times);
  const tMax = Math.max(...times);
  const span = Math.max(tMax - tMin, 10 * 60_000);
  const padT = span * 0.08;
  const mid = (tMin + tMax) / 2;
  const d0 = tMax - tMin < 10 * 60_000 ? mid - span / 2 - padT : tMin - padT;
  const d1 = tMax - tMin < 10 * 60_000 ? mid + span / 2 + padT : tMax + padT;

  const sources = [...new Set(events.map((e) => e.source))];
  const W = 400;
  const labelW = 96;
  const laneH = 52;
  const top = 6;
  const axisH = 30;
  const H = top + sources.length * laneH + axisH;
  const x = (t) => labelW + ((W - labelW - 12) * (t - d0)) / (d1 - d0);
  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`,
    class: 'chart timeline',
    role: 'img',
    'aria-label': `Timeline of ${events.length} event${events.length === 1 ? '' : 's'} from ${fmtTime(new Date(tMin).toISOString(), tz)} to ${fmtTime(new Date(tMax).toISOString(), tz)}`,
  });

  // Axis and ticks
  const axisY = top + sources.length * laneH + 4;
  const step = TICK_STEPS.find((st) => (d1 - d0) / st <= 6) || TICK_STEPS[TICK_STEPS.length - 1];
  const multiDay = d1 - d0 > 20 * 3_600_000;
  svg.append(s('line', { x1: labelW, x2: W - 12, y1: axisY, y2: axisY, class: 'axis' }));
  for (let t = Math.ceil(d0 / step) * step; t <= d1; t += step) {
    const tx = r1(x(t));
    const iso = new Date(t).toISOString();
    svg.append(s('line', { x1: tx, x2: tx, y1: top, y2: axisY + 4, class: 'grid' }));
    svg.append(s('text', { x: tx, y: axisY + 16, 'font-size': 10, 'text-anchor': 'middle', class: 'muted-t' }, multiDay ? `${fmtTime(iso, tz, 'date')} ${fmtTime(iso, tz, 'time')}` : fmtTime(iso, tz, 'time')));
  }
  svg.append(s('text', { x: W - 12, y: axisY + 28, 'font-size': 9, 'text-anchor': 'end', class: 'muted-t' }, `site time (${validTz(tz) || 'browser'}) · ${fmtTime(new Date(tMin).toISOString(), tz, 'date')}`));

  // Lanes, one per source
  sources.forEach((src, li) => {
    const y = top + li * laneH;
    const colour = SOURCE_COLOUR[src] || '#c0c9d4';
    svg.append(s('rect', { x: labelW, y, width: W - labelW - 12, height: laneH - 4, fill: li % 2 ? '#1a2637' : '#152030', rx: 3 }));
    svg.append(s('circle', { cx: 6, cy: y + laneH / 2 - 2, r: 4, fill: colour }));
    svg.append(s('text', { x: 14, y: y + laneH / 2 + 2, 'font-size': 11 }, humanize(src)));
  });

  // Marks: one per event; labels where they fit (alternating above and below the mark).
  const lastLabelEnd = sources.map(() => [-Infinity, -Infinity]);
  const order = events.map((e, i) => ({ e, t: times[i] })).sort((a, b) => a.t - b.t);
  for (const { e, t } of order) {
    const li = sources.indexOf(e.source);
    const cy = top + li * laneH + laneH / 2 - 2;
    const cx = r1(x(t));
    const colour = SOURCE_COLOUR[e.source] || '#c0c9d4';
    const what = humanize(e.type);
    const tip = `${fmtTime(e.occurredAt, tz, 'seconds')} · ${humanize(e.source)} · ${what}${e.device ? ` · device ${e.device}` : ''}${e.zone ? ` · ${zoneName(d.site, e.zone)}` : ''}${e.badge ? ` · badge ${e.badge}` : ''}${e.amount ? ` · ${fmtMoney(e.amount.value, e.amount.currency)}` : ''}`;
    const g = s('g', { 'data-event': e.id, 'data-source': e.source, tabindex: '0', role: 'img', 'aria-label': tip }, title(tip));
    g.append(s('circle', { cx, cy, r: 6, fill: colour, stroke: '#0f1520', 'stroke-width': 1.5 }));
    const est = what.length * 6.4;
    const slots = lastLabelEnd[li];
    const left = clamp(cx - est / 2, labelW + 2, W - 14 - est);
    let slot = -1;
    if (left > slots[0] + 4) slot = 0;
    else if (left > slots[1] + 4) slot = 1;
    if (slot >= 0) {
      slots[slot] = left + est;
      g.append(s('text', { x: r1(left + est / 2), y: slot === 0 ? cy - 11 : cy + 20, 'font-size': 11, 'text-anchor': 'middle', class: 'halo' }, what));
    }
    svg.append(g);
  }

  const table = h(
    'details',
    { open: events.length <= 12 },
    h('summary', null, `Event list (${events.length})`),
    h(
      'table',
      { class: 'event-table' },
      h('thead', null, h('tr', null, h('th', null, 'time'), h('th', null, 'source'), h('th', null, 'type'), h('th', null, 'where'), h('th', null, 'ref'))),
      h(
        'tbody',
        null,
        order.map(({ e }) =>
          h(
            'tr',
            null,
            h('td', { class: 'num' }, fmtTime(e.occurredAt, tz, 'seconds')),
            h('td', null, humanize(e.source)),
            h('td', null, humanize(e.type), e.amount ? ` ${fmtMoney(e.amount.value, e.amount.currency)}` : ''),
            h('td', null, [zoneName(d.site, e.zone), e.device, e.badge ? `badge ${e.badge}` : ''].filter(Boolean).join(' · ')),
            h('td', { class: 'mono small' }, e.sourceEventId || e.id),
          ),
        ),
      ),
    ),
  );
  return h('div', null, svg, table);
}

// ----- (e) workflow journal

function renderWorkflow(d, tz) {
  const byStep = new Map((d.workflow || []).map((w) => [w.step, w]));
  const extra = (d.workflow || []).filter((w) => !STEPS.includes(w.step)).map((w) => w.step);
  const done = (d.workflow || []).filter((w) => w.status === 'done').length;
  const ol = h(
    'ol',
    { class: 'steps', 'aria-label': `Workflow: ${done} of ${STEPS.length} steps done` },
    [...STEPS, ...extra].map((id, i) => {
      const w = byStep.get(id);
      const st = w ? (known(['pending', 'running', 'done', 'skipped', 'failed'], w.status) ?? 'none') : 'none';
      const statusText = w ? w.status : 'not started';
      const meta = [];
      if (w && w.finishedAt) meta.push(`${st === 'failed' ? 'failed' : 'finished'} ${fmtTime(w.finishedAt, tz, 'seconds')}`);
      else if (w && w.startedAt) meta.push(`started ${fmtTime(w.startedAt, tz, 'seconds')}`);
      if (w && w.nextRunAt && st !== 'done') meta.push(`next try ${fmtTime(w.nextRunAt, tz, 'seconds')}`);
      if (w && w.attempts > 1) meta.push(`${w.attempts} attempts`);
      const why = w && (w.error || w.reason);
      return h(
        'li',
        { class: `step st-${st}`, 'data-step': id, 'data-step-status': statusText },
        h('span', { class: 'ico', 'aria-hidden': 'true' }, st === 'none' ? String(i + 1) : STEP_ICON[st]),
        h(
          'div',
          null,
          h('div', { class: 'name' }, `${i + 1}. ${humanize(id)}`, h('span', { class: 'sr-only' }, `: ${statusText}`)),
          h('div', { class: 'meta' }, [statusText, ...meta].join(' · ')),
          why ? h('div', { class: 'why' }, String(why)) : null,
        ),
      );
    }),
  );
  return ol;
}

// ---------------------------------------------------------------------------------------------
// Wiring

function boot() {
  const frag = readFragment();
  if (frag.token) saveToken(frag.token);
  if (frag.incident) {
    state.selectedId = frag.incident;
    state.autoSelect = false;
  }
  state.token = loadToken();

  $('login-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const t = $('token-input').value.trim();
    if (!t) {
      $('login-error').textContent = 'Enter a token.';
      return;
    }
    saveToken(t);
    state.token = t;
    start();
  });
  $('sign-out').addEventListener('click', () => signOut('Signed out.'));
  $('incident-list').addEventListener('keydown', onListKey);
  $('status-filter').addEventListener('change', (e) => {
    state.statusFilter = e.target.value in STATUS_FILTERS ? e.target.value : 'active';
    state.listSig = '';
    void refreshList().catch(reportError);
  });
  window.addEventListener('hashchange', () => {
    const f = readFragment();
    if (f.token) {
      saveToken(f.token);
      state.token = f.token;
      state.sitesLoaded = false;
      start();
    }
    if (f.incident && f.incident !== state.selectedId && state.token) select(f.incident, { focus: true });
  });
  window.addEventListener('online', () => state.running && void tick());

  if (state.token) start();
  else showLogin();
}

boot();
