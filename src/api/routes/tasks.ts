/**
 * Tasks (step 9's investigation tasks and step 13's maintenance tasks): the list with filters, one
 * task with its comments, a task a person opens (for an incident its evidence is gathered like the
 * workflow's), and working a task: status through the lifecycle table (domain/task-lifecycle.ts;
 * a move it does not allow is a 409 listing what is allowed), reassignment (the new assignee is
 * emailed), due date, checklist ticks and items, comments. Every change is one transaction with
 * its audit record, announced on the live stream after the commit. Site scope: another site's
 * task is 404; opening one for another site is 403.
 */
import { randomBytes } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ConflictError, InvalidError, NotFoundError, type Problem } from '../../domain/errors.js';
import { timeId } from '../../domain/ids.js';
import { investigatorInTurn, type ChecklistItem, type NoteItem } from '../../domain/investigation.js';
import { TASK_KINDS, TASK_STATUSES, taskTransition } from '../../domain/task-lifecycle.js';
import type { Service } from '../../service.js';
import { appendAuditRecord } from '../../store/audit-log.js';
import { enqueue } from '../../store/notifications.js';
import { getTask, listTasks, type TaskDetail } from '../../store/read/tasks.js';
import { addTaskComment, incidentForTask, insertTask, lockTask, nextRotationTurn, updateTask, type TaskChange, type TaskRecord } from '../../store/tasks.js';
import { assignmentMail, openInvestigationTask, siteInvestigators } from '../../workflow/investigation-actions.js';
import { assertSites, principalOf, type Principal } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';
import { TASK_DETAIL_SCHEMA, TASK_VIEW_SCHEMA } from '../task-schemas.js';

const id = z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'expected an id');
const text = (max: number) => z.string().trim().min(1, 'expected some text').max(max, `expected at most ${max} characters`);
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;
const instant = z
  .string()
  .transform((s, ctx) => {
    const ms = ISO_INSTANT.test(s) ? Date.parse(s) : NaN;
    const y = Number.isNaN(ms) ? 0 : new Date(ms).getUTCFullYear();
    if (Number.isNaN(ms) || y < 1970 || y > 9999) {
      ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 time with offset, like "2026-11-23T10:00:00-05:00"' });
      return z.NEVER;
    }
    return new Date(ms);
  });

/** Who may be assigned a task at a site: a configured contact covering the site (an investigator for investigation tasks). */
function assigneeProblem(service: Service, site: string, kind: string, assignee: string, path: string): Problem | undefined {
  const c = service.config.contacts.find((x) => x.id === assignee);
  if (!c) return { path, message: `expected a contact id of the configuration; ${assignee} is none` };
  if (c.sites.length > 0 && !c.sites.includes(site)) return { path, message: `contact ${assignee} does not cover site ${site}` };
  if (kind === 'investigation' && c.role !== 'investigator') return { path, message: `investigation tasks go to investigators; ${assignee} is a ${c.role}` };
  return undefined;
}

/** The hand-added checklist items from texts, numbered after the ones the task has. */
function newItems(existing: readonly ChecklistItem[], texts: readonly string[]): NoteItem[] {
  let n = Math.max(0, ...existing.map((i) => (/^item-(\d+)$/.exec(i.id) ? Number(/^item-(\d+)$/.exec(i.id)![1]) : 0)));
  return texts.map((t) => ({ id: `item-${++n}`, kind: 'item', text: t, done: false }));
}

