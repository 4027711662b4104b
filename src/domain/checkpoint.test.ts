import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { checkpointSigner, checkpointText, keyIdOf, parseCheckpointText, publicKeyFromPem, rawPublicKey, signCheckpoint, verifyCheckpointSignature } from './checkpoint.js';

const body = { treeSize: 42, rootHash: 'ab'.repeat(32), at: new Date('2026-11-27T08:15:30.000Z') };

describe('checkpoints', () => {
  it('have a fixed text form that parses back', () => {
    const text = checkpointText(body);
    expect(text).toBe(`vigil-transparency-log\n42\n${'ab'.repeat(32)}\n2026-11-27T08:15:30.000Z\n`);
    expect(parseCheckpointText(text)).toEqual(body);
    for (const bad of [text.trimEnd(), text.replace('42', '042'), text.replace('ab', 'AB'), text.replace('vigil', 'other'), `${text}x`, text.replace('.000Z', 'Z')]) expect(parseCheckpointText(bad), bad).toBeUndefined();
  });

  it('are signed with Ed25519 and verify only unchanged, under their own key', () => {
    const signer = checkpointSigner(generateKeyPairSync('ed25519').privateKey);
    const c = signCheckpoint(signer, body);
    expect(c.keyId).toBe(keyIdOf(signer.publicKey));
    expect(c.keyId).toMatch(/^[0-9a-f]{64}$/);
    expect(rawPublicKey(signer.publicKey)).toHaveLength(32);
    expect(verifyCheckpointSignature(c, signer.publicKey)).toBe(true);
    expect(verifyCheckpointSignature({ ...c, treeSize: 43 }, signer.publicKey)).toBe(false);
    expect(verifyCheckpointSignature({ ...c, rootHash: 'cd'.repeat(32) }, signer.publicKey)).toBe(false);
    expect(verifyCheckpointSignature({ ...c, at: new Date(body.at.getTime() + 1) }, signer.publicKey)).toBe(false);
    expect(verifyCheckpointSignature({ ...c, signature: 'not base64 at all' }, signer.publicKey)).toBe(false);
    const other = checkpointSigner(generateKeyPairSync('ed25519').privateKey);
    expect(verifyCheckpointSignature(c, other.publicKey)).toBe(false);
    expect(verifyCheckpointSignature({ ...c, keyId: other.keyId }, other.publicKey)).toBe(false);
    const pem = signer.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    expect(keyIdOf(publicKeyFromPem(pem)!)).toBe(c.keyId);
    expect(publicKeyFromPem('nonsense')).toBeUndefined();
    expect(publicKeyFromPem(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'pem', type: 'spki' }).toString())).toBeUndefined();
    expect(() => checkpointSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)).toThrow(TypeError);
  });
});
