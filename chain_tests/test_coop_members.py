import brownie
import pytest
from brownie import chain
from brownie.test import strategy
from helpers import ADMIN_ROLE, OPERATOR_ROLE, PAUSER_ROLE, ZERO_ADDRESS


def admit(members, operator, number, account):
    return members.admit(number, account, {"from": operator})


# --- admit -----------------------------------------------------------------------------------


def test_admit_records_member_and_emits_event(coop_members, operator, accounts):
    tx = admit(coop_members, operator, 7, accounts[2])

    assert tx.events["MemberAdmitted"][0]["number"] == 7
    assert tx.events["MemberAdmitted"][0]["account"] == accounts[2]
    assert coop_members.accountOf(7) == accounts[2]
    assert coop_members.memberNumberOf(accounts[2]) == 7
    assert coop_members.isMember(accounts[2])
    assert coop_members.memberCount() == 1


def test_admit_rejects_number_zero(coop_members, operator, accounts, error):
    with brownie.reverts(error("CoopMembersZeroNumber")):
        admit(coop_members, operator, 0, accounts[2])


def test_admit_rejects_zero_address(coop_members, operator, error):
    with brownie.reverts(error("CoopMembersZeroAddress")):
        admit(coop_members, operator, 1, ZERO_ADDRESS)


def test_admit_rejects_a_number_already_held(coop_members, operator, accounts, error):
    admit(coop_members, operator, 7, accounts[2])
    with brownie.reverts(error("CoopMembersAlreadyMember", 7)):
        admit(coop_members, operator, 7, accounts[3])


def test_admit_rejects_an_address_that_is_already_a_member(coop_members, operator, accounts, error):
    admit(coop_members, operator, 7, accounts[2])
    with brownie.reverts(error("CoopMembersAddressTaken", accounts[2].address)):
        admit(coop_members, operator, 8, accounts[2])


def test_admit_batch_admits_all_with_one_count_checkpoint(coop_members, operator, accounts):
    tx = coop_members.admitBatch([1, 2, 3], accounts[2:5], {"from": operator})

    assert [e["number"] for e in tx.events["MemberAdmitted"]] == [1, 2, 3]
    assert [e["account"] for e in tx.events["MemberAdmitted"]] == list(accounts[2:5])
    assert coop_members.memberCount() == 3
    chain.mine()
    assert coop_members.memberCountAt(tx.block_number) == 3
    assert coop_members.memberCountAt(tx.block_number - 1) == 0


def test_admit_batch_rejects_arrays_of_different_lengths(coop_members, operator, accounts, error):
    with brownie.reverts(error("CoopMembersLengthMismatch", 2, 1)):
        coop_members.admitBatch([1, 2], [accounts[2]], {"from": operator})


def test_admit_batch_is_all_or_nothing(coop_members, operator, accounts, error):
    with brownie.reverts(error("CoopMembersAlreadyMember", 1)):
        coop_members.admitBatch([1, 1], [accounts[2], accounts[3]], {"from": operator})
    assert coop_members.memberCount() == 0
    assert not coop_members.isMember(accounts[2])


# --- exit ------------------------------------------------------------------------------------


def test_exit_ends_membership_and_emits_event(coop_members, operator, accounts):
    admit(coop_members, operator, 7, accounts[2])
    tx = coop_members.exit(7, {"from": operator})

    assert tx.events["MemberExited"][0]["number"] == 7
    assert tx.events["MemberExited"][0]["account"] == accounts[2]
    assert coop_members.accountOf(7) == ZERO_ADDRESS
    assert coop_members.memberNumberOf(accounts[2]) == 0
    assert not coop_members.isMember(accounts[2])
    assert coop_members.memberCount() == 0


@pytest.mark.parametrize("exit_first", [False, True])
def test_exit_rejects_unknown_or_exited_number(coop_members, operator, accounts, error, exit_first):
    if exit_first:
        admit(coop_members, operator, 7, accounts[2])
        coop_members.exit(7, {"from": operator})
    with brownie.reverts(error("CoopMembersUnknownMember", 7)):
        coop_members.exit(7, {"from": operator})


