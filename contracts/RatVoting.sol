// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MessageHashUtils} from "@openzeppelin/contracts/utils/cryptography/MessageHashUtils.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ICoopMembers} from "./interfaces/ICoopMembers.sol";
import {CoopRoles} from "./access/CoopRoles.sol";
import {IRatVoting} from "./interfaces/IRatVoting.sol";

/// @title RatVoting
/// @notice The members' annual meeting (RAT). The backend (OPERATOR_ROLE) creates a meeting and
/// its proposals; members sign EIP-712 ballots in their wallets; anyone relays them in batches,
/// so voting costs members no gas. Eligibility is membership in CoopMembers at the meeting's
/// record block, and a vote is keyed by member number, so a member whose address changed
/// cannot vote twice. A member may appoint one proxy (kuasa) per meeting by signing a `Proxy`;
/// a proxy represents at most `maxPrincipalsPerProxy` principals and signs `ProxyBallot`s.
///
/// EIP-712 domain: name "KSP RatVoting", version "1", this chain's id, this contract.
///
/// Gas, per ballot in a batch: the ballot's calldata (choice and a 64-byte ERC-2098
/// signature; the voter is recovered, not sent), one ecrecover, one cold slot in CoopMembers
/// (one call for the whole batch), and bitmap words and the tally kept in memory and written
/// once per batch. A batch is one proposal; one {BallotsCast} event per batch names every
/// member number that voted.
contract RatVoting is IRatVoting, CoopRoles, EIP712 {
    /// @notice EIP-712 type of a member's ballot; the signer is the voter.
    bytes32 public constant BALLOT_TYPEHASH = keccak256("Ballot(uint64 meetingId,uint32 proposalIndex,uint256 choice)");

    /// @notice EIP-712 type of a ballot a proxy casts for `principal`; the signer is the proxy.
    bytes32 public constant PROXY_BALLOT_TYPEHASH =
        keccak256("ProxyBallot(uint64 meetingId,uint32 proposalIndex,uint256 choice,address principal)");

    /// @notice EIP-712 type of a principal appointing a proxy.
    bytes32 public constant PROXY_TYPEHASH = keccak256("Proxy(uint64 meetingId,address principal,address proxy)");

    /// @dev Choices of a yes-no-abstain proposal (GovernorCountingSimple's order).
    uint256 private constant _AGAINST = 0;
    uint256 private constant _FOR = 1;
    uint256 private constant _ABSTAIN = 2;

    /// @dev Kind, election shape and tally of a proposal, in one slot. An election counts blank
    /// ballots in `abstainVotes` and candidates' votes in `_candidateVotes`.
    struct Proposal {
        ProposalKind kind;
        uint8 seats;
        uint8 candidateCount;
        uint64 againstVotes;
        uint64 forVotes;
        uint64 abstainVotes;
    }

    /// @dev A proxy appointment, with the principal's member number at the record block.
    struct ProxyGrant {
        address proxy;
        uint64 principalNumber;
    }

    /// @dev A bitmap word a batch is working on, kept in memory and written back to storage only
    /// when the batch moves to another word, and at its end. Ballots ordered by member number
    /// (what the relayer sends) then cost one SLOAD and one SSTORE per 256 members, not one per
    /// ballot; any order stays correct, since a word is written back before another is loaded.
    struct CachedWord {
        uint256 key; // the mapping key of `bits`, or _NO_KEY
        uint256 bits;
    }

    /// @dev Where the second pass of a batch stands: the bitmap words it works on and how many
    /// members voted in the meeting for the first time.
    struct Marks {
        uint256 ballotsBase; // `_ballots` key of word 0 for the proposal
        uint256 participantsBase; // `_participants` key of word 0 for the meeting
        CachedWord voted; // a `_ballots` word
        CachedWord participated; // a `_participants` word
        uint256 newVoters;
    }

    /// @dev Marks an empty {CachedWord}: every real key is below 2^160.
    uint256 private constant _NO_KEY = type(uint256).max;

    ICoopMembers private immutable _members;

    // Composite uint256 keys (one keccak per lookup instead of one per nesting level):
    //   meetingProposal = meetingId << 32 | proposalIndex
    //   ballots word    = meetingProposal << 56 | memberNumber >> 8   (bit memberNumber & 255)
    //   candidate word  = meetingProposal << 8 | candidate >> 2       (4 uint64 counts a slot)
    //   participants    = meetingId << 56 | memberNumber >> 8
    //   proxies         = meetingId << 160 | address
    mapping(uint64 meetingId => Meeting meeting) private _meetings;
    mapping(uint256 meetingProposal => Proposal proposal) private _proposals;
    mapping(uint256 meetingProposalCandidates => uint256 counts) private _candidateVotes;
    mapping(uint256 meetingProposalNumbers => uint256 bits) private _ballots;
    mapping(uint256 meetingNumbers => uint256 bits) private _participants;
    mapping(uint256 meetingPrincipal => ProxyGrant grant) private _proxies;
    mapping(uint256 meetingProxy => uint256 principals) private _proxyCounts;

    /// @param admin receives DEFAULT_ADMIN_ROLE (the pengurus key or multisig).
    /// @param operator receives OPERATOR_ROLE (the backend's hot key).
    /// @param pauser receives PAUSER_ROLE.
    /// @param adminDelay seconds between starting and accepting an admin transfer.
    /// @param members_ the CoopMembers contract whose roll decides who may vote.
    constructor(
        address admin,
        address operator,
        address pauser,
        uint48 adminDelay,
        address members_
    ) CoopRoles(admin, operator, pauser, adminDelay) EIP712("KSP RatVoting", "1") {
        _members = ICoopMembers(members_);
    }

    /// @inheritdoc IRatVoting
    /// @dev Requirements:
    /// - the caller has OPERATOR_ROLE and the contract is not paused;
    /// - no meeting with `meetingId` exists;
    /// - `recordBlock` is a past block, so the electorate is fixed when the meeting is published;
    /// - `block.timestamp` < `votingStart` < `votingEnd`;
    /// - `quorumBps` <= 10000.
    ///
    /// Emits a {MeetingCreated} event.
    function createMeeting(
        uint64 meetingId,
        uint48 recordBlock,
        uint64 votingStart,
        uint64 votingEnd,
        uint16 quorumBps,
        uint8 maxPrincipalsPerProxy
    ) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        Meeting storage stored = _meetings[meetingId];
        if (stored.votingEnd != 0) {
            revert RatVotingMeetingExists(meetingId);
        }
        if (recordBlock >= block.number) {
            revert RatVotingRecordBlockNotPast(recordBlock, block.number);
        }
        if (votingStart <= block.timestamp || votingEnd <= votingStart) {
            revert RatVotingInvalidSchedule(votingStart, votingEnd);
        }
        if (quorumBps > 10_000) {
            revert RatVotingInvalidQuorum(quorumBps);
        }
        stored.recordBlock = recordBlock;
        stored.votingStart = votingStart;
        stored.votingEnd = votingEnd;
        stored.quorumBps = quorumBps;
        stored.maxPrincipalsPerProxy = maxPrincipalsPerProxy;
        emit MeetingCreated(meetingId, recordBlock, votingStart, votingEnd, quorumBps, maxPrincipalsPerProxy);
    }

    /// @inheritdoc IRatVoting
    /// @dev Proposals are numbered 0, 1, 2, ... in the order they are added.
    ///
    /// Requirements:
    /// - the caller has OPERATOR_ROLE and the contract is not paused;
    /// - the meeting exists, voting has not started, and it has fewer than 255 proposals;
    /// - kind 0 (yes-no-abstain) with `seats` and `candidateCount` 0, or kind 1 (election) with
    ///   1 <= `seats` <= `candidateCount`.
    ///
    /// Emits a {ProposalAdded} event.
    function addProposal(
        uint64 meetingId,
        uint8 kind,
        uint8 seats,
        uint8 candidateCount
    ) external onlyRole(OPERATOR_ROLE) whenNotPaused returns (uint32 proposalIndex) {
        Meeting storage stored = _requireMeeting(meetingId);
        if (block.timestamp >= stored.votingStart) {
            revert RatVotingProposalsClosed(meetingId, stored.votingStart);
        }
        bool valid = kind == uint8(ProposalKind.YesNoAbstain)
            ? seats == 0 && candidateCount == 0
            : kind == uint8(ProposalKind.Election) && seats != 0 && seats <= candidateCount;
        if (!valid) {
            revert RatVotingInvalidProposal(kind, seats, candidateCount);
        }
        uint8 count = stored.proposalCount;
        if (count == type(uint8).max) {
            revert RatVotingTooManyProposals(meetingId);
        }
        proposalIndex = count;
        // Cannot overflow: `count` < 255 was checked above.
        unchecked {
            stored.proposalCount = count + 1;
        }
        Proposal storage created = _proposals[_proposalKey(meetingId, proposalIndex)];
        created.kind = ProposalKind(kind);
        created.seats = seats;
        created.candidateCount = candidateCount;
        emit ProposalAdded(meetingId, proposalIndex, ProposalKind(kind), seats, candidateCount);
    }

    /// @inheritdoc IRatVoting
    /// @dev The signature is checked with OpenZeppelin's SignatureChecker (an EOA's 65-byte
    /// signature, or an ERC-1271 wallet's). Anyone may relay it. A principal appoints one proxy
    /// per meeting, for good: votes are keyed by the principal's member number, so whichever of
    /// principal and proxy votes first on a proposal wins and the other is rejected.
    ///
    /// Requirements:
    /// - the contract is not paused; the meeting exists and voting has not ended;
    /// - `principal` and `proxy` are distinct, non-zero addresses;
    /// - `signature` is the principal's over `Proxy(meetingId, principal, proxy)`;
    /// - both were members at the record block;
    /// - the principal has no proxy yet in this meeting;
    /// - the proxy represents fewer than `maxPrincipalsPerProxy` principals.
    ///
    /// Emits a {ProxyRegistered} event.
    function registerProxy(
        uint64 meetingId,
        address principal,
        address proxy,
        bytes calldata signature
    ) external whenNotPaused {
        Meeting memory m = _requireMeeting(meetingId);
        if (block.timestamp >= m.votingEnd) {
            revert RatVotingRegistrationClosed(meetingId, m.votingEnd);
        }
        if (principal == address(0) || proxy == address(0) || principal == proxy) {
            revert RatVotingInvalidProxy(principal, proxy);
        }
        bytes32 digest = _proxyDigest(meetingId, principal, proxy);
        if (!SignatureChecker.isValidSignatureNowCalldata(principal, digest, signature)) {
            revert RatVotingInvalidSignature(principal);
        }
        uint64 principalNumber = _members.memberNumberAt(principal, m.recordBlock);
        if (principalNumber == 0) {
            revert RatVotingNotEligible(meetingId, principal);
        }
        if (!_members.wasMemberAt(proxy, m.recordBlock)) {
            revert RatVotingNotEligible(meetingId, proxy);
        }
        ProxyGrant storage grant = _proxies[_addressKey(meetingId, principal)];
        if (grant.proxy != address(0)) {
            revert RatVotingProxyAlreadySet(meetingId, principal);
        }
        uint256 proxyKey = _addressKey(meetingId, proxy);
        uint256 represented = _proxyCounts[proxyKey];
        if (represented >= m.maxPrincipalsPerProxy) {
            revert RatVotingProxyLimitReached(meetingId, proxy, m.maxPrincipalsPerProxy);
        }
        grant.proxy = proxy;
        grant.principalNumber = principalNumber;
        // Cannot overflow: `represented` < maxPrincipalsPerProxy <= 255 was checked above.
        unchecked {
            _proxyCounts[proxyKey] = represented + 1;
        }
        emit ProxyRegistered(meetingId, principal, proxy, principalNumber);
    }

    /// @inheritdoc IRatVoting
    /// @dev For each ballot: the signature is a valid ECDSA signature (OpenZeppelin ECDSA,
    /// ERC-2098 compact form, low s) and recovers the voter; the choice is valid for the
    /// proposal; the voter was a member at the record block (one CoopMembers call for the whole
    /// batch); that member number has not voted on the proposal, in this batch or before. One
    /// bad ballot reverts the batch: the relayer simulates the call and drops it first.
    ///
    /// Requirements:
    /// - the contract is not paused; the meeting and the proposal exist;
    /// - `votingStart` <= `block.timestamp` < `votingEnd`;
    /// - `ballots` is not empty, and each ballot passes the checks above (OpenZeppelin's
    ///   `ECDSAInvalidSignature` / `ECDSAInvalidSignatureS` for a malformed signature).
    ///
    /// Emits one {BallotsCast} event.
    function castVotes(
        uint64 meetingId,
        uint32 proposalIndex,
        SignedBallot[] calldata ballots
    ) external whenNotPaused {
        Meeting memory m = _requireOpen(meetingId, proposalIndex, ballots.length);
        uint256 proposalKey = _proposalKey(meetingId, proposalIndex);
        Proposal memory counted = _proposals[proposalKey];
        bytes32 domainSeparator = _domainSeparatorV4();
        // encodeData of a Ballot, allocated once per batch: only the choice (last word) changes.
        bytes memory encoded = abi.encode(BALLOT_TYPEHASH, meetingId, proposalIndex, uint256(0));
        address[] memory voters = new address[](ballots.length);
        for (uint256 i = 0; i < ballots.length; ++i) {
            SignedBallot calldata ballot = ballots[i];
            uint256 choice = ballot.choice;
            assembly ("memory-safe") {
                mstore(add(encoded, 0x80), choice) // word 3 of the data, after the length word
            }
            bytes32 digest = MessageHashUtils.toTypedDataHash(domainSeparator, keccak256(encoded));
            voters[i] = ECDSA.recover(digest, ballot.r, ballot.vs);
            _count(counted, meetingId, proposalIndex, proposalKey, choice);
        }
        _proposals[proposalKey] = counted;
        uint256[] memory numbers = _members.memberNumbersAt(voters, m.recordBlock);
        _markVoters(meetingId, proposalIndex, m.voterCount, numbers, voters);
    }

    /// @inheritdoc IRatVoting
    /// @dev As {castVotes}, except that the signer must be the registered proxy of the ballot's
    /// `principal`. The vote counts for the principal's member number, so the principal's own
    /// ballot on the proposal, before or after, is rejected as a double vote.
    ///
    /// Requirements: as {castVotes}, with the proxy check above.
    ///
    /// Emits one {BallotsCast} event.
    function castProxyVotes(
        uint64 meetingId,
        uint32 proposalIndex,
        SignedProxyBallot[] calldata ballots
    ) external whenNotPaused {
        Meeting memory m = _requireOpen(meetingId, proposalIndex, ballots.length);
        uint256 proposalKey = _proposalKey(meetingId, proposalIndex);
        Proposal memory counted = _proposals[proposalKey];
        bytes32 domainSeparator = _domainSeparatorV4();
        // encodeData of a ProxyBallot, allocated once per batch: choice and principal change.
        bytes memory encoded = abi.encode(PROXY_BALLOT_TYPEHASH, meetingId, proposalIndex, uint256(0), address(0));
        address[] memory proxies = new address[](ballots.length);
        uint256[] memory numbers = new uint256[](ballots.length);
        for (uint256 i = 0; i < ballots.length; ++i) {
            SignedProxyBallot calldata ballot = ballots[i];
            (proxies[i], numbers[i]) = _verifyProxyBallot(meetingId, domainSeparator, encoded, ballot);
            _count(counted, meetingId, proposalIndex, proposalKey, ballot.choice);
        }
        _proposals[proposalKey] = counted;
        _markVoters(meetingId, proposalIndex, m.voterCount, numbers, proxies);
    }

    /// @inheritdoc IRatVoting
    /// @dev Quorum: distinct voters (in person or by proxy) * 10000 >= quorumBps * members at
    /// the record block.
    ///
    /// Requirements:
    /// - the contract is not paused; the meeting exists and is not finalized;
    /// - `block.timestamp` >= `votingEnd`.
    ///
    /// Emits a {ProposalTallied} event per proposal, then a {MeetingFinalized} event.
    function finalize(uint64 meetingId) external whenNotPaused {
        Meeting storage stored = _requireMeeting(meetingId);
        if (stored.finalized) {
            revert RatVotingAlreadyFinalized(meetingId);
        }
        uint64 votingEnd = stored.votingEnd;
        if (block.timestamp < votingEnd) {
            revert RatVotingVotingNotEnded(meetingId, votingEnd);
        }
        uint256 eligible = _members.memberCountAt(stored.recordBlock);
        uint32 voters = stored.voterCount;
        bool quorumReached = uint256(voters) * 10_000 >= uint256(stored.quorumBps) * eligible;
        stored.finalized = true;
        stored.quorumReached = quorumReached;
        uint32 proposalCount = stored.proposalCount;
        for (uint32 index = 0; index < proposalCount; ++index) {
            ProposalKind kind = _proposals[_proposalKey(meetingId, index)].kind;
            emit ProposalTallied(meetingId, index, kind, _tally(meetingId, index));
        }
        emit MeetingFinalized(meetingId, voters, eligible, quorumReached);
    }

    /// @inheritdoc IRatVoting
    function members() external view returns (address) {
        return address(_members);
    }

    /// @inheritdoc IRatVoting
    function meeting(uint64 meetingId) external view returns (Meeting memory) {
        return _meetings[meetingId];
    }

    /// @inheritdoc IRatVoting
    function proposal(
        uint64 meetingId,
        uint32 proposalIndex
    ) external view returns (ProposalKind kind, uint8 seats, uint8 candidateCount) {
        Proposal storage stored = _requireProposal(meetingId, proposalIndex);
        return (stored.kind, stored.seats, stored.candidateCount);
    }

    /// @inheritdoc IRatVoting
    function tally(uint64 meetingId, uint32 proposalIndex) external view returns (uint64[] memory counts) {
        _requireProposal(meetingId, proposalIndex);
        return _tally(meetingId, proposalIndex);
    }

    /// @inheritdoc IRatVoting
    function hasVoted(uint64 meetingId, uint32 proposalIndex, uint64 memberNumber) external view returns (bool) {
        uint256 key = (_proposalKey(meetingId, proposalIndex) << 56) | (memberNumber >> 8);
        return _ballots[key] & (1 << (memberNumber & 0xff)) != 0;
    }

    /// @inheritdoc IRatVoting
    function hasParticipated(uint64 meetingId, uint64 memberNumber) external view returns (bool) {
        uint256 key = (uint256(meetingId) << 56) | (memberNumber >> 8);
        return _participants[key] & (1 << (memberNumber & 0xff)) != 0;
    }

    /// @inheritdoc IRatVoting
    function proxyOf(
        uint64 meetingId,
        address principal
    ) external view returns (address proxy, uint64 principalNumber) {
        ProxyGrant storage grant = _proxies[_addressKey(meetingId, principal)];
        return (grant.proxy, grant.principalNumber);
    }

    /// @inheritdoc IRatVoting
    function proxyCount(uint64 meetingId, address proxy) external view returns (uint256) {
        return _proxyCounts[_addressKey(meetingId, proxy)];
    }

    /// @inheritdoc IRatVoting
    function ballotDigest(uint64 meetingId, uint32 proposalIndex, uint256 choice) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(BALLOT_TYPEHASH, meetingId, proposalIndex, choice)));
    }

    /// @inheritdoc IRatVoting
    function proxyBallotDigest(
        uint64 meetingId,
        uint32 proposalIndex,
        uint256 choice,
        address principal
    ) external view returns (bytes32) {
        return
            _hashTypedDataV4(keccak256(abi.encode(PROXY_BALLOT_TYPEHASH, meetingId, proposalIndex, choice, principal)));
    }

    /// @inheritdoc IRatVoting
    function proxyDigest(uint64 meetingId, address principal, address proxy) external view returns (bytes32) {
        return _proxyDigest(meetingId, principal, proxy);
    }

    /// @dev The meeting, if it and the proposal exist and it is open for voting, for a batch
    /// of `count` ballots.
    function _requireOpen(
        uint64 meetingId,
        uint32 proposalIndex,
        uint256 count
    ) private view returns (Meeting memory m) {
        m = _meetings[meetingId];
        if (m.votingEnd == 0) {
            revert RatVotingUnknownMeeting(meetingId);
        }
        if (proposalIndex >= m.proposalCount) {
            revert RatVotingUnknownProposal(meetingId, proposalIndex);
        }
        if (block.timestamp < m.votingStart || block.timestamp >= m.votingEnd) {
            revert RatVotingNotOpen(meetingId, block.timestamp, m.votingStart, m.votingEnd);
        }
        if (count == 0) {
            revert RatVotingEmptyBatch();
        }
    }

    /// @dev Recovers a proxy ballot's signer and checks that it is the principal's proxy;
    /// returns the signer and the principal's member number. `encoded` is the batch's
    /// ProxyBallot encodeData buffer; this fills in the ballot's choice and principal.
    function _verifyProxyBallot(
        uint64 meetingId,
        bytes32 domainSeparator,
        bytes memory encoded,
        SignedProxyBallot calldata ballot
    ) private view returns (address proxy, uint64 principalNumber) {
        uint256 choice = ballot.choice;
        address principal = ballot.principal;
        assembly ("memory-safe") {
            mstore(add(encoded, 0x80), choice) // words 3 and 4 of the data, after the length word
            mstore(add(encoded, 0xa0), principal)
        }
        bytes32 digest = MessageHashUtils.toTypedDataHash(domainSeparator, keccak256(encoded));
        proxy = ECDSA.recover(digest, ballot.r, ballot.vs);
        ProxyGrant storage grant = _proxies[_addressKey(meetingId, principal)];
        if (grant.proxy != proxy) {
            revert RatVotingNotProxy(meetingId, principal, proxy);
        }
        principalNumber = grant.principalNumber;
    }

    /// @dev Adds one ballot with `choice` to `counted`, the proposal's tally in memory (the
    /// caller writes it back once per batch); reverts on an invalid choice.
    function _count(
        Proposal memory counted,
        uint64 meetingId,
        uint32 proposalIndex,
        uint256 proposalKey,
        uint256 choice
    ) private {
        // The counts below cannot overflow: each member number votes once per proposal and
        // numbers are non-zero uint64, so no count exceeds 2^64 - 1.
        if (counted.kind == ProposalKind.YesNoAbstain) {
            unchecked {
                if (choice == _AGAINST) {
                    counted.againstVotes += 1;
                } else if (choice == _FOR) {
                    counted.forVotes += 1;
                } else if (choice == _ABSTAIN) {
                    counted.abstainVotes += 1;
                } else {
                    revert RatVotingInvalidChoice(meetingId, proposalIndex, choice);
                }
            }
            return;
        }
        if (choice == 0) {
            unchecked {
                counted.abstainVotes += 1; // a blank election ballot
            }
            return;
        }
        if (choice >> counted.candidateCount != 0) {
            revert RatVotingInvalidChoice(meetingId, proposalIndex, choice);
        }
        uint256 chosen = 0;
        uint256 remaining = choice;
        while (remaining != 0) {
            uint256 candidate = Math.log2(remaining & (~remaining + 1)); // the lowest set bit
            // Cannot overflow: `chosen` <= 256 (bits of a uint256); each lane as explained above,
            // so adding 1 to a 64-bit lane never carries into the next one.
            unchecked {
                ++chosen;
                _candidateVotes[(proposalKey << 8) | (candidate >> 2)] += 1 << ((candidate & 3) * 64);
            }
            remaining &= remaining - 1;
        }
        if (chosen > counted.seats) {
            revert RatVotingInvalidChoice(meetingId, proposalIndex, choice);
        }
    }

    /// @dev Second pass of a batch: every ballot's member number is eligible (non-zero) and has
    /// not voted on the proposal; notes new voters of the meeting; emits {BallotsCast}.
    function _markVoters(
        uint64 meetingId,
        uint32 proposalIndex,
        uint32 voterCount,
        uint256[] memory numbers,
        address[] memory accounts
    ) private {
        (uint256 newVoters, bytes memory memberNumbers) = _markEach(meetingId, proposalIndex, numbers, accounts);
        _meetings[meetingId].voterCount = SafeCast.toUint32(voterCount + newVoters);
        emit BallotsCast(meetingId, proposalIndex, memberNumbers);
    }

    /// @dev The loop of {_markVoters}. Returns how many members voted in the meeting for the
    /// first time, and the packed member numbers for {BallotsCast}.
    function _markEach(
        uint64 meetingId,
        uint32 proposalIndex,
        uint256[] memory numbers,
        address[] memory accounts
    ) private returns (uint256 newVoters, bytes memory memberNumbers) {
        Marks memory marks;
        marks.ballotsBase = _proposalKey(meetingId, proposalIndex) << 56;
        marks.participantsBase = uint256(meetingId) << 56;
        marks.voted.key = _NO_KEY;
        marks.participated.key = _NO_KEY;
        // 8 bytes per ballot, plus 24 spare bytes: each number is written as a 32-byte word.
        memberNumbers = new bytes(numbers.length * 8 + 24);
        for (uint256 i = 0; i < numbers.length; ++i) {
            // Safe downcast: CoopMembers numbers and proxy grants are uint64.
            uint64 memberNumber = uint64(numbers[i]);
            if (memberNumber == 0) {
                revert RatVotingNotEligible(meetingId, accounts[i]);
            }
            if (!_mark(marks, memberNumber)) {
                revert RatVotingAlreadyVoted(meetingId, proposalIndex, memberNumber);
            }
            assembly ("memory-safe") {
                // The i-th number, big-endian, at byte 8 * i of the data.
                mstore(add(add(memberNumbers, 0x20), shl(3, i)), shl(192, memberNumber))
            }
        }
        assembly ("memory-safe") {
            mstore(memberNumbers, shl(3, mload(numbers))) // drop the 24 spare bytes from the length
        }
        _ballots[marks.voted.key] = marks.voted.bits;
        _participants[marks.participated.key] = marks.participated.bits;
        return (marks.newVoters, memberNumbers);
    }

    /// @dev Marks member `memberNumber` as having voted on the proposal and in the meeting.
    /// Returns false if it had already voted on the proposal. Each bitmap word stays in memory
    /// (`marks.voted`, `marks.participated`) until another word is needed, then is written back.
    function _mark(Marks memory marks, uint64 memberNumber) private returns (bool) {
        uint256 word = memberNumber >> 8;
        uint256 mask = 1 << (memberNumber & 0xff);

        CachedWord memory cached = marks.voted;
        uint256 key = marks.ballotsBase | word;
        if (cached.key != key) {
            _swap(_ballots, cached, key);
        }
        uint256 bits = cached.bits;
        if (bits & mask != 0) {
            return false;
        }
        cached.bits = bits | mask;

        cached = marks.participated;
        key = marks.participantsBase | word;
        if (cached.key != key) {
            _swap(_participants, cached, key);
        }
        bits = cached.bits;
        if (bits & mask == 0) {
            cached.bits = bits | mask;
            // Cannot overflow: at most one increment per ballot.
            unchecked {
                ++marks.newVoters;
            }
        }
        return true;
    }

    /// @dev Writes `cached` back to `map` (unless empty) and loads word `key` into it.
    function _swap(mapping(uint256 word => uint256 bits) storage map, CachedWord memory cached, uint256 key) private {
        if (cached.key != _NO_KEY) {
            map[cached.key] = cached.bits;
        }
        cached.key = key;
        cached.bits = map[key];
    }

    /// @dev A proposal's tally, laid out as in {ProposalTallied}.
    function _tally(uint64 meetingId, uint32 proposalIndex) private view returns (uint64[] memory counts) {
        uint256 proposalKey = _proposalKey(meetingId, proposalIndex);
        Proposal storage stored = _proposals[proposalKey];
        if (stored.kind == ProposalKind.YesNoAbstain) {
            counts = new uint64[](3);
            counts[0] = stored.againstVotes;
            counts[1] = stored.forVotes;
            counts[2] = stored.abstainVotes;
            return counts;
        }
        uint256 candidates = stored.candidateCount;
        counts = new uint64[](candidates + 1);
        for (uint256 candidate = 0; candidate < candidates; ++candidate) {
            uint256 lanes = _candidateVotes[(proposalKey << 8) | (candidate >> 2)];
            counts[candidate] = uint64(lanes >> ((candidate & 3) * 64));
        }
        counts[candidates] = stored.abstainVotes;
    }

    function _proxyDigest(uint64 meetingId, address principal, address proxy) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(PROXY_TYPEHASH, meetingId, principal, proxy)));
    }

    function _requireMeeting(uint64 meetingId) private view returns (Meeting storage stored) {
        stored = _meetings[meetingId];
        if (stored.votingEnd == 0) {
            revert RatVotingUnknownMeeting(meetingId);
        }
    }

    function _requireProposal(uint64 meetingId, uint32 proposalIndex) private view returns (Proposal storage) {
        if (proposalIndex >= _requireMeeting(meetingId).proposalCount) {
            revert RatVotingUnknownProposal(meetingId, proposalIndex);
        }
        return _proposals[_proposalKey(meetingId, proposalIndex)];
    }

    function _proposalKey(uint64 meetingId, uint32 proposalIndex) private pure returns (uint256) {
        return (uint256(meetingId) << 32) | proposalIndex;
    }

    function _addressKey(uint64 meetingId, address account) private pure returns (uint256) {
        return (uint256(meetingId) << 160) | uint160(account);
    }
}
