// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC1155} from "@openzeppelin/contracts/token/ERC1155/ERC1155.sol";
import {AccessControlDefaultAdminRules} from "@openzeppelin/contracts/access/extensions/AccessControlDefaultAdminRules.sol";
import {ERC1155Supply} from "@openzeppelin/contracts/token/ERC1155/extensions/ERC1155Supply.sol";
import {CoopRoles} from "./access/CoopRoles.sol";
import {ISavingsToken} from "./interfaces/ISavingsToken.sol";

/// @title SavingsToken
/// @notice Savings balances as non-transferable ERC-1155 tokens: id 1 simpanan pokok, 2 simpanan
/// wajib, 3 simpanan sukarela; 1 unit = Rp 1. The ledger is authoritative: the backend
/// (OPERATOR_ROLE) mirrors its postings in batches, each carrying the ledger `seq` it mirrors,
/// and a posting (seq, token id) is applied at most once, so a resent batch cannot double-mint.
///
/// `totalSupply(id)` equals the ledger's liability for that kind of savings, which makes
/// reconciliation one call per id.
contract SavingsToken is ISavingsToken, ERC1155Supply, CoopRoles {
    uint8 public constant POKOK = 1;
    uint8 public constant WAJIB = 2;
    uint8 public constant SUKARELA = 3;

    /// @dev Marks no bitmap word: seq >> 6 is below 2^58, never this value.
    uint256 private constant _NO_WORD = type(uint256).max;

    /// @dev Applied postings as a bitmap: posting (seq, id) is bit 4 * (seq & 63) + id of word
    /// seq >> 6 (4 bits per seq, ids 1..3). Sequential seqs share a slot, so a batch of 100
    /// postings writes two or three slots, not 100.
    mapping(uint256 word => uint256 bits) private _appliedSeqs;

    /// @param admin receives DEFAULT_ADMIN_ROLE (the pengurus key or multisig).
    /// @param operator receives OPERATOR_ROLE (the backend's hot key).
    /// @param pauser receives PAUSER_ROLE.
    /// @param adminDelay seconds between starting and accepting an admin transfer.
    constructor(
        address admin,
        address operator,
        address pauser,
        uint48 adminDelay
    ) CoopRoles(admin, operator, pauser, adminDelay) ERC1155("") {}

    /// @inheritdoc ISavingsToken
    /// @dev Mints go through `_update`, not `_mint`: `_mint` would call `onERC1155Received` on a
    /// contract recipient. Members hold savings in their own wallets (EOAs), the balance is a
    /// mirror the member cannot refuse or move, and skipping the hook keeps external calls (and
    /// reentrancy) out of the batch.
    ///
    /// Requirements:
    /// - the caller has OPERATOR_ROLE and the contract is not paused;
    /// - `postings` is not empty;
    /// - every posting names id 1, 2 or 3, a non-zero account and a non-zero amount;
    /// - no posting's (`seq`, `id`) was applied before, nor repeats within the batch;
    /// - a burn does not exceed the balance (`ERC1155InsufficientBalance`).
    ///
    /// Emits a {TransferSingle} event per posting, in order, then one {PostingsMirrored} event.
    function mirror(Posting[] calldata postings) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        uint256 count = postings.length;
        if (count == 0) {
            revert SavingsTokenEmptyBatch();
        }
        uint64[] memory seqs = new uint64[](count);
        // One pair of singleton arrays for the whole batch: `_update` only reads them.
        uint256[] memory ids = new uint256[](1);
        uint256[] memory values = new uint256[](1);
        // The bitmap word in use, kept in memory and written back only when the word changes.
        uint256 word = _NO_WORD;
        uint256 bits;
        for (uint256 i = 0; i < count; ++i) {
            Posting calldata posting = postings[i];
            uint64 seq = posting.seq;
            uint8 id = posting.id;
            if (id < POKOK || id > SUKARELA) {
                revert SavingsTokenUnknownId(seq, id);
            }
            uint256 seqWord = seq >> 6;
            if (seqWord != word) {
                if (word != _NO_WORD) {
                    _appliedSeqs[word] = bits;
                }
                word = seqWord;
                bits = _appliedSeqs[seqWord];
            }
            uint256 mask = 1 << (((seq & 63) << 2) | id);
            if (bits & mask != 0) {
                revert SavingsTokenSeqAlreadyApplied(seq, id);
            }
            bits |= mask;
            seqs[i] = seq;

            address account = posting.account;
            if (account == address(0)) {
                revert SavingsTokenZeroAccount(seq);
            }
            if (posting.amount == 0) {
                revert SavingsTokenZeroAmount(seq);
            }
            ids[0] = id;
            values[0] = posting.amount;
            if (posting.burn) {
                _update(account, address(0), ids, values);
            } else {
                _update(address(0), account, ids, values);
            }
        }
        _appliedSeqs[word] = bits;
        emit PostingsMirrored(seqs);
    }

    /// @inheritdoc ISavingsToken
    function isApplied(uint64 seq, uint8 id) external view returns (bool) {
        if (id < POKOK || id > SUKARELA) {
            return false;
        }
        return _appliedSeqs[seq >> 6] & (1 << (((seq & 63) << 2) | id)) != 0;
    }

    /// @notice Always reverts: savings cannot be approved for transfer.
    /// @dev Requirements: none can be met. Reverts with {SavingsTokenApprovalsDisabled}.
    function setApprovalForAll(address, bool) public pure override {
        revert SavingsTokenApprovalsDisabled();
    }

    /// @inheritdoc ERC1155
    function supportsInterface(bytes4 interfaceId) public view override(ERC1155, AccessControlDefaultAdminRules) returns (bool) {
        return super.supportsInterface(interfaceId);
    }

    /// @dev The one gate every balance change passes: a mint (`from` zero) or a burn (`to` zero).
    /// `safeTransferFrom` and `safeBatchTransferFrom` between holders end here and revert.
    function _update(
        address from,
        address to,
        uint256[] memory ids,
        uint256[] memory values
    ) internal override {
        if (from != address(0) && to != address(0)) {
            revert SavingsTokenNonTransferable(from, to);
        }
        super._update(from, to, ids, values);
    }
}
