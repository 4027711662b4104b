/**
 * The other side of the detection-to-alert benchmark, in its own thread so it does not share the
 * server's event loop: a Twilio-compatible SMS receiver (records when each message arrives) and an
 * open-loop load generator (posts events at a fixed rate, one per request, whatever the answers).
 *
 * The generator connects as the chain's gateways or a load balancer do: over a bounded pool of
 * keep-alive connections (ALERT_CONNECTIONS), a request waiting in the client for a free one. Its
 * latency still counts from the moment it was due, so waiting in the client is not hidden. (With
 * a new connection whenever none was free, a server that fell 50 ms behind was sent 50 new
 * connections, each costing it a TCP accept and a socket: thousands of them overflowed the listen
 * queue, and the kernel's SYN retransmits of 1-7 s measured the client, not the server.)
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parentPort } from 'node:worker_threads';

const now = () => performance.timeOrigin + performance.now();

/** Keep-alive connections the generator opens at most (as the overload benchmark's client). */
export const ALERT_CONNECTIONS = 256;

interface Phase {
  rate: number;
  seconds: number;
  /** Events to send, in order (pre-built by the main thread). */
  events: { sourceEventId: string; body: string }[];
}

const arrivals: { body: string; at: number }[] = [];
const server = createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const at = now();
    if (req.method === 'POST') {
      arrivals.push({ body: new URLSearchParams(body).get('Body') ?? '', at });
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ sid: `SM${arrivals.length}`, status: 'queued' }));
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ messages: [] }));
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => parentPort!.postMessage({ kind: 'ready', receiverUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));

async function run(url: string, token: string, phase: Phase) {
  const sent = new Map<string, number>();
  const statuses = new Map<number, number>();
  /** Each request's time from its send to its answer (ms), in send order. */
  const latencies: number[] = [];
  let inflight = 0;
  let maxInflight = 0;
  const base = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets: ALERT_CONNECTIONS, keepAliveMsecs: 1000 });
  const start = now();
  const total = phase.events.length;
  let i = 0;
  await new Promise<void>((resolve) => {
    let done = 0;
    const tick = () => {
      const due = Math.min(total, Math.floor(((now() - start) / 1000) * phase.rate) + 1);
      while (i < due) {
        const e = phase.events[i++];
        inflight++;
        maxInflight = Math.max(maxInflight, inflight);
        const t0 = now();
        sent.set(e.sourceEventId, t0);
        let settled = false;
        const finish = (status: number) => {
          if (settled) return;
          settled = true;
          if (status !== 0) latencies.push(now() - t0);
          statuses.set(status, (statuses.get(status) ?? 0) + 1);
          inflight--;
          if (++done === total) resolve();
        };
        const req = request(
          { host: base.hostname, port: base.port, path: '/api/v1/events', method: 'POST', agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(e.body) } },
          (res) => {
            res.resume();
            res.on('end', () => finish(res.statusCode ?? 0));
            res.on('error', () => finish(0));
          },
        );
        req.on('error', () => finish(0));
        req.end(e.body);
      }
      if (i < total) setTimeout(tick, 1);
    };
    tick();
  });
  agent.destroy();
  return { sent: [...sent.entries()], statuses: [...statuses.entries()], latencies, maxInflight, elapsed: (now() - start) / 1000 };
}

parentPort!.on('message', async (m: { kind: string; url: string; token: string; phase: Phase }) => {
  if (m.kind === 'run') {
    arrivals.length = 0;
    const r = await run(m.url, m.token, m.phase);
    // Give the last alerts time to arrive.
    await new Promise((res) => setTimeout(res, 3000));
    parentPort!.postMessage({ kind: 'result', ...r, arrivals: arrivals.splice(0) });
  } else if (m.kind === 'arrivals') {
    // SMS that arrived after a phase's result was sent (a server still working off its backlog).
    parentPort!.postMessage({ kind: 'arrivals', arrivals: arrivals.splice(0) });
  } else if (m.kind === 'stop') {
    server.close();
    parentPort!.close();
  }
});
