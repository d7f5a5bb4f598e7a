"""Grant or revoke the backend's operator role with brownie:

    brownie run scripts/operator.py grant 0xNEW_OPERATOR --network amoy
    brownie run scripts/operator.py revoke 0xOLD_OPERATOR --network amoy

Signs with KSP_DEPLOYER_KEY (the pengurus admin key) on public networks, or the first
unlocked Anvil account locally. Same code as `ksp chain grant-operator|revoke-operator`.
"""

import sys
from pathlib import Path

from brownie import web3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "backend"))
sys.path.insert(0, str(ROOT / "scripts"))

from deploy import deployer_address, deployments_dir  # noqa: E402
from ksp.chain.admin import set_operator  # noqa: E402
from ksp.chain.deploy import read_deployment  # noqa: E402


def _run(address: str, grant: bool) -> None:
    web3.eth.default_account = deployer_address()
    deployment = read_deployment(deployments_dir(), web3.eth.chain_id)
    changed = set_operator(web3, deployment, address, grant=grant)
    print(f"{'granted' if grant else 'revoked'} on {len(changed)} contracts")


def grant(address: str) -> None:
    _run(address, True)


def revoke(address: str) -> None:
    _run(address, False)
