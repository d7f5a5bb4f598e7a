import brownie
import pytest
from brownie import chain
from eth_utils import keccak
from helpers import (
    ADMIN_DELAY,
    ADMIN_ROLE,
    OPERATOR_ROLE,
    PAUSER_ROLE,
    ZERO_ADDRESS,
    Domain,
    sign_typed,
    typed_digest,
)

NONE, REGISTERED, ACTIVE, REPAID, DEFAULTED, WRITTEN_OFF = range(6)
FLAT, DECLINING, ANNUITY = range(3)
TERMS = keccak(text="Perjanjian pinjaman 42: Rp 5.000.000, 12 bulan, anuitas 1% per bulan")
LOAN_ID = 42
ACCEPTANCE = [
    {"name": "loanId", "type": "uint64"},
    {"name": "termsHash", "type": "bytes32"},
    {"name": "deadline", "type": "uint256"},
]


@pytest.fixture(scope="module")
def borrower(keyholders):
    return keyholders[0]


@pytest.fixture(scope="module")
def domain(loans, chain_id):
    return Domain("KSP LoanAgreements", chain_id, loans.address)


def register(loans, operator, borrower, loan_id=LOAN_ID, **terms):
    args = {
        "principal": 5_000_000,
        "rate_bps": 1_200,
        "method": ANNUITY,
        "tenor": 12,
        "first_due": 1_800_000_000,
        "terms": TERMS,
    }
    args.update(terms)
    return loans.register(
        loan_id,
        borrower,
        args["principal"],
        args["rate_bps"],
        args["method"],
        args["tenor"],
        args["first_due"],
        args["terms"],
        {"from": operator},
    )


def acceptance(signer, domain, loan_id=LOAN_ID, terms=TERMS, deadline=None):
    deadline = deadline if deadline is not None else chain.time() + 3_600
    message = {"loanId": loan_id, "termsHash": terms, "deadline": deadline}
    return deadline, sign_typed(signer, domain, "Acceptance", ACCEPTANCE, message).signature


@pytest.fixture
def registered(loans, operator, borrower):
    register(loans, operator, borrower)


@pytest.fixture
def active(loans, registered, borrower, domain, stranger):
    deadline, signature = acceptance(borrower, domain)
    loans.accept(LOAN_ID, deadline, signature, {"from": stranger})


# --- register --------------------------------------------------------------------------------


def test_register_stores_terms_and_emits_event(loans, operator, borrower):
    tx = register(loans, operator, borrower)

    event = tx.events["LoanRegistered"][0]
    assert dict(event) == {
        "loanId": LOAN_ID,
        "borrower": borrower.address,
        "principal": 5_000_000,
        "rateBps": 1_200,
        "method": ANNUITY,
        "tenorMonths": 12,
        "firstDueDate": 1_800_000_000,
        "termsHash": "0x" + TERMS.hex(),
    }
    stored = loans.loan(LOAN_ID)
    assert stored["borrower"] == borrower
    assert stored["status"] == REGISTERED
    assert int(stored["principal"]) == 5_000_000
    assert stored["acceptedAt"] == 0 and stored["repaid"] == 0
    assert loans.statusOf(LOAN_ID) == REGISTERED


def test_register_rejects_an_existing_loan_id(loans, operator, borrower, registered, error):
    with brownie.reverts(error("LoanAgreementsAlreadyRegistered", LOAN_ID)):
        register(loans, operator, borrower)


@pytest.mark.parametrize(
    "change",
    [
        {"borrower": ZERO_ADDRESS},
        {"principal": 0},
        {"tenor": 0},
        {"terms": b"\x00" * 32},
    ],
    ids=["borrower", "principal", "tenor", "termsHash"],
)
def test_register_rejects_zero_terms(loans, operator, borrower, error, change):
    who = change.pop("borrower", borrower)
    with brownie.reverts(error("LoanAgreementsInvalidTerms", LOAN_ID)):
        register(loans, operator, who, **change)


