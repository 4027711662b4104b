/**
 * The dashboard: a Preact page built by Vite (`npm run build`, also run by `npm ci`) from web/
 * into web/dist/, served at `/` with its files under `/web/...`. It talks only to this server's
 * /api/v1 with the bearer token the user types in (kept in the browser's localStorage), so the
 * pages themselves need no auth.
 *
 * Caching: the built files under /web/assets/ carry a content hash in their names and are cached
 * for a year (immutable); index.html and everything else are revalidated on every load (cheap
 * 304s), so a new build shows at the next reload. `/web/app.js` and `/web/app.css`, the addresses
 * of the page's script and style before the build step, stay as revalidated aliases of the
 * current bundle. When the build output is missing, `/` says to run `npm run build`.
 *
 * Every dashboard response carries a strict Content-Security-Policy: scripts, styles, images and
 * fetches from this origin only, no inline script or style, no plugins, no framing
 * (`frame-ancestors 'none'`, and X-Frame-Options for older browsers), with nosniff, no referrer,
 * same-origin opener and resource policies and a Permissions-Policy that turns off the camera,
 * microphone, location and payment APIs. What Vite emits fits it: index.html links one module
 * script and one stylesheet under /web/assets/ (no inline script, no module-preload polyfill), and
 * Preact's `style` objects set CSSOM properties, which `style-src 'self'` allows. The page renders
 * API text only as text (Preact escapes it), never as HTML.
 *
 * The directories are resolved like the bundled config files: `../../../web/` from this module is
 * <repo>/web/ both from src/api/routes/dashboard.ts and from dist/api/routes/dashboard.js.
 */
import fastifyStatic from '@fastify/static';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The dashboard's directory (its index.html, sources and build config). */
export const WEB_ROOT = fileURLToPath(new URL('../../../web/', import.meta.url));

/** The built dashboard that is served (`vite build` output). */
export const WEB_DIST = fileURLToPath(new URL('../../../web/dist/', import.meta.url));

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

const IMMUTABLE = 'public, max-age=31536000, immutable';
const REVALIDATE = 'no-cache';
const NOT_BUILT = 'The Vigil dashboard is not built: run `npm run build` (it writes web/dist/), then reload this page.\n';

function securityHeaders(reply: FastifyReply): void {
  void reply.header('content-security-policy', DASHBOARD_CSP);
  void reply.header('x-content-type-options', 'nosniff');
  void reply.header('referrer-policy', 'no-referrer');
  void reply.header('x-frame-options', 'DENY');
  void reply.header('cross-origin-opener-policy', 'same-origin');
  void reply.header('cross-origin-resource-policy', 'same-origin');
  // The page uses none of these; a script that got in could not either.
  void reply.header('permissions-policy', 'camera=(), microphone=(), geolocation=(), payment=(), usb=()');
}

/** The built entry's script and style (paths inside WEB_DIST), from Vite's manifest; re-read when a new build replaces it. */
let entryCache: { mtimeMs: number; js: string | undefined; css: string | undefined } | undefined;
function builtEntry(): { js: string | undefined; css: string | undefined } | undefined {
  const file = `${WEB_DIST}.vite/manifest.json`;
  let mtimeMs: number;
  try {
    mtimeMs = statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
  if (entryCache?.mtimeMs !== mtimeMs) {
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as Record<string, { file: string; isEntry?: boolean; css?: string[] }>;
    const entry = Object.values(manifest).find((c) => c.isEntry);
    entryCache = { mtimeMs, js: entry?.file, css: entry?.css?.[0] };
  }
  return entryCache;
}

/**
 * Dashboard routes (no auth, not under /api): `GET /` (index.html) and `GET /web/*` (the built
 * files). Register on the root instance: `await app.register(dashboardRoutes)`.
 */
export const dashboardRoutes: FastifyPluginAsync = async (app) => {
  // Encapsulated: the headers apply to the dashboard's responses only, not to the API.
  app.addHook('onSend', async (_request, reply, payload) => {
    securityHeaders(reply);
    return payload;
  });

  if (!existsSync(`${WEB_DIST}index.html`)) app.log.warn(`the dashboard is not built (no ${WEB_DIST}index.html): run \`npm run build\``);

  await app.register(fastifyStatic, {
    root: WEB_DIST,
    prefix: '/web/',
    index: false,
    dotfiles: 'ignore',
    serveDotFiles: false,
    // A missing build is reported at `/`, not as a warning at start.
    suppressWarning: true,
    cacheControl: false,
    etag: true,
    lastModified: true,
    // Decided by the address asked for: /web/app.js is an alias of a hashed file but must be revalidated.
    setHeaders: (reply) => {
      void reply.header('cache-control', reply.request.url.startsWith('/web/assets/') ? IMMUTABLE : REVALIDATE);
    },
  });

  const hide = { schema: { hide: true } };
  const index = async (_request: unknown, reply: FastifyReply) => {
    if (!existsSync(`${WEB_DIST}index.html`)) return reply.code(503).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(NOT_BUILT);
    return reply.sendFile('index.html');
  };
  app.get('/', hide, index);
  app.get('/index.html', hide, index);

  const alias = (kind: 'js' | 'css') => async (_request: unknown, reply: FastifyReply) => {
    const file = builtEntry()?.[kind];
    if (!file) return reply.code(404).header('cache-control', 'no-store').type('text/plain; charset=utf-8').send(NOT_BUILT);
    return reply.sendFile(file);
  };
  app.get('/web/app.js', hide, alias('js'));
  app.get('/web/app.css', hide, alias('css'));
};
