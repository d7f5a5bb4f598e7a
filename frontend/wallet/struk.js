// "Periksa struk / Check a receipt": the member pastes a receipt's QR text, opens a link
// /wallet#struk=<text>, or picks a photo of the QR. The phone checks the server's EIP-712
// signature against the published receipt signer, that the receipt is the member's, that
// the log entry hashes to the receipt's leaf hash, and (proof.js, chain.js) that the entry
// is under a root anchored on chain. jsQR and ethers are loaded only when needed.
import { api, chainConfig } from '../lib/api.js';
import { loadEthers } from '../lib/ethers.js';
import { rupiah } from '../lib/format.js';
import { translate } from '../lib/i18n.js';
import { parseReceipt, receiptFromHash, receiptSigner } from '../lib/receipt.js';

const JSQR_SRC = '/vendor/jsQR.js';
const MAX_SIDE = 1600;  // a phone photo is scaled down before decoding: faster, same QR

const $ = (id) => document.getElementById(id);
const short = (hex) => `${hex.slice(0, 10)}…${hex.slice(-6)}`;

// R.state: null | 'reading' | 'checking' | 'noqr' | 'invalid' | 'nosigner' | 'error' | 'done'
const R = { state: null, receipt: null, signature: null, member: null, entry: null,
            error: null, session: null };
let checks = 0;  // only the latest check may draw its result
let jsqrLoading = null;

function loadJsQR() {
  if (window.jsQR) return Promise.resolve(window.jsQR);
  if (!jsqrLoading) {
    jsqrLoading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = JSQR_SRC;
      script.onload = () => (window.jsQR ? resolve(window.jsQR) : reject(new Error('jsQR')));
      script.onerror = () => { jsqrLoading = null; script.remove(); reject(new Error('jsQR')); };
      document.head.append(script);
    });
  }
  return jsqrLoading;
}

async function decodePhoto(file) {
  const jsQR = await loadJsQR();
  const decode = typeof jsQR === 'function' ? jsQR : jsQR.default;
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const w = Math.max(1, Math.round(bitmap.width * scale));
  const h = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = w; canvas.height = h;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0, w, h);
  bitmap.close();
  const code = decode(ctx.getImageData(0, 0, w, h).data, w, h);
  return code ? code.data : null;
}

// The entry behind the receipt: its leaf hash, then its anchor, both checked here.
async function checkEntry(receipt, config, session) {
  let entry;
  try {
    entry = await api('GET', `/api/v1/log/entries/${receipt.seq}`, null, session.token);
  } catch (e) {
    if (e && e.status === 403) return { state: 'notyours' };
    if (e && e.status === 404) return { state: 'missing' };
    throw e;
  }
  const [E, { checkProof, leafHash }, { readAnchor }] = await Promise.all(
    [loadEthers(), import('../lib/proof.js'), import('../lib/chain.js')]);
  // The leaf recomputed from the entry itself, not taken from the server's word.
  if (leafHash(entry.payload, E.keccak256) !== receipt.leafHash) return { state: 'leafbad' };
  let proof;
  try {
    proof = await api('GET', `/api/v1/log/entries/${receipt.seq}/proof`, null, session.token);
  } catch (e) {
    if (e && e.code === 'not_anchored_yet') {
      return { state: 'notyet', minutes: config.anchor_every_minutes };
    }
    throw e;
  }
  const own = checkProof(proof, E.keccak256);
  if (!own.ok || own.leaf !== receipt.leafHash) return { state: 'proofbad' };
  const read = await readAnchor(config, proof.anchor && proof.anchor.block, proof.tree_size,
    own.root);
  if (read.state === 'ok') return { state: 'anchored', anchor: read.anchor };
  return { state: read.state === 'down' ? 'down' : 'proofbad' };
}

