// RAT on the member's page: the meetings, each item in plain words, the member's choice
// signed here as an EIP-712 Ballot (the key never leaves the page) after the page has
// recomputed the item's content hash and found it equal to what the API says was committed;
// the receipt; and later, read from the chain's own RPC, "my ballot was counted" (my member
// number and my choice in the item's BallotsCast events, the item's hash on chain equal to
// what I saw), whether quorum held, and whether the result entry's online part equals the
// chain's tally. Its own state; main.js hands it the page state (session, signer, lang).
import { api, chainConfig } from '../lib/api.js';
import { contentHash } from '../lib/canonical.js';
import { loadEthers } from '../lib/ethers.js';
import { rupiah } from '../lib/format.js';
import { translate } from '../lib/i18n.js';

const R = {
  meetings: null,   // GET /rat/meetings (announced or later)
  mine: {},         // meeting id -> my ballots (receipts)
  proxies: {},      // meeting id -> appointments I gave or was given
  results: {},      // meeting id -> GET results
  picks: {},        // "meeting:position" -> choice being made
  typed: {},        // meeting id -> the proxy's member number being typed
  checks: {},       // "meeting:position" -> {state, ...} of "my ballot was counted"
  error: null,
  busy: false,
  session: null,    // the session the data above belongs to
};
const BALLOT_TYPES = { Ballot: [
  { name: 'meetingId', type: 'uint64' }, { name: 'proposalIndex', type: 'uint32' },
  { name: 'contentHash', type: 'bytes32' }, { name: 'choice', type: 'uint256' }] };
const PROXY_BALLOT_TYPES = { ProxyBallot: [...BALLOT_TYPES.Ballot,
  { name: 'principalNumber', type: 'uint64' }] };
const PROXY_TYPES = {
  Proxy: [{ name: 'meetingId', type: 'uint64' }, { name: 'principalNumber', type: 'uint64' },
    { name: 'proxy', type: 'address' }, { name: 'agendaHash', type: 'bytes32' }],
  ProxyAcceptance: [{ name: 'meetingId', type: 'uint64' },
    { name: 'principalNumber', type: 'uint64' }, { name: 'proxy', type: 'address' }],
  ProxyRevocation: [{ name: 'meetingId', type: 'uint64' },
    { name: 'principalNumber', type: 'uint64' }],
};
const RAT_ABI = [
  'event BallotsCast(uint64 indexed meetingId, uint32 indexed proposalIndex, bytes ballots)',
  'function proposal(uint64 meetingId, uint32 proposalIndex) view returns (uint8 kind, uint8 seats, uint8 candidateCount, bytes32 contentHash)',
  'function tally(uint64 meetingId, uint32 proposalIndex) view returns (uint64[] counts)',
];
let S = null;
let redraw = () => {};
const $ = (id) => document.getElementById(id);
const t = (key, vars) => translate(S.lang, key, vars);
const keyOf = (m, p) => `${m}:${p}`;

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v !== false && v != null) el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids) if (kid != null && kid !== false) el.append(kid);
  return el;
}

async function write(path, body, token) {
  const key = crypto.randomUUID();  // one key per signed ballot: a resend answers the same
  const reply = await fetch(path, { method: 'POST', headers: {
    'Content-Type': 'application/json', Accept: 'application/json',
    Authorization: 'Bearer ' + token, 'Idempotency-Key': key }, body: JSON.stringify(body) });
  const json = await reply.json().catch(() => ({}));
  if (!reply.ok) throw { status: reply.status, code: json.code, message: json.message,
    message_en: json.message_en || json.message };
  return json;
}

export async function loadRat() {
  const session = S && S.session;
  if (!session) { R.meetings = null; R.session = null; return; }
  const all = await api('GET', '/api/v1/rat/meetings', null, session.token);
  const shown = all.filter((m) => m.status !== 'draft');
  const mine = {}; const results = {}; const proxies = {};
  await Promise.all(shown.map(async (m) => {
    mine[m.id] = await api('GET', `/api/v1/rat/meetings/${m.id}/ballots/mine`, null,
      session.token);
    proxies[m.id] = await api('GET', `/api/v1/rat/meetings/${m.id}/proxies/mine`, null,
      session.token);
    if (m.status === 'decided') {
      results[m.id] = await api('GET', `/api/v1/rat/meetings/${m.id}/results`, null,
        session.token);
    }
  }));
  if (S.session !== session) return;
  Object.assign(R, { meetings: shown, mine, results, proxies, session, error: null });
}

