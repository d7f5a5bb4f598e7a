"""The roles every contract shares (contracts/access/CoopRoles.sol), for each contract: a
two-step admin with a delay, a pauser that pauses but cannot unpause, an operator that can do
neither, and a pause that can never outlive the admin (issue 8, item 10)."""

import brownie
import pytest
from brownie import chain
from helpers import ADMIN_DELAY, ADMIN_ROLE, OPERATOR_ROLE, PAUSER_ROLE, ZERO_ADDRESS

NAMES = ["AnchorRegistry", "CoopMembers", "SavingsToken", "LoanAgreements", "RatVoting"]


def deploy(request, name, admin, operator, pauser, sender):
    factory = request.getfixturevalue(name)
    extra = []
    if name == "AnchorRegistry":
        extra = [1_000]  # max tree size step
    elif name == "RatVoting":  # its roll, deployed inside the test's snapshot
        members = request.getfixturevalue("CoopMembers")
        extra = [members.deploy(sender, sender, sender, ADMIN_DELAY, {"from": sender})]
    return factory.deploy(admin, operator, pauser, ADMIN_DELAY, *extra, {"from": sender})


@pytest.fixture(params=NAMES)
def name(request):
    return request.param


@pytest.fixture
def contract(request, name, admin, operator, pauser):
    return deploy(request, name, admin, operator, pauser, admin)


def schedule_of(tx):
    return tx.events["DefaultAdminTransferScheduled"][0]["acceptSchedule"]


def test_constructor_sets_each_role(contract, admin, operator, pauser):
    assert contract.defaultAdmin() == admin
    assert contract.defaultAdminDelay() == ADMIN_DELAY
    assert contract.hasRole(ADMIN_ROLE, admin)
    assert contract.hasRole(OPERATOR_ROLE, operator)
    assert contract.hasRole(PAUSER_ROLE, pauser)
    assert not contract.hasRole(PAUSER_ROLE, operator)
    assert not contract.hasRole(PAUSER_ROLE, admin)


@pytest.mark.parametrize("which", ["operator", "pauser"])
def test_constructor_refuses_a_zero_role_address(request, name, admin, operator, pauser, error,
                                                 which):
    roles = {"operator": operator, "pauser": pauser, which: ZERO_ADDRESS}
    with brownie.reverts(error("CoopRolesZeroAddress")):
        deploy(request, name, admin, roles["operator"], roles["pauser"], admin)


def test_constructor_refuses_a_zero_admin(request, name, operator, pauser, error):
    with brownie.reverts(error("AccessControlInvalidDefaultAdmin", ZERO_ADDRESS)):
        deploy(request, name, ZERO_ADDRESS, operator, pauser, operator)


def test_pauser_pauses_only_the_admin_unpauses(contract, admin, pauser, error):
    tx = contract.pause({"from": pauser})
    assert tx.events["Paused"][0]["account"] == pauser
    with brownie.reverts(error("AccessControlUnauthorizedAccount", pauser.address, ADMIN_ROLE)):
        contract.unpause({"from": pauser})
    assert contract.paused()
    tx = contract.unpause({"from": admin})
    assert tx.events["Unpaused"][0]["account"] == admin
    assert not contract.paused()


def test_operator_can_neither_pause_nor_unpause(contract, operator, pauser, error):
    with brownie.reverts(error("AccessControlUnauthorizedAccount", operator.address, PAUSER_ROLE)):
        contract.pause({"from": operator})
    contract.pause({"from": pauser})
    with brownie.reverts(error("AccessControlUnauthorizedAccount", operator.address, ADMIN_ROLE)):
        contract.unpause({"from": operator})


def test_admin_cannot_pause_without_the_pauser_role(contract, admin, error):
    with brownie.reverts(error("AccessControlUnauthorizedAccount", admin.address, PAUSER_ROLE)):
        contract.pause({"from": admin})
    contract.grantRole(PAUSER_ROLE, admin, {"from": admin})
    contract.pause({"from": admin})
    assert contract.paused()


def test_admin_role_cannot_be_granted_in_one_step(contract, admin, stranger, error):
    with brownie.reverts(error("AccessControlEnforcedDefaultAdminRules")):
        contract.grantRole(ADMIN_ROLE, stranger, {"from": admin})
    assert not contract.hasRole(ADMIN_ROLE, stranger)


def test_admin_moves_in_two_steps_after_the_delay(contract, admin, stranger, accounts, error):
    new_admin = accounts[7]
    tx = contract.beginDefaultAdminTransfer(new_admin, {"from": admin})
    schedule = schedule_of(tx)
    assert tx.events["DefaultAdminTransferScheduled"][0]["newAdmin"] == new_admin
    assert schedule >= tx.timestamp + ADMIN_DELAY
    assert contract.pendingDefaultAdmin() == (new_admin, schedule)

    with brownie.reverts(error("AccessControlEnforcedDefaultAdminDelay", schedule)):
        contract.acceptDefaultAdminTransfer({"from": new_admin})
    chain.sleep(ADMIN_DELAY + 1)
    with brownie.reverts(error("AccessControlInvalidDefaultAdmin", stranger.address)):
        contract.acceptDefaultAdminTransfer({"from": stranger})
    contract.acceptDefaultAdminTransfer({"from": new_admin})

    assert contract.defaultAdmin() == new_admin
    assert not contract.hasRole(ADMIN_ROLE, admin)
    with brownie.reverts(error("AccessControlUnauthorizedAccount", admin.address, ADMIN_ROLE)):
        contract.grantRole(OPERATOR_ROLE, stranger, {"from": admin})


def test_admin_cannot_renounce_in_one_step(contract, admin, error):
    with brownie.reverts(error("AccessControlEnforcedDefaultAdminDelay", 0)):
        contract.renounceRole(ADMIN_ROLE, admin, {"from": admin})
    assert contract.defaultAdmin() == admin


def test_renouncing_cannot_start_while_paused(contract, admin, pauser, error):
    contract.pause({"from": pauser})
    with brownie.reverts(error("CoopRolesRenounceWhilePaused")):
        contract.beginDefaultAdminTransfer(ZERO_ADDRESS, {"from": admin})
    pending, schedule = contract.pendingDefaultAdmin()
    assert (pending, schedule) == (ZERO_ADDRESS, 0)


def test_the_attack_renounce_while_paused_cannot_brick(contract, admin, pauser, error):
    """A renounce scheduled before a pause cannot complete during it: the admin stays, and
    unpauses."""
    contract.beginDefaultAdminTransfer(ZERO_ADDRESS, {"from": admin})
    chain.sleep(ADMIN_DELAY + 1)
    contract.pause({"from": pauser})

    with brownie.reverts(error("CoopRolesRenounceWhilePaused")):
        contract.renounceRole(ADMIN_ROLE, admin, {"from": admin})

    assert contract.defaultAdmin() == admin
    contract.unpause({"from": admin})
    assert not contract.paused()


def test_without_an_admin_nobody_can_pause(contract, admin, pauser, error):
    """After a completed renounce, a pause could never be lifted, so it is refused."""
    contract.beginDefaultAdminTransfer(ZERO_ADDRESS, {"from": admin})
    chain.sleep(ADMIN_DELAY + 1)
    tx = contract.renounceRole(ADMIN_ROLE, admin, {"from": admin})
    assert tx.events["RoleRevoked"][0]["account"] == admin
    assert contract.defaultAdmin() == ZERO_ADDRESS

    with brownie.reverts(error("CoopRolesNoAdmin")):
        contract.pause({"from": pauser})
    assert not contract.paused()
