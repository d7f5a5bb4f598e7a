"""Every response carries the browser-hardening headers: pages, API replies, errors."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from ksp.api.app import create_app


@pytest.fixture
def client(settings):
    return TestClient(create_app(settings))


@pytest.mark.parametrize("method,path", [("GET", "/health"), ("GET", "/"),
                                         ("GET", "/static/wallet.js"),
                                         ("GET", "/api/v1/members"),  # 401
                                         ("GET", "/no-such-page"),  # 404
                                         ("POST", "/api/v1/auth/login"),  # 422
                                         ("GET", "/docs"), ("GET", "/openapi.json")])
def test_every_response_has_the_security_headers(client, method, path):
    headers = client.request(method, path).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
    policy = headers["content-security-policy"]
    assert "script-src 'self';" in policy and "style-src 'self';" in policy
    assert "frame-ancestors 'none'" in policy


def test_the_wallet_page_may_connect_to_the_public_rpc(settings):
    public = settings.model_copy(update={"public_rpc_url": "https://rpc.example.invalid/x"})
    policy = TestClient(create_app(public)).get("/").headers["content-security-policy"]
    assert "connect-src 'self' https://rpc.example.invalid;" in policy
