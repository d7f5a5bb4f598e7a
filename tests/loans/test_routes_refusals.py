"""Bad input, each a 4xx with its stable code in both languages, and nothing written: the
log, the journal, the loan tables and the chain outbox are the same before and after."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from sqlalchemy import func, select

from ksp.chain.outbox import OutboxItem
from ksp.core import clock
from ksp.loans.models import Loan, LoanCollateral, LoanDecision, LoanGuarantor, LoanRepayment
from tests.loans.world import make_world
from tests.support.client import new_wallet
from tests.support.rows import COUNTED

TABLES = {**COUNTED, "loans": Loan, "loan_decisions": LoanDecision,
          "loan_repayments": LoanRepayment, "loan_collateral": LoanCollateral,
          "loan_guarantors": LoanGuarantor, "chain_outbox": OutboxItem}


@pytest.fixture
def world(db_settings, monkeypatch):
    w = make_world(db_settings, monkeypatch)
    w.n = w.member(1)
    w.at("2026-01-15")
    yield w
    clock.freeze(None)


def counts(world):
    with world.client.app.state.sessionmaker() as session:
        return {name: int(session.scalar(select(func.count()).select_from(model)) or 0)
                for name, model in TABLES.items()}


def refused(world, reply_of, status, code):
    """Calls `reply_of()` and checks the refusal and that nothing was written."""
    before = counts(world)
    reply = reply_of()
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert body["code"] == code and body["message"] and body["message_en"], body
    assert counts(world) == before
    return body


def test_tenor_or_rate_outside_the_product(world):
    n = world.n
    base = {"member": n, "product": "umum", "principal": 10_000_000, "purpose": "Modal"}
    body = refused(world, lambda: world.post("/api/v1/loans", base | {"tenor_months": 48},
                                             f"anggota:{n}"), 422, "tenor_outside_product")
    assert body["message_en"] == "A tenor of 48 months is outside the product (1–36 months)."
    body = refused(world, lambda: world.post(
        "/api/v1/loans", base | {"tenor_months": 12, "rate_bps": 3000}, "petugas"),
        422, "rate_outside_product")
    assert body["message"] == "Bunga (jasa) 30% di luar produk (12%–24%)."


def test_a_member_applies_only_for_themself(world):
    other = world.member(2)
    refused(world, lambda: world.post("/api/v1/loans", {
        "member": other, "principal": 1_000_000, "tenor_months": 12, "purpose": "Modal"},
        f"anggota:{world.n}"), 403, "not_the_borrower")


def test_above_bmpp_is_refused_at_approval(world):
    world.ok(world.put("/api/v1/loan-products/kecil", {
        "effective_date": "2026-01-01",
        "rules": {"name": "Pinjaman kecil", "rate_min_bps": 1800, "rate_max_bps": 1800,
                  "tenor_min": 12, "tenor_max": 12, "bmpp": 15_000_000}}, "ketua"))
    first = world.approved(world.n, product="kecil")  # Rp 10.000.000 approved, not paid out
    second = world.apply(world.n, product="kecil", principal=6_000_000)
    world.ok(world.post(f"/api/v1/loans/{second}/propose", {}, "petugas"))
    body = refused(world, lambda: world.post(f"/api/v1/loans/{second}/approve", {}, "ketua"),
                   409, "above_bmpp")
    assert body["message"] == ("Melebihi batas maksimum pemberian pinjaman (BMPP) "
                               "Rp 15.000.000: sisa pinjaman Rp 10.000.000 ditambah "
                               "Rp 6.000.000.")
    assert first != second


def test_approval_by_the_proposer(world):
    loan = world.apply(world.n)
    world.ok(world.post(f"/api/v1/loans/{loan}/propose", {}, "ketua"))
    body = refused(world, lambda: world.post(f"/api/v1/loans/{loan}/approve", {}, "ketua"),
                   409, "approver_is_proposer")
    assert body["details"] == {"actor": "ketua"}
    refused(world, lambda: world.post(f"/api/v1/loans/{loan}/approve", {}, "petugas"),
            403, "forbidden")  # a loan officer (admin) does not approve
    refused(world, lambda: world.post(f"/api/v1/loans/{loan}/approve", {}, "pengawas"),
            409, "pengawas_not_needed")


def _make_related(world, number):
    world.ok(world.put(f"/api/v1/members/{number}/related-party",
                       {"related_party": "pengurus"}, "ketua"))


def test_related_party_needs_pengawas_and_stays_under_the_cap(world):
    """Own capital is pokok 100.000 + wajib 650.000 = Rp 750.000, so the cap (10%) is
    Rp 75.000: a related-party loan of Rp 80.000 is over it, one of Rp 70.000 is not."""
    _make_related(world, world.n)
    over = world.apply(world.n, principal=80_000, tenor_months=1)
    world.ok(world.post(f"/api/v1/loans/{over}/propose", {}, "petugas"))
    first = world.ok(world.post(f"/api/v1/loans/{over}/approve", {}, "ketua"))
    assert (first["final"], first["loan"]["status"]) == (False, "diusulkan")
    body = refused(world, lambda: world.post(f"/api/v1/loans/{over}/approve", {}, "pengawas"),
                   409, "related_party_cap")
    assert body["details"]["cap"] == "Rp 75.000" and body["details"]["capital"] == "Rp 750.000"

    under = world.apply(world.n, principal=70_000, tenor_months=1)
    world.ok(world.post(f"/api/v1/loans/{under}/propose", {}, "petugas"))
    world.ok(world.post(f"/api/v1/loans/{under}/approve", {}, "pengawas"))
    done = world.ok(world.post(f"/api/v1/loans/{under}/approve", {}, "bendahara"))
    assert (done["final"], done["loan"]["status"]) == (True, "disetujui")
    assert [(d["actor"], d["role"]) for d in done["loan"]["decisions"][-2:]] == [
        ("pengawas", "pengawas"), ("bendahara", "pengurus")]


def test_disbursement_before_the_acceptance_is_on_chain(world):
    loan = world.approved(world.n)
    path = f"/api/v1/loans/{loan}/disbursement"
    refused(world, lambda: world.post(path, {}, "petugas"), 409, "invalid_loan_state")
    world.ok(world.post(f"/api/v1/loans/{loan}/acceptance", world.sign(loan, world.n),
                        f"anggota:{world.n}"))
    body = refused(world, lambda: world.post(path, {}, "petugas"), 409,
                   "loan_not_accepted_on_chain")
    assert "belum tercatat di rantai" in body["message"]
    world.mark_included(loan)
    world.at("2026-02-15")  # the first instalment's day: the signed schedule no longer fits
    refused(world, lambda: world.post(path, {}, "petugas"), 409, "offer_expired")
    world.at("2026-02-14")
    world.ok(world.post(path, {}, "petugas"), 201)


def test_acceptance_signed_by_someone_else_or_for_other_terms(world):
    loan = world.approved(world.n)
    me = f"anggota:{world.n}"
    path = f"/api/v1/loans/{loan}/acceptance"
    stranger = new_wallet()
    refused(world, lambda: world.post(path, world.sign(loan, world.n, key=stranger), me),
            422, "acceptance_signer_mismatch")

    # The member's own wallet, but over Rp 100.000.000 at 99,99% (the attack of issue #11).
    until = int(clock.now().timestamp()) + 86_400
    typed = world.ok(world.get(f"{path}?deadline={until}", me))["typed_data"]
    typed["message"] |= {"principal": 100_000_000, "rateBps": 9999}
    signed = Account.sign_message(encode_typed_data(full_message=typed),
                                  world.wallets[world.n].key)
    other_terms = {"deadline": until, "signature": "0x" + signed.signature.hex()}
    refused(world, lambda: world.post(path, other_terms, me), 422, "acceptance_signer_mismatch")

    too_late = world.sign(loan, world.n,
                          deadline=int(clock.now().timestamp()) + 31 * 86_400)
    refused(world, lambda: world.post(path, too_late, me), 422, "acceptance_deadline_invalid")
    refused(world, lambda: world.post(path, world.sign(loan, world.n), "petugas"),
            403, "forbidden")  # staff do not sign for the member
    world.ok(world.post(path, world.sign(loan, world.n), me))


def test_repayment_to_a_closed_loan_and_overpayment(world):
    loan = world.approved(world.n)
    world.accepted(loan, world.n)
    world.ok(world.post(f"/api/v1/loans/{loan}/disbursement", {}, "petugas"), 201)
    path = f"/api/v1/loans/{loan}/repayments"
    refused(world, lambda: world.post(path, {"amount": 10_000_001}, "petugas"), 422,
            "overpayment")
    # Nothing is due on the day it is paid out: the whole principal closes it, no jasa.
    done = world.ok(world.post(path, {"amount": 10_000_000}, "petugas"), 201)
    assert (done["jasa"], done["pokok"], done["status"]) == (0, 10_000_000, "lunas")
    body = refused(world, lambda: world.post(path, {"amount": 1000}, "petugas"), 409,
                   "loan_closed")
    assert body["message_en"] == f"Loan {loan} is closed (lunas); it takes no repayment."


def test_a_member_sees_only_their_own_loans(world):
    loan = world.apply(world.n)
    other = world.member(2)
    refused(world, lambda: world.get(f"/api/v1/loans/{loan}", f"anggota:{other}"), 404,
            "unknown_loan")
    refused(world, lambda: world.get(f"/api/v1/members/{world.n}/loans", f"anggota:{other}"),
            403, "forbidden")
    refused(world, lambda: world.get(f"/api/v1/loans/{loan}/assessment", f"anggota:{other}"),
            403, "forbidden")


def test_collateral_and_guarantors(world):
    """A product that requires agunan refuses approval without it; with it, the agunan and
    the guarantor are in the signed terms, and both are released when the loan is repaid."""
    world.ok(world.put("/api/v1/loan-products/agunan", {
        "effective_date": "2026-01-01",
        "rules": {"name": "Pinjaman beragunan", "rate_min_bps": 1800, "rate_max_bps": 1800,
                  "tenor_min": 12, "tenor_max": 12, "collateral_required": True}}, "ketua"))
    bare = world.apply(world.n, product="agunan")
    world.ok(world.post(f"/api/v1/loans/{bare}/propose", {}, "petugas"))
    refused(world, lambda: world.post(f"/api/v1/loans/{bare}/approve", {}, "ketua"), 409,
            "collateral_required")
    base = {"member": world.n, "product": "agunan", "principal": 10_000_000,
            "tenor_months": 12, "purpose": "Modal"}
    refused(world, lambda: world.post("/api/v1/loans", base | {"guarantors": [world.n]},
                                      "petugas"), 422, "invalid_input")
    refused(world, lambda: world.post("/api/v1/loans", base | {"guarantors": [999]},
                                      "petugas"), 404, "unknown_member")
    other = world.member(2)
    bpkb = {"kind": "BPKB", "document_number": "L-1234-AB", "appraised_value": 15_000_000}
    loan = world.approved(world.n, product="agunan", collateral=[bpkb], guarantors=[other])
    terms = world.ok(world.get(f"/api/v1/loans/{loan}/terms", "petugas"))["terms"]
    assert (terms["collateral"], terms["guarantors"]) == ([bpkb], [other])
    consent = f"/api/v1/loans/{loan}/guarantors/{other}/consent"
    typed = world.ok(world.get(consent, f"anggota:{other}"))["typed_data"]
    signed = Account.sign_message(encode_typed_data(full_message=typed), world.wallets[other].key)
    world.ok(world.post(consent, {"signature": "0x" + signed.signature.hex().removeprefix("0x")},
                        f"anggota:{other}"))
    world.accepted(loan, world.n)
    world.ok(world.post(f"/api/v1/loans/{loan}/disbursement", {}, "petugas"), 201)
    world.ok(world.post(f"/api/v1/loans/{loan}/repayments", {"amount": 10_000_000},
                        "petugas"), 201)
    with world.client.app.state.sessionmaker() as session:
        released = {c.released_on for c in session.scalars(select(LoanCollateral))} | {
            g.released_on for g in session.scalars(select(LoanGuarantor))}
    assert released == {clock.today()}


def test_no_approval_for_a_member_who_left(world):
    loan = world.apply(world.n)
    world.ok(world.post(f"/api/v1/loans/{loan}/propose", {}, "petugas"))
    world.ok(world.post(f"/api/v1/members/{world.n}/exit", {}, "ketua"))
    refused(world, lambda: world.post(f"/api/v1/loans/{loan}/approve", {}, "bendahara"),
            409, "member_not_active")
