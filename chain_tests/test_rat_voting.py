import brownie
import pytest
from brownie import chain
from helpers import (
    ADMIN_DELAY,
    ADMIN_ROLE,
    OPERATOR_ROLE,
    PAUSER_ROLE,
    ZERO_ADDRESS,
    Domain,
    compact,
    recovered,
    sign_typed,
    typed_digest,
)
from hexbytes import HexBytes

AGAINST, FOR, ABSTAIN = 0, 1, 2
YES_NO, ELECTION = 0, 1
MEETING = 1
NUMBERS = [1, 2, 3, 4, 5, 6, 257, 258]  # members 257 and 258 sit in the second bitmap word
QUORUM_BPS = 5_000
MAX_PROXIES = 2

BALLOT = [
    {"name": "meetingId", "type": "uint64"},
    {"name": "proposalIndex", "type": "uint32"},
    {"name": "choice", "type": "uint256"},
]
PROXY_BALLOT = [*BALLOT, {"name": "principal", "type": "address"}]
PROXY = [
    {"name": "meetingId", "type": "uint64"},
    {"name": "principal", "type": "address"},
    {"name": "proxy", "type": "address"},
]


# --- fixtures and helpers --------------------------------------------------------------------


@pytest.fixture(scope="module")
def members(keyholders):
    """keyholders[0..7] are members 1..6, 257, 258; keyholders[8..] never joined."""
    return keyholders[:8]


@pytest.fixture(scope="module")
def outsiders(keyholders):
    return keyholders[8:]


@pytest.fixture(scope="module", autouse=True)
def roll(coop_members, operator, members):
    coop_members.admitBatch(NUMBERS, members, {"from": operator})
    chain.mine(2)


@pytest.fixture(scope="module")
def domain(voting, chain_id):
    return Domain("KSP RatVoting", chain_id, voting.address)


def create_meeting(
    voting, operator, meeting_id=MEETING, quorum=QUORUM_BPS, max_proxies=MAX_PROXIES
):
    """A meeting recorded at the last mined block, opening in 100 s for 1000 s, with a
    yes-no-abstain proposal 0 and an election proposal 1 (2 seats, 4 candidates)."""
    record_block = chain.height - 1
    start = chain.time() + 100
    voting.createMeeting(
        meeting_id, record_block, start, start + 1_000, quorum, max_proxies, {"from": operator}
    )
    voting.addProposal(meeting_id, YES_NO, 0, 0, {"from": operator})
    voting.addProposal(meeting_id, ELECTION, 2, 4, {"from": operator})
    return {"record": record_block, "start": start, "end": start + 1_000}


def open_voting(times):
    chain.sleep(times["start"] - chain.time() + 1)
    chain.mine()


def close_voting(times):
    chain.sleep(times["end"] - chain.time() + 1)
    chain.mine()


@pytest.fixture
def meeting(voting, operator):
    return create_meeting(voting, operator)


@pytest.fixture
def opened(meeting):
    open_voting(meeting)
    return meeting


def ballot(signer, domain, proposal, choice, meeting_id=MEETING, signed_proposal=None):
    message = {
        "meetingId": meeting_id,
        "proposalIndex": proposal if signed_proposal is None else signed_proposal,
        "choice": choice,
    }
    r, vs = compact(sign_typed(signer, domain, "Ballot", BALLOT, message))
    return (choice, r, vs)


def proxy_ballot(proxy, domain, proposal, choice, principal, meeting_id=MEETING):
    message = {
        "meetingId": meeting_id,
        "proposalIndex": proposal,
        "choice": choice,
        "principal": principal.address,
    }
    r, vs = compact(sign_typed(proxy, domain, "ProxyBallot", PROXY_BALLOT, message))
    return (choice, principal.address, r, vs)


def proxy_signature(signer, domain, principal, proxy, meeting_id=MEETING):
    message = {"meetingId": meeting_id, "principal": principal.address, "proxy": proxy.address}
    return sign_typed(signer, domain, "Proxy", PROXY, message).signature


def register_proxy(voting, domain, principal, proxy, relayer, meeting_id=MEETING):
    signature = proxy_signature(principal, domain, principal, proxy, meeting_id)
    return voting.registerProxy(meeting_id, principal, proxy, signature, {"from": relayer})


def recovered_voter(domain, proposal, choice, ballot_tuple, meeting_id=MEETING):
    """The address RatVoting recovers from `ballot_tuple` when relayed for this proposal."""
    message = {"meetingId": meeting_id, "proposalIndex": proposal, "choice": choice}
    return recovered(domain, "Ballot", BALLOT, message, ballot_tuple[1], ballot_tuple[2])


