"""The borrower's EIP-712 Acceptance, built once in the backend, is the digest the deployed
LoanAgreements checks: a signature the backend verifies is one the contract accepts."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from web3 import Web3

from ksp.chain.loan_terms import (
    acceptance_digest,
    acceptance_typed_data,
    recover_acceptance_signer,
)
from ksp.chain.runtime import ChainRuntime
from ksp.chain.sender import contract
from ksp.core.errors import InvalidInput

TERMS_HASH = "0x" + Web3.keccak(text="Perjanjian pinjaman 7: Rp 5.000.000, 12 bulan").hex(
    ).removeprefix("0x")
ACTIVE = 2
TERMS = {"loan_id": 7, "principal": 5_000_000, "rate_bps": 1_200, "method": 2,
         "tenor_months": 12, "first_due_date": 1_800_000_000, "terms_hash": TERMS_HASH}
SOME_CONTRACT = "0x" + "11" * 20


@pytest.fixture
def deployed(chain_settings):
    runtime = ChainRuntime(chain_settings)
    runtime.deploy()
    w3 = runtime.connect()
    return w3, contract(w3, runtime.deployment, "LoanAgreements")


def _register(w3, loans, borrower: str, **terms) -> None:
    t = {**TERMS, **terms}
    tx = loans.functions.register(t["loan_id"], borrower, t["principal"], t["rate_bps"],
                                  t["method"], t["tenor_months"], t["first_due_date"],
                                  t["terms_hash"]).transact()
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1


def test_digest_equals_the_contracts_and_its_signature_activates_the_loan(deployed):
    w3, loans = deployed
    borrower = Account.create()
    _register(w3, loans, borrower.address)
    deadline = w3.eth.get_block("latest")["timestamp"] + 3_600
    typed = acceptance_typed_data(w3.eth.chain_id, loans.address, deadline=deadline, **TERMS)
    signature = Account.sign_typed_data(borrower.key, full_message=typed).signature

    assert acceptance_digest(typed) == bytes(
        loans.functions.acceptanceDigest(TERMS["loan_id"], deadline).call())
    assert recover_acceptance_signer(typed, signature) == borrower.address
    tx = loans.functions.accept(TERMS["loan_id"], deadline, signature).transact()
    assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    assert loans.functions.statusOf(TERMS["loan_id"]).call() == ACTIVE


@pytest.mark.parametrize("change", [{"principal": 5_000_001}, {"rate_bps": 1_199},
                                    {"method": 1}, {"tenor_months": 24},
                                    {"first_due_date": 1_800_086_400},
                                    {"terms_hash": "0x" + "00" * 31 + "01"}])
def test_other_terms_give_another_digest_than_the_registered_loan(deployed, change):
    w3, loans = deployed
    _register(w3, loans, Account.create().address)
    deadline = 1_900_000_000
    typed = acceptance_typed_data(w3.eth.chain_id, loans.address, deadline=deadline,
                                  **{**TERMS, **change})

    assert acceptance_digest(typed) != bytes(
        loans.functions.acceptanceDigest(TERMS["loan_id"], deadline).call())


def test_the_typed_data_is_json_ready_for_a_wallet_and_names_the_domain():
    typed = acceptance_typed_data(80002, SOME_CONTRACT, deadline=1_900_000_000, **TERMS)

    assert typed["primaryType"] == "Acceptance"
    assert typed["domain"] == {"name": "KSP LoanAgreements", "version": "1", "chainId": 80002,
                               "verifyingContract": SOME_CONTRACT}
    assert typed["message"]["termsHash"] == TERMS_HASH
    assert [f["name"] for f in typed["types"]["Acceptance"]] == [
        "loanId", "principal", "rateBps", "method", "tenorMonths", "firstDueDate",
        "termsHash", "deadline"]


def test_a_hex_signature_recovers_like_bytes_and_another_signer_is_told_apart():
    typed = acceptance_typed_data(31337, SOME_CONTRACT, deadline=1_900_000_000, **TERMS)
    borrower, stranger = Account.create(), Account.create()
    signed = Account.sign_message(encode_typed_data(full_message=typed), stranger.key)

    recovered = recover_acceptance_signer(typed, "0x" + bytes(signed.signature).hex())

    assert recovered == stranger.address != borrower.address


@pytest.mark.parametrize("signature", [b"\x01" * 64, "0xzz", "0x" + "00" * 65])
def test_a_malformed_signature_is_bad_input(signature):
    typed = acceptance_typed_data(31337, SOME_CONTRACT, deadline=1_900_000_000, **TERMS)

    with pytest.raises(InvalidInput) as raised:
        recover_acceptance_signer(typed, signature)

    assert raised.value.details["field"] == "signature"


@pytest.mark.parametrize(("change", "field"), [
    ({"loan_id": 2**64}, "loanId"), ({"principal": -1}, "principal"),
    ({"rate_bps": 2**32}, "rateBps"), ({"method": 256}, "method"),
    ({"tenor_months": True}, "tenorMonths"), ({"terms_hash": "0x1234"}, "terms_hash"),
    ({"deadline": -5}, "deadline")])
def test_figures_outside_their_solidity_types_are_bad_input(change, field):
    with pytest.raises(InvalidInput) as raised:
        acceptance_typed_data(31337, SOME_CONTRACT, **{**TERMS, "deadline": 1, **change})

    assert raised.value.details["field"] == field
