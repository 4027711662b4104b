/**
 * `vigil verify`: recomputes the whole transparency log from the store and checks everything
 * against everything, in one pass over the leaves (memory O(log n) for the tree):
 *
 * - each leaf's record exists and gives the leaf's hash (audit records from their columns,
 *   archive records from their summary and the record's digest, which is recomputed too);
 * - the leaves are numbered 0..n-1 with no gap, and each archive record names its own leaf;
 * - every checkpoint's root equals the root of the tree of its size, and its Ed25519 signature
 *   verifies under this installation's key;
 * - the log's head (size, frontier) matches the leaves;
 * - no audit or archive record is outside the log.
 *
 * It stops at the first mismatch and names that record.
 */
import type { KeyObject } from 'node:crypto';
import { digestOf } from '../domain/canonical-json.js';
import { keyIdOf, verifyCheckpointSignature, type SignedCheckpoint } from '../domain/checkpoint.js';
import { archiveLeafData, auditLeafData } from '../domain/log-leaves.js';
import { appendToFrontier, frontierRoot, leafHash, type Hash } from '../domain/merkle.js';
import { archiveRecordsByIds, archiveRecordsOutsideLog, countArchiveRecords } from '../store/archive.js';
import { auditRecordsBySeq, auditRecordsOutsideLog } from '../store/audit-log.js';
import type { Queryable } from '../store/db.js';
import { checkpointsFrom, leavesFrom, unloggedLegacyAuditSeqs } from '../store/transparency-log.js';

/** The outcome of a whole-store verification. */
export interface StoreCheck {
  ok: boolean;
  leaves: number;
  auditRecords: number;
  archiveRecords: number;
  checkpoints: number;
  /** Leaves after the latest checkpoint (appended but not signed yet). */
  unsigned: number;
  rootHash: string;
  /** The first record that does not match, named. */
  failure?: string;
  /** Audit records from before the log existed that the service has not added to it yet. */
  legacyUnlogged: number;
}

const PAGE = 1000;

