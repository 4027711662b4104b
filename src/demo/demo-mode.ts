/**
 * Demo mode's own receivers: a Twilio-compatible SMS API and an SMTP server on 127.0.0.1, each on a
 * free port chosen at start, so the demo's alerts are delivered for real, through the very code
 * and protocols that reach real providers, and the demo inbox can show what arrived.
 *
 * Started before the service: the in-memory demo configuration's notify.sms.baseUrl and
 * notify.email.url are rewritten to the ports actually taken (the ones in demo.yaml may be in use),
 * so the dispatcher is built pointing at them. Stopped after the service, once nothing sends.
 */
import { join } from 'node:path';
import type { Config } from '../config/schema.js';
import { ensurePrivateDir } from '../store/lock.js';
import { DemoInbox, type DemoEmail, type DemoSms } from './inbox.js';
import { DemoSmsReceiver } from './sms-receiver.js';
import { DemoSmtpReceiver } from './smtp-receiver.js';

/** The inbox file in the data directory (owner-only; phone numbers and alert texts). */
export const DEMO_INBOX_FILE = 'demo-inbox.ndjson';

/** Who a demo address belongs to, from the configuration (contacts and guards). */
export interface DemoRecipient {
  name: string;
  /** The contact's role, or `guard`. */
  role: string;
  /** The sites the person is for; empty: every site. */
  sites: string[];
}

/** Both receivers and their inbox, as demo mode runs them. */
export class DemoReceivers {
  private constructor(
    readonly inbox: DemoInbox,
    readonly sms: DemoSmsReceiver,
    readonly smtp: DemoSmtpReceiver,
    private readonly config: Config,
  ) {}

  /**
   * Starts both receivers on free loopback ports with the credentials of `config.notify.sms` and
   * points `config.notify` at them. `dataDir`: where the inbox is kept across restarts (none:
   * memory only).
   */
  static async start(config: Config, opts: { dataDir?: string; now?: () => Date } = {}): Promise<DemoReceivers> {
    const sms = config.notify.sms;
    if (!sms) throw new Error('demo mode needs notify.sms in the demo configuration');
    let file: string | undefined;
    if (opts.dataDir) {
      ensurePrivateDir(opts.dataDir);
      file = join(opts.dataDir, DEMO_INBOX_FILE);
    }
    const inbox = new DemoInbox(file);
    const smsReceiver = await new DemoSmsReceiver({ accountSid: sms.accountSid, authToken: sms.authToken, from: sms.from }, inbox, opts.now).start();
    let smtp: DemoSmtpReceiver;
    try {
      smtp = await new DemoSmtpReceiver(inbox, opts.now).start();
    } catch (e) {
      await smsReceiver.stop();
      throw e;
    }
    sms.baseUrl = smsReceiver.url;
    config.notify.email = { url: smtp.url, from: config.notify.email?.from ?? 'vigil@demo.localhost' };
    return new DemoReceivers(inbox, smsReceiver, smtp, config);
  }

  /**
   * Tells the SMS receiver where Vigil's inbound webhook answers: `listenUrl` is where this process
   * listens (a wildcard address is reached on loopback), and the signature covers the webhook URL
   * under the configuration's publicUrl, the address Vigil checks signatures against.
   */
  attach(listenUrl: string): void {
    const local = listenUrl.replace('://0.0.0.0', '://127.0.0.1').replace('://[::]', '://127.0.0.1');
    this.sms.webhook = {
      postUrl: `${local.replace(/\/+$/, '')}/webhooks/sms/inbound`,
      signedUrl: `${this.config.publicUrl.replace(/\/+$/, '')}/webhooks/sms/inbound`,
    };
  }

  /** The person a phone number or email address belongs to in the configuration. */
  recipient(address: string): DemoRecipient | undefined {
    const a = address.toLowerCase();
    const c = this.config.contacts.find((x) => x.phone === address || x.email?.toLowerCase() === a);
    if (c) return { name: c.name, role: c.role, sites: [...c.sites] };
    for (const site of this.config.sites) {
      const g = site.guards.find((x) => x.phone === address);
      if (g) return { name: g.name, role: 'guard', sites: [site.id] };
    }
    return undefined;
  }

  /** What arrived, per recipient address (phone or email), newest first. */
  conversations(): { address: string; channel: 'sms' | 'email'; sms: DemoSms[]; emails: DemoEmail[] }[] {
    const by = new Map<string, { address: string; channel: 'sms' | 'email'; sms: DemoSms[]; emails: DemoEmail[] }>();
    const entry = (address: string, channel: 'sms' | 'email') => {
      const key = `${channel}:${channel === 'email' ? address.toLowerCase() : address}`;
      let e = by.get(key);
      if (!e) by.set(key, (e = { address, channel, sms: [], emails: [] }));
      return e;
    };
    for (const m of this.inbox.allSms()) entry(DemoInbox.phoneOf(m), 'sms').sms.push(m);
    for (const m of this.inbox.allEmails()) for (const r of m.recipients) entry(r, 'email').emails.push(m);
    return [...by.values()];
  }

  async stop(): Promise<void> {
    await Promise.allSettled([this.sms.stop(), this.smtp.stop()]);
  }
}