function ownBallot(m, position) {
  return (R.mine[m.id] || []).find((b) => b.position === position
    && b.member === S.session.member);
}

async function vote(m, item, principal = null) {
  const pick = R.picks[keyOf(m.id, item.position) + (principal ? `:${principal}` : '')];
  if (pick == null) { R.error = { key: 'ratPickFirst' }; redraw(); return; }
  R.busy = true; R.error = null; redraw();
  try {
    const E = await loadEthers();
    // The text and candidates shown here are what is committed, or nothing is signed.
    if (contentHash(E, item) !== item.content_hash.toLowerCase()) {
      throw { key: 'ratHashDiffers' };
    }
    if (!m.eip712_domain) throw { key: 'ratNoChain' };
    const message = { meetingId: m.id, proposalIndex: item.position,
      contentHash: item.content_hash, choice: pick };
    const types = principal ? PROXY_BALLOT_TYPES : BALLOT_TYPES;
    if (principal) message.principalNumber = principal;
    const signature = await S.signer.signTypedData(m.eip712_domain, types, message);
    const body = { position: item.position, choice: pick, content_hash: item.content_hash,
      signature };
    if (principal) body.principal = principal;
    await write(`/api/v1/rat/meetings/${m.id}/ballots`, body, S.session.token);
    await loadRat();
  } catch (e) {
    R.error = e && (e.key || e.message_en) ? e
      : (e && (e.code === 'ACTION_REJECTED' || e.code === 4001)) ? { key: 'errRejected' }
        : { message: String(e && e.message || e), message_en: String(e && e.message || e) };
  } finally {
    R.busy = false; redraw();
  }
}

// A signed step (surat kuasa): sign `primary` here, post it, read everything again.
async function signed(m, primary, message, path, body) {
  R.busy = true; R.error = null; redraw();
  try {
    await loadEthers();
    if (!m.eip712_domain) throw { key: 'ratNoChain' };
    const signature = await S.signer.signTypedData(m.eip712_domain,
      { [primary]: PROXY_TYPES[primary] }, message);
    await write(path, { ...body, signature }, S.session.token);
    await loadRat();
  } catch (e) {
    R.error = e && (e.key || e.message_en) ? e
      : { message: String(e && e.message || e), message_en: String(e && e.message || e) };
  } finally {
    R.busy = false; redraw();
  }
}

async function appoint(m, typed) {
  const proxy = Number(String(typed).trim());
  if (!Number.isSafeInteger(proxy) || proxy < 1) { R.error = { key: 'ratProxyNumber' }; redraw(); return; }
  let found;
  try {
    found = await api('GET', `/api/v1/rat/meetings/${m.id}/proxies/address/${proxy}`, null,
      S.session.token);
  } catch (e) {
    R.error = e; redraw(); return;
  }
  await signed(m, 'Proxy', { meetingId: m.id, principalNumber: S.session.member,
    proxy: found.address, agendaHash: m.agenda_hash }, `/api/v1/rat/meetings/${m.id}/proxies`,
  { proxy });
}

function proxyView(m) {
  const me = S.session.member;
  const rows = R.proxies[m.id] || [];
  const given = rows.find((p) => p.principal === me);
  const kids = [h('h4', null, t('ratProxyH'))];
  if (given) {
    const state = given.revoked ? t('ratProxyRevoked')
      : given.accepted ? t('ratProxyAccepted') : t('ratProxyWaiting');
    kids.push(h('p', { id: `rat-proxy-given-${m.id}` },
      t('ratProxyGiven', { n: given.proxy, state })));
    if (!given.revoked && !given.used && m.status === 'announced') {
      kids.push(h('button', { type: 'button', class: 'secondary', disabled: R.busy,
        onclick: () => signed(m, 'ProxyRevocation', { meetingId: m.id, principalNumber: me },
          `/api/v1/rat/meetings/${m.id}/proxies/revoke`, {}) }, t('ratProxyRevokeBtn')));
    }
  } else if (m.status === 'announced' && !(R.mine[m.id] || []).some((b) => b.member === me)) {
    // What is typed lives in R, so a redraw of the page (a refresh) keeps it.
    const input = h('input', { id: `rat-proxy-number-${m.id}`, inputmode: 'numeric',
      autocomplete: 'off', value: R.typed[m.id] || '',
      oninput: (ev) => { R.typed[m.id] = ev.target.value; } });
    kids.push(h('p', { class: 'muted' }, t('ratProxyNote')),
      h('label', { for: `rat-proxy-number-${m.id}` }, t('ratProxyNumberLabel')), input,
      h('button', { type: 'button', class: 'secondary', disabled: R.busy,
        onclick: () => appoint(m, R.typed[m.id] || '') }, t('ratProxyGiveBtn')));
  }
  for (const p of rows.filter((x) => x.proxy === me)) {
    const state = p.revoked ? t('ratProxyRevoked')
      : p.accepted ? t('ratProxyAccepted') : t('ratProxyWaiting');
    kids.push(h('p', null, t('ratProxyReceived', { n: p.principal, state })));
    if (!p.accepted && !p.revoked && m.status === 'announced') {
      kids.push(h('button', { type: 'button', class: 'secondary', disabled: R.busy,
        onclick: () => signed(m, 'ProxyAcceptance', { meetingId: m.id,
          principalNumber: p.principal, proxy: S.address },
        `/api/v1/rat/meetings/${m.id}/proxies/${p.principal}/accept`, {}) },
      t('ratProxyAcceptBtn')));
    }
  }
  return h('div', { class: 'rat-proxies', id: `rat-proxies-${m.id}` }, ...kids);
}

