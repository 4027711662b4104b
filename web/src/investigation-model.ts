/**
 * The shapes the investigation cards and pages read (steps 8-15). Only the fields the dashboard
 * shows; the server's answers carry more.
 */
import type { Incident } from './model.js';

export interface NoteItem {
  at: string;
  author: string;
  kind?: string;
  text: string;
}

export interface ChecklistItem {
  id: string;
  kind?: string;
  text?: string;
  count?: number;
  label?: string;
  camera?: string;
  from?: string;
  to?: string;
  /** The NVR's own snapshot and clip of the incident's events from this camera (http or https links only). */
  footage?: { eventId: string; at: string; nvrEventId: string; clip: string | null; snapshot: string | null }[];
  done?: boolean;
}

export interface TaskItem {
  id: string;
  kind: string;
  incidentId?: string | null;
  site: string;
  title: string;
  status: string;
  assignee?: string | null;
  dueAt?: string | null;
  overdue?: boolean;
  checklist: ChecklistItem[];
}

/** What the incident detail carries for the investigation cards. */
export interface InvestigationIncident {

  outcome?: string | null;
  notes?: NoteItem[];
  tasks?: TaskItem[];
}

/** The JSON report: its version, digest and sign-off (the content is not read here). */
export interface ReportVersionInfo {
  version: number;
  latestVersion: number;
  digest: string;
  generatedAt: string;
  signoff: { signedBy: string; signedAt: string; note: string | null } | null;
}

export interface RiskItem {
  scope: 'asset' | 'zone' | 'site';
  id: string;
  site: string;
  name?: string;
  likelihood: number;
  impact: number;
  score: number;
  band: string;
  recurring: boolean;
}

export interface DeviceAudit {
  site: string;
  at?: string;
  devices: { id: string; kind: string; zone?: string; online: boolean; recording?: boolean; lastSeenAt?: string | null; state?: string }[];
  coverage: { zone: string; share: number }[];
  blindSpots: { asset: string; name?: string; zone?: string }[];
}

export interface ArchiveItem {
  incidentId: string;
  site: string;
  archivedAt: string;
  resolvedAt?: string;
  retainUntil?: string;
  held?: boolean;
  digest?: string;
  netLoss?: string | null;
  currency?: string | null;
  type?: string;
  band?: string;
}

/** The incident detail with the investigation fields typed. */
export type WithInvestigation = Omit<Incident, keyof InvestigationIncident> & InvestigationIncident;
