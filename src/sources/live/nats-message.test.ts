import { describe, expect, it } from 'vitest';
import { natsSourceSchema, natsSubjectMatches } from '../../config/schema.js';
import { afterFailure, deadLetterBody, decodeMessage, MAX_EVENTS_PER_MESSAGE } from './nats-message.js';

const place = { stream: 'EVENTS', streamSequence: 42 };
const enc = (v: unknown) => new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v));
const ev = (extra: Record<string, unknown> = {}) => ({ source: 'cctv', type: 'motion', occurredAt: '2026-11-20T10:00:00-05:00', site: 'store-101', ...extra });
const refs = { zonesBySite: new Map([['store-101', new Set(['sales-floor'])]]) };

describe('decodeMessage', () => {
  it('reads one event, keeping its own id, else giving it the stream place', () => {
    expect(decodeMessage(enc(ev({ sourceEventId: 'own-1' })), place)).toMatchObject({ events: [{ sourceEventId: 'own-1', occurredAt: '2026-11-20T15:00:00.000Z' }] });
    expect(decodeMessage(enc(ev()), place)).toMatchObject({ events: [{ sourceEventId: 'nats-EVENTS-42' }] });
  });

  it('reads an array and NDJSON; events without ids are numbered within the message', () => {
    const arr = decodeMessage(enc([ev(), ev({ sourceEventId: 'x' }), ev()]), place);
    expect('events' in arr && arr.events.map((e) => e.sourceEventId)).toEqual(['nats-EVENTS-42-1', 'x', 'nats-EVENTS-42-3']);
    const nd = decodeMessage(enc(`${JSON.stringify(ev())}\n\n${JSON.stringify(ev())}\n`), place);
    expect('events' in nd && nd.events.map((e) => e.sourceEventId)).toEqual(['nats-EVENTS-42-1', 'nats-EVENTS-42-2']);
  });

  it('refuses with the problems validation gives, all or nothing', () => {
    const r = decodeMessage(enc([ev(), ev({ site: 'store-999', type: 'teleport' })]), place, refs);
    expect(r).toEqual({
      items: 2,
      problems: [
        { path: '[1].type', message: expect.stringContaining('unknown type "teleport"') },
        { path: '[1].site', message: expect.stringContaining('unknown site "store-999"') },
      ],
    });
  });

  it('names NDJSON lines that are not JSON by their line', () => {
    const r = decodeMessage(enc(`${JSON.stringify(ev())}\n{nope\n`), place);
    expect(r).toMatchObject({ problems: [{ row: 2, message: expect.stringMatching(/^expected a JSON value/) }] });
  });

  it('refuses bodies that are not events', () => {
    for (const body of ['', '   ', '42', 'null', '"text"', '[]', '{oops']) expect('problems' in decodeMessage(enc(body), place)).toBe(true);
    expect(decodeMessage(new Uint8Array([0xff, 0xfe, 0x00]), place)).toMatchObject({ problems: [{ message: expect.stringContaining('not UTF-8') }] });
    const many = decodeMessage(enc(Array.from({ length: MAX_EVENTS_PER_MESSAGE + 1 }, () => ev())), place);
    expect(many).toMatchObject({ problems: [{ message: expect.stringContaining(`at most ${MAX_EVENTS_PER_MESSAGE}`) }] });
  });
});

describe('deadLetterBody', () => {
  it('carries the reason, the problems and the original payload (base64 when it is not text)', () => {
    const base = { ...place, reason: 'invalid' as const, problems: [{ path: 'site', message: 'unknown site' }], subject: 'vigil.events', consumer: 'vigil', deliveryCount: 1, at: '2026-11-20T10:00:00.000Z' };
    expect(JSON.parse(deadLetterBody({ ...base, data: enc('{"a":1}') }))).toMatchObject({ reason: 'invalid', problems: base.problems, streamSequence: 42, payload: '{"a":1}' });
    const bin = JSON.parse(deadLetterBody({ ...base, data: new Uint8Array([0xff, 0x00]) }));
    expect(bin.payload).toBeUndefined();
    expect(bin.payloadBase64).toBe('/wA=');
  });
});

describe('afterFailure', () => {
  it('retries with doubling delays, then dead-letters at maxDeliver', () => {
    expect(afterFailure(1, 5)).toEqual({ action: 'retry', delayMs: 1000 });
    expect(afterFailure(3, 5)).toEqual({ action: 'retry', delayMs: 4000 });
    expect(afterFailure(5, 5)).toEqual({ action: 'dead-letter' });
    expect(afterFailure(30, 100)).toEqual({ action: 'retry', delayMs: 60_000 });
  });
});

describe('sources.nats configuration', () => {
  it('matches subjects with * and >', () => {
    expect(natsSubjectMatches('vigil.events', 'vigil.events')).toBe(true);
    expect(natsSubjectMatches('vigil.*', 'vigil.events')).toBe(true);
    expect(natsSubjectMatches('vigil.>', 'vigil.events.a')).toBe(true);
    expect(natsSubjectMatches('vigil.>', 'vigil')).toBe(false);
    expect(natsSubjectMatches('vigil.events', 'vigil.events.dead')).toBe(false);
  });

  it('has defaults, and refuses a dead-letter subject the consumer would read', () => {
    expect(natsSourceSchema.parse({ url: 'nats://127.0.0.1:4222', stream: 'EVENTS', subject: 'vigil.events', durable: 'vigil' })).toMatchObject({ maxDeliver: 5, batch: 100, ackWaitMs: 30_000 });
    const r = natsSourceSchema.safeParse({ url: 'nats://x', stream: 'EVENTS', subject: 'vigil.>', durable: 'vigil', deadLetterSubject: 'vigil.dead' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(['deadLetterSubject']);
    expect(natsSourceSchema.safeParse({ url: 'nats://x', stream: 'bad.name', subject: 'vigil..x', durable: 'vigil' }).error?.issues.map((i) => i.path[0])).toEqual(['stream', 'subject']);
  });
});