def packed(*numbers):
    return b"".join(n.to_bytes(8, "big") for n in numbers)


def tally(voting, proposal, meeting_id=MEETING):
    return [int(c) for c in voting.tally(meeting_id, proposal)]


# --- createMeeting ---------------------------------------------------------------------------


def test_create_meeting_stores_and_emits(voting, operator):
    record_block = chain.height - 1
    start = chain.time() + 100
    tx = voting.createMeeting(7, record_block, start, start + 60, 6_000, 3, {"from": operator})

    assert dict(tx.events["MeetingCreated"][0]) == {
        "meetingId": 7,
        "recordBlock": record_block,
        "votingStart": start,
        "votingEnd": start + 60,
        "quorumBps": 6_000,
        "maxPrincipalsPerProxy": 3,
    }
    stored = voting.meeting(7)
    assert [int(x) for x in stored] == [record_block, start, start + 60, 6_000, 3, 0, 0, 0, 0]


def test_create_meeting_rejects_an_existing_id(voting, operator, meeting, error):
    with brownie.reverts(error("RatVotingMeetingExists", MEETING)):
        create_meeting(voting, operator)


def test_create_meeting_needs_a_final_record_block(voting, operator):
    record_block = chain.height + 1  # not mined yet, whatever block the call runs in
    start = chain.time() + 100
    with brownie.reverts(revert_pattern=rf"RatVotingRecordBlockNotPast: {record_block}, \d+"):
        voting.createMeeting(7, record_block, start, start + 60, 5_000, 1, {"from": operator})


@pytest.mark.parametrize("start_offset,length", [(-10, 100), (100, 0)])
def test_create_meeting_rejects_a_bad_schedule(voting, operator, error, start_offset, length):
    start = chain.time() + start_offset
    with brownie.reverts(error("RatVotingInvalidSchedule", start, start + length)):
        voting.createMeeting(
            7, chain.height - 1, start, start + length, 5_000, 1, {"from": operator}
        )


def test_create_meeting_rejects_quorum_above_100_percent(voting, operator, error):
    start = chain.time() + 100
    with brownie.reverts(error("RatVotingInvalidQuorum", 10_001)):
        voting.createMeeting(7, chain.height - 1, start, start + 60, 10_001, 1, {"from": operator})


# --- addProposal -----------------------------------------------------------------------------


def test_add_proposal_numbers_proposals_and_emits(voting, operator):
    start = chain.time() + 100
    voting.createMeeting(7, chain.height - 1, start, start + 60, 5_000, 1, {"from": operator})
    first = voting.addProposal(7, YES_NO, 0, 0, {"from": operator})
    second = voting.addProposal(7, ELECTION, 3, 5, {"from": operator})

    assert first.return_value == 0 and second.return_value == 1
    assert dict(second.events["ProposalAdded"][0]) == {
        "meetingId": 7,
        "proposalIndex": 1,
        "kind": ELECTION,
        "seats": 3,
        "candidateCount": 5,
    }
    assert [int(x) for x in voting.proposal(7, 1)] == [ELECTION, 3, 5]
    assert voting.meeting(7)["proposalCount"] == 2
    assert tally(voting, 0, 7) == [0, 0, 0]
    assert tally(voting, 1, 7) == [0, 0, 0, 0, 0, 0]


def test_add_proposal_to_unknown_meeting_reverts(voting, operator, error):
    with brownie.reverts(error("RatVotingUnknownMeeting", 99)):
        voting.addProposal(99, YES_NO, 0, 0, {"from": operator})


def test_add_proposal_after_voting_started_reverts(voting, operator, opened, error):
    with brownie.reverts(error("RatVotingProposalsClosed", MEETING, opened["start"])):
        voting.addProposal(MEETING, YES_NO, 0, 0, {"from": operator})


@pytest.mark.parametrize(
    "kind,seats,candidates",
    [
        (2, 0, 0),
        (YES_NO, 1, 0),
        (YES_NO, 0, 1),
        (ELECTION, 0, 3),
        (ELECTION, 4, 3),
        (ELECTION, 1, 0),
    ],
)
def test_add_proposal_rejects_a_bad_shape(
    voting, operator, meeting, error, kind, seats, candidates
):
    with brownie.reverts(error("RatVotingInvalidProposal", kind, seats, candidates)):
        voting.addProposal(MEETING, kind, seats, candidates, {"from": operator})


def test_a_meeting_holds_at_most_255_proposals(voting, operator, meeting, error):
    for _ in range(253):
        voting.addProposal(MEETING, YES_NO, 0, 0, {"from": operator})
    assert voting.meeting(MEETING)["proposalCount"] == 255
    with brownie.reverts(error("RatVotingTooManyProposals", MEETING)):
        voting.addProposal(MEETING, YES_NO, 0, 0, {"from": operator})


