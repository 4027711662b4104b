/**
 * CAP 1.2 (OASIS Common Alerting Protocol) output for incidents: one `<alert>` per incident message,
 * and an Atom feed of them (the usual way CAP feeds are published). Pure string building, no I/O, so
 * the same input always gives byte-identical output (feeds can be cached and diffed).
 *
 * Output is valid against shared/data/cap/cap12.xsd; the element order below follows that schema's
 * sequences exactly, because XSD validation rejects any reordering.
 */
import { formatWithOffset, isValidTimeZone } from '../domain/local-time.js';
import type { Band, IncidentType } from '../domain/types.js';

/** The incident fields a CAP message carries (a flattened view, so callers need not load the whole incident). */
export interface CapIncident {
  id: string;
  type: IncidentType;
  band: Band;
  score: number;
  status: string;
  siteId: string;
  siteName: string;
  zone?: string;
  zoneName?: string;
  /** ISO 8601 instant. */
  openedAt: string;
  headline: string;
  description: string;
  instruction?: string;
  url?: string;
  location?: { lat: number; lon: number };
  netLoss?: string;
  currency?: string;
}

/** One CAP message about an incident: an Alert when it opens, Updates as it changes, a Cancel when it is over. */
export interface CapMessage {
  identifier: string;
  sender: string;
  sent: Date;
  msgType: 'Alert' | 'Update' | 'Cancel';
  /** Earlier messages this one updates or cancels. */
  references?: { sender: string; identifier: string; sent: Date }[];
  incident: CapIncident;
  /** IANA time zone of the site: `sent` (and the references' `sent`) are shown with its offset; UTC otherwise. */
  timezone?: string;
}

const CAP_NS = 'urn:oasis:names:tc:emergency:cap:1.2';
const ATOM_NS = 'http://www.w3.org/2005/Atom';
const HEADLINE_MAX = 160;
/** Radius of the area circle around the site, in km: a store is small, 100 m covers it and its parking. */
const SITE_RADIUS_KM = '0.1';

const EVENT_NAMES: Record<IncidentType, string> = {
  theft: 'Theft',
  unauthorized_entry: 'Unauthorized entry',
  vandalism: 'Vandalism',
  fraud: 'Fraud',
  tampering: 'Tampering',
  suspicious_activity: 'Suspicious activity',
};

// Band → CAP enumerations. Urgency says how soon to act, severity how bad it is, responseType what to do.
const URGENCY: Record<Band, string> = { critical: 'Immediate', high: 'Expected', medium: 'Future', low: 'Future' };
const SEVERITY: Record<Band, string> = { critical: 'Extreme', high: 'Severe', medium: 'Moderate', low: 'Minor' };
const RESPONSE: Record<Band, string> = { critical: 'Execute', high: 'Prepare', medium: 'Assess', low: 'Monitor' };

/** The identifier of the seq-th CAP message about an incident (0 = the Alert); unique per incident and sequence. */
export function capIdentifier(incidentId: string, seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError(`CAP sequence must be a non-negative integer, got ${seq}`);
  return `vigil-incident-${capToken(incidentId)}-${seq}`;
}