// My number and my choice among the item's BallotsCast records (8-byte member number,
// then the choice: 1 byte for yes/no, ceil(candidates / 8) for an election); the item's
// content hash on chain; the chain's tally against the result entry's online part.
async function checkCounted(m, item, ballot) {
  const k = keyOf(m.id, item.position);
  R.checks[k] = { state: 'checking' }; redraw();
  let result;
  try {
    const [E, config] = await Promise.all([loadEthers(), chainConfig()]);
    const address = config.contracts && config.contracts.RatVoting;
    if (!address || !config.rpc_url) throw new Error('no chain');
    const provider = new E.JsonRpcProvider(config.rpc_url, config.chain_id, { staticNetwork: true });
    try {
      const voting = new E.Contract(address, RAT_ABI, provider);
      const proposal = await voting.proposal(m.id, item.position);
      const width = Number(proposal.kind) === 0 ? 1 : Math.ceil(Number(proposal.candidateCount) / 8);
      const events = await voting.queryFilter(voting.filters.BallotsCast(m.id, item.position), 0);
      let found = null;
      for (const ev of events) {
        const bytes = E.getBytes(ev.args.ballots);
        for (let i = 0; i + 8 + width <= bytes.length; i += 8 + width) {
          const number = BigInt(E.hexlify(bytes.slice(i, i + 8)));
          if (number === BigInt(ballot.member)) {
            found = BigInt(E.hexlify(bytes.slice(i + 8, i + 8 + width)));
          }
        }
      }
      const hashOk = String(proposal.contentHash).toLowerCase() === ballot.content_hash.toLowerCase();
      result = { state: found === null ? 'notyet'
        : (found === BigInt(ballot.choice) && hashOk ? 'ok' : 'bad') };
      const outcome = R.results[m.id]
        && R.results[m.id].results.find((r) => r.position === item.position);
      if (outcome) {
        const tally = (await voting.tally(m.id, item.position)).map((c) => Number(c));
        result.tallyOk = JSON.stringify(tally) === JSON.stringify(outcome.data.online);
        result.anchored = await anchoredResult(E, config, outcome.seq, tally);
      }
    } finally {
      provider.destroy();
    }
  } catch {
    result = { state: 'down' };
  }
  R.checks[k] = result; redraw();
}

// Yes/no choices as the contract counts them: 0 against, 1 for, 2 abstain.
const yesNo = () => [t('ratAgainst'), t('ratFor'), t('ratAbstain')];

function stateText(state) {
  if (state === 'checking') return t('ratChecking');
  if (state === 'ok') return t('ratCounted');
  if (state === 'notyet') return t('ratNotCountedYet');
  if (state === 'bad') return t('ratCountBad');
  return t('ratChainDown');
}

