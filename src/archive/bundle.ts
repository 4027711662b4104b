/**
 * The export bundle of an archived incident (`vigil archive export ID`): one JSON file that holds
 * everything needed to check the record offline, with no store and no Vigil configuration:
 *
 *   { "format": "vigil-archive-bundle/1",
 *     "incidentId": "...",
 *     "record": { ...the archive record, format vigil-archive-record/1 },
 *     "digest": "<SHA-256 hex of the record's canonical JSON>",
 *     "leaf": { "index": 12, "data": "<the leaf data: canonical JSON>", "hash": "<hex>" },
 *     "inclusionProof": { "treeSize": 40, "path": ["<hex>", ...] },
 *     "checkpoint": { "treeSize": 40, "rootHash": "<hex>", "at": "...", "keyId": "<hex>", "signature": "<base64>", "text": "..." },
 *     "publicKey": { "keyId": "<hex>", "pem": "-----BEGIN PUBLIC KEY-----..." } }
 *
 * `verifyBundle` does what docs/archive.md describes: digest, leaf, inclusion proof, checkpoint
 * text and signature, and the key's id. Every check is recomputed from the record; the bundle's
 * own digest, leaf data and hashes are only compared.
 */
import { digestOf } from '../domain/canonical-json.js';
import { checkpointText, keyIdOf, parseCheckpointText, publicKeyFromPem, verifyCheckpointSignature, type CheckpointSigner } from '../domain/checkpoint.js';
import { NotFoundError } from '../domain/errors.js';
import { archiveLeafData } from '../domain/log-leaves.js';
import { leafHash, verifyInclusion } from '../domain/merkle.js';
import { getArchiveRecord } from '../store/archive.js';
import type { Queryable } from '../store/db.js';
import type { SiteScope } from '../store/read/page.js';
import { inclusionProofOf, type CheckpointView } from './transparency-log.js';

/** The bundle's format name. */
export const BUNDLE_FORMAT = 'vigil-archive-bundle/1';

export interface ArchiveBundle {
  format: typeof BUNDLE_FORMAT;
  incidentId: string;
  record: Record<string, unknown>;
  digest: string;
  leaf: { index: number; data: string; hash: string };
  inclusionProof: { treeSize: number; path: string[] };
  checkpoint: CheckpointView;
  publicKey: { keyId: string; pem: string };
}

/** Builds the bundle of an archived incident from the store. */
export async function exportBundle(q: Queryable, id: string, signer: CheckpointSigner, scope: SiteScope = null): Promise<ArchiveBundle> {
  const rec = await getArchiveRecord(q, id, scope);
  if (!rec) throw new NotFoundError(`archived incident ${id}`);
  const data = archiveLeafData({ incidentId: rec.incident_id, site: rec.site, archivedAt: rec.archived_at, resolvedAt: rec.resolved_at, retainUntil: rec.retain_until, digest: rec.digest });
  const proof = await inclusionProofOf(q, rec.leaf_index);
  return {
    format: BUNDLE_FORMAT,
    incidentId: id,
    record: rec.record,
    digest: rec.digest,
    leaf: { index: rec.leaf_index, data, hash: leafHash(Buffer.from(data, 'utf8')).toString('hex') },
    inclusionProof: { treeSize: proof.treeSize, path: proof.path },
    checkpoint: proof.checkpoint,
    publicKey: { keyId: signer.keyId, pem: signer.publicKey.export({ format: 'pem', type: 'spki' }).toString() },
  };
}

/** What an offline check found. */
export interface BundleCheck {
  ok: boolean;
  /** What was checked, in order, each with its outcome. */
  checks: { name: string; ok: boolean; detail: string }[];
  /** The first check that failed. */
  failure?: string;
  incidentId?: string;
  keyId?: string;
  treeSize?: number;
}

const HEX64 = /^[0-9a-f]{64}$/;

