// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ILoanAgreements
/// @notice Loan agreements: terms registered by the backend, accepted by the borrower's EIP-712
/// signature, repayments mirrored from the ledger, and the loan's status.
interface ILoanAgreements {
    /// @notice None: no such loan. Registered: terms on chain, not yet accepted. Active: accepted
    /// by the borrower. Repaid, Defaulted, WrittenOff: set by the backend from the ledger.
    /// Cancelled: the offer was withdrawn before the borrower accepted it. Restructured: replaced
    /// by a new loan (restrukturisasi) for its outstanding principal; the backend's log links them.
    enum LoanStatus {
        None,
        Registered,
        Active,
        Repaid,
        Defaulted,
        WrittenOff,
        Cancelled,
        Restructured
    }

    /// @notice Interest method of a loan's schedule.
    enum InterestMethod {
        Flat,
        Declining,
        Annuity
    }

    /// @notice A loan as stored. `principal`, `repaid`, `writtenOff` and `recovered` are in
    /// Rupiah; `rateBps` is the annual rate in basis points; `firstDueDate` and `acceptedAt` are
    /// unix seconds (0: not yet). `recovered` never exceeds `writtenOff`.
    struct Loan {
        address borrower;
        uint32 rateBps;
        InterestMethod method;
        LoanStatus status;
        uint16 tenorMonths;
        uint128 principal;
        uint64 firstDueDate;
        uint64 acceptedAt;
        uint128 repaid;
        uint32 repaymentCount;
        bytes32 termsHash;
        uint128 writtenOff;
        uint128 recovered;
    }

    /// @notice One repayment of a batch: `amount` Rupiah on loan `loanId`, mirrored from ledger
    /// entry `seq`.
    struct Repayment {
        uint64 loanId;
        uint64 seq;
        uint128 amount;
    }

    /// @dev A loan with `loanId` already exists.
    error LoanAgreementsAlreadyRegistered(uint64 loanId);

    /// @dev No loan with `loanId` exists.
    error LoanAgreementsUnknownLoan(uint64 loanId);

    /// @dev Terms with a zero borrower, principal, tenor or terms hash.
    error LoanAgreementsInvalidTerms(uint64 loanId);

    /// @dev `method` is not 0 (flat), 1 (declining) or 2 (annuity).
    error LoanAgreementsInvalidMethod(uint64 loanId, uint8 method);

    /// @dev The action needs the loan in `expected` status; it is in `status`.
    error LoanAgreementsUnexpectedStatus(uint64 loanId, LoanStatus status, LoanStatus expected);

    /// @dev The acceptance signature expired at `deadline` (unix seconds).
    error LoanAgreementsSignatureExpired(uint64 loanId, uint256 deadline);

    /// @dev The signature is not the borrower's over this loan's Acceptance.
    error LoanAgreementsInvalidSignature(uint64 loanId, address borrower);

    /// @dev The repayment, write-off or recovery with ledger seq `seq` was recorded before.
    error LoanAgreementsSeqAlreadyApplied(uint64 seq);

    /// @dev A repayment, write-off or recovery of 0.
    error LoanAgreementsZeroAmount(uint64 seq);

    /// @dev `from` -> `to` is not an allowed status change.
    error LoanAgreementsInvalidTransition(uint64 loanId, LoanStatus from, LoanStatus to);

    /// @dev The acceptance's `deadline` is later than `latestAllowed` (now + the maximum
    /// acceptance window): a long-lived signature could activate an offer long after.
    error LoanAgreementsDeadlineTooFar(uint64 loanId, uint256 deadline, uint256 latestAllowed);

    /// @dev A recovery of `amount` would bring the total recovered above the written-off amount;
    /// `remaining` is what may still be recovered.
    error LoanAgreementsRecoveryTooLarge(uint64 loanId, uint128 amount, uint128 remaining);

