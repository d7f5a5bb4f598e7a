// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Votes} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Votes.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

/// @title OneMemberVoteToken
/// @notice BENCHMARK ONLY (bench/bench_contract_gas.py; never deployed by ksp.chain.deploy):
/// one member one vote in OpenZeppelin Governor's terms. A non-transferable ERC20Votes where
/// every member holds exactly 1 unit, self-delegated on mint, so the Governor it feeds counts
/// one vote per member without a separate `delegate` transaction.
contract OneMemberVoteToken is ERC20, ERC20Votes, Ownable {
    /// @dev `account` already holds its one vote.
    error OneMemberVoteTokenAlreadyMember(address account);

    /// @dev Votes never move between members.
    error OneMemberVoteTokenNonTransferable();

    /// @param owner_ may mint (admit members).
    constructor(address owner_) ERC20("KSP Member Vote", "KSPV") EIP712("KSP Member Vote", "1") Ownable(owner_) {}

    /// @notice Gives `account` its one vote, delegated to itself.
    /// @dev Requirements: the caller is the owner; `account` holds no vote yet.
    /// Emits {Transfer}, {DelegateChanged} and {DelegateVotesChanged} events.
    function mint(address account) external onlyOwner {
        if (balanceOf(account) != 0) {
            revert OneMemberVoteTokenAlreadyMember(account);
        }
        _mint(account, 1);
        _delegate(account, account);
    }

    /// @notice Members' votes are whole units.
    function decimals() public pure override returns (uint8) {
        return 0;
    }

    /// @dev Only mints and burns move votes.
    function _update(address from, address to, uint256 value) internal override(ERC20, ERC20Votes) {
        if (from != address(0) && to != address(0)) {
            revert OneMemberVoteTokenNonTransferable();
        }
        super._update(from, to, value);
    }
}