def test_proposal_getters_reject_unknown_proposals(voting, meeting, error):
    with brownie.reverts(error("RatVotingUnknownProposal", MEETING, 2)):
        voting.proposal(MEETING, 2)
    with brownie.reverts(error("RatVotingUnknownProposal", MEETING, 2)):
        voting.tally(MEETING, 2)
    with brownie.reverts(error("RatVotingUnknownMeeting", 99)):
        voting.tally(99, 0)


# --- castVotes: the happy path ---------------------------------------------------------------


def test_ballots_relayed_by_anyone_are_tallied(voting, opened, members, domain, stranger):
    ballots = [
        ballot(members[0], domain, 0, FOR),
        ballot(members[1], domain, 0, AGAINST),
        ballot(members[6], domain, 0, ABSTAIN),
        ballot(members[2], domain, 0, FOR),
    ]
    tx = voting.castVotes(MEETING, 0, ballots, {"from": stranger})

    assert tally(voting, 0) == [1, 2, 1]
    assert voting.meeting(MEETING)["voterCount"] == 4
    assert all(voting.hasVoted(MEETING, 0, n) for n in (1, 2, 3, 257))
    assert not voting.hasVoted(MEETING, 0, 4) and not voting.hasVoted(MEETING, 1, 1)
    assert voting.hasParticipated(MEETING, 257) and not voting.hasParticipated(MEETING, 258)
    assert list(tx.events.keys()) == ["BallotsCast"]
    event = tx.events["BallotsCast"][0]
    assert (event["meetingId"], event["proposalIndex"]) == (MEETING, 0)
    assert HexBytes(event["memberNumbers"]) == packed(1, 2, 257, 3)


def test_election_ballots_are_bitmasks_of_candidates(voting, opened, members, domain, stranger):
    ballots = [
        ballot(members[0], domain, 1, 0b0011),
        ballot(members[1], domain, 1, 0b1000),
        ballot(members[2], domain, 1, 0),  # blank
        ballot(members[3], domain, 1, 0b1010),
    ]
    voting.castVotes(MEETING, 1, ballots, {"from": stranger})

    assert tally(voting, 1) == [1, 2, 0, 2, 1]  # candidates 0..3, then blank ballots


def test_a_member_voting_on_two_proposals_counts_once_for_quorum(
    voting, opened, members, domain, stranger
):
    voting.castVotes(MEETING, 0, [ballot(members[0], domain, 0, FOR)], {"from": stranger})
    voting.castVotes(MEETING, 1, [ballot(members[0], domain, 1, 0b1)], {"from": stranger})
    voting.castVotes(MEETING, 1, [ballot(members[1], domain, 1, 0b1)], {"from": stranger})

    assert voting.meeting(MEETING)["voterCount"] == 2


@pytest.mark.parametrize(
    "proposal,choice",
    [(0, 3), (0, 2**255), (1, 0b0111), (1, 0b10000), (1, 2**255)],
    ids=["yesno-3", "yesno-huge", "too-many-seats", "no-such-candidate", "candidate-255"],
)
def test_invalid_choices_revert_the_batch(
    voting, opened, members, domain, stranger, error, proposal, choice
):
    ballots = [
        ballot(members[0], domain, proposal, 0),
        ballot(members[1], domain, proposal, choice),
    ]
    with brownie.reverts(error("RatVotingInvalidChoice", MEETING, proposal, choice)):
        voting.castVotes(MEETING, proposal, ballots, {"from": stranger})
    assert not voting.hasVoted(MEETING, proposal, 1)


def test_ballot_digest_is_the_eip712_hash(voting, coop_members, domain):
    message = {"meetingId": 3, "proposalIndex": 4, "choice": 5}
    assert bytes(voting.ballotDigest(3, 4, 5)) == typed_digest(domain, "Ballot", BALLOT, message)
    message["principal"] = ZERO_ADDRESS[:-1] + "1"
    expected = typed_digest(domain, "ProxyBallot", PROXY_BALLOT, message)
    assert bytes(voting.proxyBallotDigest(3, 4, 5, message["principal"])) == expected
    message = {
        "meetingId": 3,
        "principal": ZERO_ADDRESS[:-1] + "1",
        "proxy": ZERO_ADDRESS[:-1] + "2",
    }
    assert bytes(voting.proxyDigest(3, message["principal"], message["proxy"])) == typed_digest(
        domain, "Proxy", PROXY, message
    )
    _, name, version, chain_id, contract, _, _ = voting.eip712Domain()
    assert (name, version, int(chain_id)) == ("KSP RatVoting", "1", domain.chain_id)
    assert contract == voting
    assert voting.members() == coop_members


