// Dompet anggota KSP: the member's wallet, sign-in, savings and the on-chain proof.
// Plain browser JavaScript, no build step. ethers v6 comes from /vendor (window.ethers).
// The private key is created, encrypted and used only here; the server never sees it.

const E = window.ethers;
const KEYSTORE = 'ksp.keystore';   // localStorage: the encrypted keystore JSON, nothing else secret
const LANG = 'ksp.lang';           // localStorage: 'id' | 'en'
const SESSION = 'ksp.session';     // sessionStorage: {token, member, address}
// scrypt N = 2**14 (16 MiB): about a second on a cheap phone; ethers' default 2**17 takes ~10 s.
const SCRYPT = { N: 2 ** 14, r: 8, p: 1 };
const JENIS = ['pokok', 'wajib', 'sukarela'];
const TOKEN_ID = { pokok: 1n, wajib: 2n, sukarela: 3n };
const TOKEN_ABI = ['function balanceOf(address,uint256) view returns (uint256)'];
const CHAIN_TIMEOUT_MS = 8000;

const T = {
  id: {
    title: 'Dompet Anggota', subtitle: 'Koperasi Simpan Pinjam', skip: 'Lewati ke isi',
    walletH: 'Dompet',
    walletIntro: 'Kunci dompet disimpan hanya di HP ini, terenkripsi dengan kata sandi Anda. Server koperasi tidak pernah menerima kunci Anda.',
    useInjected: 'Pakai dompet browser', createH: 'Buat dompet baru', importH: 'Impor kunci',
    password: 'Kata sandi (min. 8 karakter)', password2: 'Ulangi kata sandi',
    secret: 'Kunci pribadi (hex) atau 12 kata pemulihan',
    createBtn: 'Buat dompet', importBtn: 'Impor dan enkripsi',
    unlockLabel: 'Kata sandi dompet', unlockBtn: 'Buka dompet',
    address: 'Alamat dompet', copy: 'Salin', copied: 'Alamat disalin.',
    signin: 'Masuk', signout: 'Keluar', lock: 'Kunci dompet', forget: 'Hapus dompet dari HP ini',
    forgetConfirm: 'Hapus dompet dari HP ini? Tanpa kunci pribadi atau 12 kata pemulihan, dompet ini tidak bisa dipulihkan.',
    signedAs: 'Masuk sebagai anggota no. {n}',
    backupH: 'Catat 12 kata pemulihan',
    backupText: 'Tulis kata-kata ini di kertas dan simpan di tempat aman. Siapa pun yang mengetahuinya bisa memakai dompet Anda. Kata-kata ini tidak ditampilkan lagi.',
    backupDone: 'Sudah saya catat',
    savingsH: 'Simpanan saya', total: 'Jumlah',
    pokok: 'Simpanan pokok', wajib: 'Simpanan wajib', sukarela: 'Simpanan sukarela',
    arrears: 'Tunggakan simpanan wajib: {a}', arrearsNone: 'Simpanan wajib lunas ({m} bulan).',
    chainH: 'Bukti di blockchain',
    chainIntro: 'Saldo token dibaca langsung oleh HP Anda dari blockchain, tidak melalui server koperasi.',
    onchain: 'Token {a}', match: '✓', matchLabel: 'sama dengan buku', waiting: 'menunggu sinkronisasi',
    chainChecking: 'Memeriksa blockchain…',
    chainDown: 'Blockchain tidak dapat dihubungi saat ini. Saldo buku besar di atas tetap berlaku.',
    chainNoContract: 'Kontrak SavingsToken belum dipasang di jaringan ini.',
    chainInfo: 'Jaringan {c} · kontrak SavingsToken {a}', recheck: 'Periksa lagi',
    statementH: 'Riwayat simpanan', noLines: 'Belum ada transaksi.', saldo: 'Saldo {s}',
    setor: 'Setoran', tarik: 'Penarikan', kembali: 'Dikembalikan (keluar)',
    loansH: 'Pinjaman', ratH: 'RAT (pemungutan suara)', notYet: 'Belum tersedia.',
    loansNote: 'Pengajuan dan angsuran pinjaman akan tampil di sini.',
    ratNote: 'Pemungutan suara Rapat Anggota Tahunan akan tampil di sini.',
    footer: 'Kunci pribadi Anda tidak pernah meninggalkan HP ini.',
    encrypting: 'Mengenkripsi dompet… {p}%', decrypting: 'Membuka dompet… {p}%',
    signing: 'Menandatangani pesan masuk…', loading: 'Memuat simpanan…',
    created: 'Dompet dibuat dan disimpan terenkripsi di HP ini.', opened: 'Dompet terbuka.',
    errPwShort: 'Kata sandi minimal 8 karakter.', errPwMismatch: 'Kedua kata sandi tidak sama.',
    errSecret: 'Bukan kunci pribadi (64 karakter hex) atau 12 kata pemulihan yang valid.',
    errWrongPw: 'Kata sandi salah.', errNoEthers: 'Pustaka dompet gagal dimuat. Muat ulang halaman.',
    errNetwork: 'Tidak dapat menghubungi server koperasi. Periksa koneksi internet.',
    errExpired: 'Sesi berakhir. Silakan masuk lagi.', errRejected: 'Permintaan ditolak di dompet.',
    errCopy: 'Tidak bisa menyalin. Tekan lama alamat untuk menyalin.',
  },
  en: {
    title: 'Member Wallet', subtitle: 'Savings & Loan Cooperative', skip: 'Skip to content',
    walletH: 'Wallet',
    walletIntro: "Your wallet key is kept only on this phone, encrypted with your password. The cooperative's server never receives your key.",
    useInjected: 'Use browser wallet', createH: 'Create a new wallet', importH: 'Import key',
    password: 'Password (min. 8 characters)', password2: 'Repeat password',
    secret: 'Private key (hex) or 12-word recovery phrase',
    createBtn: 'Create wallet', importBtn: 'Import and encrypt',
    unlockLabel: 'Wallet password', unlockBtn: 'Open wallet',
    address: 'Wallet address', copy: 'Copy', copied: 'Address copied.',
    signin: 'Sign in', signout: 'Sign out', lock: 'Lock wallet', forget: 'Remove wallet from this phone',
    forgetConfirm: 'Remove the wallet from this phone? Without the private key or the 12 recovery words it cannot be recovered.',
    signedAs: 'Signed in as member no. {n}',
    backupH: 'Write down your 12 recovery words',
    backupText: 'Write these words on paper and keep them somewhere safe. Anyone who knows them can use your wallet. They will not be shown again.',
    backupDone: 'I have written them down',
    savingsH: 'My savings', total: 'Total',
    pokok: 'Principal savings (pokok)', wajib: 'Mandatory savings (wajib)', sukarela: 'Voluntary savings (sukarela)',
    arrears: 'Mandatory savings in arrears: {a}', arrearsNone: 'Mandatory savings up to date ({m} months).',
    chainH: 'On-chain proof',
    chainIntro: "Token balances read by your phone directly from the blockchain, not through the cooperative's server.",
    onchain: 'Token {a}', match: '✓', matchLabel: 'matches the ledger', waiting: 'waiting for sync',
    chainChecking: 'Checking the blockchain…',
    chainDown: 'The blockchain cannot be reached right now. The ledger balances above still apply.',
    chainNoContract: 'The SavingsToken contract is not deployed on this network.',
    chainInfo: 'Chain {c} · SavingsToken contract {a}', recheck: 'Check again',
    statementH: 'Savings history', noLines: 'No transactions yet.', saldo: 'Balance {s}',
    setor: 'Deposit', tarik: 'Withdrawal', kembali: 'Paid back (exit)',
    loansH: 'Loans', ratH: 'Annual meeting (votes)', notYet: 'Not available yet.',
    loansNote: 'Loan applications and instalments will appear here.',
    ratNote: "Annual Members' Meeting votes will appear here.",
    footer: 'Your private key never leaves this phone.',
    encrypting: 'Encrypting the wallet… {p}%', decrypting: 'Opening the wallet… {p}%',
    signing: 'Signing the sign-in message…', loading: 'Loading savings…',
    created: 'Wallet created and stored encrypted on this phone.', opened: 'Wallet open.',
    errPwShort: 'The password needs at least 8 characters.', errPwMismatch: 'The two passwords differ.',
    errSecret: 'Not a valid private key (64 hex characters) or 12-word recovery phrase.',
    errWrongPw: 'Wrong password.', errNoEthers: 'The wallet library failed to load. Reload the page.',
    errNetwork: "Cannot reach the cooperative's server. Check the internet connection.",
    errExpired: 'Your session ended. Please sign in again.', errRejected: 'The wallet refused the request.',
    errCopy: 'Cannot copy. Long-press the address to copy it.',
  },
};

