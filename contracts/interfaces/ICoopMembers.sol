// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC6372} from "@openzeppelin/contracts/interfaces/IERC6372.sol";

/// @title ICoopMembers
/// @notice The cooperative's roll: member number <-> wallet address, with history by block number,
/// so that "was this address a member at the record date?" and "how many members were there?"
/// can be answered for any past block (ERC-6372 clock: block numbers).
interface ICoopMembers is IERC6372 {
    /// @dev Member number 0 is reserved: it means "not a member" in every lookup.
    error CoopMembersZeroNumber();

    /// @dev The zero address cannot hold a membership.
    error CoopMembersZeroAddress();

    /// @dev `number` is already held by an active member.
    error CoopMembersAlreadyMember(uint64 number);

    /// @dev `number` is not held by an active member.
    error CoopMembersUnknownMember(uint64 number);

    /// @dev `account` already holds an active membership (under any number).
    error CoopMembersAddressTaken(address account);

    /// @dev A lookup at `timepoint` needs a block that is already final: `timepoint` < `current`.
    error CoopMembersFutureLookup(uint256 timepoint, uint48 current);

    /// @dev `admitBatch` got arrays of different lengths.
    error CoopMembersLengthMismatch(uint256 numbers, uint256 accounts);

    /// @notice `account` became member `number`.
    event MemberAdmitted(uint64 indexed number, address indexed account);

    /// @notice Member `number`, at `account`, left the cooperative.
    event MemberExited(uint64 indexed number, address indexed account);

    /// @notice Member `number` moved from `oldAccount` (e.g. a lost key) to `newAccount`.
    event MemberAddressChanged(uint64 indexed number, address indexed oldAccount, address indexed newAccount);

    /// @notice Admits `account` as member `number`.
    function admit(uint64 number, address account) external;

    /// @notice Admits `accounts[i]` as member `numbers[i]` for every i, in one transaction.
    function admitBatch(uint64[] calldata numbers, address[] calldata accounts) external;

    /// @notice Ends the membership of member `number`.
    function exit(uint64 number) external;

    /// @notice Moves member `number` to `newAccount`; the old address stops being a member.
    function changeAddress(uint64 number, address newAccount) external;

    /// @notice The address of active member `number`, or the zero address.
    function accountOf(uint64 number) external view returns (address);

    /// @notice The member number `account` holds now, or 0.
    function memberNumberOf(address account) external view returns (uint64);

    /// @notice Whether `account` is a member now.
    function isMember(address account) external view returns (bool);

    /// @notice The member number `account` held at the end of block `timepoint`, or 0.
    function memberNumberAt(address account, uint48 timepoint) external view returns (uint64);

    /// @notice The member numbers `accounts` held at the end of block `timepoint` (0 for
    /// non-members), in one call: RatVoting checks a batch of ballots with it. The numbers are
    /// uint64 values returned as uint256 words, which the caller decodes without a range check.
    function memberNumbersAt(
        address[] calldata accounts,
        uint48 timepoint
    ) external view returns (uint256[] memory numbers);

    /// @notice Whether member number `number` was held (by any address) at the end of block
    /// `timepoint`: a number keeps its membership across {changeAddress}.
    function wasNumberMemberAt(uint64 number, uint48 timepoint) external view returns (bool);

    /// @notice For each of `accounts`, the member number it holds NOW if that number was a member
    /// at the end of block `timepoint`, else 0 (also 0 for an address that holds no number now,
    /// such as a key replaced with {changeAddress}). RatVoting checks a batch of ballots with it:
    /// eligibility follows the number, the signing key must be the number's current one. Numbers
    /// are uint64 values returned as uint256 words.
    function eligibleNumbersAt(
        address[] calldata accounts,
        uint48 timepoint
    ) external view returns (uint256[] memory numbers);

    /// @notice Whether `account` was a member at the end of block `timepoint`.
    function wasMemberAt(address account, uint48 timepoint) external view returns (bool);

    /// @notice How many members there are now.
    function memberCount() external view returns (uint256);

    /// @notice How many members there were at the end of block `timepoint` (the quorum denominator).
    function memberCountAt(uint48 timepoint) external view returns (uint256);
}
