// The on-chain mirror, read by the phone itself over JSON-RPC, not through our server.
import { loadEthers } from './ethers.js';
import { ANCHORED_TOPIC, matchingAnchor } from './proof.js';

const TOKEN_ABI = ['function balanceOf(address,uint256) view returns (uint256)'];
const CHAIN_TIMEOUT_MS = 8000;
const LATEST = '0x52bfe789';  // AnchorRegistry.latest() -> (treeSize, root, anchorCount)

function withTimeout(promise, ms) {
  return Promise.race([promise, new Promise((_, reject) =>
    setTimeout(() => reject(new Error('timeout')), ms))]);
}

// The owner's SavingsToken balance per jenis, using the server's chain config.
// Returns {state: 'ok', chainId, token, balances} | {state: 'down'} | {state: 'nocontract'}.
export async function readSavingsTokens(config, owner) {
  const E = await loadEthers().catch(() => null);
  const token = config.contracts && config.contracts.SavingsToken;
  if (!E || config.chain_id == null || !config.rpc_url) return { state: 'down' };
  if (!token) return { state: 'nocontract' };
  const ids = Object.entries(config.savings_token_ids || {});
  const provider = new E.JsonRpcProvider(config.rpc_url, config.chain_id, { staticNetwork: true });
  try {
    const contract = new E.Contract(token, TOKEN_ABI, provider);
    const values = await withTimeout(
      Promise.all(ids.map(([, id]) => contract.balanceOf(owner, BigInt(id)))), CHAIN_TIMEOUT_MS);
    const balances = Object.fromEntries(ids.map(([jenis], i) => [jenis, values[i]]));
    return { state: 'ok', chainId: config.chain_id, token, balances };
  } catch {
    return { state: 'down' };
  } finally {
    provider.destroy();
  }
}

async function rpc(url, method, params) {
  const reply = await withTimeout(fetch(url, {
    method: 'POST', headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params }),
  }), CHAIN_TIMEOUT_MS);
  const body = await reply.json();
  if (body.error || !('result' in body)) throw new Error('rpc error');
  return body.result;
}

// The AnchorRegistry's Anchored event with this tree size and root, read by the phone from
// the chain itself (raw eth_getLogs, no ethers). `block` is where the server says the anchor
// is: only where to look (public RPCs cap the block range); size and root come from the chain.
// Returns {state: 'ok', anchor} | {state: 'missing'} | {state: 'down'}.
export async function readAnchor(config, block, treeSize, root) {
  const registry = config.contracts && config.contracts.AnchorRegistry;
  if (config.chain_id == null || !config.rpc_url || !registry) return { state: 'down' };
  if (block == null) return { state: 'missing' };
  try {
    const at = '0x' + Number(block).toString(16);
    const [logs, latest] = await Promise.all([
      rpc(config.rpc_url, 'eth_getLogs',
        [{ address: registry, fromBlock: at, toBlock: at, topics: [ANCHORED_TOPIC] }]),
      rpc(config.rpc_url, 'eth_call', [{ to: registry, data: LATEST }, 'latest']),
    ]);
    const anchor = matchingAnchor(logs, treeSize, root);
    // latest() behind this size: the admin set the anchor aside (resetAnchor).
    const word = String(latest).replace(/^0x/, '').slice(0, 64);
    if (!anchor || !word || BigInt('0x' + word) < BigInt(treeSize)) return { state: 'missing' };
    return { state: 'ok', anchor };
  } catch {
    return { state: 'down' };
  }
}

const LOAN_ABI = [
  'function loan(uint64) view returns (tuple(address borrower, uint32 rateBps, uint8 method, '
    + 'uint8 status, uint16 tenorMonths, uint128 principal, uint64 firstDueDate, '
    + 'uint64 acceptedAt, uint128 repaid, uint32 repaymentCount, bytes32 termsHash, '
    + 'uint128 writtenOff, uint128 recovered))',
  'event RepaymentRecorded(uint64 indexed loanId, uint64 indexed seq, uint128 amount, uint128 totalRepaid)',
];
// LoanAgreements.LoanStatus, in order.
export const LOAN_STATUSES = ['None', 'Registered', 'Active', 'Repaid', 'Defaulted',
  'WrittenOff', 'Cancelled'];

// Loan `loanId` as LoanAgreements stores it, and its RepaymentRecorded events (by seq),
// read by the phone from the chain's own RPC.
// Returns {state: 'ok', loan, repayments: [{seq, amount, totalRepaid, block}]} |
//         {state: 'down'} | {state: 'nocontract'}.
export async function readLoan(config, loanId) {
  const E = await loadEthers().catch(() => null);
  const address = config.contracts && config.contracts.LoanAgreements;
  if (!E || config.chain_id == null || !config.rpc_url) return { state: 'down' };
  if (!address) return { state: 'nocontract' };
  const provider = new E.JsonRpcProvider(config.rpc_url, config.chain_id, { staticNetwork: true });
  try {
    const contract = new E.Contract(address, LOAN_ABI, provider);
    const [stored, events] = await withTimeout(Promise.all([
      contract.loan(BigInt(loanId)),
      contract.queryFilter(contract.filters.RepaymentRecorded(BigInt(loanId)), 0, 'latest'),
    ]), CHAIN_TIMEOUT_MS);
    const loan = {
      borrower: stored.borrower, rateBps: stored.rateBps, method: stored.method,
      status: LOAN_STATUSES[Number(stored.status)] || String(stored.status),
      tenorMonths: stored.tenorMonths, principal: stored.principal,
      firstDueDate: stored.firstDueDate, acceptedAt: stored.acceptedAt, repaid: stored.repaid,
      repaymentCount: stored.repaymentCount, termsHash: stored.termsHash,
    };
    const repayments = events.map((e) => ({ seq: e.args.seq, amount: e.args.amount,
      totalRepaid: e.args.totalRepaid, block: e.blockNumber }));
    return { state: 'ok', address, loan, repayments };
  } catch {
    return { state: 'down' };
  } finally {
    provider.destroy();
  }
}