export const taskRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service } = deps;
  const db = service.db;

  const announce = (t: Pick<TaskRecord, 'id' | 'site' | 'incident_id' | 'status' | 'assignee'>, change: string) =>
    service.announce({ kind: 'task.updated', site: t.site, ...(t.incident_id ? { incidentId: t.incident_id } : {}), data: { id: t.id, status: t.status, assignee: t.assignee, change } });

  const listQuery = z
    .object({
      assignee: deps.query.list('assignees (contact ids)'),
      status: deps.query.list('statuses', TASK_STATUSES),
      site: deps.query.list('sites'),
      kind: deps.query.list('kinds', TASK_KINDS),
      incident: id.optional(),
      overdue: z.enum(['true', 'false']).optional().meta({ description: 'only tasks that are (true) or are not (false) past due and not done' }),
      limit: deps.query.limit(500, 50),
      cursor: deps.query.cursor(),
    })
    .strict();
  app.get(
    '/tasks',
    {
      schema: {
        tags: ['tasks'],
        summary: 'Investigation and maintenance tasks, newest first',
        querystring: deps.input(listQuery),
        response: { 200: deps.output(z.object({ items: z.array(TASK_VIEW_SCHEMA), nextCursor: z.string().nullable() })), ...deps.errors(400, 401, 403) },
      },
    },
    async (request) => {
      const q = request.query as z.output<typeof listQuery>;
      return listTasks(
        db,
        { assignees: q.assignee, statuses: q.status, sites: q.site, kinds: q.kind, incident: q.incident, ...(q.overdue ? { overdue: q.overdue === 'true' } : {}), limit: q.limit, cursor: q.cursor },
        principalOf(request).sites,
        service.now(),
      );
    },
  );

  const params = z.object({ id }).strict();
  const detailJson = deps.output(TASK_DETAIL_SCHEMA);
  app.get(
    '/tasks/:id',
    { schema: { tags: ['tasks'], summary: 'One task with its evidence checklist and comments', params: deps.input(params), response: { 200: detailJson, ...deps.errors(400, 401, 403, 404) } } },
    async (request: FastifyRequest) => {
      const { id: tid } = request.params as { id: string };
      const t = await getTask(db, tid, principalOf(request).sites, service.now());
      if (!t) throw new NotFoundError(`task ${tid}`);
      return t;
    },
  );

  const createBody = z
    .object({
      incidentId: id.optional().meta({ description: "the incident to investigate: its site, due date (the band's SLA) and evidence checklist come from it" }),
      site: id.optional().meta({ description: 'required without incidentId' }),
      kind: z.enum(TASK_KINDS).default('investigation'),
      deviceId: id.optional().meta({ description: 'the device of a maintenance task' }),
      title: text(300).optional().meta({ description: 'required without incidentId' }),
      assignee: id.optional().meta({ description: "a contact id; default: the site's investigator whose turn it is (investigation tasks)" }),
      dueAt: instant.optional(),
      items: z.array(text(500)).max(50).default([]).meta({ description: 'checklist items to add by hand' }),
    })
    .strict();
  app.post(
    '/tasks',
    {
      config: { permission: 'tasks:act' },
      schema: { tags: ['tasks'], summary: 'Open a task (for an incident: with its evidence checklist)', body: deps.input(createBody), response: { 201: detailJson, ...deps.errors(400, 401, 403, 404) } },
    },
    async (request, reply) => {
      const b = request.body as z.output<typeof createBody>;
      const principal = principalOf(request);
      const now = service.now();
      const taskId = timeId('task', now.getTime(), randomBytes(4));
      const created = await db.transaction(async (tx) => {
        const inc = b.incidentId ? await incidentForTask(tx, b.incidentId) : undefined;
        if (b.incidentId && (!inc || (principal.sites && !principal.sites.includes(inc.site)))) throw new NotFoundError(`incident ${b.incidentId}`);
        const problems: Problem[] = [];
        if (!inc && !b.site) problems.push({ path: 'site', message: 'expected the site of the task (or an incidentId)' });
        if (inc && b.site && b.site !== inc.site) problems.push({ path: 'site', message: `incident ${inc.id} is at site ${inc.site}, not ${b.site}` });
        if (!inc && !b.title) problems.push({ path: 'title', message: 'expected a title (or an incidentId)' });
        if (b.kind === 'investigation' && b.deviceId) problems.push({ path: 'deviceId', message: 'a device belongs to a maintenance task' });
        const site = inc?.site ?? b.site;
        // Another site's answer is the scope's 403, whether that site exists or not.
        if (site) assertSites(principal, [site]);
        if (site && !service.org.sites.has(site)) problems.push({ path: 'site', message: `expected a configured site; ${site} is none` });
        if (site && b.deviceId && service.org.devices.get(b.deviceId)?.site !== site) problems.push({ path: 'deviceId', message: `expected a device of site ${site}` });
        if (site && b.assignee) {
          const p = assigneeProblem(service, site, b.kind, b.assignee, 'assignee');
          if (p) problems.push(p);
        }
        if (problems.length > 0) throw new InvalidError(problems);
        const extra = newItems([], b.items);
        if (inc && b.kind === 'investigation') {
          await openInvestigationTask(tx, service.org, inc, { id: taskId, now, ...(b.assignee ? { assignee: b.assignee } : {}), ...(b.dueAt ? { dueAt: b.dueAt } : {}), ...(b.title ? { title: b.title } : {}), extra });
        } else {
          // An investigation task without an incident goes to the site's investigator in turn too.
          const candidates = b.kind === 'investigation' && !b.assignee ? siteInvestigators(service.config, site!) : [];
          const assignee = b.assignee ?? (candidates.length > 0 ? investigatorInTurn(candidates, await nextRotationTurn(tx, site!)) ?? null : null);
          const task = { id: taskId, kind: b.kind, incident_id: inc?.id ?? null, site: site!, title: b.title ?? `Maintenance for incident ${inc!.id}`, due_at: b.dueAt ?? null, assignee, checklist: extra };
          await insertTask(tx, { id: taskId, kind: b.kind, incidentId: task.incident_id, site: task.site, deviceId: b.deviceId ?? null, title: task.title, assignee: task.assignee, dueAt: task.due_at, checklist: extra, now });
          const mail = assignmentMail(service.org, task, 1);
          if (mail) await enqueue(tx, [mail], now);
        }
        await appendAuditRecord(tx, { at: now, actor: principal.name, action: 'task.create', target: taskId, details: { kind: b.kind, incident: inc?.id ?? null, site } }, service.logSigner);
        return (await getTask(tx, taskId, null, now))!;
      });
      announce({ id: created.id, site: created.site, incident_id: created.incidentId, status: created.status, assignee: created.assignee }, 'created');
      service.dispatcher.kick();
      return reply.code(201).send(created);
    },
  );

  const patchBody = z
    .object({
      status: z.enum(TASK_STATUSES).optional(),
      assignee: id.optional().meta({ description: 'reassign to this contact (emailed)' }),
      dueAt: instant.nullable().optional().meta({ description: 'a new due date (null: none); the task can be overdue and notified again' }),
      checklist: z.array(z.object({ id: z.string().min(1).max(200), done: z.boolean() }).strict()).max(500).optional().meta({ description: 'tick (done: true) or untick checklist items by id' }),
      addItems: z.array(text(500)).max(50).optional().meta({ description: 'checklist items to add by hand' }),
      note: text(4000).optional().meta({ description: 'a comment recorded with the change' }),
      version: z.number().int().min(1).optional().meta({ description: 'the version the change was made against: refused with 409 if the task changed since' }),
    })
    .strict()
    .refine((b) => Object.keys(b).some((k) => k !== 'version'), 'expected at least one of status, assignee, dueAt, checklist, addItems, note');
  app.patch(
    '/tasks/:id',
    {
      config: { permission: 'tasks:act' },
      schema: { tags: ['tasks'], summary: 'Work a task: status, reassignment, due date, checklist, a note', params: deps.input(params), body: deps.input(patchBody), response: { 200: detailJson, ...deps.errors(400, 401, 403, 404, 409) } },
    },
    async (request: FastifyRequest) => {
      const { id: tid } = request.params as { id: string };
      const b = request.body as z.output<typeof patchBody>;
      const principal = principalOf(request);
      const r = await updateOne(service, principal, tid, b);
      announce(r.record, r.changes.join(','));
      if (r.mailed) service.dispatcher.kick();
      return r.detail;
    },
  );

  const commentBody = z.object({ text: text(4000) }).strict();
  app.post(
    '/tasks/:id/comments',
    {
      config: { permission: 'tasks:act' },
      schema: {
        tags: ['tasks'],
        summary: 'Comment on a task',
        params: deps.input(params),
        body: deps.input(commentBody),
        response: { 201: deps.output(z.object({ seq: z.number().int(), at: z.string(), author: z.string(), text: z.string() })), ...deps.errors(400, 401, 403, 404) },
      },
    },
    async (request: FastifyRequest, reply) => {
      const { id: tid } = request.params as { id: string };
      const { text: body } = request.body as z.output<typeof commentBody>;
      const principal = principalOf(request);
      const now = service.now();
      const { t, seq } = await db.transaction(async (tx) => {
        const t = await lockTask(tx, tid);
        if (!t || (principal.sites && !principal.sites.includes(t.site))) throw new NotFoundError(`task ${tid}`);
        const seq = await addTaskComment(tx, { taskId: tid, at: now, author: principal.name, text: body });
        return { t, seq };
      });
      announce(t, 'comment');
      return reply.code(201).send({ seq, at: now.toISOString(), author: principal.name, text: body });
    },
  );
};

