/**
 * The VERIS export (GET /api/v1/incidents/{id}/veris): an incident as a VERIS 1.4 incident record
 * (the VERIS Community schema, `schema_name` "verisc", `schema_version` "1.4.0"), for insurers and
 * information-sharing groups. A pure function of the incident read model and the organisation
 * model: no I/O, the same incident always gives the same record (`plus.master_id` is a UUID
 * derived from the incident id, so a re-export updates rather than duplicates a shared record).
 *
 * What Vigil knows maps onto VERIS like this:
 * - action: physical incidents are `action.physical` (variety by incident type: theft -> Theft,
 *   unauthorized entry -> Bypassed controls, vandalism -> Destruction, tampering -> Tampering,
 *   suspicious activity -> Surveillance), with the vector from the zones (a restricted zone ->
 *   Victim secure area, entrances, sales floors and lobbies -> Victim public area, yards and
 *   loading docks -> Victim grounds, any other zone -> Victim work area). Till fraud is
 *   `action.misuse` (Privilege abuse through Physical access) by an internal Cashier.
 * - actor: unknown outsiders (financial motive for theft), internal cashiers for fraud.
 * - asset.assets: the touched assets counted per VERIS variety (IT-like categories map to their
 *   variety, goods and cash to "Other"); `asset.cloud` On-Premise.
 * - attribute: availability Loss (theft) or Destruction (vandalism); integrity Hardware tampering
 *   (tampering) or Fraudulent transaction (fraud); confidentiality when a touched asset holds
 *   sensitive data (data disclosure "Potentially") or a restricted zone was entered ("Unknown").
 * - impact: the loss in its ISO currency: overall_amount the net loss, one loss item per non-zero
 *   component (replacement -> Asset and fraud, downtime -> Business disruption, fines -> Legal and
 *   regulatory, remediation -> Response and recovery); overall_rating from the severity band.
 *   Amounts are JSON numbers because the schema says so; they are written from the exact decimal
 *   strings, never computed in floating point.
 * - timeline.incident: the local date (and 12-hour time) of the first event in the site's zone.
 * - security_incident from the outcome: confirmed_loss, recovered and referred_to_police ->
 *   Confirmed; no_loss -> Near miss; false_alarm -> False positive; unresolved -> Suspected.
 * - discovery_method: internal: Fraud detection (POS), Financial audit (inventory), else Security alarm.
 * Case notes are not exported: they name people and are for the case file, not for sharing.
 */
import { createHash } from 'node:crypto';
import type { Policy } from '../config/schema.js';
import { localTime } from '../domain/local-time.js';
import type { OrgModel } from '../domain/site-model.js';
import type { IncidentDetail } from '../store/read/incidents.js';

/** The schema version the export follows. */
export const VERIS_SCHEMA_VERSION = '1.4.0';

/** A VERIS incident record (the parts Vigil fills). */
export interface VerisIncident {
  schema_version: string;
  schema_name: 'verisc';
  incident_id: string;
  source_id: string;
  security_incident: 'Confirmed' | 'Suspected' | 'Near miss' | 'False positive';
  confidence: 'High' | 'Medium' | 'Low' | 'None';
  summary: string;
  timeline: { incident: { year: number; month: number; day: number; time: string } };
  victim: { victim_id: string; industry: string; country: string[]; employee_count: string; government: string[]; locations_affected: number };
  action: {
    physical?: { variety: string[]; vector: string[] };
    misuse?: { variety: string[]; vector: string[] };
  };
  actor: { external?: { variety: string[]; motive: string[] }; internal?: { variety: string[]; motive: string[] } };
  asset: { assets: { variety: string; amount?: number }[]; cloud: string[]; notes?: string };
  attribute?: {
    availability?: { variety: string[] };
    integrity?: { variety: string[] };
    confidentiality?: { data_disclosure: string; data?: { variety: string }[] };
  };
  discovery_method: { internal: { variety: string[] } };
  impact: {
    overall_rating: string;
    iso_currency_code: string;
    overall_amount: number;
    loss?: { variety: string; amount: number }[];
    notes?: string;
  };
  plus: { master_id: string; created: string; modified: string; vigil: { outcome: string | null; status: string; band: string; score: number; site: string; zones: string[] } };
}

