/**
 * Dashboard users and sessions through real HTTP, on every test store: sign-in sets an HttpOnly,
 * SameSite=Strict cookie; a wrong password and an unknown name get the same 401; failures past the
 * limit get 429 with Retry-After; a disabled user and an expired session are refused; signing out
 * ends the session; a state-changing request made with the cookie needs the CSRF token; a guard of
 * one site sees nothing of another, in the API and in the live stream; admins manage users over
 * the API; the first-run setup code works once.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../src/api/server.js';
import { createUser, issueSetupCode } from '../src/api/user-accounts.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { createService, type Service } from '../src/service.js';
import { TEST_STORES } from './helpers/stores.js';

const ADMIN = 'sessions-admin-token';
const PASSWORD = 'correct horse battery';

for (const store of TEST_STORES) {
  describe(`users and sessions (${store.name})`, () => {
    let service: Service;
    let app: FastifyInstance;
    let url = '';
    let drop: () => Promise<void> = async () => {};
    let clock = Date.parse('2026-11-20T12:00:00Z');

    beforeAll(async () => {
      const s = await store.fresh();
      drop = s.drop;
      service = await createService({ config: loadDemoConfig(), ...(s.databaseUrl ? { databaseUrl: s.databaseUrl } : { dataDir: s.dataDir }), adminToken: ADMIN, now: () => new Date(clock) });
      app = await buildServer(service);
      url = await app.listen({ port: 0, host: '127.0.0.1' });
      const now = new Date(clock);
      await createUser(service.db, { name: 'Alice', role: 'manager', password: PASSWORD, now });
      await createUser(service.db, { name: 'gary', role: 'guard', sites: ['store-102'], password: PASSWORD, now });
      await createUser(service.db, { name: 'dora', role: 'security_lead', password: PASSWORD, now });
      for (const name of ['rita', 'eve', 'xavier']) await createUser(service.db, { name, role: 'auditor', password: PASSWORD, now });
    }, 60_000);
    afterAll(async () => {
      await app?.close();
      await service?.close();
      await drop();
    });

    /** Signs in; the cookie ("vigil_session=...") and the answer. */
    async function login(name: string, password = PASSWORD) {
      const res = await fetch(`${url}/api/v1/session`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name, password }),
      });
      const body = await res.json();
      const setCookie = res.headers.get('set-cookie') ?? '';
      return { res, body, setCookie, cookie: setCookie.split(';')[0] };
    }
    const get = (path: string, cookie: string) => fetch(`${url}/api/v1${path}`, { headers: { cookie } });

    it('signs in with name and password: an HttpOnly, SameSite=Strict session cookie and a CSRF token', async () => {
      const { res, body, setCookie, cookie } = await login('alice'); // any case
      expect(res.status).toBe(201);
      expect(setCookie).toMatch(/^vigil_session=[A-Za-z0-9_-]{43}; /);
      expect(setCookie).toContain('HttpOnly');
      expect(setCookie).toContain('SameSite=Strict');
      expect(setCookie).toContain('Path=/');
      expect(setCookie).not.toContain('Secure'); // plain http and an http publicUrl
      expect(body).toMatchObject({ name: 'Alice', role: 'manager', sites: [], via: 'session' });
      expect(body.csrfToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

      const me = await get('/session', cookie);
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ name: 'Alice', role: 'manager', via: 'session', csrfToken: body.csrfToken });
      expect((await get('/incidents', cookie)).status).toBe(200);

      // The store keeps hashes only.
      const sessionId = cookie.split('=')[1];
      const dump = JSON.stringify((await service.db.query(`SELECT * FROM user_sessions`)).rows) + JSON.stringify((await service.db.query(`SELECT * FROM users`)).rows);
      expect(dump).not.toContain(sessionId);
      expect(dump).not.toContain(body.csrfToken);
      expect(dump).not.toContain(PASSWORD);
      const u = (await service.db.query<{ password_params: { alg: string; N: number }; last_login_at: Date | null }>(`SELECT password_params, last_login_at FROM users WHERE name = 'Alice'`)).rows[0];
      expect(u.password_params).toMatchObject({ alg: 'scrypt', N: 32768, r: 8, p: 1 });
      expect(u.last_login_at).not.toBeNull();
    });

    it('refuses a sign-in sent from another site\'s page (Origin)', async () => {
      const res = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: JSON.stringify({ name: 'dora', password: PASSWORD }) });
      expect(res.status).toBe(403);
      expect(res.headers.get('set-cookie')).toBeNull();
      const same = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json', origin: url }, body: JSON.stringify({ name: 'dora', password: PASSWORD }) });
      expect(same.status).toBe(201);
    });

    it('marks the cookie Secure when publicUrl is https', async () => {
      const before = service.config.publicUrl;
      service.config.publicUrl = 'https://vigil.example.com';
      try {
        const { res, setCookie } = await login('dora');
        expect(res.status).toBe(201);
        expect(setCookie).toMatch(/; Secure/);
        expect(setCookie).toContain('HttpOnly');
      } finally {
        service.config.publicUrl = before;
      }
    });

    it('answers a wrong password and an unknown name alike, and no cookie', async () => {
      const wrong = await login('dora', 'not the password');
      const unknown = await login('nobody-here', 'not the password');
      expect(wrong.res.status).toBe(401);
      expect(unknown.res.status).toBe(401);
      expect(wrong.body).toEqual(unknown.body);
      expect(wrong.body.error.code).toBe('unauthorized');
      expect(wrong.setCookie).toBe('');
      // A bad cookie is a 401 in the contract shape.
      const bad = await get('/incidents', 'vigil_session=forged');
      expect(bad.status).toBe(401);
      expect((await bad.json()).error.code).toBe('unauthorized');
      expect((await fetch(`${url}/api/v1/incidents`)).status).toBe(401);
    });

    it('refuses a name after 5 failures with 429 and Retry-After, even with the right password', async () => {
      for (let i = 0; i < 5; i++) expect((await login('rita', `wrong password ${i}`)).res.status).toBe(401);
      const limited = await login('rita');
      expect(limited.res.status).toBe(429);
      expect(Number(limited.res.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(limited.body.error.code).toBe('too_many_requests');
      expect(limited.setCookie).toBe('');
      // Other names are not affected by one name's failures (the address limit is higher).
      expect((await login('eve')).res.status).toBe(201);
      // When the window has passed, the right password works again.
      clock += 15 * 60_000 + 1000;
      expect((await login('rita')).res.status).toBe(201);
    });

    it('refuses a disabled user, and disabling ends their sessions', async () => {
      const { cookie } = await login('xavier');
      expect((await get('/incidents', cookie)).status).toBe(200);
      const res = await fetch(`${url}/api/v1/users/xavier`, { method: 'PATCH', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ disabled: true }) });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ name: 'xavier', disabled: true });
      expect((await get('/incidents', cookie)).status).toBe(401);
      const again = await login('xavier');
      expect(again.res.status).toBe(401);
      expect(again.body).toEqual((await login('nobody-at-all', 'whatever pw')).body);
    });

    it('signs out: the session ends and the cookie is cleared', async () => {
      const { cookie, body } = await login('dora');
      const out = await fetch(`${url}/api/v1/session`, { method: 'DELETE', headers: { cookie, 'x-csrf-token': body.csrfToken } });
      expect(out.status).toBe(200);
      expect(out.headers.get('set-cookie')).toMatch(/^vigil_session=; .*Max-Age=0/);
      expect((await get('/session', cookie)).status).toBe(401);
      expect((await get('/incidents', cookie)).status).toBe(401);
    });

    it('refuses an expired session', async () => {
      const { cookie } = await login('eve');
      expect((await get('/session', cookie)).status).toBe(200);
      clock += 12 * 3_600_000 + 1000;
      const res = await get('/incidents', cookie);
      expect(res.status).toBe(401);
      expect((await res.json()).error.message).toMatch(/expired/);
    });

    it('refuses a state-changing request made with the cookie but without the CSRF token, and takes it with the token', async () => {
      const { cookie, body } = await login('alice');
      const event = (id: string) => JSON.stringify({ source: 'alarm', type: 'panic', sourceEventId: id, occurredAt: '2026-11-20T12:00:00Z', site: 'store-101', zone: 'cash-office' });
      const without = await fetch(`${url}/api/v1/events`, { method: 'POST', headers: { cookie, 'content-type': 'application/json' }, body: event('csrf-1') });
      expect(without.status).toBe(403);
      const err = await without.json();
      expect(err.error.code).toBe('forbidden');
      expect(err.error.message).toMatch(/X-CSRF-Token/);
      const forged = await fetch(`${url}/api/v1/events`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': 'x'.repeat(43) }, body: event('csrf-2') });
      expect(forged.status).toBe(403);
      expect((await service.db.query(`SELECT 1 FROM events WHERE source_event_id IN ('csrf-1', 'csrf-2')`)).rows).toEqual([]);
      const withToken = await fetch(`${url}/api/v1/events`, { method: 'POST', headers: { cookie, 'content-type': 'application/json', 'x-csrf-token': body.csrfToken }, body: event('csrf-3') });
      expect(withToken.status).toBe(202);
      // Logout is state-changing too.
      expect((await fetch(`${url}/api/v1/session`, { method: 'DELETE', headers: { cookie } })).status).toBe(403);
      // A bearer token needs no CSRF token.
      const bearer = await fetch(`${url}/api/v1/events`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: event('csrf-4') });
      expect(bearer.status).toBe(202);
    });

    it('keeps a guard of one site out of every other site, in the API and in the stream', async () => {
      const { cookie, body } = await login('gary');
      expect(body).toMatchObject({ role: 'guard', sites: ['store-102'] });
      const r101 = await service.pipeline.ingest([{ source: 'access_control', type: 'door_forced', sourceEventId: 'scope-101', occurredAt: '2026-11-20T07:14:00.000Z', site: 'store-101', zone: 'cash-office', details: {} }]);
      const other = r101.incidentsOpened[0];
      expect(other).toBeTruthy();
      expect((await get(`/incidents/${other}`, cookie)).status).toBe(404);
      const list = (await (await get('/incidents?limit=500', cookie)).json()) as { items: { site: string }[] };
      expect(list.items.every((i) => i.site === 'store-102')).toBe(true);
      // A guard may not manage users.
      expect((await fetch(`${url}/api/v1/users`, { headers: { cookie } })).status).toBe(403);

      // The stream, with the cookie: an incident at store-101, then one at store-102; the guard hears the second and never the first.
      const ctrl = new AbortController();
      const res = await fetch(`${url}/api/v1/stream`, { headers: { cookie }, signal: ctrl.signal });
      expect(res.status).toBe(200);
      const reader = res.body!.getReader();
      let buf = '';
      const read = async (until: (s: string) => boolean) => {
        while (!until(buf)) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += new TextDecoder().decode(value);
        }
      };
      await read((s) => s.includes(': connected'));
      const a = await service.pipeline.ingest([{ source: 'access_control', type: 'door_forced', sourceEventId: 'scope-101b', occurredAt: '2026-11-20T08:14:00.000Z', site: 'store-101', zone: 'cash-office', details: {} }]);
      const b = await service.pipeline.ingest([{ source: 'access_control', type: 'door_forced', sourceEventId: 'scope-102', occurredAt: '2026-11-20T08:15:00.000Z', site: 'store-102', zone: 'cash-office', details: {} }]);
      const mine = b.incidentsOpened[0];
      await read((s) => s.includes(`"incidentId":"${mine}"`));
      ctrl.abort();
      expect(buf).toContain(`"incidentId":"${mine}"`);
      expect(buf).not.toContain(a.incidentsOpened[0]);
      expect(buf).not.toContain('"site":"store-101"');
    });

    it('lets admins manage users over the API, and nobody else', async () => {
      const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
      const made = await fetch(`${url}/api/v1/users`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'ivan', role: 'investigator', sites: ['dc-201'], password: 'a long enough pw' }) });
      expect(made.status).toBe(201);
      expect(await made.json()).toMatchObject({ name: 'ivan', role: 'investigator', sites: ['dc-201'], disabled: false });
      const dup = await fetch(`${url}/api/v1/users`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'IVAN', role: 'guard', password: 'a long enough pw' }) });
      expect(dup.status).toBe(409);
      const bad = await fetch(`${url}/api/v1/users`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'bad name', role: 'ingest', sites: ['nowhere'], password: 'short' }) });
      expect(bad.status).toBe(400);
      const paths = ((await bad.json()).error.details as { path: string }[]).map((d) => d.path).sort();
      expect(paths).toEqual(expect.arrayContaining(['name', 'password', 'role']));
      const unknownSite = await fetch(`${url}/api/v1/users`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'ursula', role: 'guard', sites: ['nowhere'], password: 'a long enough pw' }) });
      expect(unknownSite.status).toBe(400);

      // A new password ends the sessions and the old one stops working; a new role holds at once.
      const ivan = await login('ivan', 'a long enough pw');
      expect(ivan.res.status).toBe(201);
      const reset = await fetch(`${url}/api/v1/users/ivan`, { method: 'PATCH', headers: admin, body: JSON.stringify({ password: 'another long pw', role: 'auditor', sites: [] }) });
      expect(reset.status).toBe(200);
      expect(await reset.json()).toMatchObject({ role: 'auditor', sites: [] });
      expect((await get('/session', ivan.cookie)).status).toBe(401);
      expect((await login('ivan', 'a long enough pw')).res.status).toBe(401);
      expect((await login('ivan', 'another long pw')).body).toMatchObject({ role: 'auditor' });
      expect((await fetch(`${url}/api/v1/users/nobody`, { method: 'PATCH', headers: admin, body: JSON.stringify({ disabled: true }) })).status).toBe(404);

      // Each change is in the audit log, by whom, without the password.
      const audit = (await service.db.query<{ actor: string; action: string; details: Record<string, unknown> }>(`SELECT actor, action, details FROM audit_log WHERE target = 'ivan' ORDER BY seq`)).rows;
      expect(audit.map((r) => [r.actor, r.action])).toEqual([
        ['admin', 'user.create'],
        ['admin', 'user.change'],
      ]);
      expect(audit[1].details).toEqual({ role: 'auditor', sites: [], passwordChanged: true });
      expect(JSON.stringify(audit)).not.toContain('another long pw');
            const list = (await (await fetch(`${url}/api/v1/users`, { headers: admin })).json()) as { items: { name: string }[] };
      expect(list.items.map((u) => u.name)).toContain('ivan');
      expect(JSON.stringify(list)).not.toMatch(/hash|salt/);
      // A manager (cookie) may not.
      const alice = await login('alice');
      expect((await fetch(`${url}/api/v1/users`, { headers: { cookie: alice.cookie } })).status).toBe(403);
    });

    it('first run: the setup code creates the first admin once', async () => {
      // Users exist here, so no code is issued; the setup route is closed.
      expect(await issueSetupCode(service.db, new Date(clock))).toBeUndefined();
      const s = await store.fresh();
      const fresh = await createService({ config: loadDemoConfig(), ...(s.databaseUrl ? { databaseUrl: s.databaseUrl } : { dataDir: s.dataDir }) });
      const freshApp = await buildServer(fresh);
      const base = await freshApp.listen({ port: 0, host: '127.0.0.1' });
      try {
        const code = (await issueSetupCode(fresh.db, fresh.now()))!;
        expect(code).toMatch(/^[A-Za-z0-9_-]{32}$/);
        const setup = (b: object) => fetch(`${base}/api/v1/session/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) });
        expect((await setup({ code: 'wrong', name: 'root', password: 'a long enough pw' })).status).toBe(403);
        expect((await setup({ code, name: 'root', password: 'short' })).status).toBe(400); // the code survives a short password
        const ok = await setup({ code, name: 'root', password: 'a long enough pw' });
        expect(ok.status).toBe(201);
        expect(await ok.json()).toMatchObject({ name: 'root', role: 'admin', via: 'session' });
        const cookie = (ok.headers.get('set-cookie') ?? '').split(';')[0];
        expect((await fetch(`${base}/api/v1/users`, { headers: { cookie } })).status).toBe(200);
        expect((await setup({ code, name: 'root2', password: 'a long enough pw' })).status).toBe(409);
      } finally {
        await freshApp.close();
        await fresh.close();
        await s.drop();
      }
    }, 60_000);
  });
}