# --- castVotes: one member, one vote ---------------------------------------------------------


def test_double_vote_in_one_batch_reverts(voting, opened, members, domain, stranger, error):
    ballots = [
        ballot(members[6], domain, 0, FOR),
        ballot(members[0], domain, 0, FOR),
        ballot(members[6], domain, 0, AGAINST),
    ]
    with brownie.reverts(error("RatVotingAlreadyVoted", MEETING, 0, 257)):
        voting.castVotes(MEETING, 0, ballots, {"from": stranger})
    assert tally(voting, 0) == [0, 0, 0]


def test_double_vote_across_batches_reverts(voting, opened, members, domain, stranger, error):
    first = ballot(members[0], domain, 0, FOR)
    voting.castVotes(MEETING, 0, [first], {"from": stranger})
    with brownie.reverts(error("RatVotingAlreadyVoted", MEETING, 0, 1)):
        voting.castVotes(MEETING, 0, [first], {"from": stranger})  # the same ballot replayed
    with brownie.reverts(error("RatVotingAlreadyVoted", MEETING, 0, 1)):
        voting.castVotes(MEETING, 0, [ballot(members[0], domain, 0, AGAINST)], {"from": stranger})
    assert tally(voting, 0) == [0, 1, 0]


def test_new_address_after_a_change_before_the_record_block_votes_once(
    voting, coop_members, operator, members, outsiders, domain, stranger, error
):
    coop_members.changeAddress(1, outsiders[0], {"from": operator})
    chain.mine()
    times = create_meeting(voting, operator, meeting_id=2)
    open_voting(times)

    with brownie.reverts(error("RatVotingNotEligible", 2, members[0].address)):
        voting.castVotes(
            2, 0, [ballot(members[0], domain, 0, FOR, meeting_id=2)], {"from": stranger}
        )
    voting.castVotes(2, 0, [ballot(outsiders[0], domain, 0, FOR, meeting_id=2)], {"from": stranger})
    assert voting.hasVoted(2, 0, 1)


def test_address_change_after_the_record_block_cannot_vote_twice(
    voting, coop_members, operator, opened, members, outsiders, domain, stranger, error
):
    voting.castVotes(MEETING, 0, [ballot(members[0], domain, 0, FOR)], {"from": stranger})
    coop_members.changeAddress(1, outsiders[0], {"from": operator})
    with brownie.reverts(error("RatVotingNotEligible", MEETING, outsiders[0].address)):
        voting.castVotes(MEETING, 0, [ballot(outsiders[0], domain, 0, AGAINST)], {"from": stranger})
    assert tally(voting, 0) == [0, 1, 0]


# --- castVotes: eligibility ------------------------------------------------------------------


def test_non_member_is_not_eligible(voting, opened, outsiders, domain, stranger, error):
    with brownie.reverts(error("RatVotingNotEligible", MEETING, outsiders[0].address)):
        voting.castVotes(MEETING, 0, [ballot(outsiders[0], domain, 0, FOR)], {"from": stranger})


def test_member_who_exited_before_the_record_block_is_not_eligible(
    voting, coop_members, operator, members, domain, stranger, error
):
    coop_members.exit(2, {"from": operator})
    chain.mine()
    times = create_meeting(voting, operator)
    open_voting(times)
    with brownie.reverts(error("RatVotingNotEligible", MEETING, members[1].address)):
        voting.castVotes(MEETING, 0, [ballot(members[1], domain, 0, FOR)], {"from": stranger})


def test_member_who_exited_after_the_record_block_still_votes(
    voting, coop_members, operator, opened, members, domain, stranger
):
    coop_members.exit(2, {"from": operator})
    voting.castVotes(MEETING, 0, [ballot(members[1], domain, 0, FOR)], {"from": stranger})
    assert voting.hasVoted(MEETING, 0, 2)


def test_member_admitted_after_the_record_block_is_not_eligible(
    voting, coop_members, operator, opened, outsiders, domain, stranger, error
):
    coop_members.admit(9, outsiders[1], {"from": operator})
    with brownie.reverts(error("RatVotingNotEligible", MEETING, outsiders[1].address)):
        voting.castVotes(MEETING, 0, [ballot(outsiders[1], domain, 0, FOR)], {"from": stranger})


# --- castVotes: signatures -------------------------------------------------------------------


