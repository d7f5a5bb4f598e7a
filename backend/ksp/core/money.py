"""Money is whole rupiah in an int. The one place where rounding happens."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import NewType

from ksp.core.errors import InvalidInput

Rupiah = NewType("Rupiah", int)

# Amounts beyond this are refused as input: Rp 1 quadrillion is more than any KSP holds
# and still fits in a signed 64-bit column with room for sums.
MAX_AMOUNT = 10**15


class LossyMoney(TypeError):
    """A float (or anything not an exact integer) was used as money."""


def rupiah(value: int) -> Rupiah:
    if isinstance(value, bool) or not isinstance(value, int):
        raise LossyMoney(f"money must be an integer number of rupiah, got {type(value).__name__}")
    return Rupiah(value)


def round_half_up(value: Fraction) -> Rupiah:
    """Rounds an exact fraction of rupiah to whole rupiah, halves away from zero."""
    if value >= 0:
        return Rupiah(int((value + Fraction(1, 2)) // 1))
    return Rupiah(-int((-value + Fraction(1, 2)) // 1))


def format_rupiah(amount: int) -> str:
    """Rp 1.250.000 — Indonesian grouping with dots."""
    sign = "-" if amount < 0 else ""
    return f"{sign}Rp {abs(amount):,}".replace(",", ".")


class AmountNotUnderstood(InvalidInput):
    code = "amount_not_understood"
    message_id = ("Jumlah {text!r} tidak dapat dibaca: {reason_id}. Tulis rupiah utuh seperti "
                  "50.000, Rp 50.000 atau 50000.")
    message_en = ("Amount {text!r} not understood: {reason_en}. Write whole rupiah such as "
                  "50.000, Rp 50.000 or 50000.")


# "Rp", "Rp." or "IDR" in front; then either plain digits or dot-grouped thousands; a
# trailing ",-" or ",00" (zero sen) as on receipts. Only ASCII digits.
_PREFIX = re.compile(r"^(?:rp\.?|idr)\s*", re.IGNORECASE)
_SUFFIX = re.compile(r"(?:,-|,00)$")
_PLAIN = re.compile(r"[1-9][0-9]*")
_GROUPED = re.compile(r"[1-9][0-9]{0,2}(?:\.[0-9]{3})+")


def parse_rupiah(text: str) -> Rupiah:
    """Reads an amount the way Indonesians write it: `50.000`, `Rp 50.000`, `Rp50.000`,
    `50000`, `1.250.000` (dots group thousands; there are no sen). Anything that could mean
    two things (`50,5`, `50.00`, `5.0000`) or is not a positive amount is refused."""
    raw = text.strip()
    body = _SUFFIX.sub("", _PREFIX.sub("", raw, count=1), count=1)

    def refuse(reason_id: str, reason_en: str) -> AmountNotUnderstood:
        return AmountNotUnderstood(text=text, reason_id=reason_id, reason_en=reason_en)

    if body.startswith(("-", "\u2212")):
        raise refuse("harus lebih dari nol", "must be more than zero")
    if "," in body:
        raise refuse("koma tidak dipakai (rupiah tidak bersen; ribuan dipisah titik)",
                     "no commas (rupiah has no cents; dots separate thousands)")
    if _PLAIN.fullmatch(body):
        amount = int(body)
    elif _GROUPED.fullmatch(body):
        amount = int(body.replace(".", ""))
    elif body and set(body) <= set("0."):
        raise refuse("harus lebih dari nol", "must be more than zero")
    elif "." in body and re.fullmatch(r"[0-9.]+", body):
        raise refuse("titik harus memisahkan tiap tiga angka", "dots must group three digits")
    else:
        raise refuse("bukan angka rupiah", "not a rupiah amount")
    if amount > MAX_AMOUNT:
        raise refuse("terlalu besar", "too large")
    return Rupiah(amount)
