/**
 * The demo's own SMS provider: a Twilio-compatible REST API on loopback, the same API the product's
 * SMS channel (channels/sms-twilio.ts) calls on a real provider.
 *
 *   POST /2010-04-01/Accounts/{AccountSid}/Messages.json         form To, From, Body -> 201 message
 *   GET  /2010-04-01/Accounts/{AccountSid}/Messages.json         ?To=&From=&DateSent>=&DateSent<=&PageSize=&Page=
 *   GET  /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json   one message
 *
 * HTTP basic auth `AccountSid:AuthToken` as Twilio checks it (401, code 20003, otherwise); a wrong
 * account in the path is 404 (20404); a send without To or Body is 400 (21604, 21602) like
 * Twilio's. Messages are answered and listed in Twilio's JSON shape (sid, account_sid, to, from,
 * body, status, direction, RFC 2822 dates, uri), newest first, so the dispatcher's settling of an
 * ambiguous send (listSentSms: To + DateSent>) reads it exactly as it reads Twilio.
 *
 * A reply from one of the demo's phones goes the other way, as Twilio delivers an inbound SMS: a
 * form POST of From, To, Body (and Twilio's other fields) to Vigil's inbound webhook, signed with
 * X-Twilio-Signature (HMAC-SHA1 of the webhook URL and the sorted fields, keyed with the auth
 * token). The TwiML answer's <Message> is what Twilio would text back; it is kept as an outbound
 * message to the phone that replied.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DemoInbox, DemoSms } from './inbox.js';

/** The credentials and number of the demo's SMS account (the demo config's notify.sms). */
export interface SmsAccount {
  accountSid: string;
  authToken: string;
  /** The account's own number: Vigil sends from it, replies are sent to it. */
  from: string;
}

/** Where replies go: Vigil's inbound webhook, and the URL Vigil signs against (its public URL). */
export interface InboundWebhook {
  /** The address the request is sent to. */
  postUrl: string;
  /** The URL in the signature: the webhook address as Vigil knows it (config publicUrl). */
  signedUrl: string;
}

/** What Vigil answered to a reply. */
export interface ReplyOutcome {
  status: number;
  /** The text of the TwiML <Message>, if any (texted back to the phone). */
  answer: string | null;
  sent: DemoSms;
  answered?: DemoSms;
}

/** Most bytes of a form body the receiver reads (Twilio's own limit on a body is 1600 characters). */
const MAX_FORM_BYTES = 64 * 1024;

/** Twilio's request signature: base64 HMAC-SHA1 of the URL followed by the sorted form fields. */
export function twilioRequestSignature(authToken: string, url: string, params: Record<string, string>): string {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
  return createHmac('sha1', authToken).update(data).digest('base64');
}

