"""A guarantor (penjamin) consents by their own signature: the EIP-712 GuarantorConsent over
the registered terms, signed by their linked wallet. The member's acceptance is refused until
every guarantor has consented; a wrong signer, another member or a second consent is refused
with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from sqlalchemy import select

from ksp.chain import eip712
from ksp.core import clock
from ksp.loans.models import LoanGuarantor
from tests.loans.test_routes_refusals import refused
from tests.loans.world import DOMAIN, make_world
from tests.support.client import new_wallet


@pytest.fixture
def world(db_settings, monkeypatch):
    w = make_world(db_settings, monkeypatch)
    w.n = w.member(1)
    w.g1 = w.member(2)
    w.g2 = w.member(3)
    w.at("2026-01-15")
    yield w
    clock.freeze(None)


def _signed(world, loan, guarantor, *, key=None):
    path = f"/api/v1/loans/{loan}/guarantors/{guarantor}/consent"
    typed = world.ok(world.get(path, f"anggota:{guarantor}"))["typed_data"]
    signed = Account.sign_message(encode_typed_data(full_message=typed),
                                  (key or world.wallets[guarantor]).key)
    return {"signature": "0x" + signed.signature.hex().removeprefix("0x")}


def test_acceptance_waits_for_every_guarantors_signed_consent(world):
    n, g1, g2 = world.n, world.g1, world.g2
    loan = world.approved(n, guarantors=[g2, g1])
    for who in (n, g1, g2):  # signed in before counting rows
        world.token(f"anggota:{who}")
    terms_hash = world.ok(world.get(f"/api/v1/loans/{loan}", "petugas"))["terms_hash"]
    path = f"/api/v1/loans/{loan}/guarantors/{g1}/consent"
    # What the guarantor signs: their number and the registered terms, in the loan domain.
    shown = world.ok(world.get(path, f"anggota:{g1}"))
    assert shown["typed_data"] == {
        "types": {"EIP712Domain": eip712.EIP712_DOMAIN_FIELDS,
                  "GuarantorConsent": [{"name": "loanId", "type": "uint64"},
                                       {"name": "guarantor", "type": "uint64"},
                                       {"name": "termsHash", "type": "bytes32"}]},
        "primaryType": "GuarantorConsent",
        "domain": {"name": "KSP LoanAgreements", "version": "1", "chainId": DOMAIN.chain_id,
                   "verifyingContract": DOMAIN.contract},
        "message": {"loanId": loan, "guarantor": g1, "termsHash": terms_hash}}
    assert shown["consented_at"] is None
    assert world.ok(world.get(f"/api/v1/loans/{loan}", "petugas"))["guarantors"] == [
        {"member": g1, "consented_at": None, "released_on": None},
        {"member": g2, "consented_at": None, "released_on": None}]

    body = refused(world, lambda: world.post(f"/api/v1/loans/{loan}/acceptance",
                                             world.sign(loan, n), f"anggota:{n}"),
                   409, "guarantor_consent_missing")
    assert body["message_en"] == (
        f"Guarantor(s) {g1}, {g2} have not signed their consent to loan {loan} yet; the "
        "member accepts once every guarantor has consented.")

    consent1 = _signed(world, loan, g1)
    given = world.ok(world.post(path, consent1, f"anggota:{g1}"))
    assert dt.datetime.fromisoformat(given["consented_at"]) == clock.now()
    assert world.ok(world.get(path, f"anggota:{g1}"))["typed_data"] is None
    body = refused(world, lambda: world.post(f"/api/v1/loans/{loan}/acceptance",
                                             world.sign(loan, n), f"anggota:{n}"),
                   409, "guarantor_consent_missing")
    assert body["message"] == (
        f"Penjamin {g2} belum menandatangani persetujuan atas pinjaman {loan}; anggota "
        "menerima pinjaman setelah semua penjamin setuju.")

    consent2 = _signed(world, loan, g2)
    world.ok(world.post(f"/api/v1/loans/{loan}/guarantors/{g2}/consent", consent2,
                        f"anggota:{g2}"))
    world.accepted(loan, n)
    out = world.ok(world.get(f"/api/v1/loans/{loan}", f"anggota:{n}"))
    assert [(g["member"], g["consented_at"] is not None) for g in out["guarantors"]] == [
        (g1, True), (g2, True)]
    decisions = out["decisions"]
    assert [(d["action"], d["actor"]) for d in decisions][-3:] == [
        ("jamin", f"anggota:{g1}"), ("jamin", f"anggota:{g2}"), ("terima", f"anggota:{n}")]
    with world.client.app.state.sessionmaker() as session:
        rows = session.scalars(select(LoanGuarantor).where(LoanGuarantor.loan_id == loan)
                               .order_by(LoanGuarantor.member_number)).all()
    assert [(r.member_number, r.consent_signature) for r in rows] == [
        (g1, consent1["signature"]), (g2, consent2["signature"])]


def test_wrong_signer_another_member_or_a_second_consent_write_nothing(world):
    n, g1, g2 = world.n, world.g1, world.g2
    loan = world.approved(n, guarantors=[g1])
    path = f"/api/v1/loans/{loan}/guarantors/{g1}/consent"
    for who in (n, g1, g2):  # signed in before counting rows
        world.token(f"anggota:{who}")
    # Signed by another key (here the borrower's own wallet), posted by the guarantor.
    body = refused(world, lambda: world.post(path, _signed(world, loan, g1,
                                                           key=world.wallets[n]),
                                             f"anggota:{g1}"), 422, "guarantor_signer_mismatch")
    assert body["message_en"] == (
        f"The signature does not match: it is not the wallet of guarantor {g1} over the "
        f"registered terms of loan {loan}.")
    refused(world, lambda: world.post(path, _signed(world, loan, g1, key=new_wallet()),
                                      f"anggota:{g1}"), 422, "guarantor_signer_mismatch")
    # The borrower cannot consent for their guarantor; an unrelated member sees no loan.
    refused(world, lambda: world.post(path, _signed(world, loan, g1), f"anggota:{n}"),
            403, "not_the_guarantor")
    refused(world, lambda: world.post(path, _signed(world, loan, g1), f"anggota:{g2}"),
            404, "unknown_loan")
    refused(world, lambda: world.post(f"/api/v1/loans/{loan}/guarantors/{g2}/consent",
                                      _signed(world, loan, g1), f"anggota:{g2}"),
            404, "unknown_guarantor")
    refused(world, lambda: world.get(path, f"anggota:{g2}"), 404, "unknown_loan")

    world.ok(world.post(path, _signed(world, loan, g1), f"anggota:{g1}"))
    refused(world, lambda: world.post(path, {"signature": "0x" + "11" * 65}, f"anggota:{g1}"), 409,
            "guarantor_already_consented")
