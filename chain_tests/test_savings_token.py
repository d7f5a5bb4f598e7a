import brownie
import pytest
from brownie.test import strategy
from helpers import ADMIN_ROLE, OPERATOR_ROLE, PAUSER_ROLE, ZERO_ADDRESS
from hexbytes import HexBytes

POKOK, WAJIB, SUKARELA = 1, 2, 3


def posting(seq, account, token_id, amount, burn=False):
    return (seq, str(account), token_id, burn, amount)


def mirror(savings, operator, *postings):
    return savings.mirror(list(postings), {"from": operator})


def balances(savings, account):
    return [int(savings.balanceOf(account, token_id)) for token_id in (POKOK, WAJIB, SUKARELA)]


# --- mirror ----------------------------------------------------------------------------------


def test_mirror_mints_and_emits_transfer_single_per_posting(savings, operator, accounts):
    tx = mirror(
        savings,
        operator,
        posting(10, accounts[2], POKOK, 100_000),
        posting(11, accounts[2], WAJIB, 50_000),
        posting(12, accounts[3], SUKARELA, 7_500),
    )

    assert balances(savings, accounts[2]) == [100_000, 50_000, 0]
    assert balances(savings, accounts[3]) == [0, 0, 7_500]
    assert savings.totalSupply(POKOK) == 100_000
    assert savings.totalSupply() == 157_500
    transfers = tx.events["TransferSingle"]
    assert [(e["operator"], e["from"], e["to"], e["id"], e["value"]) for e in transfers] == [
        (operator, ZERO_ADDRESS, accounts[2], POKOK, 100_000),
        (operator, ZERO_ADDRESS, accounts[2], WAJIB, 50_000),
        (operator, ZERO_ADDRESS, accounts[3], SUKARELA, 7_500),
    ]
    assert "TransferBatch" not in tx.events
    assert len(tx.events["PostingsMirrored"]) == 1
    assert [int(s) for s in tx.events["PostingsMirrored"][0]["seqs"]] == [10, 11, 12]
    assert savings.isApplied(10, POKOK) and savings.isApplied(11, WAJIB)
    assert savings.isApplied(12, SUKARELA)
    assert not savings.isApplied(10, WAJIB) and not savings.isApplied(13, POKOK)
    assert not savings.isApplied(10, 0) and not savings.isApplied(10, 4)


def test_mirror_burns_a_withdrawal(savings, operator, accounts):
    mirror(savings, operator, posting(1, accounts[2], SUKARELA, 10_000))
    tx = mirror(savings, operator, posting(2, accounts[2], SUKARELA, 4_000, burn=True))

    event = tx.events["TransferSingle"][0]
    assert (event["from"], event["to"], event["id"], event["value"]) == (
        accounts[2],
        ZERO_ADDRESS,
        SUKARELA,
        4_000,
    )
    assert balances(savings, accounts[2]) == [0, 0, 6_000]
    assert savings.totalSupply(SUKARELA) == 6_000


def test_seq_bitmap_spans_words(savings, operator, accounts):
    seqs = [0, 63, 64, 127, 128, 2**64 - 1]
    mirror(savings, operator, *[posting(s, accounts[2], WAJIB, 1) for s in seqs])
    assert all(savings.isApplied(s, WAJIB) for s in seqs)
    assert not any(savings.isApplied(s, WAJIB) for s in (1, 62, 65, 2**64 - 2))
    assert not any(savings.isApplied(s, t) for s in seqs for t in (POKOK, SUKARELA))
    assert savings.balanceOf(accounts[2], WAJIB) == len(seqs)


def test_one_seq_may_carry_one_posting_per_token_id(savings, operator, accounts, error):
    """A wallet linked late gets its pokok, wajib and sukarela under the linking entry's seq."""
    mirror(
        savings,
        operator,
        posting(77, accounts[2], POKOK, 100_000),
        posting(77, accounts[2], WAJIB, 30_000),
        posting(77, accounts[2], SUKARELA, 5_000),
    )
    assert balances(savings, accounts[2]) == [100_000, 30_000, 5_000]
    with brownie.reverts(error("SavingsTokenSeqAlreadyApplied", 77, WAJIB)):
        mirror(savings, operator, posting(77, accounts[3], WAJIB, 1))


def test_seq_already_applied_in_an_earlier_batch_reverts_the_batch(
    savings, operator, accounts, error
):
    mirror(savings, operator, posting(5, accounts[2], WAJIB, 1_000))
    with brownie.reverts(error("SavingsTokenSeqAlreadyApplied", 5, WAJIB)):
        mirror(
            savings,
            operator,
            posting(6, accounts[2], WAJIB, 1_000),
            posting(5, accounts[3], WAJIB, 1),
        )
    assert balances(savings, accounts[2]) == [0, 1_000, 0]
    assert not savings.isApplied(6, WAJIB)


