// Draws the page from the state; reads nothing else and changes no state.
import { rupiah, ddmmyyyy } from '../lib/format.js';
import { has, translate } from '../lib/i18n.js';
import { storedKeystore } from '../lib/keystore.js';
import { byDateNewestFirst } from './statement.js';
import { chainFigure, syncSentence } from './truth.js';

const $ = (id) => document.getElementById(id);

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') el.className = v; else el.setAttribute(k, v);
  }
  for (const kid of kids) if (kid != null && kid !== false) el.append(kid);
  return el;
}

export function errorText(S, e) {
  if (!e) return '';
  if (e.key) return translate(S.lang, e.key);
  return (S.lang === 'en' ? e.message_en : e.message) || e.message || e.message_en || String(e);
}

export function renderMessages(S) {
  $('status').textContent = S.status ? translate(S.lang, S.status.key, S.status.vars) : '';
  $('error').hidden = !S.error;
  $('error').textContent = errorText(S, S.error);
}

function renderWallet(S) {
  const t = (key, vars) => translate(S.lang, key, vars);
  const stored = storedKeystore();
  const open = Boolean(S.signer);
  const address = open ? S.address : stored && stored.address;
  $('w-none').hidden = open || Boolean(stored);
  $('use-injected').hidden = !window.ethereum;
  $('w-address').hidden = !address;
  $('addr').textContent = address || '';
  $('f-unlock').hidden = open || !stored || Boolean(S.session);
  $('signin').hidden = !open || Boolean(S.session);
  $('signout').hidden = !S.session;
  $('lock').hidden = !open || S.injected;
  $('forget').hidden = !stored || open;
  $('signed-as').hidden = !S.session;
  $('signed-as').textContent = S.session ? t('signedAs', { n: S.session.member }) : '';
  $('backup').hidden = !S.backup;
  $('backup-words').replaceChildren(...(S.backup || []).map((w) => h('li', null, w)));
}

// "Hubungkan dompet": the member-number form, then the code and QR for the teller.
function renderLink(S) {
  const t = (key, vars) => translate(S.lang, key, vars);
  const l = S.link;
  $('link').hidden = !S.signer || Boolean(S.session) || S.linked !== false;
  $('f-link').hidden = Boolean(l);
  $('link-code').hidden = !l || l.expired;
  $('link-expired').hidden = !l || !l.expired;
  if (!l) return;
  const qr = $('link-qr');
  if (qr.getAttribute('src') !== l.qr) qr.setAttribute('src', l.qr);
  qr.alt = t('linkQrAlt', { c: l.code });
  $('link-code-text').textContent = l.code;
  const until = new Date(l.until);
  const hhmm = `${String(until.getHours()).padStart(2, '0')}:${String(until.getMinutes()).padStart(2, '0')}`;
  $('link-for').textContent = t('linkFor', { n: l.member, t: hhmm });
}

function chainLine(S, jenis) {
  const figure = chainFigure(S, jenis);
  if (!figure) return null;
  const t = (key) => translate(S.lang, key);
  const [first, space, last] = figure.text;
  return h('span', { class: 'chainline ' + figure.cls, id: `chain-${jenis}` }, first, space,
    figure.matches ? h('span', { role: 'img', 'aria-label': t('matchLabel'), title: t('matchLabel') }, last)
      : last);
}

function chainStatusText(S) {
  const t = (key, vars) => translate(S.lang, key, vars);
  const c = S.chain;
  if (!c) return '';
  if (c.state === 'checking') return t('chainChecking');
  if (c.state === 'down') return t('chainDown');
  if (c.state === 'nocontract') return t('chainNoContract');
  return t('chainInfo', { c: c.chainId, a: c.token });
}

// A statement line's kind ends in its action, e.g. "simpanan.sukarela.setor".
const ACTIONS = ['setor', 'tarik', 'kembali', 'reversal'];

const short = (hex) => `${hex.slice(0, 10)}…${hex.slice(-6)}`;

function checkText(S, c) {
  const t = (key, vars) => translate(S.lang, key, vars);
  if (c.state === 'checking') return t('checkChecking');
  if (c.state === 'ok') {
    return t('checkOk', { i: c.anchor.index, n: c.anchor.treeSize, b: c.anchor.block,
      t: short(c.anchor.tx) });
  }
  if (c.state === 'notyet') return t('checkNotYet', { m: c.minutes ?? '?' });
  if (c.state === 'bad') return t('checkBad');
  if (c.state === 'down') return t('checkDown');
  return errorText(S, c.error);
}

