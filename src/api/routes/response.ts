/**
 * The response API (steps 5-7): notifications with their delivery state, patrols and their
 * lifecycle, guards' live state, CAP 1.2 alerts, the live stream (server-sent events), and the SMS
 * provider's inbound-message webhook for "ACK 4821" replies.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { capAlertXml, capFeedXml, capIdentifier, type CapMessage } from '../../channels/cap.js';
import { ConflictError, ForbiddenError, NotFoundError } from '../../domain/errors.js';
import { PATROL_API_ACTIONS } from '../../domain/patrol-lifecycle.js';
import { parseSmsReply, SMS_REPLY_HELP } from '../../domain/sms-reply.js';
import type { LiveEvent, Service } from '../../service.js';
import { updateGuardState } from '../../store/guards.js';
import { findUnresolvedIncidentsByAckCode } from '../../store/incidents.js';
import { markAlertsAcknowledged } from '../../store/notifications.js';
import { findActivePatrolByCode, findAssignedPatrolByAckCode } from '../../store/patrols.js';
import { listGuards } from '../../store/read/guards.js';
import { getIncident, listAlertedIncidentIds, type IncidentDetail } from '../../store/read/incidents.js';
import { listNotifications } from '../../store/read/notifications.js';
import { listPatrols } from '../../store/read/patrols.js';
import { can, forCaller, principalOf } from '../auth.js';
import { refuseOnSocket } from '../errors.js';
import { WEBHOOK_BODY_LIMIT } from '../http-limits.js';
import { advancePatrol, applyIncidentAction } from '../lifecycle-actions.js';
import type { RouteDeps } from '../route-deps.js';

const id = z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'expected an id');

/** The CAP messages of an incident so far: the first alert, an update per band change, a cancel on resolve. */
export function capMessages(service: Service, inc: IncidentDetail): CapMessage[] {
  const cfg = service.config;
  const site = service.org.sites.get(inc.site);
  const host = new URL(cfg.publicUrl).hostname;
  const sender = `vigil@${host}`;
  const versions: { band: string; score: number; at: Date }[] = [];
  for (const h of inc.severityHistory) {
    if (versions.length === 0 || versions[versions.length - 1].band !== h.band) versions.push({ band: h.band, score: h.score, at: new Date(h.computedAt) });
  }
  if (versions.length === 0) versions.push({ band: inc.severity.band, score: inc.severity.score, at: new Date(inc.openedAt) });
  const zoneName = inc.zone ? site?.zones.get(inc.zone)?.name ?? inc.zone : undefined;
  const incidentFor = (v: { band: string; score: number }) => ({
    id: inc.id,
    type: inc.type as CapMessage['incident']['type'],
    band: v.band as CapMessage['incident']['band'],
    score: v.score,
    status: inc.status,
    siteId: inc.site,
    siteName: site?.site.name ?? inc.site,
    ...(inc.zone ? { zone: inc.zone } : {}),
    ...(zoneName ? { zoneName } : {}),
    openedAt: inc.firstEventAt,
    headline: `${inc.type.replace(/_/g, ' ')} at ${site?.site.name ?? inc.site}${zoneName ? `, ${zoneName}` : ''} (${v.band})`,
    description: (inc.severity.factors ?? []).filter((f) => f.contribution > 0).map((f) => `${f.name} +${f.contribution}: ${f.detail ?? ''}`).join('; ') || 'scored incident',
    url: `${cfg.publicUrl.replace(/\/+$/, '')}/#incident=${encodeURIComponent(inc.id)}`,
    ...(site?.site.location ? { location: site.site.location } : {}),
    ...(inc.loss && typeof inc.loss.net === 'string' ? { netLoss: inc.loss.net, currency: String(inc.loss.currency) } : {}),
  });
  const out: CapMessage[] = [];
  versions.forEach((v, k) => {
    out.push({
      identifier: capIdentifier(inc.id, k + 1),
      sender,
      sent: v.at,
      msgType: k === 0 ? 'Alert' : 'Update',
      references: out.map((m) => ({ sender: m.sender, identifier: m.identifier, sent: m.sent })),
      incident: incidentFor(v),
      ...(site ? { timezone: site.site.timezone } : {}),
    });
  });
  if ((inc.status === 'resolved' || inc.status === 'archived') && inc.resolvedAt) {
    const last = versions[versions.length - 1];
    out.push({
      identifier: capIdentifier(inc.id, versions.length + 1),
      sender,
      sent: new Date(inc.resolvedAt),
      msgType: 'Cancel',
      references: out.map((m) => ({ sender: m.sender, identifier: m.identifier, sent: m.sent })),
      incident: incidentFor(last),
      ...(site ? { timezone: site.site.timezone } : {}),
    });
  }
  return out;
}

