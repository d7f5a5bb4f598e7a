// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ICoopRoles} from "../interfaces/ICoopRoles.sol";

/// @title CoopRoles
/// @notice Roles and the emergency stop shared by every KSP contract.
///
/// - DEFAULT_ADMIN_ROLE (the pengurus key or multisig) moves only in two steps with a delay
///   (OpenZeppelin's AccessControlDefaultAdminRules): a typo or a stolen hot key cannot take it,
///   and renouncing it is a scheduled, visible act. It grants the other roles and unpauses.
/// - OPERATOR_ROLE (the backend's hot key) does the daily writes; it can neither pause nor unpause.
/// - PAUSER_ROLE stops the contract in an emergency; only the admin resumes it, so a leaked
///   pauser key can stop the mirror but cannot hide a pause by lifting it.
///
/// A pause can never outlive the admin: pausing needs an admin, and the admin cannot be
/// renounced while paused.
abstract contract CoopRoles is ICoopRoles, AccessControlDefaultAdminRules, Pausable {
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @param admin receives DEFAULT_ADMIN_ROLE (the pengurus key or multisig).
    /// @param operator receives OPERATOR_ROLE (the backend's hot key).
    /// @param pauser receives PAUSER_ROLE (whoever may stop the contract in an emergency).
    /// @param adminDelay seconds between starting and accepting an admin transfer.
    constructor(
        address admin,
        address operator,
        address pauser,
        uint48 adminDelay
    ) AccessControlDefaultAdminRules(adminDelay, admin) {
        if (operator == address(0) || pauser == address(0)) {
            revert CoopRolesZeroAddress();
        }
        _grantRole(OPERATOR_ROLE, operator);
        _grantRole(PAUSER_ROLE, pauser);
    }

    /// @inheritdoc ICoopRoles
    /// @dev Requirements:
    /// - the caller has PAUSER_ROLE;
    /// - the contract is not paused;
    /// - the contract has an admin (who alone can unpause).
    ///
    /// Emits {Paused}.
    function pause() external onlyRole(PAUSER_ROLE) {
        if (defaultAdmin() == address(0)) {
            revert CoopRolesNoAdmin();
        }
        _pause();
    }

    /// @inheritdoc ICoopRoles
    /// @dev Requirements: the caller has DEFAULT_ADMIN_ROLE; the contract is paused.
    /// Emits {Unpaused}.
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }

    /// @notice Starts handing the admin role to `newAdmin` (the zero address: renouncing it).
    /// @dev Requirements: as OpenZeppelin's, and no renouncing while paused.
    /// Emits {DefaultAdminTransferScheduled}.
    function beginDefaultAdminTransfer(address newAdmin) public override {
        if (newAdmin == address(0) && paused()) {
            revert CoopRolesRenounceWhilePaused();
        }
        super.beginDefaultAdminTransfer(newAdmin);
    }

    /// @notice Gives up `role` for the caller.
    /// @dev Requirements: as OpenZeppelin's (the admin role only after a scheduled renounce),
    /// and the admin role not while paused.
    /// Emits {RoleRevoked}.
    function renounceRole(
        bytes32 role,
        address account
    ) public override {
        if (role == DEFAULT_ADMIN_ROLE && paused()) {
            revert CoopRolesRenounceWhilePaused();
        }
        super.renounceRole(role, account);
    }
}
