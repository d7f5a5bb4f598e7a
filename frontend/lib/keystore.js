// The member's key: created or imported here, kept only as an encrypted keystore in
// localStorage, and decrypted into memory with the member's password.
import { ethers } from './ethers.js';

const KEYSTORE = 'ksp.keystore';  // localStorage: the encrypted keystore JSON, nothing else secret
// scrypt N = 2**14 (16 MiB): about a second on a cheap phone; ethers' default 2**17 takes ~10 s.
const SCRYPT = { N: 2 ** 14, r: 8, p: 1 };
const PHRASE_LENGTHS = [12, 15, 18, 21, 24];
export const MIN_PASSWORD = 8;

// {json, address} of the keystore on this device, or null.
export function storedKeystore() {
  const json = localStorage.getItem(KEYSTORE);
  if (!json) return null;
  try {
    const address = JSON.parse(json).address;
    const E = ethers();  // until ethers is loaded, the address is shown in lower case
    const hex = '0x' + String(address).replace(/^0x/, '').toLowerCase();
    return { json, address: E ? E.getAddress(hex) : hex };
  } catch { return null; }
}

export function forgetStored() {
  localStorage.removeItem(KEYSTORE);
}

export function checkPasswords(password, repeat) {
  if (password.length < MIN_PASSWORD) throw { key: 'errPwShort' };
  if (password !== repeat) throw { key: 'errPwMismatch' };
  return password;
}

function keystoreAccount(wallet) {
  const account = { address: wallet.address, privateKey: wallet.privateKey };
  if (wallet.mnemonic) {
    account.mnemonic = { entropy: wallet.mnemonic.entropy, path: wallet.path, locale: 'en' };
  }
  return account;
}

// Encrypts the wallet with the password and stores it; onProgress gets 0..1.
export async function saveEncrypted(wallet, password, onProgress) {
  const json = await ethers().encryptKeystoreJson(keystoreAccount(wallet), password,
    { scrypt: SCRYPT, progressCallback: onProgress });
  localStorage.setItem(KEYSTORE, json);
}

export async function openStored(password, onProgress) {
  const stored = storedKeystore();
  if (!stored) return null;
  try {
    return await ethers().Wallet.fromEncryptedJson(stored.json, password, onProgress);
  } catch (e) {
    if (/password/i.test(String(e && e.message))) throw { key: 'errWrongPw' };
    throw e;
  }
}

// A new random wallet and its recovery words (shown once).
export function createWallet() {
  const wallet = ethers().Wallet.createRandom();
  return { wallet, words: wallet.mnemonic ? wallet.mnemonic.phrase.split(' ') : null };
}

// A private key in hex (with or without 0x) or a BIP-39 recovery phrase.
export function parseSecret(text) {
  const E = ethers();
  const raw = text.trim();
  if (/^(0x)?[0-9a-fA-F]{64}$/.test(raw)) {
    try { return new E.Wallet(raw.startsWith('0x') ? raw : '0x' + raw); } catch { /* below */ }
  }
  const words = raw.toLowerCase().split(/\s+/).filter(Boolean);
  if (PHRASE_LENGTHS.includes(words.length)) {
    try { return E.Wallet.fromPhrase(words.join(' ')); } catch { /* below */ }
  }
  throw { key: 'errSecret' };
}

// The browser's own wallet (window.ethereum), if the member prefers it.
export async function injectedSigner() {
  const E = ethers();
  const provider = new E.BrowserProvider(window.ethereum);
  await provider.send('eth_requestAccounts', []);
  const signer = await provider.getSigner();
  return { signer, address: E.getAddress(await signer.getAddress()) };
}
