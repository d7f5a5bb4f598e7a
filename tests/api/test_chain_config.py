"""GET /api/v1/chain/config: the chain facts the member's page reads, defined once."""

from __future__ import annotations

from eth_account import Account
from fastapi.testclient import TestClient

from ksp.accounting.products import TOKEN_ID_BY_JENIS
from ksp.api.app import create_app
from ksp.chain.runtime import ChainRuntime
from ksp.chain.sender import contract
from ksp.ledger.chart import SAVINGS_TOKEN_IDS
from ksp.savings.service import ACCOUNT, Jenis


def test_without_a_chain_it_is_null_not_500_and_still_gives_the_token_ids(settings):
    reply = TestClient(create_app(settings)).get("/api/v1/chain/config")  # no token
    assert reply.status_code == 200
    assert reply.json() == {"chain_id": None, "rpc_url": settings.effective_rpc_url,
                            "contracts": {},
                            "savings_token_ids": {"pokok": 1, "wajib": 2, "sukarela": 3},
                            "receipt_signer": Account.from_key(
                                settings.operator_private_key()).address,
                            "anchor_every_minutes": settings.anchor_every_minutes}


def test_token_ids_come_from_the_one_python_definition(settings):
    body = TestClient(create_app(settings)).get("/api/v1/chain/config").json()
    assert body["savings_token_ids"] == TOKEN_ID_BY_JENIS == {
        jenis.value: SAVINGS_TOKEN_IDS[ACCOUNT[jenis]] for jenis in Jenis}


def test_with_a_chain_it_lists_the_contracts_and_ids_the_contract_agrees_with(chain_settings):
    runtime = ChainRuntime(chain_settings)
    deployment = runtime.deploy()
    body = TestClient(create_app(chain_settings, runtime)).get("/api/v1/chain/config").json()
    assert body["chain_id"] == 31337 and body["rpc_url"] == chain_settings.rpc_url
    names = deployment["contracts"]
    assert body["contracts"] == {name: info["address"] for name, info in names.items()}
    token = contract(runtime.connect(), deployment, "SavingsToken")
    assert body["savings_token_ids"] == {
        "pokok": token.functions.POKOK().call(), "wajib": token.functions.WAJIB().call(),
        "sukarela": token.functions.SUKARELA().call()}


def test_phones_get_the_public_rpc_url_when_set(settings):
    public = settings.model_copy(update={"public_rpc_url": "https://rpc.example.invalid"})
    reply = TestClient(create_app(public)).get("/api/v1/chain/config")
    assert reply.json()["rpc_url"] == "https://rpc.example.invalid"


def test_openapi_documents_the_response_body(settings):
    spec = TestClient(create_app(settings)).get("/openapi.json").json()
    ok = spec["paths"]["/api/v1/chain/config"]["get"]["responses"]["200"]
    assert ok["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ChainConfig"}
    fields = spec["components"]["schemas"]["ChainConfig"]["properties"]
    assert set(fields) == {"chain_id", "rpc_url", "contracts", "savings_token_ids",
                           "receipt_signer", "anchor_every_minutes"}
