"""The worked year 2025 of a small cooperative, exact to the rupiah (docs/SHU.md).

Default AD/ART: fiscal year = calendar year, split 40/35/5/5/5/5/5, jasa usaha 70% of jasa
anggota, jasa modal on the average daily balance of pokok + wajib.

    member  pokok+wajib                       rupiah-days        loan        jasa paid
    A       600,000 from 2025-01-01 (365 d)   219,000,000   10,000,000    1,200,000
    B       300,000 from 2025-07-02 (183 d)    54,900,000            -            0
    C       100,000 from 2025-01-01 (365 d)    36,500,000    5,000,000      300,000

Income: jasa 1,500,000 + admin fees 150,000 (1%). Expense: salaries 300,000 + the loan-loss
provision 100,000 (1% of the 10,000,000 outstanding, both loans lancar). SHU 1,250,000.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select

from ksp.accounting import postings
from ksp.anchoring.models import AnchorRecord
from ksp.anchoring.outcomes import Status
from ksp.auth.models import Role
from ksp.core import clock
from ksp.core.db import transaction
from ksp.ledger import chart, journal, log
from ksp.loans.models import Loan, LoanRepayment, LoanStatus
from tests.support.client import KspClient
from tests.support.factories import deposit, register

TODAY = dt.datetime(2026, 2, 16, 3, 0, tzinfo=dt.UTC)  # 10:00 WIB, after the year's end
WHY = "Input buku tahun 2025"
SHU = 1_250_000
SPLIT = {"cadangan": 4000, "jasa_anggota": 3500, "pengurus": 500, "karyawan": 500,
         "pendidikan": 500, "sosial": 500, "pembangunan_daerah": 500}


def member(client: KspClient, admin: str, serial: int, joined: str, wajib: int,
           wallet: Any = None) -> int:
    number = register(client, admin, serial, wallet)
    deposit(client, admin, number, "pokok", 100_000, joined)
    if wajib:
        deposit(client, admin, number, "wajib", wajib, joined)
    return number


def _loan(session: Any, member: int, principal: int, on: dt.date,
          repayments: list[tuple[dt.date, int, int]]) -> None:
    loan = Loan(member_number=member, product_code="reguler", product_version=1,
                principal=principal, rate_bps=1200, method="flat", tenor_months=12,
                admin_fee=principal // 100, purpose="Modal usaha", status=LoanStatus.AKTIF,
                applied_on=on, applied_by="pengurus", disbursed_on=on)
    session.add(loan)
    session.flush()
    postings.post(session, postings.LoanDisbursement(member, loan.id, principal,
                                                     principal // 100), on=on, reason=WHY)
    for paid_on, jasa, pokok in repayments:
        entry = postings.post(session, postings.LoanRepayment(member, loan.id, 0, jasa, pokok),
                              on=paid_on, reason=WHY)
        session.add(LoanRepayment(loan_id=loan.id, seq=entry.seq, paid_on=paid_on,
                                  amount=jasa + pokok, denda=0, jasa=jasa, pokok=pokok,
                                  channel="teller"))
    session.flush()


def build_year(client: KspClient, *, provision: bool = True, wallet_a: Any = None
               ) -> dict[str, int]:
    """Members A (with `wallet_a`, if given), B, C and their loans through 2025 (module
    doc); their numbers."""
    admin = client.staff(Role.ADMIN)
    numbers = {"A": member(client, admin, 1, "2025-01-01", 500_000, wallet_a),
               "B": member(client, admin, 2, "2025-07-02", 200_000),
               "C": member(client, admin, 3, "2025-01-01", 0)}
    with transaction(client.app.state.sessionmaker) as session:
        _loan(session, numbers["A"], 10_000_000, dt.date(2025, 2, 1),
              [(dt.date(2025, 6, 30), 600_000, 2_000_000),
               (dt.date(2025, 12, 1), 600_000, 2_000_000)])
        _loan(session, numbers["C"], 5_000_000, dt.date(2025, 3, 1),
              [(dt.date(2025, 9, 1), 300_000, 1_000_000)])
        journal.post(session, entry_date=dt.date(2025, 12, 20), kind="beban.gaji",
                     memo="Gaji pengelola", legs=[journal.debit(chart.BEBAN_GAJI, 300_000),
                                                  journal.credit(chart.KAS, 300_000)],
                     reason=WHY)
        if provision:
            postings.post(session, postings.LoanProvision(100_000), on=dt.date(2025, 12, 31),
                          reason=WHY)
    return numbers


def rat_approves(client: KspClient, figures: dict[str, Any], figures_hash: str,
                 year: int = 2025, anchor: bool = True, decision: str = "diterima",
                 **changes: Any) -> int:
    """Stands for the RAT: its result for the SHU agenda item as `record_results` writes it
    (the item's figures and the proposal hash they carry); with `anchor`, also for the
    anchor job: a final anchor covering it. tests/shu/test_through_rat.py holds the real
    meeting."""
    with transaction(client.app.state.sessionmaker) as session:
        seq = log.append(session, "rat.hasil", {
            "meeting": 1, "position": 0, "kind": "shu", "content_hash": "0x" + "c" * 64,
            # three members voted online for it, as the auditor's RAT check reads a result
            "online": [0, 3, 0], "replaced": [0, 0, 0], "in_person": [0, 0, 0],
            "total": [0, 3, 0], "eligible": 3, "participants": 3, "quorum_bps": 5000,
            "quorum_reached": True,
            "decision": decision, "fiscal_year": year, "figures": {**figures, **changes},
            "figures_hash": figures_hash}).seq
        if anchor:
            anchor_log(session)
        return seq


def anchor_log(session: Any) -> None:
    """Stands for the anchor job: a final anchor covering the whole log."""
    size, root = log.current_root(session)
    count = session.scalar(select(func.count()).select_from(AnchorRecord)) or 0
    session.add(AnchorRecord(tree_size=size, root=root, chain_id=31337,
                             registry_address="0x" + "5" * 40, anchor_index=count,
                             tx_hash="0x" + "a" * 64, block_number=1,
                             status=Status.CONFIRMED, created_at=clock.now()))


def frozen() -> Any:
    clock.freeze(TODAY)
