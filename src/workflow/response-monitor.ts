/**
 * Watches the response after the steps ran: escalates alerts nobody acknowledged, and replaces a
 * guard who did not acknowledge a patrol in time. Each sweep is a few indexed queries; every
 * decision goes through the outbox with an idempotency key (level, patrol), so two processes
 * sweeping at once, or a sweep after a crash, never alert twice.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { Config, ContactConfig } from '../config/schema.js';
import { emergencySms, managementEmail } from '../domain/alert-content.js';
import type { OrgModel } from '../domain/site-model.js';
import type { Logger } from '../ops/log.js';
import type { Db } from '../store/db.js';
import { enqueue, type OutboxItem } from '../store/outbox.js';
import { alertView, contactsFor, dispatchGuard, loadIncident, reportNoGuard } from './steps/respond.js';

/** Who is alerted at each escalation level (level 0 is the emergency SMS itself). */
export function escalationTier(level: number): ContactConfig['role'][] {
  if (level <= 1) return ['manager'];
  if (level === 2) return ['executive'];
  return ['security_lead', 'rapid_response', 'manager', 'executive'];
}

export class ResponseMonitor {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;

  constructor(
    private readonly db: Db,
    private readonly org: OrgModel,
    private readonly config: Config,
    private readonly opts: { now?: () => Date; log?: Logger; intervalMs?: number; onQueued?: () => void } = {},
  ) {}

  private now(): Date {
    return this.opts.now?.() ?? new Date();
  }

  start(): void {
    this.timer = setInterval(() => void this.tick(), this.opts.intervalMs ?? 5000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await this.sweep();
    } catch (e) {
      this.opts.log?.error({ err: (e as Error).message }, 'response sweep failed');
    } finally {
      this.busy = false;
    }
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
    // Candidates come from an index (next_escalation_at); the condition itself is that the current
    // level's messages went out more than afterMinutes ago and nobody acknowledged.
    const due = await this.db.query<{ id: string }>(
      `SELECT i.id FROM incidents i
        WHERE i.next_escalation_at <= $3 AND i.status = 'open' AND i.escalation_level < $1
          AND (SELECT max(n.sent_at) FROM notifications n
                WHERE n.incident_id = i.id AND n.level = i.escalation_level AND (n.kind LIKE 'emergency:%' OR n.kind LIKE 'escalation:%')) < $2
        ORDER BY i.next_escalation_at LIMIT 100`,
      [maxLevels, new Date(now.getTime() - afterMinutes * 60_000), now],
    );
    // Incidents someone took charge of, or at the last level, leave the sweep.
    await this.db.query(`UPDATE incidents SET next_escalation_at = NULL WHERE next_escalation_at <= $1 AND (status <> 'open' OR escalation_level >= $2)`, [now, maxLevels]);
    const done: string[] = [];
    for (const { id } of due.rows) {
      await yieldToEventLoop();
      const level = await this.db.transaction(async (tx) => {
        const inc = await loadIncident(tx, id);
        if (inc.status !== 'open') return undefined;
        const level = inc.escalation_level + 1;
        if (level > maxLevels) return undefined;
        const view = alertView(inc, this.org, this.config);
        const sms = emergencySms(view, level);
        const mail = managementEmail(view, level >= 2 ? 'executive' : 'manager');
        const items: OutboxItem[] = [];
        for (const c of contactsFor(this.config, inc.site, escalationTier(level))) {
          if (c.phone) items.push({ incidentId: id, channel: 'sms', kind: `escalation:${level}`, recipient: c.id, address: c.phone, body: sms, band: inc.band, level });
          else if (c.email) items.push({ incidentId: id, channel: 'email', kind: `escalation:${level}`, recipient: c.id, address: c.email, subject: `ESCALATION ${level}: ${mail.subject}`, body: mail.text, html: mail.html, band: inc.band, level });
        }
        await enqueue(tx, items, now);
        await tx.query(`UPDATE incidents SET escalation_level = $2, next_escalation_at = $3, updated_at = now() WHERE id = $1`, [
          id,
          level,
          level < maxLevels ? new Date(now.getTime() + afterMinutes * 60_000) : null,
        ]);
        await tx.query(`INSERT INTO audit_log (actor, action, target, details) VALUES ('vigil', 'escalate', $1, $2)`, [id, JSON.stringify({ level, recipients: items.map((x) => x.recipient) })]);
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
    const due = await this.db.query<{ id: string }>(`SELECT id FROM patrols WHERE status = 'assigned' AND ack_deadline < $1 ORDER BY ack_deadline LIMIT 50`, [now]);
    const done: string[] = [];
    for (const { id } of due.rows) {
      await yieldToEventLoop();
      const moved = await this.db.transaction(async (tx) => {
        const p = (await tx.query<{ id: string; incident_id: string | null; guard_id: string; attempt: number; status: string }>(
          `SELECT id, incident_id, guard_id, attempt, status FROM patrols WHERE id = $1 FOR UPDATE`,
          [id],
        )).rows[0];
        if (!p || p.status !== 'assigned' || !p.incident_id) return false;
        await tx.query(`UPDATE patrols SET status = 'unacknowledged', updated_at = now() WHERE id = $1`, [id]);
        await tx.query(`UPDATE guards SET status = 'available', updated_at = now() WHERE id = $1 AND status = 'assigned'`, [p.guard_id]);
        const inc = await loadIncident(tx, p.incident_id);
        if (inc.status === 'resolved' || inc.status === 'archived') return true;
        const tried = (await tx.query<{ guard_id: string }>(`SELECT DISTINCT guard_id FROM patrols WHERE incident_id = $1 AND guard_id IS NOT NULL`, [inc.id])).rows.map((r) => r.guard_id);
        const attempt = p.attempt + 1;
        const r =
          attempt > this.config.policy.patrol.maxReassignments + 1
            ? { reason: `${p.attempt} guard(s) did not acknowledge` }
            : await dispatchGuard(tx, this.org, this.config, inc, now, { attempt, exclude: tried });
        if (!r.patrolId) await reportNoGuard(tx, this.org, this.config, inc, `guard ${p.guard_id} did not acknowledge; ${r.reason ?? ''}`.trim(), now, `no_guard:${attempt}`);
        await tx.query(`INSERT INTO audit_log (actor, action, target, details) VALUES ('vigil', 'reassign-patrol', $1, $2)`, [inc.id, JSON.stringify({ from: p.guard_id, patrol: id, to: r.guardId ?? null, reason: r.reason ?? null })]);
        return true;
      });
      if (moved) done.push(id);
    }
    return done;
  }
}
