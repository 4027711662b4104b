import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  appendToFrontier,
  consistencyProof,
  emptyRoot,
  frontierRoot,
  inclusionProof,
  leafHash,
  nodeHash,
  splitPoint,
  treeRoot,
  verifyConsistency,
  verifyInclusion,
  type Hash,
} from './merkle.js';

const sha = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const leavesOf = (n: number): Hash[] => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
/** MTH written straight from RFC 6962 2.1 over the leaf data (an independent reference). */
const mth = (data: Buffer[]): Buffer => {
  if (data.length === 0) return sha();
  if (data.length === 1) return sha(Buffer.from([0]), data[0]);
  let k = 1;
  while (k * 2 < data.length) k *= 2;
  return sha(Buffer.from([1]), mth(data.slice(0, k)), mth(data.slice(k)));
};
const flip = (h: Uint8Array): Buffer => {
  const b = Buffer.from(h);
  b[0] ^= 1;
  return b;
};

describe('RFC 6962 hashing', () => {
  it('separates leaves from nodes', () => {
    expect(leafHash(Buffer.from('')).toString('hex')).toBe(sha(Buffer.from([0])).toString('hex'));
    expect(leafHash(Buffer.from('')).toString('hex')).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    const a = leafHash(Buffer.from('a'));
    const b = leafHash(Buffer.from('b'));
    expect(nodeHash(a, b).equals(sha(Buffer.from([1]), a, b))).toBe(true);
    // A node's bytes as leaf data do not give the node's hash.
    expect(leafHash(Buffer.concat([a, b])).equals(nodeHash(a, b))).toBe(false);
    expect(emptyRoot().toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('matches the known root of the reference tree of eight leaves', () => {
    const inputs = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map((h) => Buffer.from(h, 'hex'));
    expect(treeRoot(inputs.map(leafHash)).toString('hex')).toBe('5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328');
  });

  it('splits at the largest power of two smaller than n', () => {
    expect([2, 3, 4, 5, 8, 9, 64, 65].map(splitPoint)).toEqual([1, 2, 2, 4, 4, 8, 32, 64]);
  });

  it('computes MTH as the RFC defines it, and the frontier gives the same root, for every size 0..64', () => {
    let frontier: Hash[] = [];
    for (let n = 0; n <= 64; n++) {
      const data = Array.from({ length: n }, (_, i) => Buffer.from(`leaf ${i}`));
      expect(treeRoot(data.map(leafHash)).equals(mth(data)), `size ${n}`).toBe(true);
      expect(frontierRoot(frontier).equals(mth(data)), `frontier of ${n}`).toBe(true);
      expect(frontier.length).toBe(n.toString(2).replace(/0/g, '').length);
      frontier = appendToFrontier(frontier, n, leafHash(Buffer.from(`leaf ${n}`)));
    }
  });
});

describe('the RFC 6962 2.1.3 example tree of seven leaves', () => {
  // The figure's names: leaves d0..d6 with leaf hashes a..f and j (d6); g=(a,b) h=(c,d) i=(e,f)
  // k=(g,h) l=(i,j) and the root (k,l).
  const L = leavesOf(7);
  const [a, b, c, d, , f, j] = L;
  const g = nodeHash(a, b);
  const h = nodeHash(c, d);
  const i = nodeHash(L[4], f);
  const k = nodeHash(g, h);
  const l = nodeHash(i, j);
  const hex = (xs: Hash[]) => xs.map((x) => x.toString('hex'));

  it('has the root and the audit paths the RFC lists', () => {
    expect(treeRoot(L).equals(nodeHash(k, l))).toBe(true);
    expect(hex(inclusionProof(0, L))).toEqual(hex([b, h, l]));
    expect(hex(inclusionProof(3, L))).toEqual(hex([c, g, l]));
    expect(hex(inclusionProof(4, L))).toEqual(hex([f, j, k]));
    expect(hex(inclusionProof(6, L))).toEqual(hex([i, k]));
  });

  it('has the consistency proofs the RFC lists', () => {
    expect(hex(consistencyProof(3, L))).toEqual(hex([c, d, g, l]));
    expect(hex(consistencyProof(4, L))).toEqual(hex([l]));
    expect(hex(consistencyProof(6, L))).toEqual(hex([i, j, k]));
    expect(consistencyProof(7, L)).toEqual([]);
  });
});

describe('proofs on every tree of 1..64 leaves', () => {
  const all = leavesOf(64);

  it('every leaf has an inclusion proof that verifies, and fails when anything is changed', () => {
    for (let n = 1; n <= 64; n++) {
      const leaves = all.slice(0, n);
      const root = treeRoot(leaves);
      for (let m = 0; m < n; m++) {
        const path = inclusionProof(m, leaves);
        expect(verifyInclusion(m, n, leaves[m], path, root), `leaf ${m} of ${n}`).toBe(true);
        // A rewritten leaf, another leaf's position, a wrong size, a wrong root, a changed node, a short path.
        expect(verifyInclusion(m, n, flip(leaves[m]), path, root)).toBe(false);
        if (n > 1) expect(verifyInclusion((m + 1) % n, n, leaves[m], path, root)).toBe(false);
        expect(verifyInclusion(m, n + 1, leaves[m], path, root) && treeRoot(all.slice(0, n + 1)).equals(root)).toBe(false);
        expect(verifyInclusion(m, n, leaves[m], path, flip(root))).toBe(false);
        for (let p = 0; p < path.length; p++) expect(verifyInclusion(m, n, leaves[m], path.map((x, q) => (q === p ? flip(x) : x)), root)).toBe(false);
        if (path.length > 0) expect(verifyInclusion(m, n, leaves[m], path.slice(0, -1), root)).toBe(false);
        expect(verifyInclusion(m, n, leaves[m], [...path, all[0]], root)).toBe(false);
      }
      expect(verifyInclusion(n, n, all[0], [], root)).toBe(false);
      expect(verifyInclusion(-1, n, all[0], [], root)).toBe(false);
    }
  });

  it('every pair m <= n has a consistency proof that verifies, and fails after a rewritten leaf', () => {
    for (let n = 1; n <= 64; n++) {
      const leaves = all.slice(0, n);
      const newRoot = treeRoot(leaves);
      for (let m = 1; m <= n; m++) {
        const oldRoot = treeRoot(leaves.slice(0, m));
        const proof = consistencyProof(m, leaves);
        expect(verifyConsistency(m, n, oldRoot, newRoot, proof), `${m} -> ${n}`).toBe(true);
        // History rewritten: leaf r of the old tree replaced in the new tree.
        for (const r of new Set([0, m - 1, Math.floor(m / 2)])) {
          const rewritten = leaves.map((x, q) => (q === r ? flip(x) : x));
          const forged = consistencyProof(m, rewritten);
          expect(verifyConsistency(m, n, oldRoot, treeRoot(rewritten), forged), `${m} -> ${n}, leaf ${r} rewritten`).toBe(false);
        }
        expect(verifyConsistency(m, n, flip(oldRoot), newRoot, proof)).toBe(false);
        if (m < n) {
          expect(verifyConsistency(m, n, oldRoot, flip(newRoot), proof)).toBe(false);
          for (let p = 0; p < proof.length; p++) expect(verifyConsistency(m, n, oldRoot, newRoot, proof.map((x, q) => (q === p ? flip(x) : x)))).toBe(false);
          expect(verifyConsistency(m, n, oldRoot, newRoot, proof.slice(0, -1))).toBe(false);
          expect(verifyConsistency(m, n, oldRoot, newRoot, [...proof, all[0]])).toBe(false);
          expect(verifyConsistency(m, n, oldRoot, newRoot, [])).toBe(false);
        }
      }
      expect(verifyConsistency(0, n, emptyRoot(), newRoot, [])).toBe(true);
      expect(verifyConsistency(n + 1, n, newRoot, newRoot, [])).toBe(false);
    }
  });

  it('a proof for one pair of sizes does not verify for another', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), fc.integer({ min: 1, max: 64 }), (a, b, c) => {
        const [m, n] = a <= b ? [a, b] : [b, a];
        if (m === n || c === n) return;
        const proof = consistencyProof(m, all.slice(0, n));
        const other = treeRoot(all.slice(0, c));
        expect(verifyConsistency(m, c, treeRoot(all.slice(0, m)), other, proof) && c !== n).toBe(false);
      }),
    );
  });
});
