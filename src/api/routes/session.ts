/**
 * Dashboard sessions: `POST /api/v1/session` signs in with a name and password and sets the
 * session cookie (HttpOnly, SameSite=Strict, Path=/, Secure when the request or `publicUrl` is
 * https); the answer carries the CSRF token that state-changing requests made with the cookie must
 * send in `X-CSRF-Token`. `GET /api/v1/session` says who the caller is (cookie or bearer token) and
 * hands the page its CSRF token again; `DELETE /api/v1/session` signs out.
 *
 * `POST /api/v1/session/setup` creates the first admin user with the one-time code of the setup
 * link `vigil serve` prints while no user exists, and signs them in.
 *
 * Sign-in failures are counted per name and per client address (login-limiter.ts): past the limit
 * the answer is 429 with Retry-After, before any password is checked. An unknown name, a wrong
 * password and a disabled user get the same answer, after the same scrypt work.
 */
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ConflictError, ForbiddenError, InvalidError, UnauthorizedError } from '../../domain/errors.js';
import { deleteSession } from '../../store/sessions.js';
import { countUsers, findUserForLogin, recordLogin } from '../../store/users.js';
import { cookieValue, createSession, csrfTokenOf, principalOf, SESSION_COOKIE, sessionHash, SESSION_TTL_MS } from '../auth.js';
import { LoginLimiter } from '../login-limiter.js';
import { dummyPassword, PASSWORD_MAX, passwordProblem, verifyPassword } from '../passwords.js';
import type { RouteDeps } from '../route-deps.js';
import { createUser, useSetupCode, USER_NAME, USER_NAME_HINT } from '../user-accounts.js';

const WRONG = 'the name or password is wrong (or the user is disabled)';

const sessionSchema = z.object({
  name: z.string().meta({ description: 'the user (or token) name, recorded as the actor of what they do' }),
  role: z.string(),
  sites: z.array(z.string()).meta({ description: 'sites the caller may see and act for; empty for every site' }),
  via: z.enum(['session', 'token']),
  csrfToken: z.string().nullable().meta({ description: 'send it in X-CSRF-Token with every POST, PUT, PATCH and DELETE made with the cookie; null for a bearer token' }),
  expiresAt: z.string().nullable(),
});