def test_register_rejects_unknown_method(loans, operator, borrower, error):
    with brownie.reverts(error("LoanAgreementsInvalidMethod", LOAN_ID, 3)):
        register(loans, operator, borrower, method=3)


def test_only_the_operator_registers(loans, admin, stranger, borrower, error):
    for caller in (stranger, admin):
        with brownie.reverts(
            error("AccessControlUnauthorizedAccount", caller.address, OPERATOR_ROLE)
        ):
            register(loans, caller, borrower)


# --- accept ----------------------------------------------------------------------------------


def test_borrower_signature_relayed_by_anyone_activates_the_loan(
    loans, registered, borrower, domain, stranger
):
    deadline, signature = acceptance(borrower, domain)
    tx = loans.accept(LOAN_ID, deadline, signature, {"from": stranger})

    accepted = tx.events["LoanAccepted"][0]
    assert (accepted["loanId"], accepted["borrower"], accepted["termsHash"]) == (
        LOAN_ID,
        borrower,
        "0x" + TERMS.hex(),
    )
    changed = tx.events["LoanStatusChanged"][0]
    assert (changed["from"], changed["to"]) == (REGISTERED, ACTIVE)
    assert loans.statusOf(LOAN_ID) == ACTIVE
    assert loans.loan(LOAN_ID)["acceptedAt"] == tx.timestamp


def test_acceptance_digest_is_the_eip712_hash(loans, registered, domain):
    message = {"loanId": LOAN_ID, "termsHash": TERMS, "deadline": 123}
    expected = typed_digest(domain, "Acceptance", ACCEPTANCE, message)
    assert bytes(loans.acceptanceDigest(LOAN_ID, 123)) == expected
    name, version, chain_id, contract = loans.eip712Domain()[1:5]
    assert (name, version, chain_id, contract) == (
        "KSP LoanAgreements",
        "1",
        domain.chain_id,
        loans,
    )


def test_acceptance_digest_of_unknown_loan_reverts(loans, error):
    with brownie.reverts(error("LoanAgreementsUnknownLoan", 7)):
        loans.acceptanceDigest(7, 123)


def test_accept_is_not_replayable(loans, registered, borrower, domain, stranger, error):
    deadline, signature = acceptance(borrower, domain)
    loans.accept(LOAN_ID, deadline, signature, {"from": stranger})
    with brownie.reverts(error("LoanAgreementsUnexpectedStatus", LOAN_ID, ACTIVE, REGISTERED)):
        loans.accept(LOAN_ID, deadline, signature, {"from": stranger})


def test_accept_of_unknown_loan_reverts(loans, borrower, domain, stranger, error):
    deadline, signature = acceptance(borrower, domain)
    with brownie.reverts(error("LoanAgreementsUnknownLoan", LOAN_ID)):
        loans.accept(LOAN_ID, deadline, signature, {"from": stranger})


def test_accept_after_the_deadline_reverts(loans, registered, borrower, domain, stranger, error):
    deadline, signature = acceptance(borrower, domain, deadline=chain.time() + 60)
    chain.sleep(120)
    with brownie.reverts(error("LoanAgreementsSignatureExpired", LOAN_ID, deadline)):
        loans.accept(LOAN_ID, deadline, signature, {"from": stranger})


def test_accept_signed_by_someone_else_reverts(
    loans, registered, borrower, keyholders, domain, stranger, error
):
    deadline, signature = acceptance(keyholders[1], domain)
    with brownie.reverts(error("LoanAgreementsInvalidSignature", LOAN_ID, borrower.address)):
        loans.accept(LOAN_ID, deadline, signature, {"from": stranger})


