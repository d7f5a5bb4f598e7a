// Dompet anggota KSP: the member's wallet, sign-in, savings and the on-chain proof.
// Plain ES modules, no build step. The private key is created, encrypted and used only
// here; the server never sees it. This file owns the state and the actions; view.js draws.
import {
  api, chainConfig, fileLinkRequest, linkStatus, memberLedger, signInWithWallet,
} from '../lib/api.js';
import { loadEthers } from '../lib/ethers.js';
import { saveLang, storedLang, translate } from '../lib/i18n.js';
import {
  checkPasswords, createWallet, forgetStored, injectedSigner, openStored, parseSecret,
  saveEncrypted, storedKeystore,
} from '../lib/keystore.js';
import { addressElement, entryCheck, render, renderMessages, scrollToError } from './view.js';

// Chain reads and proofs are not needed to draw the sign-in screen: fetched on first use,
// so a slow phone connection carries fewer files before the page answers.
const chainModule = () => import('../lib/chain.js');
const proofModule = () => import('../lib/proof.js');
// "Periksa struk" too: its code (and jsQR, ethers) come when the member first uses it.
let receiptUi = null;
const receiptModule = () => import('./struk.js').then((m) => { receiptUi = m; return m; });

const SESSION = 'ksp.session';  // sessionStorage: {token, member, address}

function readSession() {
  try { return JSON.parse(sessionStorage.getItem(SESSION) || 'null'); } catch { return null; }
}

const S = {
  lang: storedLang(),
  signer: null,        // ethers Wallet / HDNodeWallet / JsonRpcSigner, in memory only
  address: null,       // checksummed address of the wallet on this device
  injected: false,
  session: readSession(),
  data: null,          // {savings, statement, arrears}, from the ledger
  chain: null,         // {state: 'checking'|'ok'|'down'|'nocontract', ...}
  status: null,        // {key, vars}
  error: null,         // {key} or an API error body {message, message_en}
  busy: false,
  backup: null,        // recovery words, shown once after creating a wallet
  checks: {},          // seq -> {state: 'checking'|'ok'|'notyet'|'bad'|'down'|'error', ...}
  linked: null,        // is the open wallet linked to an active member? null: not known
  link: null,          // {code, member, qr, until, expired}: the code shown to the teller
};
const POLL_MS = 3000;  // how often the phone asks whether the teller has linked it
let polling = null;
let chainReads = 0;    // only the latest chain read may draw its result

const $ = (id) => document.getElementById(id);
// The loans: wallet/pinjaman.js and lib/loans.js come after sign-in.
let loansUi = null;
const loansModule = () => import('./pinjaman.js').then((m) => { loansUi = m; return m; });
function drawLoans() {
  if (loansUi) loansUi.renderLoans(S, entryCheck);
  else $('loans-intro').textContent = translate(S.lang, S.session ? 'loansLoading' : 'loansSignIn');
}
// The RAT section is its own module (wallet/rat.js), drawn from the same state.
let ratUi = null;
const draw = () => {
  render(S);
  if (receiptUi) receiptUi.renderReceipt(S);
  drawLoans();
  if (ratUi) ratUi.drawRat();
};
import('./rat.js').then((m) => { m.startRat(S, draw); ratUi = m; draw(); }, () => {});

// --- feedback -------------------------------------------------------------------------
function say(key, vars) { S.status = key ? { key, vars } : null; renderMessages(S); }
function fail(error) { S.error = error; S.status = null; draw(); }
const progress = (key) => (p) => say(key, { p: Math.round(p * 100) });

// needsEthers: wallets and signatures need it; reading the ledger does not.
async function guarded(work, needsEthers = true) {
  if (S.busy) return;
  S.busy = true; S.error = null; draw();
  try {
    if (needsEthers) await loadEthers();
    await work();
  } catch (e) {
    S.status = null;
    // An address the board replaced (lost phone): say so in plain words, not the API's.
    S.error = e && e.code === 'wallet_replaced' ? { key: 'errWalletReplaced' }
      : e && (e.key || e.message_en) ? e
      : (e && (e.code === 'ACTION_REJECTED' || e.code === 4001)) ? { key: 'errRejected' }
        : { message: String(e && e.message || e), message_en: String(e && e.message || e) };
  } finally {
    S.busy = false;
    draw();
    if (S.error) scrollToError();
  }
}