@pytest.mark.parametrize("attack", ["chain", "contract", "meeting", "proposal", "choice"])
def test_a_ballot_signed_for_anything_else_recovers_a_stranger(
    voting, opened, members, domain, stranger, error, attack
):
    signed_domain = domain
    kwargs = {}
    if attack == "chain":
        signed_domain = Domain(domain.name, domain.chain_id + 1, domain.verifying_contract)
    elif attack == "contract":
        signed_domain = Domain(domain.name, domain.chain_id, stranger.address)
    elif attack == "meeting":
        kwargs["meeting_id"] = MEETING + 1
    elif attack == "proposal":
        kwargs["signed_proposal"] = 1
    choice = AGAINST if attack == "choice" else FOR
    signed = ballot(members[0], signed_domain, 0, choice, **kwargs)
    relayed = (FOR, signed[1], signed[2])
    forger = recovered_voter(domain, 0, FOR, relayed)
    assert forger != members[0].address
    with brownie.reverts(error("RatVotingNotEligible", MEETING, forger)):
        voting.castVotes(MEETING, 0, [relayed], {"from": stranger})


def test_a_ballot_for_another_deployment_is_rejected(
    RatVoting, voting, coop_members, admin, operator, opened, members, domain, stranger, error
):
    """A second RatVoting over the same roll and meeting id: a ballot counts only where signed."""
    other = RatVoting.deploy(admin, operator, admin, ADMIN_DELAY, coop_members, {"from": admin})
    record = chain.height - 1
    start = chain.time() + 10
    other.createMeeting(MEETING, record, start, start + 1_000, QUORUM_BPS, 1, {"from": operator})
    other.addProposal(MEETING, YES_NO, 0, 0, {"from": operator})
    chain.sleep(20)
    chain.mine()
    signed = ballot(members[0], domain, 0, FOR)
    other_domain = Domain(domain.name, domain.chain_id, other.address)
    forger = recovered_voter(other_domain, 0, FOR, signed)
    with brownie.reverts(error("RatVotingNotEligible", MEETING, forger)):
        other.castVotes(MEETING, 0, [signed], {"from": stranger})
    voting.castVotes(MEETING, 0, [signed], {"from": stranger})


def test_a_signature_by_a_non_member_key_is_not_eligible(
    voting, opened, outsiders, domain, stranger, error
):
    forged = ballot(outsiders[2], domain, 0, FOR)
    with brownie.reverts(error("RatVotingNotEligible", MEETING, outsiders[2].address)):
        voting.castVotes(MEETING, 0, [forged], {"from": stranger})


def test_malformed_signatures_revert_with_ecdsa_errors(
    voting, opened, members, domain, stranger, error
):
    choice, r, vs = ballot(members[0], domain, 0, FOR)
    with brownie.reverts(error("ECDSAInvalidSignature")):
        voting.castVotes(MEETING, 0, [(choice, b"\x00" * 32, vs)], {"from": stranger})
    half_n = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
    high_s = (half_n + 1).to_bytes(32, "big")  # upper-half s: the malleable twin's range
    with brownie.reverts(error("ECDSAInvalidSignatureS", high_s)):
        voting.castVotes(MEETING, 0, [(choice, r, high_s)], {"from": stranger})


# --- castVotes: window and batch -------------------------------------------------------------


def test_voting_before_start_reverts(voting, meeting, members, domain, stranger):
    pattern = rf"RatVotingNotOpen: {MEETING}, \d+, {meeting['start']}, {meeting['end']}"
    with brownie.reverts(revert_pattern=pattern):
        voting.castVotes(MEETING, 0, [ballot(members[0], domain, 0, FOR)], {"from": stranger})


def test_voting_at_or_after_end_reverts(voting, meeting, members, domain, stranger):
    close_voting(meeting)
    pattern = rf"RatVotingNotOpen: {MEETING}, \d+, {meeting['start']}, {meeting['end']}"
    with brownie.reverts(revert_pattern=pattern):
        voting.castVotes(MEETING, 0, [ballot(members[0], domain, 0, FOR)], {"from": stranger})


def test_empty_unknown_and_out_of_range_batches_revert(
    voting, opened, members, domain, stranger, error
):
    with brownie.reverts(error("RatVotingEmptyBatch")):
        voting.castVotes(MEETING, 0, [], {"from": stranger})
    with brownie.reverts(error("RatVotingEmptyBatch")):
        voting.castProxyVotes(MEETING, 0, [], {"from": stranger})
    with brownie.reverts(error("RatVotingUnknownMeeting", 99)):
        voting.castVotes(
            99, 0, [ballot(members[0], domain, 0, FOR, meeting_id=99)], {"from": stranger}
        )
    with brownie.reverts(error("RatVotingUnknownProposal", MEETING, 2)):
        voting.castVotes(MEETING, 2, [ballot(members[0], domain, 2, FOR)], {"from": stranger})


