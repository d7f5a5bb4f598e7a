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
    compact,
    recovered,
    sign_typed,
    typed_digest,
)
from hexbytes import HexBytes

AGAINST, FOR, ABSTAIN = 0, 1, 2
YES_NO, ELECTION = 0, 1
NONE, APPOINTED, ACCEPTED, REVOKED = 0, 1, 2, 3
INVALID_SIGNATURE, INVALID_CHOICE, NOT_ELIGIBLE, ALREADY_VOTED, NOT_PROXY = 1, 2, 3, 4, 5
MEETING = 1
NUMBERS = [1, 2, 3, 4, 5, 6, 257, 258]  # members 257 and 258 sit in the second bitmap word
QUORUM_BPS = 5_000
MAX_PROXIES = 2
DAY, HOUR = 86_400, 3_600
MAX_RECORD_AGE = 50_400
# What the backend hashes (RFC 8785 JSON of each agenda item); any 32 bytes do here.
CONTENT = [keccak(text="LPJ 2026 disetujui?"), keccak(text="Pengurus: A, B, C, D")]
AGENDA = keccak(b"".join(CONTENT))

BALLOT = [
    {"name": "meetingId", "type": "uint64"},
    {"name": "proposalIndex", "type": "uint32"},
    {"name": "contentHash", "type": "bytes32"},
    {"name": "choice", "type": "uint256"},
]
PROXY_BALLOT = [*BALLOT, {"name": "principalNumber", "type": "uint64"}]
PROXY = [
    {"name": "meetingId", "type": "uint64"},
    {"name": "principalNumber", "type": "uint64"},
    {"name": "proxy", "type": "address"},
    {"name": "agendaHash", "type": "bytes32"},
]
ACCEPTANCE = [
    {"name": "meetingId", "type": "uint64"},
    {"name": "principalNumber", "type": "uint64"},
    {"name": "proxy", "type": "address"},
]
REVOCATION = [
    {"name": "meetingId", "type": "uint64"},
    {"name": "principalNumber", "type": "uint64"},
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
    return Domain("KSP RatVoting", chain_id, voting.address, version="2")


def create_meeting(
    voting, operator, meeting_id=MEETING, quorum=QUORUM_BPS, max_proxies=MAX_PROXIES
):
    """A meeting recorded at the last mined block, opening in a day and 100 s for 2 hours,
    with a yes-no-abstain proposal 0 and an election proposal 1 (2 seats, 4 candidates)."""
    record_block = chain.height - 1
    start = chain.time() + DAY + 100
    end = start + 2 * HOUR
    voting.createMeeting(
        meeting_id, record_block, start, end, quorum, max_proxies, {"from": operator}
    )
    voting.addProposal(meeting_id, YES_NO, 0, 0, CONTENT[0], {"from": operator})
    voting.addProposal(meeting_id, ELECTION, 2, 4, CONTENT[1], {"from": operator})
    return {"record": record_block, "start": start, "end": end}


def sleep_until(timestamp):
    chain.sleep(timestamp - chain.time())
    chain.mine()


def open_voting(times):
    sleep_until(times["start"] + 1)


def close_voting(times):
    sleep_until(times["end"] + 1)


@pytest.fixture
def meeting(voting, operator):
    return create_meeting(voting, operator)


@pytest.fixture
def opened(meeting):
    open_voting(meeting)
    return meeting


def ballot(
    signer, domain, proposal, choice, meeting_id=MEETING, signed_proposal=None, content=None
):
    signed_proposal = proposal if signed_proposal is None else signed_proposal
    message = {
        "meetingId": meeting_id,
        "proposalIndex": signed_proposal,
        "contentHash": CONTENT[signed_proposal] if content is None else content,
        "choice": choice,
    }
    r, vs = compact(sign_typed(signer, domain, "Ballot", BALLOT, message))
    return (choice, r, vs)


def proxy_ballot(proxy, domain, proposal, choice, principal_number, meeting_id=MEETING):
    message = {
        "meetingId": meeting_id,
        "proposalIndex": proposal,
        "contentHash": CONTENT[proposal],
        "choice": choice,
        "principalNumber": principal_number,
    }
    r, vs = compact(sign_typed(proxy, domain, "ProxyBallot", PROXY_BALLOT, message))
    return (choice, principal_number, r, vs)


def appointment(signer, domain, principal_number, proxy, meeting_id=MEETING, agenda=AGENDA):
    message = {
        "meetingId": meeting_id,
        "principalNumber": principal_number,
        "proxy": proxy.address if hasattr(proxy, "address") else proxy,
        "agendaHash": agenda,
    }
    return sign_typed(signer, domain, "Proxy", PROXY, message).signature


def acceptance(signer, domain, principal_number, meeting_id=MEETING):
    message = {
        "meetingId": meeting_id,
        "principalNumber": principal_number,
        "proxy": signer.address,
    }
    return sign_typed(signer, domain, "ProxyAcceptance", ACCEPTANCE, message).signature


def revocation(signer, domain, principal_number, meeting_id=MEETING):
    message = {"meetingId": meeting_id, "principalNumber": principal_number}
    return sign_typed(signer, domain, "ProxyRevocation", REVOCATION, message).signature


def appoint(voting, domain, principal, number, proxy, relayer, meeting_id=MEETING):
    """`principal` (member `number`) appoints `proxy`; the appointment is relayed."""
    signature = appointment(principal, domain, number, proxy, meeting_id)
    return voting.registerProxy(meeting_id, number, proxy, signature, {"from": relayer})


def accept(voting, domain, proxy, number, relayer, meeting_id=MEETING):
    """`proxy` accepts to vote for member `number`; the acceptance is relayed."""
    signature = acceptance(proxy, domain, number, meeting_id)
    return voting.acceptProxy(meeting_id, number, signature, {"from": relayer})


def revoke(voting, domain, principal, number, relayer, meeting_id=MEETING):
    signature = revocation(principal, domain, number, meeting_id)
    return voting.revokeProxy(meeting_id, number, signature, {"from": relayer})


def recovered_voter(domain, proposal, choice, ballot_tuple, meeting_id=MEETING):
    """The address RatVoting recovers from `ballot_tuple` when relayed for this proposal."""
    message = {
        "meetingId": meeting_id,
        "proposalIndex": proposal,
        "contentHash": CONTENT[proposal],
        "choice": choice,
    }
    return recovered(domain, "Ballot", BALLOT, message, ballot_tuple[1], ballot_tuple[2])


def packed(*records, width=1):
    """BallotsCast data: (member number, choice) records, 8 + `width` bytes each."""
    return b"".join(n.to_bytes(8, "big") + c.to_bytes(width, "big") for n, c in records)


def cast_records(tx):
    return HexBytes(tx.events["BallotsCast"][0]["ballots"])


def skipped(tx):
    """(index, reason) of every BallotSkipped event of `tx`, in order."""
    if "BallotSkipped" not in tx.events:
        return []
    return [(int(e["index"]), int(e["reason"])) for e in tx.events["BallotSkipped"]]


def tally(voting, proposal, meeting_id=MEETING):
    return [int(c) for c in voting.tally(meeting_id, proposal)]


def proxy_of(voting, number, meeting_id=MEETING):
    proxy_number, status, used = voting.proxyOf(meeting_id, number)
    return (int(proxy_number), int(status), bool(used))


# --- createMeeting: the floors of a meeting --------------------------------------------------


def test_create_meeting_stores_and_emits(voting, operator):
    record_block = chain.height - 1
    start = chain.time() + DAY + 100
    tx = voting.createMeeting(7, record_block, start, start + HOUR, 6_000, 3, {"from": operator})

    assert dict(tx.events["MeetingCreated"][0]) == {
        "meetingId": 7,
        "recordBlock": record_block,
        "votingStart": start,
        "votingEnd": start + HOUR,
        "quorumBps": 6_000,
        "maxPrincipalsPerProxy": 3,
    }
    stored = voting.meeting(7)
    # ..., pausedBase 0, eligible 8 (the roll at the record block), no candidates yet
    expected = [record_block, start, start + HOUR, 6_000, 3, 0, 0, 0, 0, 0, 8, 0]
    assert [int(x) for x in stored] == expected
    assert [int(x) for x in voting.votingWindow(7)] == [start, start + HOUR]


def test_create_meeting_rejects_an_existing_id(voting, operator, meeting, error):
    with brownie.reverts(error("RatVotingMeetingExists", MEETING)):
        create_meeting(voting, operator)


def test_create_meeting_needs_a_final_record_block(voting, operator):
    record_block = chain.height + 1  # not mined yet, whatever block the call runs in
    start = chain.time() + DAY + 100
    with brownie.reverts(revert_pattern=rf"RatVotingRecordBlockNotPast: {record_block}, \d+"):
        voting.createMeeting(7, record_block, start, start + HOUR, 5_000, 1, {"from": operator})


def test_create_meeting_refuses_a_record_block_older_than_the_bound(
    RatVotingShortRecordAge, voting, coop_members, admin, operator, error
):
    """The bound is MAX_RECORD_AGE (50,400 blocks: too many to mine here); a test double with
    the same code and a bound of 20 blocks shows the check at its edge."""
    assert voting.MAX_RECORD_AGE() == MAX_RECORD_AGE
    short = RatVotingShortRecordAge.deploy(
        admin, operator, admin, ADMIN_DELAY, coop_members, {"from": admin}
    )
    chain.mine(25)
    start = chain.time() + DAY + 100
    # A call runs in block height + 1: record block height + 1 - 20 is the oldest it allows.
    too_old = chain.height + 1 - short.SHORT_RECORD_AGE() - 1
    with brownie.reverts(error("RatVotingRecordBlockTooOld", too_old, chain.height + 1)):
        short.createMeeting(7, too_old, start, start + HOUR, 5_000, 1, {"from": operator})
    oldest = chain.height + 1 - short.SHORT_RECORD_AGE()
    short.createMeeting(7, oldest, start, start + HOUR, 5_000, 1, {"from": operator})
    assert short.meeting(7)["recordBlock"] == oldest


def test_create_meeting_refuses_a_record_block_without_members(voting, operator, error):
    """Record block 0 (before the roll): zero eligible would make any quorum 'reached'."""
    start = chain.time() + DAY + 100
    with brownie.reverts(error("RatVotingNoEligibleMembers", 0)):
        voting.createMeeting(7, 0, start, start + HOUR, 5_000, 1, {"from": operator})


@pytest.mark.parametrize("notice", [-10, 2, DAY - 100])
def test_create_meeting_refuses_a_notice_shorter_than_a_day(voting, operator, notice):
    start = chain.time() + notice
    pattern = rf"RatVotingNoticeTooShort: {start}, \d+"
    with brownie.reverts(revert_pattern=pattern):
        voting.createMeeting(7, chain.height - 1, start, start + HOUR, 5_000, 1, {"from": operator})


@pytest.mark.parametrize("length", [-1, 0, 1, HOUR - 1])
def test_create_meeting_refuses_voting_shorter_than_an_hour(voting, operator, error, length):
    start = chain.time() + DAY + 100
    with brownie.reverts(error("RatVotingVotingTooShort", start, start + length)):
        voting.createMeeting(
            7, chain.height - 1, start, start + length, 5_000, 1, {"from": operator}
        )


@pytest.mark.parametrize("quorum", [0, 1, 999, 10_001])
def test_create_meeting_refuses_a_quorum_outside_10_to_100_percent(voting, operator, error, quorum):
    start = chain.time() + DAY + 100
    with brownie.reverts(error("RatVotingInvalidQuorum", quorum)):
        voting.createMeeting(
            7, chain.height - 1, start, start + HOUR, quorum, 1, {"from": operator}
        )


def test_create_meeting_accepts_the_floors_exactly(voting, operator):
    start = chain.time() + DAY + 5  # a few seconds of slack for the block's time
    voting.createMeeting(7, chain.height - 1, start, start + HOUR, 1_000, 0, {"from": operator})
    assert voting.meeting(7)["quorumBps"] == 1_000


# --- addProposal -----------------------------------------------------------------------------


def test_add_proposal_numbers_proposals_binds_content_and_emits(voting, operator):
    start = chain.time() + DAY + 100
    voting.createMeeting(7, chain.height - 1, start, start + HOUR, 5_000, 1, {"from": operator})
    first = voting.addProposal(7, YES_NO, 0, 0, CONTENT[0], {"from": operator})
    second = voting.addProposal(7, ELECTION, 3, 5, CONTENT[1], {"from": operator})

    assert first.return_value == 0 and second.return_value == 1
    event = dict(second.events["ProposalAdded"][0])
    assert HexBytes(event.pop("contentHash")) == HexBytes(CONTENT[1])
    assert event == {
        "meetingId": 7,
        "proposalIndex": 1,
        "kind": ELECTION,
        "seats": 3,
        "candidateCount": 5,
    }
    kind, seats, candidates, content = voting.proposal(7, 1)
    assert (int(kind), int(seats), int(candidates), HexBytes(content)) == (
        ELECTION,
        3,
        5,
        HexBytes(CONTENT[1]),
    )
    assert HexBytes(voting.agendaHash(7)) == HexBytes(AGENDA)
    assert voting.meeting(7)["proposalCount"] == 2
    assert voting.meeting(7)["candidateTotal"] == 5
    assert tally(voting, 0, 7) == [0, 0, 0]
    assert tally(voting, 1, 7) == [0, 0, 0, 0, 0, 0]


def test_add_proposal_to_unknown_meeting_reverts(voting, operator, error):
    with brownie.reverts(error("RatVotingUnknownMeeting", 99)):
        voting.addProposal(99, YES_NO, 0, 0, CONTENT[0], {"from": operator})


def test_add_proposal_after_voting_started_reverts(voting, operator, opened, error):
    with brownie.reverts(error("RatVotingProposalsClosed", MEETING, opened["start"])):
        voting.addProposal(MEETING, YES_NO, 0, 0, CONTENT[0], {"from": operator})


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
        voting.addProposal(MEETING, kind, seats, candidates, CONTENT[0], {"from": operator})


def test_add_proposal_needs_a_content_hash(voting, operator, meeting, error):
    with brownie.reverts(error("RatVotingEmptyContentHash", MEETING)):
        voting.addProposal(MEETING, YES_NO, 0, 0, b"\x00" * 32, {"from": operator})


def test_a_meeting_holds_at_most_64_proposals(voting, operator, meeting, error):
    for index in range(62):
        voting.addProposal(
            MEETING, YES_NO, 0, 0, keccak(index.to_bytes(2, "big")), {"from": operator}
        )
    assert voting.meeting(MEETING)["proposalCount"] == 64
    with brownie.reverts(error("RatVotingTooManyProposals", MEETING)):
        voting.addProposal(MEETING, YES_NO, 0, 0, CONTENT[0], {"from": operator})


def test_a_meetings_elections_hold_at_most_512_candidates(voting, operator, meeting, error):
    voting.addProposal(MEETING, ELECTION, 1, 255, CONTENT[1], {"from": operator})  # 4 + 255
    with brownie.reverts(error("RatVotingTooManyCandidates", MEETING, 4 + 255 + 254)):
        voting.addProposal(MEETING, ELECTION, 1, 254, CONTENT[1], {"from": operator})
    voting.addProposal(MEETING, ELECTION, 1, 253, CONTENT[1], {"from": operator})
    assert voting.meeting(MEETING)["candidateTotal"] == 512


def test_the_agenda_is_frozen_once_a_proxy_is_appointed(
    voting, operator, meeting, members, domain, stranger, error
):
    appoint(voting, domain, members[0], 1, members[1], stranger)
    with brownie.reverts(error("RatVotingAgendaFrozen", MEETING)):
        voting.addProposal(MEETING, YES_NO, 0, 0, CONTENT[0], {"from": operator})
    assert HexBytes(voting.agendaHash(MEETING)) == HexBytes(AGENDA)


def test_proposal_getters_reject_unknown_proposals(voting, meeting, error):
    with brownie.reverts(error("RatVotingUnknownProposal", MEETING, 2)):
        voting.proposal(MEETING, 2)
    with brownie.reverts(error("RatVotingUnknownProposal", MEETING, 2)):
        voting.tally(MEETING, 2)
    with brownie.reverts(error("RatVotingUnknownMeeting", 99)):
        voting.tally(99, 0)
    with brownie.reverts(error("RatVotingUnknownMeeting", 99)):
        voting.votingWindow(99)


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
    assert list(tx.events.keys()) == ["BallotsCast"]  # nothing skipped
    event = tx.events["BallotsCast"][0]
    assert (event["meetingId"], event["proposalIndex"]) == (MEETING, 0)
    # What an auditor rebuilds the tally from: each member number with its choice.
    assert cast_records(tx) == packed((1, FOR), (2, AGAINST), (257, ABSTAIN), (3, FOR))


def test_election_ballots_are_bitmasks_of_candidates(voting, opened, members, domain, stranger):
    ballots = [
        ballot(members[0], domain, 1, 0b0011),
        ballot(members[1], domain, 1, 0b1000),
        ballot(members[2], domain, 1, 0),  # blank
        ballot(members[3], domain, 1, 0b1010),
    ]
    tx = voting.castVotes(MEETING, 1, ballots, {"from": stranger})

    assert tally(voting, 1) == [1, 2, 0, 2, 1]  # candidates 0..3, then blank ballots
    assert cast_records(tx) == packed((1, 0b0011), (2, 0b1000), (3, 0), (4, 0b1010))


def test_election_choices_take_a_byte_per_8_candidates_in_the_event(
    voting, operator, members, domain, stranger
):
    record = chain.height - 1
    start = chain.time() + DAY + 100
    voting.createMeeting(7, record, start, start + HOUR, 5_000, 0, {"from": operator})
    voting.addProposal(7, ELECTION, 3, 12, CONTENT[1], {"from": operator})
    sleep_until(start + 1)
    choice = (1 << 11) | (1 << 8) | 1
    signed = [ballot(members[6], domain, 0, choice, meeting_id=7, content=CONTENT[1])]
    tx = voting.castVotes(7, 0, signed, {"from": stranger})

    assert cast_records(tx) == packed((257, choice), width=2)
    assert tally(voting, 0, 7) == [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0]


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
def test_invalid_choices_are_skipped_and_the_rest_counts(
    voting, opened, members, domain, stranger, proposal, choice
):
    ballots = [
        ballot(members[0], domain, proposal, 0),
        ballot(members[1], domain, proposal, choice),
    ]
    tx = voting.castVotes(MEETING, proposal, ballots, {"from": stranger})

    assert skipped(tx) == [(1, INVALID_CHOICE)]
    assert cast_records(tx) == packed((1, 0))
    assert voting.hasVoted(MEETING, proposal, 1) and not voting.hasVoted(MEETING, proposal, 2)


def test_digests_are_the_eip712_hashes(voting, coop_members, domain):
    content = CONTENT[1]
    message = {"meetingId": 3, "proposalIndex": 4, "contentHash": content, "choice": 5}
    assert bytes(voting.ballotDigest(3, 4, content, 5)) == typed_digest(
        domain, "Ballot", BALLOT, message
    )
    message["principalNumber"] = 258
    expected = typed_digest(domain, "ProxyBallot", PROXY_BALLOT, message)
    assert bytes(voting.proxyBallotDigest(3, 4, content, 5, 258)) == expected
    proxy = ZERO_ADDRESS[:-1] + "2"
    message = {"meetingId": 3, "principalNumber": 258, "proxy": proxy, "agendaHash": AGENDA}
    assert bytes(voting.proxyDigest(3, 258, proxy, AGENDA)) == typed_digest(
        domain, "Proxy", PROXY, message
    )
    message = {"meetingId": 3, "principalNumber": 258, "proxy": proxy}
    assert bytes(voting.proxyAcceptanceDigest(3, 258, proxy)) == typed_digest(
        domain, "ProxyAcceptance", ACCEPTANCE, message
    )
    message = {"meetingId": 3, "principalNumber": 258}
    assert bytes(voting.proxyRevocationDigest(3, 258)) == typed_digest(
        domain, "ProxyRevocation", REVOCATION, message
    )
    _, name, version, chain_id, contract, _, _ = voting.eip712Domain()
    assert (name, version, int(chain_id)) == ("KSP RatVoting", "2", domain.chain_id)
    assert contract == voting
    assert voting.members() == coop_members


# --- castVotes: one member, one vote; a batch skips instead of reverting ---------------------


def test_double_vote_in_one_batch_is_skipped(voting, opened, members, domain, stranger):
    ballots = [
        ballot(members[6], domain, 0, FOR),
        ballot(members[0], domain, 0, FOR),
        ballot(members[6], domain, 0, AGAINST),
    ]
    tx = voting.castVotes(MEETING, 0, ballots, {"from": stranger})

    assert skipped(tx) == [(2, ALREADY_VOTED)]
    assert cast_records(tx) == packed((257, FOR), (1, FOR))
    assert tally(voting, 0) == [0, 2, 0]


def test_a_replayed_batch_changes_nothing_and_emits_no_ballots(
    voting, opened, members, domain, stranger
):
    first = ballot(members[0], domain, 0, FOR)
    voting.castVotes(MEETING, 0, [first], {"from": stranger})
    replay = voting.castVotes(MEETING, 0, [first], {"from": stranger})
    again = voting.castVotes(
        MEETING, 0, [ballot(members[0], domain, 0, AGAINST)], {"from": stranger}
    )

    for tx in (replay, again):
        assert skipped(tx) == [(0, ALREADY_VOTED)]
        assert "BallotsCast" not in tx.events
    assert tally(voting, 0) == [0, 1, 0]
    assert voting.meeting(MEETING)["voterCount"] == 1


def test_a_front_run_copy_of_one_ballot_costs_the_relayer_only_that_ballot(
    voting, opened, members, outsiders, domain, stranger
):
    """The attack from the issue: a ballot copied from the mempool and relayed first. The
    relayer's batch still counts every other ballot; the copy is skipped."""
    ballots = [ballot(m, domain, 0, FOR) for m in members[:6]]
    attacker = outsiders[3]
    stolen = voting.castVotes(MEETING, 0, [ballots[3]], {"from": attacker})
    relayed = voting.castVotes(MEETING, 0, ballots, {"from": stranger})

    assert cast_records(stolen) == packed((4, FOR))
    assert skipped(relayed) == [(3, ALREADY_VOTED)]
    assert cast_records(relayed) == packed((1, FOR), (2, FOR), (3, FOR), (5, FOR), (6, FOR))
    assert tally(voting, 0) == [0, 6, 0]
    assert voting.meeting(MEETING)["voterCount"] == 6


# --- castVotes: eligibility follows the member number ----------------------------------------


def test_a_key_replaced_after_theft_stops_voting_and_the_new_key_votes(
    voting, coop_members, operator, opened, members, outsiders, domain, stranger
):
    """Member 1's key is stolen during voting; the roll moves number 1 to a new key."""
    thief_copy = ballot(members[0], domain, 0, AGAINST)  # signed with the stolen key
    coop_members.changeAddress(1, outsiders[0], {"from": operator})
    by_thief = voting.castVotes(MEETING, 0, [thief_copy], {"from": stranger})
    by_member = voting.castVotes(
        MEETING, 0, [ballot(outsiders[0], domain, 0, FOR)], {"from": stranger}
    )

    assert skipped(by_thief) == [(0, NOT_ELIGIBLE)]
    assert "BallotsCast" not in by_thief.events
    assert cast_records(by_member) == packed((1, FOR))
    assert tally(voting, 0) == [0, 1, 0]


def test_a_key_replaced_before_the_record_block_votes_with_the_new_key(
    voting, coop_members, operator, members, outsiders, domain, stranger
):
    coop_members.changeAddress(1, outsiders[0], {"from": operator})
    chain.mine()
    times = create_meeting(voting, operator, meeting_id=2)
    open_voting(times)
    old = ballot(members[0], domain, 0, FOR, meeting_id=2)
    new = ballot(outsiders[0], domain, 0, FOR, meeting_id=2)
    tx = voting.castVotes(2, 0, [old, new], {"from": stranger})

    assert skipped(tx) == [(0, NOT_ELIGIBLE)]
    assert cast_records(tx) == packed((1, FOR))


def test_a_number_that_voted_cannot_vote_again_with_its_new_key(
    voting, coop_members, operator, opened, members, outsiders, domain, stranger
):
    voting.castVotes(MEETING, 0, [ballot(members[0], domain, 0, FOR)], {"from": stranger})
    coop_members.changeAddress(1, outsiders[0], {"from": operator})
    tx = voting.castVotes(
        MEETING, 0, [ballot(outsiders[0], domain, 0, AGAINST)], {"from": stranger}
    )

    assert skipped(tx) == [(0, ALREADY_VOTED)]
    assert tally(voting, 0) == [0, 1, 0]


def test_non_members_and_members_without_membership_at_the_record_block_are_skipped(
    voting, coop_members, operator, opened, members, outsiders, domain, stranger
):
    coop_members.admit(9, outsiders[1], {"from": operator})  # after the record block
    ballots = [
        ballot(outsiders[0], domain, 0, FOR),  # never a member
        ballot(outsiders[1], domain, 0, FOR),  # admitted after the record block
        ballot(members[0], domain, 0, FOR),
    ]
    tx = voting.castVotes(MEETING, 0, ballots, {"from": stranger})

    assert skipped(tx) == [(0, NOT_ELIGIBLE), (1, NOT_ELIGIBLE)]
    assert cast_records(tx) == packed((1, FOR))


def test_member_who_exited_before_the_record_block_is_skipped(
    voting, coop_members, operator, members, domain, stranger
):
    coop_members.exit(2, {"from": operator})
    chain.mine()
    times = create_meeting(voting, operator)
    open_voting(times)
    tx = voting.castVotes(MEETING, 0, [ballot(members[1], domain, 0, FOR)], {"from": stranger})
    assert skipped(tx) == [(0, NOT_ELIGIBLE)]


def test_member_who_has_exited_since_the_record_block_no_longer_votes(
    voting, coop_members, operator, opened, members, domain, stranger
):
    """Eligibility needs the key's CURRENT number: an exited member's key holds none. The
    number still counts in the quorum's denominator (the roll at the record block)."""
    coop_members.exit(2, {"from": operator})
    tx = voting.castVotes(MEETING, 0, [ballot(members[1], domain, 0, FOR)], {"from": stranger})
    assert skipped(tx) == [(0, NOT_ELIGIBLE)]
    assert not voting.hasVoted(MEETING, 0, 2)


def test_a_number_readmitted_after_the_record_block_votes_with_its_new_key(
    voting, coop_members, operator, members, outsiders, domain, stranger
):
    """Number 2 was a member at the record block, left, and came back with another key."""
    times = create_meeting(voting, operator)
    coop_members.exit(2, {"from": operator})
    coop_members.admit(2, outsiders[0], {"from": operator})
    open_voting(times)
    tx = voting.castVotes(MEETING, 0, [ballot(outsiders[0], domain, 0, FOR)], {"from": stranger})
    assert cast_records(tx) == packed((2, FOR))


# --- castVotes: what the ballot commits to ---------------------------------------------------


@pytest.mark.parametrize(
    "attack", ["chain", "contract", "meeting", "proposal", "choice", "content"]
)
def test_a_ballot_signed_for_anything_else_recovers_a_stranger(
    voting, opened, members, domain, stranger, attack
):
    signed_domain = domain
    kwargs = {}
    if attack == "chain":
        signed_domain = Domain(domain.name, domain.chain_id + 1, domain.verifying_contract, "2")
    elif attack == "contract":
        signed_domain = Domain(domain.name, domain.chain_id, stranger.address, "2")
    elif attack == "meeting":
        kwargs["meeting_id"] = MEETING + 1
    elif attack == "proposal":
        kwargs["signed_proposal"] = 1
    elif attack == "content":
        # The member was shown another text for proposal 0 than the one committed on chain.
        kwargs["content"] = keccak(text="LPJ 2026 disetujui? (versi lain)")
    choice = AGAINST if attack == "choice" else FOR
    signed = ballot(members[0], signed_domain, 0, choice, **kwargs)
    relayed = (FOR, signed[1], signed[2])
    assert recovered_voter(domain, 0, FOR, relayed) != members[0].address
    tx = voting.castVotes(MEETING, 0, [relayed], {"from": stranger})

    assert skipped(tx) == [(0, NOT_ELIGIBLE)]
    assert "BallotsCast" not in tx.events
    assert tally(voting, 0) == [0, 0, 0]


def test_a_ballot_signed_under_the_old_domain_version_is_skipped(
    voting, opened, members, domain, stranger
):
    old = Domain(domain.name, domain.chain_id, domain.verifying_contract, "1")
    tx = voting.castVotes(MEETING, 0, [ballot(members[0], old, 0, FOR)], {"from": stranger})
    assert skipped(tx) == [(0, NOT_ELIGIBLE)]


def test_a_ballot_for_another_deployment_is_skipped_there(
    RatVoting, voting, coop_members, admin, operator, meeting, members, domain, stranger
):
    """A second RatVoting over the same roll and meeting id: a ballot counts only where signed."""
    other = RatVoting.deploy(admin, operator, admin, ADMIN_DELAY, coop_members, {"from": admin})
    other.createMeeting(
        MEETING,
        meeting["record"],
        meeting["start"],
        meeting["end"],
        QUORUM_BPS,
        1,
        {"from": operator},
    )
    other.addProposal(MEETING, YES_NO, 0, 0, CONTENT[0], {"from": operator})
    open_voting(meeting)
    signed = ballot(members[0], domain, 0, FOR)
    elsewhere = other.castVotes(MEETING, 0, [signed], {"from": stranger})
    here = voting.castVotes(MEETING, 0, [signed], {"from": stranger})

    assert skipped(elsewhere) == [(0, NOT_ELIGIBLE)]
    assert cast_records(here) == packed((1, FOR))


def test_malformed_signatures_are_skipped(voting, opened, members, domain, stranger):
    choice, r, vs = ballot(members[0], domain, 0, FOR)
    half_n = 0x7FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF5D576E7357A4501DDFE92F46681B20A0
    high_s = (half_n + 1).to_bytes(32, "big")  # upper-half s: the malleable twin's range
    ballots = [
        (choice, b"\x00" * 32, vs),
        (choice, r, high_s),
        ballot(members[1], domain, 0, AGAINST),
    ]
    tx = voting.castVotes(MEETING, 0, ballots, {"from": stranger})

    assert skipped(tx) == [(0, INVALID_SIGNATURE), (1, INVALID_SIGNATURE)]
    assert cast_records(tx) == packed((2, AGAINST))


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
    with brownie.reverts(revert_pattern=pattern):
        voting.castProxyVotes(
            MEETING, 0, [proxy_ballot(members[1], domain, 0, FOR, 1)], {"from": stranger}
        )


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
        voting.castVotes(
            MEETING, 2, [ballot(members[0], domain, 2, FOR, content=CONTENT[0])], {"from": stranger}
        )


# --- proxies (kuasa): appointed, accepted, revocable until used --------------------------------


def test_an_appointment_relayed_by_anyone_waits_for_the_proxy(
    voting, meeting, members, domain, stranger
):
    tx = appoint(voting, domain, members[6], 257, members[1], stranger)

    event = dict(tx.events["ProxyAppointed"][0])
    assert HexBytes(event.pop("agendaHash")) == HexBytes(AGENDA)
    assert event == {
        "meetingId": MEETING,
        "principalNumber": 257,
        "proxyNumber": 2,
        "proxy": members[1].address,
    }
    assert proxy_of(voting, 257) == (2, APPOINTED, False)
    assert voting.proxyCount(MEETING, 2) == 0  # not accepted: no quota used


def test_a_proxy_that_has_not_accepted_cannot_vote(voting, meeting, members, domain, stranger):
    appoint(voting, domain, members[6], 257, members[1], stranger)
    open_voting(meeting)
    tx = voting.castProxyVotes(
        MEETING, 0, [proxy_ballot(members[1], domain, 0, FOR, 257)], {"from": stranger}
    )
    assert skipped(tx) == [(0, NOT_PROXY)]
    assert "BallotsCast" not in tx.events
    assert not voting.hasVoted(MEETING, 0, 257)


def test_an_accepted_proxy_votes_for_the_principal(voting, meeting, members, domain, stranger):
    appoint(voting, domain, members[6], 257, members[1], stranger)
    accepted = accept(voting, domain, members[1], 257, stranger)
    open_voting(meeting)
    tx = voting.castProxyVotes(
        MEETING, 0, [proxy_ballot(members[1], domain, 0, AGAINST, 257)], {"from": stranger}
    )
    voting.castVotes(MEETING, 0, [ballot(members[1], domain, 0, FOR)], {"from": stranger})

    assert dict(accepted.events["ProxyAccepted"][0]) == {
        "meetingId": MEETING,
        "principalNumber": 257,
        "proxyNumber": 2,
    }
    assert voting.proxyCount(MEETING, 2) == 1
    assert cast_records(tx) == packed((257, AGAINST))  # the principal's number
    assert tally(voting, 0) == [1, 1, 0]
    assert voting.hasVoted(MEETING, 0, 257) and voting.hasVoted(MEETING, 0, 2)
    assert voting.meeting(MEETING)["voterCount"] == 2
    assert proxy_of(voting, 257) == (2, ACCEPTED, True)


def test_appointments_without_consent_cannot_squat_a_proxys_quota(
    voting, meeting, members, domain, stranger, error
):
    """Three members name member 5 as proxy (limit 2); member 5 accepts the two it chose."""
    for principal, number in ((members[0], 1), (members[1], 2), (members[2], 3)):
        appoint(voting, domain, principal, number, members[4], stranger)
    assert voting.proxyCount(MEETING, 5) == 0
    accept(voting, domain, members[4], 3, stranger)
    accept(voting, domain, members[4], 1, stranger)
    with brownie.reverts(error("RatVotingProxyLimitReached", MEETING, 5, MAX_PROXIES)):
        accept(voting, domain, members[4], 2, stranger)
    assert voting.proxyCount(MEETING, 5) == 2
    assert proxy_of(voting, 2) == (5, APPOINTED, False)


def test_acceptance_needs_the_proxys_own_signature(
    voting, meeting, members, domain, stranger, error
):
    appoint(voting, domain, members[0], 1, members[1], stranger)
    elsewhere = Domain(domain.name, domain.chain_id + 1, domain.verifying_contract, "2")
    for signature in (
        acceptance(members[0], domain, 1),  # the principal accepting for the proxy
        acceptance(members[1], elsewhere, 1),
        acceptance(members[1], domain, 1, meeting_id=MEETING + 1),
    ):
        with brownie.reverts(error("RatVotingInvalidSignature", members[1].address)):
            voting.acceptProxy(MEETING, 1, signature, {"from": stranger})
    assert proxy_of(voting, 1) == (2, APPOINTED, False)


def test_acceptance_needs_a_pending_appointment(voting, meeting, members, domain, stranger, error):
    with brownie.reverts(error("RatVotingProxyStatus", MEETING, 1, NONE)):
        accept(voting, domain, members[1], 1, stranger)
    appoint(voting, domain, members[0], 1, members[1], stranger)
    accept(voting, domain, members[1], 1, stranger)
    with brownie.reverts(error("RatVotingProxyStatus", MEETING, 1, ACCEPTED)):
        accept(voting, domain, members[1], 1, stranger)


def test_meeting_without_proxies(voting, operator, members, domain, stranger, error):
    create_meeting(voting, operator, meeting_id=2, max_proxies=0)
    appoint(voting, domain, members[0], 1, members[1], stranger, meeting_id=2)
    with brownie.reverts(error("RatVotingProxyLimitReached", 2, 2, 0)):
        accept(voting, domain, members[1], 1, stranger, meeting_id=2)


@pytest.mark.parametrize("accepted", [False, True])
def test_the_principal_revokes_and_votes_themself(
    voting, meeting, members, domain, stranger, accepted
):
    appoint(voting, domain, members[0], 1, members[1], stranger)
    if accepted:
        accept(voting, domain, members[1], 1, stranger)
    tx = revoke(voting, domain, members[0], 1, stranger)
    open_voting(meeting)
    by_proxy = voting.castProxyVotes(
        MEETING, 0, [proxy_ballot(members[1], domain, 0, AGAINST, 1)], {"from": stranger}
    )
    by_self = voting.castVotes(MEETING, 0, [ballot(members[0], domain, 0, FOR)], {"from": stranger})

    assert dict(tx.events["ProxyRevoked"][0]) == {
        "meetingId": MEETING,
        "principalNumber": 1,
        "proxyNumber": 2,
    }
    assert proxy_of(voting, 1) == (2, REVOKED, False)
    assert voting.proxyCount(MEETING, 2) == 0
    assert skipped(by_proxy) == [(0, NOT_PROXY)]
    assert cast_records(by_self) == packed((1, FOR))


def test_revocation_frees_the_proxys_quota(voting, meeting, members, domain, stranger):
    for principal, number in ((members[0], 1), (members[1], 2), (members[2], 3)):
        appoint(voting, domain, principal, number, members[4], stranger)
    accept(voting, domain, members[4], 1, stranger)
    accept(voting, domain, members[4], 2, stranger)
    revoke(voting, domain, members[0], 1, stranger)
    accept(voting, domain, members[4], 3, stranger)
    assert voting.proxyCount(MEETING, 5) == 2


def test_no_revoking_once_the_proxy_has_voted(voting, meeting, members, domain, stranger, error):
    appoint(voting, domain, members[0], 1, members[1], stranger)
    accept(voting, domain, members[1], 1, stranger)
    open_voting(meeting)
    voting.castProxyVotes(
        MEETING, 1, [proxy_ballot(members[1], domain, 1, 0b1, 1)], {"from": stranger}
    )
    with brownie.reverts(error("RatVotingProxyUsed", MEETING, 1)):
        revoke(voting, domain, members[0], 1, stranger)
    assert proxy_of(voting, 1) == (2, ACCEPTED, True)


def test_a_skipped_proxy_ballot_does_not_use_the_appointment(
    voting, meeting, members, domain, stranger
):
    """The principal voted first; the proxy's ballot is skipped and revoking stays possible."""
    appoint(voting, domain, members[0], 1, members[1], stranger)
    accept(voting, domain, members[1], 1, stranger)
    open_voting(meeting)
    voting.castVotes(MEETING, 0, [ballot(members[0], domain, 0, FOR)], {"from": stranger})
    tx = voting.castProxyVotes(
        MEETING, 0, [proxy_ballot(members[1], domain, 0, AGAINST, 1)], {"from": stranger}
    )
    assert skipped(tx) == [(0, ALREADY_VOTED)]
    assert proxy_of(voting, 1) == (2, ACCEPTED, False)
    revoke(voting, domain, members[0], 1, stranger)


def test_revocation_needs_the_principals_signature_and_a_live_appointment(
    voting, meeting, members, domain, stranger, error
):
    with brownie.reverts(error("RatVotingProxyStatus", MEETING, 1, NONE)):
        revoke(voting, domain, members[0], 1, stranger)
    appoint(voting, domain, members[0], 1, members[1], stranger)
    signature = revocation(members[1], domain, 1)  # the proxy cannot revoke for the principal
    with brownie.reverts(error("RatVotingInvalidSignature", members[0].address)):
        voting.revokeProxy(MEETING, 1, signature, {"from": stranger})
    revoke(voting, domain, members[0], 1, stranger)
    with brownie.reverts(error("RatVotingProxyStatus", MEETING, 1, REVOKED)):
        revoke(voting, domain, members[0], 1, stranger)


def test_an_old_appointment_cannot_be_replayed_after_revocation(
    voting, meeting, members, domain, stranger, error
):
    signature = appointment(members[0], domain, 1, members[1])
    voting.registerProxy(MEETING, 1, members[1], signature, {"from": stranger})
    revoke(voting, domain, members[0], 1, stranger)
    with brownie.reverts(error("RatVotingProxyAlreadySet", MEETING, 1)):
        voting.registerProxy(MEETING, 1, members[1], signature, {"from": stranger})
    assert proxy_of(voting, 1) == (2, REVOKED, False)


def test_a_proxys_stolen_key_stops_acting_as_proxy(
    voting, coop_members, operator, meeting, members, outsiders, domain, stranger
):
    """Member 2, proxy of member 1, gets a new key: the old key's proxy ballot is skipped,
    the new key votes for member 1."""
    appoint(voting, domain, members[0], 1, members[1], stranger)
    accept(voting, domain, members[1], 1, stranger)
    open_voting(meeting)
    coop_members.changeAddress(2, outsiders[0], {"from": operator})
    by_old = proxy_ballot(members[1], domain, 0, AGAINST, 1)
    by_new = proxy_ballot(outsiders[0], domain, 0, FOR, 1)
    tx = voting.castProxyVotes(MEETING, 0, [by_old, by_new], {"from": stranger})

    assert skipped(tx) == [(0, NOT_PROXY)]
    assert cast_records(tx) == packed((1, FOR))


def test_a_principals_stolen_key_cannot_appoint_or_revoke(
    voting, coop_members, operator, meeting, members, outsiders, domain, stranger, error
):
    appoint(voting, domain, members[0], 1, members[1], stranger)
    coop_members.changeAddress(1, outsiders[0], {"from": operator})
    with brownie.reverts(error("RatVotingInvalidSignature", outsiders[0].address)):
        revoke(voting, domain, members[0], 1, stranger)  # signed with the old key
    revoke(voting, domain, outsiders[0], 1, stranger)
    with brownie.reverts(error("RatVotingProxyAlreadySet", MEETING, 1)):
        appoint(voting, domain, outsiders[0], 1, members[2], stranger)
    with brownie.reverts(error("RatVotingInvalidSignature", members[2].address)):
        appoint(voting, domain, members[0], 3, members[3], stranger)  # not member 3's key


@pytest.mark.parametrize("proxy_first", [True, False])
def test_proxy_and_principal_cannot_both_vote(
    voting, meeting, members, domain, stranger, proxy_first
):
    appoint(voting, domain, members[0], 1, members[1], stranger)
    accept(voting, domain, members[1], 1, stranger)
    open_voting(meeting)
    by_proxy = ("castProxyVotes", [proxy_ballot(members[1], domain, 0, AGAINST, 1)])
    by_self = ("castVotes", [ballot(members[0], domain, 0, FOR)])
    first, second = (by_proxy, by_self) if proxy_first else (by_self, by_proxy)
    getattr(voting, first[0])(MEETING, 0, first[1], {"from": stranger})
    tx = getattr(voting, second[0])(MEETING, 0, second[1], {"from": stranger})

    assert skipped(tx) == [(0, ALREADY_VOTED)]
    assert tally(voting, 0) == ([1, 0, 0] if proxy_first else [0, 1, 0])


def test_proxy_ballots_from_anyone_else_are_skipped(voting, meeting, members, domain, stranger):
    appoint(voting, domain, members[0], 1, members[1], stranger)
    accept(voting, domain, members[1], 1, stranger)
    open_voting(meeting)
    elsewhere = Domain(domain.name, domain.chain_id + 1, domain.verifying_contract, "2")
    ballots = [
        proxy_ballot(members[2], domain, 0, FOR, 1),  # not the proxy
        proxy_ballot(members[1], domain, 0, FOR, 4),  # not 4's proxy
        proxy_ballot(members[1], elsewhere, 0, FOR, 1),  # another chain: a stranger recovers
        proxy_ballot(members[1], domain, 0, 7, 1),  # an invalid choice
    ]
    tx = voting.castProxyVotes(MEETING, 0, ballots, {"from": stranger})

    assert skipped(tx) == [(3, INVALID_CHOICE), (0, NOT_PROXY), (1, NOT_PROXY), (2, NOT_PROXY)]
    assert "BallotsCast" not in tx.events
    assert proxy_of(voting, 1) == (2, ACCEPTED, False)


@pytest.mark.parametrize("case", ["zero-proxy", "self"])
def test_register_proxy_rejects_bad_pairs(voting, meeting, members, stranger, error, case):
    proxy = ZERO_ADDRESS if case == "zero-proxy" else members[0].address
    with brownie.reverts(error("RatVotingInvalidProxy", 1, proxy)):
        voting.registerProxy(MEETING, 1, proxy, b"\x00" * 65, {"from": stranger})


@pytest.mark.parametrize(
    "attack", ["proxy-signs", "other-chain", "other-meeting", "other-agenda", "old-version"]
)
def test_register_proxy_needs_the_principals_signature_on_this_agenda(
    voting, meeting, members, domain, stranger, error, attack
):
    signer, signed_domain, meeting_id, agenda = members[0], domain, MEETING, AGENDA
    if attack == "proxy-signs":
        signer = members[1]
    elif attack == "other-chain":
        signed_domain = Domain(domain.name, domain.chain_id + 1, domain.verifying_contract, "2")
    elif attack == "other-meeting":
        meeting_id = MEETING + 1
    elif attack == "other-agenda":
        agenda = keccak(CONTENT[0])  # the principal saw only the first item
    else:
        signed_domain = Domain(domain.name, domain.chain_id, domain.verifying_contract, "1")
    signature = appointment(signer, signed_domain, 1, members[1], meeting_id, agenda)
    with brownie.reverts(error("RatVotingInvalidSignature", members[0].address)):
        voting.registerProxy(MEETING, 1, members[1], signature, {"from": stranger})


def test_register_proxy_needs_members_at_the_record_block(
    voting, coop_members, operator, meeting, members, outsiders, domain, stranger, error
):
    coop_members.admit(9, outsiders[0], {"from": operator})  # after the record block
    with brownie.reverts(error("RatVotingNotEligible", MEETING, outsiders[0].address)):
        appoint(voting, domain, outsiders[0], 9, members[1], stranger)
    with brownie.reverts(error("RatVotingNotEligible", MEETING, outsiders[0].address)):
        appoint(voting, domain, members[1], 2, outsiders[0], stranger)
    with brownie.reverts(error("RatVotingNotEligible", MEETING, outsiders[1].address)):
        appoint(voting, domain, members[1], 2, outsiders[1], stranger)  # never a member
    with brownie.reverts(error("RatVotingNotEligible", MEETING, ZERO_ADDRESS)):
        appoint(voting, domain, members[1], 77, members[2], stranger)  # no such number


def test_register_proxy_needs_an_agenda(voting, operator, members, domain, stranger, error):
    start = chain.time() + DAY + 100
    voting.createMeeting(7, chain.height - 1, start, start + HOUR, 5_000, 1, {"from": operator})
    with brownie.reverts(error("RatVotingUnknownProposal", 7, 0)):
        appoint(voting, domain, members[0], 1, members[1], stranger, meeting_id=7)


def test_proxies_close_with_voting(voting, meeting, members, domain, stranger, error):
    appoint(voting, domain, members[0], 1, members[1], stranger)
    close_voting(meeting)
    closed = error("RatVotingRegistrationClosed", MEETING, meeting["end"])
    with brownie.reverts(closed):
        appoint(voting, domain, members[2], 3, members[1], stranger)
    with brownie.reverts(closed):
        accept(voting, domain, members[1], 1, stranger)
    with brownie.reverts(closed):
        revoke(voting, domain, members[0], 1, stranger)
    with brownie.reverts(error("RatVotingUnknownMeeting", 99)):
        appoint(voting, domain, members[0], 1, members[1], stranger, meeting_id=99)


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
    appoint(voting, domain, members[3], 4, members[0], stranger)
    accept(voting, domain, members[0], 4, stranger)
    open_voting(meeting)
    cast_for(voting, domain, stranger, members[:3])
    voting.castProxyVotes(
        MEETING, 1, [proxy_ballot(members[0], domain, 1, 0, 4)], {"from": stranger}
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


def test_the_largest_allowed_meeting_finalizes_well_within_a_block(
    voting, operator, meeting, members, domain, stranger
):
    """64 items holding 512 candidates (62 elections of 8, the 2 items of the fixture, and
    one more election to fill the candidate cap would break the item cap: 62 * 8 + 4 = 500)."""
    for index in range(62):
        content = keccak(index.to_bytes(2, "big"))
        voting.addProposal(MEETING, ELECTION, 8, 8, content, {"from": operator})
    assert voting.meeting(MEETING)["proposalCount"] == 64
    close_voting(meeting)
    tx = voting.finalize(MEETING, {"from": stranger})

    assert len(tx.events["ProposalTallied"]) == 64
    assert tx.gas_used < 2_000_000  # a block holds 30,000,000


# --- the window and pauses -------------------------------------------------------------------


def test_a_pause_during_voting_extends_the_window_by_its_length(
    voting, admin, pauser, opened, members, domain, stranger, error
):
    sleep_until(opened["start"] + 600)
    paused_at = voting.pause({"from": pauser}).timestamp
    chain.sleep(3 * HOUR)  # longer than the rest of the window
    chain.mine()
    resumed_at = voting.unpause({"from": admin}).timestamp
    shift = resumed_at - paused_at
    new_end = opened["end"] + shift

    assert [int(x) for x in voting.votingWindow(MEETING)] == [opened["start"] + shift, new_end]
    # Past the end as created, the member still has the time the pause took.
    tx = voting.castVotes(MEETING, 0, [ballot(members[0], domain, 0, FOR)], {"from": stranger})
    assert cast_records(tx) == packed((1, FOR))
    with brownie.reverts(error("RatVotingVotingNotEnded", MEETING, new_end)):
        voting.finalize(MEETING, {"from": stranger})
    sleep_until(new_end)
    with brownie.reverts(revert_pattern=rf"RatVotingNotOpen: {MEETING}, \d+, \d+, {new_end}"):
        voting.castVotes(MEETING, 0, [ballot(members[1], domain, 0, FOR)], {"from": stranger})
    voting.finalize(MEETING, {"from": stranger})


def test_the_window_in_force_counts_a_pause_going_on(voting, pauser, opened):
    paused_at = voting.pause({"from": pauser}).timestamp
    chain.sleep(500)
    chain.mine()
    shift = chain.time() - paused_at
    start, end = (int(x) for x in voting.votingWindow(MEETING))
    assert (start, end) == (opened["start"] + shift, opened["end"] + shift)


def test_a_pause_after_voting_ended_does_not_reopen_it(
    voting, admin, pauser, meeting, members, domain, stranger
):
    close_voting(meeting)
    voting.pause({"from": pauser})
    chain.sleep(HOUR)
    chain.mine()
    voting.unpause({"from": admin})
    start, end = (int(x) for x in voting.votingWindow(MEETING))
    assert end < chain.time()
    with brownie.reverts(revert_pattern=rf"RatVotingNotOpen: {MEETING}, \d+, {start}, {end}"):
        voting.castVotes(MEETING, 0, [ballot(members[0], domain, 0, FOR)], {"from": stranger})
    voting.finalize(MEETING, {"from": stranger})


def test_a_pause_before_voting_moves_the_whole_window(
    voting, admin, pauser, meeting, members, domain, stranger
):
    voting.pause({"from": pauser})
    chain.sleep(HOUR)
    chain.mine()
    voting.unpause({"from": admin})
    start, end = (int(x) for x in voting.votingWindow(MEETING))
    shift = start - meeting["start"]
    assert HOUR <= shift <= HOUR + 5 and end == meeting["end"] + shift
    sleep_until(meeting["start"] + 1)
    with brownie.reverts(revert_pattern=rf"RatVotingNotOpen: {MEETING}, \d+, {start}, {end}"):
        voting.castVotes(MEETING, 0, [ballot(members[0], domain, 0, FOR)], {"from": stranger})
    assert int(voting.meeting(MEETING)["votingStart"]) == meeting["start"]  # stored as created
    sleep_until(start)
    voting.castVotes(MEETING, 0, [ballot(members[0], domain, 0, FOR)], {"from": stranger})


def test_pausing_before_a_meeting_is_created_does_not_move_it(voting, admin, pauser, operator):
    voting.pause({"from": pauser})
    chain.sleep(HOUR)
    voting.unpause({"from": admin})
    times = create_meeting(voting, operator, meeting_id=2)
    assert [int(x) for x in voting.votingWindow(2)] == [times["start"], times["end"]]
    assert voting.meeting(2)["pausedBase"] > HOUR - 10


# --- roles and pause -------------------------------------------------------------------------


def test_only_the_operator_creates_meetings_and_proposals(voting, admin, stranger, meeting, error):
    for caller in (stranger, admin):
        expected = error("AccessControlUnauthorizedAccount", caller.address, OPERATOR_ROLE)
        with brownie.reverts(expected):
            voting.createMeeting(
                7,
                chain.height - 1,
                chain.time() + 2 * DAY,
                chain.time() + 3 * DAY,
                5_000,
                1,
                {"from": caller},
            )
        with brownie.reverts(expected):
            voting.addProposal(MEETING, YES_NO, 0, 0, CONTENT[0], {"from": caller})


def test_pause_stops_everything_that_writes(
    voting, admin, operator, pauser, meeting, members, domain, stranger, error
):
    appoint(voting, domain, members[2], 3, members[3], stranger)
    signature = appointment(members[0], domain, 1, members[1])
    open_voting(meeting)
    tx = voting.pause({"from": pauser})
    assert voting.paused() and tx.events["Paused"][0]["account"] == pauser
    for call in (
        lambda: voting.createMeeting(
            7,
            chain.height - 1,
            chain.time() + 2 * DAY,
            chain.time() + 3 * DAY,
            5_000,
            1,
            {"from": operator},
        ),
        lambda: voting.addProposal(MEETING, YES_NO, 0, 0, CONTENT[0], {"from": operator}),
        lambda: voting.registerProxy(MEETING, 1, members[1], signature, {"from": stranger}),
        lambda: accept(voting, domain, members[3], 3, stranger),
        lambda: revoke(voting, domain, members[2], 3, stranger),
        lambda: voting.castVotes(
            MEETING, 0, [ballot(members[0], domain, 0, FOR)], {"from": stranger}
        ),
        lambda: voting.castProxyVotes(
            MEETING, 0, [proxy_ballot(members[3], domain, 0, FOR, 3)], {"from": stranger}
        ),
        lambda: voting.finalize(MEETING, {"from": stranger}),
    ):
        with brownie.reverts(error("EnforcedPause")):
            call()
    voting.unpause({"from": admin})
    assert not voting.paused()
    voting.castVotes(MEETING, 0, [ballot(members[0], domain, 0, FOR)], {"from": stranger})


def test_operator_can_neither_pause_nor_unpause(voting, operator, error):
    with brownie.reverts(error("AccessControlUnauthorizedAccount", operator.address, PAUSER_ROLE)):
        voting.pause({"from": operator})
    with brownie.reverts(error("AccessControlUnauthorizedAccount", operator.address, ADMIN_ROLE)):
        voting.unpause({"from": operator})


def test_unpausing_needs_a_pause(voting, admin, error):
    with brownie.reverts(error("ExpectedPause")):
        voting.unpause({"from": admin})


# --- gas -------------------------------------------------------------------------------------


@pytest.fixture
def hundred_voters(voting, coop_members, operator, accounts, domain, stranger):
    """101 members numbered 1024..1124 (one bitmap word) and an open meeting in which the
    first has voted, as someone always has."""
    voters = [accounts.add() for _ in range(101)]
    coop_members.admitBatch(list(range(1_024, 1_125)), voters, {"from": operator})
    chain.mine()
    times = create_meeting(voting, operator)
    open_voting(times)
    voting.castVotes(MEETING, 0, [ballot(voters[0], domain, 0, FOR)], {"from": stranger})
    return voters[1:]


def test_a_batch_of_ballots_costs_under_10000_gas_each(voting, hundred_voters, domain, stranger):
    """The receipt's gas / 100 for a batch of 100 (bench/ reports the figures)."""
    ballots = [ballot(v, domain, 0, FOR) for v in hundred_voters]
    tx = voting.castVotes(MEETING, 0, ballots, {"from": stranger})
    assert tx.gas_used / 100 < 10_000
    assert tally(voting, 0) == [0, 101, 0]


def test_a_batch_with_ten_front_run_ballots_still_counts_the_other_ninety(
    voting, hundred_voters, domain, stranger, accounts
):
    ballots = [ballot(v, domain, 0, FOR) for v in hundred_voters]
    front_run = ballots[::10]
    voting.castVotes(MEETING, 0, front_run, {"from": accounts[7]})
    tx = voting.castVotes(MEETING, 0, ballots, {"from": stranger})

    assert skipped(tx) == [(i, ALREADY_VOTED) for i in range(0, 100, 10)]
    assert len(cast_records(tx)) == 90 * 9
    assert tally(voting, 0) == [0, 101, 0]
    assert tx.gas_used / 100 < 10_000
