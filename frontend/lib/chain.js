// The on-chain mirror, read by the phone itself over JSON-RPC, not through our server.
import { ethers } from './ethers.js';

const TOKEN_ABI = ['function balanceOf(address,uint256) view returns (uint256)'];
const CHAIN_TIMEOUT_MS = 8000;

function withTimeout(promise, ms) {
  return Promise.race([promise, new Promise((_, reject) =>
    setTimeout(() => reject(new Error('timeout')), ms))]);
}

// The owner's SavingsToken balance per jenis, using the server's chain config.
// Returns {state: 'ok', chainId, token, balances} | {state: 'down'} | {state: 'nocontract'}.
export async function readSavingsTokens(config, owner) {
  const E = ethers();
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