// --- wallet -------------------------------------------------------------------------------
function useWallet(wallet, injected = false) {
  S.signer = wallet;
  S.address = wallet.address;
  S.injected = injected;
  S.linked = null;
  checkLinked();
}

// --- linking the wallet at the counter ----------------------------------------------------
// Not linked yet: the member types their number, this page signs a `link` challenge naming
// it and shows the code and QR for the teller; it polls until the teller has linked it,
// then signs in by itself.
async function checkLinked() {
  const address = S.address;
  if (!address || S.session) return;
  try {
    const status = await linkStatus(address);
    if (S.address !== address) return;  // another wallet opened meanwhile
    S.linked = status.linked;
  } catch {
    S.linked = null;  // the server is unreachable: "Masuk" says why
  }
  draw();
}

function stopPolling() {
  if (polling) clearInterval(polling);
  polling = null;
}

function onLink(ev) {
  ev.preventDefault();
  const text = ev.currentTarget.member.value.trim();
  guarded(async () => {
    if (!/^[0-9]{1,18}$/.test(text) || Number(text) < 1) throw { key: 'errMemberNumber' };
    say('linkSigning');
    const filed = await fileLinkRequest(S.signer, S.address, Number(text));
    say(null);
    S.link = {
      code: filed.code, member: filed.member, expired: false,
      qr: `/api/v1/wallet/link-requests/${encodeURIComponent(filed.code)}.svg`,
      until: Date.now() + filed.validMs,
    };
    startPolling();
  });
}

function startPolling() {
  stopPolling();
  const address = S.address;
  polling = setInterval(async () => {
    if (!S.link || S.address !== address || S.session) { stopPolling(); return; }
    if (Date.now() >= S.link.until) {
      stopPolling();
      S.link.expired = true;
      draw();
      return;
    }
    let status;
    try { status = await linkStatus(address); } catch { return; }  // try again next tick
    if (!status.linked || !S.link || S.address !== address) return;
    stopPolling();
    S.linked = true;
    S.link = null;
    say('linkDone', { n: status.member });
    const signIn = () => (S.busy ? setTimeout(signIn, 200) : onSignIn());
    signIn();
  }, POLL_MS);
}

function linkAgain() {
  S.link = null;
  draw();
  $('l-member').focus();
}

function onCreate(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  guarded(async () => {
    const pw = checkPasswords(form.password.value, form.password2.value);
    const { wallet, words } = createWallet();
    await saveEncrypted(wallet, pw, progress('encrypting'));
    useWallet(wallet);
    form.reset();
    S.backup = words;
    say('created');
  });
}

function onImport(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  guarded(async () => {
    const pw = checkPasswords(form.password.value, form.password2.value);
    const wallet = parseSecret(form.secret.value);
    form.secret.value = '';  // do not keep the key in the page longer than needed
    await saveEncrypted(wallet, pw, progress('encrypting'));
    useWallet(wallet);
    form.reset();
    say('opened');
  });
}

function onUnlock(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  guarded(async () => {
    const wallet = await openStored(form.password.value, progress('decrypting'));
    if (!wallet) return;
    useWallet(wallet);
    form.reset();
    say('opened');
  });
}

function onInjected() {
  guarded(async () => {
    const { signer, address } = await injectedSigner();
    S.signer = signer; S.address = address; S.injected = true;
    S.linked = null;
    checkLinked();
    say(null);
  });
}

function onSignIn() {
  guarded(async () => {
    say('signing');
    S.session = await signInWithWallet(S.signer, S.address);
    sessionStorage.setItem(SESSION, JSON.stringify(S.session));
    if (receiptUi) receiptUi.receiptSessionChanged(S, draw);
    await refresh();
  });
}