def test_exited_number_and_address_can_be_admitted_again(coop_members, operator, accounts):
    admit(coop_members, operator, 7, accounts[2])
    coop_members.exit(7, {"from": operator})
    admit(coop_members, operator, 7, accounts[3])
    admit(coop_members, operator, 8, accounts[2])

    assert coop_members.accountOf(7) == accounts[3]
    assert coop_members.memberNumberOf(accounts[2]) == 8
    assert coop_members.memberCount() == 2


# --- changeAddress -----------------------------------------------------------------------------


def test_change_address_keeps_the_number_and_drops_the_old_address(
    coop_members, operator, accounts
):
    admit(coop_members, operator, 7, accounts[2])
    tx = coop_members.changeAddress(7, accounts[3], {"from": operator})

    event = tx.events["MemberAddressChanged"][0]
    assert (event["number"], event["oldAccount"], event["newAccount"]) == (
        7,
        accounts[2],
        accounts[3],
    )
    assert "MemberAdmitted" not in tx.events and "MemberExited" not in tx.events
    assert coop_members.accountOf(7) == accounts[3]
    assert coop_members.memberNumberOf(accounts[3]) == 7
    assert not coop_members.isMember(accounts[2])
    assert coop_members.memberCount() == 1
    chain.mine()
    assert coop_members.memberNumberAt(accounts[2], tx.block_number - 1) == 7
    assert coop_members.memberNumberAt(accounts[2], tx.block_number) == 0
    assert coop_members.memberNumberAt(accounts[3], tx.block_number) == 7


def test_change_address_rejects_unknown_member(coop_members, operator, accounts, error):
    with brownie.reverts(error("CoopMembersUnknownMember", 7)):
        coop_members.changeAddress(7, accounts[3], {"from": operator})


@pytest.mark.parametrize("target", [2, 3])
def test_change_address_rejects_an_address_that_is_a_member(
    coop_members, operator, accounts, error, target
):
    admit(coop_members, operator, 7, accounts[2])
    admit(coop_members, operator, 8, accounts[3])
    with brownie.reverts(error("CoopMembersAddressTaken", accounts[target].address)):
        coop_members.changeAddress(7, accounts[target], {"from": operator})


def test_change_address_rejects_zero_address(coop_members, operator, accounts, error):
    admit(coop_members, operator, 7, accounts[2])
    with brownie.reverts(error("CoopMembersZeroAddress")):
        coop_members.changeAddress(7, ZERO_ADDRESS, {"from": operator})


# --- history -----------------------------------------------------------------------------------


def test_past_lookups_follow_admit_and_exit(coop_members, operator, accounts):
    before = chain.height
    admitted = admit(coop_members, operator, 7, accounts[2]).block_number
    exited = coop_members.exit(7, {"from": operator}).block_number
    chain.mine()

    assert not coop_members.wasMemberAt(accounts[2], before)
    assert coop_members.wasMemberAt(accounts[2], admitted)
    assert coop_members.memberNumberAt(accounts[2], admitted) == 7
    assert not coop_members.wasMemberAt(accounts[2], exited)
    assert coop_members.memberCountAt(before) == 0
    assert coop_members.memberCountAt(admitted) == 1
    assert coop_members.memberCountAt(exited) == 0


def test_past_lookups_use_the_trace_after_readmission(coop_members, operator, accounts):
    first = admit(coop_members, operator, 7, accounts[2]).block_number
    gone = coop_members.exit(7, {"from": operator}).block_number
    again = admit(coop_members, operator, 9, accounts[2]).block_number
    chain.mine()

    assert coop_members.memberNumberAt(accounts[2], first) == 7
    assert coop_members.memberNumberAt(accounts[2], gone) == 0
    assert coop_members.memberNumberAt(accounts[2], again) == 9
    assert [int(n) for n in coop_members.memberNumbersAt([accounts[2], accounts[3]], first)] == [
        7,
        0,
    ]


def test_a_number_stays_a_member_across_address_changes(coop_members, operator, accounts):
    before = chain.height
    admitted = admit(coop_members, operator, 7, accounts[2]).block_number
    chain.mine()
    moved = coop_members.changeAddress(7, accounts[3], {"from": operator}).block_number
    chain.mine()

    assert not coop_members.wasNumberMemberAt(7, before)
    assert coop_members.wasNumberMemberAt(7, admitted)
    assert coop_members.wasNumberMemberAt(7, moved)
    assert not coop_members.wasNumberMemberAt(8, moved)
    assert not coop_members.wasNumberMemberAt(0, moved)
    # The new key holds the number since `moved`, yet it counts from the admission on.
    numbers = coop_members.eligibleNumbersAt([accounts[2], accounts[3], accounts[4]], admitted)
    assert [int(n) for n in numbers] == [0, 7, 0]


