// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IRatVoting
/// @notice The members' annual meeting (Rapat Anggota Tahunan): one member one vote, with
/// EIP-712 ballots signed in members' wallets and relayed in batches by anyone, proxies (kuasa)
/// signed by the principal, and a tally and quorum recorded on chain when voting closes.
interface IRatVoting {
    /// @notice YesNoAbstain: choice 0 against (tidak setuju), 1 for (setuju), 2 abstain.
    /// Election: choice is a bitmask of candidates (bit i = candidate i), at most `seats` bits
    /// set; 0 is a blank ballot.
    enum ProposalKind {
        YesNoAbstain,
        Election
    }

    /// @notice A meeting as stored (one slot). `votingStart`/`votingEnd` are unix seconds; voting
    /// is open in [votingStart, votingEnd). `voterCount` counts distinct member numbers that cast
    /// at least one ballot, in person or by proxy.
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
    }

    /// @notice A member's ballot on the batch's proposal, signed by the member as EIP-712
    /// `Ballot(uint64 meetingId,uint32 proposalIndex,uint256 choice)`; relayed with {castVotes}.
    /// The voter is whoever signed: the contract recovers the address from the signature. The
    /// signature is in ERC-2098 compact form: `vs` = s | (v - 27) << 255.
    struct SignedBallot {
        uint256 choice;
        bytes32 r;
        bytes32 vs;
    }

    /// @notice A ballot a proxy casts for `principal` on the batch's proposal, signed by the
    /// proxy as EIP-712 `ProxyBallot(uint64 meetingId,uint32 proposalIndex,uint256 choice,address
    /// principal)`; relayed with {castProxyVotes}. Signature as in {SignedBallot}.
    struct SignedProxyBallot {
        uint256 choice;
        address principal;
        bytes32 r;
        bytes32 vs;
    }

    /// @dev A meeting with `meetingId` already exists.
    error RatVotingMeetingExists(uint64 meetingId);

    /// @dev No meeting with `meetingId` exists.
    error RatVotingUnknownMeeting(uint64 meetingId);

    /// @dev The record block must be final when the meeting is created: `recordBlock` < `currentBlock`.
    error RatVotingRecordBlockNotPast(uint48 recordBlock, uint256 currentBlock);

    /// @dev Voting must start in the future and end after it starts.
    error RatVotingInvalidSchedule(uint64 votingStart, uint64 votingEnd);

    /// @dev A quorum above 10000 basis points.
    error RatVotingInvalidQuorum(uint16 quorumBps);

    /// @dev Proposals can only be added before voting starts at `votingStart`.
    error RatVotingProposalsClosed(uint64 meetingId, uint64 votingStart);

    /// @dev Kind not 0 or 1; a yes-no-abstain proposal with seats or candidates; an election
    /// with seats not in [1, candidateCount].
    error RatVotingInvalidProposal(uint8 kind, uint8 seats, uint8 candidateCount);

    /// @dev A meeting holds at most 255 proposals.
    error RatVotingTooManyProposals(uint64 meetingId);

    /// @dev No proposal `proposalIndex` in meeting `meetingId`.
    error RatVotingUnknownProposal(uint64 meetingId, uint32 proposalIndex);

    /// @dev A ballot outside [votingStart, votingEnd): the block's time was `timestamp`.
    error RatVotingNotOpen(uint64 meetingId, uint256 timestamp, uint64 votingStart, uint64 votingEnd);

    /// @dev `castVotes` or `castProxyVotes` was called with no ballots.
    error RatVotingEmptyBatch();

    /// @dev The proxy appointment's signature is not `principal`'s.
    error RatVotingInvalidSignature(address principal);

    /// @dev `account` was not a member at the meeting's record block. For a ballot, `account` is
    /// the address its signature recovers to: a forged signature names a stranger here.
    error RatVotingNotEligible(uint64 meetingId, address account);

    /// @dev Member `memberNumber` already voted on this proposal (in person or by proxy).
    error RatVotingAlreadyVoted(uint64 meetingId, uint32 proposalIndex, uint64 memberNumber);

    /// @dev `choice` is not valid for the proposal's kind (see {ProposalKind}).
    error RatVotingInvalidChoice(uint64 meetingId, uint32 proposalIndex, uint256 choice);

    /// @dev `signer` (recovered from a proxy ballot) is not the registered proxy of `principal`.
    error RatVotingNotProxy(uint64 meetingId, address principal, address signer);

    /// @dev A proxy needs a principal and a proxy that are distinct, non-zero addresses.
    error RatVotingInvalidProxy(address principal, address proxy);

    /// @dev `principal` already has a proxy in this meeting.
    error RatVotingProxyAlreadySet(uint64 meetingId, address principal);

    /// @dev `proxy` already represents `maxPrincipals` principals (0: proxies not allowed).
    error RatVotingProxyLimitReached(uint64 meetingId, address proxy, uint8 maxPrincipals);

    /// @dev Proxies can be registered only before voting ends at `votingEnd`.
    error RatVotingRegistrationClosed(uint64 meetingId, uint64 votingEnd);

    /// @dev Finalizing needs voting to have ended at `votingEnd`.
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
        uint8 candidateCount
    );

    /// @notice `proxy` may vote for member `principalNumber` (at `principal`) in this meeting.
    event ProxyRegistered(
        uint64 indexed meetingId,
        address indexed principal,
        address indexed proxy,
        uint64 principalNumber
    );

    /// @notice One per `castVotes` or `castProxyVotes` batch: the member numbers that voted on
    /// the proposal, in batch order, 8 bytes each (uint64, big-endian). A proxy ballot names its
    /// principal. The choices are in the transaction's calldata and in the tally.
    event BallotsCast(uint64 indexed meetingId, uint32 indexed proposalIndex, bytes memberNumbers);

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

    /// @notice Adds a proposal of `kind` (0 yes-no-abstain, 1 election) to a meeting.
    function addProposal(
        uint64 meetingId,
        uint8 kind,
        uint8 seats,
        uint8 candidateCount
    ) external returns (uint32 proposalIndex);

    /// @notice Registers `proxy` as `principal`'s proxy with the principal's EIP-712 `Proxy` signature.
    function registerProxy(uint64 meetingId, address principal, address proxy, bytes calldata signature) external;

    /// @notice Records members' signed ballots on proposal `proposalIndex` of meeting
    /// `meetingId`; all or nothing. Anyone may relay.
    function castVotes(uint64 meetingId, uint32 proposalIndex, SignedBallot[] calldata ballots) external;

    /// @notice Records ballots proxies signed for their principals on proposal `proposalIndex`;
    /// all or nothing. Anyone may relay.
    function castProxyVotes(uint64 meetingId, uint32 proposalIndex, SignedProxyBallot[] calldata ballots) external;

    /// @notice Closes a meeting after voting ends: records and emits tallies and quorum.
    function finalize(uint64 meetingId) external;

    /// @notice The CoopMembers contract that decides eligibility.
    function members() external view returns (address);

    /// @notice Meeting `meetingId` as stored (all zero if unknown).
    function meeting(uint64 meetingId) external view returns (Meeting memory);

    /// @notice The kind, seats and candidate count of a proposal.
    function proposal(
        uint64 meetingId,
        uint32 proposalIndex
    ) external view returns (ProposalKind kind, uint8 seats, uint8 candidateCount);

    /// @notice A proposal's tally so far, laid out as in {ProposalTallied}.
    function tally(uint64 meetingId, uint32 proposalIndex) external view returns (uint64[] memory counts);

    /// @notice Whether member `memberNumber` has voted on the proposal (in person or by proxy).
    function hasVoted(uint64 meetingId, uint32 proposalIndex, uint64 memberNumber) external view returns (bool);

    /// @notice Whether member `memberNumber` has voted on any proposal of the meeting.
    function hasParticipated(uint64 meetingId, uint64 memberNumber) external view returns (bool);

    /// @notice The proxy registered for `principal`, and the principal's member number.
    function proxyOf(uint64 meetingId, address principal) external view returns (address proxy, uint64 principalNumber);

    /// @notice How many principals `proxy` represents in the meeting.
    function proxyCount(uint64 meetingId, address proxy) external view returns (uint256);

    /// @notice The EIP-712 digest a member signs for a `Ballot`.
    function ballotDigest(uint64 meetingId, uint32 proposalIndex, uint256 choice) external view returns (bytes32);

    /// @notice The EIP-712 digest a proxy signs for a `ProxyBallot` on behalf of `principal`.
    function proxyBallotDigest(
        uint64 meetingId,
        uint32 proposalIndex,
        uint256 choice,
        address principal
    ) external view returns (bytes32);

    /// @notice The EIP-712 digest a principal signs for a `Proxy` appointing `proxy`.
    function proxyDigest(uint64 meetingId, address principal, address proxy) external view returns (bytes32);
}