/** Checks a bundle offline (parsed JSON of unknown shape); `expectKeyId` pins the signing key. */
export function verifyBundle(input: unknown, opts: { expectKeyId?: string } = {}): BundleCheck {
  const checks: BundleCheck['checks'] = [];
  const check = (name: string, ok: boolean, detail: string): boolean => {
    checks.push({ name, ok, detail });
    return ok;
  };
  const done = (extra: Partial<BundleCheck> = {}): BundleCheck => {
    const bad = checks.find((c) => !c.ok);
    return { ok: !bad, checks, ...(bad ? { failure: `${bad.name}: ${bad.detail}` } : {}), ...extra };
  };
  const b = input as Partial<ArchiveBundle> | null;
  const shaped =
    typeof b === 'object' &&
    b !== null &&
    b.format === BUNDLE_FORMAT &&
    typeof b.record === 'object' &&
    b.record !== null &&
    typeof b.digest === 'string' &&
    typeof b.leaf?.index === 'number' &&
    Array.isArray(b.inclusionProof?.path) &&
    b.inclusionProof.path.every((p) => typeof p === 'string' && HEX64.test(p)) &&
    typeof b.checkpoint?.text === 'string' &&
    typeof b.checkpoint?.signature === 'string' &&
    typeof b.publicKey?.pem === 'string';
  if (!check('format', shaped, shaped ? BUNDLE_FORMAT : `not a ${BUNDLE_FORMAT} file (format, record, digest, leaf, inclusionProof, checkpoint and publicKey expected)`)) return done();
  const bundle = b as ArchiveBundle;
  const rec = bundle.record as { incidentId?: unknown; site?: unknown; archivedAt?: unknown; resolvedAt?: unknown; retainUntil?: unknown };
  const incidentId = typeof rec.incidentId === 'string' ? rec.incidentId : undefined;

  // 1. The record's digest.
  let digest: string;
  try {
    digest = digestOf(bundle.record);
  } catch (e) {
    check('record digest', false, `the record cannot be put in canonical form: ${(e as Error).message}`);
    return done();
  }
  if (!check('record digest', digest === bundle.digest, digest === bundle.digest ? digest : `the record's SHA-256 is ${digest}, the bundle says ${bundle.digest}: the record was changed`)) return done({ ...(incidentId ? { incidentId } : {}) });
  if (!check('record identity', incidentId === bundle.incidentId, incidentId === bundle.incidentId ? `incident ${incidentId}` : `the record is of ${String(rec.incidentId)}, the bundle names ${bundle.incidentId}`)) return done();

  // 2. The leaf, rebuilt from the record.
  const fieldsOk = [rec.site, rec.archivedAt, rec.resolvedAt, rec.retainUntil].every((v) => typeof v === 'string' && !Number.isNaN(new Date(v as string).getTime()));
  if (!check('leaf', fieldsOk, fieldsOk ? '' : 'the record lacks its site or archive dates')) return done();
  const data = archiveLeafData({ incidentId: incidentId!, site: rec.site as string, archivedAt: rec.archivedAt as string, resolvedAt: rec.resolvedAt as string, retainUntil: rec.retainUntil as string, digest });
  const leaf = leafHash(Buffer.from(data, 'utf8'));
  const leafOk = data === bundle.leaf.data && leaf.toString('hex') === bundle.leaf.hash;
  checks[checks.length - 1] = { name: 'leaf', ok: leafOk, detail: leafOk ? `leaf ${bundle.leaf.index}, hash ${leaf.toString('hex')}` : "the leaf rebuilt from the record differs from the bundle's leaf" };
  if (!leafOk) return done({ incidentId: incidentId! });

  // 3. The checkpoint: its text, its key and its signature.
  const parsed = parseCheckpointText(bundle.checkpoint.text);
  const cpOk = parsed !== undefined && parsed.treeSize === bundle.checkpoint.treeSize && parsed.rootHash === bundle.checkpoint.rootHash && parsed.at.toISOString() === bundle.checkpoint.at;
  if (!check('checkpoint', cpOk, cpOk ? `tree size ${parsed!.treeSize}, root ${parsed!.rootHash}, ${parsed!.at.toISOString()}` : "the checkpoint's text does not match its tree size, root hash and time")) return done({ incidentId: incidentId! });
  const key = publicKeyFromPem(bundle.publicKey.pem);
  const keyId = key ? keyIdOf(key) : undefined;
  const keyOk = key !== undefined && keyId === bundle.publicKey.keyId && keyId === bundle.checkpoint.keyId && (opts.expectKeyId === undefined || opts.expectKeyId === keyId);
  if (
    !check(
      'public key',
      keyOk,
      keyOk
        ? `Ed25519 key ${keyId}`
        : !key
          ? 'the public key is not an Ed25519 key in PEM'
          : opts.expectKeyId !== undefined && opts.expectKeyId !== keyId
            ? `the bundle's key is ${keyId}, not the expected ${opts.expectKeyId}`
            : `the key's id is ${keyId}; the bundle names ${bundle.publicKey.keyId} and the checkpoint ${bundle.checkpoint.keyId}`,
    )
  )
    return done({ incidentId: incidentId! });
  const sigOk = verifyCheckpointSignature({ ...parsed!, keyId: keyId!, signature: bundle.checkpoint.signature }, key!) && checkpointText(parsed!) === bundle.checkpoint.text;
  if (!check('checkpoint signature', sigOk, sigOk ? 'valid Ed25519 signature' : 'the signature does not verify under the public key')) return done({ incidentId: incidentId!, keyId: keyId! });

  // 4. The inclusion proof of the leaf in the signed tree.
  const size = parsed!.treeSize;
  const proofOk =
    bundle.inclusionProof.treeSize === size &&
    verifyInclusion(bundle.leaf.index, size, leaf, bundle.inclusionProof.path.map((h) => Buffer.from(h, 'hex')), Buffer.from(parsed!.rootHash, 'hex'));
  check('inclusion proof', proofOk, proofOk ? `leaf ${bundle.leaf.index} is in the signed tree of ${size}` : `the proof does not lead from leaf ${bundle.leaf.index} to the signed root of the tree of ${size}`);
  return done({ incidentId: incidentId!, keyId: keyId!, treeSize: size });
}
