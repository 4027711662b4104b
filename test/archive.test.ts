/**
 * Step 14 and the transparency log on both stores, through the real store and HTTP: a resolved
 * incident is archived after the policy delay (not when reopened meanwhile), leaves the active
 * views and stays readable, never editable; the archive and audit tables refuse UPDATE, DELETE and
 * TRUNCATE in the database; proofs verify against signed checkpoints and fail after a rewritten
 * leaf; whole-store verification names a row altered behind the triggers; an exported bundle
 * verifies offline and fails with one figure changed; a held incident is kept.
 */
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportBundle, verifyBundle } from '../src/archive/bundle.js';
import { verifyStore } from '../src/archive/verify.js';
import { buildServer } from '../src/api/server.js';
import { loadDemoConfig } from '../src/config/loader.js';
import { checkpointText, verifyCheckpointSignature } from '../src/domain/checkpoint.js';
import { leafHash, verifyConsistency, verifyInclusion } from '../src/domain/merkle.js';
import type { SecurityEvent } from '../src/domain/types.js';
import { createService, type Service } from '../src/service.js';
import type { Db } from '../src/store/db.js';
import { archiveResolvedIncidents } from '../src/workflow/steps/archive-resolved-incidents.js';
import { TEST_STORES } from './helpers/stores.js';

const ADMIN = 'archive-test-admin';
const DAY = 86_400_000;

