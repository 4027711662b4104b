/**
 * The dashboard's one connection to the live stream (`GET /api/v1/stream`, server-sent events),
 * shared by everything that listens: the queue and the open incident (store.ts), the maps and the
 * guard view (views/live.ts). Opened with the first listener, closed with the last, reconnecting
 * 3 s after a drop. EventSource cannot send a bearer token, so the stream is read through fetch,
 * with the token or, when signed in by password, the session cookie (store.ts `openStream`).
 */
import { useEffect, useState } from 'preact/hooks';

/** A stream message: its event name and its JSON data (always with `site`). */
export interface LiveMessage {
  kind: string;
  data: Record<string, unknown> & { site?: string; incidentId?: string | null };
}
type Handler = (m: LiveMessage) => void;

const handlers = new Set<Handler>();
const stateListeners = new Set<(connected: boolean) => void>();
let controller: AbortController | null = null;
let connected = false;
let opener: ((signal: AbortSignal) => Promise<Response>) | null = null;

/** How the stream is opened (store.ts sets it: with the session's credentials). */
export function setStreamOpener(open: (signal: AbortSignal) => Promise<Response>): void {
  opener = open;
}

function setConnected(v: boolean): void {
  if (connected === v) return;
  connected = v;
  for (const fn of stateListeners) fn(v);
}

/** Parses one SSE block ("event: x\ndata: {...}") into a message; comments and pings give null. */
export function parseSseBlock(block: string): LiveMessage | null {
  let kind = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) kind = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (data.length === 0) return null;
  try {
    const parsed = JSON.parse(data.join('\n')) as unknown;
    return parsed && typeof parsed === 'object' ? { kind, data: parsed as LiveMessage['data'] } : null;
  } catch {
    return null;
  }
}

async function run(ctl: AbortController): Promise<void> {
  while (!ctl.signal.aborted) {
    try {
      if (!opener) return;
      const res = await opener(ctl.signal);
      if (res.status === 401 || res.status === 403) return; // signed out, or no read permission: nothing to listen to
      if (!res.ok || !res.body) throw new Error(`stream answered ${res.status}`);
      setConnected(true);
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
      let buf = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value.replace(/\r\n?/g, '\n');
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const m = parseSseBlock(buf.slice(0, i));
          buf = buf.slice(i + 2);
          if (m) for (const h of handlers) h(m);
        }
      }
    } catch {
      /* dropped, refused or aborted: retried below unless aborted */
    }
    setConnected(false);
    if (ctl.signal.aborted) return;
    await new Promise((r) => setTimeout(r, 3000));
  }
}

/** Listens to the live stream; returns the unsubscribe function. */
export function onLive(h: Handler): () => void {
  handlers.add(h);
  if (!controller) {
    const ctl = new AbortController();
    controller = ctl;
    // A stream refused (signed out) ends; the next listener (the next sign-in) opens a new one.
    void run(ctl).finally(() => {
      if (controller === ctl) controller = null;
    });
  }
  return () => {
    handlers.delete(h);
    if (handlers.size === 0 && controller) {
      controller.abort();
      controller = null;
      setConnected(false);
    }
  };
}

/** Whether the stream is connected now, kept current. */
export function useLiveConnected(): boolean {
  const [v, setV] = useState(connected);
  useEffect(() => {
    stateListeners.add(setV);
    setV(connected);
    return () => {
      stateListeners.delete(setV);
    };
  }, []);
  return v;
}

