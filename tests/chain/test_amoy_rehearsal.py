"""The pengurus's runbook for Polygon Amoy, rehearsed on an Anvil started with chain id
80002: deploy with `ksp deploy` and with brownie's `amoy` network, hand the operator role
to a new key, pause and unpause. Keys come from the environment, as they would there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

from ksp.chain.anvil import Anvil
from ksp.chain.client import fund_on_anvil, make_web3
from ksp.chain.compiler import PROJECT_ROOT, load_artifact
from tests.conftest import free_port

AMOY = 80002
OPERATOR_ROLE = Web3.keccak(text="OPERATOR_ROLE")
PAUSER_ROLE = Web3.keccak(text="PAUSER_ROLE")
KSP = str(Path(sys.executable).parent / "ksp")
BROWNIE = PROJECT_ROOT / ".venv-brownie" / "bin" / "brownie"


@pytest.fixture
def amoy(tmp_path):
    chain = Anvil(port=free_port(), chain_id=AMOY)
    chain.start()
    admin, operator = Account.create(), Account.create()
    w3 = make_web3(chain.url)
    for account in (admin, operator):
        fund_on_anvil(w3, account.address)
    env = {**os.environ, "KSP_RPC_URL": chain.url, "KSP_CHAIN_ID": str(AMOY),
           "KSP_OPERATOR_KEY": "0x" + bytes(operator.key).hex(),
           "KSP_ADMIN_ADDRESS": admin.address, "KSP_ADMIN_KEY": "0x" + bytes(admin.key).hex(),
           "KSP_DEPLOYMENTS_DIR": str(tmp_path / "deployments"),
           "KSP_VAR_DIR": str(tmp_path / "var")}
    yield chain, w3, admin, operator, env
    chain.stop()


def ksp(env, *args, ok=True):
    result = subprocess.run([KSP, *args], env=env, capture_output=True, text=True, timeout=300)
    assert (result.returncode == 0) == ok, result.stdout + result.stderr
    return result.stdout


def contract(w3, record, name):
    return w3.eth.contract(address=record["contracts"][name]["address"],
                           abi=load_artifact(name).abi)


def test_ksp_deploy_grant_revoke_pause_on_chain_80002(amoy, tmp_path):
    _chain, w3, admin, operator, env = amoy

    ksp(env, "deploy")
    record = json.loads((tmp_path / "deployments" / f"{AMOY}.json").read_text())
    assert record["chain_id"] == AMOY
    names = {"AnchorRegistry", "CoopMembers", "SavingsToken", "LoanAgreements", "RatVoting"}
    assert set(record["contracts"]) == names
    token = contract(w3, record, "SavingsToken")
    assert token.functions.hasRole(OPERATOR_ROLE, operator.address).call()
    assert token.functions.hasRole(b"\0" * 32, admin.address).call()
    assert not token.functions.hasRole(b"\0" * 32, operator.address).call()
    # The admin moves only in two steps, and pauses (it is the pauser unless one is named);
    # the operator hot key can neither pause nor unpause.
    assert token.functions.defaultAdmin().call() == admin.address
    assert token.functions.defaultAdminDelay().call() == 3 * 24 * 3600
    assert token.functions.hasRole(PAUSER_ROLE, admin.address).call()
    assert not token.functions.hasRole(PAUSER_ROLE, operator.address).call()

    ksp(env, "deploy")  # idempotent: same addresses
    again = json.loads((tmp_path / "deployments" / f"{AMOY}.json").read_text())
    assert again["contracts"] == record["contracts"]

    new_operator = Account.create().address
    ksp(env, "chain", "grant-operator", new_operator)
    ksp(env, "chain", "revoke-operator", operator.address)
    for name in names:
        c = contract(w3, record, name)
        assert c.functions.hasRole(OPERATOR_ROLE, new_operator).call()
        assert not c.functions.hasRole(OPERATOR_ROLE, operator.address).call()

    bad = ksp(env, "chain", "grant-operator", "0xnot-an-address", ok=False)
    assert "cannot run" in bad and "Traceback" not in bad
    assert "cannot run" in ksp(env, "chain", "pause", "--contract", "NoSuchThing", ok=False)

    hot_key = {**env, "KSP_ADMIN_KEY": "0x" + bytes(Account.create().key).hex()}
    refused = ksp(hot_key, "chain", "pause", ok=False)
    assert "PAUSER_ROLE" in refused and "Traceback" not in refused
    assert not any(contract(w3, record, n).functions.paused().call() for n in names)

    ksp(env, "chain", "pause")
    assert all(contract(w3, record, n).functions.paused().call() for n in names)
    ksp(env, "chain", "unpause")
    assert not any(contract(w3, record, n).functions.paused().call() for n in names)


def test_brownie_deploys_on_the_amoy_network(amoy, tmp_path):
    if not BROWNIE.exists():
        pytest.skip("SKIPPED LOUDLY: .venv-brownie missing; run `make setup`")
    _chain, w3, admin, _operator, env = amoy
    env = {**env, "KSP_DEPLOYER_KEY": env["KSP_ADMIN_KEY"]}
    result = subprocess.run([str(BROWNIE), "run", "scripts/deploy.py", "--network", "amoy"],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                            timeout=600)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

    record = json.loads((tmp_path / "deployments" / f"{AMOY}.json").read_text())
    registry = contract(w3, record, "AnchorRegistry")
    assert registry.functions.hasRole(b"\0" * 32, admin.address).call()
    assert len(record["contracts"]) == 5
