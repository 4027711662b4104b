/**
 * The dashboard: a no-build single page (web/index.html, web/app.js, web/app.css) served at `/`,
 * its files under `/web/...`. It talks only to this server's /api/v1 with the bearer token the
 * user types in (kept in the browser's localStorage), so the pages themselves need no auth.
 *
 * Every dashboard response carries a strict Content-Security-Policy: scripts, styles, images and
 * fetches from this origin only, no inline script or style, no plugins, no framing. The page builds
 * all markup with DOM APIs (textContent, createElementNS), never from API text as HTML.
 *
 * The directory is resolved like the bundled config files: `../../../web/` from this module is
 * <repo>/web/ both from src/api/routes/dashboard.ts and from dist/api/routes/dashboard.js.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { fileURLToPath } from 'node:url';

/** The directory of the dashboard files. */
export const WEB_ROOT = fileURLToPath(new URL('../../../web/', import.meta.url));

/** The Content-Security-Policy of every dashboard response. */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

function securityHeaders(reply: FastifyReply): void {
  void reply.header('content-security-policy', DASHBOARD_CSP);
  void reply.header('x-content-type-options', 'nosniff');
  void reply.header('referrer-policy', 'no-referrer');
  void reply.header('x-frame-options', 'DENY');
  void reply.header('cross-origin-opener-policy', 'same-origin');
}

/**
 * Dashboard routes (no auth, not under /api): `GET /` (index.html) and `GET /web/*` (the page's
 * files). Register on the root instance: `await app.register(dashboardRoutes)`.
 */
export const dashboardRoutes: FastifyPluginAsync = async (app) => {
  // Encapsulated: the headers apply to the dashboard's responses only, not to the API.
  app.addHook('onSend', async (_request, reply, payload) => {
    securityHeaders(reply);
    return payload;
  });

  await app.register(fastifyStatic, {
    root: WEB_ROOT,
    prefix: '/web/',
    index: false,
    serveDotFiles: false,
    // No build step and no hashed file names: the browser revalidates (cheap 304s) instead of caching stale code.
    cacheControl: true,
    maxAge: 0,
    etag: true,
    lastModified: true,
  });

  const index = { schema: { hide: true } };
  app.get('/', index, async (_request, reply) => reply.sendFile('index.html', { maxAge: 0 }));
  app.get('/index.html', index, async (_request, reply) => reply.sendFile('index.html', { maxAge: 0 }));
};
