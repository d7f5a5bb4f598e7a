// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IRatVoting
/// @notice The members' annual meeting (Rapat Anggota Tahunan): one member one vote, with
/// EIP-712 ballots signed in members' wallets and relayed in batches by anyone, proxies (kuasa)
/// appointed by the principal and accepted by the proxy, and a tally and quorum recorded on
/// chain when voting closes.
///
/// Eligibility follows the member NUMBER: a ballot counts if the key that signed it is the
/// current key of a number (CoopMembers `memberNumberOf`) and that number was a member at the
/// meeting's record block. A key replaced with `changeAddress` (a lost or stolen key) stops
/// voting at once, and the new key votes for the number.
///
/// Every ballot and proxy appointment commits to what the member saw: a proposal stores the
/// `contentHash` of its text or candidate list (keccak256 of the RFC 8785 canonical JSON of the
/// agenda item, computed off chain), and the ballot's typed data includes it. A ballot signed
/// over another text recovers to some other address and is skipped.
///
/// Batches skip, they do not revert: a ballot that cannot count is left out with a
/// {BallotSkipped} event giving its index in the batch and one of these reason codes:
///   1 INVALID_SIGNATURE  the signature is malformed (no address recovers, or s is high);
///   2 INVALID_CHOICE     the choice is not valid for the proposal (see {ProposalKind});
///   3 NOT_ELIGIBLE       the signer holds no member number now, or its number was not a
///                        member at the record block (a ballot over another content hash,
///                        meeting, chain or contract lands here: it recovers a stranger);
///   4 ALREADY_VOTED      the member number already voted on the proposal, before or earlier
///                        in the same batch (a front-run copy of a relayed ballot lands here);
///   5 NOT_PROXY          (proxy ballots) the signer is not the current key of the accepted,
///                        unrevoked proxy of the principal.
/// Only a batch for a closed window, an unknown meeting or proposal, or an empty batch reverts.
interface IRatVoting {
    /// @notice YesNoAbstain: choice 0 against (tidak setuju), 1 for (setuju), 2 abstain.
    /// Election: choice is a bitmask of candidates (bit i = candidate i), at most `seats` bits
    /// set; 0 is a blank ballot.
    enum ProposalKind {
        YesNoAbstain,
        Election
    }

    /// @notice Where a proxy appointment stands. Appointed: signed by the principal, not yet
    /// accepted; it counts toward no quota and cannot vote. Accepted: the proxy consented; it
    /// counts toward the proxy's quota and may vote. Revoked: the principal withdrew it (final
    /// for this meeting: the principal votes themself).
    enum ProxyStatus {
        None,
        Appointed,
        Accepted,
        Revoked
    }

    /// @notice A meeting as stored (two slots). `votingStart`/`votingEnd` are unix seconds as
    /// created; the window in force is shifted later by every second the contract was paused
    /// since the meeting was created (see {votingWindow}): voting is open in [start, end).
    /// `voterCount` counts distinct member numbers that cast at least one ballot, themselves or
    /// by proxy. `pausedBase` is the contract's total paused seconds when the meeting was
    /// created; `eligible` the member count at the record block; `candidateTotal` the sum of
    /// the candidate counts of its elections.
    struct Meeting {
        uint48 recordBlock;
        uint64 votingStart;
        uint64 votingEnd;
        uint16 quorumBps;
        uint8 maxPrincipalsPerProxy;
        uint8 proposalCount;
        uint32 voterCount;
        bool finalized;
        bool quorumReached;
        uint64 pausedBase;
        uint32 eligible;
        uint16 candidateTotal;
    }

    /// @notice A member's ballot on the batch's proposal, signed by the member as EIP-712
    /// `Ballot(uint64 meetingId,uint32 proposalIndex,bytes32 contentHash,uint256 choice)` with the
    /// proposal's stored content hash; relayed with {castVotes}. The voter is whoever signed: the
    /// contract recovers the address from the signature. The signature is in ERC-2098 compact
    /// form: `vs` = s | (v - 27) << 255.
    struct SignedBallot {
        uint256 choice;
        bytes32 r;
        bytes32 vs;
    }

    /// @notice A ballot a proxy casts for member `principalNumber` on the batch's proposal,
    /// signed by the proxy's current key as EIP-712 `ProxyBallot(uint64 meetingId,uint32
    /// proposalIndex,bytes32 contentHash,uint256 choice,uint64 principalNumber)`; relayed with
    /// {castProxyVotes}. Signature as in {SignedBallot}.
    struct SignedProxyBallot {
        uint256 choice;
        uint64 principalNumber;
        bytes32 r;
        bytes32 vs;
    }

