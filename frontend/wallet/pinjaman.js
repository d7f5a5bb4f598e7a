// "Pinjaman saya": the member's loans from the ledger, an offer to read and sign (EIP-712
// Acceptance, signed here with the wallet on this phone; the key never leaves it), the
// schedule with what is paid and due, the loan as LoanAgreements stores it (read by the phone
// from the chain's RPC) and a check that recomputes the schedule and the terms hash from the
// signed terms (lib/loans.js). Loaded after sign-in; main.js calls renderLoans on each draw.
import { api, chainConfig } from '../lib/api.js';
import { loadEthers } from '../lib/ethers.js';
import { ddmmyyyy, rupiah } from '../lib/format.js';
import { translate } from '../lib/i18n.js';
import { checkLoan } from '../lib/loans.js';

const $ = (id) => document.getElementById(id);
// L.loans: the ledger's loans; L.of[id]: {terms, schedule, repayments, chain, check}.
const L = { session: null, loans: null, of: {}, error: null };
let reads = 0;
const WITH_TERMS = ['disetujui', 'diterima', 'aktif', 'lunas', 'macet', 'dihapusbukukan'];
const DISBURSED = ['aktif', 'lunas', 'macet', 'dihapusbukukan'];

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') el.className = v; else el.setAttribute(k, v);
  }
  for (const kid of kids) if (kid != null && kid !== false) el.append(kid);
  return el;
}

// The texts of the API's and the contract's names: {key} each, like an error.
const TEXT = {
  ls_: { diajukan: { key: 'ls_diajukan' }, diusulkan: { key: 'ls_diusulkan' },
    ditolak: { key: 'ls_ditolak' }, disetujui: { key: 'ls_disetujui' },
    diterima: { key: 'ls_diterima' }, aktif: { key: 'ls_aktif' }, lunas: { key: 'ls_lunas' },
    macet: { key: 'ls_macet' }, dihapusbukukan: { key: 'ls_dihapusbukukan' },
    dibatalkan: { key: 'ls_dibatalkan' }, direstrukturisasi: { key: 'ls_direstrukturisasi' } },
  st_: { lunas: { key: 'st_lunas' }, sebagian: { key: 'st_sebagian' },
    terlambat: { key: 'st_terlambat' }, jatuh_tempo: { key: 'st_jatuh_tempo' },
    belum_jatuh_tempo: { key: 'st_belum_jatuh_tempo' } },
  cs_: { None: { key: 'cs_None' }, Registered: { key: 'cs_Registered' },
    Active: { key: 'cs_Active' }, Repaid: { key: 'cs_Repaid' },
    Defaulted: { key: 'cs_Defaulted' }, WrittenOff: { key: 'cs_WrittenOff' },
    Cancelled: { key: 'cs_Cancelled' } },
  kol_: { dpk: { key: 'kol_dpk' }, kurang_lancar: { key: 'kol_kurang_lancar' },
    diragukan: { key: 'kol_diragukan' }, macet: { key: 'kol_macet' } },
  method_: { flat: { key: 'method_flat' }, declining: { key: 'method_declining' },
    annuity: { key: 'method_annuity' } },
};
const named = (S, prefix, value) => {
  const text = TEXT[prefix][value];
  return text ? translate(S.lang, text.key) : String(value);
};

const percent = (bps) => {
  const whole = Math.floor(bps / 100);
  const rest = bps % 100;
  return rest ? `${whole},${String(rest).padStart(2, '0').replace(/0$/, '')}%` : `${whole}%`;
};

async function readChain(id) {
  try {
    const [config, chain] = await Promise.all([chainConfig(), import('../lib/chain.js')]);
    return await chain.readLoan(config, id);
  } catch {
    return { state: 'down' };
  }
}