/** One CAP 1.2 alert document (with XML declaration) for a message. */
export function capAlertXml(msg: CapMessage): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n${alertElement(msg, '')}\n`;
}

/** An Atom (RFC 4287) feed whose entries each embed one CAP alert as XML content (`application/cap+xml`). */
export function capFeedXml(feed: { id: string; title: string; updated: Date; selfUrl?: string; alerts: CapMessage[] }): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>', `<feed xmlns="${ATOM_NS}">`];
  out.push(`  <id>${text(feed.id)}</id>`);
  out.push(`  <title>${text(feed.title)}</title>`);
  out.push(`  <updated>${atomDate(feed.updated)}</updated>`);
  const self = httpUrl(feed.selfUrl);
  if (self) out.push(`  <link rel="self" type="application/atom+xml" href="${attr(self)}"/>`);
  // RFC 4287 needs an author on the feed unless every entry has one.
  out.push('  <author><name>Vigil</name></author>');
  for (const msg of feed.alerts) {
    const inc = msg.incident;
    out.push('  <entry>');
    // Entry ids must be IRIs; the CAP identifier itself need not be one.
    out.push(`    <id>urn:vigil:cap:${text(encodeURIComponent(capToken(msg.identifier)))}</id>`);
    out.push(`    <title>${text(headlineOf(inc))}</title>`);
    out.push(`    <updated>${capDate(msg.sent, msg.timezone)}</updated>`);
    const web = httpUrl(inc.url);
    if (web) out.push(`    <link rel="alternate" type="text/html" href="${attr(web)}"/>`);
    const summary = clean(inc.description);
    if (summary) out.push(`    <summary>${text(summary)}</summary>`);
    out.push('    <content type="application/cap+xml">');
    out.push(alertElement(msg, '      '));
    out.push('    </content>');
    out.push('  </entry>');
  }
  out.push('</feed>');
  return out.join('\n') + '\n';
}

/** The `<alert>` element, each line prefixed with `indent` (so it nests in the feed). */
function alertElement(msg: CapMessage, indent: string): string {
  const inc = msg.incident;
  const lines: string[] = [];
  const el = (depth: number, name: string, value: string) =>
    lines.push(`${indent}${'  '.repeat(depth)}<${name}>${text(value)}</${name}>`);
  const open = (depth: number, name: string) => lines.push(`${indent}${'  '.repeat(depth)}<${name}>`);
  const close = (depth: number, name: string) => lines.push(`${indent}${'  '.repeat(depth)}</${name}>`);
  const pair = (depth: number, name: string, valueName: string, value: string) => {
    open(depth, name);
    el(depth + 1, 'valueName', valueName);
    el(depth + 1, 'value', value);
    close(depth, name);
  };

  lines.push(`${indent}<alert xmlns="${CAP_NS}">`);
  el(1, 'identifier', capToken(msg.identifier));
  el(1, 'sender', capToken(msg.sender));
  el(1, 'sent', capDate(msg.sent, msg.timezone));
  el(1, 'status', 'Actual');
  el(1, 'msgType', msg.msgType);
  // Incident detail (people, badges, losses) is for the security team, not the public; CAP wants a
  // <restriction> whenever scope is Restricted.
  el(1, 'scope', 'Restricted');
  el(1, 'restriction', 'Vigil security operations');
  if (msg.msgType === 'Cancel') el(1, 'note', `Vigil incident ${capToken(inc.id)} is ${clean(inc.status) || 'closed'}`);
  const refs = msg.references ?? [];
  if (refs.length > 0) {
    // Each referenced `sent` is shown in the same zone as when it was sent, so the triple matches the original.
    el(1, 'references', refs.map((r) => `${capToken(r.sender)},${capToken(r.identifier)},${capDate(r.sent, msg.timezone)}`).join(' '));
  }
  el(1, 'incidents', capToken(inc.id));

  open(1, 'info');
  el(2, 'language', 'en-US');
  el(2, 'category', 'Security');
  el(2, 'event', EVENT_NAMES[inc.type] ?? humanize(inc.type));
  const cancel = msg.msgType === 'Cancel';
  // A Cancel means the incident is over: nothing more to do (AllClear), action no longer needed (Past).
  el(2, 'responseType', cancel ? 'AllClear' : (RESPONSE[inc.band] ?? 'Monitor'));
  el(2, 'urgency', cancel ? 'Past' : (URGENCY[inc.band] ?? 'Unknown'));
  el(2, 'severity', SEVERITY[inc.band] ?? 'Unknown');
  // Incidents come from sensor, access and POS events, i.e. observed; "suspicious activity" is an inference.
  el(2, 'certainty', inc.type === 'suspicious_activity' ? 'Likely' : 'Observed');
  pair(2, 'eventCode', 'VigilIncidentType', String(inc.type));
  const opened = new Date(inc.openedAt);
  if (!Number.isNaN(opened.getTime()) && inRange(opened)) el(2, 'onset', capDate(opened, msg.timezone));
  el(2, 'senderName', 'Vigil');
  const headline = headlineOf(inc);
  if (headline) el(2, 'headline', headline);
  const description = clean(inc.description);
  if (description) el(2, 'description', description);
  const instruction = clean(inc.instruction ?? '');
  if (instruction) el(2, 'instruction', instruction);
  const web = httpUrl(inc.url);
  if (web) el(2, 'web', web);
  if (Number.isFinite(inc.score)) pair(2, 'parameter', 'VigilScore', String(inc.score));
  pair(2, 'parameter', 'VigilBand', String(inc.band));
  pair(2, 'parameter', 'VigilStatus', clean(inc.status));
  pair(2, 'parameter', 'VigilSite', clean(inc.siteId));
  if (inc.zone) pair(2, 'parameter', 'VigilZone', clean(inc.zone));
  if (inc.netLoss !== undefined && inc.netLoss !== '') {
    pair(2, 'parameter', 'VigilNetLoss', clean(inc.netLoss));
    if (inc.currency) pair(2, 'parameter', 'VigilCurrency', clean(inc.currency));
  }
  open(2, 'area');
  const zoneName = clean(inc.zoneName ?? inc.zone ?? '');
  const siteName = clean(inc.siteName) || clean(inc.siteId);
  el(3, 'areaDesc', zoneName ? `${siteName} — ${zoneName}` : siteName);
  const circle = circleOf(inc.location);
  if (circle) el(3, 'circle', circle);
  close(2, 'area');
  close(1, 'info');
  lines.push(`${indent}</alert>`);
  return lines.join('\n');
}

/** The headline on one line, at most 160 characters (CAP's advice, for SMS-sized displays). */
function headlineOf(inc: CapIncident): string {
  const h = clean(inc.headline).replace(/\s+/g, ' ').trim();
  if ([...h].length <= HEADLINE_MAX) return h;
  // Cut on grapheme boundaries so an emoji or accented letter is never split in half.
  let out = '';
  let n = 0;
  for (const { segment } of new Intl.Segmenter('en', { granularity: 'grapheme' }).segment(h)) {
    const len = [...segment].length;
    if (n + len > HEADLINE_MAX - 1) break;
    out += segment;
    n += len;
  }
  return out.trimEnd() + '…';
}

/** "lat,lon radius" when the location is a real coordinate; CAP uses WGS 84 and km. */
function circleOf(loc: CapIncident['location']): string | null {
  if (!loc) return null;
  const { lat, lon } = loc;
  if (!Number.isFinite(lat) || !Number.isFinite(lon) || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  return `${coord(lat)},${coord(lon)} ${SITE_RADIUS_KM}`;
}

/** A coordinate with at most 6 decimals (~0.1 m) and never in exponent notation. */
function coord(v: number): string {
  const s = String(Number(v.toFixed(6)));
  return s === '-0' ? '0' : s;
}

/**
 * CAP's identifier, sender and references MUST NOT contain spaces, commas, `<` or `&` (references
 * are comma/space separated); replacing them the same way everywhere keeps references matching.
 */
function capToken(s: string): string {
  const t = clean(s).replace(/[\s,<&]/g, '_');
  return t === '' ? '_' : t;
}

/** http(s) URLs only, normalised by WHATWG URL so they are valid xs:anyURI; anything else is dropped. */
function httpUrl(u: string | undefined): string | null {
  if (!u) return null;
  try {
    const url = new URL(clean(u).trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
  } catch {
    return null;
  }
}

function humanize(type: string): string {
  const s = clean(String(type)).replace(/_/g, ' ');
  return s ? s[0]!.toUpperCase() + s.slice(1) : 'Security incident';
}

function inRange(d: Date): boolean {
  const y = d.getUTCFullYear();
  return y >= 1 && y <= 9999;
}

/** Drops characters XML 1.0 cannot carry at all (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF). */
function clean(s: string): string {
  let out = '';
  for (const ch of String(s)) {
    const c = ch.codePointAt(0)!;
    if (c === 0x9 || c === 0xa || c === 0xd || (c >= 0x20 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd) || c >= 0x10000) out += ch;
  }
  return out;
}

/** Element text: the five XML specials escaped; CR as a reference so parsers do not fold it into LF. */
function text(s: string): string {
  return clean(s).replace(/[&<>"'\r]/g, (c) => ESCAPES[c]!);
}

/** Attribute value: as text, and tab/LF escaped too so attribute normalisation keeps them. */
function attr(s: string): string {
  return text(s).replace(/[\t\n]/g, (c) => (c === '\t' ? '&#x9;' : '&#xA;'));
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;', '\r': '&#xD;' };

/**
 * CAP dateTime: `YYYY-MM-DDThh:mm:ss±hh:mm` in the site's zone, no fractions, no "Z"; CAP 1.2 says
 * UTC MUST be written `-00:00`, so a zero offset is written that way. An unknown zone falls back to
 * UTC rather than fail the whole alert.
 */
function capDate(d: Date, tz?: string): string {
  if (Number.isNaN(d.getTime())) throw new RangeError('CAP date is not a valid date');
  const zone = tz && isValidTimeZone(tz) ? tz : 'UTC';
  try {
    return formatWithOffset(d, zone, { zeroOffset: '-00:00' });
  } catch {
    throw new RangeError(`CAP date out of range: ${d.toISOString()}`);
  }
}

/** Atom (RFC 3339) timestamp in UTC, whole seconds. */
function atomDate(d: Date): string {
  if (Number.isNaN(d.getTime()) || !inRange(d)) throw new RangeError('feed date is not a valid date');
  return `${stamp(new Date(Math.floor(d.getTime() / 1000) * 1000))}Z`;
}

function stamp(d: Date): string {
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}