@pytest.mark.parametrize(
    "tamper",
    ["chain", "contract", "loan", "terms", "deadline", "forged"],
)
def test_accept_rejects_a_signature_over_anything_else(
    loans, registered, borrower, domain, stranger, error, tamper
):
    deadline = chain.time() + 3_600
    signed_domain, loan_id, terms, signed_deadline = domain, LOAN_ID, TERMS, deadline
    if tamper == "chain":
        signed_domain = Domain(domain.name, domain.chain_id + 1, domain.verifying_contract)
    elif tamper == "contract":
        signed_domain = Domain(domain.name, domain.chain_id, stranger.address)
    elif tamper == "loan":
        loan_id = LOAN_ID + 1
    elif tamper == "terms":
        terms = keccak(text="other terms")
    elif tamper == "deadline":
        signed_deadline = deadline + 1
    _, signature = acceptance(borrower, signed_domain, loan_id, terms, signed_deadline)
    if tamper == "forged":
        signature = bytes(signature[:32]) + bytes(31) + b"\x01" + bytes(signature[64:])
    with brownie.reverts(error("LoanAgreementsInvalidSignature", LOAN_ID, borrower.address)):
        loans.accept(LOAN_ID, deadline, signature, {"from": stranger})
    assert loans.statusOf(LOAN_ID) == REGISTERED


def test_accept_of_another_deployment_signature_reverts(
    LoanAgreements, loans, admin, operator, borrower, domain, stranger, error
):
    """The same loan id and terms on a second contract: a signature for one is not for the other."""
    other = LoanAgreements.deploy(admin, operator, admin, ADMIN_DELAY, {"from": admin})
    register(other, operator, borrower)
    register(loans, operator, borrower)
    deadline, signature = acceptance(borrower, domain)
    with brownie.reverts(error("LoanAgreementsInvalidSignature", LOAN_ID, borrower.address)):
        other.accept(LOAN_ID, deadline, signature, {"from": stranger})
    loans.accept(LOAN_ID, deadline, signature, {"from": stranger})


# --- repayments --------------------------------------------------------------------------------


def test_record_repayment_accumulates_and_emits_event(loans, operator, active):
    loans.recordRepayment(LOAN_ID, 100, 450_000, {"from": operator})
    tx = loans.recordRepayment(LOAN_ID, 101, 460_000, {"from": operator})

    event = tx.events["RepaymentRecorded"][0]
    assert dict(event) == {"loanId": LOAN_ID, "seq": 101, "amount": 460_000, "totalRepaid": 910_000}
    stored = loans.loan(LOAN_ID)
    assert (int(stored["repaid"]), stored["repaymentCount"]) == (910_000, 2)
    assert loans.isApplied(100) and loans.isApplied(101) and not loans.isApplied(102)


def test_repayment_seq_is_applied_once(loans, operator, active, error):
    loans.recordRepayment(LOAN_ID, 100, 450_000, {"from": operator})
    with brownie.reverts(error("LoanAgreementsSeqAlreadyApplied", 100)):
        loans.recordRepayment(LOAN_ID, 100, 450_000, {"from": operator})


def test_repayment_of_zero_reverts(loans, operator, active, error):
    with brownie.reverts(error("LoanAgreementsZeroAmount", 100)):
        loans.recordRepayment(LOAN_ID, 100, 0, {"from": operator})


def test_repayment_needs_an_accepted_loan(loans, operator, registered, error):
    with brownie.reverts(error("LoanAgreementsUnexpectedStatus", LOAN_ID, REGISTERED, ACTIVE)):
        loans.recordRepayment(LOAN_ID, 100, 1, {"from": operator})
    with brownie.reverts(error("LoanAgreementsUnknownLoan", 7)):
        loans.recordRepayment(7, 100, 1, {"from": operator})


def test_repayment_after_default_is_recorded_but_not_after_repaid(loans, operator, active, error):
    loans.setStatus(LOAN_ID, DEFAULTED, {"from": operator})
    loans.recordRepayment(LOAN_ID, 100, 1_000, {"from": operator})
    loans.setStatus(LOAN_ID, REPAID, {"from": operator})
    with brownie.reverts(error("LoanAgreementsUnexpectedStatus", LOAN_ID, REPAID, ACTIVE)):
        loans.recordRepayment(LOAN_ID, 101, 1_000, {"from": operator})


