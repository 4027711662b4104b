/**
 * Step 6, notify-management: email to the site's managers from the management band up, to
 * executives from the executive band up or when the net loss passes the executive threshold, and
 * signed webhooks to the subscribers that want the incident. CAP and the live stream read the
 * incident directly. Idempotent through the outbox keys (they carry the band).
 */
import { managementEmail } from '../../domain/alert-content.js';
import { contactsFor } from '../../domain/contacts.js';
import type { OrgModel } from '../../domain/site-model.js';
import { lockIncidentForResponse } from '../../store/incidents.js';
import { enqueue, type OutboxItem } from '../../store/notifications.js';
import { alertView, bandRank } from '../response-actions.js';
import type { StepDefinition } from '../runner.js';

/** Step 6's definition. */
export function notifyManagement(org: OrgModel): StepDefinition<'notify-management'> {
  const config = org.config;
  return {
    id: 'notify-management',
    async run({ tx, incidentId, now }) {
      const inc = await lockIncidentForResponse(tx, incidentId);
      const p = config.policy.notify;
      const view = alertView(inc, org, config);
      const items: OutboxItem[] = [];
      const audience: string[] = [];
      if (bandRank(inc.band) >= bandRank(p.managementMinBand)) {
        const mail = managementEmail(view, 'manager');
        for (const c of contactsFor(config, inc.site, ['manager']).filter((x) => x.email)) {
          items.push({ incidentId: inc.id, channel: 'email', kind: `management:${inc.band}`, recipient: c.id, address: c.email!, subject: mail.subject, body: mail.text, html: mail.html, band: inc.band });
          audience.push(c.id);
        }
      }
      const execReason = bandRank(inc.band) >= bandRank(p.executiveMinBand) ? `band ${inc.band}` : inc.loss?.executiveEscalation ? `net loss ${inc.loss.net} above the executive threshold` : undefined;
      if (execReason) {
        const mail = managementEmail(view, 'executive');
        for (const c of contactsFor(config, inc.site, ['executive']).filter((x) => x.email)) {
          items.push({ incidentId: inc.id, channel: 'email', kind: `executive:${inc.band}`, recipient: c.id, address: c.email!, subject: mail.subject, body: mail.text, html: mail.html, band: inc.band });
          audience.push(c.id);
        }
      }
      const event = `incident.${inc.band}`;
      config.notify.webhooks.forEach((w, i) => {
        if (w.kinds.length > 0 && !w.kinds.some((k) => k === 'incident' || k === event || k === `band.${inc.band}`)) return;
        const body = JSON.stringify({ event: 'incident.alert', incident: { id: inc.id, site: inc.site, zone: inc.zone, type: inc.type, status: inc.status, band: inc.band, score: inc.score, openedAt: inc.first_event_at.toISOString(), loss: inc.loss, url: view.url }, sentAt: now.toISOString() });
        items.push({ incidentId: inc.id, channel: 'webhook', kind: `webhook:${inc.band}`, recipient: `webhook-${i}`, address: w.url, body, band: inc.band });
      });
      if (items.length === 0) return { status: 'skipped', reason: `band ${inc.band} is below the management threshold (${p.managementMinBand}) and no webhook wants it` };
      const queued = await enqueue(tx, items, now);
      return { status: 'done', result: { band: inc.band, emails: audience, executives: execReason ?? null, webhooks: items.filter((x) => x.channel === 'webhook').length, queued: queued.length } };
    },
  };
}