function signOut() {
  sessionStorage.removeItem(SESSION);
  S.session = null; S.data = null; S.chain = null; S.status = null; S.checks = {};
  chainReads += 1;
  if (loansUi) loansUi.loansSignedOut();
  if (receiptUi) receiptUi.receiptSessionChanged(S, draw);
  draw();
}

function lock() {
  S.signer = null; S.injected = false; S.backup = null;
  S.address = null; S.linked = null; S.link = null;
  stopPolling();
  say(null);
  draw();
}

function forget() {
  if (!window.confirm(translate(S.lang, 'forgetConfirm'))) return;
  forgetStored();
  lock();
  signOut();
}

async function copyAddress() {
  const addr = addressElement();
  try {
    await navigator.clipboard.writeText(addr.textContent);
    say('copied');
  } catch {
    const range = document.createRange();
    range.selectNodeContents(addr);
    const sel = window.getSelection();
    sel.removeAllRanges(); sel.addRange(range);
    say(document.execCommand && document.execCommand('copy') ? 'copied' : null);
    if (!S.status) fail({ key: 'errCopy' });
  }
}

// --- the ledger and the chain, always refreshed together ------------------------------
// Reading only the chain again would compare new tokens with an old ledger figure and
// blame the chain. So every refresh reads the ledger, then the chain (never before the
// ledger: the ledger's pending_on_chain must not be newer than the tokens it explains), and
// shows the two pairs together. Only the first read shows the ledger before the chain.
const REFRESH_EVERY_MS = 30_000;  // while the page is visible

async function refresh({ quiet = false } = {}) {
  const session = S.session;
  const read = ++chainReads;
  if (!quiet) say('loading');
  const chainReady = chainPrepared();  // config and code, fetched while the ledger is read
  let data;
  try {
    data = await memberLedger(session.member, session.token);
  } catch (e) {
    if (e.status === 401 && S.session === session) {
      signOut();
      throw e.code === 'wallet_replaced' ? e : { key: 'errExpired' };
    }
    throw e;
  }
  if (!quiet) say(null);
  if (S.session !== session || read !== chainReads) return;  // a newer refresh shows its own
  if (!S.data) {
    S.data = data;
    S.chain = { state: 'checking' };
    draw();
  }
  readChainThenShow(session, read, data, chainReady);  // not awaited: buttons stay usable
  loansModule().then((m) => m.loadLoans(S, draw), () => {});
}

function chainPrepared() {
  return Promise.all([chainConfig(), chainModule()]).catch(() => null);
}

async function readChainThenShow(session, read, data, chainReady) {
  let result;
  try {
    const ready = await chainReady;
    result = ready ? await ready[1].readSavingsTokens(ready[0], session.address)
      : { state: 'down' };
  } catch {
    result = { state: 'down' };
  }
  if (S.session !== session || read !== chainReads) return;  // newer refresh or sign-out
  S.data = data;
  S.chain = result;
  draw();
}

function refreshQuietly() {
  if (document.visibilityState !== 'visible' || !S.session || S.busy) return;
  refresh({ quiet: true }).catch((e) => { if (e && e.key === 'errExpired') fail(e); });
}

// --- "Periksa entri saya": the entry is in a log whose root is on chain ------------------
// The proof comes from our server; the leaf is recomputed here from the payload, the path is
// verified here, and the root is read from the AnchorRegistry over the chain's own RPC.
async function checkEntry(seq) {
  if (!S.session || (S.checks[seq] && S.checks[seq].state === 'checking')) return;
  const session = S.session;
  S.checks[seq] = { state: 'checking' };
  draw();
  let result;
  try {
    const config = await chainConfig();
    try {
      const proof = await api('GET', `/api/v1/log/entries/${seq}/proof`, null, session.token);
      const [E, { checkProof }, { readAnchor }] = await Promise.all(
        [loadEthers(), proofModule(), chainModule()]);
      const own = checkProof(proof, E.keccak256);
      if (!own.ok) {
        result = { state: 'bad' };
      } else {
        const read = await readAnchor(config, proof.anchor && proof.anchor.block,
          proof.tree_size, own.root);
        result = read.state === 'ok' ? { state: 'ok', anchor: read.anchor }
          : read.state === 'down' ? { state: 'down' } : { state: 'bad' };
      }
    } catch (e) {
      if (e && e.code === 'not_anchored_yet') {
        result = { state: 'notyet', minutes: config.anchor_every_minutes };
      } else {
        throw e;
      }
    }
  } catch (e) {
    result = { state: 'error', error: e && (e.key || e.message_en) ? e : { key: 'errNetwork' } };
  }
  if (S.session !== session) return;  // signed out meanwhile
  S.checks[seq] = result;
  draw();
}

