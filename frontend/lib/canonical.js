// RFC 8785 canonical JSON (JCS): object keys sorted by UTF-16 code units, no whitespace,
// strings and numbers as ECMAScript's JSON.stringify writes them (the RFC's own rule). The
// RAT item's content hash is keccak256 of this text (docs/RAT.md, "Content hash").
export function canonicalJson(value) {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error('not JSON');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();  // default sort: UTF-16 code units, as RFC 8785
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
}

// The fields of an item the member signs, as the API shows the item.
export function itemContent(item) {
  return {
    kind: item.kind, title: item.title, text: item.text, figures: item.figures ?? null,
    office: item.office ?? null, seats: item.seats ?? null,
    candidates: item.candidates ?? null, threshold_bps: item.threshold_bps ?? null,
  };
}

// keccak256 of the item's canonical JSON, 0x-prefixed lower-case hex.
export function contentHash(E, item) {
  return E.keccak256(E.toUtf8Bytes(canonicalJson(itemContent(item)))).toLowerCase();
}