/** Routes under /api/v1 (bearer token). */
export const responseRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service } = deps;

  const notifQuery = z
    .object({
      incident: id.optional(),
      status: z.enum(['queued', 'sending', 'sent', 'failed', 'acknowledged', 'folded', 'folded_sent', 'cancelled']).optional(),
      channel: z.enum(['sms', 'email', 'webhook']).optional(),
      site: deps.query.list('site ids'),
      limit: deps.query.limit(2000, 500),
      cursor: deps.query.cursor(),
    })
    .strict();
  app.get(
    '/notifications',
    {
      config: { permission: 'people:read' },
      schema: { tags: ['response'], summary: 'Notifications and their delivery state, newest first', querystring: deps.input(notifQuery), response: deps.errors(400, 401, 403) },
    },
    async (request) => {
      const { site, ...q } = request.query as z.output<typeof notifQuery>;
      return listNotifications(service.db, { ...q, sites: site }, principalOf(request).sites);
    },
  );

  const patrolQuery = z.object({ site: id.optional(), status: z.string().max(40).optional(), incident: id.optional(), limit: deps.query.limit(1000, 200) }).strict();
  app.get('/patrols', { schema: { tags: ['response'], summary: 'Patrols, newest first', querystring: deps.input(patrolQuery), response: deps.errors(400, 401) } }, async (request) => {
    const q = request.query as z.output<typeof patrolQuery>;
    return { items: await listPatrols(service.db, q, principalOf(request).sites), nextCursor: null };
  });

  const patrolParams = z.object({ id }).strict();
  for (const action of PATROL_API_ACTIONS) {
    app.post(
      `/patrols/:id/${action}`,
      { config: { permission: 'patrols:act' }, schema: { tags: ['response'], summary: `Patrol: ${action}`, params: deps.input(patrolParams), response: deps.errors(400, 401, 403, 404, 409) } },
      async (request: FastifyRequest) => {
        const { id: pid } = request.params as { id: string };
        const principal = principalOf(request);
        await advancePatrol(service, pid, action, principal.name, principal.sites);
        return (await listPatrols(service.db, { id: pid }, principal.sites))[0];
      },
    );
  }

  const guardQuery = z.object({ site: id.optional() }).strict();
  app.get('/guards', { schema: { tags: ['response'], summary: 'Guards with live position and status', querystring: deps.input(guardQuery), response: deps.errors(400, 401) } }, async (request) => {
    const q = request.query as z.output<typeof guardQuery>;
    const principal = principalOf(request);
    return { items: forCaller(principal, 'guards', await listGuards(service.db, q, principal.sites)), nextCursor: null };
  });
  const guardBody = z
    .object({
      position: z.tuple([z.number().finite(), z.number().finite()]).optional(),
      onShift: z.boolean().optional(),
      status: z.enum(['available', 'unavailable', 'off_duty']).optional(),
    })
    .strict();
  app.patch(
    '/guards/:id',
    { config: { permission: 'patrols:act' }, schema: { tags: ['response'], summary: "Update a guard's position or availability", params: deps.input(patrolParams), body: deps.input(guardBody), response: deps.errors(400, 401, 403, 404) } },
    async (request: FastifyRequest) => {
      const { id: gid } = request.params as { id: string };
      const b = request.body as z.output<typeof guardBody>;
      const principal = principalOf(request);
      const current = (await listGuards(service.db, { id: gid }, principal.sites))[0];
      if (!current) throw new NotFoundError(`guard ${gid}`);
      await updateGuardState(service.db, gid, b);
      const after = (await listGuards(service.db, { id: gid }, principal.sites))[0];
      service.announce({ kind: 'guard.updated', site: current.site, data: { id: gid, status: after?.status ?? current.status, onShift: after?.onShift ?? current.onShift, position: after?.position ?? null } });
      return forCaller(principal, 'guard', after);
    },
  );

  const capParams = z.object({ id }).strict();
  app.get('/incidents/:id/cap', { schema: { tags: ['response'], summary: 'The incident as an OASIS CAP 1.2 alert (latest message)', params: deps.input(capParams), response: deps.errors(400, 401, 404) } }, async (request, reply) => {
    const { id: iid } = request.params as { id: string };
    const inc = await getIncident(service.db, iid, principalOf(request).sites, { maxEvents: 1 });
    if (!inc) throw new NotFoundError(`incident ${iid}`);
    const msgs = capMessages(service, inc);
    return reply.type('application/cap+xml; charset=utf-8').send(capAlertXml(msgs[msgs.length - 1]));
  });

  const feedQuery = z.object({ limit: deps.query.limit(200, 50) }).strict();
  app.get('/alerts/cap', { schema: { tags: ['response'], summary: 'Atom feed of CAP 1.2 alerts (latest message of each alerted incident)', querystring: deps.input(feedQuery), response: deps.errors(400, 401) } }, async (request, reply) => {
    const q = request.query as z.output<typeof feedQuery>;
    const scope = principalOf(request).sites;
    const ids = await listAlertedIncidentIds(service.db, q.limit, scope);
    const alerts: CapMessage[] = [];
    for (const iid of ids) {
      const inc = await getIncident(service.db, iid, scope, { maxEvents: 1 });
      if (inc) alerts.push(capMessages(service, inc).at(-1)!);
    }
    const base = service.config.publicUrl.replace(/\/+$/, '');
    return reply
      .type('application/atom+xml; charset=utf-8')
      .send(capFeedXml({ id: `${base}/api/v1/alerts/cap`, title: `Vigil alerts – ${service.config.organization.name}`, updated: service.now(), selfUrl: `${base}/api/v1/alerts/cap`, alerts }));
  });

  app.get(
    '/stream',
    {
      schema: {
        tags: ['response'],
        summary: 'Server-sent events: incidents, notifications, patrols and guards as they change, each with its site; a site-scoped token hears only its sites',
        response: deps.errors(401, 403),
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const scope = principal.sites;
      const people = can(principal.role, 'people:read');
      reply.raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', connection: 'keep-alive', 'x-accel-buffering': 'no' });
      reply.raw.write(`retry: 3000\n: connected ${service.now().toISOString()}\n\n`);
      let seq = 0;
      // Every change carries its site (service.announce), so the scope check needs no lookup and
      // messages keep the order they were announced in.
      const listener = (e: LiveEvent) => {
        if (scope && !scope.includes(e.site)) return;
        const data = people || e.kind !== 'notification.updated' ? e.data : withoutRecipient(e.data);
        reply.raw.write(`id: ${++seq}\nevent: ${e.kind}\ndata: ${JSON.stringify({ ...data, incidentId: e.incidentId ?? null, site: e.site })}\n\n`);
      };
      service.bus.on('change', listener);
      const ping = setInterval(() => reply.raw.write(`: ping\n\n`), 15_000);
      ping.unref();
      request.raw.on('close', () => {
        clearInterval(ping);
        service.bus.off('change', listener);
      });
      return reply.hijack();
    },
  );
};

