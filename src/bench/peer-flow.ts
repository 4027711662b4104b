/**
 * The peer of the detection-to-alert benchmark (`vigil bench --peers`): Vigil's triage as a
 * Node-RED 4 flow, built from the same configuration the Vigil side serves. The flow is
 *
 *   HTTP in (POST /api/v1/events) -> function "triage" -> HTTP response 202
 *                                                      -> HTTP request (SMS, Twilio's form POST)
 *
 * and keeps everything in memory: nothing is committed anywhere, which is the point of the
 * comparison (Vigil commits every event before its 202 and sends the SMS after the commit).
 *
 * The function mirrors Vigil's default policy for what one event can say (src/domain/severity.ts,
 * src/config/policy.default.yaml): the event rule's breach value and when the rule opens an
 * incident, the most valuable asset standing in the event's zone (log-scaled criticality) and the
 * most vulnerable one, after hours in the site's own time zone, and the restricted zone; the same
 * weights, the same rounding and the same band thresholds. It leaves out what needs history or
 * other events, which a stateless flow does not have: contagion (high-risk assets next door),
 * camera outages, recurrence, corroboration and assets within reach in adjacent zones. On a first
 * event those are 0 in Vigil too except contagion and reach, so a flow's band can be lower than
 * Vigil's for an event next to valuable assets (never higher); the unit test shows both.
 */
import type { Config } from '../config/schema.js';

/** What the triage function reads, set once by the function node's initialize code. */
export interface TriageTable {
  rules: Record<string, { opens: string; breach: number }>;
  weights: { breachType: number; assetCriticality: number; assetVulnerability: number; afterHours: number; restrictedZone: number };
  /** policy.severity.criticalAssetValue in major units. */
  criticalValue: number;
  bands: { medium: number; high: number; critical: number };
  /** The band from which an SMS goes out (policy.notify.smsMinBand). */
  smsMinBand: 'low' | 'medium' | 'high' | 'critical';
  sites: Record<
    string,
    {
      tz: string;
      hours: { open: number; close: number; days: string[] | null };
      zones: Record<string, { restricted: boolean; value: number; vulnerability: number }>;
      /** Phones alerted by SMS: the site's security leads and rapid-response contacts. */
      phones: string[];
    }
  >;
  sms: { from: string; authorization: string };
}

/**
 * The function node's body (Node-RED gives it `msg` and `context`). Output 1 is the 202 reply,
 * output 2 one SMS request per phone when the band is at least smsMinBand.
 */
export const TRIAGE_FUNCTION = `// Vigil's triage of one event (default policy, first event of an incident): see peer-flow.ts.
const t = context.get('triage');
const e = msg.payload || {};
msg.statusCode = 202;
const rule = t.rules[e.source + '.' + e.type];
const site = t.sites[e.site];
if (!rule || !site) { msg.payload = { accepted: 1, band: null }; return [msg, null]; }
const zone = site.zones[e.zone] || { restricted: false, value: 0, vulnerability: 0 };
// After hours: outside the site's business hours in its own time zone.
const f = t.fmt[site.tz] || (t.fmt[site.tz] = new Intl.DateTimeFormat('en-US', { timeZone: site.tz, hourCycle: 'h23', hour: 'numeric', minute: 'numeric', weekday: 'short' }));
const p = {};
for (const x of f.formatToParts(new Date(e.occurredAt))) p[x.type] = x.value;
const m = (Number(p.hour) % 24) * 60 + Number(p.minute), h = site.hours;
const within = (h.days && !h.days.includes(String(p.weekday).toLowerCase())) ? false
  : h.open === h.close ? true : h.open < h.close ? m >= h.open && m < h.close : m >= h.open || m < h.close;
const afterHours = !within;
const opens = rule.opens === 'always' || (rule.opens === 'offHoursOrRestricted' && (afterHours || zone.restricted));
if (!opens) { msg.payload = { accepted: 1, band: null }; return [msg, null]; }
// score = 100 x sum(weight x value), each value to 4 decimals, each contribution to 2, the sum to 1.
const crit = zone.value > 0 ? Math.min(1, Math.log1p(zone.value) / Math.log1p(t.criticalValue)) : 0;
const r4 = (x) => Math.round(Math.min(1, Math.max(0, x)) * 10000) / 10000, r2 = (x) => Math.round(x * 100) / 100, w = t.weights;
const sum = r2(100 * w.breachType * r4(rule.breach)) + r2(100 * w.assetCriticality * r4(crit)) + r2(100 * w.assetVulnerability * r4(zone.vulnerability))
  + r2(100 * w.afterHours * (afterHours ? 1 : 0)) + r2(100 * w.restrictedZone * (zone.restricted ? 1 : 0));
const score = Math.min(100, Math.max(0, Math.round(sum * 10) / 10));
const band = score >= t.bands.critical ? 'critical' : score >= t.bands.high ? 'high' : score >= t.bands.medium ? 'medium' : 'low';
msg.payload = { accepted: 1, score: score, band: band };
const rank = { low: 0, medium: 1, high: 2, critical: 3 };
if (rank[band] < rank[t.smsMinBand]) return [msg, null];
const text = 'SECURITY ' + band.toUpperCase() + ': ' + e.type + ' at ' + e.site + ' ' + (e.zone || '') + ' #incident=' + encodeURIComponent(e.sourceEventId || '');
const sms = site.phones.map((to) => ({
  headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: t.sms.authorization },
  payload: 'To=' + encodeURIComponent(to) + '&From=' + encodeURIComponent(t.sms.from) + '&Body=' + encodeURIComponent(text),
}));
return [msg, sms];
`;

