/**
 * The archive record of an incident: one self-contained JSON document with everything the case
 * holds (the incident, its events and severity history, the touched assets, the workflow journal,
 * every report version with its digest, tasks and their comments, case notes, notifications and
 * their delivery attempts, patrols, access and equipment findings, asset status changes, risk
 * recalculations and the audit trail with each record's leaf index), its SHA-256 digest over the
 * canonical JSON, and its leaf in the transparency log.
 *
 * `archiveIncident` is the one operation that archives (the workflow step, the daily sweep and
 * `vigil archive` all call it): in the caller's transaction it checks that the incident is
 * resolved and old enough, builds and stores the record, appends its leaf, moves the incident to
 * `archived`, and appends the audit record of that move, whose append signs the checkpoint.
 */
import { digestOf } from '../domain/canonical-json.js';
import type { CheckpointSigner } from '../domain/checkpoint.js';
import { archiveLeafData } from '../domain/log-leaves.js';
import { getArchiveRecord, insertArchiveRecord, lockIncidentForArchive, markIncidentArchived, readCase, type CaseRows } from '../store/archive.js';
import { appendAuditRecord, auditTrailOf } from '../store/audit-log.js';
import type { Queryable } from '../store/db.js';
import { appendLeaves } from '../store/transparency-log.js';

/** The format name every archive record carries. */
export const RECORD_FORMAT = 'vigil-archive-record/1';

/** The retention rules an archive applies (policy.retention). */
export interface RetentionRules {
  archiveAfterHours: number;
  keepYears: number;
}

/** What `archiveIncident` did. */
export type ArchiveOutcome =
  | { status: 'archived'; incidentId: string; site: string; leafIndex: number; digest: string; retainUntil: Date; treeSize: number }
  | { status: 'already'; incidentId: string; leafIndex: number; digest: string }
  | { status: 'not-resolved'; incidentId: string; current: string }
  | { status: 'not-due'; incidentId: string; dueAt: Date }
  | { status: 'missing'; incidentId: string };

/** The date `years` calendar years after `d` (UTC). */
export function yearsAfter(d: Date, years: number): Date {
  const out = new Date(d.getTime());
  const whole = Math.floor(years);
  out.setUTCFullYear(out.getUTCFullYear() + whole);
  const rest = years - whole;
  return rest > 0 ? new Date(out.getTime() + Math.round(rest * 365.25 * 86_400_000)) : out;
}

/** The record document (before its digest is taken). */
export function buildRecord(c: CaseRows, audit: unknown[], meta: { archivedAt: Date; resolvedAt: Date; retainUntil: Date; rules: RetentionRules }): Record<string, unknown> {
  const comments = new Map<string, unknown[]>();
  for (const x of c.taskComments as { task_id: string }[]) comments.set(x.task_id, [...(comments.get(x.task_id) ?? []), x]);
  const attempts = new Map<string, unknown[]>();
  for (const x of c.notificationAttempts as { notification_id: string }[]) attempts.set(x.notification_id, [...(attempts.get(x.notification_id) ?? []), x]);
  return {
    format: RECORD_FORMAT,
    incidentId: c.incident.id,
    site: c.incident.site,
    archivedAt: meta.archivedAt.toISOString(),
    resolvedAt: meta.resolvedAt.toISOString(),
    retainUntil: meta.retainUntil.toISOString(),
    retention: { archiveAfterHours: meta.rules.archiveAfterHours, keepYears: meta.rules.keepYears },
    incident: c.incident,
    events: c.events,
    severityHistory: c.scores,
    assets: c.assets,
    workflow: c.workflow,
    reportVersions: c.reportVersions,
    tasks: (c.tasks as { id: string }[]).map((t) => ({ ...t, comments: comments.get(t.id) ?? [] })),
    notes: c.notes,
    notifications: (c.notifications as { id: string }[]).map((n) => ({ ...n, attempts: attempts.get(n.id) ?? [] })),
    patrols: c.patrols,
    accessFindings: c.accessFindings,
    equipmentFindings: c.equipmentFindings,
    assetStatusChanges: c.assetStatusChanges,
    riskHistory: c.riskHistory,
    audit,
  };
}

