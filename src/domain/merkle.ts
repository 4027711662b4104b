/**
 * The Merkle tree of the transparency log, as RFC 6962 section 2.1 defines it (and RFC 9162
 * section 2.1 restates): SHA-256 with domain separation of leaves and nodes, so that a leaf can
 * never be passed off as a node or the other way round.
 *
 *   leaf hash   MTH({d})    = SHA-256(0x00 || d)
 *   node hash   MTH(D[n])   = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n])), k the largest power of
 *                             two smaller than n
 *   empty tree  MTH({})     = SHA-256()
 *
 * Inclusion proofs are PATH(m, D[n]) and consistency proofs PROOF(m, D[n]) of RFC 6962 2.1.1 and
 * 2.1.2; they are verified with the algorithms of RFC 9162 2.1.3.2 and 2.1.4.2, which need only
 * the proof, the sizes and the hashes (what an offline verifier has).
 *
 * Pure: hashes in, hashes out. Proof producers take the leaf hashes of the whole tree; the log
 * keeps a frontier (the roots of its perfect subtrees) so that a root after an append costs
 * O(log n) hashes.
 */
import { createHash } from 'node:crypto';

/** A 32-byte SHA-256 value. */
export type Hash = Buffer;

const LEAF_PREFIX = Buffer.from([0x00]);
const NODE_PREFIX = Buffer.from([0x01]);

/** SHA-256(0x00 || data): the hash of one leaf. */
export function leafHash(data: Uint8Array): Hash {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

/** SHA-256(0x01 || left || right): the hash of an inner node. */
export function nodeHash(left: Uint8Array, right: Uint8Array): Hash {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

/** The hash of the empty tree, SHA-256 of nothing. */
export function emptyRoot(): Hash {
  return createHash('sha256').digest();
}

/** The largest power of two smaller than n (n >= 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over leaf hashes [lo, hi) of `leaves`. */
function subtreeRoot(leaves: readonly Hash[], lo: number, hi: number): Hash {
  const n = hi - lo;
  if (n === 0) return emptyRoot();
  if (n === 1) return leaves[lo];
  const k = splitPoint(n);
  return nodeHash(subtreeRoot(leaves, lo, lo + k), subtreeRoot(leaves, lo + k, hi));
}

/** The root (MTH) of a tree given its leaf hashes, in order. */
export function treeRoot(leaves: readonly Hash[]): Hash {
  return subtreeRoot(leaves, 0, leaves.length);
}

/**
 * PATH(m, D[n]): the audit path of leaf `index` in the tree of the first `size` leaf hashes, from
 * the leaf's sibling up to the root's child.
 */
export function inclusionProof(index: number, leaves: readonly Hash[], size = leaves.length): Hash[] {
  if (!Number.isSafeInteger(index) || index < 0 || index >= size) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  if (size > leaves.length) throw new RangeError(`a tree of ${size} needs ${size} leaves, got ${leaves.length}`);
  const path: Hash[] = [];
  const walk = (m: number, lo: number, hi: number): void => {
    const n = hi - lo;
    if (n <= 1) return;
    const k = splitPoint(n);
    if (m < k) {
      walk(m, lo, lo + k);
      path.push(subtreeRoot(leaves, lo + k, hi));
    } else {
      walk(m - k, lo + k, hi);
      path.push(subtreeRoot(leaves, lo, lo + k));
    }
  };
  walk(index, 0, size);
  return path;
}

/**
 * PROOF(m, D[n]): the consistency proof between the tree of the first `m` leaves and the tree of
 * the first `n` (0 < m <= n; empty when m == n).
 */
export function consistencyProof(m: number, leaves: readonly Hash[], n = leaves.length): Hash[] {
  if (!Number.isSafeInteger(m) || m < 1 || m > n) throw new RangeError(`no consistency proof from ${m} to ${n}`);
  if (n > leaves.length) throw new RangeError(`a tree of ${n} needs ${n} leaves, got ${leaves.length}`);
  const proof: Hash[] = [];
  // SUBPROOF(m, D[lo:hi], b)
  const sub = (m2: number, lo: number, hi: number, b: boolean): void => {
    const n2 = hi - lo;
    if (m2 === n2) {
      if (!b) proof.push(subtreeRoot(leaves, lo, hi));
      return;
    }
    const k = splitPoint(n2);
    if (m2 <= k) {
      sub(m2, lo, lo + k, b);
      proof.push(subtreeRoot(leaves, lo + k, hi));
    } else {
      sub(m2 - k, lo + k, hi, false);
      proof.push(subtreeRoot(leaves, lo, lo + k));
    }
  };
  sub(m, 0, n, true);
  return proof;
}

/**
 * RFC 9162 2.1.3.2: whether `path` proves that the leaf of hash `leaf` sits at `index` in the tree
 * of `size` leaves whose root is `root`.
 */
export function verifyInclusion(index: number, size: number, leaf: Uint8Array, path: readonly Uint8Array[], root: Uint8Array): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r: Buffer = Buffer.from(leaf);
  for (const p of path) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return sn === 0n && r.equals(Buffer.from(root));
}

/**
 * RFC 9162 2.1.4.2: whether `proof` shows that the tree of `first` leaves with root `firstRoot`
 * is a prefix of the tree of `second` leaves with root `secondRoot`. Equal sizes need an empty
 * proof and equal roots; an empty first tree is a prefix of every tree.
 */
export function verifyConsistency(first: number, second: number, firstRoot: Uint8Array, secondRoot: Uint8Array, proof: readonly Uint8Array[]): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) return false;
  if (first === second) return proof.length === 0 && Buffer.from(firstRoot).equals(Buffer.from(secondRoot));
  if (first === 0) return proof.length === 0;
  if (proof.length === 0) return false;
  const path: Uint8Array[] = [...proof];
  // If first is an exact power of two, its root is the first node of the path.
  if (Number.isInteger(Math.log2(first))) path.unshift(firstRoot);
  let fn = BigInt(first - 1);
  let sn = BigInt(second - 1);
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr: Buffer = Buffer.from(path[0]);
  let sr: Buffer = Buffer.from(path[0]);
  for (const c of path.slice(1)) {
    if (sn === 0n) return false;
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  return fr.equals(Buffer.from(firstRoot)) && sr.equals(Buffer.from(secondRoot)) && sn === 0n;
}

/**
 * The frontier of a tree of `size` leaves: the roots of its perfect subtrees from the largest
 * (leftmost) to the smallest, one per set bit of `size`. Enough to append and to give the root.
 */
export type Frontier = Hash[];

/** The frontier after appending one leaf hash to a tree of `size` leaves with frontier `f`. */
export function appendToFrontier(f: readonly Hash[], size: number, leaf: Hash): Frontier {
  const out = [...f];
  let node = leaf;
  // Merge with the subtrees of equal size: one per trailing set bit of the old size.
  for (let s = size; s % 2 === 1; s = Math.floor(s / 2)) node = nodeHash(out.pop()!, node);
  out.push(node);
  return out;
}

/** The root of the tree a frontier describes. */
export function frontierRoot(f: readonly Hash[]): Hash {
  if (f.length === 0) return emptyRoot();
  let acc = f[f.length - 1];
  for (let i = f.length - 2; i >= 0; i--) acc = nodeHash(f[i], acc);
  return acc;
}