const S = {
  lang: localStorage.getItem(LANG) === 'en' ? 'en' : 'id',
  signer: null,        // ethers Wallet / HDNodeWallet / JsonRpcSigner, in memory only
  address: null,       // checksummed address of the wallet on this device
  injected: false,
  session: readSession(),
  data: null,          // {savings, statement, arrears}
  chain: null,         // {state: 'checking'|'ok'|'down'|'nocontract', ...}
  status: null,        // {key, vars}
  error: null,         // {key} or an API error body {message, message_en}
  busy: false,
  backup: null,        // recovery words, shown once after creating a wallet
};

const $ = (id) => document.getElementById(id);
const nf = new Intl.NumberFormat('id-ID', { maximumFractionDigits: 0 });
const rp = (n) => 'Rp ' + nf.format(n);

function t(key, vars = {}) {
  const s = T[S.lang][key] ?? T.id[key] ?? key;
  return s.replace(/\{(\w+)\}/g, (_, k) => String(vars[k] ?? ''));
}

function readSession() {
  try { return JSON.parse(sessionStorage.getItem(SESSION) || 'null'); } catch { return null; }
}

function storedKeystore() {
  const json = localStorage.getItem(KEYSTORE);
  if (!json) return null;
  try {
    const address = JSON.parse(json).address;
    return { json, address: E ? E.getAddress('0x' + String(address).replace(/^0x/, '')) : address };
  } catch { return null; }
}