const PHYSICAL_VARIETY: Record<string, string> = {
  theft: 'Theft',
  unauthorized_entry: 'Bypassed controls',
  vandalism: 'Destruction',
  tampering: 'Tampering',
  suspicious_activity: 'Surveillance',
};

const PUBLIC_KINDS = new Set(['entrance', 'sales_floor', 'lobby', 'public', 'pharmacy_counter', 'checkout']);
const GROUNDS_KINDS = new Set(['yard', 'loading_dock', 'parking', 'exterior', 'grounds']);

/** VERIS asset variety of an asset category (categories are free text in the configuration). */
const ASSET_VARIETY: Record<string, string> = {
  pos: 'U - POS terminal',
  pos_terminal: 'U - POS terminal',
  data: 'S - Other',
  server: 'S - Other',
  database: 'S - Database',
  network: 'N - Other',
  camera: 'N - Camera',
  access_reader: 'N - Access reader',
  laptop: 'U - Laptop',
  desktop: 'U - Desktop',
  mobile_phone: 'U - Mobile phone',
  tablet: 'U - Tablet',
  documents: 'M - Documents',
  records: 'M - Documents',
  payment_card: 'M - Payment card',
  kiosk: 'T - Kiosk',
  atm: 'T - ATM',
};

const RATING: Record<string, string> = { critical: 'Damaging', high: 'Painful', medium: 'Distracting', low: 'Insignificant' };

const LOSS_VARIETY: [key: 'replacement' | 'downtime' | 'fines' | 'remediation', variety: string][] = [
  ['replacement', 'Asset and fraud'],
  ['downtime', 'Business disruption'],
  ['fines', 'Legal and regulatory'],
  ['remediation', 'Response and recovery'],
];