    /// @dev A meeting with `meetingId` already exists.
    error RatVotingMeetingExists(uint64 meetingId);

    /// @dev No meeting with `meetingId` exists.
    error RatVotingUnknownMeeting(uint64 meetingId);

    /// @dev The record block must be final when the meeting is created: `recordBlock` < `currentBlock`.
    error RatVotingRecordBlockNotPast(uint48 recordBlock, uint256 currentBlock);

    /// @dev The record block is more than MAX_RECORD_AGE blocks before `currentBlock`.
    error RatVotingRecordBlockTooOld(uint48 recordBlock, uint256 currentBlock);

    /// @dev No member at the record block: a quorum of nobody would always be reached.
    error RatVotingNoEligibleMembers(uint48 recordBlock);

    /// @dev Voting must start at least MIN_NOTICE seconds after `timestamp` (the block's time).
    error RatVotingNoticeTooShort(uint64 votingStart, uint256 timestamp);

    /// @dev Voting must last at least MIN_VOTING_DURATION seconds.
    error RatVotingVotingTooShort(uint64 votingStart, uint64 votingEnd);

    /// @dev A quorum below MIN_QUORUM_BPS or above 10000 basis points.
    error RatVotingInvalidQuorum(uint16 quorumBps);

    /// @dev Proposals can only be added before voting starts at `votingStart`.
    error RatVotingProposalsClosed(uint64 meetingId, uint64 votingStart);

    /// @dev A proxy was already appointed on this agenda: a new item would change what the
    /// principal signed.
    error RatVotingAgendaFrozen(uint64 meetingId);

    /// @dev Kind not 0 or 1; a yes-no-abstain proposal with seats or candidates; an election
    /// with seats not in [1, candidateCount].
    error RatVotingInvalidProposal(uint8 kind, uint8 seats, uint8 candidateCount);

    /// @dev A proposal needs the hash of its content (not zero).
    error RatVotingEmptyContentHash(uint64 meetingId);

    /// @dev A meeting holds at most MAX_PROPOSALS proposals.
    error RatVotingTooManyProposals(uint64 meetingId);

    /// @dev A meeting's elections hold at most MAX_CANDIDATES candidates together; adding the
    /// proposal would make `candidates`.
    error RatVotingTooManyCandidates(uint64 meetingId, uint256 candidates);

    /// @dev No proposal `proposalIndex` in meeting `meetingId`.
    error RatVotingUnknownProposal(uint64 meetingId, uint32 proposalIndex);

    /// @dev A ballot outside the window in force [votingStart, votingEnd) (see {votingWindow}):
    /// the block's time was `timestamp`.
    error RatVotingNotOpen(uint64 meetingId, uint256 timestamp, uint64 votingStart, uint64 votingEnd);

    /// @dev `castVotes` or `castProxyVotes` was called with no ballots.
    error RatVotingEmptyBatch();

    /// @dev The signature is not `signer`'s (the principal's or the proxy's current key).
    error RatVotingInvalidSignature(address signer);

    /// @dev `account` (a principal's current key, zero if the number has none, or a proxy) does
    /// not hold a member number now whose membership goes back to the meeting's record block.
    error RatVotingNotEligible(uint64 meetingId, address account);

    /// @dev A proxy must be a non-zero address of a member other than the principal.
    error RatVotingInvalidProxy(uint64 principalNumber, address proxy);

    /// @dev Member `principalNumber` already appointed a proxy in this meeting (one appointment
    /// per meeting, even after revoking it).
    error RatVotingProxyAlreadySet(uint64 meetingId, uint64 principalNumber);

    /// @dev The appointment of `principalNumber` is not `expected` (Appointed to accept it;
    /// Appointed or Accepted to revoke it); `actual` is where it stands.
    error RatVotingProxyStatus(uint64 meetingId, uint64 principalNumber, ProxyStatus actual);

    /// @dev The proxy already voted for `principalNumber`: the appointment can no longer be revoked.
    error RatVotingProxyUsed(uint64 meetingId, uint64 principalNumber);

    /// @dev Proxy `proxyNumber` already represents `maxPrincipals` principals (0: proxies not allowed).
    error RatVotingProxyLimitReached(uint64 meetingId, uint64 proxyNumber, uint8 maxPrincipals);

