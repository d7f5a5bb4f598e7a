// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";
import {CoopRoles} from "./access/CoopRoles.sol";
import {ILoanAgreements} from "./interfaces/ILoanAgreements.sol";

/// @title LoanAgreements
/// @notice The backend (OPERATOR_ROLE) registers a loan's terms and a hash of the full agreement
/// document; the borrower accepts by signing an EIP-712 `Acceptance` over the key terms
/// themselves (principal, rate, method, tenor, first due date) and that hash, which anyone may
/// relay; repayments (one by one or in batches), the write-off and recoveries are mirrored from
/// the ledger with the ledger seq as reference (each seq once). The status follows
/// Registered -> Active | Cancelled, Active -> Repaid | Defaulted | Restructured, Defaulted ->
/// Repaid | WrittenOff | Restructured.
///
/// EIP-712 domain: name "KSP LoanAgreements", version "1", this chain's id, this contract.
contract LoanAgreements is ILoanAgreements, CoopRoles, EIP712 {
    /// @notice EIP-712 type the borrower signs: the terms as registered, so the operator cannot
    /// register other figures under the same document hash.
    bytes32 public constant ACCEPTANCE_TYPEHASH =
        keccak256(
            "Acceptance(uint64 loanId,uint128 principal,uint32 rateBps,uint8 method,uint16 tenorMonths,"
            "uint64 firstDueDate,bytes32 termsHash,uint256 deadline)"
        );

    /// @notice The latest acceptance deadline allowed, counted from the moment of acceptance: an
    /// old signature cannot activate an offer months later.
    uint256 public constant MAX_ACCEPTANCE_WINDOW = 30 days;

    mapping(uint64 loanId => Loan loan) private _loans;
    /// @dev Ledger seqs recorded (repayments, write-offs, recoveries), 256 per word: bit
    /// `seq & 255` of word `seq >> 8`. One SLOAD answers and one SSTORE marks a seq.
    mapping(uint256 word => uint256 bits) private _appliedSeqWords;

    /// @param admin receives DEFAULT_ADMIN_ROLE (the pengurus key or multisig).
    /// @param operator receives OPERATOR_ROLE (the backend's hot key).
    /// @param pauser receives PAUSER_ROLE.
    /// @param adminDelay seconds between starting and accepting an admin transfer.
    constructor(
        address admin,
        address operator,
        address pauser,
        uint48 adminDelay
    ) CoopRoles(admin, operator, pauser, adminDelay) EIP712("KSP LoanAgreements", "1") {}

    /// @inheritdoc ILoanAgreements
    /// @dev `termsHash` commits to the full agreement document; the borrower's signature covers
    /// it and the key terms registered here.
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
    /// - the loan exists and is Registered (not cancelled);
    /// - `block.timestamp` <= `deadline` <= `block.timestamp` + {MAX_ACCEPTANCE_WINDOW};
    /// - `signature` is the borrower's over `Acceptance(loanId, principal, rateBps, method,
    ///   tenorMonths, firstDueDate, termsHash, deadline)` with the terms as registered.
    ///
    /// Emits a {LoanAccepted} and a {LoanStatusChanged} event.
    function accept(uint64 loanId, uint256 deadline, bytes calldata signature) external whenNotPaused {
        Loan storage stored = _loans[loanId];
        _requireStatus(loanId, stored.status, LoanStatus.Registered);
        if (block.timestamp > deadline) {
            revert LoanAgreementsSignatureExpired(loanId, deadline);
        }
        uint256 latestAllowed = block.timestamp + MAX_ACCEPTANCE_WINDOW;
        if (deadline > latestAllowed) {
            revert LoanAgreementsDeadlineTooFar(loanId, deadline, latestAllowed);
        }
        address borrower = stored.borrower;
        bytes32 digest = _acceptanceDigest(loanId, stored, deadline);
        if (!SignatureChecker.isValidSignatureNowCalldata(borrower, digest, signature)) {
            revert LoanAgreementsInvalidSignature(loanId, borrower);
        }
        stored.status = LoanStatus.Active;
        stored.acceptedAt = uint64(block.timestamp);
        emit LoanAccepted(loanId, borrower, stored.termsHash);
        emit LoanStatusChanged(loanId, LoanStatus.Registered, LoanStatus.Active);
    }

    /// @inheritdoc ILoanAgreements
    /// @dev Requirements:
    /// - the caller has OPERATOR_ROLE and the contract is not paused;
    /// - the loan exists and is Registered.
    ///
    /// Emits a {LoanStatusChanged} event (Registered -> Cancelled).
    function cancel(uint64 loanId) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        Loan storage stored = _loans[loanId];
        _requireStatus(loanId, stored.status, LoanStatus.Registered);
        stored.status = LoanStatus.Cancelled;
        emit LoanStatusChanged(loanId, LoanStatus.Registered, LoanStatus.Cancelled);
    }

    /// @inheritdoc ILoanAgreements
    /// @dev Requirements:
    /// - the caller has OPERATOR_ROLE and the contract is not paused;
    /// - the loan is Defaulted;
    /// - `seq` was not recorded before; `amount` is not zero.
    ///
    /// Emits a {LoanWrittenOff} and a {LoanStatusChanged} event.
    function writeOff(
        uint64 loanId,
        uint64 seq,
        uint128 amount
    ) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        Loan storage stored = _loans[loanId];
        _requireStatus(loanId, stored.status, LoanStatus.Defaulted);
        _applySeq(seq, amount);
        stored.status = LoanStatus.WrittenOff;
        stored.writtenOff = amount;
        emit LoanWrittenOff(loanId, seq, amount);
        emit LoanStatusChanged(loanId, LoanStatus.Defaulted, LoanStatus.WrittenOff);
    }

    /// @inheritdoc ILoanAgreements
    /// @dev Requirements:
    /// - the caller has OPERATOR_ROLE and the contract is not paused;
    /// - the loan is WrittenOff;
    /// - `seq` was not recorded before; `amount` is not zero;
    /// - the total recovered, with `amount`, does not exceed the written-off amount (a recovery
    ///   cannot overpay).
    ///
    /// Emits a {RecoveryRecorded} event.
    function recordRecovery(
        uint64 loanId,
        uint64 seq,
        uint128 amount
    ) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        Loan storage stored = _loans[loanId];
        _requireStatus(loanId, stored.status, LoanStatus.WrittenOff);
        _applySeq(seq, amount); // first: a resent recovery reads as already applied
        uint128 recovered = stored.recovered;
        // Cannot underflow: recovered never exceeds writtenOff (checked below on every recovery).
        uint128 remaining;
        unchecked {
            remaining = stored.writtenOff - recovered;
        }
        if (amount > remaining) {
            revert LoanAgreementsRecoveryTooLarge(loanId, amount, remaining);
        }
        // Cannot overflow: recovered + amount <= writtenOff, a uint128.
        unchecked {
            recovered += amount;
        }
        stored.recovered = recovered;
        emit RecoveryRecorded(loanId, seq, amount, recovered);
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
        _requireRepayable(loanId, stored.status);
        _applySeq(seq, amount);
        _addRepayment(stored, loanId, seq, amount);
    }

    /// @inheritdoc ILoanAgreements
    /// @dev The batch mirrors ledger entries the outbox may send again after a crash, so a seq
    /// recorded before (or earlier in this batch) is skipped: no event, no change. Anything
    /// else wrong reverts the whole batch with the error of the first offending repayment.
    /// Per repayment: one SLOAD of the seq word, one of the loan's status slot and one of its
    /// repaid slot; the status is checked again for every repayment, also of the same loan.
    ///
    /// Requirements:
    /// - the caller has OPERATOR_ROLE and the contract is not paused;
    /// - for each repayment whose seq was not recorded before: the loan is Active or Defaulted
    ///   ({LoanAgreementsUnknownLoan}, {LoanAgreementsUnexpectedStatus}) and the amount is not
    ///   zero ({LoanAgreementsZeroAmount}).
    ///
    /// Emits a {RepaymentRecorded} event for each repayment recorded (none for a skipped one).
    function recordRepayments(
        Repayment[] calldata repayments
    ) external onlyRole(OPERATOR_ROLE) whenNotPaused {
        uint256 count = repayments.length;
        for (uint256 i; i < count; ) {
            Repayment calldata repayment = repayments[i];
            uint64 seq = repayment.seq;
            // Marked first: a revert below undoes the mark with everything else.
            if (_markSeq(seq)) {
                uint64 loanId = repayment.loanId;
                uint128 amount = repayment.amount;
                Loan storage stored = _loans[loanId];
                _requireRepayable(loanId, stored.status);
                if (amount == 0) {
                    revert LoanAgreementsZeroAmount(seq);
                }
                _addRepayment(stored, loanId, seq, amount);
            }
            // Cannot overflow: i < count, the length of a calldata array.
            unchecked {
                ++i;
            }
        }
    }

    /// @inheritdoc ILoanAgreements
    /// @dev Allowed: Active -> Repaid, Active -> Defaulted, Defaulted -> Repaid, and
    /// Active | Defaulted -> Restructured (replaced by a new loan; final, like Repaid).
    /// Registered -> Active happens only through {accept}, Registered -> Cancelled through
    /// {cancel}, Defaulted -> WrittenOff through {writeOff} (which records the amount).
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
            (from == LoanStatus.Defaulted && status == LoanStatus.Repaid) ||
            ((from == LoanStatus.Active || from == LoanStatus.Defaulted) &&
                status == LoanStatus.Restructured);
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
        return _appliedSeqWords[seq >> 8] & (1 << (seq & 0xff)) != 0;
    }

    /// @inheritdoc ILoanAgreements
    /// @dev Requirements: the loan exists.
    function acceptanceDigest(uint64 loanId, uint256 deadline) external view returns (bytes32) {
        Loan storage stored = _loans[loanId];
        if (stored.status == LoanStatus.None) {
            revert LoanAgreementsUnknownLoan(loanId);
        }
        return _acceptanceDigest(loanId, stored, deadline);
    }

    function _acceptanceDigest(
        uint64 loanId,
        Loan storage stored,
        uint256 deadline
    ) private view returns (bytes32) {
        bytes32 structHash = keccak256(
            abi.encode(
                ACCEPTANCE_TYPEHASH,
                loanId,
                stored.principal,
                stored.rateBps,
                uint8(stored.method),
                stored.tenorMonths,
                stored.firstDueDate,
                stored.termsHash,
                deadline
            )
        );
        return _hashTypedDataV4(structHash);
    }

    /// @dev Marks ledger seq `seq` as recorded; refuses a seq seen before and an amount of 0.
    function _applySeq(uint64 seq, uint128 amount) private {
        if (!_markSeq(seq)) {
            revert LoanAgreementsSeqAlreadyApplied(seq);
        }
        if (amount == 0) {
            revert LoanAgreementsZeroAmount(seq);
        }
    }

    /// @dev Marks `seq` as recorded and returns true, or returns false if it was already.
    function _markSeq(uint64 seq) private returns (bool fresh) {
        uint256 word = seq >> 8;
        uint256 bit = 1 << (seq & 0xff);
        uint256 bits = _appliedSeqWords[word];
        if (bits & bit != 0) {
            return false;
        }
        _appliedSeqWords[word] = bits | bit;
        return true;
    }

    /// @dev Repayments count while the loan is Active, and after a default (collections).
    function _requireRepayable(uint64 loanId, LoanStatus status) private pure {
        if (status != LoanStatus.Defaulted) {
            _requireStatus(loanId, status, LoanStatus.Active);
        }
    }

    function _addRepayment(Loan storage stored, uint64 loanId, uint64 seq, uint128 amount) private {
        uint128 total = stored.repaid + amount;
        uint32 repayments = stored.repaymentCount + 1;
        stored.repaid = total;
        stored.repaymentCount = repayments;
        emit RepaymentRecorded(loanId, seq, amount, total);
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
