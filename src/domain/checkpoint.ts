/**
 * Signed checkpoints of the transparency log: the tree size, the root hash and the time, as a
 * short text signed with Ed25519 (RFC 8032, node:crypto). The text is what is signed, byte for
 * byte:
 *
 *   vigil-transparency-log\n
 *   <tree size, decimal>\n
 *   <root hash, 64 lowercase hex digits>\n
 *   <time, ISO 8601 UTC with milliseconds>\n
 *
 * A key is named by its key id: the SHA-256 (hex) of its 32-byte raw public key.
 */
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';

/** The first line of every checkpoint: which log this is. */
export const CHECKPOINT_ORIGIN = 'vigil-transparency-log';

/** A checkpoint before it is signed. */
export interface CheckpointBody {
  treeSize: number;
  /** Root hash, hex. */
  rootHash: string;
  at: Date;
}

/** A signed checkpoint. */
export interface SignedCheckpoint extends CheckpointBody {
  keyId: string;
  /** Ed25519 signature over `checkpointText`, base64. */
  signature: string;
}

/** Signs checkpoint texts (the service's log key). */
export interface CheckpointSigner {
  keyId: string;
  publicKey: KeyObject;
  sign(text: string): string;
}

/** The signed text of a checkpoint. */
export function checkpointText(c: CheckpointBody): string {
  return `${CHECKPOINT_ORIGIN}\n${c.treeSize}\n${c.rootHash}\n${c.at.toISOString()}\n`;
}

/** Parses a checkpoint text; undefined when it is not one. */
export function parseCheckpointText(text: string): CheckpointBody | undefined {
  const m = /^vigil-transparency-log\n(0|[1-9]\d{0,15})\n([0-9a-f]{64})\n(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\n$/.exec(text);
  if (!m) return undefined;
  const at = new Date(m[3]);
  if (Number.isNaN(at.getTime()) || at.toISOString() !== m[3]) return undefined;
  return { treeSize: Number(m[1]), rootHash: m[2], at };
}

/** The raw 32 bytes of an Ed25519 public key. */
export function rawPublicKey(key: KeyObject): Buffer {
  const jwk = key.export({ format: 'jwk' }) as { x?: string; crv?: string };
  if (jwk.crv !== 'Ed25519' || !jwk.x) throw new TypeError('expected an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url');
}

/** The key id of a public key: SHA-256 (hex) of its raw bytes. */
export function keyIdOf(key: KeyObject): string {
  return createHash('sha256').update(rawPublicKey(key)).digest('hex');
}

/** A signer over an Ed25519 private key. */
export function checkpointSigner(privateKey: KeyObject): CheckpointSigner {
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new TypeError('the transparency log key must be an Ed25519 key');
  const publicKey = createPublicKey(privateKey);
  return { keyId: keyIdOf(publicKey), publicKey, sign: (text) => sign(null, Buffer.from(text, 'utf8'), privateKey).toString('base64') };
}

/** Signs a checkpoint. */
export function signCheckpoint(signer: CheckpointSigner, body: CheckpointBody): SignedCheckpoint {
  return { ...body, keyId: signer.keyId, signature: signer.sign(checkpointText(body)) };
}

/** Whether a checkpoint's signature is valid under `publicKey` (and names that key). */
export function verifyCheckpointSignature(c: SignedCheckpoint, publicKey: KeyObject): boolean {
  if (c.keyId !== keyIdOf(publicKey)) return false;
  try {
    return verify(null, Buffer.from(checkpointText(c), 'utf8'), publicKey, Buffer.from(c.signature, 'base64'));
  } catch {
    return false;
  }
}

/** A public key from PEM (SPKI) text; undefined when it is not an Ed25519 public key. */
export function publicKeyFromPem(pem: string): KeyObject | undefined {
  try {
    const k = createPublicKey(pem);
    return k.asymmetricKeyType === 'ed25519' ? k : undefined;
  } catch {
    return undefined;
  }
}