// Reads the member's loans and, for each, what the page shows of it.
export async function loadLoans(S, draw) {
  const session = S.session;
  const read = ++reads;
  if (!session) return;
  const get = (path) => api('GET', path, null, session.token);
  try {
    const { loans } = await get(`/api/v1/members/${session.member}/loans`);
    const of = {};
    await Promise.all(loans.map(async (loan) => {
      const x = { chain: null, check: (L.of[loan.id] || {}).check || null };
      const parts = [];
      if (WITH_TERMS.includes(loan.status)) {
        parts.push(get(`/api/v1/loans/${loan.id}/terms`).then((t) => { x.terms = t; }));
        parts.push(readChain(loan.id).then((c) => { x.chain = c; }));
      }
      if (DISBURSED.includes(loan.status)) {
        parts.push(get(`/api/v1/loans/${loan.id}/schedule`).then((s) => { x.schedule = s; }));
        parts.push(get(`/api/v1/loans/${loan.id}/repayments`).then((r) => { x.repayments = r.repayments; }));
      }
      await Promise.all(parts);
      of[loan.id] = x;
    }));
    if (read !== reads || S.session !== session) return;
    L.session = session; L.loans = loans; L.of = of; L.error = null;
  } catch (e) {
    if (read !== reads) return;
    L.error = e && (e.key || e.message_en) ? e : { key: 'errNetwork' };
  }
  draw();
}

export function loansSignedOut() {
  reads += 1;
  L.session = null; L.loans = null; L.of = {}; L.error = null;
}

// The member signs the Acceptance the server hands out (the same typed data the contract
// checks) and sends only the signature. Throws an API error or {key}.
export async function acceptOffer(S, id) {
  const session = S.session;
  const E = await loadEthers();
  const { typed_data: typed } = await api('GET', `/api/v1/loans/${id}/acceptance`, null, session.token);
  if (!typed) throw { key: 'loanNotOffer' };
  const loan = (L.loans || []).find((x) => x.id === id);
  // Sign only what this page showed: the typed data must carry the shown terms.
  const m = typed.message;
  if (!loan || Number(m.loanId) !== id || String(m.termsHash).toLowerCase() !== String(loan.terms_hash).toLowerCase()
      || Number(m.principal) !== loan.principal || Number(m.rateBps) !== loan.rate_bps
      || Number(m.tenorMonths) !== loan.tenor_months) {
    throw { key: 'loanOfferChanged' };
  }
  const types = { ...typed.types };
  delete types.EIP712Domain;  // ethers derives the domain type itself
  const signature = await S.signer.signTypedData(typed.domain, types, m);
  const key = `accept-${id}-${E.hexlify(E.randomBytes(8)).slice(2)}`;
  await api('POST', `/api/v1/loans/${id}/acceptance`, { deadline: Number(m.deadline), signature },
    session.token, { 'Idempotency-Key': key });
}

export async function runCheck(S, draw, id) {
  const x = L.of[id];
  if (!x || !x.terms) return;
  x.check = { state: 'checking' };
  draw();
  try {
    const E = await loadEthers();
    const chain = x.chain && x.chain.state === 'ok' && x.chain.loan.status !== 'None'
      ? x.chain.loan : null;
    const both = chain && x.repayments ? { ledger: x.repayments, chain: x.chain.repayments } : null;
    const result = checkLoan(x.terms, x.schedule || null, chain, E, both);
    x.check = { state: result.ok ? 'ok' : 'bad', result, chainRead: Boolean(chain) };
  } catch (e) {
    x.check = { state: 'error', error: String(e && e.message || e) };
  }
  draw();
}

// --- drawing ---------------------------------------------------------------------------------

function facts(rows) {
  return h('dl', { class: 'facts' }, ...rows.filter(Boolean).flatMap(([k, v, id]) =>
    [h('dt', null, k), h('dd', id ? { id } : null, v)]));
}

