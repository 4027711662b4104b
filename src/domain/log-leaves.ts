/**
 * What each leaf of the transparency log holds (its leaf data, hashed as SHA-256(0x00 || data)):
 * the canonical JSON (domain/canonical-json.ts) of an audit record or of an archive record's
 * summary with its digest. A verifier rebuilds the leaf data from the stored record and compares
 * hashes; any change to a record, to its position or to its kind changes its leaf.
 */
import { canonicalJson } from './canonical-json.js';

/** An audit record as stored (audit_log). */
export interface StoredAuditRecord {
  seq: number;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  details: unknown;
  before_digest: string | null;
  after_digest: string | null;
}

/** The leaf data of an audit record. */
export function auditLeafData(r: StoredAuditRecord): string {
  return canonicalJson({
    kind: 'audit',
    seq: Number(r.seq),
    at: r.at,
    actor: r.actor,
    action: r.action,
    target: r.target,
    details: r.details ?? {},
    beforeDigest: r.before_digest,
    afterDigest: r.after_digest,
  });
}

/** An archive record's summary as stored (archive_records, without the record itself). */
export interface ArchiveLeafFields {
  incidentId: string;
  site: string;
  archivedAt: Date | string;
  resolvedAt: Date | string;
  retainUntil: Date | string;
  /** SHA-256 (hex) of the record's canonical JSON. */
  digest: string;
}

const isoOf = (d: Date | string): string => (typeof d === 'string' ? new Date(d).toISOString() : d.toISOString());

/** The leaf data of an archive record. */
export function archiveLeafData(r: ArchiveLeafFields): string {
  return canonicalJson({
    kind: 'archive',
    incidentId: r.incidentId,
    site: r.site,
    archivedAt: isoOf(r.archivedAt),
    resolvedAt: isoOf(r.resolvedAt),
    retainUntil: isoOf(r.retainUntil),
    digest: r.digest,
  });
}
