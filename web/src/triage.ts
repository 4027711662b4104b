/**
 * Triage in the queue, the part that is not a view: the list's order, filters and search (sent to
 * GET /api/v1/incidents), the time zone every time is shown in (saved in localStorage), and the
 * announcement of a new high or critical incident (a count in the title, an optional tone made
 * with WebAudio, a desktop notification when the user allowed them). It imports nothing of the
 * store, so the store can call it without a cycle.
 */

/** The list's order: by priority (band high to low, then oldest first), or newest first. */
export type QueueSort = 'priority' | 'opened';

/** The filters and search of the queue (band and status are the store's own filters). */
export interface TriageFilters {
  sort: QueueSort;
  site: string;
  type: string;
  assignee: string;
  q: string;
}

/** The zone times are shown in: each site's own (`site`), or one IANA zone the viewer picked. */
export type ZoneChoice = 'site' | string;

const ZONE_KEY = 'vigil.zone';
const SOUND_KEY = 'vigil.sound';
const SORT_KEY = 'vigil.sort';

function readKey(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
function writeKey(key: string, value: string | null): void {
  try {
    if (value === null) localStorage.removeItem(key);
    else localStorage.setItem(key, value);
  } catch {
    /* storage blocked: the choice lasts for this page only */
  }
}

let filters: TriageFilters = { sort: readKey(SORT_KEY) === 'opened' ? 'opened' : 'priority', site: '', type: '', assignee: '', q: '' };
let zone: ZoneChoice = readKey(ZONE_KEY) ?? 'site';
let sound = readKey(SOUND_KEY) === 'on';

/** The current filters (a copy). */
export const getFilters = (): TriageFilters => ({ ...filters });

/** Changes some filters; the sort is remembered across visits. */
export function patchFilters(patch: Partial<TriageFilters>): void {
  filters = { ...filters, ...patch };
  if (patch.sort) writeKey(SORT_KEY, patch.sort);
}

/** Adds the triage filters to a list query. */
export function applyFilters(q: URLSearchParams): void {
  if (filters.sort === 'priority') q.set('sort', 'priority');
  if (filters.site) q.set('site', filters.site);
  if (filters.type) q.set('type', filters.type);
  if (filters.assignee) q.set('assignee', filters.assignee);
  const term = filters.q.trim();
  if (term) q.set('q', term.slice(0, 200));
}

/** The chosen zone ('site' for each site's own). */
export const getZone = (): ZoneChoice => zone;

/** Picks the zone times are shown in (saved for the next visit). */
export function setZone(z: ZoneChoice): void {
  zone = z || 'site';
  writeKey(ZONE_KEY, zone === 'site' ? null : zone);
}

/** The zone to show a site's times in: the viewer's pick, else the site's. */
export const displayZone = (siteZone: string | undefined): string | undefined => (zone === 'site' ? siteZone : zone);

/** The viewer's own zone as the browser knows it. */
export const browserZone = (): string => Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';

/** Zones offered in the picker: the sites', the browser's and UTC, each once. */
export function zoneOptions(siteZones: readonly string[]): string[] {
  return [...new Set([...siteZones, browserZone(), 'UTC'])];
}

// ---------------------------------------------------------------------------------------------
// Announcing new high and critical incidents

const seen = new Set<string>();
let primed = false;
let unseen = 0;
let baseTitle = '';

export const soundOn = (): boolean => sound;

/** Turns the tone on or off (remembered); turning it on is a click, so the audio may start. */
export function setSound(on: boolean): void {
  sound = on;
  writeKey(SOUND_KEY, on ? 'on' : null);
  if (on) void audio()?.resume();
}

/** Whether desktop notifications are allowed, refused, or not asked yet ('unsupported' without the API). */
export function notificationPermission(): NotificationPermission | 'unsupported' {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}

/** Asks for desktop notifications (from a click). */
export async function askNotifications(): Promise<NotificationPermission | 'unsupported'> {
  if (typeof Notification === 'undefined') return 'unsupported';
  return Notification.requestPermission();
}

/** The number of new high or critical incidents since the page was last looked at. */
export const unseenCount = (): number => unseen;

/** The page is looked at again: the count in the title goes. */
export function markSeen(): void {
  unseen = 0;
  showTitle();
}

function showTitle(): void {
  if (typeof document === 'undefined') return;
  if (!baseTitle) baseTitle = document.title.replace(/^\(\d+\)\s*/, '') || 'Vigil';
  document.title = unseen > 0 ? `(${unseen}) ${baseTitle}` : baseTitle;
}

/** A list item as far as announcing goes. */
export interface Announceable {
  id: string;
  type: string;
  site: string;
  status: string;
  severity: { band: string };
}

/**
 * Looks at a fresh list: every high or critical incident not seen before (after the first list,
 * which is what was already there) is announced once. Returns the ones announced.
 */
export function noticeIncidents(items: readonly Announceable[], describe: (it: Announceable) => string): Announceable[] {
  const fresh: Announceable[] = [];
  for (const it of items) {
    if (seen.has(it.id)) continue;
    seen.add(it.id);
    if (primed && (it.severity.band === 'high' || it.severity.band === 'critical') && it.status === 'open') fresh.push(it);
  }
  primed = true;
  if (fresh.length === 0) return fresh;
  const looking = typeof document !== 'undefined' && document.visibilityState === 'visible' && document.hasFocus();
  if (!looking) {
    unseen += fresh.length;
    showTitle();
  }
  if (sound) tone(fresh.some((f) => f.severity.band === 'critical'));
  if (notificationPermission() === 'granted') {
    for (const f of fresh.slice(0, 3)) {
      try {
        new Notification(`Vigil: ${f.severity.band} incident`, { body: describe(f), tag: `vigil-${f.id}` });
      } catch {
        /* some browsers only notify from a service worker */
      }
    }
  }
  return fresh;
}

/** Forgets what was seen (sign-out): the next list is the baseline again. */
export function resetAnnouncements(): void {
  seen.clear();
  primed = false;
  markSeen();
}

let ctx: AudioContext | null = null;
function audio(): AudioContext | null {
  if (typeof AudioContext === 'undefined') return null;
  ctx ??= new AudioContext();
  return ctx;
}

/** Two short beeps (three for critical), synthesised: no audio file. */
function tone(critical: boolean): void {
  const a = audio();
  if (!a) return;
  const t0 = a.currentTime + 0.02;
  const beeps = critical ? 3 : 2;
  for (let k = 0; k < beeps; k++) {
    const osc = a.createOscillator();
    const gain = a.createGain();
    osc.type = 'sine';
    osc.frequency.value = critical ? 988 : 784;
    const t = t0 + k * 0.22;
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.16);
    osc.connect(gain).connect(a.destination);
    osc.start(t);
    osc.stop(t + 0.18);
  }
}