/** A notification change without who it went to (a digest's kind names the phone number). */
function withoutRecipient(data: Record<string, unknown>): Record<string, unknown> {
  const { recipient: _r, kind, ...rest } = data;
  return { ...rest, ...(typeof kind === 'string' ? { kind: kind.split(':')[0] } : {}) };
}

/** Twilio's request signature: base64 HMAC-SHA1 of the URL followed by the sorted form fields. */
export function twilioSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
  return createHmac('sha1', authToken).update(data).digest('base64');
}

const twiml = (text: string) => `<?xml version="1.0" encoding="UTF-8"?><Response><Message>${text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!)}</Message></Response>`;

/**
 * POST /webhooks/sms/inbound: the SMS provider's inbound-message webhook (form fields From, Body),
 * outside /api because providers cannot send a bearer token; it is authenticated by the provider's
 * X-Twilio-Signature instead. "ACK 4821" acknowledges the incident with that code when the sender
 * is one of its site's contacts; "ACK <6 chars>" from a guard acknowledges that guard's patrol, and
 * "ENROUTE", "ONSITE" and "DONE <6 chars>" report its later stages (domain/sms-reply.ts), so a
 * guard can run a whole patrol by SMS as from the phone view.
 *
 * It faces the internet, so it spends as little as it can on requests that are not the provider's:
 * a request without a signature header (or with SMS not configured) is refused before its body is
 * read; a body over WEBHOOK_BODY_LIMIT (64 KiB) is 413; and a body that has not arrived
 * `bodyTimeoutMs` after the headers is cut off with 408. The signature itself is an HMAC over the
 * URL and the form fields, so it can only be checked once the (small) body is in.
 */