# --- proxies (kuasa) -------------------------------------------------------------------------


def test_register_proxy_relayed_by_anyone(voting, meeting, members, domain, stranger):
    tx = register_proxy(voting, domain, members[0], members[1], stranger)

    assert dict(tx.events["ProxyRegistered"][0]) == {
        "meetingId": MEETING,
        "principal": members[0].address,
        "proxy": members[1].address,
        "principalNumber": 1,
    }
    proxy, number = voting.proxyOf(MEETING, members[0])
    assert (proxy, int(number)) == (members[1].address, 1)
    assert voting.proxyCount(MEETING, members[1]) == 1


def test_proxy_votes_for_the_principal(voting, meeting, members, domain, stranger):
    register_proxy(voting, domain, members[6], members[1], stranger)
    open_voting(meeting)
    tx = voting.castProxyVotes(
        MEETING, 0, [proxy_ballot(members[1], domain, 0, AGAINST, members[6])], {"from": stranger}
    )
    voting.castVotes(MEETING, 0, [ballot(members[1], domain, 0, FOR)], {"from": stranger})

    assert HexBytes(tx.events["BallotsCast"][0]["memberNumbers"]) == packed(257)
    assert tally(voting, 0) == [1, 1, 0]
    assert voting.hasVoted(MEETING, 0, 257) and voting.hasVoted(MEETING, 0, 2)
    assert voting.meeting(MEETING)["voterCount"] == 2


@pytest.mark.parametrize("proxy_first", [True, False])
def test_proxy_and_principal_cannot_both_vote(
    voting, meeting, members, domain, stranger, error, proxy_first
):
    register_proxy(voting, domain, members[0], members[1], stranger)
    open_voting(meeting)
    by_proxy = ("castProxyVotes", [proxy_ballot(members[1], domain, 0, AGAINST, members[0])])
    by_self = ("castVotes", [ballot(members[0], domain, 0, FOR)])
    first, second = (by_proxy, by_self) if proxy_first else (by_self, by_proxy)
    getattr(voting, first[0])(MEETING, 0, first[1], {"from": stranger})
    with brownie.reverts(error("RatVotingAlreadyVoted", MEETING, 0, 1)):
        getattr(voting, second[0])(MEETING, 0, second[1], {"from": stranger})


def test_proxy_ballot_from_someone_else_is_rejected(
    voting, meeting, members, domain, stranger, error
):
    register_proxy(voting, domain, members[0], members[1], stranger)
    open_voting(meeting)
    for signer, principal in ((members[2], members[0]), (members[1], members[3])):
        expected = error("RatVotingNotProxy", MEETING, principal.address, signer.address)
        with brownie.reverts(expected):
            voting.castProxyVotes(
                MEETING, 0, [proxy_ballot(signer, domain, 0, FOR, principal)], {"from": stranger}
            )


def test_proxy_ballot_signed_for_another_chain_is_rejected(
    voting, meeting, members, domain, stranger, error
):
    register_proxy(voting, domain, members[0], members[1], stranger)
    open_voting(meeting)
    elsewhere = Domain(domain.name, domain.chain_id + 1, domain.verifying_contract)
    choice, principal, r, vs = proxy_ballot(members[1], elsewhere, 0, FOR, members[0])
    message = {"meetingId": MEETING, "proposalIndex": 0, "choice": FOR, "principal": principal}
    signer = recovered(domain, "ProxyBallot", PROXY_BALLOT, message, r, vs)
    with brownie.reverts(error("RatVotingNotProxy", MEETING, principal, signer)):
        voting.castProxyVotes(MEETING, 0, [(choice, principal, r, vs)], {"from": stranger})


def test_proxy_is_limited_to_max_principals(voting, meeting, members, domain, stranger, error):
    register_proxy(voting, domain, members[0], members[4], stranger)
    register_proxy(voting, domain, members[1], members[4], stranger)
    with brownie.reverts(
        error("RatVotingProxyLimitReached", MEETING, members[4].address, MAX_PROXIES)
    ):
        register_proxy(voting, domain, members[2], members[4], stranger)
    assert voting.proxyCount(MEETING, members[4]) == 2


def test_meeting_without_proxies(voting, operator, members, domain, stranger, error):
    create_meeting(voting, operator, meeting_id=2, max_proxies=0)
    with brownie.reverts(error("RatVotingProxyLimitReached", 2, members[1].address, 0)):
        register_proxy(voting, domain, members[0], members[1], stranger, meeting_id=2)


