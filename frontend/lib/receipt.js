// A signed receipt (backend/ksp/receipts/service.py): the QR text
// KSP-RECEIPT:1:<seq>:<member>:<amount>:<LEAFHASH>:<SIG> and the EIP-712 message the server
// signed. Pure functions: ethers is passed in, so this file loads without it.

const QR = /^KSP-RECEIPT:1:([1-9][0-9]{0,18}):([1-9][0-9]{0,18}):(0|-?[1-9][0-9]{0,76}):([0-9A-F]{64}):([0-9A-F]{130})$/;
const UINT64_MAX = 2n ** 64n - 1n;

// The receipt's fields, or null when the text is not a receipt. The amount stays a string
// (BigInt when signed): rupiah are whole numbers, and an int256 may not fit a Number.
export function parseReceipt(text) {
  const m = QR.exec(String(text || '').trim().toUpperCase());
  if (!m) return null;
  const seq = BigInt(m[1]);
  const member = BigInt(m[2]);
  if (seq > UINT64_MAX || member > UINT64_MAX) return null;
  return { seq: Number(seq), member: Number(member), amount: m[3],
           leafHash: '0x' + m[4].toLowerCase(), signature: '0x' + m[5].toLowerCase() };
}

// The receipt text inside a page address: /wallet#struk=<urlencoded text>.
export function receiptFromHash(hash) {
  const params = new URLSearchParams(String(hash || '').replace(/^#/, ''));
  return params.get('struk');
}

export const RECEIPT_TYPES = {
  Receipt: [
    { name: 'seq', type: 'uint64' },
    { name: 'leafHash', type: 'bytes32' },
    { name: 'member', type: 'uint64' },
    { name: 'amount', type: 'int256' },
  ],
};

export function receiptDomain(config) {
  return { name: 'KSP Receipt', version: '1', chainId: config.chain_id,
           verifyingContract: config.contracts && config.contracts.AnchorRegistry };
}

// The address that signed this receipt under the server's domain, or null when the
// signature cannot be read at all. Any well-formed signature recovers to SOME address:
// the caller compares it with the published receipt signer.
export function receiptSigner(E, config, receipt) {
  const message = { seq: BigInt(receipt.seq), leafHash: receipt.leafHash,
                    member: BigInt(receipt.member), amount: BigInt(receipt.amount) };
  try {
    return E.verifyTypedData(receiptDomain(config), RECEIPT_TYPES, message, receipt.signature);
  } catch {
    return null;
  }
}
