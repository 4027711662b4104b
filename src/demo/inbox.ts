/**
 * The demo inbox: what the demo's own receivers took in (SMS through the Twilio-compatible API,
 * email through SMTP) and the replies sent from the demo's phones, kept by the receivers, never in
 * Vigil's store: the store holds what Vigil decided and sent; this is what arrived on the other
 * side, as a provider would keep it.
 *
 * Kept in memory (the newest MAX_SMS texts and MAX_EMAILS emails) and, with a file, appended to it
 * (NDJSON, owner-only) before the receiver answers, so a restarted demo still lists what it took:
 * the dispatcher settles an SMS whose answer a crash lost against this list, as it would against
 * Twilio's. The file is rewritten with the kept messages only when it has grown to twice as many.
 */
import { appendFileSync, chmodSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';

/** One SMS as the demo provider keeps it. */
export interface DemoSms {
  sid: string;
  /** Twilio's: outbound-api (Vigil sent it), inbound (a demo phone replied), outbound-reply (Vigil's TwiML answer). */
  direction: 'outbound-api' | 'inbound' | 'outbound-reply';
  to: string;
  from: string;
  body: string;
  /** When the provider took it (ISO 8601, UTC). */
  at: string;
  status: 'delivered' | 'received';
  segments: number;
}

/** One email as the demo SMTP server keeps it: parsed enough to show. */
export interface DemoEmail {
  id: string;
  at: string;
  /** Envelope sender and recipients (MAIL FROM, RCPT TO). */
  envelopeFrom: string;
  recipients: string[];
  /** Header From and To as written. */
  from: string;
  to: string;
  subject: string;
  messageId: string;
  /** The plain-text part (or the HTML part's text when there is none), at most MAX_TEXT characters. */
  text: string;
  hasHtml: boolean;
  attachments: { filename: string; contentType: string; size: number }[];
  size: number;
}

export const MAX_SMS = 2000;
export const MAX_EMAILS = 500;
export const MAX_TEXT = 20_000;

type Line = ({ kind: 'sms' } & DemoSms) | ({ kind: 'email' } & DemoEmail);

/** The receivers' record of what arrived, per recipient. */
export class DemoInbox {
  private sms: DemoSms[] = [];
  private emails: DemoEmail[] = [];
  private readonly bySid = new Map<string, DemoSms>();
  private lines = 0;
  /** Told about every message kept (the receivers' own tests wait on it). */
  readonly listeners = new Set<(m: { kind: 'sms'; sms: DemoSms } | { kind: 'email'; email: DemoEmail }) => void>();

  /** `file`: where the inbox is kept across restarts (none: memory only). */
  constructor(private readonly file?: string) {
    if (file && existsSync(file)) this.load(file);
  }

  private load(file: string): void {
    const text = readFileSync(file, 'utf8');
    // A crash mid-write leaves half a line: the next message must start a line of its own.
    if (text.length > 0 && !text.endsWith('\n')) appendFileSync(file, '\n');
    for (const raw of text.split('\n')) {
      if (!raw.trim()) continue;
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch {
        continue; // a line cut off by a crash
      }
      this.lines++;
      const { kind, ...rest } = line;
      if (kind === 'sms') this.keepSms(rest as DemoSms);
      else if (kind === 'email') this.keepEmail(rest as DemoEmail);
    }
  }

  private keepSms(m: DemoSms): void {
    this.sms.push(m);
    this.bySid.set(m.sid, m);
    if (this.sms.length > MAX_SMS) for (const old of this.sms.splice(0, this.sms.length - MAX_SMS)) this.bySid.delete(old.sid);
  }

  private keepEmail(m: DemoEmail): void {
    this.emails.push(m);
    if (this.emails.length > MAX_EMAILS) this.emails.splice(0, this.emails.length - MAX_EMAILS);
  }

  private write(line: Line): void {
    if (!this.file) return;
    appendFileSync(this.file, `${JSON.stringify(line)}\n`, { mode: 0o600 });
    this.lines++;
    if (this.lines > 2 * (MAX_SMS + MAX_EMAILS)) this.compact(this.file);
  }

  private compact(file: string): void {
    const kept: Line[] = [...this.sms.map((m) => ({ kind: 'sms' as const, ...m })), ...this.emails.map((m) => ({ kind: 'email' as const, ...m }))];
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, kept.map((l) => JSON.stringify(l)).join('\n') + (kept.length ? '\n' : ''), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, file);
    this.lines = kept.length;
  }

  addSms(m: DemoSms): void {
    this.write({ kind: 'sms', ...m });
    this.keepSms(m);
    for (const fn of this.listeners) fn({ kind: 'sms', sms: m });
  }

  addEmail(m: DemoEmail): void {
    this.write({ kind: 'email', ...m });
    this.keepEmail(m);
    for (const fn of this.listeners) fn({ kind: 'email', email: m });
  }

  smsBySid(sid: string): DemoSms | undefined {
    return this.bySid.get(sid);
  }

  /** Every kept SMS, newest first. */
  allSms(): DemoSms[] {
    return [...this.sms].reverse();
  }

  /** Every kept email, newest first. */
  allEmails(): DemoEmail[] {
    return [...this.emails].reverse();
  }

  /** The phone whose conversation an SMS belongs to: the demo phone, whichever way it went. */
  static phoneOf(m: DemoSms): string {
    return m.direction === 'inbound' ? m.from : m.to;
  }
}