/** The words the archive search looks in (lower case, each once). */
export function searchTextOf(c: CaseRows): string {
  const words = new Set<string>();
  const add = (v: unknown) => {
    if (typeof v === 'string') for (const w of v.toLowerCase().split(/\s+/)) if (w) words.add(w);
  };
  const i = c.incident;
  for (const k of ['id', 'site', 'zone', 'type', 'band', 'outcome', 'resolution', 'resolved_by', 'acknowledged_by']) add(i[k]);
  for (const a of c.assets as { asset_id?: string }[]) add(a.asset_id);
  for (const e of c.events as { type?: string; badge?: string; device?: string; source?: string; source_event_id?: string }[]) {
    add(e.type);
    add(e.badge);
    add(e.device);
    add(e.source);
    add(e.source_event_id);
  }
  for (const n of c.notes as { text?: string; author?: string }[]) {
    add(n.text);
    add(n.author);
  }
  for (const t of c.tasks as { title?: string; assignee?: string }[]) {
    add(t.title);
    add(t.assignee);
  }
  for (const p of c.patrols as { guard_id?: string }[]) add(p.guard_id);
  return [...words].join(' ').slice(0, 100_000);
}

/**
 * Archives incident `id` in transaction `tx` if it is resolved and was resolved at least
 * `minAgeMs` ago (default: the policy delay). Idempotent: an archived incident is `already`.
 */
export async function archiveIncident(
  tx: Queryable,
  id: string,
  opts: { now: Date; rules: RetentionRules; signer?: CheckpointSigner; minAgeMs?: number; actor?: string },
): Promise<ArchiveOutcome> {
  const inc = await lockIncidentForArchive(tx, id);
  if (!inc) return { status: 'missing', incidentId: id };
  if (inc.status === 'archived') {
    const rec = await getArchiveRecord(tx, id);
    if (rec) return { status: 'already', incidentId: id, leafIndex: rec.leaf_index, digest: rec.digest };
  }
  if (inc.status !== 'resolved' || !inc.resolved_at) return { status: 'not-resolved', incidentId: id, current: inc.status };
  const minAge = opts.minAgeMs ?? opts.rules.archiveAfterHours * 3_600_000;
  const dueAt = new Date(inc.resolved_at.getTime() + minAge);
  if (opts.now < dueAt) return { status: 'not-due', incidentId: id, dueAt };

  const rows = (await readCase(tx, id))!;
  const audit = (await auditTrailOf(tx, id)).map((a) => ({
    seq: a.seq,
    at: a.at.toISOString(),
    actor: a.actor,
    action: a.action,
    target: a.target,
    details: a.details,
    beforeDigest: a.before_digest,
    afterDigest: a.after_digest,
    leafIndex: a.leaf_index,
  }));
  const resolvedAt = inc.resolved_at;
  const retainUntil = yearsAfter(resolvedAt, opts.rules.keepYears);
  const record = buildRecord(rows, audit, { archivedAt: opts.now, resolvedAt, retainUntil, rules: opts.rules });
  const digest = digestOf(record);
  const leaf = { incidentId: id, site: inc.site, archivedAt: opts.now, resolvedAt, retainUntil, digest };
  const appended = await appendLeaves(tx, [{ kind: 'archive', ref: id, data: archiveLeafData(leaf) }], opts.now);
  const leafIndex = appended.indexes[0];
  await insertArchiveRecord(tx, { incident_id: id, site: inc.site, archived_at: opts.now, resolved_at: resolvedAt, retain_until: retainUntil, record, digest, leaf_index: leafIndex, search_text: searchTextOf(rows) });
  await markIncidentArchived(tx, id, opts.now);
  const done = await appendAuditRecord(
    tx,
    {
      at: opts.now,
      actor: opts.actor ?? 'vigil',
      action: 'incident.archive',
      target: id,
      details: { from: 'resolved', to: 'archived', leafIndex, digest, retainUntil: retainUntil.toISOString() },
      before: { id, status: 'resolved' },
      after: { id, status: 'archived', digest },
    },
    opts.signer,
  );
  return { status: 'archived', incidentId: id, site: inc.site, leafIndex, digest, retainUntil, treeSize: done.log.treeSize };
}
