"""Bodies built to crash a parser are refused before any route or parser sees them, on
every route, with or without a token, and in our error shape."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx
import pytest
from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi.testclient import TestClient

from ksp.api.app import create_app
from ksp.api.guard import PYTHON_RECURSION_LIMIT, nested_deeper_than
from tests.conftest import free_port

DEEP = 70_000


def deep_body(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def assert_error(reply: httpx.Response, status: int, code: str) -> dict:
    assert reply.status_code == status, reply.text
    body = reply.json()
    assert body["code"] == code
    assert body["message"].strip() and body["message_en"].strip()
    assert body["message"] != body["message_en"]
    assert isinstance(body["details"], dict)
    return body


def test_a_real_server_survives_a_70000_deep_body_without_a_token(tmp_path):
    """The acceptance test of issue 8: `ksp serve` on a free port, SQLite in tmp."""
    port = free_port()
    env = {**os.environ, "KSP_ENV": "test", "KSP_VAR_DIR": str(tmp_path / "var"),
           "KSP_DATABASE_URL": f"sqlite:///{tmp_path / 'ksp.sqlite3'}",
           "KSP_DEPLOYMENTS_DIR": str(tmp_path / "deployments"),
           "KSP_RPC_URL": "http://127.0.0.1:9", "KSP_PORT": str(port)}
    server = subprocess.Popen([sys.executable, "-m", "ksp.cli", "serve"], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, server.communicate()[0].decode()[-2000:]
            try:
                if httpx.get(f"{url}/health", timeout=5).status_code == 200:
                    break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "ksp serve did not answer in 60 s"
                time.sleep(0.2)
        for path in ("/api/v1/auth/login", "/api/v1/members", "/api/v1/adart"):
            reply = httpx.post(url + path, content=deep_body(DEEP), timeout=30,
                               headers={"Content-Type": "application/json"})
            assert_error(reply, 400, "body_too_deep")
        assert server.poll() is None, "the server died"
        assert httpx.get(f"{url}/health", timeout=5).status_code == 200
    finally:
        server.terminate()
        server.wait(timeout=30)


@pytest.fixture
def client(settings):
    return TestClient(create_app(settings))


@pytest.mark.parametrize("path", ["/api/v1/auth/login", "/api/v1/members",
                                  "/api/v1/members/1/deposits", "/api/v1/adart",
                                  "/api/v1/periods/close", "/api/v1/wallet/challenges"])
def test_deep_json_is_refused_before_the_token_is_checked(client, path):
    assert_error(client.post(path, content=deep_body(DEEP)), 400, "body_too_deep")


def test_an_adart_change_nested_300_levels_is_a_4xx(client):
    nested = b'{"a":' * 300 + b"1" + b"}" * 300
    body = b'{"effective_date":"2026-01-01","changes":' + nested + b"}"
    assert_error(client.post("/api/v1/adart", content=body,
                             headers={"Content-Type": "application/json"}),
                 400, "body_too_deep")


def test_nesting_inside_strings_does_not_count(client):
    text = b'{"username":"' + b"[{" * 5000 + b'","password":"x"}'
    reply = client.post("/api/v1/auth/login", content=text)
    assert reply.json()["code"] != "body_too_deep"
    assert not nested_deeper_than(b'["\\"[[[[", {"a": [1]}]', 3)
    assert nested_deeper_than(b"[[[[]]]]", 3)


def test_body_over_the_size_limit_is_413(settings):
    small = TestClient(create_app(settings.model_copy(update={"max_body_bytes": 1000})))
    assert_error(small.post("/api/v1/auth/login", content=b" " * 1001), 413,
                 "body_too_large")
    assert small.post("/api/v1/auth/login",
                      json={"username": "x", "password": "y"}).status_code == 401


def test_invalid_utf8_is_refused_in_both_languages(client):
    reply = client.post("/api/v1/auth/login", content=b'{"username":"\xff\xfe","password":"x"}',
                        headers={"Content-Type": "application/json"})
    assert_error(reply, 400, "invalid_utf8")


def test_duplicate_json_keys_are_refused(client):
    reply = client.post("/api/v1/auth/login",
                        content=b'{"username":"a","password":"x","username":"b"}',
                        headers={"Content-Type": "application/json"})
    assert assert_error(reply, 400, "duplicate_key")["details"] == {"key": "username"}


def test_an_integer_too_long_to_convert_is_refused_not_500(client):
    reply = client.post("/api/v1/auth/login", content=b'{"username":' + b"9" * 5000 + b"}")
    assert_error(reply, 400, "invalid_json")


def test_recursion_limit_is_back_and_wallet_signatures_still_work(settings):
    create_app(settings)
    assert sys.getrecursionlimit() == PYTHON_RECURSION_LIMIT
    account = Account.create()
    message = encode_defunct(text="masuk ke KSP")
    signature = account.sign_message(message).signature
    assert Account.recover_message(message, signature=signature) == account.address
