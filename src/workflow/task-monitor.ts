/**
 * Watches tasks. Evidence: an investigation task's badge events are gathered again, final, once
 * their window (which reaches past the incident's last event) has closed. Due dates: a task (investigation or maintenance) past its due date and not done is
 * flagged overdue (`overdue_notified_at`), and its assignee and the site's managers are emailed
 * once through the outbox. The idempotency key names the task and its due date, so two processes
 * sweeping at once, or a sweep after a crash, never notify twice; a new due date (PATCH dueAt, or
 * the band rising) can be overdue and notified again. Runs on the shared background work loop.
 */
import type { CheckpointSigner } from '../domain/checkpoint.js';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { contactsFor } from '../domain/contacts.js';
import type { OrgModel } from '../domain/site-model.js';
import { taskOverdueEmail } from '../domain/task-content.js';
import type { Logger } from '../ops/log.js';
import { WorkLoop } from '../ops/work-loop.js';
import { appendAuditRecord } from '../store/audit-log.js';
import type { Db } from '../store/db.js';
import { enqueue, type OutboxItem } from '../store/notifications.js';
import { incidentForTask, lockTask, markTaskOverdueNotified, overdueTaskIds, tasksWithClosedEvidenceWindow } from '../store/tasks.js';
import { mailInput, refreshTaskEvidence } from './investigation-actions.js';

/** A task the sweep flagged overdue. */
export interface OverdueNotice {
  task: string;
  site: string;
  incidentId: string | null;
  recipients: string[];
}

export class TaskMonitor {
  private readonly loop: WorkLoop;
  private readonly intervalMs: number;

  constructor(
    private readonly db: Db,
    private readonly org: OrgModel,
    private readonly opts: {
      now?: () => Date;
      log?: Logger;
      intervalMs?: number;
      onQueued?: () => void;
      /** The transparency log's key: each overdue notice's audit record gets its signed checkpoint. */
      logSigner?: CheckpointSigner;
      onOverdue?: (n: OverdueNotice) => void;
      onRefreshed?: (t: { task: string; site: string; incidentId: string | null }) => void;
    } = {},
  ) {
    this.intervalMs = opts.intervalMs ?? org.config.policy.investigation.overdueCheckSeconds * 1000;
    this.loop = new WorkLoop(async () => (await this.refreshEvidence(), await this.sweep(), 0), {
      pollMs: this.intervalMs,
      onError: (e) => opts.log?.error({ err: (e as Error).message }, 'task overdue sweep failed'),
    });
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  /** Starts the background sweeps. */
  start(): void {
    this.loop.start(this.intervalMs);
  }

  /** Stops the sweeps and waits for the one in progress. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Gathers the evidence of tasks whose badge window closed again (final now). Returns the tasks refreshed. */
  async refreshEvidence(): Promise<string[]> {
    const now = this.now();
    const out: string[] = [];
    for (const id of await tasksWithClosedEvidenceWindow(this.db, now)) {
      await yieldToEventLoop();
      const done = await this.db.transaction(async (tx) => {
        const t = await lockTask(tx, id);
        const inc = t?.incident_id ? await incidentForTask(tx, t.incident_id) : undefined;
        if (!t || !inc || t.status === 'done') return undefined;
        await refreshTaskEvidence(tx, this.org, t, inc, now);
        return { task: t.id, site: t.site, incidentId: t.incident_id };
      });
      if (done) {
        out.push(done.task);
        this.opts.onRefreshed?.(done);
      }
    }
    return out;
  }

  /** One pass: flags and notifies every task that became overdue. Returns what it flagged. */
  async sweep(): Promise<OverdueNotice[]> {
    const now = this.now();
    const out: OverdueNotice[] = [];
    for (const id of await overdueTaskIds(this.db, now)) {
      await yieldToEventLoop();
      const notice = await this.db.transaction(async (tx) => {
        const t = await lockTask(tx, id);
        // Settled meanwhile (done, notified by another process, or given a later due date).
        if (!t || t.status === 'done' || t.overdue_notified_at || !t.due_at || t.due_at.getTime() >= now.getTime()) return undefined;
        const mail = taskOverdueEmail({ ...mailInput(this.org, t), status: t.status });
        const people = new Map<string, string>();
        const assignee = this.org.config.contacts.find((c) => c.id === t.assignee);
        if (assignee?.email) people.set(assignee.id, assignee.email);
        for (const m of contactsFor(this.org.config, t.site, ['manager'])) if (m.email) people.set(m.id, m.email);
        const items: OutboxItem[] = [...people].map(([recipient, address]) => ({
          incidentId: t.incident_id,
          ...(t.incident_id ? {} : { ref: `task:${t.id}` }),
          channel: 'email',
          kind: `task-overdue:${t.id}:${t.due_at!.getTime()}`,
          recipient,
          address,
          subject: mail.subject,
          body: mail.text,
        }));
        await enqueue(tx, items, now);
        await markTaskOverdueNotified(tx, t.id, now);
        await appendAuditRecord(tx, { at: now, actor: 'vigil', action: 'task.overdue', target: t.id, details: { dueAt: t.due_at.toISOString(), assignee: t.assignee, recipients: [...people.keys()] } }, this.opts.logSigner);
        return { task: t.id, site: t.site, incidentId: t.incident_id, recipients: [...people.keys()] };
      });
      if (notice) {
        out.push(notice);
        this.opts.onOverdue?.(notice);
        this.opts.log?.info({ task: notice.task, recipients: notice.recipients }, 'task overdue: assignee and managers notified');
      }
    }
    if (out.length > 0) this.opts.onQueued?.();
    return out;
  }
}
