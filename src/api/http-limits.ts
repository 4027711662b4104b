/**
 * The limits of the HTTP edge: how long a client may take, how much work may be in flight, and
 * who may read /metrics. Defaults are chosen for a server that faces the internet (the SMS webhook
 * must) and still takes a 5 MiB ingest over a slow uplink; every value can be set from the
 * environment (`httpLimitsFromEnv`, read by `vigil serve`).
 */
import { InvalidError, type Problem } from '../domain/errors.js';

/** Socket and request timeouts of the HTTP server (milliseconds; 0 turns one off). */
export interface HttpTimeouts {
  /**
   * The whole request, headers and body, must arrive within this (Node's `requestTimeout`).
   * 120 s lets a 5 MiB body in at 350 kbit/s, slower than any store uplink worth the name, and
   * still cuts off a client that dribbles a body that never ends.
   */
  requestTimeoutMs: number;
  /** The request line and headers must arrive within this (Node's `headersTimeout`; at most requestTimeoutMs). */
  headersTimeoutMs: number;
  /** An idle keep-alive connection is closed after this (above the 60 s idle of common proxies). */
  keepAliveTimeoutMs: number;
  /** A socket with no traffic either way is closed after this (Fastify's `connectionTimeout`; above the 15 s SSE ping). */
  connectionTimeoutMs: number;
  /** The SMS webhook's body (64 KiB at most) must arrive within this after its headers. */
  webhookBodyTimeoutMs: number;
}

/** The default timeouts. */
export const DEFAULT_HTTP_TIMEOUTS: Readonly<HttpTimeouts> = {
  requestTimeoutMs: 120_000,
  headersTimeoutMs: 20_000,
  keepAliveTimeoutMs: 72_000,
  connectionTimeoutMs: 90_000,
  webhookBodyTimeoutMs: 10_000,
};

/** Largest body of the SMS webhook: an inbound SMS is a few hundred bytes of form fields. */
export const WEBHOOK_BODY_LIMIT = 64 * 1024;

/** How much ingest work may be in flight before new requests are refused with 503 and Retry-After. */
export interface AdmissionLimits {
  /**
   * Request body bytes in flight on the ingest route, counted from the request's first byte until
   * its answer (read, parsed, validated, queued and committed). A request is always admitted when
   * nothing else is in flight, so a body of the full body limit is never refused for its size alone.
   */
  maxInflightBytes: number;
  /** Events validated and waiting for their group commit (or in the one being written). */
  maxPendingEvents: number;
  /**
   * New requests are refused while the oldest admitted one has waited longer than this since its
   * body was in: the budget that holds whatever the machine's speed, so accepted requests keep a
   * bounded latency. Slow uploads do not count until their body is in.
   */
  maxQueueMs: number;
  /**
   * New requests are refused while the event loop was busier than this share of the last 250 ms
   * (0..1) and admitted work is falling behind (the oldest admitted request has waited a fifth of
   * maxQueueMs): a loop that never waits for I/O serves /healthz, new connections and refusals
   * late, so some headroom is kept for them. 1 turns the check off.
   */
  maxLoopUtilization: number;
  /** What Retry-After tells a refused client (milliseconds, rounded up to seconds). */
  retryAfterMs: number;
}

/**
 * The default admission budget. 8 MiB in flight bounds the memory of bodies being read and parsed
 * (a parsed body takes several times its size) while leaving room for one 5 MiB body; 10,000
 * pending events are two full group commits; 500 ms of queueing keeps an accepted request's wait
 * short when the machine is slower than those counts assume.
 */
export const DEFAULT_ADMISSION: Readonly<AdmissionLimits> = {
  maxInflightBytes: 8 * 1024 * 1024,
  maxPendingEvents: 10_000,
  maxQueueMs: 500,
  maxLoopUtilization: 0.9,
  retryAfterMs: 1000,
};

/**
 * The listen queue: connections the kernel completes before the server accepts them. Node's
 * default of 511 overflowed under a burst of new connections (a client pool that grew while the
 * server was busy): the kernel then drops the handshake's last ACK and the client waits for a SYN-ACK
 * retransmit, 1 s, 3 s, 7 s later, while the server sits idle (docs/performance.md, "The listen
 * queue"). The kernel caps it at net.core.somaxconn (4096 on current Linux).
 */
export const DEFAULT_LISTEN_BACKLOG = 4096;

