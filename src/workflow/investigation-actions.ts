/**
 * What step 9 (create-investigation-task), the task API and the task monitor share: gathering an
 * incident's evidence checklist, opening an investigation task (due date, investigator in turn,
 * checklist, assignment email), and the task emails through the outbox. Each writes through the
 * store in the caller's transaction; emails leave through the outbox with an idempotency key.
 */
import type { Config } from '../config/schema.js';
import { contactsFor } from '../domain/contacts.js';
import type { Pt } from '../domain/coverage.js';
import {
  badgeWindow,
  badgeZones,
  clipItems,
  dueAt,
  investigatorInTurn,
  mergeChecklist,
  posTransactionsItem,
  sameChecklist,
  slaHours,
  withFootage,
  type BadgeEventsItem,
  type ChecklistItem,
} from '../domain/investigation.js';
import { taskAssignedEmail, type TaskMailInput } from '../domain/task-content.js';
import type { OrgModel } from '../domain/site-model.js';
import type { Queryable } from '../store/db.js';
import { enqueue, type OutboxItem } from '../store/notifications.js';
import { badgeEventsAround, incidentFootageEvents, incidentPosEvents, insertTask, nextRotationTurn, updateTask, type IncidentForTask, type TaskChange, type TaskRecord } from '../store/tasks.js';

/** The deterministic id of the workflow's investigation task of an incident. */
export const investigationTaskId = (incidentId: string): string => `task-${incidentId}`;

/**
 * The evidence checklist of an incident: clip windows, badge events around it, its POS transactions.
 * The badge window reaches past the incident's last event, so a list gathered before it closed is
 * marked incomplete and gathered again once it has (`refreshTaskEvidence`, from the task monitor).
 */
export async function gatherEvidence(tx: Queryable, org: OrgModel, inc: IncidentForTask, now: Date): Promise<ChecklistItem[]> {
  const model = org.sites.get(inc.site);
  if (!model) return [];
  const p = org.config.policy.investigation;
  const zones = inc.zones.length > 0 ? inc.zones : inc.zone ? [inc.zone] : [];
  const positions = new Map<string, Pt | undefined>(inc.touched.map((a) => [a, org.assets.get(a)?.position]));
  const clips = clipItems({ site: model, zones, assets: inc.touched, assetPositions: positions, firstEventAt: inc.first_event_at, lastEventAt: inc.last_event_at, clipPaddingMinutes: p.clipPaddingMinutes });
  // The NVR's own footage of the incident's events (Frigate links it) goes on its camera's clip.
  const pad = p.clipPaddingMinutes * 60_000;
  const footage = (await incidentFootageEvents(tx, inc.id)).map((e) => ({ eventId: `evt-${e.seq}`, at: e.occurred_at.toISOString(), device: e.device, footage: e.footage }));
  const items: ChecklistItem[] = withFootage(clips, footage, { from: new Date(inc.first_event_at.getTime() - pad).toISOString(), to: new Date(inc.last_event_at.getTime() + pad).toISOString() });
  if (zones.length > 0) {
    const near = badgeZones(model, zones);
    const w = badgeWindow(inc.first_event_at, inc.last_event_at, p.badgeWindowMinutes);
    const found = await badgeEventsAround(tx, { site: inc.site, zones: near, from: w.from, to: w.to, limit: p.maxBadgeEvents });
    const badges: BadgeEventsItem = {
      id: 'badge_events',
      kind: 'badge_events',
      from: w.from.toISOString(),
      to: w.to.toISOString(),
      zones: near,
      count: found.count,
      complete: w.to.getTime() <= now.getTime(),
      events: found.rows.map((e) => {
        const person = org.badges.get(e.badge);
        return { eventId: `evt-${e.seq}`, seq: e.seq, at: e.occurred_at.toISOString(), type: e.type, zone: e.zone, badge: e.badge, person: person?.id ?? null, name: person?.name ?? null, device: e.device };
      }),
      done: false,
    };
    items.push(badges);
  }
  const pos = posTransactionsItem(
    (await incidentPosEvents(tx, inc.id)).map((e) => ({
      eventId: `evt-${e.seq}`,
      at: e.occurred_at.toISOString(),
      type: e.type,
      device: e.device,
      sourceEventId: e.source_event_id,
      amount: e.amount,
      currency: e.currency,
      details: e.details ?? {},
    })),
  );
  if (pos) items.push(pos);
  return items;
}

/** The due date of an incident's investigation: the band's SLA from when the incident opened, in the site's zone. */
export function investigationDue(org: OrgModel, inc: Pick<IncidentForTask, 'site' | 'band' | 'opened_at'>): Date {
  const tz = org.sites.get(inc.site)?.site.timezone ?? org.config.organization.timezone;
  return dueAt(inc.opened_at, slaHours(org.config.policy.sla, inc.band), tz);
}

