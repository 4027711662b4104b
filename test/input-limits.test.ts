/**
 * Input the store cannot hold is refused at the edge, the same on both stores: lone surrogates in
 * `details` (values and keys), amounts beyond the `numeric(20, 4)` column, times outside the
 * documented range. Every problem of a request comes back in one answer, shape and references
 * together. Real HTTP on 127.0.0.1 against every test store; a property test posts generated
 * hostile events and checks that no answer is a 5xx and that a refused request stores nothing.
 */
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiToken } from '../src/api/auth.js';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';
import { TEST_STORES } from './helpers/stores.js';

const ADMIN = 'input-limits-admin';
const good = { source: 'alarm', type: 'intrusion', occurredAt: '2026-11-20T02:00:00-05:00', site: 'store-101', zone: 'stockroom' };

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;
interface Problem {
  path: string;
  message: string;
  row?: number;
}

describe.each(TEST_STORES)('input the store cannot hold, on $name', (store) => {
  let service: Service;
  let app: FastifyInstance;
  let base: string;
  let drop: () => Promise<void> = async () => {};
  let seq = 0;

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    service = await createService({
      config: loadDemoConfig(),
      ...(s.dataDir ? { dataDir: s.dataDir } : {}),
      ...(s.databaseUrl ? { databaseUrl: s.databaseUrl } : {}),
      adminToken: ADMIN,
    });
    app = await buildServer(service);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });

  afterAll(async () => {
    await app?.close();
    await service?.close();
    await drop();
  });

  const stored = async () => Number((await service.db.query<{ n: number }>('SELECT count(*)::int AS n FROM events')).rows[0].n);

  /** Posts a JSON text (JSON.stringify escapes lone surrogates as \udXXX, which the server decodes back). */
  async function post(body: unknown, token = ADMIN): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${base}/api/v1/events`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: res.status, body: parsed };
  }

  async function refused(event: unknown): Promise<Problem[]> {
    const before = await stored();
    const r = await post(event);
    expect(r.status, JSON.stringify(r.body)).toBe(400);
    expect(await stored()).toBe(before);
    return r.body.error.details as Problem[];
  }

  const id = () => `lim-${++seq}`;

  it('refuses a lone surrogate in a details value or key, naming its path', async () => {
    expect(await refused({ ...good, sourceEventId: id(), details: { note: 'half \ud800 a pair' } })).toEqual([
      { path: 'details.note', message: expect.stringMatching(/lone surrogate/) },
    ]);
    expect(await refused({ ...good, sourceEventId: id(), details: { items: [{ ok: 'x' }, { note: '\udc00' }] } })).toEqual([
      { path: 'details.items[1].note', message: expect.stringMatching(/lone surrogate/) },
    ]);
    expect(await refused({ ...good, sourceEventId: id(), details: { 'bad\ud800key': 1 } })).toEqual([
      { path: 'details["bad\\ud800key"]', message: expect.stringMatching(/lone surrogate/) },
    ]);
    // A well-formed pair (an emoji) is data like any other.
    const ok = await post({ ...good, sourceEventId: id(), details: { note: 'bag \ud83d\udc5c left' } });
    expect(ok.status).toBe(202);
  });

  it('refuses an amount beyond the store column, naming the limit', async () => {
    const problems = await refused({ ...good, sourceEventId: id(), amount: { value: '99999999999999999999.99', currency: 'USD' } });
    expect(problems).toEqual([{ path: 'amount.value', message: expect.stringMatching(/9999999999999999\.99/) }]);
    expect(await refused({ ...good, sourceEventId: id(), amount: { value: 1e300, currency: 'USD' } })).toMatchObject([{ path: 'amount.value' }]);
    expect(await refused({ ...good, sourceEventId: id(), amount: { value: '-10000000000000000', currency: 'JPY' } })).toMatchObject([{ path: 'amount.value' }]);
    // The largest amount the column holds is accepted.
    const max = await post({ ...good, sourceEventId: id(), amount: { value: '9999999999999999.99', currency: 'USD' } });
    expect(max.status, JSON.stringify(max.body)).toBe(202);
  });

  it('refuses times outside 1970..9999 and dates that do not exist, on both stores alike', async () => {
    for (const occurredAt of ['0001-01-01T00:00:00Z', '1969-12-31T23:59:59Z', '9999-12-31T23:00:00-05:00', '2026-02-31T10:00:00Z', '2026-01-01T24:00:00Z']) {
      expect(await refused({ ...good, sourceEventId: id(), occurredAt }), occurredAt).toEqual([{ path: 'occurredAt', message: expect.any(String) }]);
    }
    for (const occurredAt of ['1970-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2028-02-29T12:00:00+14:00']) {
      const r = await post({ ...good, sourceEventId: id(), occurredAt });
      expect(r.status, `${occurredAt}: ${JSON.stringify(r.body)}`).toBe(202);
    }
  });

  it('lists shape and reference problems in one answer', async () => {
    const problems = await refused({ ...good, sourceEventId: id(), type: 'intrusionn', site: 'store-999', occurredAt: 'yesterday' });
    expect(problems.map((p) => p.path).sort()).toEqual(['occurredAt', 'site', 'type']);
    expect(problems.find((p) => p.path === 'site')!.message).toMatch(/unknown site "store-999"/);
    // In a batch, each event's problems carry its index; a bad zone is named beside a bad field of another event.
    const batch = await refused([
      { ...good, sourceEventId: id(), zone: 'no-such-zone', amount: { value: 'ten', currency: 'USD' } },
      { ...good, sourceEventId: id() },
      { ...good, sourceEventId: id(), site: 'store-999', details: { n: '\ud800' } },
    ]);
    expect(batch.map((p) => p.path).sort()).toEqual(['[0].amount.value', '[0].zone', '[2].details.n', '[2].site']);
  });

  it('tells a site-scoped token nothing of the sites outside its scope', async () => {
    const { token } = await createApiToken(service.db, { name: 'dc feeder', role: 'ingest', sites: ['dc-201'] });
    const before = await stored();
    // Its own site: a bad zone is listed with the other problems, and the sites named are its own.
    const own = await post({ ...good, sourceEventId: id(), site: 'dc-201', zone: 'no-such-zone', type: 'intrusionn' }, token);
    expect(own.status).toBe(400);
    expect(own.body.error.details.map((p: Problem) => p.path).sort()).toEqual(['type', 'zone']);
    // Another site, configured or not: shape problems first, then the same 403 for both, never "unknown site".
    const other = await post({ ...good, sourceEventId: id(), site: 'store-999', type: 'intrusionn' }, token);
    expect(other.status).toBe(400);
    expect(other.body.error.details).toEqual([{ path: 'type', message: expect.stringMatching(/unknown type/) }]);
    for (const site of ['store-999', 'store-101']) {
      const r = await post({ ...good, sourceEventId: id(), site }, token);
      expect(r.status, JSON.stringify(r.body)).toBe(403);
      expect(JSON.stringify(r.body)).not.toMatch(/store-10[0-9]\b.*store-10[0-9]|expected one of/);
    }
    expect(await stored()).toBe(before);
  });

  it('answers generated hostile events with 202 or 4xx, never 5xx, and a 4xx stores nothing', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof({ weight: 4, arbitrary: hostileEvent }, { weight: 1, arbitrary: fc.array(hostileEvent, { minLength: 1, maxLength: 3 }) }), async (body) => {
        const stamp = ++seq;
        const withIds = Array.isArray(body) ? body.map((e, i) => ({ sourceEventId: `gen-${stamp}-${i}`, ...e })) : { sourceEventId: `gen-${stamp}`, ...body };
        const before = await stored();
        const r = await post(withIds);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        expect(r.status === 202 || (r.status >= 400 && r.status < 500), `${r.status} ${JSON.stringify(r.body)} for ${JSON.stringify(withIds)}`).toBe(true);
        const after = await stored();
        if (r.status === 202) expect(after - before).toBe(r.body.accepted);
        else expect(after).toBe(before);
      }),
      { numRuns: Number(process.env.VIGIL_PROPERTY_RUNS ?? 100), seed: Number(process.env.VIGIL_PROPERTY_SEED ?? 20261120) },
    );
    // The generator reaches both outcomes, or the property proves little.
    expect(statuses.get(202) ?? 0).toBeGreaterThan(5);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(5);
  });
});

// ---------------------------------------------------------------------------------------------
// Generators: mostly plausible events with one or more fields made hostile.

/** Strings of arbitrary UTF-16 code units: lone surrogates, NUL, controls, and ordinary text. */
const hostileString = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('\ud800', '\udfff', 'a\udc00b', '\udc00\ud800', 'a\u0000b', '\u0000', '\ud83d\udc5c', '<x>&amp;', '__proto__', 'constructor', ''),
  fc.array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 8 }).map((units) => String.fromCharCode(...units)),
);

const hugeNumber = fc.constantFrom(1e300, -1e300, 1e16, 9007199254740993, 5e-324, -0, 0.1, 123456789012345678901234567890);

const leaf = fc.oneof(hostileString, fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), hugeNumber, fc.boolean(), fc.constant(null));

/** JSON values nested up to 12 levels (the limit is 8), with hostile keys and leaves. */
const nested: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(hostileString, tie('value'), { maxKeys: 3 }),
  ),
})).value;

const deep = fc.integer({ min: 1, max: 12 }).map((n) => {
  let v: unknown = 'bottom';
  for (let i = 0; i < n; i++) v = { d: v };
  return v;
});

const digits = (n: number) => fc.integer({ min: 0, max: 10 ** n - 1 }).map((x) => String(x).padStart(n, '0'));

/** ISO-shaped times with every field drawn from its full digit range: year 0000, month 13, Feb 31, hour 24, offset +99:99... */
const oddTime = fc
  .tuple(digits(4), digits(2), digits(2), digits(2), digits(2), digits(2), fc.constantFrom('Z', '+00:00', '-05:00', '+14:00', '+99:99', '-23:59'))
  .map(([y, mo, d, h, mi, s, off]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${off}`);

