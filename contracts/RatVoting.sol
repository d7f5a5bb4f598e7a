// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ICoopMembers} from "./interfaces/ICoopMembers.sol";
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
/// Gas: per ballot one ecrecover, one CoopMembers lookup (one cold slot there), and warm
/// bitmap and tally slots (256 members share a bitmap slot). One {BallotsCast} event per batch
/// names every member number that voted, instead of an event per ballot.
contract RatVoting is IRatVoting, AccessControl, Pausable, EIP712 {
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    /// @notice EIP-712 type of a member's own ballot.
    bytes32 public constant BALLOT_TYPEHASH =
        keccak256("Ballot(uint64 meetingId,uint32 proposalIndex,uint256 choice,address voter)");

    /// @notice EIP-712 type of a ballot a proxy casts for `principal`.
    bytes32 public constant PROXY_BALLOT_TYPEHASH =
        keccak256("ProxyBallot(uint64 meetingId,uint32 proposalIndex,uint256 choice,address proxy,address principal)");

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
    /// @param members_ the CoopMembers contract whose roll decides who may vote.
    constructor(address admin, address operator, address members_) EIP712("KSP RatVoting", "1") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(OPERATOR_ROLE, operator);
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
        if (!SignatureChecker.isValidSignatureNowCalldata(principal, _proxyDigest(meetingId, principal, proxy), signature)) {
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
    /// @dev For each ballot, in order: the proposal exists; the signature recovers (OpenZeppelin
    /// ECDSA, ERC-2098 compact form, low s) to `voter`; for an own ballot `voter` was a member
    /// at the record block, for a proxy ballot `voter` is the principal's registered proxy; the
    /// member number has not voted on the proposal; the choice is valid for the proposal.
    /// One bad ballot reverts the batch: the relayer simulates the call and drops it first.
    ///
    /// Requirements:
    /// - the contract is not paused; the meeting exists;
    /// - `votingStart` <= `block.timestamp` < `votingEnd`;
    /// - `ballots` is not empty, and each ballot passes the checks above.
    ///
    /// Emits one {BallotsCast} event.
    function castVotes(uint64 meetingId, SignedBallot[] calldata ballots) external whenNotPaused {
        Meeting storage stored = _meetings[meetingId];
        Meeting memory m = stored;
        if (m.votingEnd == 0) {
            revert RatVotingUnknownMeeting(meetingId);
        }
        if (block.timestamp < m.votingStart || block.timestamp >= m.votingEnd) {
            revert RatVotingNotOpen(meetingId, block.timestamp, m.votingStart, m.votingEnd);
        }
        uint256 count = ballots.length;
        if (count == 0) {
            revert RatVotingEmptyBatch();
        }
        // 12 bytes per ballot, plus 20 spare bytes: each record is written as a 32-byte word.
        bytes memory cast = new bytes(count * 12 + 20);
        uint256 newVoters = 0;
        for (uint256 i = 0; i < count; ++i) {
            SignedBallot calldata ballot = ballots[i];
            uint32 proposalIndex = ballot.proposalIndex;
            if (proposalIndex >= m.proposalCount) {
                revert RatVotingUnknownProposal(meetingId, proposalIndex);
            }
            uint64 memberNumber = _voterNumber(meetingId, m.recordBlock, ballot);
            uint256 proposalKey = _proposalKey(meetingId, proposalIndex);
            _markBallot(meetingId, proposalIndex, proposalKey, memberNumber);
            if (_markParticipant(meetingId, memberNumber)) {
                // Cannot overflow: at most one increment per ballot.
                unchecked {
                    ++newVoters;
                }
            }
            _count(meetingId, proposalIndex, proposalKey, ballot.choice);
            assembly ("memory-safe") {
                // Record i = memberNumber (8 bytes) ‖ proposalIndex (4 bytes), at byte 12 * i of `cast`.
                let record := or(shl(192, memberNumber), shl(160, and(proposalIndex, 0xffffffff)))
                mstore(add(add(cast, 0x20), mul(i, 12)), record)
            }
        }
        assembly ("memory-safe") {
            mstore(cast, mul(count, 12)) // drop the 20 spare bytes from the length
        }
        stored.voterCount = SafeCast.toUint32(m.voterCount + newVoters);
        emit BallotsCast(meetingId, cast);
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
            emit ProposalTallied(meetingId, index, _proposals[_proposalKey(meetingId, index)].kind, _tally(meetingId, index));
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
    function proxyOf(uint64 meetingId, address principal) external view returns (address proxy, uint64 principalNumber) {
        ProxyGrant storage grant = _proxies[_addressKey(meetingId, principal)];
        return (grant.proxy, grant.principalNumber);
    }

    /// @inheritdoc IRatVoting
    function proxyCount(uint64 meetingId, address proxy) external view returns (uint256) {
        return _proxyCounts[_addressKey(meetingId, proxy)];
    }

    /// @inheritdoc IRatVoting
    function ballotDigest(
        uint64 meetingId,
        uint32 proposalIndex,
        uint256 choice,
        address voter
    ) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(BALLOT_TYPEHASH, meetingId, proposalIndex, choice, voter)));
    }

    /// @inheritdoc IRatVoting
    function proxyBallotDigest(
        uint64 meetingId,
        uint32 proposalIndex,
        uint256 choice,
        address proxy,
        address principal
    ) external view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(abi.encode(PROXY_BALLOT_TYPEHASH, meetingId, proposalIndex, choice, proxy, principal))
            );
    }

    /// @inheritdoc IRatVoting
    function proxyDigest(uint64 meetingId, address principal, address proxy) external view returns (bytes32) {
        return _proxyDigest(meetingId, principal, proxy);
    }

    /// @notice Stops meetings, proxies, voting and finalizing in an emergency.
    /// @dev Requirements: the caller has DEFAULT_ADMIN_ROLE. Emits {Paused}.
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
    }

    /// @notice Resumes normal operation.
    /// @dev Requirements: the caller has DEFAULT_ADMIN_ROLE. Emits {Unpaused}.
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /// @dev Verifies a ballot's signature and returns the member number it votes for.
    function _voterNumber(
        uint64 meetingId,
        uint48 recordBlock,
        SignedBallot calldata ballot
    ) private view returns (uint64 number) {
        address voter = ballot.voter;
        address principal = ballot.principal;
        bytes32 structHash = principal == address(0)
            ? keccak256(abi.encode(BALLOT_TYPEHASH, meetingId, ballot.proposalIndex, ballot.choice, voter))
            : keccak256(
                abi.encode(PROXY_BALLOT_TYPEHASH, meetingId, ballot.proposalIndex, ballot.choice, voter, principal)
            );
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecover(
            _hashTypedDataV4(structHash),
            ballot.r,
            ballot.vs
        );
        if (err != ECDSA.RecoverError.NoError || signer != voter) {
            revert RatVotingInvalidSignature(voter);
        }
        if (principal == address(0)) {
            number = _members.memberNumberAt(voter, recordBlock);
            if (number == 0) {
                revert RatVotingNotEligible(meetingId, voter);
            }
        } else {
            ProxyGrant storage grant = _proxies[_addressKey(meetingId, principal)];
            if (grant.proxy != voter) {
                revert RatVotingNotProxy(meetingId, principal, voter);
            }
            number = grant.principalNumber;
        }
    }

    /// @dev Marks member `number` as having voted on the proposal; reverts if it already had.
    function _markBallot(uint64 meetingId, uint32 proposalIndex, uint256 proposalKey, uint64 number) private {
        uint256 key = (proposalKey << 56) | (number >> 8);
        uint256 mask = 1 << (number & 0xff);
        uint256 bits = _ballots[key];
        if (bits & mask != 0) {
            revert RatVotingAlreadyVoted(meetingId, proposalIndex, number);
        }
        _ballots[key] = bits | mask;
    }

    /// @dev Marks member `number` as a voter of the meeting; true if it was not one yet.
    function _markParticipant(uint64 meetingId, uint64 number) private returns (bool isNew) {
        uint256 key = (uint256(meetingId) << 56) | (number >> 8);
        uint256 mask = 1 << (number & 0xff);
        uint256 bits = _participants[key];
        isNew = bits & mask == 0;
        if (isNew) {
            _participants[key] = bits | mask;
        }
    }

    /// @dev Adds one ballot with `choice` to the proposal's tally; reverts on an invalid choice.
    function _count(uint64 meetingId, uint32 proposalIndex, uint256 proposalKey, uint256 choice) private {
        Proposal storage stored = _proposals[proposalKey];
        // The counts below cannot overflow: each member number votes once per proposal and
        // numbers are non-zero uint64, so no count exceeds 2^64 - 1.
        if (stored.kind == ProposalKind.YesNoAbstain) {
            unchecked {
                if (choice == _AGAINST) {
                    stored.againstVotes += 1;
                } else if (choice == _FOR) {
                    stored.forVotes += 1;
                } else if (choice == _ABSTAIN) {
                    stored.abstainVotes += 1;
                } else {
                    revert RatVotingInvalidChoice(meetingId, proposalIndex, choice);
                }
            }
            return;
        }
        if (choice == 0) {
            unchecked {
                stored.abstainVotes += 1; // a blank election ballot
            }
            return;
        }
        if (choice >> stored.candidateCount != 0) {
            revert RatVotingInvalidChoice(meetingId, proposalIndex, choice);
        }
        uint256 seats = stored.seats;
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
        if (chosen > seats) {
            revert RatVotingInvalidChoice(meetingId, proposalIndex, choice);
        }
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
