// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC6372Utils} from "@openzeppelin/contracts/utils/ERC6372Utils.sol";
import {Checkpoints} from "@openzeppelin/contracts/utils/structs/Checkpoints.sol";
import {Time} from "@openzeppelin/contracts/utils/types/Time.sol";
import {IERC6372} from "@openzeppelin/contracts/interfaces/IERC6372.sol";
import {CoopRoles} from "./access/CoopRoles.sol";
import {ICoopMembers} from "./interfaces/ICoopMembers.sol";

/// @title CoopMembers
/// @notice The member roll, mirrored from the off-chain ledger by the backend (OPERATOR_ROLE).
///
/// Every address has an OpenZeppelin `Checkpoints.Trace208` of the member number it held
/// (0 = none), keyed by block number; the number of members has one too. Past lookups
/// (`memberNumberAt`, `wasMemberAt`, `memberCountAt`) therefore answer for any final block:
/// RatVoting asks them at a meeting's record block.
///
/// At the end of every block, active numbers and member addresses are a bijection: a number
/// has at most one address, an address at most one number.
///
/// Gas: `_current[account]` caches the latest checkpoint of the address (number and block) in
/// one slot. A lookup at or after that block, which is nearly every lookup RatVoting makes,
/// then costs one cold SLOAD instead of two (the trace's length and its last element).
///
/// Membership of a number (not of an address) has a history too, for RatVoting's "the signer's
/// current number was a member at the record block": `_current[account].numberSince` is the
/// block since which the account's number has been held without a break (carried over by
/// {changeAddress}), which answers nearly every lookup from the same slot. A number that exits
/// gets a per-number trace (`_numberHistory`, 1 = held, 0 = not), written only at exits and
/// at re-admissions of a number that exited, so a first admission costs no extra slot.
contract CoopMembers is ICoopMembers, CoopRoles {
    using Checkpoints for Checkpoints.Trace208;

    /// @dev The latest checkpoint of an address's trace: the number it holds since block `since`.
    struct Membership {
        uint64 number;
        uint48 since;
        uint48 numberSince; // `number` held without a break (by any address) since this block
    }

    mapping(uint64 number => address account) private _accounts;
    mapping(address account => Membership membership) private _current;
    mapping(address account => Checkpoints.Trace208 numbers) private _history;
    mapping(uint64 number => Checkpoints.Trace208 held) private _numberHistory;
    Checkpoints.Trace208 private _memberCount;

    /// @param admin receives DEFAULT_ADMIN_ROLE (the pengurus key or multisig).
    /// @param operator receives OPERATOR_ROLE (the backend's hot key).
    /// @param pauser receives PAUSER_ROLE.
    /// @param adminDelay seconds between starting and accepting an admin transfer.
    constructor(
        address admin,
        address operator,
        address pauser,
        uint48 adminDelay
    ) CoopRoles(admin, operator, pauser, adminDelay) {}

    /// @inheritdoc ICoopMembers
    /// @dev Requirements:
    /// - the caller has OPERATOR_ROLE and the contract is not paused;
    /// - `number` is not 0 and not held by an active member;
    /// - `account` is not the zero address and not an active member.
    ///
    /// Emits a {MemberAdmitted} event.
    function admit(uint64 number, address account) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        _admit(number, account);
        _addToCount(1);
    }

    /// @inheritdoc ICoopMembers
    /// @dev Requirements: as {admit} for every pair, and both arrays have the same length.
    /// The member count gets one checkpoint for the whole batch.
    ///
    /// Emits a {MemberAdmitted} event per member.
    function admitBatch(
        uint64[] calldata numbers,
        address[] calldata accounts
    ) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        uint256 count = numbers.length;
        if (count != accounts.length) {
            revert CoopMembersLengthMismatch(count, accounts.length);
        }
        for (uint256 i = 0; i < count; ++i) {
            _admit(numbers[i], accounts[i]);
        }
        _addToCount(count);
    }

    /// @inheritdoc ICoopMembers
    /// @dev Requirements:
    /// - the caller has OPERATOR_ROLE and the contract is not paused;
    /// - `number` is held by an active member.
    ///
    /// Emits a {MemberExited} event.
    function exit(uint64 number) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        address account = _activeAccount(number);
        Checkpoints.Trace208 storage held = _numberHistory[number];
        if (held.length() == 0) {
            // First exit of this number: record the admission the trace has not seen yet.
            held.push(_current[account].numberSince, 1);
        }
        held.push(clock(), 0);
        delete _accounts[number];
        _setNumber(account, 0, 0);
        uint208 count = _memberCount.latest();
        // Cannot underflow: the exiting member is counted, so the count is at least 1.
        unchecked {
            _memberCount.push(clock(), count - 1);
        }
        emit MemberExited(number, account);
    }

    /// @inheritdoc ICoopMembers
    /// @dev For a lost or compromised key: the member keeps the number, and from this block on
    /// the old address is no longer a member (past lookups still see it as one).
    ///
    /// Requirements:
    /// - the caller has OPERATOR_ROLE and the contract is not paused;
    /// - `number` is held by an active member;
    /// - `newAccount` is not the zero address and not an active member (the old one included).
    ///
    /// Emits a {MemberAddressChanged} event.
    function changeAddress(uint64 number, address newAccount) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        address oldAccount = _activeAccount(number);
        _requireFree(newAccount);
        uint48 numberSince = _current[oldAccount].numberSince;
        _accounts[number] = newAccount;
        _setNumber(oldAccount, 0, 0);
        _setNumber(newAccount, number, numberSince);
        emit MemberAddressChanged(number, oldAccount, newAccount);
    }

    /// @inheritdoc ICoopMembers
    function accountOf(uint64 number) external view returns (address) {
        return _accounts[number];
    }

    /// @inheritdoc ICoopMembers
    function memberNumberOf(address account) external view returns (uint64) {
        return _current[account].number;
    }

    /// @inheritdoc ICoopMembers
    function isMember(address account) external view returns (bool) {
        return _current[account].number != 0;
    }

    /// @inheritdoc ICoopMembers
    /// @dev Requirements: `timepoint` is a past block (< {clock}).
    function memberNumberAt(address account, uint48 timepoint) external view returns (uint64) {
        return _numberAt(account, timepoint);
    }

    /// @inheritdoc ICoopMembers
    /// @dev Requirements: `timepoint` is a past block (< {clock}).
    function memberNumbersAt(
        address[] calldata accounts,
        uint48 timepoint
    ) external view returns (uint256[] memory numbers) {
        _requirePast(timepoint);
        uint256 count = accounts.length;
        numbers = new uint256[](count);
        for (uint256 i = 0; i < count; ++i) {
            numbers[i] = _lookup(accounts[i], timepoint);
        }
    }

    /// @inheritdoc ICoopMembers
    /// @dev Requirements: `timepoint` is a past block (< {clock}).
    function wasNumberMemberAt(uint64 number, uint48 timepoint) external view returns (bool) {
        _requirePast(timepoint);
        address account = _accounts[number];
        if (number != 0 && account != address(0) && _current[account].numberSince <= timepoint) {
            return true; // held without a break since before `timepoint`
        }
        return _numberHistory[number].upperLookupRecent(timepoint) != 0;
    }

    /// @inheritdoc ICoopMembers
    /// @dev Requirements: `timepoint` is a past block (< {clock}).
    function eligibleNumbersAt(
        address[] calldata accounts,
        uint48 timepoint
    ) external view returns (uint256[] memory numbers) {
        _requirePast(timepoint);
        uint256 count = accounts.length;
        numbers = new uint256[](count);
        for (uint256 i = 0; i < count; ++i) {
            Membership storage current = _current[accounts[i]];
            uint256 word;
            assembly ("memory-safe") {
                word := sload(current.slot) // one SLOAD for both fields (Solidity reads each)
            }
            uint64 number = uint64(word); // Membership.number: the low 8 bytes
            if (number == 0) {
                continue;
            }
            uint48 numberSince = uint48(word >> 112); // after number (8 bytes) and since (6 bytes)
            // One slot answers unless the number exited and came back after `timepoint`.
            if (numberSince <= timepoint || _numberHistory[number].upperLookupRecent(timepoint) != 0) {
                numbers[i] = number;
            }
        }
    }

    /// @inheritdoc ICoopMembers
    /// @dev Requirements: `timepoint` is a past block (< {clock}).
    function wasMemberAt(address account, uint48 timepoint) external view returns (bool) {
        return _numberAt(account, timepoint) != 0;
    }

    /// @inheritdoc ICoopMembers
    function memberCount() external view returns (uint256) {
        return _memberCount.latest();
    }

    /// @inheritdoc ICoopMembers
    /// @dev Requirements: `timepoint` is a past block (< {clock}).
    function memberCountAt(uint48 timepoint) external view returns (uint256) {
        _requirePast(timepoint);
        return _memberCount.upperLookupRecent(timepoint);
    }

    /// @inheritdoc IERC6372
    function clock() public view returns (uint48) {
        return Time.blockNumber();
    }

    /// @inheritdoc IERC6372
    // solhint-disable-next-line func-name-mixedcase
    function CLOCK_MODE() external view returns (string memory) {
        return ERC6372Utils.blockNumberClockMode(clock);
    }

    /// @dev Admits one member without touching the member count (the callers add to it).
    function _admit(uint64 number, address account) private {
        if (number == 0) {
            revert CoopMembersZeroNumber();
        }
        if (_accounts[number] != address(0)) {
            revert CoopMembersAlreadyMember(number);
        }
        _requireFree(account);
        _accounts[number] = account;
        uint48 now_ = clock();
        Checkpoints.Trace208 storage held = _numberHistory[number];
        if (held.length() != 0) {
            held.push(now_, 1); // a number that exited comes back: its trace goes on
        }
        _setNumber(account, number, now_);
        emit MemberAdmitted(number, account);
    }

    /// @dev Adds `admitted` members to the count, in one checkpoint at the current block.
    function _addToCount(uint256 admitted) private {
        uint208 count = _memberCount.latest();
        // Cannot overflow: every counted member holds a distinct non-zero uint64 number, so the
        // count stays below 2^64, far below 2^208.
        unchecked {
            _memberCount.push(clock(), count + uint208(admitted));
        }
    }

    /// @dev Records that `account` holds `number` (0: none) from this block on; the number has
    /// been held without a break since block `numberSince` (0 with no number).
    function _setNumber(address account, uint64 number, uint48 numberSince) private {
        uint48 now_ = clock();
        _history[account].push(now_, number);
        _current[account] = Membership({number: number, since: now_, numberSince: numberSince});
    }

    /// @dev The number `account` held at the end of block `timepoint`.
    function _numberAt(address account, uint48 timepoint) private view returns (uint64) {
        _requirePast(timepoint);
        return _lookup(account, timepoint);
    }

    /// @dev {_numberAt} for a `timepoint` already known to be in the past.
    function _lookup(address account, uint48 timepoint) private view returns (uint64) {
        Membership storage latest = _current[account];
        uint64 number = latest.number;
        if (timepoint >= latest.since) {
            return number; // the latest checkpoint already applied at `timepoint`
        }
        // Safe downcast: only uint64 numbers are ever pushed into the trace.
        return uint64(_history[account].upperLookupRecent(timepoint));
    }

    function _activeAccount(uint64 number) private view returns (address account) {
        account = _accounts[number];
        if (account == address(0)) {
            revert CoopMembersUnknownMember(number);
        }
    }

    function _requireFree(address account) private view {
        if (account == address(0)) {
            revert CoopMembersZeroAddress();
        }
        if (_current[account].number != 0) {
            revert CoopMembersAddressTaken(account);
        }
    }

    function _requirePast(uint48 timepoint) private view {
        uint48 current = clock();
        if (timepoint >= current) {
            revert CoopMembersFutureLookup(timepoint, current);
        }
    }
}