/** Verifies the store's log end to end against the public key of this installation. */
export async function verifyStore(q: Queryable, publicKey: KeyObject, onProgress?: (done: number) => void): Promise<StoreCheck> {
  const keyId = keyIdOf(publicKey);
  let frontier: Hash[] = [];
  let size = 0;
  let audits = 0;
  let archives = 0;
  let checkpoints = 0;
  let lastSigned = 0;
  const out = (failure?: string, extra: Partial<StoreCheck> = {}): StoreCheck => ({
    ok: failure === undefined,
    leaves: size,
    auditRecords: audits,
    archiveRecords: archives,
    checkpoints,
    unsigned: size - lastSigned,
    rootHash: frontierRoot(frontier).toString('hex'),
    legacyUnlogged: 0,
    ...(failure !== undefined ? { failure } : {}),
    ...extra,
  });

  let pending: SignedCheckpoint[] = await checkpointsFrom(q, 1, PAGE);
  let exhausted = pending.length < PAGE;
  const checkCheckpoint = (c: SignedCheckpoint): string | undefined => {
    const root = frontierRoot(frontier).toString('hex');
    if (c.rootHash !== root) return `checkpoint of tree size ${c.treeSize} (${c.at.toISOString()}): its root ${c.rootHash} is not the root ${root} of the first ${c.treeSize} leaves`;
    if (c.keyId !== keyId) return `checkpoint of tree size ${c.treeSize}: signed by key ${c.keyId}, not this log's key ${keyId}`;
    if (!verifyCheckpointSignature(c, publicKey)) return `checkpoint of tree size ${c.treeSize}: its signature does not verify`;
    checkpoints++;
    lastSigned = c.treeSize;
    return undefined;
  };
  // The checkpoint of size `size` is checked right after the first `size` leaves are in the frontier.
  const settleCheckpoints = async (): Promise<string | undefined> => {
    for (;;) {
      if (pending.length === 0 && !exhausted) {
        pending = await checkpointsFrom(q, 1, PAGE, lastSigned);
        exhausted = pending.length < PAGE;
      }
      if (pending.length === 0 || pending[0].treeSize > size) return undefined;
      const c = pending.shift()!;
      const bad = checkCheckpoint(c);
      if (bad) return bad;
    }
  };

  for (;;) {
    const page = await leavesFrom(q, size, PAGE);
    if (page.length === 0) break;
    const auditRows = await auditRecordsBySeq(q, page.filter((l) => l.kind === 'audit').map((l) => Number(l.ref)));
    const archiveRows = await archiveRecordsByIds(q, page.filter((l) => l.kind === 'archive').map((l) => l.ref));
    for (const l of page) {
      if (l.leaf_index !== size) return out(`leaf ${size} is missing (the next leaf is ${l.leaf_index})`);
      let data: string;
      if (l.kind === 'audit') {
        const r = auditRows.get(Number(l.ref));
        if (!r) return out(`audit record ${l.ref} (leaf ${size}) is missing from the audit log`);
        data = auditLeafData(r);
        if (leafHash(Buffer.from(data, 'utf8')).toString('hex') !== l.leaf_hash) return out(`audit record ${l.ref} (leaf ${size}, ${r.action} on ${r.target ?? '-'} at ${r.at.toISOString()}) does not match its leaf: it was altered`);
        audits++;
      } else if (l.kind === 'archive') {
        const r = archiveRows.get(l.ref);
        if (!r) return out(`archive record ${l.ref} (leaf ${size}) is missing from the archive`);
        let digest: string;
        try {
          digest = digestOf(r.record);
        } catch {
          digest = '';
        }
        if (digest !== r.digest) return out(`archive record ${l.ref} (leaf ${size}): its record does not match its digest ${r.digest}: it was altered`);
        if (r.leaf_index !== size) return out(`archive record ${l.ref}: it names leaf ${r.leaf_index}, but its leaf is ${size}`);
        data = archiveLeafData({ incidentId: r.incident_id, site: r.site, archivedAt: r.archived_at, resolvedAt: r.resolved_at, retainUntil: r.retain_until, digest: r.digest });
        if (leafHash(Buffer.from(data, 'utf8')).toString('hex') !== l.leaf_hash) return out(`archive record ${l.ref} (leaf ${size}) does not match its leaf: it was altered`);
        archives++;
      } else {
        return out(`leaf ${size} has an unknown kind ${String(l.kind)}`);
      }
      frontier = appendToFrontier(frontier, size, Buffer.from(l.leaf_hash, 'hex'));
      size++;
      const bad = await settleCheckpoints();
      if (bad) return out(bad);
    }
    onProgress?.(size);
  }
  if (pending.length > 0) return out(`checkpoint of tree size ${pending[0].treeSize}: the log has only ${size} leaves`);

  const head = (await q.query<{ tree_size: number; frontier: string[] }>(`SELECT tree_size, frontier FROM log_state WHERE id = 1`)).rows[0];
  if (!head) return out('the log has no head row');
  if (Number(head.tree_size) !== size || frontierRoot(head.frontier.map((h) => Buffer.from(h, 'hex'))).toString('hex') !== frontierRoot(frontier).toString('hex'))
    return out(`the log's head (size ${head.tree_size}) does not match its ${size} leaves`);
  const strayAudit = await auditRecordsOutsideLog(q, 1);
  if (strayAudit.length > 0) return out(`audit record ${strayAudit[0]} is not in the transparency log (written around it)`);
  const strayArchive = await archiveRecordsOutsideLog(q, 1);
  if (strayArchive.length > 0) return out(`archive record ${strayArchive[0]} is not in the transparency log`);
  const totalArchive = await countArchiveRecords(q);
  if (totalArchive !== archives) return out(`the archive holds ${totalArchive} records, the log ${archives}`);
  const legacy = (await unloggedLegacyAuditSeqs(q, 1_000_000)).length;
  return out(undefined, { legacyUnlogged: legacy });
}
