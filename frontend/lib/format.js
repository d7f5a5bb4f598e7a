// Amounts as Indonesians write them (Rp 1.250.000) and dates as dd/mm/yyyy.
const number = new Intl.NumberFormat('id-ID', { maximumFractionDigits: 0 });

// n is an integer number or a BigInt of rupiah, never a float.
export const rupiah = (n) => 'Rp ' + number.format(n);

export function ddmmyyyy(iso) {
  const [y, m, d] = String(iso).split('-');
  return `${d}/${m}/${y}`;
}
