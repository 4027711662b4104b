/**
 * Imports into a running server: `POST /api/v1/imports` takes a file (raw body, or multipart with
 * one file part) in any format `vigil ingest` reads, answers 202 with an import id as soon as the
 * file is received, and imports it in the background through the same translators and the same
 * all-or-nothing ingest (ingest/import-file.ts). `GET /api/v1/imports/{id}` shows its state,
 * progress, counts and every problem with its row; `GET /api/v1/imports` the latest ones.
 *
 * The upload is streamed to a private temporary file (bounded by MAX_IMPORT_BYTES), never held in
 * memory. Imports run one at a time per server. State and counts are kept in the imports table
 * (migration 0021), so a restart shows what happened: an import running when its server stopped is
 * marked failed (interrupted) when the next server starts, and nothing of it was written.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { InvalidError, NotFoundError, PayloadTooLargeError, type Problem } from '../../domain/errors.js';
import { timeId } from '../../domain/ids.js';
import { importFile, type ImportCounts } from '../../ingest/import-file.js';
import { csvProfileOf } from '../../sources/csv-file.js';
import { detectFormat, FILE_FORMATS, parseOptionsFor, type FileFormat } from '../../sources/event-files.js';
import { checkParseOptions, readHead } from '../../sources/file-formats.js';
import { finishImport, getImport, insertImport, listImports, markInterruptedImports, type ImportRow, type ImportState } from '../../store/imports.js';
import { assertSites, principalOf } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

/** Largest file one import takes. */
export const MAX_IMPORT_BYTES = 1024 * 1024 * 1024;

/** What `GET /api/v1/imports/{id}` answers. */
export interface ImportView {
  id: string;
  state: ImportState;
  format: string;
  profile: string | null;
  site: string | null;
  fileName: string | null;
  createdAt: string;
  finishedAt: string | null;
  /** bytes: of the file read so far, of bytesTotal (the file received); rows: records read. */
  progress: { phase: 'queued' | 'reading' | 'finished'; bytes: number; bytesTotal: number; rows: number };
  counts: ImportCounts;
  kinds: Record<string, number>;
  skippedWhy: Record<string, { count: number; rows: number[] }>;
  problems: Problem[];
  error: string | null;
}

interface Live {
  view: ImportView;
  createdBy: string;
}

const zero = (): ImportCounts => ({ read: 0, accepted: 0, duplicates: 0, skipped: 0, rejected: 0, incidentsOpened: 0 });

function rowToView(r: ImportRow): ImportView {
  const summary = r.summary as { kinds?: Record<string, number>; skippedWhy?: ImportView['skippedWhy'] };
  return {
    id: r.id,
    state: r.state,
    format: r.format,
    profile: r.profile,
    site: r.site,
    fileName: r.file_name,
    createdAt: r.created_at.toISOString(),
    finishedAt: r.finished_at ? r.finished_at.toISOString() : null,
    progress: { phase: r.state === 'running' ? 'reading' : 'finished', bytes: r.state === 'done' ? Number(r.bytes) : 0, bytesTotal: Number(r.bytes), rows: Number(r.rows_read) },
    counts: {
      read: Number(r.rows_read),
      accepted: Number(r.accepted),
      duplicates: Number(r.duplicates),
      skipped: Number(r.skipped),
      rejected: Number(r.rejected),
      incidentsOpened: Number(r.incidents_opened),
    },
    kinds: summary.kinds ?? {},
    skippedWhy: summary.skippedWhy ?? {},
    problems: r.problems,
    error: r.error,
  };
}

/** Counts bytes going through and refuses more than `limit`. */
function byteCounter(limit: number, onBytes: (n: number) => void): Transform {
  let n = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, cb) {
      n += chunk.length;
      if (n > limit) return cb(new PayloadTooLargeError(limit));
      onBytes(n);
      cb(null, chunk);
    },
  });
}

const importQuery = z
  .object({
    format: z.enum(FILE_FORMATS as [FileFormat, ...FileFormat[]]).optional(),
    profile: z.string().min(1).max(100).optional(),
    site: z.string().min(1).max(100).optional(),
    name: z.string().min(1).max(300).optional().meta({ description: 'the file name (format detection, display); multipart uploads carry their own' }),
  })
  .strict();