function refreshWhenSeenAgain() {
  refreshQuietly();
}

// --- start --------------------------------------------------------------------------------
function setLang(lang) {
  S.lang = lang;
  saveLang(lang);
  draw();
}

$('f-create').addEventListener('submit', onCreate);
$('f-import').addEventListener('submit', onImport);
$('f-unlock').addEventListener('submit', onUnlock);
$('use-injected').addEventListener('click', onInjected);
$('signin').addEventListener('click', onSignIn);
$('signout').addEventListener('click', signOut);
$('lock').addEventListener('click', lock);
$('forget').addEventListener('click', forget);
$('copy').addEventListener('click', copyAddress);
$('recheck').addEventListener('click', () => guarded(refresh, false));
$('lines').addEventListener('click', (ev) => {
  const button = ev.target.closest('button[data-seq]');
  if (button) checkEntry(Number(button.dataset.seq));
});
// A loan's buttons: sign the offer, run the recompute check, check a repayment's entry.
$('loans-list').addEventListener('click', (ev) => {
  const accept = ev.target.closest('button[data-accept]');
  const check = ev.target.closest('button[data-check-loan]');
  const entry = ev.target.closest('button[data-seq]');
  if (accept) {
    guarded(async () => {
      say('offerSigning');
      await loansUi.acceptOffer(S, Number(accept.dataset.accept));
      say('offerSent');
      await loansUi.loadLoans(S, draw);
    });
  } else if (check) {
    loansUi.runCheck(S, draw, Number(check.dataset.checkLoan));
  } else if (entry) {
    checkEntry(Number(entry.dataset.seq));
  }
});
$('backup-done').addEventListener('click', () => { S.backup = null; draw(); });
$('f-link').addEventListener('submit', onLink);
$('link-again').addEventListener('click', linkAgain);
for (const b of document.querySelectorAll('[data-lang]')) {
  b.addEventListener('click', () => setLang(b.dataset.lang));
}
document.addEventListener('visibilitychange', refreshWhenSeenAgain);
setInterval(refreshQuietly, REFRESH_EVERY_MS);
if (window.ethereum && window.ethereum.on) {
  window.ethereum.on('accountsChanged', () => { if (S.injected) { lock(); signOut(); } });
}

const withReceiptUi = (act) => receiptModule().then(act, () => fail({ key: 'errNetwork' }));
$('f-struk').addEventListener('submit', (ev) => {
  ev.preventDefault();
  withReceiptUi((m) => m.checkText(S, draw, $('s-text').value));
});
$('s-photo').addEventListener('change', () => {
  const file = $('s-photo').files && $('s-photo').files[0];
  $('s-photo').value = '';
  if (file) withReceiptUi((m) => m.checkPhoto(S, draw, file));
});
const receiptLink = () => {
  if (/(^#|&)struk=/.test(window.location.hash)) withReceiptUi((m) => m.checkLink(S, draw));
};
window.addEventListener('hashchange', receiptLink);
draw();
performance.mark('ksp-usable');  // the page answers taps now (bench/bench_page_load.py)
document.documentElement.dataset.ready = '1';
receiptLink();
if (S.session) guarded(refresh, false);
else if (storedKeystore()) loadEthers().then(draw, () => {});  // checksummed address, soon
