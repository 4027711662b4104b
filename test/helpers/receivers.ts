/**
 * Real local receivers for end-to-end tests: a Twilio-compatible SMS API (send and list messages,
 * basic auth, programmable failures), an SMTP server (smtp-server), and a webhook endpoint.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface SmsRecord {
  sid: string;
  to: string;
  from: string;
  body: string;
  dateCreated: string;
}

const readBody = (req: IncomingMessage) =>
  new Promise<string>((resolve) => {
    let b = '';
    req.on('data', (c) => (b += c));
    req.on('end', () => resolve(b));
  });

/** A Twilio-compatible SMS API on 127.0.0.1. */
export class TwilioReceiver {
  readonly messages: SmsRecord[] = [];
  /** Statuses to answer the next POSTs with (then 201). */
  readonly failNext: number[] = [];
  /**
   * How many of the next accepted POSTs lose their answer: the message is recorded (the provider
   * took it), then the connection is reset before any response byte is written.
   */
  resetAfterAccept = 0;
  /** How many of the next POSTs are cut off before the provider took the message (nothing recorded). */
  resetBeforeAccept = 0;
  /** How many of the next accepted POSTs are recorded and then never answered (the client times out). */
  hangAfterAccept = 0;
  /** The provider's clock (its `date_sent`); tests with a controlled clock set it to theirs. */
  now: () => Date = () => new Date();
  posts = 0;
  private server!: Server;
  private readonly hanging = new Set<ServerResponse>();
  url = '';

  constructor(readonly accountSid = 'ACtest00000000000000000000000000000', readonly authToken = 'test-auth-token') {}

  async start(port = 0): Promise<this> {
    this.server = createServer(async (req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const path = `/2010-04-01/Accounts/${this.accountSid}/Messages.json`;
      const auth = 'Basic ' + Buffer.from(`${this.accountSid}:${this.authToken}`).toString('base64');
      const json = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (u.pathname !== path) return json(404, { code: 20404, message: 'not found' });
      if (req.headers.authorization !== auth) return json(401, { code: 20003, message: 'Authenticate' });
      if (req.method === 'POST') {
        this.posts++;
        const f = new URLSearchParams(await readBody(req));
        if (this.resetBeforeAccept > 0) {
          this.resetBeforeAccept--;
          req.socket.destroy();
          return;
        }
        const fail = this.failNext.shift();
        if (fail) return json(fail, { code: fail, message: `injected ${fail}` });
        if (!f.get('To') || !f.get('Body')) return json(400, { code: 21604, message: "A 'To' phone number is required." });
        const m: SmsRecord = { sid: `SM${String(this.messages.length + 1).padStart(32, '0')}`, to: f.get('To')!, from: f.get('From') ?? '', body: f.get('Body')!, dateCreated: this.now().toISOString() };
        this.messages.push(m);
        if (this.resetAfterAccept > 0) {
          this.resetAfterAccept--;
          req.socket.destroy();
          return;
        }
        if (this.hangAfterAccept > 0) {
          this.hangAfterAccept--;
          this.hanging.add(res);
          return;
        }
        return json(201, { sid: m.sid, to: m.to, from: m.from, body: m.body, status: 'queued', date_created: m.dateCreated });
      }
      if (req.method === 'GET') {
        const to = u.searchParams.get('To');
        const since = u.searchParams.get('DateSent>') ?? u.searchParams.get('DateSent>=');
        const items = this.messages.filter((m) => (!to || m.to === to) && (!since || m.dateCreated.slice(0, 10) >= since));
        return json(200, { messages: items.map((m) => ({ sid: m.sid, to: m.to, from: m.from, body: m.body, date_sent: m.dateCreated, status: 'delivered' })) });
      }
      json(405, { message: 'method not allowed' });
    });
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  to(phone: string): SmsRecord[] {
    return this.messages.filter((m) => m.to === phone);
  }

  async stop(): Promise<void> {
    for (const res of this.hanging) res.destroy();
    this.hanging.clear();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export interface MailRecord {
  from: string;
  to: string[];
  raw: string;
  /** The raw message with quoted-printable soft breaks and escapes undone (good enough to search). */
  text: string;
  subject: string;
  /** The Message-ID header (a repeat of one notification carries the same one). */
  messageId?: string;
}

/** Decodes RFC 2047 encoded words (Q and B) in a header value. */
export function decodeHeader(v: string): string {
  return v
    .replace(/\?=\s+=\?/g, '?==?')
    .replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_m, _cs: string, enc: string, text: string) => {
      if (enc.toUpperCase() === 'B') return Buffer.from(text, 'base64').toString('utf8');
      const bytes: number[] = [];
      for (let i = 0; i < text.length; i++) {
        if (text[i] === '_') bytes.push(32);
        else if (text[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(text.slice(i + 1, i + 3))) {
          bytes.push(parseInt(text.slice(i + 1, i + 3), 16));
          i += 2;
        } else bytes.push(text.charCodeAt(i));
      }
      return Buffer.from(bytes).toString('utf8');
    });
}

/** An SMTP server on 127.0.0.1 that keeps every message. */
export class SmtpReceiver {
  readonly mails: MailRecord[] = [];
  /** Told about each message once it is kept, before the server answers 250 (fault tests act here). */
  onMail?: (m: MailRecord) => void;
  private server!: SMTPServer;
  port = 0;

  async start(): Promise<this> {
    this.server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData: (stream, session, cb) => {
        let raw = '';
        stream.on('data', (c: Buffer) => (raw += c.toString('utf8')));
        stream.on('end', () => {
          const subject = decodeHeader(/^Subject: (.*(?:\r?\n[ \t].*)*)/m.exec(raw)?.[1].replace(/\r?\n[ \t]/g, ' ') ?? '');
          const text = Buffer.from(raw.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8');
          const m: MailRecord = { from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw, text, subject };
          m.messageId = /^Message-ID:\s*(.*)$/im.exec(raw)?.[1].trim() ?? '';
          this.mails.push(m);
          this.onMail?.(m);
          cb();
        });
      },
    });
    // A client that dies mid-session (the kill -9 tests) resets its connection: not our failure.
    this.server.on('error', () => undefined);
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.server.address() as AddressInfo).port;
    return this;
  }

  to(address: string): MailRecord[] {
    return this.mails.filter((m) => m.to.includes(address));
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

/** An HTTP endpoint that records webhook deliveries. */
export class WebhookReceiver {
  readonly deliveries: { headers: IncomingMessage['headers']; body: string }[] = [];
  /** Told about each delivery once it is kept, before it is answered. */
  onDelivery?: (d: { headers: IncomingMessage['headers']; body: string }) => void;
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer(async (req, res) => {
      const d = { headers: req.headers, body: await readBody(req) };
      this.deliveries.push(d);
      this.onDelivery?.(d);
      res.writeHead(204);
      res.end();
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }

  async stop(): Promise<void> {
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
