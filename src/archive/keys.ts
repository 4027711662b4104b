/**
 * The transparency log's Ed25519 key. Where it comes from, first match wins:
 *
 * 1. `archive.signingKey` in the configuration, or VIGIL_ARCHIVE_SIGNING_KEY: a PEM file
 *    (PKCS#8 private key). Every process that appends to one PostgreSQL store should use the same.
 * 2. `transparency-log.key` in the data directory (VIGIL_DATA_DIR; for PostgreSQL too): created
 *    on first start, mode 0600.
 * 3. An in-memory store (`memory://`, tests) gets a key of its own for the life of the process.
 */
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { checkpointSigner, type CheckpointSigner } from '../domain/checkpoint.js';
import { InvalidError } from '../domain/errors.js';
import { ensurePrivateDir } from '../store/lock.js';

/** The key file's name in the data directory. */
export const KEY_FILE = 'transparency-log.key';

export interface KeySource {
  /** A PEM file named by the configuration or the environment. */
  keyFile?: string;
  /** The data directory (embedded store, or the one resolveStore names for PostgreSQL). */
  dataDir?: string;
}

/** Where the key is for these options (a file path), or undefined for an in-memory key. */
export function keyPath(src: KeySource): string | undefined {
  const file = src.keyFile ?? process.env.VIGIL_ARCHIVE_SIGNING_KEY;
  if (file) return resolve(file);
  if (!src.dataDir || src.dataDir.startsWith('memory://')) return undefined;
  return join(resolve(src.dataDir), KEY_FILE);
}

function readKey(path: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new InvalidError([{ path: 'archive.signingKey', message: `cannot read an Ed25519 private key (PEM, PKCS#8) from ${path}: ${(e as Error).message}` }]);
  }
  if (key.asymmetricKeyType !== 'ed25519') throw new InvalidError([{ path: 'archive.signingKey', message: `${path} holds a ${key.asymmetricKeyType} key; expected Ed25519` }]);
  return key;
}

/** The log's signer: the configured key, the data directory's (created if missing), or an in-memory one. */
export function loadSigner(src: KeySource, opts: { create?: boolean } = {}): CheckpointSigner {
  const path = keyPath(src);
  if (!path) return checkpointSigner(generateKeyPairSync('ed25519').privateKey);
  const configured = Boolean(src.keyFile ?? process.env.VIGIL_ARCHIVE_SIGNING_KEY);
  try {
    return checkpointSigner(readKey(path));
  } catch (e) {
    const missing = (() => {
      try {
        readFileSync(path);
        return false;
      } catch (err) {
        return (err as NodeJS.ErrnoException).code === 'ENOENT';
      }
    })();
    if (configured || !missing || opts.create === false) throw e;
  }
  ensurePrivateDir(src.dataDir!);
  const { privateKey } = generateKeyPairSync('ed25519');
  try {
    writeFileSync(path, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another process created it meanwhile: use that one.
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
  }
  return checkpointSigner(readKey(path));
}