// The result entry as anchored: its inclusion proof checked here, the root read from the
// AnchorRegistry over the chain's RPC (the "periksa entri" machinery), and the entry's own
// online counts equal to the chain's tally. {state: 'ok', block} | 'notyet' | 'bad' | 'down'.
async function anchoredResult(E, config, seq, tally) {
  let proof;
  try {
    proof = await api('GET', `/api/v1/log/entries/${seq}/proof`, null, S.session.token);
  } catch (e) {
    return { state: e && e.code === 'not_anchored_yet' ? 'notyet' : 'down' };
  }
  const [{ checkProof }, { readAnchor }] = await Promise.all(
    [import('../lib/proof.js'), import('../lib/chain.js')]);
  const own = checkProof(proof, E.keccak256);
  if (!own.ok) return { state: 'bad' };
  const payload = JSON.parse(proof.payload);
  if (JSON.stringify(payload.data.online) !== JSON.stringify(tally)) return { state: 'bad' };
  const read = await readAnchor(config, proof.anchor && proof.anchor.block, proof.tree_size,
    own.root);
  return read.state === 'ok' ? { state: 'ok', block: read.anchor.block }
    : { state: read.state === 'down' ? 'down' : 'bad' };
}

function choiceLabel(item, choice) {
  if (!item.candidates) return yesNo()[choice];
  const names = item.candidates.filter((_, i) => (choice >> i) & 1);
  return names.length ? names.map((n) => t('ratCandidate', { n })).join(', ') : t('ratBlank');
}

function choiceControls(m, item, principal = null) {
  const k = keyOf(m.id, item.position) + (principal ? `:${principal}` : '');
  const name = `rat-${m.id}-${item.position}` + (principal ? `-${principal}` : '');
  if (!item.candidates) {
    return h('fieldset', { class: 'rat-choices' }, h('legend', null, t('ratYourChoice')),
      ...[1, 0, 2].map((c) => h('label', null, h('input', { type: 'radio', name, value: c,
        checked: R.picks[k] === c, onchange: () => { R.picks[k] = c; } }),
      ' ', yesNo()[c])));
  }
  return h('fieldset', { class: 'rat-choices' },
    h('legend', null, t('ratPickUpTo', { seats: item.seats })),
    ...item.candidates.map((n, i) => h('label', null, h('input', { type: 'checkbox', name,
      value: i, checked: Boolean(((R.picks[k] || 0) >> i) & 1), onchange: (ev) => {
        const bit = 1 << i;
        const now = R.picks[k] || 0;
        const next = ev.target.checked ? now | bit : now & ~bit;
        let count = 0; for (let x = next; x; x >>= 1) count += x & 1;
        if (count > item.seats) { ev.target.checked = false; return; }
        R.picks[k] = next;
      } }), ' ', t('ratCandidate', { n }))));
}

function checkLine(m, item) {
  const c = R.checks[keyOf(m.id, item.position)];
  if (!c) return null;
  const parts = [stateText(c.state)];
  if (c.tallyOk === true) parts.push(t('ratTallyMatches'));
  if (c.tallyOk === false) parts.push(t('ratTallyDiffers'));
  if (c.anchored && c.anchored.state === 'ok') {
    parts.push(t('ratAnchored', { block: c.anchored.block }));
  } else if (c.anchored && c.anchored.state === 'notyet') {
    parts.push(t('ratAnchorNotYet'));
  } else if (c.anchored && c.anchored.state === 'bad') {
    parts.push(t('ratAnchorBad'));
  }
  return h('p', { class: `rat-check rat-${c.state}`, role: 'status' }, parts.join(' '));
}

const percent = (bps) => `${Math.trunc(bps / 100)}${bps % 100 ? ',' + String(bps % 100).padStart(2, '0') : ''}%`;

// An SHU item's figures (the pengurus's proposal, which the content hash binds): the SHU,
// each pool with its share and rupiah, and how the members' part is paid.
function shuFigures(f) {
  const lines = [h('li', null, `SHU: ${rupiah(f.shu)}`)];
  for (const [pool, bps] of Object.entries(f.split || {})) {
    lines.push(h('li', null, `${pool.replace(/_/g, ' ')}: ${percent(bps)} · ${rupiah((f.amounts || {})[pool] ?? 0)}`));
  }
  if (f.settlement) lines.push(h('li', null, `${t('ratSettlement')}: ${f.settlement}`));
  return h('ul', { class: 'rat-figures' }, ...lines);
}

