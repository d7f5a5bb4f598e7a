// The SHU member formula of backend/ksp/shu/calc.py in BigInt, pure (no DOM): shu.js and
// the tests import it.

// Integers of 16 digits or more are quoted before JSON.parse, so none is cut to a float.
export function parseExact(text) {
  return JSON.parse(text.replace(/([:[,]\s*)(-?\d{16,})(?=\s*[,\]}])/g, '$1"$2"'));
}

const big = (v) => BigInt(v);

// calc.py's member formula, exactly: SHU_a = Va/VUK·JUA + Sa/TMS·JMA as N/D in integers.
// The posted amount must be floor(N/D) or ceil(N/D) (the largest remainder gives one rupiah
// to the largest fractions); `sen` is the exact share to the sen, rounded half-up.
export function recompute(inputs) {
  const vuk = big(inputs.vuk); const tms = big(inputs.tms);
  const jua = vuk > 0n ? big(inputs.jasa_usaha) : 0n;
  const jma = tms > 0n ? big(inputs.jasa_modal) : 0n;
  const va = big(inputs.interest_paid); const sa = big(inputs.savings_base);
  const d = (vuk || 1n) * (tms || 1n);
  const n = va * (tms || 1n) * jua + sa * (vuk || 1n) * jma;
  const floor = n / d;
  const ceil = n % d === 0n ? floor : floor + 1n;
  const sen = (200n * n + d) / (2n * d);
  return { floor, ceil, sen };
}

export function matches(inputs, amount) {
  const r = recompute(inputs);
  const a = big(amount);
  return a === r.floor || a === r.ceil;
}

