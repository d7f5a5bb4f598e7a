// Page truth: the ledger's figures and the chain's, read in one refresh and compared here.
// "Waiting for sync" only when the chain really lags: the figures differ AND the ledger says
// some of the member's entries are still on their way to the chain (pending_on_chain).
// A difference with nothing on its way is no lag: it is reported as a mismatch.
import { rupiah } from '../lib/format.js';
import { translate } from '../lib/i18n.js';

// savings: GET /members/{n}/savings; chain: lib/chain.js readSavingsTokens (or checking).
// Returns {state: 'checking'|'down'|'nocontract'|'match'|'waiting'|'differs',
//          behind: {jenis: ledger - chain as BigInt}, entries}.
export function compare(savings, chain) {
  if (!savings || !chain || chain.state === 'checking') return { state: 'checking', behind: {} };
  if (chain.state !== 'ok') return { state: chain.state, behind: {} };
  const behind = {};
  for (const [jenis, ledger] of Object.entries(savings.balances || {})) {
    if (!(jenis in chain.balances)) continue;
    const gap = BigInt(ledger) - BigInt(chain.balances[jenis]);
    if (gap !== 0n) behind[jenis] = gap;
  }
  if (!Object.keys(behind).length) return { state: 'match', behind };
  const entries = savings.pending_on_chain || 0;
  return { state: entries > 0 ? 'waiting' : 'differs', behind, entries };
}

const signed = (gap) => (gap < 0n ? '−' + rupiah(-gap) : rupiah(gap));

// The chain's figure beside one ledger balance, or null while the chain is not read.
export function chainFigure(S, jenis) {
  const t = (key, vars) => translate(S.lang, key, vars);
  const c = S.chain;
  if (!c || c.state !== 'ok' || !(jenis in c.balances)) return null;
  const truth = compare(S.data && S.data.savings, c);
  const gap = truth.behind[jenis];
  const text = [t('onchain', { a: rupiah(c.balances[jenis]) }), ' '];
  let cls = 'ok';
  if (gap === undefined) {
    text.push(t('match'));
  } else if (truth.state === 'waiting') {
    cls = 'wait';
    text.push(`· ${t('waitingBy', { a: signed(gap) })}`);
  } else {
    cls = 'bad';
    text.push(`· ${t('differs')}`);
  }
  return { cls, text, matches: gap === undefined };
}

// One sentence for the whole comparison: ✓, waiting (how far behind) or mismatch; an
// unreachable chain is said by the chain status line, with no sentence here.
export function syncSentence(S) {
  const t = (key, vars) => translate(S.lang, key, vars);
  const truth = compare(S.data && S.data.savings, S.chain);
  if (truth.state === 'match') return { cls: 'ok', text: t('syncMatch') };
  if (truth.state === 'waiting') {
    const a = Object.entries(truth.behind)
      .map(([j, gap]) => t('behindIn', { a: signed(gap), j: t(j) })).join(', ');
    return { cls: 'wait', text: truth.entries === 1 ? t('syncWaiting1', { a })
      : t('syncWaiting', { a, n: truth.entries }) };
  }
  if (truth.state === 'differs') return { cls: 'bad', text: t('syncDiffers') };
  return null;
}