// Three columns so that it fits a 360 px phone: number, due date (and, once disbursed, the
// state), the instalment with its pokok and jasa under it.
function scheduleTable(S, rows, paid) {
  const t = (key, vars) => translate(S.lang, key, vars);
  const state = (r) => {
    const part = r.paid_pokok + r.paid_jasa;
    const text = named(S, 'st_', r.state.replace(/ /g, '_'));
    return h('span', { class: 'state state-' + r.state.replace(/ /g, '-') },
      part > 0 && r.state !== 'lunas' ? `${text} · ${rupiah(part)}` : text);
  };
  return h('table', { class: 'schedule' },
    h('thead', null, h('tr', null, h('th', null, t('loanNo')), h('th', null, t('loanDue')),
      h('th', { class: 'num' }, t('loanTotal')))),
    h('tbody', null, ...rows.map((r) => h('tr', { 'data-n': String(r.number) },
      h('td', null, String(r.number)),
      h('td', null, ddmmyyyy(r.due_date), paid ? state(r) : null),
      h('td', { class: 'num' }, h('strong', null, rupiah(BigInt(r.pokok) + BigInt(r.jasa))),
        h('span', { class: 'parts' }, `${t('loanPokok')} ${rupiah(r.pokok)}`),
        h('span', { class: 'parts' }, `${t('loanJasa')} ${rupiah(r.jasa)}`))))));
}

function offer(S, loan, x) {
  const t = (key, vars) => translate(S.lang, key, vars);
  const terms = x.terms.terms;
  const d = terms.denda || {};
  return h('div', { class: 'offer', id: `offer-${loan.id}` },
    h('h4', null, t('offerH')),
    h('p', { class: 'plain' }, t('offerPlain', {
      p: rupiah(terms.principal), r: percent(terms.rate_bps), n: terms.tenor_months })),
    h('p', { class: 'plain' }, named(S, 'method_', terms.method)),
    h('p', { class: 'plain' }, t('offerFee', { f: rupiah(terms.admin_fee),
      g: rupiah(terms.principal - terms.admin_fee) })),
    h('p', { class: 'plain' }, d.basis === 'sisa_pokok'
      ? t('offerDendaOutstanding', { b: percent(d.bps_per_day || 0), g: d.grace_days ?? 0 })
      : t('offerDenda', { b: percent(d.bps_per_day || 0), g: d.grace_days ?? 0 })),
    h('p', { class: 'plain' }, t('offerFirstDue', { d: ddmmyyyy(terms.first_due_date) })),
    scheduleTable(S, terms.schedule, false),
    h('p', { class: 'hash' }, t('termsHash'), ' ', h('code', { id: `terms-hash-${loan.id}` }, x.terms.terms_hash)),
    h('button', { type: 'button', 'data-accept': String(loan.id) }, t('offerSign')),
    h('p', { class: 'muted' }, t('offerSignNote')));
}

function chainPart(S, loan, x) {
  const t = (key, vars) => translate(S.lang, key, vars);
  const c = x.chain;
  if (!c) return null;
  if (c.state !== 'ok') return h('p', { class: 'chain-status down', id: `loan-chain-${loan.id}` }, c.state === 'nocontract' ? t('loanChainNoContract') : t('chainDown'));
  const l = c.loan;
  return h('div', { class: 'chainpart', id: `loan-chain-${loan.id}` },
    h('p', null, t('loanOnChain', { s: named(S, 'cs_', l.status), a: rupiah(l.repaid), n: String(l.repaymentCount) })),
    c.repayments.length ? h('ul', { class: 'chain-repayments' }, ...c.repayments.map((r) =>
      h('li', { 'data-seq': String(r.seq) }, t('loanChainRepayment', { s: String(r.seq), a: rupiah(r.amount), b: String(r.block) })))) : null);
}

function repaymentsPart(S, loan, x, entryCheck) {
  const t = (key, vars) => translate(S.lang, key, vars);
  if (!x.repayments) return null;
  const onChain = new Set(x.chain && x.chain.state === 'ok' ? x.chain.repayments.map((r) => String(r.seq)) : []);
  return h('div', null, h('h4', null, t('loanRepaymentsH')),
    h('ol', { class: 'lines loan-repayments', id: `repayments-${loan.id}` },
      ...(x.repayments.length ? x.repayments.map((r) => h('li', { 'data-seq': String(r.seq) },
        h('span', { class: 'what' }, h('span', { class: 'date' }, ddmmyyyy(r.paid_on)),
          t('loanRepaymentLine', { s: r.seq, j: rupiah(r.jasa), p: rupiah(r.pokok), d: rupiah(r.denda) })),
        h('span', { class: 'money' }, h('span', { class: 'in' }, rupiah(r.amount)),
          h('span', { class: onChain.has(String(r.seq)) ? 'saldo ok' : 'saldo wait' },
            onChain.has(String(r.seq)) ? t('loanRepaymentOnChain') : t('loanRepaymentNotYet'))),
        entryCheck(S, r.seq)))
        : [h('li', null, t('loanNoRepayments'))])));
}