function itemView(m, item) {
  const ballot = ownBallot(m, item.position);
  const k = keyOf(m.id, item.position);
  const kids = [h('h4', null, `${item.position + 1}. ${item.title}`), h('p', null, item.text)];
  if (item.figures) kids.push(shuFigures(item.figures));
  if (item.candidates) {
    kids.push(h('p', null, t('ratElection', { seats: item.seats, office: item.office })));
  }
  kids.push(h('p', { class: 'muted mono rat-hash' }, t('ratHash', { hash: item.content_hash })));
  if (ballot) {
    kids.push(h('p', { class: 'rat-receipt', id: `rat-receipt-${m.id}-${item.position}` },
      t('ratReceipt', { id: ballot.ballot_id, choice: choiceLabel(item, ballot.choice),
        status: ballot.relay_status })));
    kids.push(h('button', { type: 'button', class: 'secondary', 'data-check': k,
      onclick: () => checkCounted(m, item, ballot), disabled: R.busy }, t('ratCheckBtn')));
    kids.push(checkLine(m, item));
  } else if (m.voting_open) {
    kids.push(choiceControls(m, item));
    kids.push(h('button', { type: 'button', 'data-vote': k, disabled: R.busy,
      onclick: () => vote(m, item) }, t('ratSignBtn')));
  }
  // As a proxy: the principals whose appointment this member accepted (and still stands).
  for (const p of (R.proxies[m.id] || []).filter((x) => x.proxy === S.session.member
    && x.accepted && !x.revoked)) {
    const cast = (R.mine[m.id] || []).find((b) => b.position === item.position
      && b.member === p.principal);
    const box = [h('h5', null, t('ratForPrincipal', { n: p.principal }))];
    if (cast) {
      box.push(h('p', { class: 'rat-receipt' }, t('ratReceipt', { id: cast.ballot_id,
        choice: choiceLabel(item, cast.choice), status: cast.relay_status })));
    } else if (m.voting_open) {
      box.push(choiceControls(m, item, p.principal), h('button', { type: 'button',
        disabled: R.busy, onclick: () => vote(m, item, p.principal) },
      t('ratSignForBtn', { n: p.principal })));
    }
    kids.push(h('div', { class: 'rat-proxy-vote', id: `rat-for-${m.id}-${item.position}-${p.principal}` }, ...box));
  }
  const outcome = R.results[m.id]
    && R.results[m.id].results.find((r) => r.position === item.position);
  if (outcome) kids.push(h('p', { class: 'rat-outcome' }, t('ratDecision', {
    decision: outcome.decision })));
  return h('li', { class: 'rat-item' }, ...kids);
}

function meetingView(m) {
  const res = R.results[m.id];
  const quorum = res && res.results.length ? res.results[0].data : null;
  return h('article', { class: 'rat-meeting', id: `rat-meeting-${m.id}` },
    h('h3', null, m.title),
    h('p', { class: 'muted' }, t('ratWindow', { start: new Date(m.voting_start).toLocaleString(
      S.lang === 'en' ? 'en-GB' : 'id-ID'), end: new Date(m.voting_end).toLocaleString(
      S.lang === 'en' ? 'en-GB' : 'id-ID'), place: m.place })),
    m.voting_open ? h('p', { class: 'banner rat-public', id: 'rat-public' }, t('ratPublic')) : null,
    quorum ? h('p', { class: 'rat-quorum' }, quorum.quorum_reached
      ? t('ratQuorumHeld', { p: quorum.participants, e: quorum.eligible })
      : t('ratQuorumNot', { p: quorum.participants, e: quorum.eligible })) : null,
    h('ol', { class: 'rat-items' }, ...m.items.map((item) => itemView(m, item))),
    proxyView(m));
}

export function renderRat() {
  const body = $('rat-body');
  if (!body) return;
  const kids = [];
  if (!S.session) kids.push(h('p', { class: 'muted' }, t('ratSignInFirst')));
  else if (R.meetings === null) kids.push(h('p', { class: 'muted' }, t('ratLoading')));
  else if (!R.meetings.length) kids.push(h('p', { class: 'muted' }, t('ratNone')));
  else kids.push(...R.meetings.map(meetingView));
  if (R.error) {
    kids.push(h('p', { class: 'error', role: 'alert', id: 'rat-error' }, R.error.key
      ? t(R.error.key) : (S.lang === 'en' ? R.error.message_en : R.error.message)));
  }
  body.replaceChildren(...kids);
}

// main.js calls this once with its state and its draw function.
export function startRat(state, draw) {
  S = state;
  redraw = draw;
}

// On each draw: (re)load when the session changed, then draw this section.
export function drawRat() {
  if (S.session !== R.session && S.session && !R.loading) {
    R.loading = true;
    R.session = S.session;  // once per session, even if the read fails
    // An expired session (401) is main.js's to tell; this section waits for the next one.
    loadRat().catch((e) => { if (!e || e.status !== 401) R.error = { key: 'errNetwork' }; })
      .finally(() => { R.loading = false; redraw(); });
  }
  renderRat();
}