// The "Periksa entri saya" button of a line and, once pressed, what it found.
export function entryCheck(S, seq) {
  const t = (key, vars) => translate(S.lang, key, vars);
  const c = S.checks[seq];
  const result = c ? h('span', { class: 'check-result ' + c.state, id: `check-${seq}`,
    role: 'status' }, checkText(S, c)) : null;
  if (c && c.state === 'ok') result.title = c.anchor.tx;
  return h('span', { class: 'check' },
    h('button', { type: 'button', class: 'link small', 'data-seq': String(seq) }, t('checkEntry')),
    result);
}

function lineItem(S, x) {
  const t = (key, vars) => translate(S.lang, key, vars);
  const action = String(x.kind).split('.').pop();
  const isIn = x.setor > 0;
  return h('li', { 'data-seq': String(x.seq) },
    h('span', { class: 'what' }, h('span', { class: 'date' }, ddmmyyyy(x.tanggal)),
      `${ACTIONS.includes(action) ? t(action) : x.kind} · ${has(S.lang, x.jenis) ? t(x.jenis) : x.jenis}`),
    h('span', { class: 'money' },
      h('span', { class: isIn ? 'in' : 'out' }, (isIn ? '+' : '−') + rupiah(isIn ? x.setor : x.tarik)),
      h('span', { class: 'saldo' }, t('saldo', { s: rupiah(x.saldo) }))),
    entryCheck(S, x.seq));
}

function renderSavings(S) {
  const t = (key, vars) => translate(S.lang, key, vars);
  const d = S.data;
  $('savings').hidden = !d;
  $('history').hidden = !d;
  if (!d) return;
  const b = d.savings.balances || {};
  // The ledger names the jenis and their order; the page keeps no list of its own.
  $('balances').replaceChildren(...Object.keys(b).map((j) => h('li', null,
    h('div', { class: 'row' }, h('span', null, t(j)),
      h('span', { class: 'amt', id: `bal-${j}` }, rupiah(b[j] || 0))),
    chainLine(S, j))));
  $('total').replaceChildren(h('span', null, t('total')),
    h('span', { id: 'bal-total' }, rupiah(d.savings.total || 0)));
  const a = d.arrears;
  $('arrears').className = a.arrears > 0 ? 'note warn' : 'note';
  $('arrears').replaceChildren(...(a.arrears > 0
    ? [t('arrears', { a: '' }), h('span', { class: 'nowrap' }, rupiah(a.arrears))]
    : [t('arrearsNone', { m: a.months_due })]));

  const c = S.chain;
  const status = $('chain-status');
  status.className = 'chain-status' + (c && c.state !== 'ok' && c.state !== 'checking' ? ' down' : '');
  status.textContent = chainStatusText(S);
  const sync = syncSentence(S);
  $('sync').hidden = !sync;
  $('sync').className = 'sync' + (sync ? ' ' + sync.cls : '');
  $('sync').textContent = sync ? sync.text : '';
  $('recheck').hidden = !c || c.state === 'checking';

  const lines = byDateNewestFirst(d.statement.lines || []);
  $('lines').replaceChildren(...(lines.length ? lines.map((x) => lineItem(S, x))
    : [h('li', null, t('noLines'))]));
}

export function render(S) {
  document.documentElement.lang = S.lang;
  document.title = `${translate(S.lang, 'title')} — KSP`;
  for (const el of document.querySelectorAll('[data-i18n]')) {
    el.textContent = translate(S.lang, el.dataset.i18n);
  }
  for (const b of document.querySelectorAll('[data-lang]')) {
    b.setAttribute('aria-pressed', String(b.dataset.lang === S.lang));
  }
  for (const b of document.querySelectorAll('main button')) b.disabled = S.busy;
  $('main').setAttribute('aria-busy', String(S.busy));
  renderMessages(S);
  renderWallet(S);
  renderLink(S);
  renderSavings(S);
}

export function scrollToError() {
  $('error').scrollIntoView({ block: 'nearest' });
}

export function addressElement() {
  return $('addr');
}
