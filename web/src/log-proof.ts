/**
 * Checks an archived record's inclusion proof in the browser, independently of the server: the
 * leaf hash from the leaf data (RFC 6962: SHA-256 of 0x00 || data), the audit path up to the
 * checkpoint's root (RFC 9162 section 2.1.3.2), and, where the browser has Ed25519 in WebCrypto,
 * the checkpoint's signature with the log's public key.
 */

export interface InclusionProof {
  digest: string;
  leafIndex: number;
  leafData: string;
  leafHash: string;
  treeSize: number;
  path: string[];
  checkpoint: { treeSize: number; rootHash: string; at: string; text?: string; signature?: string; keyId?: string };
  publicKey?: { keyId: string; pem: string };
}

export interface ProofCheck {
  ok: boolean;
  /** What was checked, or the first thing that did not match. */
  text: string;
  signature: 'valid' | 'invalid' | 'unchecked';
}

const hex = (b: ArrayBuffer): string => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
const unhex = (s: string): Uint8Array => new Uint8Array((s.match(/../g) ?? []).map((h) => parseInt(h, 16)));

async function sha256(...parts: Uint8Array[]): Promise<Uint8Array> {
  const all = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    all.set(p, o);
    o += p.length;
  }
  return new Uint8Array(await crypto.subtle.digest('SHA-256', all));
}

/** RFC 9162 2.1.3.2: the root the path leads to from leaf `index` of a tree of `size` (null: malformed). */
export async function rootFromPath(index: number, size: number, leaf: Uint8Array, path: readonly Uint8Array[]): Promise<Uint8Array | null> {
  if (index >= size) return null;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  const one = new Uint8Array([1]);
  for (const p of path) {
    if (sn === 0) return null;
    if (fn % 2 === 1 || fn === sn) {
      r = await sha256(one, p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = await sha256(one, r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 ? r : null;
}

async function checkSignature(p: InclusionProof): Promise<ProofCheck['signature']> {
  const cp = p.checkpoint;
  if (!p.publicKey || !cp.signature || !cp.text) return 'unchecked';
  try {
    const der = Uint8Array.from(atob(p.publicKey.pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '')), (c) => c.charCodeAt(0));
    const key = await crypto.subtle.importKey('spki', der, { name: 'Ed25519' }, false, ['verify']);
    const sig = Uint8Array.from(atob(cp.signature), (c) => c.charCodeAt(0));
    return (await crypto.subtle.verify({ name: 'Ed25519' }, key, sig, new TextEncoder().encode(cp.text))) ? 'valid' : 'invalid';
  } catch {
    return 'unchecked'; // this browser has no Ed25519 in WebCrypto
  }
}

/** Checks the proof; `ok` only when the leaf, the path and (where it can be checked) the signature hold. */
export async function checkInclusion(p: InclusionProof): Promise<ProofCheck> {
  let data: { digest?: string } = {};
  try {
    data = JSON.parse(p.leafData) as { digest?: string };
  } catch {
    return { ok: false, text: 'the leaf data is not JSON', signature: 'unchecked' };
  }
  if (data.digest !== p.digest) return { ok: false, text: "the leaf does not carry the record's digest", signature: 'unchecked' };
  const leaf = await sha256(new Uint8Array([0]), new TextEncoder().encode(p.leafData));
  if (hex(leaf.buffer as ArrayBuffer) !== p.leafHash) return { ok: false, text: 'the leaf hash does not match the leaf data', signature: 'unchecked' };
  if (p.treeSize !== p.checkpoint.treeSize) return { ok: false, text: "the proof is not for the checkpoint's tree size", signature: 'unchecked' };
  const root = await rootFromPath(p.leafIndex, p.treeSize, leaf, p.path.map(unhex));
  if (!root || hex(root.buffer as ArrayBuffer) !== p.checkpoint.rootHash) return { ok: false, text: "the audit path does not lead to the checkpoint's root", signature: 'unchecked' };
  const signature = await checkSignature(p);
  if (signature === 'invalid') return { ok: false, text: "the checkpoint's signature does not verify with the log's key", signature };
  return { ok: true, text: `leaf ${p.leafIndex} of ${p.treeSize}: path checked against the root${signature === 'valid' ? ', signature checked' : ' (signature not checked: no Ed25519 in this browser)'}`, signature };
}
