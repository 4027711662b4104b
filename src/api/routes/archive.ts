/**
 * The archive and the transparency log (docs/archive.md):
 *
 * - `GET /archive?q=&from=&to=&site=&limit=&cursor=`: archived incidents, most recently archived
 *   first; `q` words must all occur in the record's search text, from/to bound archived_at.
 * - `GET /archive/{id}`: the whole record with its digest, leaf, retention date and legal holds.
 *   The record holds contact data, so it needs `people:read` (it cannot be redacted and still
 *   match its digest).
 * - `GET /archive/{id}/proof`: the record's inclusion proof against the latest signed checkpoint,
 *   with the public key.
 * - `GET /checkpoints?from=`: signed checkpoints of tree sizes >= from, and the consistency proof
 *   from `from` to the latest.
 * - `POST /archive/{id}/hold`, `/release` (`archive:hold`): place or lift a legal hold.
 *
 * Read-only: there is no route that changes or deletes an archive record. Site scope: another
 * site's record is a 404, as for incidents.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { consistencyProofOf, checkpointView, inclusionProofOf } from '../../archive/transparency-log.js';
import { ConflictError, InvalidError, NotFoundError } from '../../domain/errors.js';
import { archiveLeafData } from '../../domain/log-leaves.js';
import { leafHash } from '../../domain/merkle.js';
import { appendLegalHold, getArchiveRecord, legalHoldsOf, listArchive, lockArchiveRecord, type LegalHoldRow } from '../../store/archive.js';
import { appendAuditRecord } from '../../store/audit-log.js';
import { checkpointsFrom, latestCheckpoint, treeSize } from '../../store/transparency-log.js';
import { principalOf } from '../auth.js';
import type { RouteDeps } from '../route-deps.js';

const idParams = z.object({ id: z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, 'expected an incident id') }).strict();

const holdView = (h: LegalHoldRow) => ({ at: h.at.toISOString(), actor: h.actor, hold: h.hold, reason: h.reason });
const legalHoldOf = (rows: LegalHoldRow[]) => {
  const last = rows[rows.length - 1];
  return { held: last?.hold ?? false, since: last?.hold ? last.at.toISOString() : null, history: rows.map(holdView) };
};

const checkpointSchema = z.object({ treeSize: z.number().int(), rootHash: z.string(), at: z.string(), keyId: z.string(), signature: z.string(), text: z.string() });
const summarySchema = z.object({
  incidentId: z.string(),
  site: z.string(),
  zone: z.string().nullable(),
  type: z.string().nullable(),
  band: z.string().nullable(),
  openedAt: z.string().nullable(),
  resolvedAt: z.string(),
  archivedAt: z.string(),
  retainUntil: z.string(),
  netLoss: z.string().nullable(),
  currency: z.string().nullable(),
  digest: z.string(),
  leafIndex: z.number().int(),
  held: z.boolean(),
});
const holdSchema = z.object({ held: z.boolean(), since: z.string().nullable(), history: z.array(z.object({ at: z.string(), actor: z.string(), hold: z.boolean(), reason: z.string() })) });

/** Archive routes. */
export const archiveRoutes: FastifyPluginAsync<RouteDeps> = async (app, deps) => {
  const { service, query: Q } = deps;

  const listQuery = z
    .object({
      q: z.string().max(500, 'expected at most 500 characters').optional().meta({ description: 'words that must all occur (incident id, site, zone, type, outcome, notes, assets, badges, ...)' }),
      from: Q.instant('archived at or after (ISO 8601 with offset)'),
      to: Q.instant('archived before (ISO 8601 with offset)'),
      site: Q.list('site ids'),
      limit: Q.limit(500, 50),
      cursor: Q.cursor(),
    })
    .strict();

  app.get(
    '/archive',
    {
      schema: {
        tags: ['archive'],
        summary: 'Archived incidents, most recently archived first (read-only)',
        querystring: deps.input(listQuery),
        response: { 200: deps.output(z.object({ items: z.array(summarySchema), nextCursor: z.string().nullable() })), ...deps.errors(400, 401) },
      },
    },
    async (request) => {
      const q = request.query as z.output<typeof listQuery>;
      const page = await listArchive(service.db, { ...(q.q ? { q: q.q } : {}), ...(q.from ? { from: q.from } : {}), ...(q.to ? { to: q.to } : {}), ...(q.site ? { sites: q.site } : {}), limit: q.limit, ...(q.cursor ? { cursor: q.cursor } : {}) }, principalOf(request).sites);
      return {
        items: page.items.map((r) => ({
          incidentId: r.incident_id,
          site: r.site,
          zone: r.zone,
          type: r.type,
          band: r.band,
          openedAt: r.opened_at ? new Date(r.opened_at).toISOString() : null,
          resolvedAt: r.resolved_at.toISOString(),
          archivedAt: r.archived_at.toISOString(),
          retainUntil: r.retain_until.toISOString(),
          netLoss: r.net_loss,
          currency: r.currency,
          digest: r.digest,
          leafIndex: r.leaf_index,
          held: r.held,
        })),
        nextCursor: page.nextCursor,
      };
    },
  );

  app.get(
    '/archive/:id',
    {
      config: { permission: 'people:read' },
      schema: {
        tags: ['archive'],
        summary: 'One archived incident: the whole record, its digest, leaf, retention and legal hold',
        params: deps.input(idParams),
        response: {
          200: deps.output(
            z.object({
              incidentId: z.string(),
              site: z.string(),
              archivedAt: z.string(),
              resolvedAt: z.string(),
              retainUntil: z.string(),
              eligibleForPurge: z.boolean(),
              digest: z.string(),
              leafIndex: z.number().int(),
              leafHash: z.string(),
              legalHold: holdSchema,
              record: z.record(z.string(), z.unknown()),
            }),
          ),
          ...deps.errors(400, 401, 403, 404),
        },
      },
    },
    async (request: FastifyRequest) => {
      const { id } = request.params as z.output<typeof idParams>;
      const rec = await getArchiveRecord(service.db, id, principalOf(request).sites);
      if (!rec) throw new NotFoundError(`archived incident ${id}`);
      const hold = legalHoldOf(await legalHoldsOf(service.db, id));
      const data = archiveLeafData({ incidentId: rec.incident_id, site: rec.site, archivedAt: rec.archived_at, resolvedAt: rec.resolved_at, retainUntil: rec.retain_until, digest: rec.digest });
      return {
        incidentId: rec.incident_id,
        site: rec.site,
        archivedAt: rec.archived_at.toISOString(),
        resolvedAt: rec.resolved_at.toISOString(),
        retainUntil: rec.retain_until.toISOString(),
        // Past its retention date and not held: a person may decide to purge it. Vigil never does.
        eligibleForPurge: !hold.held && service.now() >= rec.retain_until,
        digest: rec.digest,
        leafIndex: rec.leaf_index,
        leafHash: leafHash(Buffer.from(data, 'utf8')).toString('hex'),
        legalHold: hold,
        record: rec.record,
      };
    },
  );

  app.get(
    '/archive/:id/proof',
    {
      schema: {
        tags: ['archive'],
        summary: "An archived record's inclusion proof against the latest signed checkpoint (RFC 6962 audit path)",
        params: deps.input(idParams),
        response: {
          200: deps.output(
            z.object({
              incidentId: z.string(),
              digest: z.string(),
              leafIndex: z.number().int(),
              leafData: z.string(),
              leafHash: z.string(),
              treeSize: z.number().int(),
              path: z.array(z.string()),
              checkpoint: checkpointSchema,
              publicKey: z.object({ keyId: z.string(), pem: z.string() }),
            }),
          ),
          ...deps.errors(400, 401, 404),
        },
      },
    },
    async (request: FastifyRequest) => {
      const { id } = request.params as z.output<typeof idParams>;
      const rec = await getArchiveRecord(service.db, id, principalOf(request).sites);
      if (!rec) throw new NotFoundError(`archived incident ${id}`);
      const data = archiveLeafData({ incidentId: rec.incident_id, site: rec.site, archivedAt: rec.archived_at, resolvedAt: rec.resolved_at, retainUntil: rec.retain_until, digest: rec.digest });
      const proof = await inclusionProofOf(service.db, rec.leaf_index);
      return {
        incidentId: id,
        digest: rec.digest,
        leafIndex: rec.leaf_index,
        leafData: data,
        leafHash: leafHash(Buffer.from(data, 'utf8')).toString('hex'),
        treeSize: proof.treeSize,
        path: proof.path,
        checkpoint: proof.checkpoint,
        publicKey: { keyId: service.logSigner.keyId, pem: service.logSigner.publicKey.export({ format: 'pem', type: 'spki' }).toString() },
      };
    },
  );

  const cpQuery = z
    .object({
      from: z
        .string()
        .regex(/^\d{1,15}$/, 'expected a tree size (a whole number)')
        .transform(Number)
        .optional()
        .meta({ description: 'a tree size you hold a checkpoint of: checkpoints from it on, and the consistency proof from it to the latest' }),
      limit: Q.limit(1000, 100),
      cursor: z.string().regex(/^\d{1,15}$/, 'expected a nextCursor of this list').optional(),
    })
    .strict();

  app.get(
    '/checkpoints',
    {
      schema: {
        tags: ['archive'],
        summary: 'Signed checkpoints of the transparency log from a tree size on, with the consistency proof to the latest',
        querystring: deps.input(cpQuery),
        response: {
          200: deps.output(
            z.object({
              items: z.array(checkpointSchema),
              nextCursor: z.string().nullable(),
              treeSize: z.number().int(),
              latest: checkpointSchema.nullable(),
              consistency: z.object({ from: z.number().int(), to: z.number().int(), proof: z.array(z.string()), fromCheckpoint: checkpointSchema.nullable() }).nullable(),
              publicKey: z.object({ keyId: z.string(), pem: z.string() }),
            }),
          ),
          ...deps.errors(400, 401),
        },
      },
    },
    async (request) => {
      const q = request.query as z.output<typeof cpQuery>;
      const from = q.from ?? 0;
      const { latest, size, page, consistency } = await service.db.transaction(async (tx) => {
        const latest = await latestCheckpoint(tx);
        if (latest && from > latest.treeSize) throw new InvalidError([{ path: 'from', message: `expected a tree size up to the latest signed one, ${latest.treeSize}` }]);
        if (!latest && from > 0) throw new InvalidError([{ path: 'from', message: 'the log has no signed checkpoint yet' }]);
        const page = await checkpointsFrom(tx, Math.max(from, 1), q.limit + 1, q.cursor !== undefined ? Number(q.cursor) : undefined);
        const consistency = latest && q.from !== undefined ? await consistencyProofOf(tx, from, latest.treeSize) : null;
        return { latest, size: await treeSize(tx), page, consistency };
      });
      const more = page.length > q.limit;
      const items = (more ? page.slice(0, q.limit) : page).map(checkpointView);
      return {
        items,
        nextCursor: more ? String(items[items.length - 1].treeSize) : null,
        treeSize: size,
        latest: latest ? checkpointView(latest) : null,
        consistency,
        publicKey: { keyId: service.logSigner.keyId, pem: service.logSigner.publicKey.export({ format: 'pem', type: 'spki' }).toString() },
      };
    },
  );

  const holdBody = z.object({ reason: z.string().trim().min(1, 'expected a reason').max(2000, 'expected at most 2000 characters') }).strict();
  for (const action of ['hold', 'release'] as const) {
    app.post(
      `/archive/:id/${action}`,
      {
        config: { permission: 'archive:hold' },
        schema: {
          tags: ['archive'],
          summary: action === 'hold' ? 'Place a legal hold on an archived incident' : 'Lift the legal hold of an archived incident',
          params: deps.input(idParams),
          body: deps.input(holdBody),
          response: { 200: deps.output(z.object({ incidentId: z.string(), legalHold: holdSchema })), ...deps.errors(400, 401, 403, 404, 409) },
        },
      },
      async (request: FastifyRequest) => {
        const { id } = request.params as z.output<typeof idParams>;
        const { reason } = request.body as z.output<typeof holdBody>;
        const principal = principalOf(request);
        const now = service.now();
        const rows = await service.db.transaction(async (tx) => {
          const rec = await lockArchiveRecord(tx, id);
          if (!rec || (principal.sites && !principal.sites.includes(rec.site))) throw new NotFoundError(`archived incident ${id}`);
          const before = legalHoldOf(await legalHoldsOf(tx, id));
          if (action === 'hold' && before.held) throw new ConflictError(`archived incident ${id} is already under legal hold (since ${before.since})`, ['release']);
          if (action === 'release' && !before.held) throw new ConflictError(`archived incident ${id} is not under legal hold`, ['hold']);
          await appendLegalHold(tx, { incident_id: id, at: now, actor: principal.name, hold: action === 'hold', reason });
          await appendAuditRecord(
            tx,
            { at: now, actor: principal.name, action: `archive.${action}`, target: id, details: { reason }, before: { id, held: before.held }, after: { id, held: action === 'hold' } },
            service.logSigner,
          );
          return legalHoldsOf(tx, id);
        });
        return { incidentId: id, legalHold: legalHoldOf(rows) };
      },
    );
  }
};
