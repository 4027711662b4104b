import { describe, expect, it } from 'vitest';
import { InvalidError } from '../domain/errors.js';
import { DEFAULT_ADMISSION, DEFAULT_HTTP_TIMEOUTS, DEFAULT_LISTEN_BACKLOG, httpLimitsFromEnv } from './http-limits.js';

describe('httpLimitsFromEnv', () => {
  it('defaults to open metrics and the default limits', () => {
    expect(httpLimitsFromEnv({})).toEqual({ timeouts: DEFAULT_HTTP_TIMEOUTS, backlog: DEFAULT_LISTEN_BACKLOG, admission: DEFAULT_ADMISSION, metrics: { mode: 'on' } });
  });

  it('reads every limit and the metrics mode', () => {
    const l = httpLimitsFromEnv({
      VIGIL_REQUEST_TIMEOUT_MS: '3000',
      VIGIL_HEADERS_TIMEOUT_MS: '2000',
      VIGIL_KEEPALIVE_TIMEOUT_MS: '0',
      VIGIL_IDLE_TIMEOUT_MS: '4000',
      VIGIL_WEBHOOK_BODY_TIMEOUT_MS: '500',
      VIGIL_INGEST_MAX_INFLIGHT_BYTES: '1000000',
      VIGIL_INGEST_MAX_PENDING_EVENTS: '500',
      VIGIL_INGEST_MAX_QUEUE_MS: '250',
      VIGIL_INGEST_MAX_LOOP_UTILIZATION: '0.75',
      VIGIL_METRICS: 'token',
      VIGIL_METRICS_TOKEN: 'a-scrape-token-of-enough-length',
      VIGIL_LISTEN_BACKLOG: '1024',
      VIGIL_OPS_PORT: '9464',
    });
    expect(l.backlog).toBe(1024);
    expect(l.opsPort).toBe(9464);
    expect(httpLimitsFromEnv({ VIGIL_OPS_PORT: '0' }).opsPort).toBe(0);
    expect(l.timeouts).toEqual({ requestTimeoutMs: 3000, headersTimeoutMs: 2000, keepAliveTimeoutMs: 0, connectionTimeoutMs: 4000, webhookBodyTimeoutMs: 500 });
    expect(l.admission).toMatchObject({ maxInflightBytes: 1_000_000, maxPendingEvents: 500, maxQueueMs: 250, maxLoopUtilization: 0.75 });
    expect(l.metrics).toEqual({ mode: 'token', token: 'a-scrape-token-of-enough-length' });
    expect(httpLimitsFromEnv({ VIGIL_METRICS: 'off' }).metrics).toEqual({ mode: 'off' });
  });

  it('lists every bad value by its variable', () => {
    let err: unknown;
    try {
      httpLimitsFromEnv({ VIGIL_REQUEST_TIMEOUT_MS: '2s', VIGIL_INGEST_MAX_INFLIGHT_BYTES: '0', VIGIL_INGEST_MAX_LOOP_UTILIZATION: '90%', VIGIL_METRICS: 'token', VIGIL_LISTEN_BACKLOG: '0', VIGIL_OPS_PORT: '70000' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidError);
    expect((err as InvalidError).problems.map((p) => p.path)).toEqual(['VIGIL_REQUEST_TIMEOUT_MS', 'VIGIL_INGEST_MAX_INFLIGHT_BYTES', 'VIGIL_INGEST_MAX_LOOP_UTILIZATION', 'VIGIL_METRICS_TOKEN', 'VIGIL_LISTEN_BACKLOG', 'VIGIL_OPS_PORT']);
    expect(() => httpLimitsFromEnv({ VIGIL_METRICS: 'maybe' })).toThrow(InvalidError);
  });
});
