/**
 * Step 5, send-emergency-sms: from the SMS band up, an SMS to the site's security leads and
 * rapid-response desk, with a short acknowledgement code ("ACK 4821") and the first escalation
 * time. It runs inline in the ingest transaction (the fast path to the alert) and on the runner's
 * path when that could not finish.
 *
 * Idempotent: the outbox key carries the band, so running it again for the same band queues
 * nothing new, and a band that rises alerts once more. The SMS cannot be unsent once delivered.
 */
import { randomInt } from 'node:crypto';
import { emergencySms } from '../../domain/alert-content.js';
import { contactsFor } from '../../domain/contacts.js';
import type { OrgModel } from '../../domain/site-model.js';
import { lockIncidentForResponse } from '../../store/incidents.js';
import { markAlertedAndQueue, type OutboxItem } from '../../store/notifications.js';
import { alertView, bandRank } from '../response-actions.js';
import type { StepDefinition } from '../runner.js';

/** Step 5's definition. */
export function sendEmergencySms(org: OrgModel): StepDefinition<'send-emergency-sms'> {
  const config = org.config;
  return {
    id: 'send-emergency-sms',
    inline: { runInTransaction: true },
    async run({ tx, incidentId, now, facts, claim }) {
      // Inline, the ingest transaction has just written (and so locked) the incident: take it from there.
      const inc = facts?.incident ? { ...facts.incident } : await lockIncidentForResponse(tx, incidentId);
      const min = config.policy.notify.smsMinBand;
      if (bandRank(inc.band) < bandRank(min)) return { status: 'skipped', reason: `band ${inc.band} is below the SMS threshold (${min})` };
      if (inc.status === 'resolved' || inc.status === 'archived') return { status: 'skipped', reason: `incident already ${inc.status}` };
      const recipients = contactsFor(config, inc.site, ['security_lead', 'rapid_response']).filter((c) => c.phone);
      if (recipients.length === 0) return { status: 'skipped', reason: `no security lead or rapid-response contact with a phone covers ${inc.site}` };
      // Nobody acknowledging within the policy's minutes escalates (response-monitor.ts looks then).
      const escalateAt = inc.status === 'open' && config.policy.notify.escalation.maxLevels > 0 ? new Date(now.getTime() + config.policy.notify.escalation.afterMinutes * 60_000) : null;
      // A short acknowledgement code, unique among the site's unresolved incidents (a reply is
      // matched by code and by the sender being a contact of the site): the incident's own when it
      // has one, else the first free candidate. The message is written for each candidate, so the
      // incident is marked and its messages queued in one statement.
      const candidates = inc.ack_code ? [inc.ack_code] : Array.from({ length: 8 }, () => String(randomInt(1000, 10000)));
      const bodies = candidates.map((code) => emergencySms(alertView({ ...inc, ack_code: code }, org, config)));
      const items: Omit<OutboxItem, 'body'>[] = recipients.map((c) => ({ incidentId: inc.id, channel: 'sms', kind: `emergency:${inc.band}`, recipient: c.id, address: c.phone!, band: inc.band }));
      const r = await markAlertedAndQueue(tx, { id: inc.id, site: inc.site, band: inc.band, candidates, bodies, escalateAt, items, now, ...(claim ? { claim } : {}) });
      if (!r.ackCode) throw new Error('no free acknowledgement code among 8 candidates; retrying');
      inc.ack_code = r.ackCode;
      return {
        status: 'done',
        result: { band: inc.band, ackCode: inc.ack_code, recipients: recipients.map((c) => ({ id: c.id, role: c.role, phone: c.phone })), queued: r.queued.length },
        ...(claim ? { claimed: r.claimed } : {}),
      };
    },
  };
}
