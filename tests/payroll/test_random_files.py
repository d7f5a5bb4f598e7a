"""Random mixes of good and bad lines: the total posted is the sum of the good lines (the
first of each member and jenis), every other line is a reject, and the books balance."""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from ksp.bootstrap import open_database
from ksp.core import clock
from ksp.core.crypto import PiiCipher
from ksp.core.db import transaction
from ksp.ledger import chart
from ksp.ledger.models import JournalLine
from ksp.members import service as members
from ksp.payroll import service
from ksp.savings import service as savings
from ksp.savings.service import Jenis
from tests.support.factories import join, nik, registration

ACTIVE = (1, 2, 3, 4)
EXITED, CALON, UNKNOWN = 5, 6, 77


@dataclass(frozen=True)
class Row:
    kind: str  # good | unknown | exited | calon | negative | letters | short | nik
    member: int
    wajib: int
    sukarela: int

    def text(self) -> str:
        wajib = f"{self.wajib:,}".replace(",", ".")
        sukarela = str(self.sukarela) if self.sukarela else ""
        if self.kind == "negative":
            wajib = f"-{self.wajib}"
        elif self.kind == "letters":
            wajib = "lima puluh ribu"
        elif self.kind == "short":
            return f"{self.member};;{wajib}"
        who = f";{nik(self.member)}" if self.kind == "nik" else f"{self.member};"
        return f"{who};{wajib};{sukarela}"


amount = st.integers(min_value=1, max_value=10_000_000)
rows = st.one_of(
    st.builds(Row, st.sampled_from(["good", "nik"]), st.sampled_from(ACTIVE), amount,
              st.one_of(st.just(0), amount)),
    st.builds(Row, st.just("unknown"), st.just(UNKNOWN), amount, st.just(0)),
    st.builds(Row, st.just("exited"), st.just(EXITED), amount, st.just(0)),
    st.builds(Row, st.just("calon"), st.just(CALON), amount, st.just(0)),
    st.builds(Row, st.sampled_from(["negative", "letters", "short"]), st.sampled_from(ACTIVE),
              amount, st.just(0)),
)


def expected(file_rows: list[Row]) -> tuple[int, int]:
    """(amount posted, lines posted): a line whose member+jenis an earlier accepted-looking
    line already has is a duplicate, whatever its amount."""
    seen: set[tuple[int, str]] = set()
    total = lines = 0
    for row in file_rows:
        if row.kind not in ("good", "nik"):
            continue
        keys = {(row.member, "wajib")} | ({(row.member, "sukarela")} if row.sukarela else set())
        if not keys & seen:
            total += row.wajib + row.sukarela
            lines += 1
        seen |= keys
    return total, lines


def test_posted_total_is_the_sum_of_the_good_lines(settings_for_random):
    factory, cipher = settings_for_random
    periods = (f"{2000 + i // 12}-{i % 12 + 1:02d}" for i in itertools.count())

    @given(st.lists(rows, min_size=1, max_size=25))
    @settings(max_examples=30, deadline=None, database=None,
              suppress_health_check=[HealthCheck.function_scoped_fixture])
    def run(file_rows: list[Row]) -> None:
        data = ("nomor_anggota;nik;wajib;sukarela\n"
                + "\n".join(r.text() for r in file_rows) + "\n").encode()
        before = _bank(factory), _member_savings(factory)
        # A new period each time: one wajib per member and month.
        checked, reason = service.prepare(factory, cipher, data, period=next(periods),
                                          on=clock.today(), reason=None)
        with transaction(factory) as session:
            import_id = service.start(session, checked, actor="t", role="admin",
                                      file_name=None).id
        result = service.complete(factory, import_id, checked, reason, actor="t",
                                  role="admin", action="test")
        total, lines = expected(file_rows)
        assert (result["posted_amount"], result["posted_lines"]) == (total, lines)
        assert result["rejected"] == len(file_rows) - lines
        assert _bank(factory) - before[0] == total
        assert _member_savings(factory) - before[1] == total
        assert _balanced(factory)

    run()


def _bank(factory) -> int:
    with factory() as session:
        return int(session.scalar(select(func.coalesce(func.sum(JournalLine.amount), 0))
                                  .where(JournalLine.account_code == chart.BANK)))


def _member_savings(factory) -> int:
    with factory() as session:
        return sum(savings.balances(session, n)[j] for n in ACTIVE
                   for j in (Jenis.WAJIB, Jenis.SUKARELA))


def _balanced(factory) -> bool:
    with factory() as session:
        sides = dict(session.execute(select(JournalLine.side, func.sum(JournalLine.amount))
                                     .group_by(JournalLine.side)).all())
    return bool(sides["D"] == sides["C"])


@pytest.fixture
def settings_for_random(db_settings):
    _engine, factory = open_database(db_settings)
    cipher = PiiCipher(db_settings.pii_key_bytes())
    today = clock.today()
    with transaction(factory) as session:
        for serial in (*ACTIVE, EXITED):
            join(session, cipher, serial, on=today)
        savings.exit_member(session, member_number=EXITED, on=today)
        members.register(session, cipher, registration(CALON))
    yield factory, cipher
    _engine.dispose()