function ddmmyyyy(iso) {
  const [y, m, d] = String(iso).split('-');
  return `${d}/${m}/${y}`;
}

function h(tag, attrs, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') el.className = v; else el.setAttribute(k, v);
  }
  for (const kid of kids) if (kid != null && kid !== false) el.append(kid);
  return el;
}

// --- feedback -------------------------------------------------------------------------
function say(key, vars) { S.status = key ? { key, vars } : null; renderMessages(); }
function fail(error) { S.error = error; S.status = null; render(); }
function errorText(e) {
  if (!e) return '';
  if (e.key) return t(e.key);
  return (S.lang === 'en' ? e.message_en : e.message) || e.message || e.message_en || String(e);
}
const progress = (key) => (p) => say(key, { p: Math.round(p * 100) });

// --- API --------------------------------------------------------------------------------
async function api(method, path, body, token) {
  const headers = { Accept: 'application/json' };
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

// --- wallet -------------------------------------------------------------------------------
function keystoreAccount(wallet) {
  const account = { address: wallet.address, privateKey: wallet.privateKey };
  if (wallet.mnemonic) {
    account.mnemonic = { entropy: wallet.mnemonic.entropy, path: wallet.path, locale: 'en' };
  }
  return account;
}

async function saveEncrypted(wallet, password) {
  const json = await E.encryptKeystoreJson(keystoreAccount(wallet), password,
    { scrypt: SCRYPT, progressCallback: progress('encrypting') });
  localStorage.setItem(KEYSTORE, json);
  S.signer = wallet;
  S.address = wallet.address;
  S.injected = false;
}

function checkPasswords(form) {
  const pw = form.password.value;
  if (pw.length < 8) throw { key: 'errPwShort' };
  if (pw !== form.password2.value) throw { key: 'errPwMismatch' };
  return pw;
}

function parseSecret(text) {
  const raw = text.trim();
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(raw)) {
    try { return new E.Wallet(raw.startsWith('0x') ? raw : '0x' + raw); } catch { /* below */ }
  }
  const words = raw.toLowerCase().split(/\s+/).filter(Boolean);
  if ([12, 15, 18, 21, 24].includes(words.length)) {
    try { return E.Wallet.fromPhrase(words.join(' ')); } catch { /* below */ }
  }
  throw { key: 'errSecret' };
}

async function guarded(work) {
  if (S.busy) return;
  if (!E) { fail({ key: 'errNoEthers' }); return; }
  S.busy = true; S.error = null; render();
  try {
    await work();
  } catch (e) {
    S.status = null;
    S.error = e && (e.key || e.message_en) ? e
      : (e && (e.code === 'ACTION_REJECTED' || e.code === 4001)) ? { key: 'errRejected' }
        : { message: String(e && e.message || e), message_en: String(e && e.message || e) };
  } finally {
    S.busy = false;
    render();
    if (S.error) $('error').scrollIntoView({ block: 'nearest' });
  }
}

function onCreate(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  guarded(async () => {
    const pw = checkPasswords(form);
    const wallet = E.Wallet.createRandom();
    await saveEncrypted(wallet, pw);
    form.reset();
    S.backup = wallet.mnemonic ? wallet.mnemonic.phrase.split(' ') : null;
    say('created');
  });
}

