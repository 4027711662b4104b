/**
 * `vigil archive [--dry-run] [--min-age DURATION]`: archives the resolved incidents that are due
 * (resolved at least the policy delay ago, or --min-age; `--min-age 0` archives every resolved
 * incident now), each in its own transaction with its leaf and signed checkpoint; prints progress
 * on stderr and a summary line.
 *
 * `vigil archive export ID [--out FILE]`: writes the incident's bundle (archive/bundle.ts): the
 * record, its inclusion proof, the latest signed checkpoint and the public key.
 *
 * Both work on the store directly (DATABASE_URL or VIGIL_DATA_DIR; the embedded store is refused
 * while a server holds it, naming it). `export` can also go through a running server with --url.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { BUNDLE_FORMAT, exportBundle, type ArchiveBundle } from '../archive/bundle.js';
import { keyPath, loadSigner } from '../archive/keys.js';
import { archiveIncident } from '../archive/record.js';
import { DURATION_HINT, parseDuration } from '../domain/duration.js';
import { ConflictError, InvalidError, VigilError, type Problem } from '../domain/errors.js';
import { resolvedIncidentsDue } from '../store/archive.js';
import { latestCheckpoint } from '../store/transparency-log.js';
import type { Db } from '../store/db.js';
import { resolveConfig, resolveStore, UsageError, withStore } from './common.js';

/** What to do while a server holds the embedded store, per archive command. */
const instead = (command: string) => (url: string): string =>
  `stop it first${command === 'archive export' ? `, or go through it with --url ${url} and a token` : command === 'verify' ? ' (its GET /api/v1/checkpoints and /api/v1/archive/{id}/proof serve the proofs meanwhile)' : ' (its daily archive sweep archives what is due)'}`;

/** The store for an archive command (`withStore` with the archive's advice while a server holds it). */
export const archiveStore = <T>(command: string, work: (db: Db) => Promise<T>): Promise<T> => withStore(command, work, instead(command));

export interface ArchiveOptions {
  dryRun?: boolean;
  minAge?: string;
  config?: string;
}

/** A --min-age value in milliseconds: a duration, or 0. */
export function parseMinAge(text: string): number | undefined {
  if (/^\s*0+\s*[smhdwy]?\s*$/i.test(text)) return 0;
  return parseDuration(text);
}

/** `vigil archive`. */
export async function archiveCommand(opts: ArchiveOptions): Promise<void> {
  const minAgeMs = opts.minAge === undefined ? undefined : parseMinAge(opts.minAge);
  if (opts.minAge !== undefined && minAgeMs === undefined) throw new UsageError(`archive: --min-age expects 0 or ${DURATION_HINT}; got "${opts.minAge}"`);
  const { config } = resolveConfig(opts.config);
  const rules = config.policy.retention;
  const age = minAgeMs ?? rules.archiveAfterHours * 3_600_000;
  const store = resolveStore();
  await archiveStore('archive', async (db) => {
    const signer = loadSigner({ ...(config.archive?.signingKey ? { keyFile: config.archive.signingKey } : {}), dataDir: store.dataDir });
    // Checkpoints signed by two keys would not verify under either: refuse rather than fork the log.
    const latest = await latestCheckpoint(db);
    if (latest && latest.keyId !== signer.keyId)
      throw new ConflictError(
        `this store's transparency log is signed with key ${latest.keyId}, but this machine's key is ${signer.keyId} (${keyPath({ ...(config.archive?.signingKey ? { keyFile: config.archive.signingKey } : {}), dataDir: store.dataDir }) ?? 'in memory'}); ` +
          'use the same key file as the servers (archive.signingKey or VIGIL_ARCHIVE_SIGNING_KEY)',
      );
    const now = new Date();
    const cutoff = new Date(now.getTime() - age);
    const ageText = minAgeMs === undefined ? `the policy delay of ${rules.archiveAfterHours} hours` : `--min-age ${opts.minAge}`;
    if (opts.dryRun) {
      const due = await resolvedIncidentsDue(db, cutoff, 1_000_000);
      for (const d of due) process.stdout.write(`would archive ${d.id} (${d.site}, resolved ${d.resolved_at.toISOString()})\n`);
      process.stdout.write(`Dry run: ${due.length} resolved incident(s) due (resolved before ${cutoff.toISOString()}, ${ageText}); nothing was changed.\n`);
      return;
    }
    let archived = 0;
    let treeSize = 0;
    const failed: string[] = [];
    let first: number | undefined;
    let last: number | undefined;
    for (;;) {
      const due = await resolvedIncidentsDue(db, cutoff, 500);
      const before = archived;
      for (const d of due) {
        if (failed.includes(d.id)) continue;
        try {
          const out = await db.transaction((tx) => archiveIncident(tx, d.id, { now, rules, signer, minAgeMs: age }));
          if (out.status === 'archived') {
            archived++;
            treeSize = out.treeSize;
            first ??= out.leafIndex;
            last = out.leafIndex;
            if (archived % 100 === 0) process.stderr.write(`archived ${archived} ...\n`);
          }
        } catch (e) {
          failed.push(d.id);
          process.stderr.write(`vigil: archive: ${d.id} failed: ${(e as Error).message}\n`);
        }
      }
      if (archived === before) break;
    }
    process.stdout.write(
      archived === 0
        ? `Nothing to archive: no resolved incident was resolved before ${cutoff.toISOString()} (${ageText}).\n`
        : `Archived ${archived} incident(s) (leaves ${first}..${last}); the log has ${treeSize} leaves and a signed checkpoint of them (key ${signer.keyId.slice(0, 16)}).\n`,
    );
    if (failed.length > 0) throw new VigilError('archive_failed', `${failed.length} incident(s) could not be archived: ${failed.slice(0, 10).join(', ')}`);
  });
}

