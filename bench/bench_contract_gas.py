"""Gas of the member-facing contracts, from receipts, next to a stock OpenZeppelin Governor.

Figures per item are receipt gas / items, so they include the item's share of the
transaction's 21,000 base cost and its calldata. The b1/b10/b100 figures are for the usual
case: members already hold a balance (postings with sequential seqs), the meeting's tally
and bitmap words already exist (its first ballot was cast), and each loan was repaid before.
One-time costs are reported on their own: a holder's first balance, a meeting's first
ballot, a meeting's first batch, a batch of loans' first repayments.

The Governor side deploys `contracts/bench/` (OneMemberVoteToken + CoopGovernor), which
`ksp.chain.deploy` never deploys, and measures `castVoteBySig`, one transaction per vote.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any, cast

from eth_account import Account
from eth_account.datastructures import SignedMessage
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.contract import Contract

from bench.chain import deployed_chain
from ksp.chain.compiler import load_artifact
from ksp.chain.loan_terms import acceptance_typed_data

SECP256K1_HALF_N = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
FOR = 1
GOVERNOR_REFERENCE_GAS = 97_600


def _contract(w3: Web3, record: dict[str, Any], name: str) -> Contract:
    address = record["contracts"][name]["address"]
    return cast(Contract, w3.eth.contract(address=address, abi=load_artifact(name).abi))


def _gas(w3: Web3, call: Any) -> int:
    receipt = w3.eth.wait_for_transaction_receipt(call.transact())
    if receipt["status"] != 1:
        raise RuntimeError(f"transaction failed: {receipt['transactionHash'].hex()}")
    return int(receipt["gasUsed"])


def _advance(w3: Web3, seconds: int) -> None:
    w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
    w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def _now(w3: Web3) -> int:
    return int(w3.eth.get_block("latest")["timestamp"])


def _sign(
    account: LocalAccount, domain: dict[str, Any], types: dict[str, Any], message: dict[str, Any]
) -> SignedMessage:
    primary = next(iter(types))
    full = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            **types,
        },
        "primaryType": primary,
        "domain": domain,
        "message": message,
    }
    return cast(
        SignedMessage, Account.sign_message(encode_typed_data(full_message=full), account.key)
    )


def _compact(signed: SignedMessage) -> tuple[bytes, bytes]:
    """ERC-2098 (r, vs) from a 65-byte signature."""
    assert signed.s <= SECP256K1_HALF_N
    vs = signed.s | ((signed.v - 27) << 255)
    return signed.r.to_bytes(32, "big"), vs.to_bytes(32, "big")


BALLOT_TYPES = {
    "Ballot": [
        {"name": "meetingId", "type": "uint64"},
        {"name": "proposalIndex", "type": "uint32"},
        {"name": "choice", "type": "uint256"},
    ]
}


def _ballots(
    domain: dict[str, Any], meeting_id: int, voters: Sequence[LocalAccount], proposal_index: int = 0
) -> list[tuple[Any, ...]]:
    out = []
    for voter in voters:
        message = {
            "meetingId": meeting_id,
            "proposalIndex": proposal_index,
            "choice": FOR,
        }
        r, vs = _compact(_sign(voter, domain, BALLOT_TYPES, message))
        out.append((FOR, r, vs))
    return out


def _domain(w3: Web3, name: str, address: str) -> dict[str, Any]:
    return {"name": name, "version": "1", "chainId": w3.eth.chain_id, "verifyingContract": address}


def _admit_members(w3: Web3, members: Contract, people: Sequence[LocalAccount]) -> dict[str, int]:
    singles = [
        _gas(w3, members.functions.admit(i + 1, p.address)) for i, p in enumerate(people[:5])
    ]
    rest = people[5:]
    batch_gas = 0
    for start in range(0, len(rest), 100):
        chunk = rest[start : start + 100]
        numbers = [6 + start + i for i in range(len(chunk))]
        gas = _gas(w3, members.functions.admitBatch(numbers, [p.address for p in chunk]))
        if len(chunk) == 100:
            batch_gas = gas
    return {
        "admit_gas": int(statistics.median(singles)),
        "admit_gas_per_member_b100": batch_gas // 100,
    }


def _measure_ballots(
    w3: Web3, voting: Contract, voters: Sequence[LocalAccount], meeting_id: int
) -> dict[str, int]:
    """b1, b10, b100 after the meeting's first ballot (tally and bitmap words exist)."""
    domain = _domain(w3, "KSP RatVoting", voting.address)
    used = 0

    def batch(size: int) -> list[tuple[Any, ...]]:
        nonlocal used
        chunk = voters[used : used + size]
        used += size
        return _ballots(domain, meeting_id, chunk)

    first = _gas(w3, voting.functions.castVotes(meeting_id, 0, batch(1)))
    b1 = [_gas(w3, voting.functions.castVotes(meeting_id, 0, batch(1))) for _ in range(3)]
    b10 = _gas(w3, voting.functions.castVotes(meeting_id, 0, batch(10)))
    b100 = _gas(w3, voting.functions.castVotes(meeting_id, 0, batch(100)))
    return {
        "gas_first_ballot_of_meeting": first,
        "gas_per_ballot_b1": int(statistics.median(b1)),
        "gas_per_ballot_b10": b10 // 10,
        "gas_per_ballot_b100": b100 // 100,
    }


