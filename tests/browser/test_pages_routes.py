"""The routes behind the wallet page, without a browser: the page, its modules, ethers, jsQR."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ksp.api import pages
from ksp.api.app import create_app


@pytest.fixture
def client(settings):
    return TestClient(create_app(settings))


@pytest.mark.parametrize("path", ["/", "/wallet"])
def test_page_is_served_at_root_and_wallet(client, path):
    reply = client.get(path)
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert '<html lang="id">' in reply.text and "/static/wallet/main.js" in reply.text
    for module in ("wallet/main.js", "wallet/view.js", "lib/api.js", "lib/i18n/id.json"):
        assert client.get("/static/" + module).status_code == 200, module
    assert client.get("/static/wallet.css").status_code == 200


def test_page_modules_are_revalidated_so_old_and_new_never_mix(client):
    first = client.get("/static/wallet/main.js")
    assert first.status_code == 200 and first.headers["cache-control"] == "no-cache"
    assert "javascript" in first.headers["content-type"]
    again = client.get("/static/wallet/main.js", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    table = client.get("/static/lib/i18n/en.json")
    assert table.headers["content-type"].startswith("application/json")  # JSON modules need it


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


def test_jsqr_is_served_gzipped_and_cacheable(client):
    if not pages.JSQR_PATH.is_file():
        pytest.skip("SKIPPED LOUDLY: node_modules/jsqr missing (run npm ci)")
    plain = pages.JSQR_PATH.read_bytes()
    reply = client.get("/vendor/jsQR.js", headers={"Accept-Encoding": "gzip"})
    assert reply.status_code == 200
    assert reply.headers["content-encoding"] == "gzip"
    assert reply.headers["content-type"] == "text/javascript; charset=utf-8"
    assert reply.content == plain
    again = client.get("/vendor/jsQR.js", headers={"If-None-Match": reply.headers["etag"]})
    assert again.status_code == 304


def test_missing_jsqr_is_a_json_404(client, monkeypatch, tmp_path):
    monkeypatch.setattr(pages, "JSQR_PATH", tmp_path / "nope.js")
    reply = client.get("/vendor/jsQR.js")
    assert reply.status_code == 404 and reply.json()["code"] == "not_found"
    assert reply.json()["details"]["path"] == "node_modules/jsqr/dist/nope.js"
