"""Emergency pause and resume with brownie:

    brownie run scripts/pause.py pause --network amoy
    brownie run scripts/pause.py unpause --network amoy

Same code as `ksp chain pause|unpause`; signs as in scripts/deploy.py. Pausing needs
PAUSER_ROLE, unpausing the admin (DEFAULT_ADMIN_ROLE); the operator key can do neither.
"""

import sys
from pathlib import Path

from brownie import web3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "backend"))
sys.path.insert(0, str(ROOT / "scripts"))

from deploy import deployer_address, deployments_dir  # noqa: E402
from ksp.chain.admin import set_paused  # noqa: E402
from ksp.chain.deploy import read_deployment  # noqa: E402


def _run(paused: bool) -> None:
    web3.eth.default_account = deployer_address()
    deployment = read_deployment(deployments_dir(), web3.eth.chain_id)
    changed = set_paused(web3, deployment, paused=paused)
    print(f"{'paused' if paused else 'unpaused'} {len(changed)} contracts")


def pause() -> None:
    _run(True)


def unpause() -> None:
    _run(False)
