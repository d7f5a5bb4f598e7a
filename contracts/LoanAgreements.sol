// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {BitMaps} from "@openzeppelin/contracts/utils/structs/BitMaps.sol";
import {CoopRoles} from "./access/CoopRoles.sol";
import {ILoanAgreements} from "./interfaces/ILoanAgreements.sol";

/// @title LoanAgreements
/// @notice The backend (OPERATOR_ROLE) registers a loan's terms and a hash of the full agreement
/// document; the borrower accepts by signing an EIP-712 `Acceptance`, which anyone may relay;
/// repayments are mirrored from the ledger with the ledger seq as reference (each seq once);
/// the status follows Registered -> Active -> Repaid | Defaulted -> WrittenOff | Repaid.
///
/// EIP-712 domain: name "KSP LoanAgreements", version "1", this chain's id, this contract.
contract LoanAgreements is ILoanAgreements, CoopRoles, EIP712 {
    using BitMaps for BitMaps.BitMap;

    /// @notice EIP-712 type the borrower signs.
    bytes32 public constant ACCEPTANCE_TYPEHASH =
        keccak256("Acceptance(uint64 loanId,bytes32 termsHash,uint256 deadline)");

    mapping(uint64 loanId => Loan loan) private _loans;
    BitMaps.BitMap private _appliedSeqs;

    /// @param admin receives DEFAULT_ADMIN_ROLE (the pengurus key or multisig).
    /// @param operator receives OPERATOR_ROLE (the backend's hot key).
    /// @param pauser receives PAUSER_ROLE.
    /// @param adminDelay seconds between starting and accepting an admin transfer.
    constructor(
        address admin,
        address operator,
        address pauser,
        uint48 adminDelay
    ) CoopRoles(admin, operator, pauser, adminDelay) EIP712("KSP LoanAgreements", "1") {
    }

    /// @inheritdoc ILoanAgreements
    /// @dev `termsHash` commits to the full agreement document, which must state the on-chain
    /// terms too: the borrower's signature covers `termsHash`, not the separate fields.
    ///
    /// Requirements:
    /// - the caller has OPERATOR_ROLE and the contract is not paused;
    /// - no loan with `loanId` exists;
    /// - `borrower`, `principal`, `tenorMonths` and `termsHash` are not zero;
    /// - `method` is 0 (flat), 1 (declining) or 2 (annuity).
    ///
    /// Emits a {LoanRegistered} event.
    function register(
        uint64 loanId,
        address borrower,
        uint128 principal,
        uint32 rateBps,
        uint8 method,
        uint16 tenorMonths,
        uint64 firstDueDate,
        bytes32 termsHash
    ) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        Loan storage stored = _loans[loanId];
        if (stored.status != LoanStatus.None) {
            revert LoanAgreementsAlreadyRegistered(loanId);
        }
        if (borrower == address(0) || principal == 0 || tenorMonths == 0 || termsHash == bytes32(0)) {
            revert LoanAgreementsInvalidTerms(loanId);
        }
        if (method > uint8(InterestMethod.Annuity)) {
            revert LoanAgreementsInvalidMethod(loanId, method);
        }
        stored.borrower = borrower;
        stored.rateBps = rateBps;
        stored.method = InterestMethod(method);
        stored.status = LoanStatus.Registered;
        stored.tenorMonths = tenorMonths;
        stored.principal = principal;
        stored.firstDueDate = firstDueDate;
        stored.termsHash = termsHash;
        emit LoanRegistered(
            loanId,
            borrower,
            principal,
            rateBps,
            InterestMethod(method),
            tenorMonths,
            firstDueDate,
            termsHash
        );
    }

    /// @inheritdoc ILoanAgreements
    /// @dev The signature is checked with OpenZeppelin's SignatureChecker: an EOA's 65-byte ECDSA
    /// signature (r, s, v), or an ERC-1271 smart wallet's. It cannot be
    /// replayed: the loan leaves Registered, and the domain binds chain and contract.
    ///
    /// Requirements:
    /// - the contract is not paused;
    /// - the loan exists and is Registered;
    /// - `block.timestamp` <= `deadline`;
    /// - `signature` is the borrower's over `Acceptance(loanId, termsHash, deadline)`.
    ///
    /// Emits a {LoanAccepted} and a {LoanStatusChanged} event.
    function accept(uint64 loanId, uint256 deadline, bytes calldata signature) external whenNotPaused {
        Loan storage stored = _loans[loanId];
        _requireStatus(loanId, stored.status, LoanStatus.Registered);
        if (block.timestamp > deadline) {
            revert LoanAgreementsSignatureExpired(loanId, deadline);
        }
        address borrower = stored.borrower;
        bytes32 termsHash = stored.termsHash;
        bytes32 digest = _acceptanceDigest(loanId, termsHash, deadline);
        if (!SignatureChecker.isValidSignatureNowCalldata(borrower, digest, signature)) {
            revert LoanAgreementsInvalidSignature(loanId, borrower);
        }
        stored.status = LoanStatus.Active;
        stored.acceptedAt = uint64(block.timestamp);
        emit LoanAccepted(loanId, borrower, termsHash);
        emit LoanStatusChanged(loanId, LoanStatus.Registered, LoanStatus.Active);
    }

    /// @inheritdoc ILoanAgreements
    /// @dev Requirements:
    /// - the caller has OPERATOR_ROLE and the contract is not paused;
    /// - the loan is Active or Defaulted (collections after a default count);
    /// - `seq` was not recorded before; `amount` is not zero.
    ///
    /// Emits a {RepaymentRecorded} event.
    function recordRepayment(
        uint64 loanId,
        uint64 seq,
        uint128 amount
    ) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        Loan storage stored = _loans[loanId];
        LoanStatus status = stored.status;
        if (status != LoanStatus.Defaulted) {
            _requireStatus(loanId, status, LoanStatus.Active);
        }
        if (_appliedSeqs.get(seq)) {
            revert LoanAgreementsSeqAlreadyApplied(seq);
        }
        if (amount == 0) {
            revert LoanAgreementsZeroAmount(seq);
        }
        _appliedSeqs.set(seq);
        uint128 total = stored.repaid + amount;
        stored.repaid = total;
        stored.repaymentCount += 1;
        emit RepaymentRecorded(loanId, seq, amount, total);
    }

    /// @inheritdoc ILoanAgreements
    /// @dev Allowed: Active -> Repaid, Active -> Defaulted, Defaulted -> Repaid,
    /// Defaulted -> WrittenOff. Registered -> Active happens only through {accept}.
    ///
    /// Requirements:
    /// - the caller has OPERATOR_ROLE and the contract is not paused;
    /// - the loan exists; the change is one of the allowed ones.
    ///
    /// Emits a {LoanStatusChanged} event.
    function setStatus(uint64 loanId, LoanStatus status) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        Loan storage stored = _loans[loanId];
        LoanStatus from = stored.status;
        if (from == LoanStatus.None) {
            revert LoanAgreementsUnknownLoan(loanId);
        }
        bool allowed = (from == LoanStatus.Active &&
            (status == LoanStatus.Repaid || status == LoanStatus.Defaulted)) ||
            (from == LoanStatus.Defaulted && (status == LoanStatus.Repaid || status == LoanStatus.WrittenOff));
        if (!allowed) {
            revert LoanAgreementsInvalidTransition(loanId, from, status);
        }
        stored.status = status;
        emit LoanStatusChanged(loanId, from, status);
    }

    /// @inheritdoc ILoanAgreements
    function loan(uint64 loanId) external view returns (Loan memory) {
        return _loans[loanId];
    }

    /// @inheritdoc ILoanAgreements
    function statusOf(uint64 loanId) external view returns (LoanStatus) {
        return _loans[loanId].status;
    }

    /// @inheritdoc ILoanAgreements
    function isApplied(uint64 seq) external view returns (bool) {
        return _appliedSeqs.get(seq);
    }

    /// @inheritdoc ILoanAgreements
    /// @dev Requirements: the loan exists.
    function acceptanceDigest(uint64 loanId, uint256 deadline) external view returns (bytes32) {
        Loan storage stored = _loans[loanId];
        if (stored.status == LoanStatus.None) {
            revert LoanAgreementsUnknownLoan(loanId);
        }
        return _acceptanceDigest(loanId, stored.termsHash, deadline);
    }

    function _acceptanceDigest(
        uint64 loanId,
        bytes32 termsHash,
        uint256 deadline
    ) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(ACCEPTANCE_TYPEHASH, loanId, termsHash, deadline)));
    }

    function _requireStatus(uint64 loanId, LoanStatus status, LoanStatus expected) private pure {
        if (status == LoanStatus.None) {
            revert LoanAgreementsUnknownLoan(loanId);
        }
        if (status != expected) {
            revert LoanAgreementsUnexpectedStatus(loanId, status, expected);
        }
    }
}