def test_number_membership_follows_exit_and_readmission(coop_members, operator, accounts):
    first = admit(coop_members, operator, 7, accounts[2]).block_number
    chain.mine()
    gone = coop_members.exit(7, {"from": operator}).block_number
    chain.mine()
    again = admit(coop_members, operator, 7, accounts[3]).block_number
    chain.mine()

    assert coop_members.wasNumberMemberAt(7, first)
    assert not coop_members.wasNumberMemberAt(7, gone)
    assert coop_members.wasNumberMemberAt(7, again)
    # accounts[3] holds 7 only since `again`, but number 7 was a member at `first`: the
    # per-number trace answers; at `gone` it was not.
    assert [int(n) for n in coop_members.eligibleNumbersAt([accounts[3]], first)] == [7]
    assert [int(n) for n in coop_members.eligibleNumbersAt([accounts[3]], gone)] == [0]
    assert [int(n) for n in coop_members.eligibleNumbersAt([accounts[2]], first)] == [0]


def test_an_exited_number_is_no_member_after_its_exit(coop_members, operator, accounts):
    first = admit(coop_members, operator, 7, accounts[2]).block_number
    gone = coop_members.exit(7, {"from": operator}).block_number
    chain.mine()

    assert coop_members.wasNumberMemberAt(7, first)
    assert not coop_members.wasNumberMemberAt(7, gone)
    assert not coop_members.wasNumberMemberAt(7, first - 1)


@pytest.mark.parametrize("ahead", [0, 1, 100])
def test_lookups_reject_blocks_that_are_not_final(coop_members, accounts, error, ahead):
    current = coop_members.clock()
    expected = error("CoopMembersFutureLookup", current + ahead, current)
    with brownie.reverts(expected):
        coop_members.wasMemberAt(accounts[2], current + ahead)
    with brownie.reverts(expected):
        coop_members.memberNumberAt(accounts[2], current + ahead)
    with brownie.reverts(expected):
        coop_members.memberNumbersAt([accounts[2]], current + ahead)
    with brownie.reverts(expected):
        coop_members.memberCountAt(current + ahead)
    with brownie.reverts(expected):
        coop_members.wasNumberMemberAt(7, current + ahead)
    with brownie.reverts(expected):
        coop_members.eligibleNumbersAt([accounts[2]], current + ahead)


def test_clock_is_the_block_number(coop_members, web3):
    assert coop_members.clock() == web3.eth.block_number
    assert coop_members.CLOCK_MODE() == "mode=blocknumber&from=default"


# --- roles and pause ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call",
    [
        lambda m, a: m.admit(1, a[2], {"from": a[9]}),
        lambda m, a: m.admitBatch([1], [a[2]], {"from": a[9]}),
        lambda m, a: m.exit(1, {"from": a[9]}),
        lambda m, a: m.changeAddress(1, a[2], {"from": a[9]}),
    ],
    ids=["admit", "admitBatch", "exit", "changeAddress"],
)
def test_only_the_operator_changes_the_roll(coop_members, accounts, error, call):
    with brownie.reverts(
        error("AccessControlUnauthorizedAccount", accounts[9].address, OPERATOR_ROLE)
    ):
        call(coop_members, accounts)


def test_admin_without_operator_role_cannot_admit(coop_members, admin, accounts, error):
    with brownie.reverts(error("AccessControlUnauthorizedAccount", admin.address, OPERATOR_ROLE)):
        coop_members.admit(1, accounts[2], {"from": admin})


def test_pause_stops_changes_but_not_lookups(
    coop_members, admin, operator, pauser, accounts, error
):
    admit(coop_members, operator, 7, accounts[2])
    tx = coop_members.pause({"from": pauser})
    assert tx.events["Paused"][0]["account"] == pauser
    for call in (
        lambda: admit(coop_members, operator, 8, accounts[3]),
        lambda: coop_members.admitBatch([8], [accounts[3]], {"from": operator}),
        lambda: coop_members.exit(7, {"from": operator}),
        lambda: coop_members.changeAddress(7, accounts[3], {"from": operator}),
    ):
        with brownie.reverts(error("EnforcedPause")):
            call()
    assert coop_members.wasMemberAt(accounts[2], chain.height - 1)
    coop_members.unpause({"from": admin})
    admit(coop_members, operator, 8, accounts[3])


