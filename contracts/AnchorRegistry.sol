// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {IAnchorRegistry} from "./interfaces/IAnchorRegistry.sol";

/// @title AnchorRegistry
/// @notice Keeps the latest (treeSize, root) of the cooperative log and emits every anchor.
/// The full history lives in `Anchored` events; storage holds only the latest, so the
/// cost of an anchor does not grow with the number of anchors or the size of the log.
contract AnchorRegistry is IAnchorRegistry, AccessControl, Pausable {
    bytes32 public constant OPERATOR_ROLE = keccak256("OPERATOR_ROLE");

    // Packed with Pausable's `_paused` flag into one slot: one SLOAD/SSTORE per anchor.
    uint64 private _latestTreeSize;
    uint64 private _anchorCount;
    bytes32 private _latestRoot;

    /// @param admin receives DEFAULT_ADMIN_ROLE (the pengurus key or multisig).
    /// @param operator receives OPERATOR_ROLE (the backend's hot key).
    constructor(address admin, address operator) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(OPERATOR_ROLE, operator);
    }

    /// @inheritdoc IAnchorRegistry
    /// @dev Requirements:
    /// - the caller has OPERATOR_ROLE;
    /// - the registry is not paused;
    /// - `treeSize` is larger than the latest anchored size;
    /// - `root` is not zero.
    ///
    /// Emits an {Anchored} event.
    function anchor(uint64 treeSize, bytes32 root) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        uint64 latestTreeSize = _latestTreeSize;
        if (treeSize <= latestTreeSize) {
            revert AnchorRegistrySizeNotIncreasing(latestTreeSize, treeSize);
        }
        if (root == bytes32(0)) {
            revert AnchorRegistryZeroRoot();
        }
        uint64 index = _anchorCount;
        _latestTreeSize = treeSize;
        _latestRoot = root;
        // Cannot overflow: one anchor per transaction, far fewer than 2^64 of them.
        unchecked {
            _anchorCount = index + 1;
        }
        emit Anchored(index, treeSize, root);
    }

    /// @inheritdoc IAnchorRegistry
    function latest() external view returns (uint64 treeSize, bytes32 root, uint64 anchorCount) {
        return (_latestTreeSize, _latestRoot, _anchorCount);
    }

    /// @notice Stops anchoring in an emergency.
    /// @dev Requirements: the caller has DEFAULT_ADMIN_ROLE. Emits {Paused}.
    function pause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _pause();
    }

    /// @notice Resumes anchoring.
    /// @dev Requirements: the caller has DEFAULT_ADMIN_ROLE. Emits {Unpaused}.
    function unpause() external onlyRole(DEFAULT_ADMIN_ROLE) {
        _unpause();
    }
}