def _create_meeting(w3: Web3, voting: Contract, meeting_id: int) -> None:
    _advance(w3, 1)  # the record block (latest - 1) then holds every admission
    record_block = w3.eth.block_number - 1
    start = _now(w3) + 100
    _gas(
        w3,
        voting.functions.createMeeting(meeting_id, record_block, start, start + 86_400, 5_000, 3),
    )
    _gas(w3, voting.functions.addProposal(meeting_id, 0, 0, 0))
    _advance(w3, 200)


def _measure_savings(
    w3: Web3, savings: Contract, holders: Sequence[LocalAccount]
) -> dict[str, int]:
    seq = 0

    def postings(size: int) -> list[tuple[Any, ...]]:
        nonlocal seq
        out = []
        for i in range(size):
            holder = holders[i % len(holders)]
            out.append((seq, holder.address, 2, False, 100_000))  # simpanan wajib Rp 100.000
            seq += 1
        return out

    new_holders = _gas(w3, savings.functions.mirror(postings(100)))
    b1 = [_gas(w3, savings.functions.mirror(postings(1))) for _ in range(3)]
    b10 = _gas(w3, savings.functions.mirror(postings(10)))
    b100 = _gas(w3, savings.functions.mirror(postings(100)))
    return {
        "gas_per_posting_b1": int(statistics.median(b1)),
        "gas_per_posting_b10": b10 // 10,
        "gas_per_posting_b100": b100 // 100,
        "gas_per_posting_b100_new_holders": new_holders // 100,
    }


LOAN_TERMS = {"principal": 5_000_000, "rate_bps": 1_200, "method": 2, "tenor_months": 12,
              "first_due_date": 1_800_000_000}
DEFAULTED = 4


def _open_loan(w3: Web3, loans: Contract, borrower: LocalAccount, loan_id: int,
               accept: bool = True) -> tuple[int, int]:
    """Registers loan `loan_id` and (if `accept`) relays the borrower's signature over its key
    terms; returns the gas of both (0 for an accept not made)."""
    terms_hash = "0x" + Web3.keccak(text=f"perjanjian pinjaman #{loan_id}").hex().removeprefix("0x")
    t = LOAN_TERMS
    register = _gas(w3, loans.functions.register(
        loan_id, borrower.address, t["principal"], t["rate_bps"], t["method"],
        t["tenor_months"], t["first_due_date"], terms_hash))
    if not accept:
        return register, 0
    deadline = _now(w3) + 3_600
    typed = acceptance_typed_data(w3.eth.chain_id, loans.address, loan_id=loan_id,
                                  terms_hash=terms_hash, deadline=deadline, **t)
    signed = Account.sign_typed_data(borrower.key, full_message=typed)
    return register, _gas(w3, loans.functions.accept(loan_id, deadline, signed.signature))


def _measure_loan(w3: Web3, loans: Contract, borrowers: Sequence[LocalAccount]) -> dict[str, int]:
    """One loan per borrower. Repayments by batch size, in the usual case (each loan repaid
    before, neighbouring ledger seqs); a batch of first repayments on its own."""
    opened = [_open_loan(w3, loans, b, n + 1) for n, b in enumerate(borrowers)]
    ids = list(range(1, len(borrowers) + 1))
    seq = 0

    def repayments(size: int) -> list[tuple[int, int, int]]:
        nonlocal seq
        out = []
        for i in range(size):
            seq += 1
            out.append((ids[i % len(ids)], seq, 450_000))  # angsuran Rp 450.000
        return out

    first = _gas(w3, loans.functions.recordRepayments(repayments(100)))
    singles = [_gas(w3, loans.functions.recordRepayment(*repayments(1)[0])) for _ in range(3)]
    b1 = [_gas(w3, loans.functions.recordRepayments(repayments(1))) for _ in range(3)]
    b10 = _gas(w3, loans.functions.recordRepayments(repayments(10)))
    b100 = _gas(w3, loans.functions.recordRepayments(repayments(100)))
    resent = _gas(w3, loans.functions.recordRepayments([(ids[i], i + 1, 450_000)
                                                        for i in range(100)]))

    withdrawn = len(borrowers) + 1
    _open_loan(w3, loans, borrowers[0], withdrawn, accept=False)
    cancel = _gas(w3, loans.functions.cancel(withdrawn))
    default = _gas(w3, loans.functions.setStatus(1, DEFAULTED))
    write_off = _gas(w3, loans.functions.writeOff(1, seq + 1, 3_000_000))
    recovery = _gas(w3, loans.functions.recordRecovery(1, seq + 2, 500_000))
    return {
        "register_loan_gas": int(statistics.median(r for r, _a in opened)),
        "accept_loan_gas": int(statistics.median(a for _r, a in opened)),
        "record_repayment_gas": int(statistics.median(singles)),
        "gas_per_repayment_b1": int(statistics.median(b1)),
        "gas_per_repayment_b10": b10 // 10,
        "gas_per_repayment_b100": b100 // 100,
        "gas_per_repayment_b100_first_repayments": first // 100,
        "gas_per_repayment_b100_all_applied_resent": resent // 100,
        "cancel_loan_gas": cancel,
        "set_loan_status_defaulted_gas": default,
        "write_off_loan_gas": write_off,
        "record_recovery_gas": recovery,
    }