/** Session routes. */
export const sessionRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service } = deps;
  const limiter = new LoginLimiter();
  // Failed setup codes are counted apart, per address, so sign-in failures cannot lock the setup.
  const setupLimiter = new LoginLimiter();

  const secure = (request: FastifyRequest) => request.protocol === 'https' || /^https:/i.test(service.config.publicUrl ?? '');
  const setCookie = (request: FastifyRequest, reply: FastifyReply, value: string, maxAgeS: number) =>
    reply.header('set-cookie', `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${secure(request) ? '; Secure' : ''}`);
  const signedIn = async (request: FastifyRequest, reply: FastifyReply, user: { name: string; role: string; sites: string[] }, status: number) => {
    const now = service.now();
    const s = await createSession(service.db, user.name, now);
    await recordLogin(service.db, user.name, now);
    setCookie(request, reply, s.id, Math.floor(SESSION_TTL_MS / 1000));
    reply.header('cache-control', 'no-store');
    return reply.code(status).send({ name: user.name, role: user.role, sites: user.sites ?? [], via: 'session', csrfToken: s.csrfToken, expiresAt: s.expiresAt.toISOString() });
  };

  /**
   * Signing in needs no CSRF token (there is no session yet), so a browser's sign-in from another
   * site's page is refused by its Origin: this server's host or `publicUrl`'s only. (A plain form
   * cannot send JSON anyway: the body parser takes application/json only.)
   */
  const assertSameOrigin = (request: FastifyRequest) => {
    const origin = request.headers.origin;
    if (!origin) return;
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    let publicHost: string | undefined;
    try {
      publicHost = new URL(service.config.publicUrl).host;
    } catch {
      publicHost = undefined;
    }
    if (!host || (host !== request.headers.host && host !== publicHost)) throw new ForbiddenError(`sign-in from another site (Origin ${origin}) is refused`);
  };

  const login = z.object({ name: z.string().min(1).max(200), password: z.string().min(1).max(PASSWORD_MAX) }).strict();
  app.post(
    '/session',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['session'],
        summary: 'Sign in with a name and password: sets the session cookie; the answer carries the CSRF token',
        security: [],
        body: deps.input(login),
        response: { 201: deps.output(sessionSchema), ...deps.errors(400, 401, 403, 429) },
      },
    },
    async (request, reply) => {
      assertSameOrigin(request);
      const b = request.body as z.output<typeof login>;
      const nowMs = service.now().getTime();
      const wait = limiter.retryAfterMs(b.name, request.ip, nowMs);
      if (wait > 0) {
        return tooMany(reply, wait, 'too many failed sign-ins for this name or from this address');
      }
      // Counted as a failure until it succeeds, so a burst of parallel guesses cannot pass the limit.
      limiter.attempt(b.name, request.ip, nowMs);
      const user = await findUserForLogin(service.db, b.name);
      // The same scrypt work whether or not the name exists, and the same answer.
      const ok = await verifyPassword(b.password, user ? { hash: user.password_hash, salt: user.password_salt, params: user.password_params } : await dummyPassword());
      if (!user || !ok || user.disabled) throw new UnauthorizedError(WRONG);
      limiter.succeed(b.name, request.ip, nowMs);
      return signedIn(request, reply, user, 201);
    },
  );

  app.get(
    '/session',
    { schema: { tags: ['session'], summary: 'Who the caller is (session cookie or bearer token), with the session\'s CSRF token', response: { 200: deps.output(sessionSchema), ...deps.errors(401) } } },
    async (request, reply) => {
      const p = principalOf(request);
      reply.header('cache-control', 'no-store');
      const sessionId = p.via === 'session' ? cookieValue(request.headers.cookie, SESSION_COOKIE) : undefined;
      return { name: p.name, role: p.role, sites: p.sites ? [...p.sites] : [], via: p.via ?? 'token', csrfToken: sessionId ? csrfTokenOf(sessionId) : null, expiresAt: null };
    },
  );

  app.delete(
    '/session',
    { schema: { tags: ['session'], summary: 'Sign out: ends the session and clears the cookie', response: { 200: deps.output(z.object({ signedOut: z.boolean() })), ...deps.errors(401, 403) } } },
    async (request, reply) => {
      const p = principalOf(request);
      const sessionId = p.via === 'session' ? cookieValue(request.headers.cookie, SESSION_COOKIE) : undefined;
      if (sessionId) await deleteSession(service.db, sessionHash(sessionId));
      setCookie(request, reply, '', 0);
      return { signedOut: !!sessionId };
    },
  );

  const setup = z
    .object({
      code: z.string().min(1).max(200),
      name: z.string().regex(USER_NAME, USER_NAME_HINT),
      password: z.string().max(PASSWORD_MAX),
    })
    .strict();
  app.post(
    '/session/setup',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['session'],
        summary: 'First run: create the first admin user with the setup link\'s one-time code, and sign in',
        security: [],
        body: deps.input(setup),
        response: { 201: deps.output(sessionSchema), ...deps.errors(400, 403, 409, 429) },
      },
    },
    async (request, reply) => {
      assertSameOrigin(request);
      const b = request.body as z.output<typeof setup>;
      const nowMs = service.now().getTime();
      const wait = setupLimiter.retryAfterMs('setup', request.ip, nowMs);
      if (wait > 0) {
        return tooMany(reply, wait, 'too many failed setup attempts');
      }
      if ((await countUsers(service.db)) > 0) throw new ConflictError('setup is done: users exist already; sign in, or ask an admin');
      // The password is checked before the code is used up, so a short password does not burn the link.
      const problem = passwordProblem(b.password);
      if (problem) throw new InvalidError([{ path: 'password', message: problem }]);
      if (!(await useSetupCode(service.db, b.code, service.now()))) {
        setupLimiter.attempt('setup', request.ip, nowMs);
        throw new ForbiddenError('the setup link is not valid (used, expired, or replaced by a newer one); restart `vigil serve` for a new link, or sign in with the admin token');
      }
      const user = await createUser(service.db, { name: b.name, role: 'admin', password: b.password, now: service.now(), actor: `${b.name} (setup link)`, signer: service.logSigner });
      return signedIn(request, reply, user, 201);
    },
  );
};

/** 429 in the contract error shape, with Retry-After in whole seconds. */
function tooMany(reply: FastifyReply, waitMs: number, what: string): FastifyReply {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return (reply as FastifyReply).code(429).header('retry-after', String(seconds)).send({ error: { code: 'too_many_requests', message: `${what}; try again in ${seconds} s`, details: [] } });
}
