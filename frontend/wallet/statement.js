// The statement as the member reads it: by posting date, then seq (a backdated entry sits
// at its date, not where it was typed), newest first, with the running balance per jenis
// recomputed in that order. The server sends them in that order too (oldest first); the
// page does not rely on it.
export function byDateNewestFirst(lines) {
  const ordered = lines.map((line, i) => ({ line, i })).sort((a, b) =>
    (a.line.tanggal < b.line.tanggal ? -1 : a.line.tanggal > b.line.tanggal ? 1 : 0)
    || a.line.seq - b.line.seq || a.i - b.i);
  const running = {};
  const withSaldo = ordered.map(({ line }) => {
    running[line.jenis] = (running[line.jenis] || 0) + line.setor - line.tarik;
    return { ...line, saldo: running[line.jenis] };
  });
  return withSaldo.reverse();
}
