// The cooperative's API. Errors are thrown as {status, code, message, message_en}
// (the server's bilingual error body) or {key} for a failure the page names itself.

export async function api(method, path, body, token, extra = {}) {
  const headers = { Accept: 'application/json', ...extra };
  if (body) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = 'Bearer ' + token;
  let reply;
  try {
    reply = await fetch(path, { method, headers, body: body ? JSON.stringify(body) : undefined });
  } catch {
    throw { key: 'errNetwork' };
  }
  const json = await reply.json().catch(() => ({}));
  if (!reply.ok) {
    throw { status: reply.status, code: json.code, message: json.message || `HTTP ${reply.status}`,
            message_en: json.message_en || json.message || `HTTP ${reply.status}` };
  }
  return json;
}

// Sign-in with the wallet: the server's challenge signed with EIP-191 personal_sign.
export async function signInWithWallet(signer, address) {
  const challenge = await api('POST', '/api/v1/wallet/challenges', { address, purpose: 'login' });
  const signature = await signer.signMessage(challenge.message);
  const reply = await api('POST', '/api/v1/auth/wallet', { message: challenge.message, signature });
  return { token: reply.token, member: reply.member, address };
}

// The ledger's view of the member: balances, statement and wajib arrears, read together.
export async function memberLedger(member, token) {
  const base = `/api/v1/members/${member}`;
  const [savings, statement, arrears] = await Promise.all([
    api('GET', `${base}/savings`, null, token),
    api('GET', `${base}/statement`, null, token),
    api('GET', `${base}/wajib-arrears`, null, token),
  ]);
  return { savings, statement, arrears };
}

// Chain id, public RPC URL, contract addresses and SavingsToken ids by jenis: the chain
// facts are defined once on the server and fetched here.
export const chainConfig = () => api('GET', '/api/v1/chain/config');

// Linking this wallet at the counter: a `link` challenge naming the member number, signed
// here and filed under a short code the teller types or scans. Nothing is linked until the
// teller confirms. `validMs` is the code's lifetime measured by the server's own clock
// (issued to expiry), so a phone with a wrong clock still counts it right.
export async function fileLinkRequest(signer, address, member) {
  const challenge = await api('POST', '/api/v1/wallet/challenges',
    { address, purpose: 'link', member });
  const signature = await signer.signMessage(challenge.message);
  const filed = await api('POST', '/api/v1/wallet/link-requests',
    { message: challenge.message, signature });
  const issued = /^Issued At: (.+)$/m.exec(challenge.message);
  const validMs = Date.parse(filed.expires_at) - Date.parse(issued ? issued[1] : filed.expires_at);
  return { ...filed, validMs };
}

// Whether this wallet is linked to an active member yet: {linked, member}.
export const linkStatus = (address) =>
  api('GET', `/api/v1/wallet/link-status?address=${encodeURIComponent(address)}`);
