"""The routes behind the wallet page, without a browser: the page, ethers, chain config."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ksp.api import pages
from ksp.api.app import create_app
from ksp.chain.runtime import ChainRuntime


@pytest.fixture
def client(settings):
    return TestClient(create_app(settings))


@pytest.mark.parametrize("path", ["/", "/wallet"])
def test_page_is_served_at_root_and_wallet(client, path):
    reply = client.get(path)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert '<html lang="id">' in reply.text and "/static/wallet.js" in reply.text
    assert client.get("/static/wallet.js").status_code == 200
    assert client.get("/static/wallet.css").status_code == 200


def test_api_routes_still_win_and_unknown_paths_get_json_404(client):
    assert client.get("/health").json()["db"] == "ok"
    reply = client.get("/no-such-page")
    assert reply.status_code == 404 and reply.json()["code"] == "not_found"


def test_ethers_is_served_gzipped_and_cacheable(client):
    if not pages.ETHERS_PATH.is_file():
        pytest.skip("SKIPPED LOUDLY: node_modules/ethers missing (run npm ci)")
    plain = pages.ETHERS_PATH.read_bytes()
    reply = client.get("/vendor/ethers.umd.min.js", headers={"Accept-Encoding": "gzip"})
    assert reply.status_code == 200
    assert reply.headers["content-encoding"] == "gzip"
    assert int(reply.headers["content-length"]) < len(plain) // 2
    assert reply.content == plain  # httpx decodes the gzip body
    again = client.get("/vendor/ethers.umd.min.js",
                       headers={"If-None-Match": reply.headers["etag"]})
    assert again.status_code == 304


def test_missing_ethers_is_a_json_404(client, monkeypatch, tmp_path):
    monkeypatch.setattr(pages, "ETHERS_PATH", tmp_path / "nope.js")
    reply = client.get("/vendor/ethers.umd.min.js")
    assert reply.status_code == 404 and reply.json()["code"] == "not_found"


def test_chain_config_without_a_chain_is_null_not_500(client, settings):
    reply = client.get("/api/v1/chain/config")
    assert reply.status_code == 200
    assert reply.json() == {"chain_id": None, "rpc_url": settings.effective_rpc_url,
                            "contracts": {}}


def test_chain_config_lists_deployed_contracts(chain_settings):
    runtime = ChainRuntime(chain_settings)
    deployment = runtime.deploy()
    body = TestClient(create_app(chain_settings, runtime)).get("/api/v1/chain/config").json()
    assert body["chain_id"] == 31337 and body["rpc_url"] == chain_settings.rpc_url
    token = deployment["contracts"]["SavingsToken"]["address"]
    assert body["contracts"]["SavingsToken"] == token



def test_chain_config_gives_phones_the_public_rpc_url_when_set(settings):
    public = settings.model_copy(update={"public_rpc_url": "https://rpc.example.invalid"})
    reply = TestClient(create_app(public)).get("/api/v1/chain/config")
    assert reply.json()["rpc_url"] == "https://rpc.example.invalid"