def test_principal_appoints_one_proxy(voting, meeting, members, domain, stranger, error):
    register_proxy(voting, domain, members[0], members[1], stranger)
    with brownie.reverts(error("RatVotingProxyAlreadySet", MEETING, members[0].address)):
        register_proxy(voting, domain, members[0], members[2], stranger)


@pytest.mark.parametrize("case", ["zero-principal", "zero-proxy", "self"])
def test_register_proxy_rejects_bad_pairs(voting, meeting, members, stranger, error, case):
    principal, proxy = {
        "zero-principal": (ZERO_ADDRESS, members[1].address),
        "zero-proxy": (members[0].address, ZERO_ADDRESS),
        "self": (members[0].address, members[0].address),
    }[case]
    with brownie.reverts(error("RatVotingInvalidProxy", principal, proxy)):
        voting.registerProxy(MEETING, principal, proxy, b"\x00" * 65, {"from": stranger})


@pytest.mark.parametrize("attack", ["proxy-signs", "other-chain", "other-meeting"])
def test_register_proxy_needs_the_principals_signature(
    voting, meeting, members, domain, stranger, error, attack
):
    signer, signed_domain, meeting_id = members[0], domain, MEETING
    if attack == "proxy-signs":
        signer = members[1]
    elif attack == "other-chain":
        signed_domain = Domain(domain.name, domain.chain_id + 1, domain.verifying_contract)
    else:
        meeting_id = MEETING + 1
    signature = proxy_signature(signer, signed_domain, members[0], members[1], meeting_id)
    with brownie.reverts(error("RatVotingInvalidSignature", members[0].address)):
        voting.registerProxy(MEETING, members[0], members[1], signature, {"from": stranger})


def test_register_proxy_needs_members_at_the_record_block(
    voting, coop_members, operator, meeting, members, outsiders, domain, stranger, error
):
    coop_members.admit(9, outsiders[0], {"from": operator})  # after the record block
    with brownie.reverts(error("RatVotingNotEligible", MEETING, outsiders[0].address)):
        register_proxy(voting, domain, outsiders[0], members[1], stranger)
    with brownie.reverts(error("RatVotingNotEligible", MEETING, outsiders[0].address)):
        register_proxy(voting, domain, members[1], outsiders[0], stranger)


def test_register_proxy_closes_with_voting(voting, meeting, members, domain, stranger, error):
    close_voting(meeting)
    with brownie.reverts(error("RatVotingRegistrationClosed", MEETING, meeting["end"])):
        register_proxy(voting, domain, members[0], members[1], stranger)
    with brownie.reverts(error("RatVotingUnknownMeeting", 99)):
        register_proxy(voting, domain, members[0], members[1], stranger, meeting_id=99)


# --- finalize --------------------------------------------------------------------------------


def cast_for(voting, domain, stranger, voters, proposal=0, choice=FOR):
    ballots = [ballot(v, domain, proposal, choice) for v in voters]
    voting.castVotes(MEETING, proposal, ballots, {"from": stranger})


def test_finalize_records_and_emits_tallies_and_quorum(voting, opened, members, domain, stranger):
    cast_for(voting, domain, stranger, members[:3])
    cast_for(voting, domain, stranger, [members[3]], proposal=0, choice=AGAINST)
    cast_for(voting, domain, stranger, members[:2], proposal=1, choice=0b0101)
    close_voting(opened)
    tx = voting.finalize(MEETING, {"from": stranger})

    tallied = [
        (e["proposalIndex"], e["kind"], [int(c) for c in e["counts"]])
        for e in tx.events["ProposalTallied"]
    ]
    assert tallied == [(0, YES_NO, [1, 3, 0]), (1, ELECTION, [2, 0, 2, 0, 0])]
    assert dict(tx.events["MeetingFinalized"][0]) == {
        "meetingId": MEETING,
        "voters": 4,
        "eligible": 8,
        "quorumReached": True,  # 4 of 8 = 50.00% >= 50.00%
    }
    stored = voting.meeting(MEETING)
    assert stored["finalized"] and stored["quorumReached"]


def test_quorum_missed_by_one_voter(voting, opened, members, domain, stranger):
    cast_for(voting, domain, stranger, members[:3])
    close_voting(opened)
    tx = voting.finalize(MEETING, {"from": stranger})
    assert tx.events["MeetingFinalized"][0]["quorumReached"] is False
    assert voting.meeting(MEETING)["finalized"] and not voting.meeting(MEETING)["quorumReached"]