def test_seq_repeated_within_a_batch_reverts(savings, operator, accounts, error):
    with brownie.reverts(error("SavingsTokenSeqAlreadyApplied", 300, WAJIB)):
        mirror(
            savings,
            operator,
            posting(300, accounts[2], WAJIB, 1),
            posting(40, accounts[2], WAJIB, 1),  # another bitmap word in between
            posting(300, accounts[3], WAJIB, 1),
        )
    assert not savings.isApplied(300, WAJIB) and not savings.isApplied(40, WAJIB)


@pytest.mark.parametrize("token_id", [0, 4, 255])
def test_unknown_token_id_reverts(savings, operator, accounts, error, token_id):
    with brownie.reverts(error("SavingsTokenUnknownId", 9, token_id)):
        mirror(savings, operator, posting(9, accounts[2], token_id, 1))


def test_zero_amount_reverts(savings, operator, accounts, error):
    with brownie.reverts(error("SavingsTokenZeroAmount", 9)):
        mirror(savings, operator, posting(9, accounts[2], WAJIB, 0))


def test_zero_account_reverts(savings, operator, error):
    with brownie.reverts(error("SavingsTokenZeroAccount", 9)):
        mirror(savings, operator, posting(9, ZERO_ADDRESS, WAJIB, 1))


def test_empty_batch_reverts(savings, operator, error):
    with brownie.reverts(error("SavingsTokenEmptyBatch")):
        savings.mirror([], {"from": operator})


def test_burn_beyond_balance_reverts_and_keeps_the_batch_out(savings, operator, accounts, error):
    mirror(savings, operator, posting(1, accounts[2], SUKARELA, 100))
    expected = error("ERC1155InsufficientBalance", accounts[2].address, 100, 101, SUKARELA)
    with brownie.reverts(expected):
        mirror(
            savings,
            operator,
            posting(2, accounts[3], SUKARELA, 5),
            posting(3, accounts[2], SUKARELA, 101, burn=True),
        )
    assert balances(savings, accounts[3]) == [0, 0, 0]
    assert not savings.isApplied(2, SUKARELA)


# --- no transfer path ------------------------------------------------------------------------


@pytest.fixture
def holder(savings, operator, accounts):
    mirror(savings, operator, posting(1, accounts[2], SUKARELA, 1_000))
    return accounts[2]


def test_holder_cannot_transfer(savings, holder, accounts, error):
    expected = error("SavingsTokenNonTransferable", holder.address, accounts[3].address)
    with brownie.reverts(expected):
        savings.safeTransferFrom(holder, accounts[3], SUKARELA, 1, b"", {"from": holder})
    with brownie.reverts(expected):
        savings.safeBatchTransferFrom(holder, accounts[3], [SUKARELA], [1], b"", {"from": holder})
    assert savings.balanceOf(holder, SUKARELA) == 1_000


def test_holder_cannot_burn_by_transfer_to_zero(savings, holder, error):
    with brownie.reverts(error("ERC1155InvalidReceiver", ZERO_ADDRESS)):
        savings.safeTransferFrom(holder, ZERO_ADDRESS, SUKARELA, 1, b"", {"from": holder})


def test_others_cannot_move_a_holders_savings(savings, holder, operator, stranger, error):
    for caller in (stranger, operator):
        with brownie.reverts(error("ERC1155MissingApprovalForAll", caller.address, holder.address)):
            savings.safeTransferFrom(holder, caller, SUKARELA, 1, b"", {"from": caller})


def test_approvals_are_disabled(savings, holder, accounts, error):
    with brownie.reverts(error("SavingsTokenApprovalsDisabled")):
        savings.setApprovalForAll(accounts[3], True, {"from": holder})
    assert not savings.isApprovedForAll(holder, accounts[3])


# --- roles, pause, interfaces ------------------------------------------------------------------


def test_only_the_operator_mirrors(savings, admin, stranger, accounts, error):
    for caller in (stranger, admin):
        expected = error("AccessControlUnauthorizedAccount", caller.address, OPERATOR_ROLE)
        with brownie.reverts(expected):
            savings.mirror([posting(1, accounts[2], WAJIB, 1)], {"from": caller})


def test_pause_stops_mirroring(savings, admin, operator, pauser, accounts, error):
    savings.pause({"from": pauser})
    with brownie.reverts(error("EnforcedPause")):
        mirror(savings, operator, posting(1, accounts[2], WAJIB, 1))
    tx = savings.unpause({"from": admin})
    assert tx.events["Unpaused"][0]["account"] == admin
    mirror(savings, operator, posting(1, accounts[2], WAJIB, 1))