/** A PATCH in one transaction: every input problem at once (400), then the version and lifecycle checks (409). */
async function updateOne(
  service: Service,
  principal: Principal,
  tid: string,
  b: { status?: (typeof TASK_STATUSES)[number]; assignee?: string; dueAt?: Date | null; checklist?: { id: string; done: boolean }[]; addItems?: string[]; note?: string; version?: number },
): Promise<{ detail: TaskDetail; record: TaskRecord; changes: string[]; mailed: boolean }> {
  const now = service.now();
  return service.db.transaction(async (tx) => {
    const t = await lockTask(tx, tid);
    if (!t || (principal.sites && !principal.sites.includes(t.site))) throw new NotFoundError(`task ${tid}`);
    const problems: Problem[] = [];
    const ids = new Set(t.checklist.map((i) => i.id));
    (b.checklist ?? []).forEach((c, k) => {
      if (!ids.has(c.id)) problems.push({ path: `checklist[${k}].id`, message: `expected the id of an item of this task's checklist (${[...ids].join(', ') || 'it has none'}); got ${c.id}` });
    });
    if (b.assignee !== undefined) {
      const p = assigneeProblem(service, t.site, t.kind, b.assignee, 'assignee');
      if (p) problems.push(p);
    }
    if (problems.length > 0) throw new InvalidError(problems);
    if (b.version !== undefined && b.version !== t.version) {
      throw new ConflictError(`task ${tid} changed since version ${b.version} (it is at version ${t.version}); read it again and repeat the change`);
    }
    const change: TaskChange = {};
    const changes: string[] = [];
    if (b.status !== undefined) {
      const action = taskTransition(t.status, b.status, `task ${tid}`);
      if (action) {
        change.status = b.status;
        if (action === 'complete') change.completedAt = now;
        if (action === 'reopen') change.completedAt = null;
        changes.push(`status:${t.status}->${b.status}`);
      }
    }
    if (b.assignee !== undefined && b.assignee !== t.assignee) {
      change.assignee = b.assignee;
      changes.push('assignee');
    }
    if (b.dueAt !== undefined && (b.dueAt?.getTime() ?? null) !== (t.due_at?.getTime() ?? null)) {
      change.dueAt = b.dueAt;
      change.clearOverdue = true;
      changes.push('dueAt');
    }
    if (b.checklist || b.addItems) {
      const ticks = new Map((b.checklist ?? []).map((c) => [c.id, c.done]));
      const list = t.checklist.map((i) => (ticks.has(i.id) && ticks.get(i.id) !== i.done ? ({ ...i, done: ticks.get(i.id)! } as ChecklistItem) : i));
      const added = newItems(t.checklist, b.addItems ?? []);
      if (added.length > 0 || list.some((i, k) => i !== t.checklist[k])) {
        change.checklist = [...list, ...added];
        changes.push('checklist');
      }
    }
    let version = t.version;
    if (changes.length > 0) {
      if (!(await updateTask(tx, tid, t.version, change, now))) throw new ConflictError(`task ${tid} changed meanwhile; read it again and repeat the change`);
      version = t.version + 1;
    }
    if (b.note) {
      await addTaskComment(tx, { taskId: tid, at: now, author: principal.name, text: b.note });
      changes.push('comment');
    }
    const after: TaskRecord = { ...t, ...(change.status ? { status: change.status } : {}), ...(change.assignee ? { assignee: change.assignee } : {}), ...(change.dueAt !== undefined ? { due_at: change.dueAt } : {}), ...(change.checklist ? { checklist: [...change.checklist] } : {}) };
    let mailed = false;
    if (change.assignee) {
      const mail = assignmentMail(service.org, after, version);
      mailed = mail ? (await enqueue(tx, [mail], now)).length > 0 : false;
    }
    if (changes.length > 0) await appendAuditRecord(tx, { at: now, actor: principal.name, action: 'task.update', target: tid, details: { changes, ...(change.assignee ? { from: t.assignee, to: change.assignee } : {}) } }, service.logSigner);
    return { detail: (await getTask(tx, tid, null, now))!, record: after, changes, mailed };
  });
}