/** A type-4-shaped UUID derived from the incident id (stable across exports). */
export function masterId(incidentId: string): string {
  const h = createHash('sha256').update(`vigil-veris:${incidentId}`).digest();
  h[6] = (h[6] & 0x0f) | 0x40;
  h[8] = (h[8] & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20, 32)}`;
}

/** An exact decimal string as a JSON number (the schema's type for amounts). */
const amount = (decimal: string): number => Number(decimal);

/** The incident as a VERIS 1.4 record. */
export function toVeris(inc: IncidentDetail, org: OrgModel): VerisIncident {
  const policy: Policy = org.config.policy;
  const model = org.sites.get(inc.site);
  const tz = model?.site.timezone ?? org.config.organization.timezone;
  const first = new Date(inc.firstEventAt);
  const local = localTime(first, tz);
  const [year, month, day] = local.date.split('-').map(Number);
  const hour24 = Math.floor(local.minutes / 60);
  const hour12 = hour24 % 12 === 0 ? 12 : hour24 % 12;
  const time = `${String(hour12).padStart(2, '0')}:${String(local.minutes % 60).padStart(2, '0')}:${String(first.getUTCSeconds()).padStart(2, '0')} ${hour24 < 12 ? 'AM' : 'PM'}`;

  const zoneIds = inc.zones.length > 0 ? inc.zones : inc.zone ? [inc.zone] : [];
  const zones = zoneIds.map((z) => model?.zones.get(z)).filter((z) => z !== undefined);
  const vectors = [
    ...new Set(zones.map((z) => (z.restricted ? 'Victim secure area' : PUBLIC_KINDS.has(z.kind) ? 'Victim public area' : GROUNDS_KINDS.has(z.kind) ? 'Victim grounds' : 'Victim work area'))),
  ];
  const vector = vectors.length > 0 ? vectors : ['Unknown'];
  const restrictedEntered = zones.some((z) => z.restricted);

  const action: VerisIncident['action'] = {};
  const actor: VerisIncident['actor'] = {};
  const attribute: NonNullable<VerisIncident['attribute']> = {};
  if (inc.type === 'fraud') {
    action.misuse = { variety: ['Privilege abuse'], vector: ['Physical access'] };
    actor.internal = { variety: ['Cashier'], motive: ['Financial'] };
    attribute.integrity = { variety: ['Fraudulent transaction'] };
  } else {
    action.physical = { variety: [PHYSICAL_VARIETY[inc.type] ?? 'Unknown'], vector };
    actor.external = { variety: ['Unknown'], motive: [inc.type === 'theft' ? 'Financial' : 'Unknown'] };
    if (inc.type === 'theft') attribute.availability = { variety: ['Loss'] };
    if (inc.type === 'vandalism') attribute.availability = { variety: ['Destruction'] };
    if (inc.type === 'tampering') attribute.integrity = { variety: ['Hardware tampering'] };
  }
  const sensitive = inc.assets.some((a) => org.assets.get(a.id)?.sensitiveData === true);
  if (sensitive) attribute.confidentiality = { data_disclosure: 'Potentially' };
  else if (restrictedEntered && inc.type !== 'fraud') attribute.confidentiality = { data_disclosure: 'Unknown' };

  const counts = new Map<string, number>();
  for (const a of inc.assets) {
    const category = String(a.category ?? org.assets.get(a.id)?.category ?? '');
    const v = ASSET_VARIETY[category] ?? 'Other';
    counts.set(v, (counts.get(v) ?? 0) + 1);
  }
  const assets = counts.size > 0 ? [...counts].map(([variety, n]) => ({ variety, amount: n })) : [{ variety: 'Unknown' }];
  const names = inc.assets.map((a) => String(a.name ?? a.id));

  const loss = inc.loss as { currency: string; net: string; gross: string; recovered: string } & Record<string, string> | null;
  const currency = loss?.currency ?? org.config.organization.currency;
  const lossItems = loss ? LOSS_VARIETY.filter(([k]) => loss[k] !== undefined && amount(loss[k]) !== 0).map(([k, variety]) => ({ variety, amount: amount(loss[k]) })) : [];
  const rating = inc.outcome === 'false_alarm' ? 'Insignificant' : (RATING[inc.severity.band] ?? 'Unknown');

  const security: VerisIncident['security_incident'] =
    inc.outcome === 'false_alarm' ? 'False positive' : inc.outcome === 'no_loss' ? 'Near miss' : inc.outcome ? 'Confirmed' : 'Suspected';
  const confidence: VerisIncident['confidence'] = inc.outcome ? 'High' : inc.sources.length >= 2 ? 'Medium' : 'Low';
  const discovered = inc.sources.includes('pos') ? 'Fraud detection' : inc.sources.includes('inventory') ? 'Financial audit' : 'Security alarm';
  const where = [model?.site.name ?? inc.site, ...zones.map((z) => z.name)].join(', ');
  const summary =
    `${inc.type.replace('_', ' ')} at ${where} on ${local.date} ${local.hhmm} local time, ${inc.eventCount} event(s) from ${inc.sources.join(', ') || 'no source'}` +
    (names.length > 0 ? `; assets: ${names.join(', ')}` : '') +
    (loss ? `; net loss ${currency} ${loss.net}` : '') +
    (inc.outcome ? `; outcome ${inc.outcome.replace(/_/g, ' ')}` : '; not resolved yet') +
    '.';
  const v = policy.veris.victim;
  return {
    schema_version: VERIS_SCHEMA_VERSION,
    schema_name: 'verisc',
    incident_id: inc.id,
    source_id: 'vigil',
    security_incident: security,
    confidence,
    summary,
    timeline: { incident: { year, month, day, time } },
    victim: { victim_id: org.config.organization.name, industry: v.industry, country: [v.country], employee_count: v.employeeCount, government: [...v.government], locations_affected: 1 },
    action,
    actor,
    asset: { assets, cloud: ['On-Premise Asset(s)'], ...(names.length > 0 ? { notes: names.join('; ') } : {}) },
    ...(Object.keys(attribute).length > 0 ? { attribute } : {}),
    discovery_method: { internal: { variety: [discovered] } },
    impact: {
      overall_rating: rating,
      iso_currency_code: currency,
      overall_amount: loss ? amount(loss.net) : 0,
      ...(lossItems.length > 0 ? { loss: lossItems } : {}),
      ...(loss ? { notes: `gross ${loss.gross}, recovered ${loss.recovered}, net ${loss.net} ${currency}` } : {}),
    },
    plus: {
      master_id: masterId(inc.id),
      created: inc.openedAt,
      modified: inc.updatedAt,
      vigil: { outcome: inc.outcome, status: inc.status, band: inc.severity.band, score: inc.severity.score, site: inc.site, zones: zoneIds },
    },
  };
}