/** Import routes. */
export const importRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service } = deps;
  const live = new Map<string, Live>();
  let queue: Promise<void> = Promise.resolve();
  const running = new Set<Promise<void>>();

  // A server that starts finds the imports a stopped one left running: they never committed.
  // Done in the background (a server whose store is down still starts, and /healthz says so),
  // and awaited by every import route; retried by the next request when the store failed.
  let swept: Promise<boolean> | null = null;
  const sweep = (): Promise<boolean> => {
    // This process's own imports (live) are never swept.
    swept ??= markInterruptedImports(service.db, new Date(), [...live.keys()]).then(
      () => true,
      (e: unknown) => {
        service.log.warn({ err: e }, 'could not mark interrupted imports; retrying on the next import request');
        swept = null;
        return false;
      },
    );
    return swept;
  };
  void sweep();

  // The body of an import is a file, whatever its type: handed over as a stream (multipart has its own parser).
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_req, payload, done) => done(null, payload));
  await app.register(multipart, { limits: { fileSize: MAX_IMPORT_BYTES, files: 1, fields: 10, fieldSize: 1000 } });

  app.addHook('onClose', async () => {
    await Promise.allSettled([...running]);
  });

  const viewSchema = z.object({
    id: z.string(),
    state: z.enum(['running', 'done', 'failed']),
    format: z.string(),
    profile: z.string().nullable(),
    site: z.string().nullable(),
    fileName: z.string().nullable(),
    createdAt: z.string(),
    finishedAt: z.string().nullable(),
    progress: z.object({ phase: z.enum(['queued', 'reading', 'finished']), bytes: z.number(), bytesTotal: z.number(), rows: z.number() }),
    counts: z.object({ read: z.number(), accepted: z.number(), duplicates: z.number(), skipped: z.number(), rejected: z.number(), incidentsOpened: z.number() }),
    kinds: z.record(z.string(), z.number()),
    skippedWhy: z.record(z.string(), z.object({ count: z.number(), rows: z.array(z.number()) })),
    problems: z.array(z.object({ path: z.string(), message: z.string(), row: z.number().optional() })),
    error: z.string().nullable(),
  });

  app.post(
    '/imports',
    {
      config: { permission: 'events:write' },
      schema: {
        tags: ['imports'],
        summary: 'Import a file (NDJSON, CSV with a profile, POSLog, Frigate) into the running server',
        description:
          'Raw body (any content type) or multipart/form-data with one file part; `format`, `profile`, `site` as query parameters or form fields before the file. ' +
          'Answers 202 once the file is received; the import then runs in the background, all or nothing (GET /api/v1/imports/{id}).',
        querystring: deps.input(importQuery),
        response: { 202: deps.output(viewSchema), ...deps.errors(400, 401, 403, 413) },
      },
    },
    async (request: FastifyRequest, reply) => {
      const principal = principalOf(request);
      await sweep();
      const q = request.query as z.output<typeof importQuery>;
      const dir = await mkdtemp(join(tmpdir(), 'vigil-import-'));
      const file = join(dir, 'upload');
      let bytes = 0;
      let choice: { format?: string; profile?: string; site?: string; name?: string } = { ...q };
      try {
        let source: Readable;
        if (request.isMultipart()) {
          const part = await request.file();
          if (!part) throw new InvalidError([{ path: 'body', message: 'expected a multipart file part with the file to import' }]);
          const field = (n: string) => {
            const f = part.fields[n] as { value?: unknown } | undefined;
            return f && !Array.isArray(f) && typeof f.value === 'string' && f.value !== '' ? f.value : undefined;
          };
          choice = { format: field('format') ?? q.format, profile: field('profile') ?? q.profile, site: field('site') ?? q.site, name: part.filename || q.name };
          source = part.file;
        } else {
          source = request.body as Readable;
          if (!source || typeof (source as Readable).pipe !== 'function') throw new InvalidError([{ path: 'body', message: 'expected the file as the request body' }]);
        }
        await pipeline(source, byteCounter(MAX_IMPORT_BYTES, (n) => (bytes = n)), createWriteStream(file, { mode: 0o600 }));
        if ((source as { truncated?: boolean }).truncated) throw new PayloadTooLargeError(MAX_IMPORT_BYTES);
        if (bytes === 0) throw new InvalidError([{ path: 'body', message: 'expected a file to import; the body is empty' }]);

        const problems: Problem[] = [];
        if (choice.format !== undefined && !(FILE_FORMATS as readonly string[]).includes(choice.format)) {
          problems.push({ path: 'format', message: `unknown format ${JSON.stringify(choice.format)}; expected one of ${FILE_FORMATS.join(', ')}` });
        }
        if (choice.site !== undefined && !service.config.sites.some((s) => s.id === choice.site)) {
          problems.push({ path: 'site', message: `unknown site ${JSON.stringify(choice.site)}; expected one of ${service.config.sites.map((s) => s.id).join(', ')}` });
        }
        if (problems.length > 0) throw new InvalidError(problems);
        if (choice.site) assertSites(principal, [choice.site]);
        const format = (choice.format as FileFormat | undefined) ?? detectFormat(choice.name ?? 'upload', await readHead(file));
        const refs = { ...service.pipeline.refs, ...(principal.sites ? { scope: principal.sites } : {}) };
        const opts = parseOptionsFor(service.config, { zoneOf: (d) => service.org.devices.get(d)?.zone, refs }, { site: choice.site, profile: choice.profile });
        // Bad options are the request's fault: refused now, before any 202.
        checkParseOptions(opts);
        if (format === 'csv') csvProfileOf(opts);
        else if (choice.profile) throw new InvalidError([{ path: 'profile', message: `a profile applies to CSV files only; this file is ${format}` }]);

        const id = timeId('imp', Date.now(), randomBytes(4));
        const createdAt = new Date();
        await insertImport(service.db, { id, format, profile: choice.profile, site: choice.site, fileName: choice.name, createdBy: principal.id, createdAt, bytes });
        const view: ImportView = {
          id,
          state: 'running',
          format,
          profile: choice.profile ?? null,
          site: choice.site ?? null,
          fileName: choice.name ?? null,
          createdAt: createdAt.toISOString(),
          finishedAt: null,
          progress: { phase: 'queued', bytes: 0, bytesTotal: bytes, rows: 0 },
          counts: zero(),
          kinds: {},
          skippedWhy: {},
          problems: [],
          error: null,
        };
        live.set(id, { view, createdBy: principal.id });
        const run = async () => {
          view.progress.phase = 'reading';
          let end: { state: 'done' | 'failed'; counts: typeof view.counts; problems: typeof view.problems; kinds: typeof view.kinds; skippedWhy: typeof view.skippedWhy; error: string | null };
          try {
            const out = await importFile(service.pipeline, file, format, opts, {
              scope: principal.sites,
              onProgress: (c, read) => {
                view.counts = c;
                view.progress.rows = c.read;
                view.progress.bytes = read;
              },
            });
            end = {
              state: out.committed ? 'done' : 'failed',
              counts: { read: out.read, accepted: out.accepted, duplicates: out.duplicates, skipped: out.skipped, rejected: out.rejected, incidentsOpened: out.incidentsOpened },
              problems: out.problems,
              kinds: out.kinds,
              skippedWhy: out.skippedWhy,
              error: out.committed ? null : `${out.rejected} row(s) rejected; nothing of the file was written`,
            };
          } catch (e) {
            end = {
              state: 'failed',
              counts: { ...view.counts, accepted: 0, duplicates: 0, incidentsOpened: 0 },
              problems: view.problems,
              kinds: view.kinds,
              skippedWhy: view.skippedWhy,
              error: `the import failed and nothing of the file was written: ${(e as Error).message}`,
            };
            service.log.error({ err: e, import: id }, 'import failed');
          }
          const finishedAt = new Date();
          await rm(dir, { recursive: true, force: true }).catch(() => undefined);
          // The row is written before the view says the import ended, so whoever sees "done" or
          // "failed" in the API finds the same in the table.
          await finishImport(service.db, id, {
            state: end.state,
            finishedAt,
            rowsRead: end.counts.read,
            accepted: end.counts.accepted,
            duplicates: end.counts.duplicates,
            rejected: end.counts.rejected,
            skipped: end.counts.skipped,
            incidentsOpened: end.counts.incidentsOpened,
            problems: end.problems,
            summary: { kinds: end.kinds, skippedWhy: end.skippedWhy },
            ...(end.error ? { error: end.error } : {}),
          }).catch((e: unknown) => service.log.error({ err: e, import: id }, 'could not record the end of an import'));
          Object.assign(view, { state: end.state, counts: end.counts, problems: end.problems, kinds: end.kinds, skippedWhy: end.skippedWhy, error: end.error, finishedAt: finishedAt.toISOString() });
          view.progress.rows = end.counts.read;
          view.progress.phase = 'finished';
          live.delete(id);
        };
        const p = (queue = queue.then(run, run));
        running.add(p);
        void p.finally(() => running.delete(p));
        return reply.code(202).header('location', `/api/v1/imports/${id}`).send(view);
      } catch (e) {
        await rm(dir, { recursive: true, force: true }).catch(() => undefined);
        throw e;
      }
    },
  );

  const visible = (principalSites: readonly string[] | null, principalId: string, v: { site: string | null }, createdBy: string) =>
    !principalSites || createdBy === principalId || (v.site !== null && principalSites.includes(v.site));

  app.get(
    '/imports/:id',
    {
      config: { permission: 'events:write' },
      schema: {
        tags: ['imports'],
        summary: 'One import: state (running, done, failed), progress, counts and every problem with its row',
        params: deps.input(z.object({ id: z.string().max(100) })),
        response: { 200: deps.output(viewSchema), ...deps.errors(401, 403, 404) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const { id } = request.params as { id: string };
      await sweep();
      const l = live.get(id);
      if (l) {
        if (!visible(principal.sites, principal.id, l.view, l.createdBy)) throw new NotFoundError(`import ${id}`);
        return l.view;
      }
      const row = await getImport(service.db, id);
      if (!row || !visible(principal.sites, principal.id, row, row.created_by)) throw new NotFoundError(`import ${id}`);
      return rowToView(row);
    },
  );

  app.get(
    '/imports',
    {
      config: { permission: 'events:write' },
      schema: {
        tags: ['imports'],
        summary: 'The latest imports, newest first',
        response: { 200: deps.output(z.object({ items: z.array(viewSchema), nextCursor: z.null() })), ...deps.errors(401, 403) },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      await sweep();
      const rows = await listImports(service.db, 50, null);
      const items = rows
        .filter((r) => visible(principal.sites, principal.id, r, r.created_by))
        .map((r) => {
          const l = live.get(r.id);
          return l ? l.view : rowToView(r);
        });
      return { items, nextCursor: null };
    },
  );
};
