"""A test client that signs in like the real users do."""

from __future__ import annotations

import itertools
from typing import Any

from eth_account import Account
from eth_account.messages import encode_defunct
from fastapi.testclient import TestClient

from ksp.api.app import create_app
from ksp.auth.models import Role
from ksp.auth.service import create_staff
from ksp.core.db import transaction
from ksp.core.settings import Settings

_keys = itertools.count(1)
PASSWORD = "rahasia-uji-123"  # test-only staff password, created per test DB


class KspClient:
    def __init__(self, settings: Settings) -> None:
        self.app = create_app(settings)
        self.http = TestClient(self.app)
        self.tokens: dict[str, str] = {}

    def staff(self, role: Role, username: str | None = None) -> str:
        username = username or role.value
        if username not in self.tokens:
            with transaction(self.app.state.sessionmaker) as session:
                create_staff(session, username=username, password=PASSWORD, role=role)
            reply = self.http.post("/api/v1/auth/login",
                                   json={"username": username, "password": PASSWORD})
            assert reply.status_code == 200, reply.text
            self.tokens[username] = reply.json()["token"]
        return self.tokens[username]

    def headers(self, token: str, key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}"}
        headers["Idempotency-Key"] = key or f"k-{next(_keys)}"
        return headers

    def post(self, path: str, body: Any, token: str, key: str | None = None) -> Any:
        return self.http.post(path, json=body, headers=self.headers(token, key))

    def get(self, path: str, token: str) -> Any:
        return self.http.get(path, headers={"Authorization": f"Bearer {token}"})

    def wallet_proof(self, account: Any, purpose: str = "link") -> dict[str, str]:
        reply = self.http.post("/api/v1/wallet/challenges",
                               json={"address": account.address, "purpose": purpose})
        assert reply.status_code == 201, reply.text
        message = reply.json()["message"]
        signed = account.sign_message(encode_defunct(text=message))
        return {"message": message, "signature": "0x" + signed.signature.hex().removeprefix("0x")}

    def member_login(self, account: Any) -> str:
        reply = self.http.post("/api/v1/auth/wallet", json=self.wallet_proof(account, "login"))
        assert reply.status_code == 200, reply.text
        token: str = reply.json()["token"]
        return token


def new_wallet() -> Any:
    return Account.create()
