// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ISavingsToken
/// @notice Members' savings (simpanan) mirrored from the ledger as non-transferable ERC-1155
/// balances: id 1 pokok, 2 wajib, 3 sukarela; 1 unit = Rp 1.
interface ISavingsToken {
    /// @notice One ledger posting to mirror: mint (`burn` false) or burn `amount` of token `id`
    /// for `account`. `seq` is the log sequence number of the ledger entry it mirrors; an entry
    /// may carry one posting per token id (e.g. a wallet linked late gets pokok, wajib and
    /// sukarela under one seq), so a posting is identified by (`seq`, `id`).
    struct Posting {
        uint64 seq;
        address account;
        uint8 id;
        bool burn;
        uint128 amount;
    }

    /// @dev The posting (`seq`, `id`) was mirrored before, by an earlier batch or earlier in this
    /// one. The whole batch reverts.
    error SavingsTokenSeqAlreadyApplied(uint64 seq, uint8 id);

    /// @dev The posting with `seq` names a token id other than 1, 2 or 3.
    error SavingsTokenUnknownId(uint64 seq, uint8 id);

    /// @dev The posting with `seq` has amount 0.
    error SavingsTokenZeroAmount(uint64 seq);

    /// @dev The posting with `seq` names the zero address.
    error SavingsTokenZeroAccount(uint64 seq);

    /// @dev `mirror` was called with no postings.
    error SavingsTokenEmptyBatch();

    /// @dev Savings never move between holders: only the ledger mints and burns them.
    error SavingsTokenNonTransferable(address from, address to);

    /// @dev Approvals are meaningless for non-transferable savings.
    error SavingsTokenApprovalsDisabled();

    /// @dev `moveHolder` was called before with this `ref`.
    error SavingsTokenMoveAlreadyApplied(bytes32 ref);

    /// @dev `moveHolder` names the zero address as the old or the new holder.
    error SavingsTokenMoveZeroAddress();

    /// @dev `moveHolder` names the same address as the old and the new holder.
    error SavingsTokenMoveToSelf(address account);

    /// @notice A member's key was replaced: all of `from`'s savings (`amounts` of ids 1, 2, 3)
    /// now belong to `to`. `ref` names the ledger entry that recorded the replacement.
    event HolderMoved(bytes32 indexed ref, address indexed from, address indexed to, uint256[] amounts);

    /// @notice One per `mirror` batch: the ledger seqs applied, in the order of the batch. The
    /// batch's i-th ERC-1155 `TransferSingle` event mirrors `seqs[i]`.
    event PostingsMirrored(uint64[] seqs);

    /// @notice Applies ledger postings in order; all or nothing.
    function mirror(Posting[] calldata postings) external;

    /// @notice Moves every savings balance of `from` to `to` (a lost key replaced by the board);
    /// each `ref` is applied at most once.
    function moveHolder(address from, address to, bytes32 ref) external;

    /// @notice Whether `moveHolder` has applied `ref`.
    function isMoveApplied(bytes32 ref) external view returns (bool);

    /// @notice Whether the posting of token `id` under ledger seq `seq` has been mirrored.
    function isApplied(uint64 seq, uint8 id) external view returns (bool);
}
