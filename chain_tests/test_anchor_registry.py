import brownie
import pytest
from eth_utils import keccak

OPERATOR_ROLE = keccak(text="OPERATOR_ROLE")
ROOT_A = "0x" + "ab" * 32
ROOT_B = "0x" + "cd" * 32
ZERO = "0x" + "00" * 32


def latest(registry):
    size, root, count = registry.latest()
    return int(size), str(root), int(count)


@pytest.fixture(scope="module")
def registry(AnchorRegistry, admin, operator):
    return AnchorRegistry.deploy(admin, operator, {"from": admin})


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


def test_pause_stops_anchoring_until_unpaused(registry, admin, operator, error):
    registry.pause({"from": admin})
    with brownie.reverts(error("EnforcedPause")):
        registry.anchor(1, ROOT_A, {"from": operator})
    registry.unpause({"from": admin})
    registry.anchor(1, ROOT_A, {"from": operator})
    assert latest(registry)[0] == 1


def test_only_admin_can_pause(registry, operator, error):
    expected = error("AccessControlUnauthorizedAccount", operator.address, b"\x00" * 32)
    with brownie.reverts(expected):
        registry.pause({"from": operator})


def test_admin_can_grant_and_revoke_operator(registry, admin, stranger):
    registry.grantRole(OPERATOR_ROLE, stranger, {"from": admin})
    registry.anchor(3, ROOT_A, {"from": stranger})
    registry.revokeRole(OPERATOR_ROLE, stranger, {"from": admin})
    assert not registry.hasRole(OPERATOR_ROLE, stranger)