describe.each(TEST_STORES)('the archive on $name', (store) => {
  let service: Service;
  let app: FastifyInstance;
  let base = '';
  let drop: () => Promise<void> = async () => {};
  let clock = new Date('2026-11-20T08:14:30Z');
  let n = 0;

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    service = await createService({ config: loadDemoConfig(), dataDir: s.dataDir, databaseUrl: s.databaseUrl, adminToken: ADMIN, now: () => clock });
    app = await buildServer(service);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
    await drop();
  });

  /** A request over real HTTP to the listening server. */
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, token = ADMIN) => {
    const r = await fetch(base + url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
    });
    return { status: r.status, body: (await r.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  /** The daily sweep as the scheduler runs it: its preparation, then its run in a transaction. */
  const sweep = async (perTransaction?: number, db: Db = service.db) => {
    const job = archiveResolvedIncidents(service.org, { logSigner: service.logSigner }, perTransaction);
    const ctx = { window: 'w', dueAt: clock, now: clock, attempt: 1 };
    const prepared = await job.prepare!({ db, ...ctx });
    return service.db.transaction(async (tx) => (await job.run({ tx, ...ctx, prepared })) as { due: number; archived: string[]; headSigned: boolean });
  };
  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  /** A new incident at `site` (a forced door a minute ago), with its workflow run. */
  const openIncident = async (site = 'dc-201', zone = 'cage'): Promise<string> => {
    const e: SecurityEvent = { source: 'access_control', type: 'door_forced', sourceEventId: `arch-${++n}`, occurredAt: new Date(clock.getTime() - 60_000).toISOString(), site, zone, details: {} };
    const id = (await service.pipeline.ingest([e])).incidentsOpened[0];
    expect(id).toBeTruthy();
    await service.runner.drain();
    return id;
  };
  const step = async (id: string) =>
    (await service.db.query<{ status: string; reason: string | null; next_run_at: Date | null }>(`SELECT status, reason, next_run_at FROM workflow_steps WHERE incident_id = $1 AND step = 'archive-resolved-incident'`, [id])).rows[0];
  const resolve = async (id: string) => expect((await call('POST', `/api/v1/incidents/${id}/resolve`, { resolution: 'door closed, nothing taken', outcome: 'no_loss' })).status).toBe(200);
  /** An incident resolved now and archived by its step after the delay. */
  const archived = async (site = 'dc-201', zone = 'cage'): Promise<string> => {
    const id = await openIncident(site, zone);
    await resolve(id);
    await service.runner.drain();
    advance(7 * DAY + 60_000);
    await service.runner.drain();
    expect((await step(id)).status).toBe('done');
    return id;
  };

  it('waits for the resolution and the 7-day delay, then archives; the incident leaves the active views and is read-only', async () => {
    const id = await openIncident();
    expect(await step(id)).toMatchObject({ status: 'pending', next_run_at: null });
    // Steps 12 and 13 wait for the incident window (or the resolution) before it, so it has not run yet.
    expect((await step(id)).reason ?? 'not reached').toMatch(/resolved; it is open|not reached/);
    await resolve(id);
    await service.runner.drain();
    const waiting = await step(id);
    expect(waiting.status).toBe('pending');
    expect(waiting.next_run_at?.toISOString()).toBe(new Date(clock.getTime() + 7 * DAY).toISOString());
    advance(7 * DAY - 60_000);
    await service.runner.drain();
    expect((await call('GET', `/api/v1/incidents/${id}`)).body.status).toBe('resolved');
    advance(2 * 60_000);
    await service.runner.drain();
    expect((await step(id)).status).toBe('done');

    const inc = await call('GET', `/api/v1/incidents/${id}`);
    expect(inc.status).toBe(200);
    expect(inc.body.status).toBe('archived');
    const listed = (await call('GET', '/api/v1/incidents?limit=500')).body.items.map((x: { id: string }) => x.id);
    expect(listed).not.toContain(id);
    expect((await call('GET', '/api/v1/incidents?status=archived')).body.items.map((x: { id: string }) => x.id)).toContain(id);
    for (const action of ['reopen', 'resolve', 'acknowledge']) expect((await call('POST', `/api/v1/incidents/${id}/${action}`, action === 'resolve' ? { outcome: 'no_loss' } : {})).status).toBe(409);

    const rec = await call('GET', `/api/v1/archive/${id}`);
    expect(rec.status).toBe(200);
    expect(rec.body).toMatchObject({ incidentId: id, site: 'dc-201', legalHold: { held: false, history: [] }, eligibleForPurge: false });
    expect(rec.body.retainUntil.slice(0, 4)).toBe('2033');
    const r = rec.body.record;
    expect(r).toMatchObject({ format: 'vigil-archive-record/1', incidentId: id, incident: { id, status: 'resolved', resolution: 'door closed, nothing taken' } });
    expect(r.events).toHaveLength(1);
    for (const k of ['severityHistory', 'workflow', 'reportVersions', 'tasks', 'notes', 'notifications', 'patrols', 'accessFindings', 'equipmentFindings', 'assetStatusChanges', 'riskHistory']) expect(Array.isArray(r[k]), k).toBe(true);
    expect(r.audit.map((a: { action: string }) => a.action)).toContain('incident.resolve');
    expect(r.audit.every((a: { leafIndex: number | null }) => typeof a.leafIndex === 'number')).toBe(true);
    // The archive is read-only: there is no route that changes or deletes a record.
    for (const method of ['PUT', 'PATCH', 'DELETE'] as const) expect((await call(method, `/api/v1/archive/${id}`)).status).toBe(404);
  });

  it('does not archive an incident reopened within the delay; resolved again, it waits a new delay', async () => {
    const id = await openIncident();
    await resolve(id);
    await service.runner.drain();
    advance(3 * DAY);
    expect((await call('POST', `/api/v1/incidents/${id}/reopen`, {})).status).toBe(200);
    advance(5 * DAY);
    await service.runner.drain();
    expect((await call('GET', `/api/v1/incidents/${id}`)).body.status).toBe('open');
    expect(await step(id)).toMatchObject({ status: 'pending', next_run_at: null });
    // The daily sweep leaves it alone too.
    expect((await sweep()).archived).not.toContain(id);
    await resolve(id);
    await service.runner.drain();
    advance(6 * DAY);
    await service.runner.drain();
    expect((await call('GET', `/api/v1/incidents/${id}`)).body.status).toBe('resolved');
    advance(DAY + 60_000);
    await service.runner.drain();
    expect((await call('GET', `/api/v1/incidents/${id}`)).body.status).toBe('archived');
  });

  it('the daily sweep archives what is due; the waiting step then finds it archived and writes nothing twice', async () => {
    const id = await openIncident();
    await resolve(id);
    await service.runner.drain();
    advance(7 * DAY + 60_000);
    const leavesBefore = Number((await service.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM log_leaves`)).rows[0].n);
    const out = await sweep();
    expect(out.archived).toContain(id);
    // Two leaves: the archive record and the audit record of the move.
    const leavesAfter = Number((await service.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM log_leaves`)).rows[0].n);
    expect(leavesAfter - leavesBefore).toBe(2 * out.archived.length);
    await service.runner.drain();
    const st = (await service.db.query<{ status: string; result: { archivedBefore?: boolean } }>(`SELECT status, result FROM workflow_steps WHERE incident_id = $1 AND step = 'archive-resolved-incident'`, [id])).rows[0];
    expect(st).toMatchObject({ status: 'done', result: { archivedBefore: true } });
    expect(Number((await service.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM log_leaves`)).rows[0].n)).toBe(leavesAfter);
  });

  it('the sweep archives a few incidents to a transaction; one failing keeps those before it and the retry does the rest', async () => {
    const ids = [await openIncident('store-101', 'cash-office'), await openIncident('store-102', 'cash-office'), await openIncident('hq-301', 'server-room')];
    // Resolved a second apart: the sweep takes the oldest resolution first.
    for (const id of ids) {
      await resolve(id);
      advance(1000);
    }
    await service.runner.drain();
    advance(7 * DAY + 60_000);
    // Two to a transaction, the second transaction failing: the first two stay archived.
    let transactions = 0;
    const failing: Db = { ...service.db, transaction: (fn) => (++transactions === 2 ? Promise.reject(new Error('store connection lost')) : service.db.transaction(fn)) };
    await expect(sweep(2, failing)).rejects.toThrow('store connection lost');
    const status = async (id: string) => (await call('GET', `/api/v1/incidents/${id}`)).body.status;
    expect(await Promise.all(ids.map(status))).toEqual(['archived', 'archived', 'resolved']);
    // The retry finds only the third due and archives it; each is archived once (two leaves each).
    const leaves = Number((await service.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM log_leaves`)).rows[0].n);
    const again = await sweep(2);
    expect(again).toMatchObject({ due: 1, archived: [ids[2]] });
    expect(Number((await service.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM log_leaves`)).rows[0].n)).toBe(leaves + 2);
    expect(await Promise.all(ids.map(status))).toEqual(['archived', 'archived', 'archived']);
  });

  it('the database refuses UPDATE, DELETE and TRUNCATE on the archive and audit tables', async () => {
    const id = await archived();
    expect((await call('POST', `/api/v1/archive/${id}/hold`, { reason: 'claim 77' })).status).toBe(200);
    const tables: [string, string][] = [
      ['archive_records', 'digest = digest'],
      ['audit_log', 'actor = actor'],
      ['legal_holds', 'reason = reason'],
      ['log_leaves', 'leaf_hash = leaf_hash'],
      ['log_checkpoints', 'signature = signature'],
    ];
    for (const [table, set] of tables) {
      const count = async () => Number((await service.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table}`)).rows[0].n);
      const before = await count();
      expect(before, table).toBeGreaterThan(0);
      await expect(service.db.query(`UPDATE ${table} SET ${set}`), `UPDATE ${table}`).rejects.toThrow(/append-only/);
      await expect(service.db.query(`DELETE FROM ${table}`), `DELETE ${table}`).rejects.toThrow(/append-only/);
      await expect(service.db.query(`TRUNCATE ${table}`), `TRUNCATE ${table}`).rejects.toThrow(/append-only/);
      expect(await count()).toBe(before);
    }
  });

  it('serves an inclusion proof that verifies against the signed checkpoint and the public key', async () => {
    const id = await archived();
    const p = await call('GET', `/api/v1/archive/${id}/proof`);
    expect(p.status).toBe(200);
    const { checkpoint: cp } = p.body;
    expect(cp.text).toBe(checkpointText({ treeSize: cp.treeSize, rootHash: cp.rootHash, at: new Date(cp.at) }));
    expect(verifyCheckpointSignature({ ...cp, at: new Date(cp.at) }, service.logSigner.publicKey)).toBe(true);
    expect(p.body.leafHash).toBe(leafHash(Buffer.from(p.body.leafData, 'utf8')).toString('hex'));
    const path = p.body.path.map((h: string) => Buffer.from(h, 'hex'));
    expect(verifyInclusion(p.body.leafIndex, cp.treeSize, Buffer.from(p.body.leafHash, 'hex'), path, Buffer.from(cp.rootHash, 'hex'))).toBe(true);
    expect(JSON.parse(p.body.leafData)).toMatchObject({ kind: 'archive', incidentId: id, digest: p.body.digest });
    expect((await call('GET', '/api/v1/archive/inc-nope/proof')).status).toBe(404);
  });

  it('consistency proofs between any two checkpoints verify, and fail after a rewritten leaf', async () => {
    await archived();
    const all = (await call('GET', '/api/v1/checkpoints?limit=1000')).body;
    expect(all.items.length).toBeGreaterThan(3);
    expect(all.latest.treeSize).toBe(all.treeSize);
    const sizes: number[] = all.items.map((c: { treeSize: number }) => c.treeSize);
    const root = (size: number) => Buffer.from(all.items.find((c: { treeSize: number }) => c.treeSize === size).rootHash, 'hex');
    const { consistencyProofOf } = await import('../src/archive/transparency-log.js');
    const hexes = (xs: string[]) => xs.map((h) => Buffer.from(h, 'hex'));
    // Every pair of signed checkpoints m <= n.
    for (const m of sizes) {
      for (const size of sizes.filter((s) => s >= m)) {
        const { proof } = await consistencyProofOf(service.db, m, size);
        expect(verifyConsistency(m, size, root(m), root(size), hexes(proof)), `${m} -> ${size}`).toBe(true);
      }
      // What the API serves: from m to the latest.
      const { consistency } = (await call('GET', `/api/v1/checkpoints?from=${m}&limit=1`)).body;
      expect(consistency.to).toBe(all.latest.treeSize);
      expect(verifyConsistency(m, consistency.to, root(m), Buffer.from(all.latest.rootHash, 'hex'), hexes(consistency.proof))).toBe(true);
    }
    expect((await call('GET', `/api/v1/checkpoints?from=${all.latest.treeSize + 1}`)).status).toBe(400);
    // Every checkpoint is signed.
    for (const c of all.items) expect(verifyCheckpointSignature({ ...c, at: new Date(c.at) }, service.logSigner.publicKey)).toBe(true);
    // History rewritten behind the triggers: leaf 0 changed. The log's tree is now another one; no
    // proof the store can give leads from any signed old root to its root (the root a forger would
    // have to sign).
    const { leafHashes } = await import('../src/store/transparency-log.js');
    const { treeRoot } = await import('../src/domain/merkle.js');
    await service.db.query(`ALTER TABLE log_leaves DISABLE TRIGGER log_leaves_append_only`);
    try {
      await service.db.query(`UPDATE log_leaves SET leaf_hash = $1 WHERE leaf_index = 0`, [leafHash(Buffer.from('forged')).toString('hex')]);
      for (const size of sizes) {
        const forgedRoot = treeRoot(await leafHashes(service.db, size));
        expect(forgedRoot.equals(root(size))).toBe(false);
        for (const m of sizes.filter((s) => s < size)) {
          const { proof } = await consistencyProofOf(service.db, m, size);
          expect(verifyConsistency(m, size, root(m), forgedRoot, hexes(proof)), `${m} -> ${size} after the rewrite`).toBe(false);
        }
      }
      const check = await verifyStore(service.db, service.logSigner.publicKey);
      expect(check.ok).toBe(false);
      expect(check.failure).toMatch(/leaf 0\b/);
    } finally {
      await service.db.query(`ALTER TABLE log_leaves ENABLE TRIGGER log_leaves_append_only`);
    }
  });
});