def test_only_the_operator_records_repayments(loans, active, stranger, error):
    with brownie.reverts(
        error("AccessControlUnauthorizedAccount", stranger.address, OPERATOR_ROLE)
    ):
        loans.recordRepayment(LOAN_ID, 100, 1, {"from": stranger})


# --- status ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [[REPAID], [DEFAULTED], [DEFAULTED, WRITTEN_OFF], [DEFAULTED, REPAID]],
    ids=["active-repaid", "active-defaulted", "defaulted-writtenoff", "defaulted-repaid"],
)
def test_allowed_status_changes(loans, operator, active, path):
    current = ACTIVE
    for status in path:
        tx = loans.setStatus(LOAN_ID, status, {"from": operator})
        event = tx.events["LoanStatusChanged"][0]
        assert (event["loanId"], event["from"], event["to"]) == (LOAN_ID, current, status)
        current = status
    assert loans.statusOf(LOAN_ID) == current


@pytest.mark.parametrize(
    "path,bad",
    [
        ([], ACTIVE),
        ([], WRITTEN_OFF),
        ([], REGISTERED),
        ([], NONE),
        ([DEFAULTED], ACTIVE),
        ([DEFAULTED], DEFAULTED),
        ([REPAID], ACTIVE),
        ([REPAID], DEFAULTED),
        ([DEFAULTED, WRITTEN_OFF], REPAID),
        ([DEFAULTED, WRITTEN_OFF], ACTIVE),
    ],
)
def test_other_status_changes_are_rejected(loans, operator, active, error, path, bad):
    for status in path:
        loans.setStatus(LOAN_ID, status, {"from": operator})
    current = loans.statusOf(LOAN_ID)
    with brownie.reverts(error("LoanAgreementsInvalidTransition", LOAN_ID, current, bad)):
        loans.setStatus(LOAN_ID, bad, {"from": operator})


def test_registered_loan_becomes_active_only_by_acceptance(loans, operator, registered, error):
    for bad in (ACTIVE, REPAID, DEFAULTED):
        with brownie.reverts(error("LoanAgreementsInvalidTransition", LOAN_ID, REGISTERED, bad)):
            loans.setStatus(LOAN_ID, bad, {"from": operator})


def test_status_of_unknown_loan_cannot_change(loans, operator, error):
    with brownie.reverts(error("LoanAgreementsUnknownLoan", 7)):
        loans.setStatus(7, REPAID, {"from": operator})


def test_only_the_operator_sets_status(loans, active, stranger, error):
    with brownie.reverts(
        error("AccessControlUnauthorizedAccount", stranger.address, OPERATOR_ROLE)
    ):
        loans.setStatus(LOAN_ID, REPAID, {"from": stranger})


# --- pause -----------------------------------------------------------------------------------


def test_pause_stops_every_change(
    loans, admin, operator, pauser, registered, borrower, domain, error
):
    deadline, signature = acceptance(borrower, domain)
    loans.pause({"from": pauser})
    for call in (
        lambda: register(loans, operator, borrower, loan_id=43),
        lambda: loans.accept(LOAN_ID, deadline, signature, {"from": operator}),
        lambda: loans.recordRepayment(LOAN_ID, 1, 1, {"from": operator}),
        lambda: loans.setStatus(LOAN_ID, REPAID, {"from": operator}),
    ):
        with brownie.reverts(error("EnforcedPause")):
            call()
    loans.unpause({"from": admin})
    loans.accept(LOAN_ID, deadline, signature, {"from": operator})


def test_operator_can_neither_pause_nor_unpause(loans, operator, error):
    with brownie.reverts(error("AccessControlUnauthorizedAccount", operator.address, PAUSER_ROLE)):
        loans.pause({"from": operator})
    with brownie.reverts(error("AccessControlUnauthorizedAccount", operator.address, ADMIN_ROLE)):
        loans.unpause({"from": operator})