function checkPart(S, loan, x) {
  const t = (key, vars) => translate(S.lang, key, vars);
  const c = x.check;
  const button = h('button', { type: 'button', class: 'secondary', 'data-check-loan': String(loan.id) }, t('ckBtn'));
  if (!c) return h('div', { class: 'loan-check' }, button);
  let result;
  if (c.state === 'checking') result = h('p', { role: 'status' }, t('ckChecking'));
  else if (c.state === 'ok') {
    result = h('p', { class: 'check-result ok', role: 'status', id: `check-loan-${loan.id}` },
      c.chainRead ? t('ckOk', { n: c.result.rows.length })
        : t('ckOkNoChain', { n: c.result.rows.length }));
  } else if (c.state === 'bad') {
    result = h('div', { class: 'check-result bad', role: 'status', id: `check-loan-${loan.id}` },
      h('p', null, t('ckBad')),
      h('ul', null, ...c.result.differences.map((dd) => h('li', null, t(dd.key, dd.vars)))));
  } else result = h('p', { class: 'check-result bad', role: 'status' }, c.error);
  return h('div', { class: 'loan-check' }, button, result);
}

function loanCard(S, loan, entryCheck) {
  const t = (key, vars) => translate(S.lang, key, vars);
  const x = L.of[loan.id] || {};
  const s = x.schedule;
  const next = s && s.next_instalment ? s.instalments.find((i) => i.number === s.next_instalment) : null;
  return h('article', { class: 'loan', id: `loan-${loan.id}` },
    h('h3', null, t('loanTitle', { n: loan.id, p: rupiah(loan.principal) })),
    h('p', { class: 'loan-status status-' + loan.status, id: `loan-status-${loan.id}` }, named(S, 'ls_', loan.status)),
    s ? facts([
      [t('loanOutstanding'), rupiah(s.outstanding), `loan-outstanding-${loan.id}`],
      next && [t('loanNext'), t('loanNextValue', { a: rupiah(next.total - next.paid_pokok - next.paid_jasa), d: ddmmyyyy(next.due_date) }), `loan-next-${loan.id}`],
      s.denda_due > 0 && [t('loanDenda'), rupiah(s.denda_due)],
      s.days_past_due > 0 && [t('loanLate'), t('loanLateValue', { n: s.days_past_due })],
      s.kolektibilitas && s.kolektibilitas !== 'lancar'
        && [t('loanKol'), named(S, 'kol_', s.kolektibilitas), `loan-kol-${loan.id}`],
    ]) : null,
    loan.status === 'disetujui' && x.terms ? offer(S, loan, x) : null,
    loan.status === 'diterima' ? h('p', { class: 'note wait', id: `loan-waiting-${loan.id}` }, t('loanWaitingChain')) : null,
    s ? h('div', null, h('h4', null, t('loanScheduleH')), scheduleTable(S, s.instalments, true)) : null,
    repaymentsPart(S, loan, x, entryCheck),
    x.terms ? h('h4', null, t('loanChainH')) : null,
    chainPart(S, loan, x),
    x.terms ? checkPart(S, loan, x) : null);
}

export function renderLoans(S, entryCheck) {
  const t = (key, vars) => translate(S.lang, key, vars);
  const intro = $('loans-intro');
  const list = $('loans-list');
  if (!S.session || L.session !== S.session) {
    intro.textContent = S.session ? t('loansLoading') : t('loansSignIn');
    list.replaceChildren();
    return;
  }
  if (L.error) {
    intro.textContent = L.error.key ? t(L.error.key) : (S.lang === 'en' ? L.error.message_en : L.error.message);
    return;
  }
  intro.textContent = L.loans.length ? t('loansIntro') : t('loansNone');
  list.replaceChildren(...L.loans.map((loan) => loanCard(S, loan, entryCheck)));
  for (const b of list.querySelectorAll('button')) b.disabled = S.busy;
}
