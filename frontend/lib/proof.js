// "Periksa entri saya": checks an inclusion proof the way docs/ANCHORING.md specifies
// (RFC 9162 with keccak256). Pure functions: the hash is passed in as keccak(bytes) ->
// '0x' + 64 lowercase hex (ethers.keccak256), so this file loads without ethers.

// Anchored(uint64 indexed index, uint64 treeSize, bytes32 root)
export const ANCHORED_TOPIC = '0xb1c419124cb1add6c4d8f6805fcca730b17c21a51f24f6fdcb437d6866b3d9c6';

const HASH_HEX = /^0x[0-9a-f]{64}$/;

export function hexToBytes(hex) {
  const s = String(hex).replace(/^0x/, '');
  if (s.length % 2 || /[^0-9a-fA-F]/.test(s)) throw new Error('bad hex');
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i += 1) out[i] = parseInt(s.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

const lower = (hex) => String(hex).toLowerCase();

// leaf = HASH(0x00 || UTF-8(payload)): the payload string exactly as the server sent it,
// never re-serialised.
export function leafHash(payload, keccak) {
  return lower(keccak(concat(Uint8Array.of(0), new TextEncoder().encode(payload))));
}

function node(left, right, keccak) {
  return lower(keccak(concat(Uint8Array.of(1), hexToBytes(left), hexToBytes(right))));
}

// RFC 9162 section 2.1.3.2 (docs/ANCHORING.md section 5): the root the path leads to, or
// null when the path does not fit the index and size.
export function rootFromPath(leafIndex, treeSize, leaf, path, keccak) {
  if (!Number.isSafeInteger(leafIndex) || !Number.isSafeInteger(treeSize)) return null;
  if (leafIndex < 0 || leafIndex >= treeSize) return null;
  if (!HASH_HEX.test(lower(leaf)) || !path.every((p) => HASH_HEX.test(lower(p)))) return null;
  // BigInt: shifts on plain numbers would cut sizes above 2^31.
  let fn = BigInt(leafIndex);
  let sn = BigInt(treeSize) - 1n;
  let r = lower(leaf);
  for (const p of path) {
    if (sn === 0n) return null;
    if (fn % 2n === 1n || fn === sn) {
      r = node(p, r, keccak);
      if (fn % 2n === 0n) {
        while (fn % 2n === 0n && fn !== 0n) { fn >>= 1n; sn >>= 1n; }
      }
    } else {
      r = node(r, p, keccak);
    }
    fn >>= 1n; sn >>= 1n;
  }
  return sn === 0n ? r : null;
}

// The proof's own consistency: the leaf recomputed from the payload, the payload's seq, and
// the path up to the proof's root. Returns {ok: true, leaf, root} or {ok: false, reason}.
export function checkProof(proof, keccak) {
  const leaf = leafHash(proof.payload, keccak);
  if (leaf !== lower(proof.leaf_hash)) return { ok: false, reason: 'leaf' };
  let own;
  try { own = JSON.parse(proof.payload); } catch { return { ok: false, reason: 'payload' }; }
  if (own.seq !== proof.seq || proof.leaf_index !== proof.seq - 1) {
    return { ok: false, reason: 'payload' };
  }
  const root = rootFromPath(proof.leaf_index, proof.tree_size, leaf, proof.path, keccak);
  if (root === null || root !== lower(proof.root)) return { ok: false, reason: 'path' };
  return { ok: true, leaf, root };
}

// An `Anchored` log as eth_getLogs returns it: {index, treeSize, root, block, tx}.
export function decodeAnchored(log) {
  const data = String(log.data).replace(/^0x/, '');
  return {
    index: Number(BigInt(log.topics[1])),
    treeSize: Number(BigInt('0x' + data.slice(0, 64))),
    root: '0x' + data.slice(64, 128).toLowerCase(),
    block: Number(BigInt(log.blockNumber)),
    tx: lower(log.transactionHash),
  };
}

// The on-chain anchor that commits to the proof: same tree size and same root, both read
// from the chain. Returns the decoded anchor or null.
export function matchingAnchor(logs, treeSize, root) {
  for (const log of logs) {
    const a = decodeAnchored(log);
    if (a.treeSize === treeSize && a.root === lower(root)) return a;
  }
  return null;
}