/** Mostly `good`, sometimes one of the hostile choices: each field alone goes bad often enough to be seen, and whole events stay valid often enough to be stored. */
const mostly = <T,>(good: fc.Arbitrary<T>, ...hostile: fc.Arbitrary<unknown>[]): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 6 * hostile.length, arbitrary: good }, ...hostile.map((h) => ({ weight: 1, arbitrary: h })));

const occurredAt = mostly(
  fc.constantFrom('2026-11-20T02:00:00-05:00', '1970-01-01T00:00:00Z', '9999-12-31T23:59:59Z', '2024-02-29T23:59:59+14:00'),
  fc.constantFrom('0001-01-01T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59-05:00', '2026-02-31T00:00:00Z', '2026-01-01T24:00:00Z'),
  oddTime,
  hostileString,
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

const amountValue = mostly(
  fc.constantFrom('12.50', '0', '-3', '9999999999999999.99', '0.001'),
  fc.constantFrom('10000000000000000', '99999999999999999999.99', '1e5', '0x10', ' 5 ', '1.23456789', '-9999999999999999.995'),
  fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map((b) => `${b}.${String(b % 100n < 0n ? -(b % 100n) : b % 100n).padStart(2, '0')}`),
  hugeNumber,
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  hostileString,
);

const details = mostly(
  fc.dictionary(fc.string({ maxLength: 6 }), leaf, { maxKeys: 4 }),
  fc.dictionary(hostileString, nested, { maxKeys: 4 }),
  deep.map((d) => ({ deep: d })),
);

const hostileEvent = fc
  .record(
    {
      source: mostly(fc.constant('alarm'), fc.constantFrom('pos', 'access_control', 'nope'), hostileString),
      type: mostly(fc.constant('intrusion'), fc.constantFrom('void', 'door_forced', 'intrusionn'), hostileString),
      occurredAt,
      site: mostly(fc.constant('store-101'), fc.constantFrom('store-999', 'dc-201'), hostileString),
      zone: mostly(fc.constant('stockroom'), fc.constantFrom('no-such-zone', 'cash-office'), hostileString),
      amount: fc.record({ value: amountValue, currency: mostly(fc.constantFrom('USD', 'JPY', 'BHD'), hostileString) }),
      details,
    },
    { requiredKeys: ['source', 'type', 'occurredAt', 'site'] },
  )
  .map((e) => e as Record<string, unknown>);
