import pytest


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
