// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IAnchorRegistry
/// @notice Merkle roots of the cooperative's append-only log, written by the backend.
interface IAnchorRegistry {
    /// @dev The new tree size is not larger than the one already anchored.
    error AnchorRegistrySizeNotIncreasing(uint64 latestTreeSize, uint64 treeSize);

    /// @dev The new tree size grows by more than `maxStep` entries over the latest one. Bounds what
    /// one anchor from a leaked hot key or a bug can claim (a size of 2^64-1 would end anchoring).
    error AnchorRegistryStepTooLarge(uint64 latestTreeSize, uint64 treeSize, uint64 maxStep);

    /// @dev A zero root is never a valid RFC 9162 root.
    error AnchorRegistryZeroRoot();

    /// @dev A maximum step of 0 would refuse every anchor.
    error AnchorRegistryZeroMaxStep();

    /// @dev A recovery names a root of zero for a non-empty tree, or a root for an empty one.
    error AnchorRegistryInvalidRecovery(uint64 treeSize, bytes32 root);

    /// @notice Emitted once per anchor; `index` counts anchors from 0.
    event Anchored(uint64 indexed index, uint64 treeSize, bytes32 root);

    /// @notice The admin replaced the latest anchor (`previousTreeSize`, `previousRoot`) with
    /// (`treeSize`, `root`), for example the last good anchor after a bogus one. `anchorCount` is
    /// unchanged: the bogus anchor stays in the history of {Anchored} events, and this event
    /// says it was set aside.
    event AnchorRecovered(uint64 previousTreeSize, bytes32 previousRoot, uint64 treeSize, bytes32 root);

    /// @notice The admin changed the largest allowed growth of the tree size per anchor.
    event MaxTreeSizeStepChanged(uint64 previousMaxStep, uint64 maxStep);

    /// @notice Records the log's root at `treeSize` entries.
    function anchor(uint64 treeSize, bytes32 root) external;

    /// @notice Replaces the latest anchor with (`treeSize`, `root`); for the admin, to recover.
    function resetAnchor(uint64 treeSize, bytes32 root) external;

    /// @notice Sets the largest growth of the tree size one anchor may claim.
    function setMaxTreeSizeStep(uint64 maxStep) external;

    /// @notice The largest growth of the tree size one anchor may claim.
    function maxTreeSizeStep() external view returns (uint64);

    /// @notice The latest anchored tree size and root, and how many anchors exist.
    function latest() external view returns (uint64 treeSize, bytes32 root, uint64 anchorCount);
}