function onImport(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  guarded(async () => {
    const pw = checkPasswords(form);
    const wallet = parseSecret(form.secret.value);
    form.secret.value = '';  // do not keep the key in the page longer than needed
    await saveEncrypted(wallet, pw);
    form.reset();
    say('opened');
  });
}

function onUnlock(ev) {
  ev.preventDefault();
  const form = ev.currentTarget;
  guarded(async () => {
    const stored = storedKeystore();
    if (!stored) return;
    try {
      S.signer = await E.Wallet.fromEncryptedJson(stored.json, form.password.value,
        progress('decrypting'));
    } catch (e) {
      if (/password/i.test(String(e && e.message))) throw { key: 'errWrongPw' };
      throw e;
    }
    S.address = S.signer.address;
    S.injected = false;
    form.reset();
    say('opened');
  });
}

function onInjected() {
  guarded(async () => {
    const provider = new E.BrowserProvider(window.ethereum);
    await provider.send('eth_requestAccounts', []);
    S.signer = await provider.getSigner();
    S.address = E.getAddress(await S.signer.getAddress());
    S.injected = true;
    say(null);
  });
}

function onSignIn() {
  guarded(async () => {
    say('signing');
    const challenge = await api('POST', '/api/v1/wallet/challenges',
      { address: S.address, purpose: 'login' });
    const signature = await S.signer.signMessage(challenge.message);  // EIP-191 personal_sign
    const reply = await api('POST', '/api/v1/auth/wallet', { message: challenge.message, signature });
    S.session = { token: reply.token, member: reply.member, address: S.address };
    sessionStorage.setItem(SESSION, JSON.stringify(S.session));
    await loadData();
  });
}

function signOut() {
  sessionStorage.removeItem(SESSION);
  S.session = null; S.data = null; S.chain = null; S.status = null;
  render();
}

function lock() {
  S.signer = null; S.injected = false; S.backup = null;
  S.address = null;
  say(null);
  render();
}

function forget() {
  if (!window.confirm(t('forgetConfirm'))) return;
  localStorage.removeItem(KEYSTORE);
  lock();
  signOut();
}

async function copyAddress() {
  const text = $('addr').textContent;
  try {
    await navigator.clipboard.writeText(text);
    say('copied');
  } catch {
    const range = document.createRange();
    range.selectNodeContents($('addr'));
    const sel = window.getSelection();
    sel.removeAllRanges(); sel.addRange(range);
    say(document.execCommand && document.execCommand('copy') ? 'copied' : null);
    if (!S.status) fail({ key: 'errCopy' });
  }
}

// --- savings and the chain -------------------------------------------------------------
async function loadData() {
  const { token, member } = S.session;
  say('loading');
  try {
    const base = `/api/v1/members/${member}`;
    const [savings, statement, arrears] = await Promise.all([
      api('GET', `${base}/savings`, null, token),
      api('GET', `${base}/statement`, null, token),
      api('GET', `${base}/wajib-arrears`, null, token),
    ]);
    S.data = { savings, statement, arrears };
    say(null);
  } catch (e) {
    if (e.status === 401) { signOut(); throw { key: 'errExpired' }; }
    throw e;
  }
  render();
  checkChain();  // not awaited: the ledger never waits for the chain
}

function withTimeout(promise, ms) {
  return Promise.race([promise, new Promise((_, reject) =>
    setTimeout(() => reject(new Error('timeout')), ms))]);
}

async function checkChain() {
  if (!S.session || !S.data || !E) return;
  S.chain = { state: 'checking' };
  render();
  let provider = null;
  try {
    const config = await api('GET', '/api/v1/chain/config');
    const token = config.contracts && config.contracts.SavingsToken;
    if (config.chain_id == null || !config.rpc_url) { S.chain = { state: 'down' }; return; }
    if (!token) { S.chain = { state: 'nocontract' }; return; }
    provider = new E.JsonRpcProvider(config.rpc_url, config.chain_id, { staticNetwork: true });
    const contract = new E.Contract(token, TOKEN_ABI, provider);
    const owner = S.session.address;
    const values = await withTimeout(
      Promise.all(JENIS.map((j) => contract.balanceOf(owner, TOKEN_ID[j]))), CHAIN_TIMEOUT_MS);
    const balances = Object.fromEntries(JENIS.map((j, i) => [j, values[i]]));
    S.chain = { state: 'ok', chainId: config.chain_id, token, balances };
  } catch {
    S.chain = { state: 'down' };
  } finally {
    if (provider) provider.destroy();
    render();
  }
}

