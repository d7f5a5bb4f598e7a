// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ICoopRoles
/// @notice The roles every KSP contract shares: a two-step admin (the pengurus key or multisig),
/// the backend's operator hot key, and a pauser that can stop but not resume.
interface ICoopRoles {
    /// @dev The admin role cannot be renounced while the contract is paused: nobody could unpause.
    error CoopRolesRenounceWhilePaused();

    /// @dev Pausing without an admin would stop the contract for good: nobody could unpause.
    error CoopRolesNoAdmin();

    /// @dev A role was given to the zero address in the constructor.
    error CoopRolesZeroAddress();

    /// @notice Stops every write in an emergency (reads keep working).
    function pause() external;

    /// @notice Resumes writes after a pause.
    function unpause() external;
}
