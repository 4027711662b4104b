/**
 * The demo inbox (demo mode only): the SMS and emails that reached the demo's own receivers, per
 * recipient, newest first, polled every few seconds; and a reply from a demo phone ("ACK 4821"),
 * which the demo SMS receiver delivers to Vigil's signed inbound webhook as Twilio would.
 */
import { useEffect, useState } from 'preact/hooks';
import { fmtAgo, humanize } from '../format.js';
import type { Page } from '../model.js';
import { errorText, request, type DashboardState } from '../store.js';
import { siteName } from './names.js';
import { useApi } from './use-api.js';

interface SmsMessage {
  kind: 'sms';
  id: string;
  at: string;
  direction: 'outbound-api' | 'inbound' | 'outbound-reply';
  from: string;
  to: string;
  body: string;
  replyCode: string | null;
}

interface EmailMessage {
  kind: 'email';
  id: string;
  at: string;
  from: string;
  to: string;
  subject: string;
  messageId: string;
  text: string;
  attachments: { filename: string; contentType: string; size: number }[];
}

interface Recipient {
  address: string;
  channel: 'sms' | 'email';
  name: string | null;
  role: string | null;
  sites: string[];
  count: number;
  lastAt: string | null;
  messages: (SmsMessage | EmailMessage)[];
}

interface DemoInfo {
  enabled: boolean;
  inbox?: boolean;
  sms?: { baseUrl: string; webhook: string | null };
  smtp?: { url: string };
}

export const DEMO_POLL_MS = 3000;

// Whether this server runs in demo mode and this caller may read the inbox: asked once per sign-in.
let demoKnown: boolean | null = null;
const demoListeners = new Set<(v: boolean) => void>();

/** True when the server runs the demo's receivers (and the caller may read them): the tab shows then. */
export function useDemoMode(signedIn: boolean): boolean {
  const [on, setOn] = useState<boolean>(demoKnown === true);
  useEffect(() => {
    demoListeners.add(setOn);
    if (!signedIn) {
      demoKnown = null;
    } else if (demoKnown === null) {
      demoKnown = false;
      request<DemoInfo>('/demo')
        .then((d) => d.enabled && d.inbox === true)
        .catch(() => false)
        .then((v) => {
          demoKnown = v;
          for (const fn of demoListeners) fn(v);
        });
    } else setOn(demoKnown);
    return () => {
      demoListeners.delete(setOn);
    };
  }, [signedIn]);
  return on;
}

const time = (iso: string) => new Date(iso).toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });

const DIRECTION: Record<SmsMessage['direction'], string> = {
  'outbound-api': 'from Vigil',
  inbound: 'reply sent',
  'outbound-reply': "Vigil's answer",
};

export function DemoInboxPage({ state: s }: { state: DashboardState }) {
  const [channel, setChannel] = useState('');
  const q = new URLSearchParams({ limit: '20' });
  if (channel) q.set('channel', channel);
  const info = useApi<DemoInfo>('/demo', 30_000);
  // Outside demo mode the inbox does not exist: say so instead of asking for it.
  const enabled = info.data?.enabled === true;
  const inbox = useApi<Page<Recipient>>(enabled ? `/demo/inbox?${q}` : null, DEMO_POLL_MS);
  const items = inbox.data?.items ?? [];
  return (
    <section class="page demo-inbox" aria-labelledby="demo-title">
      <div class="page-head">
        <h2 id="demo-title">Demo inbox</h2>
        <label class="small">
          Channel{' '}
          <select id="demo-channel" value={channel} onChange={(e) => setChannel(e.currentTarget.value)}>
            <option value="">SMS and email</option>
            <option value="sms">SMS</option>
            <option value="email">email</option>
          </select>
        </label>
        <span class="small muted" aria-live="polite">
          {inbox.data ? `${items.length} recipient${items.length === 1 ? '' : 's'} · updated every ${DEMO_POLL_MS / 1000} s` : inbox.loading ? 'loading…' : ''}
        </span>
      </div>
      <p class="small muted demo-about">
        What reached the demo&apos;s own receivers, delivered by the same code that talks to real providers:
        {info.data?.sms && info.data.smtp
          ? ` SMS through a Twilio-compatible API at ${info.data.sms.baseUrl}, email through an SMTP server at ${info.data.smtp.url}.`
          : ' a Twilio-compatible SMS API and an SMTP server on this machine.'}{' '}
        A reply from a demo phone goes to Vigil&apos;s inbound SMS webhook, signed as Twilio signs it: reply with the code an alert gives to acknowledge its incident.
      </p>
      {info.data && !enabled ? <p class="muted">This server does not run in demo mode (it was started with a configuration), so there is no demo inbox.</p> : null}
      {inbox.error ? <p class="err">{inbox.error}</p> : null}
      {inbox.data && items.length === 0 ? <p class="muted">Nothing has arrived yet: the first alerts of the simulator come within a minute or two.</p> : null}
      <div class="demo-grid">
        {items.map((r) => (
          <RecipientCard key={`${r.channel}:${r.address}`} r={r} s={s} onSent={inbox.reload} />
        ))}
      </div>
    </section>
  );
}

