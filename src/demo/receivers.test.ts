/**
 * The demo's receivers on real loopback sockets, driven by the product's own senders
 * (channels/sms-twilio.ts, channels/email-smtp.ts): Twilio's API shape, its auth refusal, the
 * message list the dispatcher settles against, SMTP acceptance and what is kept of each email,
 * the inbox file across a restart, and a reply signed as Twilio signs it.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SmtpSender } from '../channels/email-smtp.js';
import { listSentSms, sendSms, type TwilioConfig } from '../channels/sms-twilio.js';
import { PermanentError } from '../domain/errors.js';
import { twilioSignature } from '../api/routes/response.js';
import { DemoInbox } from './inbox.js';
import { parseMail } from './mime.js';
import { DemoSmsReceiver, segmentsOf, twimlMessage } from './sms-receiver.js';
import { DemoSmtpReceiver } from './smtp-receiver.js';

const ACCOUNT = { accountSid: 'ACdemo0000000000000000000000000000', authToken: 'per-data-dir-secret-0123456789', from: '+15550009999' };

describe('DemoSmsReceiver (Twilio-compatible API)', () => {
  const inbox = new DemoInbox();
  const receiver = new DemoSmsReceiver(ACCOUNT, inbox);
  let cfg: TwilioConfig;
  beforeAll(async () => {
    await receiver.start();
    cfg = { baseUrl: receiver.url, ...ACCOUNT };
  });
  afterAll(() => receiver.stop());

  it('takes a send from the product channel and answers 201 with a Twilio message', async () => {
    expect(receiver.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const sent = await sendSms(cfg, '+15550000100', 'VIGIL CRITICAL: unauthorized entry at Store 101. Reply ACK 4821');
    expect(sent.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(sent.status).toBe('queued');
    // The raw answer has Twilio's fields.
    const res = await fetch(`${receiver.url}/2010-04-01/Accounts/${ACCOUNT.accountSid}/Messages.json`, {
      method: 'POST',
      headers: { authorization: 'Basic ' + Buffer.from(`${ACCOUNT.accountSid}:${ACCOUNT.authToken}`).toString('base64'), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ To: '+15550000101', From: ACCOUNT.from, Body: 'second' }).toString(),
    });
    expect(res.status).toBe(201);
    const json = (await res.json()) as Record<string, unknown>;
    expect(json).toMatchObject({ account_sid: ACCOUNT.accountSid, to: '+15550000101', from: ACCOUNT.from, body: 'second', status: 'queued', direction: 'outbound-api', api_version: '2010-04-01', num_segments: '1' });
    expect(json.uri).toBe(`/2010-04-01/Accounts/${ACCOUNT.accountSid}/Messages/${String(json.sid)}.json`);
    expect(Number.isNaN(Date.parse(String(json.date_created)))).toBe(false);
    expect(String(json.date_created)).toMatch(/\+0000$/);
    expect(inbox.allSms().map((m) => m.to)).toEqual(['+15550000101', '+15550000100']);
  });

  it('refuses wrong credentials (401, 20003), another account (404) and a send without To or Body (400)', async () => {
    await expect(sendSms({ ...cfg, authToken: 'demo-token' }, '+15550000100', 'x')).rejects.toThrow(PermanentError);
    await expect(sendSms({ ...cfg, authToken: 'demo-token' }, '+15550000100', 'x')).rejects.toThrow(/401.*20003/);
    const before = inbox.allSms().length;
    const noAuth = await fetch(`${receiver.url}/2010-04-01/Accounts/${ACCOUNT.accountSid}/Messages.json`);
    expect(noAuth.status).toBe(401);
    expect(((await noAuth.json()) as { code: number }).code).toBe(20003);
    const basic = 'Basic ' + Buffer.from(`ACother:${ACCOUNT.authToken}`).toString('base64');
    expect((await fetch(`${receiver.url}/2010-04-01/Accounts/ACother/Messages.json`, { headers: { authorization: basic } })).status).toBe(401);
    const auth = 'Basic ' + Buffer.from(`${ACCOUNT.accountSid}:${ACCOUNT.authToken}`).toString('base64');
    expect((await fetch(`${receiver.url}/2010-04-01/Accounts/ACother/Messages.json`, { headers: { authorization: auth } })).status).toBe(404);
    const post = (form: Record<string, string>) =>
      fetch(`${receiver.url}/2010-04-01/Accounts/${ACCOUNT.accountSid}/Messages.json`, { method: 'POST', headers: { authorization: auth, 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
    const noTo = await post({ From: ACCOUNT.from, Body: 'x' });
    expect(noTo.status).toBe(400);
    expect(((await noTo.json()) as { code: number }).code).toBe(21604);
    expect(((await (await post({ To: '+15550000100', From: ACCOUNT.from })).json()) as { code: number }).code).toBe(21602);
    expect((await post({ To: 'not a number', From: ACCOUNT.from, Body: 'x' })).status).toBe(400);
    await expect(sendSms(cfg, '+15550000100', 'y'.repeat(1601))).rejects.toThrow(/21617/);
    expect(inbox.allSms().length).toBe(before);
  });

  it('lists messages as the dispatcher settles an ambiguous send: by To and DateSent, newest first, in pages', async () => {
    const a = await sendSms(cfg, '+15550000200', 'first to 200');
    const b = await sendSms(cfg, '+15550000200', 'second to 200');
    const listed = await listSentSms(cfg, '+15550000200', new Date(Date.now() - 3_600_000));
    expect(listed.map((m) => m.sid)).toEqual([b.sid, a.sid]);
    expect(listed[0]).toMatchObject({ to: '+15550000200', body: 'second to 200', status: 'delivered' });
    expect(Math.abs(Date.parse(listed[0].dateSent!) - Date.now())).toBeLessThan(3_600_000);
    // A later day lists nothing; another number lists nothing of this one.
    expect(await listSentSms(cfg, '+15550000200', new Date(Date.now() + 2 * 86_400_000))).toEqual([]);
    expect((await listSentSms(cfg, '+15550000999', new Date(0))).length).toBe(0);
    // Paging and one message by sid.
    const auth = 'Basic ' + Buffer.from(`${ACCOUNT.accountSid}:${ACCOUNT.authToken}`).toString('base64');
    const page0 = (await (await fetch(`${receiver.url}/2010-04-01/Accounts/${ACCOUNT.accountSid}/Messages.json?PageSize=1`, { headers: { authorization: auth } })).json()) as {
      messages: { sid: string }[];
      next_page_uri: string | null;
      page: number;
    };
    expect(page0.messages.length).toBe(1);
    expect(page0.page).toBe(0);
    expect(page0.next_page_uri).toContain('Page=1');
    const page1 = (await (await fetch(`${receiver.url}${page0.next_page_uri}`, { headers: { authorization: auth } })).json()) as { messages: { sid: string }[] };
    expect(page1.messages[0].sid).not.toBe(page0.messages[0].sid);
    const one = await fetch(`${receiver.url}/2010-04-01/Accounts/${ACCOUNT.accountSid}/Messages/${a.sid}.json`, { headers: { authorization: auth } });
    expect(((await one.json()) as { body: string }).body).toBe('first to 200');
    expect((await fetch(`${receiver.url}/2010-04-01/Accounts/${ACCOUNT.accountSid}/Messages.json?DateSent%3E=yesterday`, { headers: { authorization: auth } })).status).toBe(400);
  });

  it('delivers a reply to the inbound webhook signed as Twilio signs it, and keeps the TwiML answer', async () => {
    let got: { headers: Record<string, unknown>; form: Record<string, string> } | undefined;
    const vigil: Server = createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        got = { headers: req.headers, form: Object.fromEntries(new URLSearchParams(raw)) };
        res.writeHead(200, { 'content-type': 'text/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?><Response><Message>Vigil: incident acknowledged by Alex Kim &amp; co. Thank you.</Message></Response>');
      });
    });
    await new Promise<void>((r) => vigil.listen(0, '127.0.0.1', r));
    const port = (vigil.address() as AddressInfo).port;
    try {
      receiver.webhook = { postUrl: `http://127.0.0.1:${port}/webhooks/sms/inbound`, signedUrl: 'https://vigil.example/webhooks/sms/inbound' };
      const r = await receiver.reply('+15550000100', 'ACK 4821');
      expect(r.status).toBe(200);
      expect(r.answer).toBe('Vigil: incident acknowledged by Alex Kim & co. Thank you.');
      expect(got!.form).toMatchObject({ From: '+15550000100', To: ACCOUNT.from, Body: 'ACK 4821', AccountSid: ACCOUNT.accountSid, SmsStatus: 'received', NumMedia: '0' });
      expect(got!.form.MessageSid).toBe(r.sent.sid);
      // The product's own check accepts the signature (over the URL Vigil knows itself by).
      expect(got!.headers['x-twilio-signature']).toBe(twilioSignature(ACCOUNT.authToken, 'https://vigil.example/webhooks/sms/inbound', got!.form));
      expect(got!.headers['x-twilio-signature']).not.toBe(twilioSignature('demo-token', 'https://vigil.example/webhooks/sms/inbound', got!.form));
      const convo = inbox.allSms().filter((m) => DemoInbox.phoneOf(m) === '+15550000100');
      expect(convo[0]).toMatchObject({ direction: 'outbound-reply', to: '+15550000100', body: r.answer });
      expect(convo[1]).toMatchObject({ direction: 'inbound', from: '+15550000100', to: ACCOUNT.from, body: 'ACK 4821' });
    } finally {
      await new Promise<void>((r) => vigil.close(() => r()));
    }
  });

  it('counts segments and reads TwiML', () => {
    expect(segmentsOf('a'.repeat(160))).toBe(1);
    expect(segmentsOf('a'.repeat(161))).toBe(2);
    expect(segmentsOf('…'.repeat(70))).toBe(1);
    expect(segmentsOf('…'.repeat(71))).toBe(2);
    expect(twimlMessage('<Response/>')).toBeNull();
    expect(twimlMessage('<Response><Message><Body>a &lt;b&gt;</Body></Message></Response>')).toBe('a <b>');
  });
});

describe('DemoSmtpReceiver', () => {
  const inbox = new DemoInbox();
  const receiver = new DemoSmtpReceiver(inbox);
  let sender: SmtpSender;
  beforeAll(async () => {
    await receiver.start();
    sender = new SmtpSender({ url: receiver.url, from: 'Vigil <vigil@northwind.example>' });
  });
  afterAll(async () => {
    sender.close();
    await receiver.stop();
  });

  it("accepts the product's email and keeps from, to, subject, text, Message-ID and the attachments' names", async () => {
    expect(receiver.url).toMatch(/^smtp:\/\/127\.0\.0\.1:\d+$/);
    const pdf = Buffer.from('%PDF-1.7\n' + 'x'.repeat(5000));
    const answer = await sender.send({
      to: 'morgan.blake@northwind.example',
      subject: 'VIGIL CRITICAL — unauthorized entry at Store 101 Downtown Manhattan, Cash office (Café)',
      text: 'Unauthorized entry at Store 101.\nScore 87 (critical). Net loss $850.00.\nhttp://127.0.0.1:8080/#incident=abc',
      html: '<p>Unauthorized entry at <b>Store 101</b>.</p>',
      messageId: '<notif-42@vigil.local>',
      attachments: [{ filename: 'weekly-loss-report 2026-W47 é.pdf', contentType: 'application/pdf', content: pdf }],
    });
    expect(answer).toMatch(/^250/);
    const [m] = inbox.allEmails();
    expect(m.recipients).toEqual(['morgan.blake@northwind.example']);
    expect(m.envelopeFrom).toBe('vigil@northwind.example');
    expect(m.from).toContain('vigil@northwind.example');
    expect(m.to).toBe('morgan.blake@northwind.example');
    expect(m.subject).toBe('VIGIL CRITICAL — unauthorized entry at Store 101 Downtown Manhattan, Cash office (Café)');
    expect(m.messageId).toBe('<notif-42@vigil.local>');
    expect(m.text).toContain('Score 87 (critical). Net loss $850.00.');
    expect(m.text).toContain('#incident=abc');
    expect(m.hasHtml).toBe(true);
    expect(m.attachments).toEqual([{ filename: 'weekly-loss-report 2026-W47 é.pdf', contentType: 'application/pdf', size: pdf.length }]);
  });

  it('reads a message without a text part from its HTML, and encoded headers', () => {
    const raw = [
      'From: =?UTF-8?Q?S=C3=A9curit=C3=A9?= <a@b.example>',
      'To: x@y.example',
      'Subject: =?utf-8?B?w4ljaGVj?= =?utf-8?B?IGTigJlhbGVydGU=?=',
      'Message-ID: <1@x>',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      '<p>Hello=20<b>world</b></p><p>=C3=A9</p>',
    ].join('\r\n');
    const m = parseMail(raw);
    expect(m.from).toBe('Sécurité <a@b.example>');
    expect(m.subject).toBe('Échec d’alerte');
    expect(m.text).toBe('Hello world\né');
  });
});

describe('DemoInbox file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-demo-inbox-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps what was taken across a restart, owner-only, and survives a line cut off by a crash', () => {
    const file = join(dir, 'demo-inbox.ndjson');
    const a = new DemoInbox(file);
    a.addSms({ sid: 'SM1', direction: 'outbound-api', to: '+15550000100', from: '+15550009999', body: 'hello', at: '2026-11-20T07:00:00.000Z', status: 'delivered', segments: 1 });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // A crash in the middle of a write leaves half a line.
    appendFileSync(file, '{"kind":"sms","sid":"SM2","dir');
    const b = new DemoInbox(file);
    expect(b.allSms().map((m) => m.sid)).toEqual(['SM1']);
    expect(b.smsBySid('SM1')?.body).toBe('hello');
    // The next message starts a line of its own, so it is not lost with the broken one.
    b.addSms({ sid: 'SM3', direction: 'outbound-api', to: '+15550000100', from: '+15550009999', body: 'again', at: '2026-11-20T07:01:00.000Z', status: 'delivered', segments: 1 });
    expect(new DemoInbox(file).allSms().map((m) => m.sid)).toEqual(['SM3', 'SM1']);
    expect(readFileSync(file, 'utf8')).toContain('"SM1"');
  });
});