describe.each(TEST_STORES)('verification and bundles on $name', (store) => {
  let service: Service;
  let app: FastifyInstance;
  let base = '';
  let drop: () => Promise<void> = async () => {};
  let clock = new Date('2026-11-20T08:14:30Z');
  let n = 0;
  const ids: string[] = [];

  beforeAll(async () => {
    const s = await store.fresh();
    drop = s.drop;
    service = await createService({ config: loadDemoConfig(), dataDir: s.dataDir, databaseUrl: s.databaseUrl, adminToken: ADMIN, now: () => clock });
    app = await buildServer(service);
    base = await app.listen({ port: 0, host: '127.0.0.1' });
    await service.db.query(`INSERT INTO api_tokens (id, name, token_hash, role, sites) VALUES ('t-scoped', 'scoped', encode(sha256('archive-scoped'::bytea), 'hex'), 'manager', '{store-101}')`);
    // Two incidents at two sites, resolved and archived by `vigil archive`'s operation with no delay.
    for (const [site, zone] of [
      ['dc-201', 'cage'],
      ['store-101', 'cash-office'],
    ]) {
      const e: SecurityEvent = { source: 'access_control', type: 'door_forced', sourceEventId: `vb-${++n}`, occurredAt: new Date(clock.getTime() - 60_000).toISOString(), site, zone, details: {} };
      const id = (await service.pipeline.ingest([e])).incidentsOpened[0];
      await service.runner.drain();
      expect((await call('POST', `/api/v1/incidents/${id}/resolve`, { resolution: `checked ${site}`, outcome: 'no_loss' })).status).toBe(200);
      ids.push(id);
    }
    advance(8 * DAY);
    await service.runner.drain();
  });
  afterAll(async () => {
    await app?.close();
    await service?.close();
    await drop();
  });
  /** The daily sweep as the scheduler runs it: its preparation, then its run in a transaction. */
  const sweep = async () => {
    const job = archiveResolvedIncidents(service.org, { logSigner: service.logSigner });
    const ctx = { window: 'w', dueAt: clock, now: clock, attempt: 1 };
    const prepared = await job.prepare!({ db: service.db, ...ctx });
    return service.db.transaction(async (tx) => (await job.run({ tx, ...ctx, prepared })) as { due: number; archived: string[]; headSigned: boolean });
  };
  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };
  /** A request over real HTTP to the listening server. */
  const call = async (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, payload?: unknown, token = ADMIN) => {
    const r = await fetch(base + url, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(payload !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(payload !== undefined ? { body: JSON.stringify(payload) } : {}),
    });
    return { status: r.status, body: (await r.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };
  /** Runs `sql` with the table's append-only trigger off, as a superuser could. */
  const behindTriggers = async (table: string, sql: string, params: unknown[] = []) => {
    await service.db.query(`ALTER TABLE ${table} DISABLE TRIGGER ${table}_append_only`);
    try {
      await service.db.query(sql, params);
    } finally {
      await service.db.query(`ALTER TABLE ${table} ENABLE TRIGGER ${table}_append_only`);
    }
  };

  it('lists and searches archived incidents within the caller\'s sites', async () => {
    const all = await call('GET', '/api/v1/archive');
    expect(all.status).toBe(200);
    expect(all.body.items.map((x: { incidentId: string }) => x.incidentId).sort()).toEqual([...ids].sort());
    expect((await call('GET', '/api/v1/archive?q=cage')).body.items.map((x: { incidentId: string }) => x.incidentId)).toEqual([ids[0]]);
    expect((await call('GET', `/api/v1/archive?q=${ids[1]}`)).body.items.map((x: { incidentId: string }) => x.incidentId)).toEqual([ids[1]]);
    expect((await call('GET', '/api/v1/archive?site=store-101')).body.items.map((x: { incidentId: string }) => x.incidentId)).toEqual([ids[1]]);
    expect((await call('GET', `/api/v1/archive?to=${encodeURIComponent('2026-11-21T00:00:00Z')}`)).body.items).toEqual([]);
    expect((await call('GET', '/api/v1/archive?limit=1')).body.nextCursor).toEqual(expect.any(String));
    const bad = await call('GET', '/api/v1/archive?from=yesterday&limit=0&x=1');
    expect(bad.status).toBe(400);
    expect(bad.body.error.details.length).toBeGreaterThanOrEqual(3);
    // A token of store-101 sees only that site's record.
    const scoped = await call('GET', '/api/v1/archive', undefined, 'archive-scoped');
    expect(scoped.body.items.map((x: { incidentId: string }) => x.incidentId)).toEqual([ids[1]]);
    expect((await call('GET', `/api/v1/archive/${ids[0]}`, undefined, 'archive-scoped')).status).toBe(404);
    expect((await call('GET', `/api/v1/archive/${ids[0]}/proof`, undefined, 'archive-scoped')).status).toBe(404);
    expect((await call('POST', `/api/v1/archive/${ids[0]}/hold`, { reason: 'x' }, 'archive-scoped')).status).toBe(404);
  });

  it('keeps an incident under legal hold past its retention date; nothing is deleted automatically', async () => {
    const [held, free] = ids;
    const h = await call('POST', `/api/v1/archive/${held}/hold`, { reason: 'insurance claim 4411' });
    expect(h.status).toBe(200);
    expect(h.body.legalHold).toMatchObject({ held: true, history: [{ actor: 'admin', hold: true, reason: 'insurance claim 4411' }] });
    expect((await call('POST', `/api/v1/archive/${held}/hold`, { reason: 'again' })).status).toBe(409);
    expect((await call('POST', `/api/v1/archive/${held}/hold`, {})).status).toBe(400);
    // Eight years on, past both records' retention date, the sweep and the step run again.
    advance(8 * 365 * DAY);
    await service.runner.drain();
    await sweep();
    const heldRec = await call('GET', `/api/v1/archive/${held}`);
    expect(heldRec.status).toBe(200);
    expect(heldRec.body).toMatchObject({ legalHold: { held: true }, eligibleForPurge: false });
    const freeRec = await call('GET', `/api/v1/archive/${free}`);
    expect(freeRec.status).toBe(200);
    expect(freeRec.body.eligibleForPurge).toBe(true);
    expect(Number((await service.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM archive_records`)).rows[0].n)).toBe(2);
    const rel = await call('POST', `/api/v1/archive/${held}/release`, { reason: 'claim settled' });
    expect(rel.body.legalHold.held).toBe(false);
    expect(rel.body.legalHold.history).toHaveLength(2);
    expect((await call('GET', `/api/v1/archive/${held}`)).body.eligibleForPurge).toBe(true);
    expect((await verifyStore(service.db, service.logSigner.publicKey)).ok).toBe(true);
  });

  it('an exported bundle verifies offline, and fails with one figure changed', async () => {
    const bundle = JSON.parse(JSON.stringify(await exportBundle(service.db, ids[0], service.logSigner)));
    const ok = verifyBundle(bundle);
    expect(ok.failure).toBeUndefined();
    expect(ok).toMatchObject({ ok: true, incidentId: ids[0], keyId: service.logSigner.keyId });
    expect(verifyBundle(bundle, { expectKeyId: service.logSigner.keyId }).ok).toBe(true);
    expect(verifyBundle(bundle, { expectKeyId: 'f'.repeat(64) }).failure).toMatch(/public key/);

    // One figure of the record changed: the digest no longer matches.
    const changed = structuredClone(bundle);
    changed.record.events[0].occurred_at = '2026-11-19T08:13:30+00:00';
    expect(verifyBundle(changed).failure).toMatch(/^record digest/);
    // The digest and leaf recomputed to match the change: the leaf is no longer in the signed tree.
    const { digestOf } = await import('../src/domain/canonical-json.js');
    const { archiveLeafData } = await import('../src/domain/log-leaves.js');
    changed.digest = digestOf(changed.record);
    changed.leaf.data = archiveLeafData({ ...changed.record, digest: changed.digest });
    changed.leaf.hash = leafHash(Buffer.from(changed.leaf.data, 'utf8')).toString('hex');
    expect(verifyBundle(changed).failure).toMatch(/^inclusion proof/);
    // A changed tree size in the signed checkpoint text: the signature fails.
    const resized = structuredClone(bundle);
    resized.checkpoint.treeSize += 1;
    resized.checkpoint.text = checkpointText({ treeSize: resized.checkpoint.treeSize, rootHash: resized.checkpoint.rootHash, at: new Date(resized.checkpoint.at) });
    expect(verifyBundle(resized).failure).toMatch(/^checkpoint signature/);
    // Another key: signature and key id disagree.
    const { generateKeyPairSync } = await import('node:crypto');
    const other = structuredClone(bundle);
    other.publicKey.pem = generateKeyPairSync('ed25519').publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(verifyBundle(other).ok).toBe(false);
    expect(verifyBundle({ format: 'something' }).failure).toMatch(/^format/);
  });

  it('verification passes on the untouched store and names a row altered with the triggers disabled', async () => {
    const clean = await verifyStore(service.db, service.logSigner.publicKey);
    expect(clean.failure).toBeUndefined();
    expect(clean).toMatchObject({ ok: true, archiveRecords: 2, unsigned: 0 });
    expect(clean.auditRecords).toBeGreaterThan(3);
    expect(clean.checkpoints).toBeGreaterThan(3);

    // An audit record altered.
    const seq = Number((await service.db.query<{ seq: number }>(`SELECT seq FROM audit_log WHERE action = 'incident.resolve' AND target = $1`, [ids[1]])).rows[0].seq);
    const auditDetails = (await service.db.query<{ details: unknown }>(`SELECT details FROM audit_log WHERE seq = $1`, [seq])).rows[0].details;
    await behindTriggers('audit_log', `UPDATE audit_log SET actor = 'somebody-else' WHERE seq = $1`, [seq]);
    let bad = await verifyStore(service.db, service.logSigner.publicKey);
    expect(bad.ok).toBe(false);
    expect(bad.failure).toMatch(new RegExp(`^audit record ${seq} \\(leaf \\d+, incident.resolve on ${ids[1]}`));
    await behindTriggers('audit_log', `UPDATE audit_log SET actor = 'admin', details = $2::jsonb WHERE seq = $1`, [seq, JSON.stringify(auditDetails)]);
    expect((await verifyStore(service.db, service.logSigner.publicKey)).ok).toBe(true);

    // One figure of an archive record altered.
    const original = (await service.db.query<{ record: unknown; digest: string }>(`SELECT record, digest FROM archive_records WHERE incident_id = $1`, [ids[0]])).rows[0];
    await behindTriggers('archive_records', `UPDATE archive_records SET record = jsonb_set(record, '{incident,net_loss}', '"99999.00"') WHERE incident_id = $1`, [ids[0]]);
    bad = await verifyStore(service.db, service.logSigner.publicKey);
    expect(bad.failure).toMatch(new RegExp(`^archive record ${ids[0]} \\(leaf \\d+\\): its record does not match its digest`));
    // ... and its digest rewritten to match: the leaf no longer does.
    const { digestOf } = await import('../src/domain/canonical-json.js');
    const rec = (await service.db.query<{ record: unknown }>(`SELECT record FROM archive_records WHERE incident_id = $1`, [ids[0]])).rows[0].record;
    await behindTriggers('archive_records', `UPDATE archive_records SET digest = $2 WHERE incident_id = $1`, [ids[0], digestOf(rec)]);
    bad = await verifyStore(service.db, service.logSigner.publicKey);
    expect(bad.failure).toMatch(new RegExp(`^archive record ${ids[0]} \\(leaf \\d+\\) does not match its leaf`));

    await behindTriggers('archive_records', `UPDATE archive_records SET record = $2::jsonb, digest = $3 WHERE incident_id = $1`, [ids[0], JSON.stringify(original.record), original.digest]);
    expect((await verifyStore(service.db, service.logSigner.publicKey)).ok).toBe(true);

    // An audit record slipped in around the log (INSERT is allowed; its leaf is missing).
    await service.db.query(`INSERT INTO audit_log (at, actor, action, target) VALUES (now(), 'intruder', 'incident.reopen', $1)`, [ids[1]]);
    const stray = Number((await service.db.query<{ seq: number }>(`SELECT max(seq)::int AS seq FROM audit_log`)).rows[0].seq);
    bad = await verifyStore(service.db, service.logSigner.publicKey);
    expect(bad.failure).toBe(`audit record ${stray} is not in the transparency log (written around it)`);
  });
});
