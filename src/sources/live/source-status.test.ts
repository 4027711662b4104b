import { describe, expect, it } from 'vitest';
import { redactUrl, SourceRegistry, SourceTracker } from './source-status.js';

describe('SourceTracker', () => {
  it('keeps the reason only while unhealthy and resets since on a change of state', () => {
    let t = new Date('2026-12-01T10:00:00Z');
    const s = new SourceTracker('frigate', 'frigate', { url: 'mqtt://127.0.0.1:1883' }, () => t);
    expect(s.status()).toMatchObject({ state: 'connecting', reason: null, lastMessageAt: null, since: '2026-12-01T10:00:00.000Z' });
    t = new Date('2026-12-01T10:00:05Z');
    s.setState('reconnecting', 'ECONNREFUSED');
    expect(s.status()).toMatchObject({ state: 'reconnecting', reason: 'ECONNREFUSED', since: '2026-12-01T10:00:05.000Z' });
    t = new Date('2026-12-01T10:00:09Z');
    s.setState('reconnecting', 'ECONNRESET');
    expect(s.status()).toMatchObject({ reason: 'ECONNRESET', since: '2026-12-01T10:00:05.000Z' });
    s.setState('connected', 'ignored');
    s.messageArrived();
    s.count('accepted', 2);
    s.count('rejected');
    expect(s.status()).toMatchObject({ state: 'connected', reason: null, lastMessageAt: '2026-12-01T10:00:09.000Z', counts: { accepted: 2, duplicate: 0, rejected: 1 } });
  });

  it('hands out copies, so a reader cannot change the counts', () => {
    const s = new SourceTracker('nats', 'nats');
    s.status().counts.accepted = 99;
    expect(s.status().counts.accepted).toBe(0);
  });
});

describe('SourceRegistry', () => {
  it('refuses two sources with one id and lists them in order', () => {
    const r = new SourceRegistry();
    const src = (id: string) => ({ tracker: new SourceTracker(id, id), start: async () => undefined, stop: async () => undefined });
    r.add(src('frigate'));
    r.add(src('nats'));
    expect(() => r.add(src('nats'))).toThrow(/already registered/);
    expect(r.list().map((s) => s.id)).toEqual(['frigate', 'nats']);
  });
});

describe('redactUrl', () => {
  it('drops user name and password', () => {
    expect(redactUrl('mqtt://vigil:secret@broker.example:1883')).toBe('mqtt://broker.example:1883');
    expect(redactUrl('not a url')).toBe('(invalid url)');
  });
});
