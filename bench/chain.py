"""A fresh Anvil with the contracts deployed, for gas benchmarks."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory

from eth_account import Account
from web3 import Web3

from ksp.chain.anvil import Anvil
from ksp.chain.client import fund_on_anvil, make_web3
from ksp.chain.deploy import Roles, deploy_all


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def deployed_chain() -> Iterator[tuple[Web3, dict[str, object]]]:
    operator = Account.create()
    with Anvil(port=_free_port()) as anvil, TemporaryDirectory() as tmp:
        w3 = make_web3(anvil.url, "0x" + bytes(operator.key).hex())
        fund_on_anvil(w3, operator.address)
        roles = Roles(admin=operator.address, operator=operator.address)
        record = deploy_all(w3, roles, Path(tmp))
        yield w3, record
