"""Wajib due follows the AD/ART in force each month, read in one query."""

import datetime as dt
import os

from sqlalchemy import event

from ksp.bootstrap import open_database
from ksp.coop.service import adart_at, adart_on, adart_timeline, change_adart
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.savings import service as savings
from ksp.savings.service import Jenis
from tests.support.factories import join


def test_arrears_use_each_months_wajib_amount(settings):
    engine, factory = open_database(settings)
    cipher = PiiCipher(os.urandom(32))
    with transaction(factory) as session:
        number = join(session, cipher, 1, on=dt.date(2025, 1, 10)).number
        # The RAT raised simpanan wajib from Rp 50.000 to Rp 60.000 from July 2025.
        change_adart(session, effective_date=dt.date(2025, 7, 1),
                     changes={"simpanan_wajib": 60_000})
        savings.deposit(session, member_number=number, jenis=Jenis.WAJIB, amount=300_000,
                        on=dt.date(2025, 6, 30), reason="Buku kas 2025")

    statements: list[str] = []
    event.listen(engine, "before_cursor_execute",
                 lambda _c, _cur, sql, *_: statements.append(sql))
    with factory() as session:
        arrears = savings.wajib_arrears(session, member_number=number,
                                        as_of=dt.date(2025, 12, 31))
    assert (arrears.months_due, arrears.amount_due) == (12, 6 * 50_000 + 6 * 60_000)
    assert arrears.arrears == 360_000
    assert sum("adart_versions" in sql for sql in statements) == 1

    with factory() as session:
        timeline = adart_timeline(session)
        for day in (dt.date(2024, 1, 1), dt.date(2025, 6, 30), dt.date(2025, 7, 1)):
            assert adart_on(timeline, day) == adart_at(session, day)