// --- rendering --------------------------------------------------------------------------
function renderMessages() {
  $('status').textContent = S.status ? t(S.status.key, S.status.vars) : '';
  $('error').hidden = !S.error;
  $('error').textContent = errorText(S.error);
}

function renderWallet() {
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

function chainLine(jenis, ledger) {
  const c = S.chain;
  if (!c || c.state !== 'ok') return null;
  const onchain = c.balances[jenis];
  const equal = onchain === BigInt(ledger);
  return h('span', { class: 'chainline ' + (equal ? 'ok' : 'wait'), id: `chain-${jenis}` },
    t('onchain', { a: rp(onchain) }), ' ',
    equal ? h('span', { role: 'img', 'aria-label': t('matchLabel'), title: t('matchLabel') }, t('match'))
      : `· ${t('waiting')}`);
}

function renderSavings() {
  const d = S.data;
  $('savings').hidden = !d;
  $('history').hidden = !d;
  if (!d) return;
  const b = d.savings.balances || {};
  $('balances').replaceChildren(...JENIS.map((j) => h('li', null,
    h('div', { class: 'row' }, h('span', null, t(j)),
      h('span', { class: 'amt', id: `bal-${j}` }, rp(b[j] || 0))),
    chainLine(j, b[j] || 0))));
  $('total').replaceChildren(h('span', null, t('total')), h('span', { id: 'bal-total' }, rp(d.savings.total || 0)));
  const a = d.arrears;
  $('arrears').className = a.arrears > 0 ? 'note warn' : 'note';
  $('arrears').replaceChildren(...(a.arrears > 0
    ? [t('arrears', { a: '' }), h('span', { class: 'nowrap' }, rp(a.arrears))]
    : [t('arrearsNone', { m: a.months_due })]));

  const c = S.chain;
  const status = $('chain-status');
  status.className = 'chain-status' + (c && c.state !== 'ok' && c.state !== 'checking' ? ' down' : '');
  status.textContent = !c ? '' : c.state === 'checking' ? t('chainChecking')
    : c.state === 'down' ? t('chainDown') : c.state === 'nocontract' ? t('chainNoContract')
      : t('chainInfo', { c: c.chainId, a: c.token });
  $('recheck').hidden = !c || c.state === 'checking';

  const lines = [...(d.statement.lines || [])].reverse();  // newest first
  $('lines').replaceChildren(...(lines.length ? lines.map(lineItem) : [h('li', null, t('noLines'))]));
}

function lineItem(x) {
  const action = String(x.kind).split('.').pop();
  const isIn = x.setor > 0;
  return h('li', null,
    h('span', { class: 'what' }, h('span', { class: 'date' }, ddmmyyyy(x.tanggal)),
      `${T[S.lang][action] || x.kind} · ${t(x.jenis)}`),
    h('span', { class: 'money' },
      h('span', { class: isIn ? 'in' : 'out' }, (isIn ? '+' : '−') + rp(isIn ? x.setor : x.tarik)),
      h('span', { class: 'saldo' }, t('saldo', { s: rp(x.saldo) }))));
}

function render() {
  document.documentElement.lang = S.lang;
  document.title = `${t('title')} — KSP`;
  for (const el of document.querySelectorAll('[data-i18n]')) el.textContent = t(el.dataset.i18n);
  for (const b of document.querySelectorAll('[data-lang]')) {
    b.setAttribute('aria-pressed', String(b.dataset.lang === S.lang));
  }
  for (const b of document.querySelectorAll('main button')) b.disabled = S.busy;
  $('main').setAttribute('aria-busy', String(S.busy));
  renderMessages();
  renderWallet();
  renderSavings();
}

// --- start --------------------------------------------------------------------------------
function setLang(lang) {
  S.lang = lang;
  localStorage.setItem(LANG, lang);
  render();
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
$('recheck').addEventListener('click', checkChain);
$('backup-done').addEventListener('click', () => { S.backup = null; render(); });
for (const b of document.querySelectorAll('[data-lang]')) {
  b.addEventListener('click', () => setLang(b.dataset.lang));
}
if (window.ethereum && window.ethereum.on) {
  window.ethereum.on('accountsChanged', () => { if (S.injected) { lock(); signOut(); } });
}

render();
if (!E) fail({ key: 'errNoEthers' });
else if (S.session) guarded(loadData);
