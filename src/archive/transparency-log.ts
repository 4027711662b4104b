/**
 * The transparency log as the service uses it: proofs against signed checkpoints, and sealing
 * (audit records from before the log existed are added to it in order, and a head appended by a
 * caller without the signer gets its checkpoint).
 */
import { checkpointText, type CheckpointSigner, type SignedCheckpoint } from '../domain/checkpoint.js';
import { NotFoundError } from '../domain/errors.js';
import { consistencyProof, inclusionProof } from '../domain/merkle.js';
import { logAuditRecords } from '../store/audit-log.js';
import type { Db } from '../store/db.js';
import type { Queryable } from '../store/db.js';
import { checkpointOf, latestCheckpoint, leafHashes, signHead, unloggedLegacyAuditSeqs } from '../store/transparency-log.js';

/** A checkpoint as the API and the bundles show it: its fields and the exact signed text. */
export interface CheckpointView {
  treeSize: number;
  rootHash: string;
  at: string;
  keyId: string;
  signature: string;
  text: string;
}

/** The API/bundle form of a signed checkpoint. */
export function checkpointView(c: SignedCheckpoint): CheckpointView {
  return { treeSize: c.treeSize, rootHash: c.rootHash, at: c.at.toISOString(), keyId: c.keyId, signature: c.signature, text: checkpointText(c) };
}

/** An inclusion proof of one leaf against a checkpoint. */
export interface InclusionProofView {
  leafIndex: number;
  treeSize: number;
  /** PATH(leafIndex, D[treeSize]) of RFC 6962, hex, from the leaf's sibling upwards. */
  path: string[];
  checkpoint: CheckpointView;
}

/** The inclusion proof of leaf `leafIndex` against the latest checkpoint. */
export async function inclusionProofOf(q: Queryable, leafIndex: number): Promise<InclusionProofView> {
  const cp = await latestCheckpoint(q);
  if (!cp || cp.treeSize <= leafIndex) throw new NotFoundError(`a signed checkpoint that covers leaf ${leafIndex} (the log has not signed its head yet)`);
  const hashes = await leafHashes(q, cp.treeSize);
  return { leafIndex, treeSize: cp.treeSize, path: inclusionProof(leafIndex, hashes, cp.treeSize).map((h) => h.toString('hex')), checkpoint: checkpointView(cp) };
}

/** The consistency proof PROOF(from, D[to]) (hex), between two signed tree sizes. */
export async function consistencyProofOf(q: Queryable, from: number, to: number): Promise<{ from: number; to: number; proof: string[]; fromCheckpoint: CheckpointView | null }> {
  const first = await checkpointOf(q, from);
  const hashes = await leafHashes(q, to);
  const proof = from === 0 ? [] : consistencyProof(from, hashes, to).map((h) => h.toString('hex'));
  return { from, to, proof, fromCheckpoint: first ? checkpointView(first) : null };
}

/**
 * Seals the log: adds the audit records written before the log existed (in seq order, in
 * batches, each signed), then signs the head if no checkpoint covers it. Returns how many records
 * it added and whether it signed a checkpoint.
 */
export async function sealLog(db: Db, signer: CheckpointSigner, now: Date): Promise<{ added: number; signed: boolean }> {
  let added = 0;
  let signed = false;
  for (;;) {
    const n = await db.transaction(async (tx) => {
      const seqs = await unloggedLegacyAuditSeqs(tx, 1000);
      if (seqs.length > 0 && (await logAuditRecords(tx, seqs, now, signer)).checkpoint) signed = true;
      return seqs.length;
    });
    added += n;
    if (n < 1000) break;
  }
  if (await db.transaction(async (tx) => (await signHead(tx, signer, now)) !== undefined)) signed = true;
  return { added, signed };
}