/** A date as Twilio writes it in JSON: RFC 2822 in UTC ("Thu, 20 Nov 2026 07:14:00 +0000"). */
export function rfc2822(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

/** The SMS segments a body takes (GSM-7: 160 alone, 153 each when split; otherwise UCS-2: 70 / 67). */
export function segmentsOf(body: string): number {
  // eslint-disable-next-line no-control-regex
  const gsm = /^[\n\r\x20-\x7e£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà€]*$/.test(body);
  const single = gsm ? 160 : 70;
  const part = gsm ? 153 : 67;
  const n = [...body].length;
  return n <= single ? 1 : Math.ceil(n / part);
}

function newSid(prefix: string): string {
  return prefix + randomBytes(16).toString('hex');
}

function readForm(req: IncomingMessage): Promise<URLSearchParams | undefined> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM_BYTES) {
        resolve(undefined);
        req.destroy();
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

/** The Twilio-compatible SMS API of the demo, on 127.0.0.1 at a free port. */
export class DemoSmsReceiver {
  private server: Server | undefined;
  /** http://127.0.0.1:PORT once started: the base URL for notify.sms.baseUrl. */
  url = '';
  /** Where replies are posted; set once Vigil listens. */
  webhook: InboundWebhook | undefined;

  constructor(
    private readonly account: SmsAccount,
    private readonly inbox: DemoInbox,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Listens on 127.0.0.1 (port 0: a free one). */
  async start(port = 0): Promise<this> {
    const server = createServer((req, res) => {
      this.handle(req).then(
        ({ status, body }) => {
          res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify(body));
        },
        () => {
          res.writeHead(500, { 'content-type': 'application/json; charset=utf-8' });
          res.end(JSON.stringify({ code: 20500, message: 'Internal Server Error', status: 500 }));
        },
      );
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private error(status: number, code: number, message: string) {
    return { status, body: { code, message, more_info: `https://www.twilio.com/docs/errors/${code}`, status } };
  }

  /** Answers one API request (status and JSON body). */
  async handle(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages(?:\/([^/]+))?\.json$/.exec(u.pathname);
    if (!m) return this.error(404, 20404, 'The requested resource was not found');
    // Basic auth first, as Twilio does: without valid credentials nothing is revealed.
    if (!this.authorised(req.headers.authorization)) return this.error(401, 20003, 'Authenticate');
    if (decodeURIComponent(m[1]) !== this.account.accountSid) return this.error(404, 20404, `The requested resource ${u.pathname} was not found`);
    if (m[2]) {
      if (req.method !== 'GET') return this.error(405, 20004, 'Method not allowed');
      const msg = this.inbox.smsBySid(decodeURIComponent(m[2]));
      return msg ? { status: 200, body: this.json(msg) } : this.error(404, 20404, `The requested resource ${u.pathname} was not found`);
    }
    if (req.method === 'POST') return this.send(req);
    if (req.method === 'GET') return this.list(u);
    return this.error(405, 20004, 'Method not allowed');
  }

  private authorised(header: string | undefined): boolean {
    const expected = Buffer.from('Basic ' + Buffer.from(`${this.account.accountSid}:${this.account.authToken}`).toString('base64'));
    const got = Buffer.from(header ?? '');
    return got.length === expected.length && timingSafeEqual(got, expected);
  }

  private async send(req: IncomingMessage): Promise<{ status: number; body: unknown }> {
    const form = await readForm(req);
    if (!form) return this.error(413, 20413, 'Request body too large');
    const to = form.get('To')?.trim() ?? '';
    const from = form.get('From')?.trim() ?? '';
    const body = form.get('Body') ?? '';
    if (!to) return this.error(400, 21604, "A 'To' phone number is required.");
    if (!/^\+[1-9]\d{6,14}$/.test(to)) return this.error(400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (!from) return this.error(400, 21603, "A 'From' phone number is required.");
    if (!body) return this.error(400, 21602, 'Message body is required.');
    if ([...body].length > 1600) return this.error(400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    const at = this.now().toISOString();
    const msg: DemoSms = { sid: newSid('SM'), direction: 'outbound-api', to, from, body, at, status: 'delivered', segments: segmentsOf(body) };
    // Kept (and written to the inbox file) before the answer, as a provider that took the message.
    this.inbox.addSms(msg);
    // Twilio answers a send with the message still queued; the list shows it delivered.
    return { status: 201, body: { ...this.json(msg), status: 'queued', date_sent: null } };
  }

  private list(u: URL): { status: number; body: unknown } {
    const to = u.searchParams.get('To');
    const from = u.searchParams.get('From');
    // `DateSent>=2026-11-20` arrives as the parameter `DateSent>` with the value `2026-11-20`.
    const after = u.searchParams.get('DateSent>') ?? u.searchParams.get('DateSent>=');
    const before = u.searchParams.get('DateSent<') ?? u.searchParams.get('DateSent<=');
    const on = u.searchParams.get('DateSent');
    for (const [name, v] of [['DateSent>', after], ['DateSent<', before], ['DateSent', on]] as const) {
      if (v !== null && !/^\d{4}-\d{2}-\d{2}$/.test(v)) return this.error(400, 20001, `Invalid ${name}: expected YYYY-MM-DD, got ${v}`);
    }
    const pageSize = Math.min(1000, Math.max(1, Number(u.searchParams.get('PageSize') ?? 50) || 50));
    const page = Math.max(0, Math.floor(Number(u.searchParams.get('Page') ?? 0) || 0));
    const all = this.inbox.allSms().filter((m) => {
      const day = m.at.slice(0, 10);
      return (!to || m.to === to) && (!from || m.from === from) && (!after || day >= after) && (!before || day <= before) && (!on || day === on);
    });
    const items = all.slice(page * pageSize, (page + 1) * pageSize);
    const base = `/2010-04-01/Accounts/${this.account.accountSid}/Messages.json`;
    const query = (p: number) => {
      const q = new URLSearchParams(u.searchParams);
      q.set('PageSize', String(pageSize));
      q.set('Page', String(p));
      return `${base}?${q}`;
    };
    return {
      status: 200,
      body: {
        messages: items.map((m) => this.json(m)),
        page,
        page_size: pageSize,
        start: page * pageSize,
        end: page * pageSize + Math.max(0, items.length - 1),
        uri: query(page),
        first_page_uri: query(0),
        previous_page_uri: page > 0 ? query(page - 1) : null,
        next_page_uri: (page + 1) * pageSize < all.length ? query(page + 1) : null,
      },
    };
  }

  /** A message in Twilio's JSON shape. */
  private json(m: DemoSms) {
    const date = rfc2822(new Date(m.at));
    return {
      sid: m.sid,
      account_sid: this.account.accountSid,
      api_version: '2010-04-01',
      to: m.to,
      from: m.from,
      body: m.body,
      status: m.status,
      direction: m.direction,
      num_segments: String(m.segments),
      num_media: '0',
      date_created: date,
      date_updated: date,
      date_sent: date,
      error_code: null,
      error_message: null,
      price: null,
      price_unit: 'USD',
      messaging_service_sid: null,
      uri: `/2010-04-01/Accounts/${this.account.accountSid}/Messages/${m.sid}.json`,
      subresource_uris: { media: `/2010-04-01/Accounts/${this.account.accountSid}/Messages/${m.sid}/Media.json` },
    };
  }

  /**
   * A text from `phone` to the account's number, delivered to Vigil's inbound webhook the way
   * Twilio delivers one: form fields, X-Twilio-Signature over the webhook URL Vigil knows itself
   * by. Vigil's TwiML answer is texted back to the phone (kept as an outbound message).
   */
  async reply(phone: string, body: string): Promise<ReplyOutcome> {
    const hook = this.webhook;
    if (!hook) throw new Error('the demo SMS receiver does not know where Vigil listens yet');
    const at = this.now().toISOString();
    const sent: DemoSms = { sid: newSid('SM'), direction: 'inbound', to: this.account.from, from: phone, body, at, status: 'received', segments: segmentsOf(body) };
    this.inbox.addSms(sent);
    const params: Record<string, string> = {
      ToCountry: 'US',
      SmsMessageSid: sent.sid,
      NumMedia: '0',
      SmsSid: sent.sid,
      SmsStatus: 'received',
      Body: body,
      To: this.account.from,
      NumSegments: String(sent.segments),
      MessageSid: sent.sid,
      AccountSid: this.account.accountSid,
      From: phone,
      ApiVersion: '2010-04-01',
    };
    const res = await fetch(hook.postUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-twilio-signature': twilioRequestSignature(this.account.authToken, hook.signedUrl, params),
        'user-agent': 'TwilioProxy/1.1 (Vigil demo)',
      },
      body: new URLSearchParams(params).toString(),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    const answer = twimlMessage(text);
    let answered: DemoSms | undefined;
    if (res.ok && answer) {
      answered = { sid: newSid('SM'), direction: 'outbound-reply', to: phone, from: this.account.from, body: answer, at: this.now().toISOString(), status: 'delivered', segments: segmentsOf(answer) };
      this.inbox.addSms(answered);
    }
    return { status: res.status, answer, sent, ...(answered ? { answered } : {}) };
  }
}

/** The text of the first <Message> of a TwiML answer (entities undone), or null. */
export function twimlMessage(xml: string): string | null {
  const m = /<Message(?:\s[^>]*)?>([\s\S]*?)<\/Message>/.exec(xml);
  if (!m) return null;
  const inner = m[1].replace(/<Body(?:\s[^>]*)?>([\s\S]*?)<\/Body>/, '$1');
  return inner.replace(/&(lt|gt|quot|apos|amp);/g, (_e, n: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[n]!).trim();
}
