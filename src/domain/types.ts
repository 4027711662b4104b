/**
 * Glossary of Vigil's domain. Every other module speaks these names.
 *
 * - SecurityEvent: one normalised signal from a site (camera, access control, POS, alarm, inventory, device).
 * - Incident: one or more correlated events at a site that together mean something happened.
 * - Site / Zone: a physical place and an area on its plan (metres); zones may be restricted and adjacent.
 * - Asset: something of value at a site (cash safe, server, merchandise cage) with value and vulnerability.
 * - Device: a camera, sensor, reader or scanner that produces events and covers zones.
 * - Severity: the explainable 0-100 score of an incident, with its factors and the policy version.
 * - Loss: the itemised money impact of an incident (gross, recovered, net).
 * - Band: low | medium | high | critical, from the severity score and the policy thresholds.
 * - Policy: the versioned data (weights, thresholds, tables) that the formulas read.
 * - Step: one named, journaled, idempotent stage of an incident's workflow (ids in CONTRACT.md).
 */

/** Where a signal came from. */
export const SOURCES = ['cctv', 'access_control', 'pos', 'alarm', 'inventory', 'device'] as const;
export type Source = (typeof SOURCES)[number];

/** Known event types per source (more may be added by policy). */
export const EVENT_TYPES: Record<Source, readonly string[]> = {
  cctv: ['motion', 'person_detected', 'loitering', 'camera_tamper'],
  access_control: ['door_forced', 'door_held_open', 'access_denied', 'access_granted', 'tailgating'],
  pos: ['void', 'no_sale', 'refund', 'price_override', 'cash_shortage'],
  alarm: ['intrusion', 'glass_break', 'panic', 'eas_gate'],
  inventory: ['shrink_discrepancy'],
  device: ['heartbeat', 'offline', 'online', 'recording_on', 'recording_off'],
};

/** An amount of money: a decimal string in major units and an ISO 4217 currency. */
export interface Money {
  value: string;
  currency: string;
}

/** The one normalised event shape every source translates into. */
export interface SecurityEvent {
  source: Source;
  type: string;
  sourceEventId?: string;
  /** ISO 8601 instant, normalised to UTC (`...Z`). */
  occurredAt: string;
  site: string;
  zone?: string;
  device?: string;
  badge?: string;
  assets?: string[];
  amount?: Money;
  details: Record<string, unknown>;
}

/** A stored event: the normalised event plus its store identity. */
export interface StoredEvent extends SecurityEvent {
  id: string;
  receivedAt: string;
  incidentId?: string | null;
}

export const INCIDENT_TYPES = [
  'theft',
  'unauthorized_entry',
  'vandalism',
  'fraud',
  'tampering',
  'suspicious_activity',
] as const;
export type IncidentType = (typeof INCIDENT_TYPES)[number];

export const INCIDENT_STATUSES = ['open', 'acknowledged', 'investigating', 'resolved', 'archived'] as const;
export type IncidentStatus = (typeof INCIDENT_STATUSES)[number];

export const BANDS = ['low', 'medium', 'high', 'critical'] as const;
export type Band = (typeof BANDS)[number];

/** One term of the severity formula: value in [0,1], weight, and contribution in score points. */
export interface SeverityFactor {
  name: string;
  value: number;
  weight: number;
  contribution: number;
  /** Human explanation of the value, e.g. "02:14 local, outside 08:00-22:00". */
  detail: string;
}

export interface Severity {
  score: number;
  band: Band;
  policyVersion: string;
  factors: SeverityFactor[];
}

/** One line of the loss breakdown. */
export interface LossItem {
  kind: 'replacement' | 'downtime' | 'fines' | 'remediation' | 'recovered';
  description: string;
  amount: string;
  assetId?: string;
}

export interface Loss {
  currency: string;
  replacement: string;
  downtime: string;
  fines: string;
  remediation: string;
  recovered: string;
  gross: string;
  net: string;
  items: LossItem[];
  /** Net loss is above the policy's executive threshold. */
  executiveEscalation: boolean;
}

export type StepStatus = 'pending' | 'running' | 'done' | 'skipped' | 'failed';