def _deploy(w3: Web3, name: str, *args: Any) -> Contract:
    artifact = load_artifact(name)
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    receipt = w3.eth.wait_for_transaction_receipt(factory.constructor(*args).transact())
    return cast(Contract, w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi))


def _measure_governor(w3: Web3, voters: Sequence[LocalAccount]) -> dict[str, int]:
    owner = w3.eth.default_account
    token = _deploy(w3, "OneMemberVoteToken", owner)
    governor = _deploy(w3, "CoopGovernor", token.address)
    for voter in voters:
        _gas(w3, token.functions.mint(voter.address))
    _advance(w3, 1)
    description = "RAT: pengesahan laporan pertanggungjawaban pengurus"
    _gas(w3, governor.functions.propose([governor.address], [0], [b""], description))
    proposal_id = governor.functions.hashProposal(
        [governor.address], [0], [b""], Web3.keccak(text=description)
    ).call()
    _advance(w3, 1)
    _advance(w3, 1)
    domain = _domain(w3, "CoopGovernor", governor.address)
    types = {
        "Ballot": [
            {"name": "proposalId", "type": "uint256"},
            {"name": "support", "type": "uint8"},
            {"name": "voter", "type": "address"},
            {"name": "nonce", "type": "uint256"},
        ]
    }
    gas = []
    for voter in voters:
        nonce = governor.functions.nonces(voter.address).call()
        message = {
            "proposalId": proposal_id,
            "support": FOR,
            "voter": voter.address,
            "nonce": nonce,
        }
        signed = _sign(voter, domain, types, message)
        call = governor.functions.castVoteBySig(proposal_id, FOR, voter.address, signed.signature)
        gas.append(_gas(w3, call))
    return {
        "governor_first_cast_vote_by_sig_gas": gas[0],
        "governor_cast_vote_by_sig_gas": int(statistics.median(gas[1:])),
        "governor_votes_measured": len(gas) - 1,
    }


def run(quick: bool = False) -> dict[str, object]:
    governor_votes = 6 if quick else 21
    with deployed_chain() as (w3, record):
        members = _contract(w3, record, "CoopMembers")
        savings = _contract(w3, record, "SavingsToken")
        loans = _contract(w3, record, "LoanAgreements")
        voting = _contract(w3, record, "RatVoting")
        people = [Account.create() for _ in range(5 + 200)]

        results: dict[str, int] = {}
        results.update(_admit_members(w3, members, people))
        _create_meeting(w3, voting, 1)
        results.update(_measure_ballots(w3, voting, people[: 1 + 3 + 10 + 100], 1))
        # A fresh meeting whose first batch is 100 ballots: pays the one-time slots too.
        _create_meeting(w3, voting, 2)
        domain = _domain(w3, "KSP RatVoting", voting.address)
        cold = _gas(w3, voting.functions.castVotes(2, 0, _ballots(domain, 2, people[100:200])))
        results["gas_per_ballot_b100_first_batch_of_meeting"] = cold // 100
        results.update(_measure_savings(w3, savings, people[:100]))
        results.update(_measure_loan(w3, loans, people[:100]))
        results.update(_measure_governor(w3, people[:governor_votes]))

    ratio = results["governor_cast_vote_by_sig_gas"] / results["gas_per_ballot_b100"]
    return {
        **results,
        "ratio_governor_vs_rat_b100": round(ratio, 2),
        "goal_gas_per_ballot_b100": 10_000,
        "goal_gas_per_posting_b100": 15_000,
        "governor_reference_gas": GOVERNOR_REFERENCE_GAS,
    }
