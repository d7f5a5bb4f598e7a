"""Deploy the contracts with brownie: `brownie run scripts/deploy.py --network ksp-test`.

The deploy logic is the backend's (ksp.chain.deploy), so `ksp deploy` and this script
write the same deployments/<chainId>.json. On a local Anvil the first unlocked account
deploys; elsewhere KSP_DEPLOYER_KEY (hex, from the environment) signs. KSP_ADMIN_ADDRESS,
KSP_OPERATOR_ADDRESS and KSP_PAUSER_ADDRESS name the roles (default: the deployer; the
pauser defaults to the admin).
"""

import os
import sys
from pathlib import Path

from brownie import accounts, network, web3

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "backend"))

from ksp.chain.deploy import Roles, deploy_all  # noqa: E402


def deployer_address() -> str:
    key = os.environ.get("KSP_DEPLOYER_KEY")
    if key:
        from eth_account import Account
        from web3.middleware import SignAndSendRawMiddlewareBuilder

        account = Account.from_key(key)
        web3.middleware_onion.inject(SignAndSendRawMiddlewareBuilder.build(account), layer=0)
        return account.address
    if network.show_active() in ("development", "ksp-test", "anvil"):
        return accounts[0].address
    raise SystemExit("set KSP_DEPLOYER_KEY to deploy on a public network")


def deployments_dir() -> Path:
    return Path(os.environ.get("KSP_DEPLOYMENTS_DIR", ROOT / "deployments"))


def main() -> None:
    deployer = deployer_address()
    web3.eth.default_account = deployer
    roles = Roles(
        admin=os.environ.get("KSP_ADMIN_ADDRESS", deployer),
        operator=os.environ.get("KSP_OPERATOR_ADDRESS", deployer),
        pauser=os.environ.get("KSP_PAUSER_ADDRESS"),  # the admin if unset
    )
    record = deploy_all(web3, roles, deployments_dir(), root=ROOT, log=print)
    print(f"chain {record['chain_id']}: {sorted(record['contracts'])}")
