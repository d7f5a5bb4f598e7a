"""The loan check the member's phone runs (frontend/lib/loans.js), in a real Chromium, against
the backend's own rules: the schedule recomputed with BigInt equals ksp.loans.schedule for
every method and for amounts, rates and tenors Hypothesis picks; the terms hash (RFC 8785 +
keccak256) equals ksp.loans.service.terms_hash, also for text that JSON escapes; and a
terms object altered in one figure is reported with what differs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ksp.api.app import create_app
from ksp.core.settings import Environment, Settings
from ksp.loans.schedule import Method, build_schedule
from ksp.loans.service import terms_hash
from tests.browser.guard import guarded_context
from tests.browser.test_wallet_page import browser, serve

pytestmark = pytest.mark.browser
__all__ = ["browser"]

LOAD = """async () => {
  window.loans = await import('/static/lib/loans.js');
  const { loadEthers } = await import('/static/lib/ethers.js');
  window.E = await loadEthers();
}"""
SCHEDULE = """([p, r, n, m, first]) => window.loans.buildSchedule(p, r, n, m, first).map((x) =>
  [x.number, x.due_date, String(x.pokok), String(x.jasa), String(x.outstanding_after)])"""


@pytest.fixture(scope="module")
def phone(browser: Any, tmp_path_factory: Any) -> Iterator[Any]:
    here = tmp_path_factory.mktemp("loan-check")
    settings_ = Settings(env=Environment.TEST, var_dir=here / "var",
                         deployments_dir=here / "deployments",
                         database_url=f"sqlite:///{here / 'test.sqlite3'}",
                         rpc_url="http://127.0.0.1:9")
    with serve(create_app(settings_)) as base:
        context, page, outside, problems = guarded_context(browser, (base,))
        page.goto(base + "/")
        page.evaluate(LOAD)
        yield page
        assert outside == [] and problems == []
        context.close()


def python_rows(p: int, r: int, n: int, method: str, first: dt.date) -> list[list[Any]]:
    return [[i.number, i.due_date.isoformat(), str(i.pokok), str(i.jasa),
             str(i.outstanding_after)] for i in build_schedule(p, r, n, Method(method), first)]


@pytest.mark.parametrize("method", ["flat", "declining", "annuity"])
def test_the_worked_loan_is_recomputed_exactly(phone: Any, method: str) -> None:
    first = dt.date(2026, 1, 31)  # 31 Jan, then 28 Feb, 31 Mar, 30 Apr ...
    js = phone.evaluate(SCHEDULE, [10_000_000, 1800, 12, method, first.isoformat()])
    assert js == python_rows(10_000_000, 1800, 12, method, first)
    assert js[1][1] == "2026-02-28"


@settings(max_examples=60, deadline=None)
@given(p=st.integers(1, 10**12), r=st.integers(0, 10_000), n=st.integers(1, 360),
       method=st.sampled_from(["flat", "declining", "annuity"]),
       first=st.dates(dt.date(2000, 1, 1), dt.date(2090, 12, 31)))
def test_any_schedule_is_the_backends(phone: Any, p: int, r: int, n: int, method: str,
                                      first: dt.date) -> None:
    assert phone.evaluate(SCHEDULE, [p, r, n, method, first.isoformat()]) == \
        python_rows(p, r, n, method, first)


TERMS = {"loan_id": 7, "member": 12, "borrower": "0x" + "ab" * 20, "principal": 10_000_000,
         "product": {"code": "umum", "name": "Pinjaman Umum \"Sejahtera\" – ü ✓ 𝄞", "version": 0},
         "rate_bps": 1800, "method": "annuity", "tenor_months": 12, "z": [], "a\u0001": True,
         "denda": {"basis": "angsuran", "bps_per_day": 10, "grace_days": 3}, "none": None,
         "first_due_date": "2026-02-14", "admin_fee": 100_000}


def test_the_terms_hash_is_the_backends(phone: Any) -> None:
    assert phone.evaluate("(t) => window.loans.termsHash(t, window.E)", TERMS) == \
        terms_hash(TERMS)


def test_a_changed_figure_is_reported_with_what_differs(phone: Any) -> None:
    schedule = [{"number": i.number, "due_date": i.due_date.isoformat(), "pokok": i.pokok,
                 "jasa": i.jasa, "total": i.total, "outstanding_after": i.outstanding_after}
                for i in build_schedule(10_000_000, 1800, 12, Method.ANNUITY,
                                        dt.date(2026, 2, 14))]
    terms = TERMS | {"schedule": schedule}
    signed = {"terms": terms, "terms_hash": terms_hash(terms)}
    run = """([s, l]) => {
      const r = window.loans.checkLoan(s, l, null, window.E);
      return { ok: r.ok, differences: r.differences };
    }"""
    result = phone.evaluate(run, [signed, None])
    assert result["ok"] is True and result["differences"] == []

    # The ledger's schedule says 150.001 of jasa in month 1: reported, row and figures.
    ledger = {"instalments": [dict(r) for r in schedule]}
    ledger["instalments"][0]["jasa"] = 150_001
    result = phone.evaluate(run, [signed, ledger])
    assert result["ok"] is False
    assert result["differences"] == [{"key": "ckLedgerRow", "vars": {
        "n": 1, "f": "jasa", "a": "150000", "b": "150001"}}]

    # Terms whose figure was changed after hashing: the hash no longer matches.
    forged = {"terms": terms | {"principal": 100_000_000}, "terms_hash": signed["terms_hash"]}
    differences = phone.evaluate(run, [forged, None])["differences"]
    assert differences[0]["key"] == "ckHashLedger"


def test_repayments_are_compared_with_the_chain_by_seq(phone: Any) -> None:
    schedule = [{"number": i.number, "due_date": i.due_date.isoformat(), "pokok": i.pokok,
                 "jasa": i.jasa, "total": i.total, "outstanding_after": i.outstanding_after}
                for i in build_schedule(10_000_000, 1800, 12, Method.ANNUITY,
                                        dt.date(2026, 2, 14))]
    terms = TERMS | {"schedule": schedule}
    signed = {"terms": terms, "terms_hash": terms_hash(terms)}
    chain = {"termsHash": signed["terms_hash"], "principal": 10_000_000, "rateBps": 1800,
             "method": 2, "tenorMonths": 12, "firstDueDate": 1_771_027_200,  # 2026-02-14
             "borrower": TERMS["borrower"]}
    run = """([s, c, r]) => {
      const x = window.loans.checkLoan(s, null, c, window.E, r);
      return { ok: x.ok, differences: x.differences };
    }"""
    ledger = [{"seq": 41, "amount": 916_800}, {"seq": 57, "amount": 500_000}]
    same = {"ledger": ledger, "chain": [{"seq": 41, "amount": 916_800}]}  # 57: not yet
    assert phone.evaluate(run, [signed, chain, same]) == {"ok": True, "differences": []}
    other = {"ledger": ledger, "chain": [{"seq": 41, "amount": 916_000},
                                         {"seq": 60, "amount": 1}]}
    assert phone.evaluate(run, [signed, chain, other])["differences"] == [
        {"key": "ckRepayment", "vars": {"s": "41", "a": "916800", "b": "916000"}},
        {"key": "ckRepaymentChainOnly", "vars": {"s": "60", "b": "1"}}]
    # The attack of issue 11: the chain holds other key terms than those signed and shown.
    forged = chain | {"principal": 100_000_000, "rateBps": 9999}
    assert phone.evaluate(run, [signed, forged, None])["differences"] == [
        {"key": "ckChainField", "vars": {"f": "principal", "a": "10000000", "b": "100000000"}},
        {"key": "ckChainField", "vars": {"f": "rateBps", "a": "1800", "b": "9999"}}]
