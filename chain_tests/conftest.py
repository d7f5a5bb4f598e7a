import importlib.util
from pathlib import Path

import brownie.test
import pytest
from helpers import ADMIN_DELAY


@pytest.fixture(scope="function", autouse=True)
def isolate(fn_isolation):
    """Each test starts from the same chain state (brownie snapshots and reverts)."""


@pytest.fixture(scope="module")
def admin(accounts):
    return accounts[0]


@pytest.fixture(scope="module")
def operator(accounts):
    return accounts[1]


@pytest.fixture(scope="module")
def pauser(accounts):
    """Holds PAUSER_ROLE only: stops the contracts in an emergency; the admin resumes them."""
    return accounts[8]


@pytest.fixture(scope="module")
def stranger(accounts):
    return accounts[9]


def custom_error(name: str, *args) -> str:
    """A custom error with its arguments, as brownie decodes it from the revert data.

    Brownie renders `Name: arg1, arg2` with addresses in lowercase hex and bytes32 as bytes.
    """
    rendered = [a.lower() if isinstance(a, str) and a.startswith("0x") else a for a in args]
    return f"{name}: " + ", ".join(str(a) for a in rendered)


@pytest.fixture(scope="session")
def error():
    return custom_error


# --- contracts ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def coop_members(CoopMembers, admin, operator, pauser):
    return CoopMembers.deploy(admin, operator, pauser, ADMIN_DELAY, {"from": admin})


@pytest.fixture(scope="module")
def savings(SavingsToken, admin, operator, pauser):
    return SavingsToken.deploy(admin, operator, pauser, ADMIN_DELAY, {"from": admin})


@pytest.fixture(scope="module")
def loans(LoanAgreements, admin, operator, pauser):
    return LoanAgreements.deploy(admin, operator, pauser, ADMIN_DELAY, {"from": admin})


@pytest.fixture(scope="module")
def voting(RatVoting, coop_members, admin, operator, pauser):
    return RatVoting.deploy(admin, operator, pauser, ADMIN_DELAY, coop_members, {"from": admin})


@pytest.fixture(scope="module")
def keyholders(accounts):
    """Fresh keys whose private keys the tests hold (members sign typed data with them)."""
    return [accounts.add() for _ in range(12)]


@pytest.fixture(scope="session")
def chain_id(web3):
    return web3.eth.chain_id


@pytest.fixture(scope="session")
def state_machine():
    """brownie's `state_machine` (Hypothesis rule-based state machines), from its Python source.

    brownie 1.22.2 ships `brownie.test.stateful` compiled with mypyc, and there the machine it
    generates cannot subclass the native `_BrownieStateMachine` ("TypeError: ... object
    expected"). The `stateful.py` shipped next to the compiled module is the same code; loading
    it keeps brownie's behaviour (a chain snapshot, reverted before every example).
    """
    source = Path(brownie.test.__file__).with_name("stateful.py")
    spec = importlib.util.spec_from_file_location("brownie_stateful_source", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.state_machine