def test_operator_can_neither_pause_nor_unpause(savings, operator, error):
    with brownie.reverts(error("AccessControlUnauthorizedAccount", operator.address, PAUSER_ROLE)):
        savings.pause({"from": operator})
    with brownie.reverts(error("AccessControlUnauthorizedAccount", operator.address, ADMIN_ROLE)):
        savings.unpause({"from": operator})


def test_supports_erc1155_and_access_control(savings):
    assert savings.supportsInterface("0xd9b67a26")  # IERC1155
    assert savings.supportsInterface("0x0e89341c")  # IERC1155MetadataURI
    assert savings.supportsInterface("0x7965db0b")  # IAccessControl
    assert not savings.supportsInterface("0xffffffff")
    assert (savings.POKOK(), savings.WAJIB(), savings.SUKARELA()) == (1, 2, 3)


def test_postings_mirrored_event_packs_seqs_in_batch_order(savings, operator, accounts):
    tx = mirror(savings, operator, posting(9, accounts[2], 1, 1), posting(3, accounts[2], 1, 1))
    raw = HexBytes(tx.logs[-1]["data"])
    words = [int.from_bytes(raw[i : i + 32], "big") for i in range(0, len(raw), 32)]
    assert words == [32, 2, 9, 3]  # the uint64[] seqs: offset, length, items


# --- stateful: balances against the ledger's postings --------------------------------------


class LedgerMachine:
    """Random deposits, withdrawals, resent seqs and transfer attempts against a model ledger."""

    st_holder = strategy("uint8", max_value=3)
    st_id = strategy("uint8", min_value=1, max_value=3)
    st_amount = strategy("uint128", min_value=1, max_value=10**12)
    st_back = strategy("uint8", max_value=40)

    def __init__(cls, savings, operator, accounts):
        cls.savings = savings
        cls.operator = operator
        cls.holders = list(accounts[2:6])

    def setup(self):
        self.next_seq = 0
        self.applied = []
        self.model = {(h, i): 0 for h in range(4) for i in (1, 2, 3)}

    def _send(self, holder, token_id, amount, burn):
        seq = self.next_seq
        self.next_seq += 1
        mirror(
            self.savings, self.operator, posting(seq, self.holders[holder], token_id, amount, burn)
        )
        self.applied.append((seq, token_id))

    def rule_deposit(self, st_holder, st_id, st_amount):
        self._send(st_holder, st_id, st_amount, False)
        self.model[(st_holder, st_id)] += st_amount

    def rule_withdraw(self, st_holder, st_id, st_amount):
        balance = self.model[(st_holder, st_id)]
        if st_amount > balance:
            account = self.holders[st_holder].address.lower()
            with brownie.reverts(
                f"ERC1155InsufficientBalance: {account}, {balance}, {st_amount}, {st_id}"
            ):
                self._send(st_holder, st_id, st_amount, True)
            self.next_seq -= 1  # the reverted batch applied nothing
        else:
            self._send(st_holder, st_id, st_amount, True)
            self.model[(st_holder, st_id)] -= st_amount

    def rule_resend_applied_seq(self, st_back, st_holder):
        if not self.applied:
            return
        seq, token_id = self.applied[-1 - st_back % len(self.applied)]
        with brownie.reverts(f"SavingsTokenSeqAlreadyApplied: {seq}, {token_id}"):
            mirror(self.savings, self.operator, posting(seq, self.holders[st_holder], token_id, 1))

    def rule_try_transfer(self, st_holder, st_id):
        sender = self.holders[st_holder]
        receiver = self.holders[(st_holder + 1) % 4]
        if self.model[(st_holder, st_id)] == 0:
            return  # the holder has nothing (and no gas needed for a check that proves nothing)
        expected = (
            f"SavingsTokenNonTransferable: {sender.address.lower()}, {receiver.address.lower()}"
        )
        with brownie.reverts(expected):
            self.savings.safeTransferFrom(sender, receiver, st_id, 1, b"", {"from": sender})

    def invariant_balances_equal_the_postings(self):
        for (holder, token_id), amount in self.model.items():
            assert self.savings.balanceOf(self.holders[holder], token_id) == amount
        for token_id in (1, 2, 3):
            total = sum(self.model[(h, token_id)] for h in range(4))
            assert total >= 0
            assert self.savings.totalSupply(token_id) == total

    def invariant_applied_seqs(self):
        if self.applied:
            assert self.savings.isApplied(*self.applied[-1])
        assert not any(self.savings.isApplied(self.next_seq, t) for t in (1, 2, 3))


def test_balances_match_the_ledger(state_machine, savings, operator, accounts):
    settings = {"max_examples": 10, "stateful_step_count": 15}
    state_machine(LedgerMachine, savings, operator, accounts, settings=settings)
