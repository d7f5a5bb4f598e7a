import brownie
import pytest
from helpers import ADMIN_DELAY, ADMIN_ROLE, OPERATOR_ROLE, PAUSER_ROLE

MAX_STEP = 1_000
ROOT_A = "0x" + "ab" * 32
ROOT_B = "0x" + "cd" * 32
ZERO = "0x" + "00" * 32


def latest(registry):
    size, root, count = registry.latest()
    return int(size), str(root), int(count)


@pytest.fixture(scope="module")
def registry(AnchorRegistry, admin, operator, pauser):
    return AnchorRegistry.deploy(admin, operator, pauser, ADMIN_DELAY, MAX_STEP, {"from": admin})


def test_anchor_stores_latest_and_emits_event_with_arguments(registry, operator):
    tx = registry.anchor(10, ROOT_A, {"from": operator})

    assert latest(registry) == (10, ROOT_A, 1)
    assert len(tx.events["Anchored"]) == 1
    event = tx.events["Anchored"][0]
    assert event["index"] == 0
    assert event["treeSize"] == 10
    assert event["root"] == ROOT_A


def test_second_anchor_gets_next_index(registry, operator):
    registry.anchor(10, ROOT_A, {"from": operator})
    tx = registry.anchor(25, ROOT_B, {"from": operator})

    assert tx.events["Anchored"][0]["index"] == 1
    assert latest(registry) == (25, ROOT_B, 2)


def test_non_operator_is_rejected_with_access_control_error(registry, stranger, error):
    expected = error("AccessControlUnauthorizedAccount", stranger.address, OPERATOR_ROLE)
    with brownie.reverts(expected):
        registry.anchor(1, ROOT_A, {"from": stranger})
    assert latest(registry) == (0, ZERO, 0)


def test_admin_without_operator_role_cannot_anchor(registry, admin, error):
    expected = error("AccessControlUnauthorizedAccount", admin.address, OPERATOR_ROLE)
    with brownie.reverts(expected):
        registry.anchor(1, ROOT_A, {"from": admin})


@pytest.mark.parametrize("next_size", [10, 9, 0])
def test_non_increasing_size_is_rejected(registry, operator, error, next_size):
    registry.anchor(10, ROOT_A, {"from": operator})
    expected = error("AnchorRegistrySizeNotIncreasing", 10, next_size)
    with brownie.reverts(expected):
        registry.anchor(next_size, ROOT_B, {"from": operator})
    assert latest(registry) == (10, ROOT_A, 1)


def test_zero_root_is_rejected(registry, operator, error):
    with brownie.reverts(error("AnchorRegistryZeroRoot")):
        registry.anchor(1, ZERO, {"from": operator})


def test_pause_stops_anchoring_until_unpaused(registry, admin, operator, pauser, error):
    registry.pause({"from": pauser})
    with brownie.reverts(error("EnforcedPause")):
        registry.anchor(1, ROOT_A, {"from": operator})
    registry.unpause({"from": admin})
    registry.anchor(1, ROOT_A, {"from": operator})
    assert latest(registry)[0] == 1


def test_operator_can_neither_pause_nor_unpause(registry, operator, error):
    with brownie.reverts(error("AccessControlUnauthorizedAccount", operator.address, PAUSER_ROLE)):
        registry.pause({"from": operator})
    with brownie.reverts(error("AccessControlUnauthorizedAccount", operator.address, ADMIN_ROLE)):
        registry.unpause({"from": operator})


def test_admin_can_grant_and_revoke_operator(registry, admin, stranger):
    registry.grantRole(OPERATOR_ROLE, stranger, {"from": admin})
    registry.anchor(3, ROOT_A, {"from": stranger})
    registry.revokeRole(OPERATOR_ROLE, stranger, {"from": admin})
    assert not registry.hasRole(OPERATOR_ROLE, stranger)


# --- bounded growth and recovery (issue 8: one anchor must not end anchoring) ---------------

MAX_UINT64 = 2**64 - 1


def test_constructor_records_the_max_step_with_an_event(registry):
    assert registry.maxTreeSizeStep() == MAX_STEP
    [event] = registry.tx.events["MaxTreeSizeStepChanged"]
    assert (event["previousMaxStep"], event["maxStep"]) == (0, MAX_STEP)


