// The loan rules the member's phone checks for itself (docs/LOANS.md, docs/LOAN_PROCESS.md):
// the schedule recomputed from the signed terms, ported from backend ksp/loans/schedule.py
// with BigInt (integer rupiah, the one half-up rounding rule), and the terms hash,
// keccak256 of the RFC 8785 canonical JSON of the terms. Pure: no page, no network.

const BPS = 10_000n;
const MONTHLY = BPS * 12n;  // a month's rate is rate_bps / MONTHLY
export const METHODS = ['flat', 'declining', 'annuity'];  // the contract's InterestMethod order

// round_half_up(n / d) for n >= 0 < d.
const divHalfUp = (n, d) => (2n * n + d) / (2n * d);

export const monthlyJasa = (outstanding, rateBps) => divHalfUp(outstanding * rateBps, MONTHLY);

// A = P·i / (1 − (1+i)^−n) exactly, rounded half-up; P / n when the rate is 0.
export function annuityInstalment(principal, rateBps, n) {
  if (rateBps === 0n) return divHalfUp(principal, n);
  const grown = (MONTHLY + rateBps) ** n;
  const base = MONTHLY ** n;
  return divHalfUp(principal * rateBps * grown, MONTHLY * (grown - base));
}

const daysIn = (year, month) => new Date(Date.UTC(year, month, 0)).getUTCDate();  // month 1..12
const iso = (y, m, d) => `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

// Instalment k is due k-1 months after the first, same day or the month's last day.
export function dueDate(firstDue, k) {
  const [y, m, d] = firstDue.split('-').map(Number);
  const months = m - 1 + k - 1;
  const year = y + Math.floor(months / 12);
  const month = (months % 12) + 1;
  return iso(year, month, Math.min(d, daysIn(year, month)));
}

// [{number, due_date, pokok, jasa, total, outstanding_after}] with BigInt amounts.
export function buildSchedule(principal, rateBps, tenor, method, firstDue) {
  const P = BigInt(principal);
  const r = BigInt(rateBps);
  const n = BigInt(tenor);
  if (!METHODS.includes(method)) throw new Error(`unknown method ${method}`);
  const rows = [];
  let outstanding = P;
  const push = (k, pokok, jasa) => {
    outstanding -= pokok;
    rows.push({ number: k, due_date: dueDate(firstDue, k), pokok, jasa, total: pokok + jasa,
                outstanding_after: outstanding });
  };
  if (method === 'annuity') {
    const amount = annuityInstalment(P, r, n);
    for (let k = 1; k <= tenor; k += 1) {
      const jasa = monthlyJasa(outstanding, r);
      let pokok = amount - jasa;
      if (pokok < 0n) pokok = 0n;
      if (pokok > outstanding) pokok = outstanding;
      push(k, k === tenor ? outstanding : pokok, jasa);
    }
    return rows;
  }
  const part = P / n;
  const flatJasa = monthlyJasa(P, r);
  for (let k = 1; k <= tenor; k += 1) {
    const jasa = method === 'flat' ? flatJasa : monthlyJasa(outstanding, r);
    push(k, k === tenor ? outstanding : part, jasa);
  }
  return rows;
}

// RFC 8785 (JSON Canonicalization Scheme) for the JSON the terms are made of: object keys
// sorted by UTF-16 code units, no whitespace, strings and numbers as ECMAScript writes them.
export function canonicalJson(value) {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('not JSON');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}

// keccak(utf8 bytes) -> 0x hex: ethers' keccak256(toUtf8Bytes(text)).
export const termsHash = (terms, E) => E.keccak256(E.toUtf8Bytes(canonicalJson(terms)));

const unixDay = (isoDate) => BigInt(Date.parse(`${isoDate}T00:00:00Z`) / 1000);

// Everything the phone can check about one loan. Inputs: `signed` = GET /loans/{id}/terms
// ({terms, terms_hash}), `ledger` = GET /loans/{id}/schedule (or null before disbursement),
// `chain` = LoanAgreements.loan(id) as read by the phone (or null when unreachable), and
// ethers; optionally the repayments of both sides (GET /loans/{id}/repayments and the
// RepaymentRecorded events), compared by seq. Returns {ok, differences: [{key, vars}]}
// where each key is an i18n text.
export function checkLoan(signed, ledger, chain, E, repayments = null) {
  const terms = signed.terms;
  const differences = [];
  const differ = (text) => differences.push(text);  // {key: an i18n text, vars}
  const mine = termsHash(terms, E);
  if (mine !== String(signed.terms_hash).toLowerCase()) {
    differ({ key: 'ckHashLedger', vars: { a: mine, b: signed.terms_hash } });
  }
  const rows = buildSchedule(terms.principal, terms.rate_bps, terms.tenor_months, terms.method,
    terms.first_due_date);
  const signedRows = terms.schedule || [];
  if (signedRows.length !== rows.length) differ({ key: 'ckCount', vars: { a: rows.length, b: signedRows.length } });
  rows.forEach((row, i) => {
    const s = signedRows[i];
    if (!s) return;
    for (const f of ['due_date', 'pokok', 'jasa', 'total', 'outstanding_after']) {
      if (String(s[f]) !== String(row[f])) differ({ key: 'ckRow', vars: { n: row.number, f, a: String(row[f]), b: String(s[f]) } });
    }
  });
  if (ledger) {
    const lr = ledger.instalments || [];
    if (lr.length !== rows.length) differ({ key: 'ckLedgerCount', vars: { a: rows.length, b: lr.length } });
    rows.forEach((row, i) => {
      const l = lr[i];
      if (!l) return;
      for (const f of ['due_date', 'pokok', 'jasa']) {
        if (String(l[f]) !== String(row[f])) differ({ key: 'ckLedgerRow', vars: { n: row.number, f, a: String(row[f]), b: String(l[f]) } });
      }
    });
  }
  if (chain) {
    if (String(chain.termsHash).toLowerCase() !== mine) differ({ key: 'ckHashChain', vars: { a: mine, b: chain.termsHash } });
    const expect = { principal: BigInt(terms.principal), rateBps: BigInt(terms.rate_bps),
                     method: BigInt(METHODS.indexOf(terms.method)),
                     tenorMonths: BigInt(terms.tenor_months),
                     firstDueDate: unixDay(terms.first_due_date) };
    for (const [f, want] of Object.entries(expect)) {
      if (BigInt(chain[f]) !== want) differ({ key: 'ckChainField', vars: { f, a: String(want), b: String(chain[f]) } });
    }
    if (String(chain.borrower).toLowerCase() !== String(terms.borrower).toLowerCase()) {
      differ({ key: 'ckChainField', vars: { f: 'borrower', a: terms.borrower, b: chain.borrower } });
    }
  }
  if (repayments && chain) {
    const onChain = new Map(repayments.chain.map((r) => [String(r.seq), BigInt(r.amount)]));
    for (const r of repayments.ledger) {
      const there = onChain.get(String(r.seq));
      if (there !== undefined && there !== BigInt(r.amount)) {
        differ({ key: 'ckRepayment', vars: { s: String(r.seq), a: String(r.amount), b: String(there) } });
      }
      onChain.delete(String(r.seq));
    }
    for (const [seq, amount] of onChain) {
      differ({ key: 'ckRepaymentChainOnly', vars: { s: seq, b: String(amount) } });
    }
  }
  return { ok: differences.length === 0, hash: mine, differences, rows };
}
