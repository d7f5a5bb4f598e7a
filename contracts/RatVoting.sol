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
/// its proposals, each bound to the hash of its text; members sign EIP-712 ballots in their
/// wallets; anyone relays them in batches, so voting costs members no gas. Eligibility follows
/// the member number (see {IRatVoting}); a vote is keyed by member number, so a member whose
/// address changed cannot vote twice, and a replaced key cannot vote at all. A member may
/// appoint one proxy (kuasa) per meeting; it counts once the proxy accepts, and the principal
/// may revoke it until the proxy has voted for them.
///
/// EIP-712 domain: name "KSP RatVoting", version "2", this chain's id, this contract.
///
/// Meeting rules on chain (floors; the AD/ART's stricter settings, such as 14 days' notice, are
/// the backend's): quorum at least MIN_QUORUM_BPS; at least one member at the record block; the
/// record block at most MAX_RECORD_AGE blocks old; voting starts at least MIN_NOTICE after the
/// meeting is created and lasts at least MIN_VOTING_DURATION; at most MAX_PROPOSALS items and
/// MAX_CANDIDATES candidates in all, so that {finalize} of the largest meeting fits in a block.
///
/// Pausing never shortens a window: every second the contract is paused after a meeting was
/// created moves that meeting's window later by one second (a pause after voting ended changes
/// nothing, since the clock moved on by as much).
///
/// Gas, per ballot in a batch: the ballot's calldata (choice and a 64-byte ERC-2098
/// signature; the voter is recovered, not sent), one ecrecover, one cold slot in CoopMembers
/// (one call for the whole batch), and bitmap words and the tally kept in memory and written
/// once per batch. A batch is one proposal; one {BallotsCast} event per batch names every
/// counted member number and its choice.
contract RatVoting is IRatVoting, CoopRoles, EIP712 {
    /// @notice EIP-712 type of a member's ballot; the signer is the voter.
    bytes32 public constant BALLOT_TYPEHASH =
        keccak256("Ballot(uint64 meetingId,uint32 proposalIndex,bytes32 contentHash,uint256 choice)");

    /// @notice EIP-712 type of a ballot a proxy casts for member `principalNumber`; the signer is the proxy.
    bytes32 public constant PROXY_BALLOT_TYPEHASH =
        keccak256(
            "ProxyBallot(uint64 meetingId,uint32 proposalIndex,bytes32 contentHash,uint256 choice,uint64 principalNumber)"
        );

    /// @notice EIP-712 type of a principal appointing a proxy on an agenda.
    bytes32 public constant PROXY_TYPEHASH =
        keccak256("Proxy(uint64 meetingId,uint64 principalNumber,address proxy,bytes32 agendaHash)");

    /// @notice EIP-712 type of a proxy accepting an appointment.
    bytes32 public constant PROXY_ACCEPTANCE_TYPEHASH =
        keccak256("ProxyAcceptance(uint64 meetingId,uint64 principalNumber,address proxy)");

    /// @notice EIP-712 type of a principal revoking their appointment.
    bytes32 public constant PROXY_REVOCATION_TYPEHASH =
        keccak256("ProxyRevocation(uint64 meetingId,uint64 principalNumber)");

    /// @notice Lowest quorum a meeting may have, in basis points (10%).
    uint16 public constant MIN_QUORUM_BPS = 1_000;

    /// @notice Shortest time from creating a meeting to the start of voting (a floor; the
    /// AD/ART's notice period is enforced by the backend).
    uint256 public constant MIN_NOTICE = 1 days;

    /// @notice Shortest voting window.
    uint256 public constant MIN_VOTING_DURATION = 1 hours;

    /// @notice Oldest record block a new meeting may use, in blocks before the current one
    /// (7 days of 12-second blocks).
    uint256 public constant MAX_RECORD_AGE = 50_400;

    /// @notice Most proposals in a meeting.
    uint8 public constant MAX_PROPOSALS = 64;

    /// @notice Most candidates in a meeting's elections together.
    uint16 public constant MAX_CANDIDATES = 512;

    /// @dev Choices of a yes-no-abstain proposal (GovernorCountingSimple's order).
    uint256 private constant _AGAINST = 0;
    uint256 private constant _FOR = 1;
    uint256 private constant _ABSTAIN = 2;

    /// @dev Reasons in {BallotSkipped} (documented in {IRatVoting}).
    uint8 private constant _SKIP_INVALID_SIGNATURE = 1;
    uint8 private constant _SKIP_INVALID_CHOICE = 2;
    uint8 private constant _SKIP_NOT_ELIGIBLE = 3;
    uint8 private constant _SKIP_ALREADY_VOTED = 4;
    uint8 private constant _SKIP_NOT_PROXY = 5;

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

    /// @dev A proxy appointment: the proxy's member number and where it stands.
    struct ProxyGrant {
        uint64 proxyNumber;
        ProxyStatus status;
        bool used; // the proxy has voted for the principal: no more revoking
    }

    /// @dev The pause state, in one slot: when the current pause began (0: not paused) and the
    /// seconds of all pauses that ended. Replaces Pausable's flag for {paused}.
    struct PauseClock {
        uint64 pausedAt;
        uint64 pausedTotal;
    }

    /// @dev What a batch works on.
    struct Batch {
        uint64 meetingId;
        uint32 proposalIndex;
        uint48 recordBlock;
        uint32 voterCount;
        uint256 proposalKey;
        bytes32 contentHash;
        Proposal counted; // the tally in memory, written back once per batch
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
    //   proxies         = meetingId << 64 | memberNumber
    mapping(uint64 meetingId => Meeting meeting) private _meetings;
    mapping(uint64 meetingId => bytes32 agendaHash) private _frozenAgendas;
    mapping(uint256 meetingProposal => Proposal proposal) private _proposals;
    mapping(uint256 meetingProposal => bytes32 contentHash) private _contentHashes;
    mapping(uint256 meetingProposalCandidates => uint256 counts) private _candidateVotes;
    mapping(uint256 meetingProposalNumbers => uint256 bits) private _ballots;
    mapping(uint256 meetingNumbers => uint256 bits) private _participants;
    mapping(uint256 meetingPrincipal => ProxyGrant grant) private _proxies;
    mapping(uint256 meetingProxy => uint256 principals) private _proxyCounts;
    PauseClock private _pauseClock;

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
    ) CoopRoles(admin, operator, pauser, adminDelay) EIP712("KSP RatVoting", "2") {
        _members = ICoopMembers(members_);
    }

    /// @inheritdoc IRatVoting
    /// @dev Requirements:
    /// - the caller has OPERATOR_ROLE and the contract is not paused;
    /// - no meeting with `meetingId` exists;
    /// - `recordBlock` is a past block, at most MAX_RECORD_AGE blocks old, with at least one member;
    /// - `votingStart` >= `block.timestamp` + MIN_NOTICE;
    /// - `votingEnd` >= `votingStart` + MIN_VOTING_DURATION;
    /// - MIN_QUORUM_BPS <= `quorumBps` <= 10000.
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
        if (block.number - recordBlock > _maxRecordAge()) {
            revert RatVotingRecordBlockTooOld(recordBlock, block.number);
        }
        if (votingStart < block.timestamp + MIN_NOTICE) {
            revert RatVotingNoticeTooShort(votingStart, block.timestamp);
        }
        if (votingEnd < uint256(votingStart) + MIN_VOTING_DURATION) {
            revert RatVotingVotingTooShort(votingStart, votingEnd);
        }
        if (quorumBps < MIN_QUORUM_BPS || quorumBps > 10_000) {
            revert RatVotingInvalidQuorum(quorumBps);
        }
        uint256 eligible = _members.memberCountAt(recordBlock);
        if (eligible == 0) {
            revert RatVotingNoEligibleMembers(recordBlock);
        }
        stored.recordBlock = recordBlock;
        stored.votingStart = votingStart;
        stored.votingEnd = votingEnd;
        stored.quorumBps = quorumBps;
        stored.maxPrincipalsPerProxy = maxPrincipalsPerProxy;
        stored.pausedBase = _pauseClock.pausedTotal;
        stored.eligible = SafeCast.toUint32(eligible);
        emit MeetingCreated(meetingId, recordBlock, votingStart, votingEnd, quorumBps, maxPrincipalsPerProxy);
    }

    /// @inheritdoc IRatVoting
    /// @dev Proposals are numbered 0, 1, 2, ... in the order they are added.
    ///
    /// Requirements:
    /// - the caller has OPERATOR_ROLE and the contract is not paused;
    /// - the meeting exists, voting has not started, and no proxy has been appointed yet;
    /// - kind 0 (yes-no-abstain) with `seats` and `candidateCount` 0, or kind 1 (election) with
    ///   1 <= `seats` <= `candidateCount`; `contentHash` is not zero;
    /// - the meeting has fewer than MAX_PROPOSALS proposals, and its candidates stay within
    ///   MAX_CANDIDATES.
    ///
    /// Emits a {ProposalAdded} event.
    function addProposal(
        uint64 meetingId,
        uint8 kind,
        uint8 seats,
        uint8 candidateCount,
        bytes32 contentHash
    ) external onlyRole(OPERATOR_ROLE) whenNotPaused returns (uint32 proposalIndex) {
        Meeting storage stored = _requireMeeting(meetingId);
        (uint64 votingStart, ) = _window(stored, 0);
        if (block.timestamp >= votingStart) {
            revert RatVotingProposalsClosed(meetingId, votingStart);
        }
        if (_frozenAgendas[meetingId] != 0) {
            revert RatVotingAgendaFrozen(meetingId);
        }
        bool valid = kind == uint8(ProposalKind.YesNoAbstain)
            ? seats == 0 && candidateCount == 0
            : kind == uint8(ProposalKind.Election) && seats != 0 && seats <= candidateCount;
        if (!valid) {
            revert RatVotingInvalidProposal(kind, seats, candidateCount);
        }
        if (contentHash == 0) {
            revert RatVotingEmptyContentHash(meetingId);
        }
        uint8 count = stored.proposalCount;
        if (count >= MAX_PROPOSALS) {
            revert RatVotingTooManyProposals(meetingId);
        }
        uint256 candidates = uint256(stored.candidateTotal) + candidateCount;
        if (candidates > MAX_CANDIDATES) {
            revert RatVotingTooManyCandidates(meetingId, candidates);
        }
        proposalIndex = count;
        // Cannot overflow: `count` < MAX_PROPOSALS was checked above.
        unchecked {
            stored.proposalCount = count + 1;
        }
        stored.candidateTotal = uint16(candidates); // <= MAX_CANDIDATES, checked above
        uint256 key = _proposalKey(meetingId, proposalIndex);
        Proposal storage created = _proposals[key];
        created.kind = ProposalKind(kind);
        created.seats = seats;
        created.candidateCount = candidateCount;
        _contentHashes[key] = contentHash;
        emit ProposalAdded(meetingId, proposalIndex, ProposalKind(kind), seats, candidateCount, contentHash);
    }

    /// @inheritdoc IRatVoting
    /// @dev The signature is checked with OpenZeppelin's SignatureChecker (an EOA's 65-byte
    /// signature, or an ERC-1271 wallet's) against the principal number's current key. The
    /// first appointment in a meeting fixes its agenda ({agendaHash}). An appointment counts
    /// toward no quota and cannot vote until the proxy accepts ({acceptProxy}). One appointment
    /// per principal per meeting: after a revocation an old appointment could be replayed, so
    /// none is accepted any more.
    ///
    /// Requirements:
    /// - the contract is not paused; the meeting exists, has a proposal, and voting has not ended;
    /// - `principalNumber` has a current key and was a member at the record block;
    /// - `proxy` is the current key of another member number that was a member at the record block;
    /// - `signature` is the principal's over `Proxy(meetingId, principalNumber, proxy, agendaHash)`;
    /// - the principal has not appointed a proxy in this meeting before.
    ///
    /// Emits a {ProxyAppointed} event.
    function registerProxy(
        uint64 meetingId,
        uint64 principalNumber,
        address proxy,
        bytes calldata signature
    ) external whenNotPaused {
        Meeting storage stored = _requireProxiesOpen(meetingId);
        if (stored.proposalCount == 0) {
            revert RatVotingUnknownProposal(meetingId, 0);
        }
        uint48 recordBlock = stored.recordBlock;
        address principal = _requireEligibleNumber(meetingId, principalNumber, recordBlock);
        uint64 proxyNumber = proxy == address(0) ? 0 : _members.memberNumberOf(proxy);
        if (proxy == address(0) || proxyNumber == principalNumber) {
            revert RatVotingInvalidProxy(principalNumber, proxy);
        }
        if (proxyNumber == 0 || !_members.wasNumberMemberAt(proxyNumber, recordBlock)) {
            revert RatVotingNotEligible(meetingId, proxy);
        }
        ProxyGrant storage grant = _proxies[_numberKey(meetingId, principalNumber)];
        if (grant.status != ProxyStatus.None) {
            revert RatVotingProxyAlreadySet(meetingId, principalNumber);
        }
        bytes32 agenda = _freezeAgenda(meetingId, stored.proposalCount);
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(PROXY_TYPEHASH, meetingId, principalNumber, proxy, agenda))
        );
        if (!SignatureChecker.isValidSignatureNowCalldata(principal, digest, signature)) {
            revert RatVotingInvalidSignature(principal);
        }
        grant.proxyNumber = proxyNumber;
        grant.status = ProxyStatus.Appointed;
        emit ProxyAppointed(meetingId, principalNumber, proxyNumber, proxy, agenda);
    }

    /// @inheritdoc IRatVoting
    /// @dev Requirements:
    /// - the contract is not paused; the meeting exists and voting has not ended;
    /// - the appointment of `principalNumber` is Appointed (not yet accepted, not revoked);
    /// - `signature` is by the proxy number's current key over `ProxyAcceptance(meetingId,
    ///   principalNumber, proxy)`, `proxy` being that key;
    /// - the proxy represents fewer than `maxPrincipalsPerProxy` principals.
    ///
    /// Emits a {ProxyAccepted} event.
    function acceptProxy(uint64 meetingId, uint64 principalNumber, bytes calldata signature) external whenNotPaused {
        Meeting storage stored = _requireProxiesOpen(meetingId);
        ProxyGrant storage grant = _proxies[_numberKey(meetingId, principalNumber)];
        if (grant.status != ProxyStatus.Appointed) {
            revert RatVotingProxyStatus(meetingId, principalNumber, grant.status);
        }
        uint64 proxyNumber = grant.proxyNumber;
        address proxy = _members.accountOf(proxyNumber);
        if (proxy == address(0)) {
            revert RatVotingNotEligible(meetingId, proxy);
        }
        bytes32 digest = _hashTypedDataV4(
            keccak256(abi.encode(PROXY_ACCEPTANCE_TYPEHASH, meetingId, principalNumber, proxy))
        );
        if (!SignatureChecker.isValidSignatureNowCalldata(proxy, digest, signature)) {
            revert RatVotingInvalidSignature(proxy);
        }
        uint256 proxyKey = _numberKey(meetingId, proxyNumber);
        uint256 represented = _proxyCounts[proxyKey];
        uint8 maxPrincipals = stored.maxPrincipalsPerProxy;
        if (represented >= maxPrincipals) {
            revert RatVotingProxyLimitReached(meetingId, proxyNumber, maxPrincipals);
        }
        grant.status = ProxyStatus.Accepted;
        // Cannot overflow: `represented` < maxPrincipalsPerProxy <= 255 was checked above.
        unchecked {
            _proxyCounts[proxyKey] = represented + 1;
        }
        emit ProxyAccepted(meetingId, principalNumber, proxyNumber);
    }

    /// @inheritdoc IRatVoting
    /// @dev Revoking is final for the meeting; the principal then votes themself.
    ///
    /// Requirements:
    /// - the contract is not paused; the meeting exists and voting has not ended;
    /// - the appointment of `principalNumber` is Appointed or Accepted, and the proxy has not
    ///   voted for the principal on any proposal;
    /// - `signature` is by the principal number's current key over `ProxyRevocation(meetingId,
    ///   principalNumber)`.
    ///
    /// Emits a {ProxyRevoked} event.
    function revokeProxy(uint64 meetingId, uint64 principalNumber, bytes calldata signature) external whenNotPaused {
        _requireProxiesOpen(meetingId);
        ProxyGrant storage grant = _proxies[_numberKey(meetingId, principalNumber)];
        ProxyStatus status = grant.status;
        if (status != ProxyStatus.Appointed && status != ProxyStatus.Accepted) {
            revert RatVotingProxyStatus(meetingId, principalNumber, status);
        }
        if (grant.used) {
            revert RatVotingProxyUsed(meetingId, principalNumber);
        }
        address principal = _members.accountOf(principalNumber);
        bytes32 digest = _hashTypedDataV4(keccak256(abi.encode(PROXY_REVOCATION_TYPEHASH, meetingId, principalNumber)));
        if (principal == address(0) || !SignatureChecker.isValidSignatureNowCalldata(principal, digest, signature)) {
            revert RatVotingInvalidSignature(principal);
        }
        uint64 proxyNumber = grant.proxyNumber;
        grant.status = ProxyStatus.Revoked;
        if (status == ProxyStatus.Accepted) {
            // Cannot underflow: an accepted appointment was counted when it was accepted.
            unchecked {
                _proxyCounts[_numberKey(meetingId, proxyNumber)] -= 1;
            }
        }
        emit ProxyRevoked(meetingId, principalNumber, proxyNumber);
    }

    /// @inheritdoc IRatVoting
    /// @dev For each ballot: the choice is valid for the proposal; the signature is a valid
    /// ECDSA signature (OpenZeppelin ECDSA, ERC-2098 compact form, low s) over the ballot with
    /// the proposal's content hash, and recovers the voter; the voter's key is the current key
    /// of a member number that was a member at the record block (one CoopMembers call for the
    /// whole batch); that number has not voted on the proposal, in this batch or before. A
    /// ballot failing a check is skipped with {BallotSkipped}; the others count.
    ///
    /// Requirements:
    /// - the contract is not paused; the meeting and the proposal exist;
    /// - the window in force is open ({votingWindow});
    /// - `ballots` is not empty.
    ///
    /// Emits a {BallotSkipped} event per skipped ballot, and one {BallotsCast} event if any counted.
    function castVotes(
        uint64 meetingId,
        uint32 proposalIndex,
        SignedBallot[] calldata ballots
    ) external whenNotPaused {
        Batch memory batch = _openBatch(meetingId, proposalIndex, ballots.length);
        address[] memory voters = new address[](ballots.length);
        uint256[] memory choices = new uint256[](ballots.length);
        _recoverBallots(batch, ballots, voters, choices);
        uint256[] memory numbers = _members.eligibleNumbersAt(voters, batch.recordBlock);
        _record(batch, numbers, choices, voters);
    }

    /// @inheritdoc IRatVoting
    /// @dev As {castVotes}, except that the signer must be the current key of the accepted,
    /// unrevoked proxy of the ballot's `principalNumber`. The vote counts for the principal's
    /// member number, so the principal's own ballot on the proposal, before or after, is skipped
    /// as a double vote. The first counted proxy ballot for a principal ends their right to revoke.
    ///
    /// Requirements: as {castVotes}.
    ///
    /// Emits a {BallotSkipped} event per skipped ballot, and one {BallotsCast} event if any counted.
    function castProxyVotes(
        uint64 meetingId,
        uint32 proposalIndex,
        SignedProxyBallot[] calldata ballots
    ) external whenNotPaused {
        Batch memory batch = _openBatch(meetingId, proposalIndex, ballots.length);
        uint256 count = ballots.length;
        address[] memory signers = new address[](count);
        uint256[] memory choices = new uint256[](count);
        _recoverProxyBallots(batch, ballots, signers, choices);
        uint256[] memory numbers = _members.eligibleNumbersAt(signers, batch.recordBlock);
        for (uint256 i = 0; i < count; ++i) {
            if (signers[i] == address(0)) {
                continue; // skipped already
            }
            uint64 principalNumber = ballots[i].principalNumber;
            ProxyGrant storage grant = _proxies[_numberKey(meetingId, principalNumber)];
            if (grant.status != ProxyStatus.Accepted || grant.proxyNumber != numbers[i]) {
                emit BallotSkipped(meetingId, proposalIndex, i, _SKIP_NOT_PROXY);
                signers[i] = address(0);
                continue;
            }
            numbers[i] = principalNumber;
        }
        _record(batch, numbers, choices, signers);
        for (uint256 i = 0; i < count; ++i) {
            if (numbers[i] != 0 && signers[i] != address(0)) {
                ProxyGrant storage grant = _proxies[_numberKey(meetingId, uint64(numbers[i]))];
                if (!grant.used) {
                    grant.used = true;
                }
            }
        }
    }

    /// @inheritdoc IRatVoting
    /// @dev Quorum: distinct voters (themselves or by proxy) * 10000 >= quorumBps * members at
    /// the record block. The caps on proposals and candidates keep this within a block.
    ///
    /// Requirements:
    /// - the contract is not paused; the meeting exists and is not finalized;
    /// - `block.timestamp` >= the end of the window in force.
    ///
    /// Emits a {ProposalTallied} event per proposal, then a {MeetingFinalized} event.
    function finalize(uint64 meetingId) external whenNotPaused {
        Meeting storage stored = _requireMeeting(meetingId);
        if (stored.finalized) {
            revert RatVotingAlreadyFinalized(meetingId);
        }
        (, uint64 votingEnd) = _window(stored, 0);
        if (block.timestamp < votingEnd) {
            revert RatVotingVotingNotEnded(meetingId, votingEnd);
        }
        uint256 eligible = stored.eligible;
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

    /// @notice Whether the contract is paused.
    function paused() public view override returns (bool) {
        return _pauseClock.pausedAt != 0;
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
    function votingWindow(uint64 meetingId) external view returns (uint64 votingStart, uint64 votingEnd) {
        Meeting storage stored = _requireMeeting(meetingId);
        uint64 pausedAt = _pauseClock.pausedAt;
        // A pause going on counts up to now (it will be added to the total when it ends).
        return _window(stored, pausedAt == 0 ? 0 : uint64(block.timestamp) - pausedAt);
    }

    /// @inheritdoc IRatVoting
    function proposal(
        uint64 meetingId,
        uint32 proposalIndex
    ) external view returns (ProposalKind kind, uint8 seats, uint8 candidateCount, bytes32 contentHash) {
        Proposal storage stored = _requireProposal(meetingId, proposalIndex);
        return (
            stored.kind,
            stored.seats,
            stored.candidateCount,
            _contentHashes[_proposalKey(meetingId, proposalIndex)]
        );
    }

    /// @inheritdoc IRatVoting
    function agendaHash(uint64 meetingId) external view returns (bytes32) {
        bytes32 frozen = _frozenAgendas[meetingId];
        return frozen != 0 ? frozen : _agendaHash(meetingId, _requireMeeting(meetingId).proposalCount);
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
        uint64 principalNumber
    ) external view returns (uint64 proxyNumber, ProxyStatus status, bool used) {
        ProxyGrant storage grant = _proxies[_numberKey(meetingId, principalNumber)];
        return (grant.proxyNumber, grant.status, grant.used);
    }

    /// @inheritdoc IRatVoting
    function proxyCount(uint64 meetingId, uint64 proxyNumber) external view returns (uint256) {
        return _proxyCounts[_numberKey(meetingId, proxyNumber)];
    }

    /// @inheritdoc IRatVoting
    function ballotDigest(
        uint64 meetingId,
        uint32 proposalIndex,
        bytes32 contentHash,
        uint256 choice
    ) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(BALLOT_TYPEHASH, meetingId, proposalIndex, contentHash, choice)));
    }

    /// @inheritdoc IRatVoting
    function proxyBallotDigest(
        uint64 meetingId,
        uint32 proposalIndex,
        bytes32 contentHash,
        uint256 choice,
        uint64 principalNumber
    ) external view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(PROXY_BALLOT_TYPEHASH, meetingId, proposalIndex, contentHash, choice, principalNumber)
                )
            );
    }

    /// @inheritdoc IRatVoting
    function proxyDigest(
        uint64 meetingId,
        uint64 principalNumber,
        address proxy,
        bytes32 agenda
    ) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(PROXY_TYPEHASH, meetingId, principalNumber, proxy, agenda)));
    }

    /// @inheritdoc IRatVoting
    function proxyAcceptanceDigest(
        uint64 meetingId,
        uint64 principalNumber,
        address proxy
    ) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(PROXY_ACCEPTANCE_TYPEHASH, meetingId, principalNumber, proxy)));
    }

    /// @inheritdoc IRatVoting
    function proxyRevocationDigest(uint64 meetingId, uint64 principalNumber) external view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(PROXY_REVOCATION_TYPEHASH, meetingId, principalNumber)));
    }

    /// @dev MAX_RECORD_AGE; a function only so that a test double can shorten it (a chain test
    /// cannot mine 50,400 blocks in reasonable time).
    function _maxRecordAge() internal pure virtual returns (uint256) {
        return MAX_RECORD_AGE;
    }

    /// @dev Starts a pause: records when, so that windows move later by its length.
    function _pause() internal override {
        super._pause();
        _pauseClock.pausedAt = uint64(block.timestamp);
    }

    /// @dev Ends a pause: adds its length to the paused total.
    function _unpause() internal override {
        super._unpause();
        PauseClock memory clock = _pauseClock;
        // Cannot overflow: seconds since 1970 summed over pauses stay far below 2^64.
        unchecked {
            _pauseClock = PauseClock({
                pausedAt: 0,
                pausedTotal: clock.pausedTotal + (uint64(block.timestamp) - clock.pausedAt)
            });
        }
    }

    /// @dev The window in force of a stored meeting: as created, later by the seconds paused
    /// since it was created (`ongoing`: seconds of a pause not yet ended, for views).
    function _window(
        Meeting storage stored,
        uint64 ongoing
    ) private view returns (uint64 votingStart, uint64 votingEnd) {
        uint64 shift = _pauseClock.pausedTotal - stored.pausedBase + ongoing;
        return (stored.votingStart + shift, stored.votingEnd + shift);
    }

    /// @dev Checks that a batch may be cast and loads what it works on.
    function _openBatch(
        uint64 meetingId,
        uint32 proposalIndex,
        uint256 count
    ) private view returns (Batch memory batch) {
        Meeting storage stored = _meetings[meetingId];
        if (stored.votingEnd == 0) {
            revert RatVotingUnknownMeeting(meetingId);
        }
        if (proposalIndex >= stored.proposalCount) {
            revert RatVotingUnknownProposal(meetingId, proposalIndex);
        }
        (uint64 votingStart, uint64 votingEnd) = _window(stored, 0);
        if (block.timestamp < votingStart || block.timestamp >= votingEnd) {
            revert RatVotingNotOpen(meetingId, block.timestamp, votingStart, votingEnd);
        }
        if (count == 0) {
            revert RatVotingEmptyBatch();
        }
        batch.meetingId = meetingId;
        batch.proposalIndex = proposalIndex;
        batch.recordBlock = stored.recordBlock;
        batch.voterCount = stored.voterCount;
        batch.proposalKey = _proposalKey(meetingId, proposalIndex);
        batch.contentHash = _contentHashes[batch.proposalKey];
        batch.counted = _proposals[batch.proposalKey];
    }

    /// @dev First pass of {castVotes}: checks each choice and recovers each voter into `voters`
    /// (zero for a ballot skipped here), its choice into `choices`.
    function _recoverBallots(
        Batch memory batch,
        SignedBallot[] calldata ballots,
        address[] memory voters,
        uint256[] memory choices
    ) private {
        bytes32 domainSeparator = _domainSeparatorV4();
        // encodeData of a Ballot, allocated once per batch: only the choice (last word) changes.
        bytes memory encoded = abi.encode(
            BALLOT_TYPEHASH,
            batch.meetingId,
            batch.proposalIndex,
            batch.contentHash,
            uint256(0)
        );
        bool yesNo = batch.counted.kind == ProposalKind.YesNoAbstain;
        for (uint256 i = 0; i < ballots.length; ++i) {
            SignedBallot calldata ballot = ballots[i];
            uint256 choice = ballot.choice;
            if (yesNo ? choice > _ABSTAIN : !_validChoice(batch.counted, choice)) {
                emit BallotSkipped(batch.meetingId, batch.proposalIndex, i, _SKIP_INVALID_CHOICE);
                continue;
            }
            assembly ("memory-safe") {
                mstore(add(encoded, 0xa0), choice) // word 4 of the data, after the length word
            }
            bytes32 digest = MessageHashUtils.toTypedDataHash(domainSeparator, keccak256(encoded));
            (address voter, ECDSA.RecoverError failure, ) = ECDSA.tryRecover(digest, ballot.r, ballot.vs);
            if (failure != ECDSA.RecoverError.NoError) {
                emit BallotSkipped(batch.meetingId, batch.proposalIndex, i, _SKIP_INVALID_SIGNATURE);
                continue;
            }
            assembly ("memory-safe") {
                // voters[i] and choices[i]: both arrays have ballots.length elements (no bounds check).
                let offset := add(0x20, shl(5, i))
                mstore(add(voters, offset), voter)
                mstore(add(choices, offset), choice)
            }
        }
    }

    /// @dev First pass of {castProxyVotes}: checks each choice and recovers each signer into
    /// `signers` (zero for a ballot skipped here), its choice into `choices`.
    function _recoverProxyBallots(
        Batch memory batch,
        SignedProxyBallot[] calldata ballots,
        address[] memory signers,
        uint256[] memory choices
    ) private {
        bytes32 domainSeparator = _domainSeparatorV4();
        // encodeData of a ProxyBallot, allocated once per batch: choice and principal change.
        bytes memory encoded = abi.encode(
            PROXY_BALLOT_TYPEHASH,
            batch.meetingId,
            batch.proposalIndex,
            batch.contentHash,
            uint256(0),
            uint64(0)
        );
        for (uint256 i = 0; i < ballots.length; ++i) {
            SignedProxyBallot calldata ballot = ballots[i];
            uint256 choice = ballot.choice;
            if (!_validChoice(batch.counted, choice)) {
                emit BallotSkipped(batch.meetingId, batch.proposalIndex, i, _SKIP_INVALID_CHOICE);
                continue;
            }
            uint64 principalNumber = ballot.principalNumber;
            assembly ("memory-safe") {
                mstore(add(encoded, 0xa0), choice) // words 4 and 5 of the data, after the length word
                mstore(add(encoded, 0xc0), principalNumber)
            }
            bytes32 digest = MessageHashUtils.toTypedDataHash(domainSeparator, keccak256(encoded));
            (address signer, ECDSA.RecoverError failure, ) = ECDSA.tryRecover(digest, ballot.r, ballot.vs);
            if (failure != ECDSA.RecoverError.NoError) {
                emit BallotSkipped(batch.meetingId, batch.proposalIndex, i, _SKIP_INVALID_SIGNATURE);
                continue;
            }
            assembly ("memory-safe") {
                // signers[i] and choices[i]: both arrays have ballots.length elements (no bounds check).
                let offset := add(0x20, shl(5, i))
                mstore(add(signers, offset), signer)
                mstore(add(choices, offset), choice)
            }
        }
    }

    /// @dev Second pass of a batch. For each ballot not skipped yet (`accounts[i]` non-zero):
    /// the member number `numbers[i]` is eligible (non-zero) and has not voted on the proposal;
    /// counts it and notes it in the packed ballots, or skips it. On return `numbers[i]` is
    /// zero for every ballot skipped here. Writes the tally, bitmaps and voter count back and
    /// emits {BallotsCast} if any ballot counted.
    function _record(
        Batch memory batch,
        uint256[] memory numbers,
        uint256[] memory choices,
        address[] memory accounts
    ) private {
        Marks memory marks;
        marks.ballotsBase = batch.proposalKey << 56;
        marks.participantsBase = uint256(batch.meetingId) << 56;
        marks.voted.key = _NO_KEY;
        marks.participated.key = _NO_KEY;
        Proposal memory counted = batch.counted;
        // A record is an 8-byte member number and a choice of `width` bytes (see {BallotsCast}).
        uint256 width = counted.kind == ProposalKind.YesNoAbstain ? 1 : (uint256(counted.candidateCount) + 7) >> 3;
        // Each record is written as 32-byte words: 32 spare bytes at the end.
        bytes memory packed = new bytes(numbers.length * (8 + width) + 32);
        uint256 cursor;
        assembly ("memory-safe") {
            cursor := add(packed, 0x20)
        }
        for (uint256 i = 0; i < numbers.length; ++i) {
            address account;
            uint64 memberNumber;
            uint256 choice;
            assembly ("memory-safe") {
                // The i-th element of each array: the three have the same length (no bounds check).
                let offset := add(0x20, shl(5, i))
                account := mload(add(accounts, offset))
                // Safe downcast: CoopMembers numbers and proxy grants are uint64.
                memberNumber := mload(add(numbers, offset))
                choice := mload(add(choices, offset))
            }
            if (account == address(0)) {
                continue; // skipped in the first pass
            }
            if (memberNumber == 0) {
                emit BallotSkipped(batch.meetingId, batch.proposalIndex, i, _SKIP_NOT_ELIGIBLE);
                continue;
            }
            if (!_mark(marks, memberNumber)) {
                emit BallotSkipped(batch.meetingId, batch.proposalIndex, i, _SKIP_ALREADY_VOTED);
                numbers[i] = 0;
                continue;
            }
            _count(counted, batch.proposalKey, choice);
            assembly ("memory-safe") {
                mstore(cursor, shl(192, memberNumber)) // the number, big-endian, in 8 bytes
                // the choice right after it, big-endian in `width` bytes (it has no more bits)
                mstore(add(cursor, 8), shl(sub(256, shl(3, width)), choice))
                cursor := add(cursor, add(8, width))
            }
        }
        uint256 length;
        assembly ("memory-safe") {
            length := sub(cursor, add(packed, 0x20))
            mstore(packed, length) // the records written, without the spare bytes
        }
        if (length == 0) {
            return; // every ballot was skipped: nothing changed
        }
        _proposals[batch.proposalKey] = counted;
        _ballots[marks.voted.key] = marks.voted.bits;
        _participants[marks.participated.key] = marks.participated.bits;
        if (marks.newVoters != 0) {
            _meetings[batch.meetingId].voterCount = SafeCast.toUint32(batch.voterCount + marks.newVoters);
        }
        emit BallotsCast(batch.meetingId, batch.proposalIndex, packed);
    }

    /// @dev Whether `choice` is valid for the proposal (see {ProposalKind}).
    function _validChoice(Proposal memory counted, uint256 choice) private pure returns (bool) {
        if (counted.kind == ProposalKind.YesNoAbstain) {
            return choice <= _ABSTAIN;
        }
        if (choice >> counted.candidateCount != 0) {
            return false;
        }
        uint256 chosen = 0;
        // Cannot overflow: at most 255 bits are set (candidateCount <= 255).
        unchecked {
            for (uint256 remaining = choice; remaining != 0; remaining &= remaining - 1) {
                ++chosen;
            }
        }
        return chosen <= counted.seats;
    }

    /// @dev Adds one ballot with a valid `choice` to `counted`, the proposal's tally in memory
    /// (written back once per batch), and to the candidates' counts in storage.
    function _count(Proposal memory counted, uint256 proposalKey, uint256 choice) private {
        // The counts below cannot overflow: each member number votes once per proposal and
        // numbers are non-zero uint64, so no count exceeds 2^64 - 1.
        unchecked {
            if (counted.kind == ProposalKind.YesNoAbstain) {
                if (choice == _AGAINST) {
                    counted.againstVotes += 1;
                } else if (choice == _FOR) {
                    counted.forVotes += 1;
                } else {
                    counted.abstainVotes += 1;
                }
                return;
            }
            if (choice == 0) {
                counted.abstainVotes += 1; // a blank election ballot
                return;
            }
        }
        uint256 remaining = choice;
        while (remaining != 0) {
            uint256 candidate = Math.log2(remaining & (~remaining + 1)); // the lowest set bit
            // Cannot overflow: each lane as explained above, so adding 1 to a 64-bit lane never
            // carries into the next one.
            unchecked {
                _candidateVotes[(proposalKey << 8) | (candidate >> 2)] += 1 << ((candidate & 3) * 64);
            }
            remaining &= remaining - 1;
        }
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
        uint256 lanes;
        for (uint256 candidate = 0; candidate < candidates; ++candidate) {
            if (candidate & 3 == 0) {
                lanes = _candidateVotes[(proposalKey << 8) | (candidate >> 2)]; // one slot per 4
            }
            counts[candidate] = uint64(lanes >> ((candidate & 3) * 64));
        }
        counts[candidates] = stored.abstainVotes;
    }

    /// @dev The agenda hash a proxy appointment signs, stored by the first appointment so the
    /// agenda cannot change under it.
    function _freezeAgenda(uint64 meetingId, uint8 proposalCount) private returns (bytes32 agenda) {
        agenda = _frozenAgendas[meetingId];
        if (agenda == 0) {
            agenda = _agendaHash(meetingId, proposalCount);
            _frozenAgendas[meetingId] = agenda;
        }
    }

    /// @dev keccak256 of the content hashes of proposals 0 .. `proposalCount` - 1, concatenated.
    function _agendaHash(uint64 meetingId, uint8 proposalCount) private view returns (bytes32) {
        bytes32[] memory hashes = new bytes32[](proposalCount);
        for (uint32 index = 0; index < proposalCount; ++index) {
            hashes[index] = _contentHashes[_proposalKey(meetingId, index)];
        }
        return keccak256(abi.encodePacked(hashes));
    }

    /// @dev The current key of `memberNumber`, if that number was a member at `recordBlock`.
    function _requireEligibleNumber(
        uint64 meetingId,
        uint64 memberNumber,
        uint48 recordBlock
    ) private view returns (address account) {
        account = _members.accountOf(memberNumber);
        if (account == address(0) || !_members.wasNumberMemberAt(memberNumber, recordBlock)) {
            revert RatVotingNotEligible(meetingId, account);
        }
    }

    /// @dev The meeting, if it exists and proxies may still be appointed, accepted or revoked.
    function _requireProxiesOpen(uint64 meetingId) private view returns (Meeting storage stored) {
        stored = _requireMeeting(meetingId);
        (, uint64 votingEnd) = _window(stored, 0);
        if (block.timestamp >= votingEnd) {
            revert RatVotingRegistrationClosed(meetingId, votingEnd);
        }
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

    function _numberKey(uint64 meetingId, uint64 memberNumber) private pure returns (uint256) {
        return (uint256(meetingId) << 64) | memberNumber;
    }
}