    /// @dev Proxies can be appointed, accepted or revoked only before voting ends at `votingEnd`.
    error RatVotingRegistrationClosed(uint64 meetingId, uint64 votingEnd);

    /// @dev Finalizing needs voting to have ended at `votingEnd` (the end in force).
    error RatVotingVotingNotEnded(uint64 meetingId, uint64 votingEnd);

    /// @dev The meeting was already finalized.
    error RatVotingAlreadyFinalized(uint64 meetingId);

    /// @notice The backend created a meeting.
    event MeetingCreated(
        uint64 indexed meetingId,
        uint48 recordBlock,
        uint64 votingStart,
        uint64 votingEnd,
        uint16 quorumBps,
        uint8 maxPrincipalsPerProxy
    );

    /// @notice The backend added proposal `proposalIndex` (numbered from 0) to a meeting.
    event ProposalAdded(
        uint64 indexed meetingId,
        uint32 indexed proposalIndex,
        ProposalKind kind,
        uint8 seats,
        uint8 candidateCount,
        bytes32 contentHash
    );

    /// @notice Member `principalNumber` appointed member `proxyNumber` (at `proxy`) as proxy,
    /// on the agenda with hash `agendaHash`; it counts once the proxy accepts.
    event ProxyAppointed(
        uint64 indexed meetingId,
        uint64 indexed principalNumber,
        uint64 indexed proxyNumber,
        address proxy,
        bytes32 agendaHash
    );

    /// @notice Proxy `proxyNumber` accepted to vote for `principalNumber`.
    event ProxyAccepted(uint64 indexed meetingId, uint64 indexed principalNumber, uint64 indexed proxyNumber);

    /// @notice `principalNumber` revoked the appointment of `proxyNumber`.
    event ProxyRevoked(uint64 indexed meetingId, uint64 indexed principalNumber, uint64 indexed proxyNumber);

    /// @notice One per `castVotes` or `castProxyVotes` batch with at least one counted ballot:
    /// every counted ballot, in batch order, as a record of 8 + w bytes: the member number
    /// (uint64, big-endian; a proxy ballot names its principal) then the choice (big-endian in
    /// w bytes), where w = 1 for a YesNoAbstain proposal and ceil(candidateCount / 8) for an
    /// Election. Skipped ballots are not in it (see {BallotSkipped}).
    event BallotsCast(uint64 indexed meetingId, uint32 indexed proposalIndex, bytes ballots);

    /// @notice Ballot `index` of the batch did not count, for `reason` (codes in the title notes).
    event BallotSkipped(uint64 indexed meetingId, uint32 indexed proposalIndex, uint256 index, uint8 reason);

    /// @notice A proposal's final tally. YesNoAbstain: [against, for, abstain]. Election:
    /// [votes of candidate 0, ..., of candidate n-1, blank ballots].
    event ProposalTallied(uint64 indexed meetingId, uint32 indexed proposalIndex, ProposalKind kind, uint64[] counts);

    /// @notice Voting closed: `voters` distinct members of `eligible` at the record block voted.
    event MeetingFinalized(uint64 indexed meetingId, uint32 voters, uint256 eligible, bool quorumReached);

    /// @notice Creates meeting `meetingId`; eligibility is membership at block `recordBlock`.
    function createMeeting(
        uint64 meetingId,
        uint48 recordBlock,
        uint64 votingStart,
        uint64 votingEnd,
        uint16 quorumBps,
        uint8 maxPrincipalsPerProxy
    ) external;

    /// @notice Adds a proposal of `kind` (0 yes-no-abstain, 1 election) whose text or candidate
    /// list hashes to `contentHash`.
    function addProposal(
        uint64 meetingId,
        uint8 kind,
        uint8 seats,
        uint8 candidateCount,
        bytes32 contentHash
    ) external returns (uint32 proposalIndex);

    /// @notice Appoints `proxy` for member `principalNumber` with the EIP-712 `Proxy(uint64
    /// meetingId,uint64 principalNumber,address proxy,bytes32 agendaHash)` signature of the
    /// principal's current key, `agendaHash` being {agendaHash}. Anyone may relay.
    function registerProxy(uint64 meetingId, uint64 principalNumber, address proxy, bytes calldata signature) external;