function RecipientCard({ r, s, onSent }: { r: Recipient; s: DashboardState; onSent: () => void }) {
  const [text, setText] = useState('');
  const [note, setNote] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const latestCode = r.messages.find((m): m is SmsMessage => m.kind === 'sms' && m.replyCode !== null)?.replyCode ?? null;
  const reply = (body: string) => {
    if (busy || !body.trim()) return;
    setBusy(true);
    setNote({ text: 'Sending…', error: false });
    request<{ webhookStatus: number; answer: string | null }>('/demo/sms/reply', { method: 'POST', body: { from: r.address, body: body.trim() } })
      .then((res) => {
        setNote({ text: res.webhookStatus < 300 ? `Vigil answered: ${res.answer ?? '(nothing)'}` : `Vigil's webhook answered ${res.webhookStatus}`, error: res.webhookStatus >= 300 });
        setText('');
        onSent();
      })
      .catch((e: unknown) => setNote({ text: errorText(e), error: true }))
      .finally(() => setBusy(false));
  };
  const titleId = `demo-r-${r.channel}-${r.address.replace(/[^A-Za-z0-9]/g, '')}`;
  return (
    <article class="card demo-recipient" data-address={r.address} data-channel={r.channel} aria-labelledby={titleId}>
      <h3 id={titleId}>
        <span>
          {r.name ?? r.address} <span class="small muted">{r.role ? humanize(r.role) : ''}</span>
        </span>
        <span class="small muted">
          {r.channel === 'sms' ? 'SMS' : 'email'} · {r.count}
        </span>
      </h3>
      <p class="small muted">
        {r.address}
        {r.sites.length ? ` · ${r.sites.map((id) => siteName(s, id)).join(', ')}` : ''}
      </p>
      {r.channel === 'sms' ? (
        <form
          class="demo-reply"
          onSubmit={(e) => {
            e.preventDefault();
            reply(text);
          }}
        >
          <label class="small">
            Reply as this phone{' '}
            <input type="text" name="reply" maxLength={320} value={text} placeholder={latestCode ? `ACK ${latestCode}` : 'ACK <code>'} onInput={(e) => setText(e.currentTarget.value)} />
          </label>
          <button type="submit" disabled={busy || !text.trim()}>
            Send
          </button>
          {latestCode ? (
            <button type="button" class="ghost" data-reply={`ACK ${latestCode}`} disabled={busy} onClick={() => reply(`ACK ${latestCode}`)}>
              Reply ACK {latestCode}
            </button>
          ) : null}
        </form>
      ) : null}
      {note ? (
        <p class={`small demo-note${note.error ? ' err' : ''}`} role="status">
          {note.text}
        </p>
      ) : null}
      <ol class="demo-messages">
        {r.messages.map((m) =>
          m.kind === 'sms' ? (
            <li key={m.id} class={`demo-msg sms ${m.direction}`} data-message-kind="sms" data-direction={m.direction}>
              <p class="small muted">
                <time dateTime={m.at} title={m.at}>
                  {time(m.at)}
                </time>{' '}
                · {fmtAgo(m.at)} · {DIRECTION[m.direction]}
              </p>
              <p class="demo-body">{m.body}</p>
            </li>
          ) : (
            <li key={m.id} class="demo-msg email" data-message-kind="email">
              <p class="small muted">
                <time dateTime={m.at} title={m.at}>
                  {time(m.at)}
                </time>{' '}
                · {fmtAgo(m.at)} · from {m.from}
              </p>
              <p class="demo-subject">
                <strong>{m.subject || '(no subject)'}</strong>
              </p>
              <details>
                <summary class="small">Message ({m.messageId || 'no Message-ID'})</summary>
                <pre class="demo-text">{m.text}</pre>
              </details>
              {m.attachments.length ? (
                <ul class="small demo-attachments">
                  {m.attachments.map((a) => (
                    <li key={a.filename} data-attachment={a.filename}>
                      {a.filename} <span class="muted">({a.contentType}, {Math.max(1, Math.round(a.size / 1024))} KiB)</span>
                    </li>
                  ))}
                </ul>
              ) : null}
            </li>
          ),
        )}
      </ol>
    </article>
  );
}
