"""The SavingsToken id of each jenis, as the wallet page and the API name them. Derived
from the one table in ksp.ledger.chart (ids by account); nothing else lists the ids."""

from __future__ import annotations

from typing import Final

from ksp.ledger.chart import SAVINGS_TOKEN_IDS
from ksp.savings.service import ACCOUNT

TOKEN_ID_BY_JENIS: Final[dict[str, int]] = {
    jenis.value: SAVINGS_TOKEN_IDS[code] for jenis, code in ACCOUNT.items()
}
