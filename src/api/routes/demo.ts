/**
 * Demo mode and its inbox:
 *
 *   GET  /api/v1/demo                 whether this server runs in demo mode (any token), and where
 *                                     its receivers listen; the dashboard shows its Demo inbox tab by it
 *   GET  /api/v1/demo/inbox           what arrived, per recipient (SMS and email), newest first
 *   POST /api/v1/demo/sms/reply       a demo phone texts back ("ACK 4821"): the demo SMS receiver
 *                                     posts it to Vigil's signed inbound webhook as Twilio would
 *
 * The paths under /api/v1/demo/ exist only when the server runs the demo's own receivers (404
 * otherwise). Reading the inbox needs `people:read` (phone numbers, addresses and alert texts);
 * replying needs `incidents:act` (a reply acknowledges). A site-scoped caller sees only the
 * recipients of its sites (contacts and guards of the configuration) and replies only as one of them.
 */
import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { InvalidError, NotFoundError } from '../../domain/errors.js';
import type { DemoReceivers, DemoRecipient } from '../../demo/demo-mode.js';
import type { DemoEmail, DemoSms } from '../../demo/inbox.js';
import { can, principalOf } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

/** The code an alert asks to be texted back ("Reply ACK 4821", "(ACK 4821)"). */
export function replyCodeOf(body: string): string | undefined {
  return /\bACK ([A-Za-z0-9-]{4,12})\b/.exec(body)?.[1];
}

function inScope(who: DemoRecipient | undefined, scope: readonly string[] | null): boolean {
  if (scope === null) return true;
  return who !== undefined && who.sites.some((s) => scope.includes(s));
}

const smsView = (m: DemoSms) => ({
  kind: 'sms' as const,
  id: m.sid,
  at: m.at,
  direction: m.direction,
  from: m.from,
  to: m.to,
  body: m.body,
  status: m.status,
  segments: m.segments,
  replyCode: m.direction === 'outbound-api' ? (replyCodeOf(m.body) ?? null) : null,
});

const emailView = (m: DemoEmail) => ({
  kind: 'email' as const,
  id: m.id,
  at: m.at,
  from: m.from,
  to: m.to,
  subject: m.subject,
  messageId: m.messageId,
  text: m.text,
  hasHtml: m.hasHtml,
  attachments: m.attachments,
  size: m.size,
});

/** Routes under /api/v1: the demo status always, the inbox with the demo's receivers only. */
export const demoRoutes: FastifyPluginAsync<RouteDeps & { demo?: DemoReceivers }> = async (app, deps) => {
  const { demo } = deps;

  app.get(
    '/demo',
    { schema: { tags: ['demo'], summary: "Whether this server runs in demo mode, and the demo's own SMS and SMTP receivers", response: deps.errors(401) } },
    async (request) => {
      if (!demo) return { enabled: false };
      return {
        enabled: true,
        /** Whether this caller may read the inbox (contact data). */
        inbox: can(principalOf(request).role, 'people:read'),
        sms: { baseUrl: demo.sms.url, api: 'twilio-compatible', webhook: demo.sms.webhook?.signedUrl ?? null },
        smtp: { url: demo.smtp.url },
      };
    },
  );
  if (!demo) return;

  const inboxQuery = z
    .object({
      channel: z.enum(['sms', 'email']).optional(),
      address: z.string().min(3).max(320).optional(),
      limit: deps.query.limit(200, 20),
    })
    .strict();
  app.get(
    '/demo/inbox',
    {
      config: { permission: 'people:read' },
      schema: {
        tags: ['demo'],
        summary: 'What reached the demo receivers, per recipient, newest first (`limit` messages each)',
        querystring: deps.input(inboxQuery),
        response: deps.errors(400, 401, 403),
      },
    },
    async (request) => {
      const q = request.query as z.output<typeof inboxQuery>;
      const scope = principalOf(request).sites;
      const items = demo
        .conversations()
        .filter((c) => (!q.channel || c.channel === q.channel) && (!q.address || c.address.toLowerCase() === q.address.toLowerCase()))
        .map((c) => {
          const who = demo.recipient(c.address);
          const messages = [...c.sms.map(smsView), ...c.emails.map(emailView)].sort((a, b) => b.at.localeCompare(a.at));
          return { c, who, messages };
        })
        .filter(({ who }) => inScope(who, scope))
        .map(({ c, who, messages }) => ({
          address: c.address,
          channel: c.channel,
          name: who?.name ?? null,
          role: who?.role ?? null,
          sites: who?.sites ?? [],
          count: messages.length,
          lastAt: messages[0]?.at ?? null,
          messages: messages.slice(0, q.limit),
        }))
        .sort((a, b) => (b.lastAt ?? '').localeCompare(a.lastAt ?? ''));
      return { items, nextCursor: null };
    },
  );

  const replyBody = z
    .object({
      from: z.string().regex(/^\+[1-9]\d{6,14}$/, 'expected the E.164 phone number of a demo phone'),
      body: z.string().trim().min(1, 'expected the text of the reply').max(320),
    })
    .strict();
  app.post(
    '/demo/sms/reply',
    {
      config: { permission: 'incidents:act' },
      schema: {
        tags: ['demo'],
        summary: "A demo phone texts back: the demo SMS receiver posts it to Vigil's inbound webhook, signed as Twilio signs",
        body: deps.input(replyBody),
        response: deps.errors(400, 401, 403, 404),
      },
    },
    async (request) => {
      const b = request.body as z.output<typeof replyBody>;
      const scope = principalOf(request).sites;
      const who = demo.recipient(b.from);
      const received = demo.inbox.allSms().some((m) => m.direction === 'outbound-api' && m.to === b.from);
      if (!received || !inScope(who, scope)) throw new NotFoundError(`demo phone ${b.from} (no SMS reached it)`);
      if (!demo.sms.webhook) throw new InvalidError([{ path: 'from', message: 'the demo receiver is not attached to the server yet' }]);
      const r = await demo.sms.reply(b.from, b.body);
      return {
        webhookStatus: r.status,
        answer: r.answer,
        sent: smsView(r.sent),
        answered: r.answered ? smsView(r.answered) : null,
        from: { phone: b.from, name: who?.name ?? null },
      };
    },
  );
};