async function check(S, draw, text) {
  const mine = ++checks;
  const session = S.session;
  const show = (state) => { if (mine === checks) { Object.assign(R, state); draw(); } };
  const receipt = parseReceipt(text);
  show({ state: receipt ? 'checking' : 'invalid', receipt, signature: null, member: null,
         entry: null, error: null, session });
  if (!receipt) return;
  try {
    const [config, E] = await Promise.all([chainConfig(), loadEthers()]);
    if (!config.receipt_signer || config.chain_id == null
        || !(config.contracts && config.contracts.AnchorRegistry)) {
      show({ state: 'nosigner' });
      return;
    }
    const signer = receiptSigner(E, config, receipt);
    const valid = Boolean(signer) && E.getAddress(signer) === E.getAddress(config.receipt_signer);
    if (!valid) {
      show({ state: 'done', signature: 'bad' });
      return;
    }
    const member = !session ? null : receipt.member === session.member ? 'own' : 'other';
    show({ signature: 'ok', member });
    const entry = session ? await checkEntry(receipt, config, session) : { state: 'signin' };
    show({ state: 'done', entry });
  } catch (e) {
    show({ state: 'error', error: e && (e.key || e.message_en) ? e : { key: 'errNetwork' } });
  }
}

// One line per finding: [class, text].
function findings(S) {
  const t = (key, vars) => translate(S.lang, key, vars);
  const out = [];
  const rc = R.receipt;
  if (R.state === 'reading') return [['', t('strukReading')]];
  if (R.state === 'noqr') return [['bad', t('strukNoQr')]];
  if (R.state === 'invalid') return [['bad', t('strukInvalid')]];
  if (!rc) return out;
  out.push(['', t('strukWhat', { s: rc.seq, m: rc.member, a: rupiah(BigInt(rc.amount)) })]);
  if (R.state === 'nosigner') out.push(['wait', t('strukNoSigner')]);
  if (R.signature === 'bad') out.push(['bad', t('strukSigBad')]);
  if (R.signature === 'ok') out.push(['ok', t('strukSigOk')]);
  if (R.member === 'other') {
    out.push(['warn', t('strukOtherMember', { m: rc.member, n: R.session.member })]);
  }
  if (R.state === 'checking') out.push(['', t('strukChecking')]);
  if (R.state === 'error') {
    out.push(['bad', R.error.key ? t(R.error.key)
      : (S.lang === 'en' ? R.error.message_en : R.error.message) || R.error.message_en]);
  }
  const e = R.entry;
  if (!e) return out;
  if (e.state === 'anchored') {
    out.push(['ok', t('strukAnchored', { b: e.anchor.block, t: short(e.anchor.tx) })]);
  }
  if (e.state === 'notyet') out.push(['wait', t('strukNotYet', { m: e.minutes ?? '?' })]);
  if (e.state === 'signin') out.push(['', t('strukSignIn')]);
  if (e.state === 'leafbad') out.push(['bad', t('strukLeafBad')]);
  if (e.state === 'proofbad') out.push(['bad', t('strukProofBad')]);
  if (e.state === 'notyours') out.push(['wait', t('strukNotYours')]);
  if (e.state === 'missing') out.push(['bad', t('strukMissing')]);
  if (e.state === 'down') out.push(['wait', t('strukDown')]);
  return out;
}

export function renderReceipt(S) {
  const list = $('struk-result');
  list.replaceChildren(...findings(S).map(([cls, text]) => {
    const li = document.createElement('li');
    if (cls) li.className = cls;
    li.textContent = text;
    return li;
  }));
  list.hidden = !list.childElementCount;
}

// The section's actions; main.js loads this module when the member first uses the section
// (or opens a #struk= link), so the page's first load carries none of it.
export function checkText(S, draw, text) {
  return check(S, draw, text);
}

export async function checkPhoto(S, draw, file) {
  const mine = ++checks;
  Object.assign(R, { state: 'reading', receipt: null, signature: null, member: null,
                     entry: null, error: null });
  draw();
  let text = null;
  try { text = await decodePhoto(file); } catch { text = null; }
  if (mine !== checks) return;
  if (!text) { Object.assign(R, { state: 'noqr' }); draw(); return; }
  $('s-text').value = text;
  await check(S, draw, text);
}

// /wallet#struk=<url-encoded text>: the text is put in the field and checked at once.
export function checkLink(S, draw) {
  const text = receiptFromHash(window.location.hash);
  if (!text) return;
  $('s-text').value = text;
  $('struk').scrollIntoView({ block: 'start' });
  check(S, draw, text);
}

// After sign-in or sign-out, a receipt already shown is checked again for this member.
export function receiptSessionChanged(S, draw) {
  if (R.receipt && R.session !== S.session && R.state !== 'checking') {
    check(S, draw, $('s-text').value);
  }
}