def test_operator_can_neither_pause_nor_unpause(coop_members, operator, error):
    with brownie.reverts(error("AccessControlUnauthorizedAccount", operator.address, PAUSER_ROLE)):
        coop_members.pause({"from": operator})
    with brownie.reverts(error("AccessControlUnauthorizedAccount", operator.address, ADMIN_ROLE)):
        coop_members.unpause({"from": operator})


# --- stateful: the roll against a model ----------------------------------------------------


class RollMachine:
    """Random admits, exits and address changes; after each, the contract equals the model."""

    st_number = strategy("uint64", min_value=1, max_value=12)
    st_index = strategy("uint8", max_value=7)

    def __init__(cls, members, operator, accounts):
        cls.members = members
        cls.operator = operator
        cls.people = list(accounts[2:9]) + [accounts[0]]

    def setup(self):
        self.by_number = {}  # active number -> address
        self.history = []  # (block, member count, {address: number}) after each change

    def _record(self, tx):
        numbers = {account: number for number, account in self.by_number.items()}
        self.history.append((tx.block_number, len(self.by_number), numbers))

    def rule_admit(self, st_number, st_index):
        person = self.people[st_index]
        if st_number in self.by_number:
            with brownie.reverts(f"CoopMembersAlreadyMember: {st_number}"):
                self.members.admit(st_number, person, {"from": self.operator})
        elif person in self.by_number.values():
            with brownie.reverts(f"CoopMembersAddressTaken: {person.address.lower()}"):
                self.members.admit(st_number, person, {"from": self.operator})
        else:
            tx = self.members.admit(st_number, person, {"from": self.operator})
            self.by_number[st_number] = person
            self._record(tx)

    def rule_exit(self, st_number):
        if st_number not in self.by_number:
            with brownie.reverts(f"CoopMembersUnknownMember: {st_number}"):
                self.members.exit(st_number, {"from": self.operator})
        else:
            tx = self.members.exit(st_number, {"from": self.operator})
            del self.by_number[st_number]
            self._record(tx)

    def rule_change_address(self, st_number, st_index):
        person = self.people[st_index]
        if st_number not in self.by_number:
            with brownie.reverts(f"CoopMembersUnknownMember: {st_number}"):
                self.members.changeAddress(st_number, person, {"from": self.operator})
        elif person in self.by_number.values():
            with brownie.reverts(f"CoopMembersAddressTaken: {person.address.lower()}"):
                self.members.changeAddress(st_number, person, {"from": self.operator})
        else:
            tx = self.members.changeAddress(st_number, person, {"from": self.operator})
            self.by_number[st_number] = person
            self._record(tx)

    def invariant_count_and_bijection(self):
        assert self.members.memberCount() == len(self.by_number)
        for number, person in self.by_number.items():
            assert self.members.accountOf(number) == person
            assert self.members.memberNumberOf(person) == number
        for person in self.people:
            if person not in self.by_number.values():
                assert self.members.memberNumberOf(person) == 0

    def teardown(self):
        """Every recorded block answers from the checkpoints exactly as the model did then."""
        chain.mine()
        for block, count, numbers in self.history:
            assert self.members.memberCountAt(block) == count
            found = self.members.memberNumbersAt(self.people, block)
            assert [int(n) for n in found] == [numbers.get(p, 0) for p in self.people]
            held = set(numbers.values())
            for number in range(1, 13):
                assert self.members.wasNumberMemberAt(number, block) == (number in held)
            # Eligibility for RatVoting: the number a key holds NOW, if held at `block`.
            current = {person: number for number, person in self.by_number.items()}
            eligible = self.members.eligibleNumbersAt(self.people, block)
            assert [int(n) for n in eligible] == [
                current.get(p, 0) if current.get(p, 0) in held else 0 for p in self.people
            ]


def test_roll_matches_model(state_machine, coop_members, operator, accounts):
    settings = {"max_examples": 12, "stateful_step_count": 15}
    state_machine(RollMachine, coop_members, operator, accounts, settings=settings)