export interface ExportOptions {
  out?: string;
  config?: string;
  url?: string;
  token?: string;
}

/** `vigil archive export ID [--out FILE]`. */
export async function archiveExportCommand(id: string, opts: ExportOptions): Promise<void> {
  const url = opts.url || process.env.VIGIL_URL;
  let bundle: ArchiveBundle;
  if (url) {
    bundle = await bundleThroughServer(url, opts.token || process.env.VIGIL_TOKEN || process.env.VIGIL_ADMIN_TOKEN, id);
  } else {
    const { config } = resolveConfig(opts.config);
    const store = resolveStore();
    bundle = await archiveStore('archive export', async (db) => {
      const signer = loadSigner({ ...(config.archive?.signingKey ? { keyFile: config.archive.signingKey } : {}), dataDir: store.dataDir }, { create: false });
      return exportBundle(db, id, signer);
    });
  }
  const text = `${JSON.stringify(bundle, null, 2)}\n`;
  if (opts.out) {
    writeFileSync(resolve(opts.out), text);
    process.stderr.write(`Wrote the bundle of ${id} to ${resolve(opts.out)}: leaf ${bundle.leaf.index} of the signed tree of ${bundle.checkpoint.treeSize}, key ${bundle.publicKey.keyId}. Check it with \`vigil verify --bundle ${opts.out}\`.\n`);
  } else {
    process.stdout.write(text);
  }
}

/** Assembles a bundle from a running server's GET /archive/{id} and /archive/{id}/proof. */
async function bundleThroughServer(url: string, token: string | undefined, id: string): Promise<ArchiveBundle> {
  if (!/^https?:\/\//.test(url)) throw new UsageError(`--url expects an http(s) URL; got "${url}"`);
  if (!token) throw new VigilError('unauthorized', `going through ${url} needs an API token with people:read: --token, VIGIL_TOKEN or VIGIL_ADMIN_TOKEN`);
  const base = url.replace(/\/+$/, '');
  const get = async (path: string): Promise<Record<string, unknown>> => {
    let res: Response;
    try {
      res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(60_000) });
    } catch (e) {
      throw new VigilError('unavailable', `cannot reach ${base}: ${(e as Error).message}`);
    }
    const body = (await res.json().catch(() => ({}))) as { error?: { code?: string; message?: string; details?: Problem[] } } & Record<string, unknown>;
    if (res.ok) return body;
    if (res.status === 400 && body.error?.details?.length) throw new InvalidError(body.error.details, body.error.message ?? 'invalid request');
    throw new VigilError(body.error?.code ?? 'http_error', `${base} answered ${res.status}: ${body.error?.message ?? res.statusText}`);
  };
  const rec = await get(`/api/v1/archive/${encodeURIComponent(id)}`);
  const proof = await get(`/api/v1/archive/${encodeURIComponent(id)}/proof`);
  return {
    format: BUNDLE_FORMAT,
    incidentId: id,
    record: rec.record as Record<string, unknown>,
    digest: rec.digest as string,
    leaf: { index: proof.leafIndex as number, data: proof.leafData as string, hash: proof.leafHash as string },
    inclusionProof: { treeSize: proof.treeSize as number, path: proof.path as string[] },
    checkpoint: proof.checkpoint as ArchiveBundle['checkpoint'],
    publicKey: proof.publicKey as ArchiveBundle['publicKey'],
  };
}

