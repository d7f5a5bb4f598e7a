// "SHU saya": the member's SHU of a year, its inputs, the formula recomputed here in BigInt
// (the member trusts their phone, not our server's arithmetic), and the SHU entry checked
// against the chain like "Periksa entri". Self-contained: it reads the session main.js keeps
// in sessionStorage and draws only inside #shu; i18n keys start with "shu".
import { rupiah } from '../lib/format.js';
import { storedLang, translate } from '../lib/i18n.js';
import { matches, parseExact, recompute } from './shu-calc.js';

const $ = (id) => document.getElementById(id);
const SESSION = 'ksp.session';
const T = { lang: storedLang(), found: null, error: null, check: null, busy: false };
const t = (key, vars) => translate(T.lang, key, vars);
const big = (v) => BigInt(v);
// The inputs shown on the page, each of which the anchored entry must carry unchanged.
const SHOWN = ['savings_base', 'interest_paid', 'vuk', 'tms', 'jasa_usaha', 'jasa_modal'];

function session() {
  try { return JSON.parse(sessionStorage.getItem(SESSION) || 'null'); } catch { return null; }
}

const senText = (sen) => `${rupiah(sen / 100n)},${String(sen % 100n).padStart(2, '0')}`;

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') el.className = v; else el.setAttribute(k, v);
  }
  for (const kid of kids) if (kid != null && kid !== false) el.append(kid);
  return el;
}

function render() {
  const signedIn = Boolean(session());
  $('shu').hidden = !signedIn;
  if (!signedIn) return;
  for (const el of $('shu').querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  const out = $('shu-result');
  out.replaceChildren();
  if (T.error) {
    out.append(h('p', { class: 'error', id: 'shu-error', role: 'alert' },
      T.error.key ? t(T.error.key) : (T.lang === 'en' ? T.error.message_en : T.error.message)));
    return;
  }
  if (!T.found) return;
  const f = T.found;
  out.append(h('p', { class: 'total', id: 'shu-amount' },
    t('shuAmount', { y: f.fiscal_year, a: rupiah(big(f.amount)) })));
  if (!f.seq) {
    const reasons = T.lang === 'en' ? f.reasons_en : f.reasons;
    out.append(h('p', { class: 'note', id: 'shu-reasons' }, t('shuNone'), ' ', reasons.join('; ')));
    return;
  }
  const i = f.inputs;
  const row = (label, value) => h('li', {}, h('span', {}, label), ' ', h('strong', {}, value));
  // On the average basis Sa and TMS are rupiah-days (balance x days held in the year).
  const days = i.savings_basis === 'average';
  const base = (v) => (days ? t('shuRupiahDays', { a: rupiah(big(v)) }) : rupiah(big(v)));
  out.append(h('ul', { class: 'balances', id: 'shu-inputs' },
    row(t('shuSavingsBase'), base(i.savings_base)),
    row(t('shuTms'), base(i.tms)),
    row(t('shuInterest'), rupiah(big(i.interest_paid))),
    row(t('shuVuk'), rupiah(big(i.vuk))),
    row(t('shuJua'), rupiah(big(i.jasa_usaha))),
    row(t('shuJma'), rupiah(big(i.jasa_modal)))));
  const r = recompute(i);
  out.append(h('p', { class: 'muted' }, t('shuFormula')));
  const ok = matches(i, f.amount);
  out.append(h('p', { class: 'check-result ' + (ok ? 'ok' : 'bad'), id: 'shu-recomputed',
    role: 'status' }, ok ? t('shuRecomputedOk', { s: senText(r.sen) })
    : t('shuRecomputedBad', { s: senText(r.sen) })));
  out.append(h('button', { type: 'button', class: 'secondary small', id: 'shu-check' },
    t('checkEntry')));
  if (T.check) {
    const c = T.check;
    const text = c.state === 'checking' ? t('checkChecking')
      : c.state === 'ok' ? t('checkOk', { i: c.anchor.index, n: c.anchor.treeSize, b: c.anchor.block, t: c.anchor.tx })
        : c.state === 'notyet' ? t('checkNotYet', { m: c.minutes })
          : c.state === 'down' ? t('checkDown')
            : c.state === 'mismatch' ? t('shuEntryMismatch') : t('checkBad');
    out.append(h('p', { class: 'check-result ' + c.state, id: 'shu-check-result', role: 'status' },
      text));
  }
}

async function load(ev) {
  ev.preventDefault();
  const s = session();
  const year = $('shu-year').value.trim();
  if (!s || T.busy) return;
  T.found = null; T.error = null; T.check = null;
  if (!/^\d{4}$/.test(year)) { T.error = { key: 'shuErrYear' }; render(); return; }
  T.busy = true;
  try {
    const reply = await fetch(`/api/v1/members/${s.member}/shu?year=${year}`, {
      headers: { Accept: 'application/json', Authorization: 'Bearer ' + s.token } });
    const body = parseExact(await reply.text());
    if (reply.ok) T.found = body; else T.error = body;
  } catch {
    T.error = { key: 'errNetwork' };
  } finally {
    T.busy = false;
    render();
  }
}

// The entry's payload (leaf recomputed here) must carry the very inputs shown, and its root
// must be on chain.
async function checkEntry() {
  const s = session();
  const f = T.found;
  if (!s || !f || !f.seq) return;
  T.check = { state: 'checking' };
  render();
  try {
    const [{ api, chainConfig }, E, { checkProof }, { readAnchor }] = await Promise.all([
      import('../lib/api.js'), import('../lib/ethers.js').then((m) => m.loadEthers()),
      import('../lib/proof.js'), import('../lib/chain.js')]);
    const config = await chainConfig();
    try {
      const proof = await api('GET', `/api/v1/log/entries/${f.seq}/proof`, null, s.token);
      const own = checkProof(proof, E.keccak256);
      const line = own.ok ? parseExact(proof.payload).data.shu : null;
      if (!own.ok) {
        T.check = { state: 'bad' };
      } else if (!line || String(line.amount) !== String(f.amount)
                 || !matches(line, line.amount) || String(line.member) !== String(s.member)
                 || !SHOWN.every((k) => String(line[k]) === String(f.inputs[k]))) {
        T.check = { state: 'mismatch' };
      } else {
        const read = await readAnchor(config, proof.anchor && proof.anchor.block,
          proof.tree_size, own.root);
        T.check = read.state === 'ok' ? { state: 'ok', anchor: read.anchor }
          : { state: read.state === 'down' ? 'down' : 'bad' };
      }
    } catch (e) {
      if (e && e.code === 'not_anchored_yet') {
        T.check = { state: 'notyet', minutes: config.anchor_every_minutes };
      } else { throw e; }
    }
  } catch {
    T.check = { state: 'down' };
  }
  render();
}

$('f-shu').addEventListener('submit', load);
$('shu-result').addEventListener('click', (ev) => {
  if (ev.target.closest('#shu-check')) checkEntry();
});
for (const b of document.querySelectorAll('[data-lang]')) {
  b.addEventListener('click', () => { T.lang = b.dataset.lang; render(); });
}
// main.js shows #savings when a member signs in and hides it on sign-out: follow it.
new MutationObserver(() => {
  if (!session()) { T.found = null; T.check = null; T.error = null; }
  render();
}).observe($('savings'), { attributes: true, attributeFilter: ['hidden'] });
render();