def test_constructor_refuses_a_zero_max_step(AnchorRegistry, admin, operator, pauser, error):
    with brownie.reverts(error("AnchorRegistryZeroMaxStep")):
        AnchorRegistry.deploy(admin, operator, pauser, ADMIN_DELAY, 0, {"from": admin})


def test_the_attack_a_huge_tree_size_is_refused_and_anchoring_goes_on(registry, operator, error):
    registry.anchor(10, ROOT_A, {"from": operator})
    with brownie.reverts(error("AnchorRegistryStepTooLarge", 10, MAX_UINT64, MAX_STEP)):
        registry.anchor(MAX_UINT64, ROOT_B, {"from": operator})
    assert latest(registry) == (10, ROOT_A, 1)
    registry.anchor(11, ROOT_B, {"from": operator})  # the next honest anchor still lands
    assert latest(registry) == (11, ROOT_B, 2)


def test_growth_up_to_the_max_step_is_allowed_one_more_is_not(registry, operator, error):
    registry.anchor(MAX_STEP, ROOT_A, {"from": operator})
    with brownie.reverts(error("AnchorRegistryStepTooLarge", MAX_STEP, 2 * MAX_STEP + 1, MAX_STEP)):
        registry.anchor(2 * MAX_STEP + 1, ROOT_B, {"from": operator})
    registry.anchor(2 * MAX_STEP, ROOT_B, {"from": operator})
    assert latest(registry) == (2 * MAX_STEP, ROOT_B, 2)


def test_admin_changes_the_max_step_with_an_event(registry, admin, operator, error):
    tx = registry.setMaxTreeSizeStep(5 * MAX_STEP, {"from": admin})
    assert tx.events["MaxTreeSizeStepChanged"][0]["previousMaxStep"] == MAX_STEP
    assert tx.events["MaxTreeSizeStepChanged"][0]["maxStep"] == 5 * MAX_STEP
    registry.anchor(5 * MAX_STEP, ROOT_A, {"from": operator})
    with brownie.reverts(error("AnchorRegistryZeroMaxStep")):
        registry.setMaxTreeSizeStep(0, {"from": admin})


def test_operator_cannot_change_the_max_step(registry, operator, error):
    with brownie.reverts(error("AccessControlUnauthorizedAccount", operator.address, ADMIN_ROLE)):
        registry.setMaxTreeSizeStep(MAX_UINT64, {"from": operator})
    assert registry.maxTreeSizeStep() == MAX_STEP


def test_admin_recovers_from_a_bogus_anchor(registry, admin, operator):
    registry.anchor(10, ROOT_A, {"from": operator})
    bogus = 10 + MAX_STEP  # the most a leaked hot key can claim in one anchor
    registry.anchor(bogus, ROOT_B, {"from": operator})

    tx = registry.resetAnchor(10, ROOT_A, {"from": admin})

    [event] = tx.events["AnchorRecovered"]
    assert event["previousTreeSize"] == bogus
    assert event["previousRoot"] == ROOT_B
    assert event["treeSize"] == 10
    assert event["root"] == ROOT_A
    assert "Anchored" not in tx.events
    assert latest(registry) == (10, ROOT_A, 2)  # the bogus anchor stays counted, in history
    again = registry.anchor(12, ROOT_B, {"from": operator})
    assert again.events["Anchored"][0]["index"] == 2
    assert latest(registry) == (12, ROOT_B, 3)


def test_recovery_works_while_paused(registry, admin, operator, pauser):
    registry.anchor(10, ROOT_A, {"from": operator})
    registry.pause({"from": pauser})
    registry.resetAnchor(0, ZERO, {"from": admin})
    assert latest(registry) == (0, ZERO, 1)


@pytest.mark.parametrize("size, root", [(5, ZERO), (0, ROOT_A)])
def test_recovery_refuses_a_root_that_does_not_fit_the_size(registry, admin, error, size, root):
    with brownie.reverts(error("AnchorRegistryInvalidRecovery", size, bytes.fromhex(root[2:]))):
        registry.resetAnchor(size, root, {"from": admin})


def test_only_the_admin_recovers(registry, operator, pauser, error):
    for caller in (operator, pauser):
        expected = error("AccessControlUnauthorizedAccount", caller.address, ADMIN_ROLE)
        with brownie.reverts(expected):
            registry.resetAnchor(1, ROOT_A, {"from": caller})
