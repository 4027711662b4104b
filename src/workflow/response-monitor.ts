/**
 * Watches the response after the steps ran: escalates alerts nobody acknowledged, and replaces a
 * guard who did not acknowledge a patrol in time. Each sweep is a few indexed queries; every
 * decision goes through the outbox with an idempotency key (level, patrol), so two processes
 * sweeping at once, or a sweep after a crash, never alert twice. It runs on the shared background
 * work loop (ops/work-loop.ts), every few seconds.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Config } from '../config/schema.js';
import { emergencySms, managementEmail } from '../domain/alert-content.js';
import { contactsFor } from '../domain/contacts.js';
import { escalationRoles } from '../domain/escalation.js';
import { allowedPatrolActions, transition as patrolTransition } from '../domain/patrol-lifecycle.js';
import type { OrgModel } from '../domain/site-model.js';
import type { Logger } from '../ops/log.js';
import { WorkLoop } from '../ops/work-loop.js';
import { appendAuditRecord } from '../store/audit-log.js';
import type { CheckpointSigner } from '../domain/checkpoint.js';
import type { Db } from '../store/db.js';
import { releaseGuard } from '../store/guards.js';
import { clearSettledEscalations, incidentsDueForEscalation, lockIncidentForResponse, setEscalationLevel } from '../store/incidents.js';
import { enqueue, type OutboxItem } from '../store/notifications.js';
import { guardsTriedFor, lockPatrol, patrolsPastAckDeadline, setPatrolStatus } from '../store/patrols.js';
import { alertView, dispatchGuard, reportNoGuard } from './response-actions.js';

export class ResponseMonitor {
  private readonly loop: WorkLoop;

  constructor(
    private readonly db: Db,
    private readonly org: OrgModel,
    private readonly config: Config,
    private readonly opts: { now?: () => Date; log?: Logger; intervalMs?: number; onQueued?: () => void; logSigner?: CheckpointSigner } = {},
  ) {
    // One sweep per wake-up: a sweep handles everything due, so it never asks for another pass at once.
    this.loop = new WorkLoop(async () => (await this.sweep(), 0), {
      pollMs: opts.intervalMs ?? 5000,
      onError: (e) => opts.log?.error({ err: (e as Error).message }, 'response sweep failed'),
    });
  }

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  /** Starts the background sweeps. */
  start(): void {
    this.loop.start(this.opts.intervalMs ?? 5000);
  }

  /** Stops the sweeps and waits for the one in progress. */
  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** One pass: escalations and patrol acknowledgement timeouts. Returns what it did. */
  async sweep(): Promise<{ escalated: string[]; reassigned: string[] }> {
    const escalated = await this.escalate();
    const reassigned = await this.reassignPatrols();
    if (escalated.length + reassigned.length > 0) this.opts.onQueued?.();
    return { escalated, reassigned };
  }

  private async escalate(): Promise<string[]> {
    const now = this.now();
    const { afterMinutes, maxLevels } = this.config.policy.notify.escalation;
    if (maxLevels === 0) return [];
    // The condition: the current level's messages went out more than afterMinutes ago and nobody acknowledged.
    const due = await incidentsDueForEscalation(this.db, { now, sentBefore: new Date(now.getTime() - afterMinutes * 60_000), maxLevels });
    // Incidents someone took charge of, or at the last level, leave the sweep.
    await clearSettledEscalations(this.db, now, maxLevels);
    const done: string[] = [];
    for (const id of due) {
      await yieldToEventLoop();
      const level = await this.db.transaction(async (tx) => {
        const inc = await lockIncidentForResponse(tx, id);
        if (inc.status !== 'open') return undefined;
        const level = inc.escalation_level + 1;
        if (level > maxLevels) return undefined;
        const view = alertView(inc, this.org, this.config);
        const sms = emergencySms(view, level);
        const mail = managementEmail(view, level >= 2 ? 'executive' : 'manager');
        const items: OutboxItem[] = [];
        for (const c of contactsFor(this.config, inc.site, escalationRoles(this.config.policy.notify.escalation, level))) {
          if (c.phone) items.push({ incidentId: id, channel: 'sms', kind: `escalation:${level}`, recipient: c.id, address: c.phone, body: sms, band: inc.band, level });
          else if (c.email) items.push({ incidentId: id, channel: 'email', kind: `escalation:${level}`, recipient: c.id, address: c.email, subject: `ESCALATION ${level}: ${mail.subject}`, body: mail.text, html: mail.html, band: inc.band, level });
        }
        await enqueue(tx, items, now);
        await setEscalationLevel(tx, id, level, level < maxLevels ? new Date(now.getTime() + afterMinutes * 60_000) : null);
        await appendAuditRecord(tx, { at: now, actor: 'vigil', action: 'escalate', target: id, details: { level, recipients: items.map((x) => x.recipient) } }, this.opts.logSigner);
        return level;
      });
      if (level !== undefined) {
        done.push(id);
        this.opts.log?.info({ incident: id, level }, 'alert escalated: nobody acknowledged');
      }
    }
    return done;
  }

  private async reassignPatrols(): Promise<string[]> {
    const now = this.now();
    const due = await patrolsPastAckDeadline(this.db, now);
    const done: string[] = [];
    for (const id of due) {
      await yieldToEventLoop();
      const moved = await this.db.transaction(async (tx) => {
        const p = await lockPatrol(tx, id);
        if (!p || !p.incidentId || !p.guardId || !allowedPatrolActions(p.status, 'workflow').includes('time-out')) return false;
        await setPatrolStatus(tx, id, patrolTransition(p.status, 'time-out'));
        await releaseGuard(tx, p.guardId);
        const inc = await lockIncidentForResponse(tx, p.incidentId);
        if (inc.status === 'resolved' || inc.status === 'archived') return true;
        const tried = await guardsTriedFor(tx, inc.id);
        const attempt = p.attempt + 1;
        const r =
          attempt > this.config.policy.patrol.maxReassignments + 1
            ? { reason: `${p.attempt} guard(s) did not acknowledge` }
            : await dispatchGuard(tx, this.org, this.config, inc, now, { attempt, exclude: tried });
        if (!r.patrolId) await reportNoGuard(tx, this.org, this.config, inc, `guard ${p.guardId} did not acknowledge; ${r.reason ?? ''}`.trim(), now, `no_guard:${attempt}`);
        await appendAuditRecord(tx, { at: now, actor: 'vigil', action: 'reassign-patrol', target: inc.id, details: { from: p.guardId, patrol: id, to: r.guardId ?? null, reason: r.reason ?? null } }, this.opts.logSigner);
        return true;
      });
      if (moved) done.push(id);
    }
    return done;
  }
}
