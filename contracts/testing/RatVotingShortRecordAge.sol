// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RatVoting} from "../RatVoting.sol";

/// @title RatVotingShortRecordAge
/// @notice Test double, never deployed by the backend: RatVoting with a record-age bound of
/// 20 blocks instead of MAX_RECORD_AGE, so that a chain test can reach the bound.
contract RatVotingShortRecordAge is RatVoting {
    /// @notice The bound this double applies, in blocks.
    uint256 public constant SHORT_RECORD_AGE = 20;

    constructor(
        address admin,
        address operator,
        address pauser,
        uint48 adminDelay,
        address members_
    ) RatVoting(admin, operator, pauser, adminDelay, members_) {}

    function _maxRecordAge() internal pure override returns (uint256) {
        return SHORT_RECORD_AGE;
    }
}