    /// @notice The proxy consents, with the EIP-712 `ProxyAcceptance(uint64 meetingId,uint64
    /// principalNumber,address proxy)` signature of its current key (`proxy` = that key).
    /// Anyone may relay.
    function acceptProxy(uint64 meetingId, uint64 principalNumber, bytes calldata signature) external;

    /// @notice The principal withdraws the appointment, with the EIP-712 `ProxyRevocation(uint64
    /// meetingId,uint64 principalNumber)` signature of its current key. Anyone may relay.
    function revokeProxy(uint64 meetingId, uint64 principalNumber, bytes calldata signature) external;

    /// @notice Records members' signed ballots on proposal `proposalIndex` of meeting
    /// `meetingId`, skipping those that cannot count. Anyone may relay.
    function castVotes(uint64 meetingId, uint32 proposalIndex, SignedBallot[] calldata ballots) external;

    /// @notice Records ballots proxies signed for their principals on proposal `proposalIndex`,
    /// skipping those that cannot count. Anyone may relay.
    function castProxyVotes(uint64 meetingId, uint32 proposalIndex, SignedProxyBallot[] calldata ballots) external;

    /// @notice Closes a meeting after voting ends: records and emits tallies and quorum.
    function finalize(uint64 meetingId) external;

    /// @notice The CoopMembers contract that decides eligibility.
    function members() external view returns (address);

    /// @notice Meeting `meetingId` as stored (all zero if unknown).
    function meeting(uint64 meetingId) external view returns (Meeting memory);

    /// @notice The voting window in force: as created, shifted later by the seconds the
    /// contract has been paused since the meeting was created (including a pause going on).
    function votingWindow(uint64 meetingId) external view returns (uint64 votingStart, uint64 votingEnd);

    /// @notice The kind, seats, candidate count and content hash of a proposal.
    function proposal(
        uint64 meetingId,
        uint32 proposalIndex
    ) external view returns (ProposalKind kind, uint8 seats, uint8 candidateCount, bytes32 contentHash);

    /// @notice keccak256 of the meeting's proposal content hashes concatenated in index order
    /// (what a proxy appointment signs). Fixed once a proxy has been appointed.
    function agendaHash(uint64 meetingId) external view returns (bytes32);

    /// @notice A proposal's tally so far, laid out as in {ProposalTallied}.
    function tally(uint64 meetingId, uint32 proposalIndex) external view returns (uint64[] memory counts);

    /// @notice Whether member `memberNumber` has voted on the proposal (themself or by proxy).
    function hasVoted(uint64 meetingId, uint32 proposalIndex, uint64 memberNumber) external view returns (bool);

    /// @notice Whether member `memberNumber` has voted on any proposal of the meeting.
    function hasParticipated(uint64 meetingId, uint64 memberNumber) external view returns (bool);

    /// @notice The appointment of member `principalNumber`: the proxy's member number, where it
    /// stands, and whether the proxy has voted for the principal.
    function proxyOf(
        uint64 meetingId,
        uint64 principalNumber
    ) external view returns (uint64 proxyNumber, ProxyStatus status, bool used);

    /// @notice How many principals member `proxyNumber` represents (accepted, not revoked).
    function proxyCount(uint64 meetingId, uint64 proxyNumber) external view returns (uint256);

    /// @notice The EIP-712 digest a member signs for a `Ballot`.
    function ballotDigest(
        uint64 meetingId,
        uint32 proposalIndex,
        bytes32 contentHash,
        uint256 choice
    ) external view returns (bytes32);

    /// @notice The EIP-712 digest a proxy signs for a `ProxyBallot` on behalf of `principalNumber`.
    function proxyBallotDigest(
        uint64 meetingId,
        uint32 proposalIndex,
        bytes32 contentHash,
        uint256 choice,
        uint64 principalNumber
    ) external view returns (bytes32);

    /// @notice The EIP-712 digest a principal signs for a `Proxy` appointing `proxy`.
    function proxyDigest(
        uint64 meetingId,
        uint64 principalNumber,
        address proxy,
        bytes32 agenda
    ) external view returns (bytes32);

    /// @notice The EIP-712 digest a proxy signs for a `ProxyAcceptance`.
    function proxyAcceptanceDigest(
        uint64 meetingId,
        uint64 principalNumber,
        address proxy
    ) external view returns (bytes32);

    /// @notice The EIP-712 digest a principal signs for a `ProxyRevocation`.
    function proxyRevocationDigest(uint64 meetingId, uint64 principalNumber) external view returns (bytes32);
}