    /// @notice The backend registered a loan's terms.
    event LoanRegistered(
        uint64 indexed loanId,
        address indexed borrower,
        uint128 principal,
        uint32 rateBps,
        InterestMethod method,
        uint16 tenorMonths,
        uint64 firstDueDate,
        bytes32 termsHash
    );

    /// @notice The borrower's acceptance of the terms with `termsHash` was verified.
    event LoanAccepted(uint64 indexed loanId, address indexed borrower, bytes32 termsHash);

    /// @notice A repayment (ledger seq `seq`) was recorded; `totalRepaid` includes it.
    event RepaymentRecorded(uint64 indexed loanId, uint64 indexed seq, uint128 amount, uint128 totalRepaid);

    /// @notice The loan's status changed from `from` to `to`.
    event LoanStatusChanged(uint64 indexed loanId, LoanStatus from, LoanStatus to);

    /// @notice The loan was written off (hapus buku) for `amount` by ledger entry `seq`.
    event LoanWrittenOff(uint64 indexed loanId, uint64 indexed seq, uint128 amount);

    /// @notice A recovery after write-off (ledger seq `seq`); `totalRecovered` includes it.
    event RecoveryRecorded(
        uint64 indexed loanId,
        uint64 indexed seq,
        uint128 amount,
        uint128 totalRecovered
    );

    /// @notice Registers the terms of loan `loanId` for `borrower` to accept.
    function register(
        uint64 loanId,
        address borrower,
        uint128 principal,
        uint32 rateBps,
        uint8 method,
        uint16 tenorMonths,
        uint64 firstDueDate,
        bytes32 termsHash
    ) external;

    /// @notice Activates loan `loanId` with the borrower's EIP-712 `Acceptance` signature over its
    /// key terms. Anyone may relay.
    function accept(uint64 loanId, uint256 deadline, bytes calldata signature) external;

    /// @notice Withdraws the offer of loan `loanId` before the borrower accepts it.
    function cancel(uint64 loanId) external;

    /// @notice Writes off defaulted loan `loanId` for `amount`, mirroring ledger entry `seq`.
    function writeOff(uint64 loanId, uint64 seq, uint128 amount) external;

    /// @notice Records a recovery of `amount` on written-off loan `loanId` (ledger entry `seq`).
    function recordRecovery(uint64 loanId, uint64 seq, uint128 amount) external;

    /// @notice Records a repayment of `amount` mirrored from ledger entry `seq`.
    function recordRepayment(uint64 loanId, uint64 seq, uint128 amount) external;

    /// @notice Records a batch of repayments mirrored from the ledger, in order. A repayment
    /// whose seq was recorded before (a resend after a crash) is skipped without an event; any
    /// other fault (unknown loan, a loan neither Active nor Defaulted, an amount of 0) reverts
    /// the whole batch with that repayment's error.
    ///
    /// Requirements:
    /// - the caller has OPERATOR_ROLE and the contract is not paused;
    /// - every repayment not recorded before is on an Active or Defaulted loan, with an amount
    ///   that is not zero.
    ///
    /// Emits a {RepaymentRecorded} event for each repayment recorded.
    function recordRepayments(Repayment[] calldata repayments) external;

    /// @notice Moves loan `loanId` to `status` (Repaid or Defaulted; a write-off is {writeOff}).
    function setStatus(uint64 loanId, LoanStatus status) external;

    /// @notice Everything stored about loan `loanId` (status None if unknown).
    function loan(uint64 loanId) external view returns (Loan memory);

    /// @notice The status of loan `loanId`.
    function statusOf(uint64 loanId) external view returns (LoanStatus);

    /// @notice Whether the repayment, write-off or recovery with ledger seq `seq` was recorded.
    function isApplied(uint64 seq) external view returns (bool);

    /// @notice The EIP-712 digest the borrower signs to accept loan `loanId` until `deadline`.
    function acceptanceDigest(uint64 loanId, uint256 deadline) external view returns (bytes32);
}