/** The title of an incident's investigation task. */
export function investigationTitle(org: OrgModel, inc: Pick<IncidentForTask, 'site' | 'zone' | 'type' | 'band'>): string {
  const model = org.sites.get(inc.site);
  const zone = inc.zone ? model?.zones.get(inc.zone)?.name ?? inc.zone : undefined;
  return `Investigate ${inc.type.replace(/_/g, ' ')} at ${model?.site.name ?? inc.site}${zone ? `, ${zone}` : ''} (${inc.band})`;
}

/** The ids of a site's investigators (contacts with role investigator that cover the site). */
export function siteInvestigators(config: Config, site: string): string[] {
  return contactsFor(config, site, ['investigator']).map((c) => c.id);
}

/** The assignment email of a task to its assignee, when policy wants it and the contact has an email address. */
export function assignmentMail(org: OrgModel, t: Pick<TaskRecord, 'id' | 'title' | 'kind' | 'incident_id' | 'site' | 'due_at' | 'assignee' | 'checklist'>, version: number): OutboxItem | undefined {
  if (!org.config.policy.investigation.notifyAssignee || !t.assignee) return undefined;
  const contact = org.config.contacts.find((c) => c.id === t.assignee);
  if (!contact?.email) return undefined;
  const mail = taskAssignedEmail(mailInput(org, t));
  // The version is in the key: a reassignment back to someone mails them again, a re-run never does.
  return { incidentId: t.incident_id, ...(t.incident_id ? {} : { ref: `task:${t.id}` }), channel: 'email', kind: `task-assigned:${t.id}:${version}`, recipient: contact.id, address: contact.email, subject: mail.subject, body: mail.text };
}

/** What a task email needs, from a task. */
export function mailInput(org: OrgModel, t: Pick<TaskRecord, 'id' | 'title' | 'kind' | 'incident_id' | 'site' | 'due_at' | 'assignee' | 'checklist'>): TaskMailInput {
  const model = org.sites.get(t.site);
  return {
    id: t.id,
    title: t.title,
    kind: t.kind,
    incidentId: t.incident_id,
    siteName: model?.site.name ?? t.site,
    timeZone: model?.site.timezone ?? org.config.organization.timezone,
    dueAt: t.due_at,
    assigneeName: org.config.contacts.find((c) => c.id === t.assignee)?.name ?? t.assignee,
    checklist: t.checklist,
    publicUrl: org.config.publicUrl,
  };
}

/**
 * Gathers a task's evidence again and merges it into its checklist (done flags and hand-added
 * items kept): the incident grew, or its badge window closed. Returns whether anything changed.
 */
export async function refreshTaskEvidence(tx: Queryable, org: OrgModel, t: TaskRecord, inc: IncidentForTask, now: Date, extra: Pick<TaskChange, 'dueAt' | 'clearOverdue' | 'title'> = {}): Promise<boolean> {
  const checklist = mergeChecklist(t.checklist, await gatherEvidence(tx, org, inc, now));
  const same = sameChecklist(checklist, t.checklist) && (extra.title === undefined || extra.title === t.title) && extra.dueAt === undefined;
  if (same) return false;
  return updateTask(tx, t.id, t.version, { checklist, ...extra }, now);
}

/** What opening an investigation task did. */
export interface OpenedTask {
  id: string;
  created: boolean;
  assignee: string | null;
  dueAt: Date;
  checklist: ChecklistItem[];
  /** Outbox rows queued (the assignment email). */
  queued: number;
}

/**
 * Opens an investigation task for an incident with the given id: due by the band's SLA, its
 * evidence gathered, assigned to `assignee` or else to the site's investigator whose turn it is
 * (null when the site has none), and the assignee emailed. Nothing when a task with the id exists
 * (`created` false).
 */
export async function openInvestigationTask(
  tx: Queryable,
  org: OrgModel,
  inc: IncidentForTask,
  p: { id: string; now: Date; assignee?: string; dueAt?: Date; title?: string; extra?: readonly ChecklistItem[] },
): Promise<OpenedTask> {
  const due = p.dueAt ?? investigationDue(org, inc);
  const checklist = [...(await gatherEvidence(tx, org, inc, p.now)), ...(p.extra ?? [])];
  let assignee: string | null = p.assignee ?? null;
  if (!assignee) {
    const candidates = siteInvestigators(org.config, inc.site);
    assignee = candidates.length > 0 ? investigatorInTurn(candidates, await nextRotationTurn(tx, inc.site)) ?? null : null;
  }
  const task = { id: p.id, kind: 'investigation' as const, incident_id: inc.id, site: inc.site, title: p.title ?? investigationTitle(org, inc), due_at: due, assignee, checklist };
  const created = await insertTask(tx, { id: task.id, kind: task.kind, incidentId: inc.id, site: inc.site, deviceId: null, title: task.title, assignee, dueAt: due, checklist, now: p.now });
  if (!created) return { id: p.id, created: false, assignee, dueAt: due, checklist, queued: 0 };
  const mail = assignmentMail(org, task, 1);
  const queued = mail ? (await enqueue(tx, [mail], p.now)).length : 0;
  return { id: p.id, created: true, assignee, dueAt: due, checklist, queued };
}
