/**
 * The demo's own mail server: SMTP (the `smtp-server` package) on loopback, taking the product's
 * email (channels/email-smtp.ts, nodemailer) as any SMTP server would, and keeping each message
 * parsed enough to show in the demo inbox: envelope, From, To, Subject, Message-ID, the text, the
 * attachments' names. No authentication and no TLS: it listens on 127.0.0.1 only and takes mail for
 * nobody but the demo inbox. Messages over MAX_MESSAGE_BYTES are refused (552) as a real server would.
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';
import { MAX_TEXT, type DemoEmail, type DemoInbox } from './inbox.js';
import { parseMail } from './mime.js';

/** Largest message taken (the weekly report's PDF is a few hundred KiB). */
export const MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

export class DemoSmtpReceiver {
  private server: SMTPServer | undefined;
  port = 0;
  /** smtp://127.0.0.1:PORT once started: the URL for notify.email.url. */
  url = '';

  constructor(
    private readonly inbox: DemoInbox,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async start(port = 0): Promise<this> {
    const server = new SMTPServer({
      name: 'vigil-demo.localhost',
      banner: 'Vigil demo mail receiver',
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      size: MAX_MESSAGE_BYTES,
      closeTimeout: 2000,
      logger: false,
      onData: (stream, session, callback) => {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('error', (e: Error) => callback(e));
        stream.on('end', () => {
          if ((stream as unknown as { sizeExceeded?: boolean }).sizeExceeded) {
            callback(Object.assign(new Error('Message exceeds the fixed maximum message size'), { responseCode: 552 }));
            return;
          }
          const raw = Buffer.concat(chunks);
          try {
            this.inbox.addEmail(this.record(raw, session.envelope));
          } catch (e) {
            callback(Object.assign(new Error(`could not keep the message: ${(e as Error).message}`), { responseCode: 451 }));
            return;
          }
          callback();
        });
      },
    });
    // A client that drops its connection mid-session is not the receiver's failure.
    server.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.port = (server.server.address() as AddressInfo).port;
    this.url = `smtp://127.0.0.1:${this.port}`;
    return this;
  }

  private record(raw: Buffer, envelope: { mailFrom: false | { address: string }; rcptTo: { address: string }[] }): DemoEmail {
    const mail = parseMail(raw.toString('latin1'));
    return {
      id: randomBytes(8).toString('hex'),
      at: this.now().toISOString(),
      envelopeFrom: envelope.mailFrom ? envelope.mailFrom.address : '',
      recipients: envelope.rcptTo.map((r) => r.address),
      from: mail.from,
      to: mail.to,
      subject: mail.subject,
      messageId: mail.messageId,
      text: mail.text.length > MAX_TEXT ? `${mail.text.slice(0, MAX_TEXT)}…` : mail.text,
      hasHtml: mail.html.length > 0,
      attachments: mail.attachments,
      size: raw.length,
    };
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
