// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IAnchorRegistry
/// @notice Merkle roots of the cooperative's append-only log, written by the backend.
interface IAnchorRegistry {
    /// @dev The new tree size is not larger than the one already anchored.
    error AnchorRegistrySizeNotIncreasing(uint64 latestTreeSize, uint64 treeSize);

    /// @dev A zero root is never a valid RFC 9162 root.
    error AnchorRegistryZeroRoot();

    /// @notice Emitted once per anchor; `index` counts anchors from 0.
    event Anchored(uint64 indexed index, uint64 treeSize, bytes32 root);

    /// @notice Records the log's root at `treeSize` entries.
    function anchor(uint64 treeSize, bytes32 root) external;

    /// @notice The latest anchored tree size and root, and how many anchors exist.
    function latest() external view returns (uint64 treeSize, bytes32 root, uint64 anchorCount);
}
