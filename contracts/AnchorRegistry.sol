// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {CoopRoles} from "./access/CoopRoles.sol";
import {IAnchorRegistry} from "./interfaces/IAnchorRegistry.sol";

/// @title AnchorRegistry
/// @notice Keeps the latest (treeSize, root) of the cooperative log and emits every anchor.
/// The full history lives in `Anchored` events; storage holds only the latest, so the
/// cost of an anchor does not grow with the number of anchors or the size of the log.
///
/// Each anchor may grow the tree by at most `maxTreeSizeStep` entries, and the admin can set
/// the latest anchor back ({resetAnchor}): one bad anchor can no longer end anchoring for good.
contract AnchorRegistry is IAnchorRegistry, CoopRoles {
    // Packed with Pausable's `_paused` flag into one slot: one SLOAD/SSTORE per anchor.
    uint64 private _latestTreeSize;
    uint64 private _anchorCount;
    uint64 private _maxTreeSizeStep;
    bytes32 private _latestRoot;

    /// @param admin receives DEFAULT_ADMIN_ROLE (the pengurus key or multisig).
    /// @param operator receives OPERATOR_ROLE (the backend's hot key).
    /// @param pauser receives PAUSER_ROLE.
    /// @param adminDelay seconds between starting and accepting an admin transfer.
    /// @param maxStep the largest growth of the tree size per anchor (not 0).
    constructor(
        address admin,
        address operator,
        address pauser,
        uint48 adminDelay,
        uint64 maxStep
    ) CoopRoles(admin, operator, pauser, adminDelay) {
        _setMaxTreeSizeStep(maxStep);
    }

    /// @inheritdoc IAnchorRegistry
    /// @dev Requirements:
    /// - the caller has OPERATOR_ROLE;
    /// - the registry is not paused;
    /// - `treeSize` is larger than the latest anchored size, by at most {maxTreeSizeStep};
    /// - `root` is not zero.
    ///
    /// Emits an {Anchored} event.
    function anchor(uint64 treeSize, bytes32 root) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        uint64 latestTreeSize = _latestTreeSize;
        if (treeSize <= latestTreeSize) {
            revert AnchorRegistrySizeNotIncreasing(latestTreeSize, treeSize);
        }
        uint64 maxStep = _maxTreeSizeStep;
        // Cannot underflow: treeSize > latestTreeSize was checked above.
        unchecked {
            if (treeSize - latestTreeSize > maxStep) {
                revert AnchorRegistryStepTooLarge(latestTreeSize, treeSize, maxStep);
            }
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
    /// @dev For a bogus anchor (a leaked hot key, a bug): set the latest back to the last good
    /// (size, root), then the backend anchors on from there. Works while paused, so the admin can
    /// pause, repair and resume.
    ///
    /// Requirements:
    /// - the caller has DEFAULT_ADMIN_ROLE;
    /// - `root` is zero exactly when `treeSize` is zero (back to no anchor at all).
    ///
    /// Emits an {AnchorRecovered} event.
    function resetAnchor(uint64 treeSize, bytes32 root) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if ((treeSize == 0) != (root == bytes32(0))) {
            revert AnchorRegistryInvalidRecovery(treeSize, root);
        }
        uint64 previousTreeSize = _latestTreeSize;
        bytes32 previousRoot = _latestRoot;
        _latestTreeSize = treeSize;
        _latestRoot = root;
        emit AnchorRecovered(previousTreeSize, previousRoot, treeSize, root);
    }

    /// @inheritdoc IAnchorRegistry
    /// @dev Requirements: the caller has DEFAULT_ADMIN_ROLE; `maxStep` is not 0.
    /// Emits a {MaxTreeSizeStepChanged} event.
    function setMaxTreeSizeStep(uint64 maxStep) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setMaxTreeSizeStep(maxStep);
    }

    /// @inheritdoc IAnchorRegistry
    function maxTreeSizeStep() external view returns (uint64) {
        return _maxTreeSizeStep;
    }

    /// @inheritdoc IAnchorRegistry
    function latest() external view returns (uint64 treeSize, bytes32 root, uint64 anchorCount) {
        return (_latestTreeSize, _latestRoot, _anchorCount);
    }

    function _setMaxTreeSizeStep(uint64 maxStep) private {
        if (maxStep == 0) {
            revert AnchorRegistryZeroMaxStep();
        }
        uint64 previous = _maxTreeSizeStep;
        _maxTreeSizeStep = maxStep;
        emit MaxTreeSizeStepChanged(previous, maxStep);
    }
}
