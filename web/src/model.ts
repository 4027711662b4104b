/**
 * What the dashboard knows of the domain, all of it taken from the server's own modules: the
 * incident and site shapes as the read models and routes type them, bands, statuses and sources
 * from the glossary, step ids and titles from the declared workflow. Only presentation lives here
 * (labels and colours), keyed by those types so that a new band, source, factor or step does not
 * compile until it has them.
 */
import { INCIDENT_TRANSITIONS, type IncidentApiAction } from '../../src/domain/incident-lifecycle.js';
import type { SiteItem } from '../../src/api/routes/sites.js';
import type { Policy } from '../../src/config/schema.js';
import type { TouchedAsset } from '../../src/domain/assessment.js';
import { BANDS, INCIDENT_STATUSES, type Band, type IncidentStatus, type Loss, type Source, type StepStatus } from '../../src/domain/types.js';
import type { EventItem } from '../../src/store/read/events.js';
import type { IncidentSla } from '../../src/domain/sla.js';
import type { IncidentDetail, IncidentSummary as ReadSummary } from '../../src/store/read/incidents.js';
import type { Page } from '../../src/store/read/page.js';

export { BANDS, INCIDENT_STATUSES, SOURCES } from '../../src/domain/types.js';
export type { Band, IncidentStatus, IncidentType, Source, StepStatus } from '../../src/domain/types.js';
export { BUILT_INCIDENT_STEPS, INCIDENT_STEPS, STEP_TITLES } from '../../src/workflow/incident-response.js';
export type { EventItem, IncidentSla, Page, SiteItem };

/** One incident in a list, with its SLA deadlines (added by the route, domain/sla.ts). */
export type IncidentSummary = ReadSummary & IncidentSla;

/** An asset of an incident: the read model's view, with the fields the assessment records. */
export type IncidentAsset = IncidentDetail['assets'][number] & Partial<TouchedAsset>;

/**
 * One incident as `GET /api/v1/incidents/{id}` returns it. The read model leaves `loss` and the
 * asset entries open (they are stored JSON); they hold the domain's Loss and TouchedAsset.
 */
export interface Incident extends Omit<IncidentDetail, 'loss' | 'assets' | 'adjacentHighRisk'>, IncidentSla {
  loss: Loss | null;
  assets: IncidentAsset[];
  adjacentHighRisk: IncidentAsset[];
}

/** A zone, device, asset and guard of a site plan. */
export type Zone = SiteItem['zones'][number];
export type Device = SiteItem['devices'][number];
export type SiteAsset = SiteItem['assets'][number];
export type Point = [number, number];

/** Bands as the header shows them: most severe first. */
export const BANDS_DESC: readonly Band[] = [...BANDS].reverse();

export const BAND_COLOUR: Record<Band, string> = { low: '#3fb27f', medium: '#e6b422', high: '#f2811d', critical: '#ef4b55' };

export const SOURCE_COLOUR: Record<Source, string> = {
  cctv: '#b38cff',
  access_control: '#5cb3ff',
  pos: '#38c7b5',
  alarm: '#ef4b55',
  inventory: '#d9a066',
  device: '#93a4b8',
};
export const OTHER_SOURCE_COLOUR = '#c0c9d4';

/** The severity factors are the policy's weights. */
export type FactorName = keyof Policy['severity']['weights'];

export const FACTORS: Record<FactorName, { label: string; colour: string }> = {
  breachType: { label: 'Breach type', colour: '#ef4b55' },
  assetCriticality: { label: 'Asset criticality', colour: '#f2811d' },
  assetVulnerability: { label: 'Vulnerability', colour: '#e6b422' },
  contagion: { label: 'Contagion', colour: '#b38cff' },
  afterHours: { label: 'After hours', colour: '#5cb3ff' },
  restrictedZone: { label: 'Restricted zone', colour: '#e86fb0' },
  recurrence: { label: 'Recurrence', colour: '#38c7b5' },
  corroboration: { label: 'Corroboration', colour: '#8fd16a' },
};
/** Colours of factors a newer policy may add before the dashboard knows their names. */
export const EXTRA_FACTOR_COLOURS = ['#c0c9d4', '#7f8ea3', '#a3b8cc'];

/** The parts of the gross loss, in the order they are stacked. */
export const LOSS_PARTS: readonly { key: keyof Loss & ('replacement' | 'downtime' | 'fines' | 'remediation'); label: string; colour: string }[] = [
  { key: 'replacement', label: 'Replacement', colour: '#ef4b55' },
  { key: 'downtime', label: 'Downtime', colour: '#f2811d' },
  { key: 'fines', label: 'Fines', colour: '#b38cff' },
  { key: 'remediation', label: 'Remediation', colour: '#5cb3ff' },
];

/** The icon of a step status; 'none' is a step without a journal row yet. */
export const STEP_ICON: Record<StepStatus | 'none', string> = { done: '✓', running: '⟳', pending: '…', skipped: '↷', failed: '✕', none: '·' };

/** The lifecycle actions a person can take, with the statuses they apply to from the domain's transition table. */
export const ACTIONS: readonly { action: IncidentApiAction; label: string; done: string; from: readonly IncidentStatus[] }[] = (
  [
    { action: 'acknowledge', label: 'Acknowledge', done: 'Acknowledged' },
    { action: 'resolve', label: 'Resolve', done: 'Resolved' },
    { action: 'reopen', label: 'Reopen', done: 'Reopened' },
  ] as const satisfies readonly { action: IncidentApiAction; label: string; done: string }[]
).map((a) => ({ ...a, from: INCIDENT_TRANSITIONS[a.action].from }));
export type Action = (typeof ACTIONS)[number];

/** The list's status filter: the select's values and the statuses each one asks for. */
export const STATUS_FILTERS = {
  active: ['open', 'acknowledged', 'investigating'],
  open: ['open'],
  resolved: ['resolved', 'archived'],
  all: [],
} as const satisfies Record<string, readonly IncidentStatus[]>;
export type StatusFilter = keyof typeof STATUS_FILTERS;

/** `value` if it is one of `list`, else null: API text becomes a class name only after this check. */
export function known<T extends string>(list: readonly T[], value: unknown): T | null {
  return (list as readonly unknown[]).includes(value) ? (value as T) : null;
}

export const bandOf = (v: unknown): Band | null => known(BANDS, v);
export const statusOf = (v: unknown): IncidentStatus | null => known(INCIDENT_STATUSES, v);
export const bandClass = (band: unknown): string => (bandOf(band) ? `band-${band as Band}` : '');
export const statusClass = (status: unknown): string => (statusOf(status) ? `s-${status as IncidentStatus}` : '');