def test_proxy_votes_count_for_quorum(voting, meeting, members, domain, stranger):
    register_proxy(voting, domain, members[3], members[0], stranger)
    open_voting(meeting)
    cast_for(voting, domain, stranger, members[:3])
    voting.castProxyVotes(
        MEETING, 1, [proxy_ballot(members[0], domain, 1, 0, members[3])], {"from": stranger}
    )
    close_voting(meeting)
    tx = voting.finalize(MEETING, {"from": stranger})
    assert tx.events["MeetingFinalized"][0]["voters"] == 4
    assert tx.events["MeetingFinalized"][0]["quorumReached"] is True


def test_later_exits_do_not_change_the_quorum_denominator(
    voting, coop_members, operator, opened, members, domain, stranger
):
    for number in (5, 6, 257, 258):
        coop_members.exit(number, {"from": operator})
    cast_for(voting, domain, stranger, members[:3])
    close_voting(opened)
    event = voting.finalize(MEETING, {"from": stranger}).events["MeetingFinalized"][0]
    assert (event["eligible"], event["quorumReached"]) == (8, False)


def test_finalize_waits_for_the_end_and_happens_once(voting, meeting, stranger, error):
    with brownie.reverts(error("RatVotingVotingNotEnded", MEETING, meeting["end"])):
        voting.finalize(MEETING, {"from": stranger})
    close_voting(meeting)
    voting.finalize(MEETING, {"from": stranger})
    with brownie.reverts(error("RatVotingAlreadyFinalized", MEETING)):
        voting.finalize(MEETING, {"from": stranger})
    with brownie.reverts(error("RatVotingUnknownMeeting", 99)):
        voting.finalize(99, {"from": stranger})


# --- roles and pause -------------------------------------------------------------------------


def test_only_the_operator_creates_meetings_and_proposals(voting, admin, stranger, meeting, error):
    for caller in (stranger, admin):
        expected = error("AccessControlUnauthorizedAccount", caller.address, OPERATOR_ROLE)
        with brownie.reverts(expected):
            voting.createMeeting(
                7, chain.height - 1, chain.time() + 100, chain.time() + 200, 1, 1, {"from": caller}
            )
        with brownie.reverts(expected):
            voting.addProposal(MEETING, YES_NO, 0, 0, {"from": caller})


def test_pause_stops_everything_that_writes(
    voting, admin, operator, pauser, meeting, members, domain, stranger, error
):
    signature = proxy_signature(members[0], domain, members[0], members[1])
    voting.pause({"from": pauser})
    open_voting(meeting)
    for call in (
        lambda: voting.createMeeting(
            7, chain.height - 1, chain.time() + 9, chain.time() + 99, 1, 1, {"from": operator}
        ),
        lambda: voting.addProposal(MEETING, YES_NO, 0, 0, {"from": operator}),
        lambda: voting.registerProxy(
            MEETING, members[0], members[1], signature, {"from": stranger}
        ),
        lambda: voting.castVotes(
            MEETING, 0, [ballot(members[0], domain, 0, FOR)], {"from": stranger}
        ),
        lambda: voting.castProxyVotes(
            MEETING, 0, [proxy_ballot(members[1], domain, 0, FOR, members[0])], {"from": stranger}
        ),
        lambda: voting.finalize(MEETING, {"from": stranger}),
    ):
        with brownie.reverts(error("EnforcedPause")):
            call()
    voting.unpause({"from": admin})
    voting.castVotes(MEETING, 0, [ballot(members[0], domain, 0, FOR)], {"from": stranger})


def test_operator_can_neither_pause_nor_unpause(voting, operator, error):
    with brownie.reverts(error("AccessControlUnauthorizedAccount", operator.address, PAUSER_ROLE)):
        voting.pause({"from": operator})
    with brownie.reverts(error("AccessControlUnauthorizedAccount", operator.address, ADMIN_ROLE)):
        voting.unpause({"from": operator})


# --- gas -------------------------------------------------------------------------------------


def test_a_batch_of_ballots_costs_under_10000_gas_each(
    voting, coop_members, operator, accounts, domain, stranger
):
    """101 members numbered 1024..1124 (one bitmap word): one votes first, as someone always
    does, then 100 vote in one batch; the receipt's gas / 100. bench/ reports the figures."""
    voters = [accounts.add() for _ in range(101)]
    coop_members.admitBatch(list(range(1_024, 1_125)), voters, {"from": operator})
    chain.mine()
    times = create_meeting(voting, operator)
    open_voting(times)
    voting.castVotes(MEETING, 0, [ballot(voters[0], domain, 0, FOR)], {"from": stranger})
    tx = voting.castVotes(
        MEETING, 0, [ballot(v, domain, 0, FOR) for v in voters[1:]], {"from": stranger}
    )
    assert tx.gas_used / 100 < 10_000
    assert tally(voting, 0) == [0, 101, 0]