/** Who may read GET /metrics: anyone (`on`), nobody (`off`: 404), or a scraper with the metrics token. */
export type MetricsAccess = { mode: 'on' } | { mode: 'off' } | { mode: 'token'; token: string };

/** Everything the edge takes from the environment. */
export interface HttpLimits {
  timeouts: HttpTimeouts;
  /** The listen queue (VIGIL_LISTEN_BACKLOG). */
  backlog: number;
  admission: AdmissionLimits;
  metrics: MetricsAccess;
  /** The operations listener's port (VIGIL_OPS_PORT, api/ops-listener.ts); none when unset. */
  opsPort?: number;
}

const ENV_TIMEOUTS: [keyof HttpTimeouts, string][] = [
  ['requestTimeoutMs', 'VIGIL_REQUEST_TIMEOUT_MS'],
  ['headersTimeoutMs', 'VIGIL_HEADERS_TIMEOUT_MS'],
  ['keepAliveTimeoutMs', 'VIGIL_KEEPALIVE_TIMEOUT_MS'],
  ['connectionTimeoutMs', 'VIGIL_IDLE_TIMEOUT_MS'],
  ['webhookBodyTimeoutMs', 'VIGIL_WEBHOOK_BODY_TIMEOUT_MS'],
];
const ENV_ADMISSION: [keyof AdmissionLimits, string][] = [
  ['maxInflightBytes', 'VIGIL_INGEST_MAX_INFLIGHT_BYTES'],
  ['maxPendingEvents', 'VIGIL_INGEST_MAX_PENDING_EVENTS'],
  ['maxQueueMs', 'VIGIL_INGEST_MAX_QUEUE_MS'],
];

/** Reads the edge's limits from the environment; every bad value is listed by its variable. */
export function httpLimitsFromEnv(env: Record<string, string | undefined>): HttpLimits {
  const problems: Problem[] = [];
  const int = (name: string, fallback: number, min: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) {
      problems.push({ path: name, message: `expected an integer >= ${min}, got ${JSON.stringify(raw)}` });
      return fallback;
    }
    return n;
  };
  const timeouts = { ...DEFAULT_HTTP_TIMEOUTS };
  for (const [key, name] of ENV_TIMEOUTS) timeouts[key] = int(name, timeouts[key], 0);
  const admission = { ...DEFAULT_ADMISSION };
  for (const [key, name] of ENV_ADMISSION) admission[key] = int(name, admission[key], 1);
  const elu = env.VIGIL_INGEST_MAX_LOOP_UTILIZATION;
  if (elu !== undefined && elu !== '') {
    const n = Number(elu);
    if (!Number.isFinite(n) || n <= 0 || n > 1) problems.push({ path: 'VIGIL_INGEST_MAX_LOOP_UTILIZATION', message: `expected a share between 0 and 1 (1 turns the check off), got ${JSON.stringify(elu)}` });
    else admission.maxLoopUtilization = n;
  }
  let metrics: MetricsAccess = { mode: 'on' };
  const mode = (env.VIGIL_METRICS ?? 'on').toLowerCase();
  if (mode === 'off') metrics = { mode: 'off' };
  else if (mode === 'token') {
    const token = env.VIGIL_METRICS_TOKEN ?? '';
    if (token.length < 16) problems.push({ path: 'VIGIL_METRICS_TOKEN', message: 'VIGIL_METRICS=token needs VIGIL_METRICS_TOKEN of at least 16 characters' });
    else metrics = { mode: 'token', token };
  } else if (mode !== 'on') problems.push({ path: 'VIGIL_METRICS', message: `expected on, off or token, got ${JSON.stringify(env.VIGIL_METRICS)}` });
  const backlog = int('VIGIL_LISTEN_BACKLOG', DEFAULT_LISTEN_BACKLOG, 1);
  let opsPort: number | undefined;
  const ops = env.VIGIL_OPS_PORT;
  if (ops !== undefined && ops !== '') {
    const n = Number(ops);
    if (!Number.isInteger(n) || n < 0 || n > 65535) problems.push({ path: 'VIGIL_OPS_PORT', message: `expected a port 0-65535 (0: any free port), got ${JSON.stringify(ops)}` });
    else opsPort = n;
  }
  if (problems.length > 0) throw new InvalidError(problems, `HTTP limits in the environment are invalid (${problems.length} problem${problems.length === 1 ? '' : 's'})`);
  return { timeouts, backlog, admission, metrics, ...(opsPort !== undefined ? { opsPort } : {}) };
}