export const smsWebhookRoutes: FastifyPluginAsync<{ service: Service; bodyTimeoutMs: number }> = async (app, { service, bodyTimeoutMs }) => {
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  const route = {
    schema: { hide: true },
    bodyLimit: WEBHOOK_BODY_LIMIT,
    onRequest: async (request: FastifyRequest) => {
      if (!service.config.notify.sms) throw new NotFoundError('SMS is not configured');
      if (!request.headers['x-twilio-signature']) throw new ForbiddenError('missing X-Twilio-Signature');
    },
    preParsing: async (request: FastifyRequest, _reply: unknown, payload: NodeJS.ReadableStream) => {
      if (bodyTimeoutMs > 0 && !request.raw.complete) {
        const timer = setTimeout(() => {
          if (!request.raw.complete) refuseOnSocket(request.raw.socket, 408, `the request body did not arrive within ${bodyTimeoutMs} ms`);
        }, bodyTimeoutMs);
        request.raw.once('close', () => clearTimeout(timer));
        request.raw.once('end', () => clearTimeout(timer));
      }
      return payload;
    },
  };
  app.post('/webhooks/sms/inbound', route, async (request, reply) => {
    const sms = service.config.notify.sms;
    if (!sms) throw new NotFoundError('SMS is not configured');
    const params = (request.body ?? {}) as Record<string, string>;
    const url = `${service.config.publicUrl.replace(/\/+$/, '')}/webhooks/sms/inbound`;
    const expected = Buffer.from(twilioSignature(sms.authToken, url, params));
    const got = Buffer.from(String(request.headers['x-twilio-signature'] ?? ''));
    if (expected.length !== got.length || !timingSafeEqual(expected, got)) throw new ForbiddenError('invalid X-Twilio-Signature');
    const from = String(params.From ?? '');
    const said = parseSmsReply(String(params.Body ?? ''));
    reply.type('text/xml');
    if (!said) return twiml(`Vigil: reply ${SMS_REPLY_HELP}.`);
    const code = said.code;
    // A patrol stage reported by its guard (an acknowledgement first looks for an assigned patrol, as before).
    const patrol = (said.action === 'acknowledge' ? await findAssignedPatrolByAckCode(service.db, from, code) : undefined) ?? (await findActivePatrolByCode(service.db, from, code));
    if (patrol) {
      try {
        await advancePatrol(service, patrol.id, said.action, `sms:${from}`, null);
      } catch (e) {
        if (!(e instanceof ConflictError)) throw e;
        const now = (await listPatrols(service.db, { id: patrol.id }, null))[0]?.status ?? 'moved on';
        return twiml(`Vigil: patrol ${patrol.id} is ${now.replace('_', ' ')} already.`);
      }
      const next: Record<string, string> = { acknowledge: `Reply ENROUTE ${code} when you leave.`, 'en-route': `Reply ONSITE ${code} when you arrive.`, 'on-site': `Reply DONE ${code} when finished.`, complete: 'Thank you.' };
      const done: Record<string, string> = { acknowledge: 'acknowledged', 'en-route': 'en route', 'on-site': 'on site', complete: 'completed' };
      return twiml(`Vigil: patrol ${patrol.id} ${done[said.action]}. ${next[said.action]}`);
    }
    if (said.action !== 'acknowledge') return twiml(`Vigil: no patrol under way with code ${code} for this number.`);
    const incidents = await findUnresolvedIncidentsByAckCode(service.db, code);
    const contact = (site: string) => service.config.contacts.find((c) => c.phone === from && (c.sites.length === 0 || c.sites.includes(site)));
    const target = incidents.find((r) => contact(r.site));
    if (!target) return twiml(`Vigil: no open incident with code ${code} for this number.`);
    const who = contact(target.site)!;
    if (target.status !== 'open') return twiml(`Vigil: incident already ${target.status}${target.acknowledgedBy ? ` by ${target.acknowledgedBy}` : ''}.`);
    await applyIncidentAction(service, { id: target.id, action: 'acknowledge', actor: `${who.name} (sms)`, scope: null, now: service.now(), via: 'by SMS reply' });
    await markAlertsAcknowledged(service.db, target.id, who.id, service.now());
    return twiml(`Vigil: incident acknowledged by ${who.name}. Thank you.`);
  });
};