const hhmm = (s: string) => Number(s.slice(0, 2)) * 60 + Number(s.slice(3, 5));

/** The triage table of a configuration (its policy, sites, zones, assets and SMS recipients). */
export function triageTable(config: Config, sms: { accountSid: string; authToken: string; from: string }): TriageTable {
  const p = config.policy;
  const rules: TriageTable['rules'] = {};
  for (const [k, r] of Object.entries(p.eventRules)) rules[k] = { opens: r.opens, breach: r.breach };
  const sites: TriageTable['sites'] = {};
  for (const s of config.sites) {
    const zones: TriageTable['sites'][string]['zones'] = {};
    for (const z of s.zones) {
      const assets = s.assets.filter((a) => a.zone === z.id);
      zones[z.id] = {
        restricted: !!z.restricted,
        value: assets.reduce((m, a) => Math.max(m, Number(a.value)), 0),
        vulnerability: assets.reduce((m, a) => Math.max(m, a.vulnerability ?? 0), 0),
      };
    }
    const phones = config.contacts
      .filter((c) => (c.role === 'security_lead' || c.role === 'rapid_response') && c.phone && (c.sites.length === 0 || c.sites.includes(s.id)))
      .map((c) => c.phone!);
    sites[s.id] = { tz: s.timezone, hours: { open: hhmm(s.businessHours.open), close: hhmm(s.businessHours.close), days: s.businessHours.days ?? null }, zones, phones };
  }
  const w = p.severity.weights;
  return {
    rules,
    weights: { breachType: w.breachType, assetCriticality: w.assetCriticality, assetVulnerability: w.assetVulnerability, afterHours: w.afterHours, restrictedZone: w.restrictedZone },
    criticalValue: Number(p.severity.criticalAssetValue),
    bands: { ...p.severity.bands },
    smsMinBand: p.notify.smsMinBand,
    sites,
    sms: { from: sms.from, authorization: 'Basic ' + Buffer.from(`${sms.accountSid}:${sms.authToken}`).toString('base64') },
  };
}

/** The function node's initialize code: the table, once, into the node's memory context. */
export function initializeSource(table: TriageTable): string {
  return `context.set('triage', Object.assign(${JSON.stringify(table)}, { fmt: {} }));\n`;
}

export interface PeerFlowOptions {
  /** The Twilio-compatible API's base URL (the same receiver the Vigil side alerts through). */
  smsBaseUrl: string;
  accountSid: string;
  authToken: string;
  from: string;
}

/** The flows.json of the peer: one tab, HTTP in -> triage -> 202 reply and SMS request. */
export function buildPeerFlows(config: Config, o: PeerFlowOptions): Record<string, unknown>[] {
  const table = triageTable(config, o);
  const z = 'vigil-peer-tab';
  return [
    { id: z, type: 'tab', label: 'Vigil triage (peer)', disabled: false, info: 'The same triage as Vigil, in memory, nothing committed.' },
    { id: 'vigil-peer-in', type: 'http in', z, name: 'POST event', url: '/api/v1/events', method: 'post', upload: false, swaggerDoc: '', x: 120, y: 80, wires: [['vigil-peer-triage']] },
    {
      id: 'vigil-peer-triage',
      type: 'function',
      z,
      name: 'triage: severity and band',
      func: TRIAGE_FUNCTION,
      outputs: 2,
      timeout: 0,
      noerr: 0,
      initialize: initializeSource(table),
      finalize: '',
      libs: [],
      x: 330,
      y: 80,
      wires: [['vigil-peer-reply'], ['vigil-peer-sms']],
    },
    { id: 'vigil-peer-reply', type: 'http response', z, name: '202', statusCode: '202', headers: {}, x: 560, y: 60, wires: [] },
    {
      id: 'vigil-peer-sms',
      type: 'http request',
      z,
      name: 'SMS (Twilio form POST)',
      method: 'POST',
      ret: 'txt',
      paytoqs: 'ignore',
      url: `${o.smsBaseUrl.replace(/\/$/, '')}/2010-04-01/Accounts/${o.accountSid}/Messages.json`,
      tls: '',
      persist: true,
      proxy: '',
      insecureHTTPParser: false,
      authType: '',
      senderr: false,
      headers: [],
      x: 580,
      y: 120,
      wires: [[]],
    },
  ];
}

/** Node-RED's settings file: the flow file and user directory in `userDir`, HTTP nodes at /, admin API only on 127.0.0.1 without auth. */
export function peerSettings(p: { userDir: string; port: number }): string {
  const settings = {
    uiHost: '127.0.0.1',
    uiPort: p.port,
    userDir: p.userDir,
    flowFile: 'flows.json',
    flowFilePretty: true,
    credentialSecret: false,
    httpAdminRoot: '/admin',
    httpNodeRoot: '/',
    disableEditor: true,
    diagnostics: { enabled: false, ui: false },
    telemetry: { enabled: false },
    externalModules: { autoInstall: false, palette: { allowInstall: false }, modules: { allowInstall: false } },
    functionExternalModules: false,
    logging: { console: { level: 'info', metrics: false, audit: false } },
    contextStorage: { default: { module: 'memory' } },
  };
  return `// Written by vigil bench --peers: the peer of the detection-to-alert benchmark.\nmodule.exports = ${JSON.stringify(settings, null, 2)};\n`;
}
