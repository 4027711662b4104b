/**
 * `vigil verify`: checks the whole transparency log of the store (archive/verify.ts): every audit
 * and archive record against its leaf, the tree against every signed checkpoint and every
 * signature against this installation's key. Prints a summary; exit 1 naming the first record
 * that does not match.
 *
 * `vigil verify --bundle FILE [--key-id HEX]`: checks an exported bundle offline (archive/bundle.ts)
 * with no store and no configuration; `--key-id` pins the key the checkpoint must be signed with
 * (the log's published key id), since a bundle carries its own public key.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { verifyBundle } from '../archive/bundle.js';
import { keyPath, loadSigner } from '../archive/keys.js';
import { verifyStore } from '../archive/verify.js';
import { VigilError } from '../domain/errors.js';
import { archiveStore } from './archive.js';
import { resolveConfig, resolveStore, UsageError } from './common.js';

export interface VerifyOptions {
  bundle?: string;
  keyId?: string;
  config?: string;
}

/** `vigil verify [--bundle FILE]`. */
export async function verifyCommand(opts: VerifyOptions): Promise<void> {
  if (opts.keyId !== undefined && !/^[0-9a-f]{64}$/.test(opts.keyId)) throw new UsageError(`verify: --key-id expects 64 lowercase hex digits (the log's key id); got "${opts.keyId}"`);
  if (opts.bundle !== undefined) return verifyBundleFile(opts.bundle, opts.keyId);
  if (opts.keyId !== undefined) throw new UsageError('verify: --key-id goes with --bundle');
  const { config } = resolveConfig(opts.config);
  const store = resolveStore();
  const src = { ...(config.archive?.signingKey ? { keyFile: config.archive.signingKey } : {}), dataDir: store.dataDir };
  const check = await archiveStore('verify', async (db) => {
    const signer = (() => {
      try {
        return loadSigner(src, { create: false });
      } catch (e) {
        throw new VigilError('verify_failed', `cannot read the transparency log's key (${keyPath(src) ?? 'none'}): ${(e as Error).message}`);
      }
    })();
    // One consistent snapshot, even while servers append on PostgreSQL.
    return db.transaction(async (tx) => {
      if (db.kind === 'postgres') await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
      return verifyStore(tx, signer.publicKey, (n) => {
        if (n % 50_000 === 0) process.stderr.write(`verified ${n} leaves ...\n`);
      });
    });
  });
  const what = `${check.leaves} leaves (${check.auditRecords} audit records, ${check.archiveRecords} archive records) and ${check.checkpoints} signed checkpoints`;
  if (!check.ok) throw new VigilError('verify_failed', `verify FAILED after ${what}: ${check.failure}`);
  process.stdout.write(
    `OK: verified ${what}; tree size ${check.leaves}, root ${check.rootHash}.` +
      (check.unsigned > 0 ? ` ${check.unsigned} leaf(s) after the latest checkpoint are not signed yet.` : '') +
      (check.legacyUnlogged > 0 ? ` ${check.legacyUnlogged} audit record(s) from before the log are not in it yet (the service adds them at start).` : '') +
      '\n',
  );
}

function verifyBundleFile(file: string, keyId: string | undefined): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(resolve(file), 'utf8'));
  } catch (e) {
    throw new VigilError('verify_failed', `bundle ${file}: cannot read it as JSON: ${(e as Error).message}`);
  }
  const r = verifyBundle(parsed, keyId ? { expectKeyId: keyId } : {});
  for (const c of r.checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}${c.detail ? `: ${c.detail}` : ''}\n`);
  if (!r.ok) throw new VigilError('verify_failed', `bundle ${file} does not verify: ${r.failure}`);
  process.stdout.write(`OK: the archive record of ${r.incidentId} is in the transparency log of tree size ${r.treeSize}, signed by key ${r.keyId}.\n`);
}
