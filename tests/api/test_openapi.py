"""The OpenAPI document tells the truth: response bodies, every 4xx in our error shape
with its codes, Idempotency-Key required on writes, a bearer scheme, and /docs that needs
no internet."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from ksp.api.app import create_app

# Owned by ksp.auth.routes (another area): they get their errors documented here, their
# response models there.
AUTH_PATHS = {"/api/v1/auth/login", "/api/v1/auth/wallet", "/api/v1/auth/me"}
UNAUTHENTICATED_WRITES = {"/api/v1/auth/login", "/api/v1/auth/wallet",
                          "/api/v1/wallet/challenges",
                          # the same signed proof filed again returns the same code
                          "/api/v1/wallet/link-requests"}
ERROR_REF = "#/components/schemas/ErrorBody"


@pytest.fixture(scope="module")
def schema(tmp_path_factory):
    from ksp.core.settings import Environment, Settings

    tmp = tmp_path_factory.mktemp("openapi")
    settings = Settings(env=Environment.TEST, var_dir=tmp / "var",
                        deployments_dir=tmp / "deployments",
                        database_url=f"sqlite:///{tmp / 'ksp.sqlite3'}",
                        rpc_url="http://127.0.0.1:9")
    client = TestClient(create_app(settings))
    return client, client.get("/openapi.json").json()


NOT_JSON = {"/api/v1/log/export": "application/x-ndjson",
            "/api/v1/log/entries/{seq}/receipt.svg": "image/svg+xml",
            "/api/v1/wallet/link-requests/{code}.svg": "image/svg+xml",
            "/api/v1/loans/{loan_id}/terms.html": "text/html"}


def operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


def test_every_route_documents_its_response_body(schema):
    _client, doc = schema
    for path, method, operation in operations(doc):
        if path in AUTH_PATHS:
            continue
        ok = [s for s in operation["responses"] if s.startswith("2")]
        assert len(ok) == 1, (path, method)
        content = operation["responses"][ok[0]]["content"]
        if path in NOT_JSON:
            assert list(content) == [NOT_JSON[path]]
            continue
        if path.endswith((".pdf", ".csv")):  # printed reports (ksp.printing)
            assert list(content) == [{"pdf": "application/pdf", "csv": "text/csv"}[path[-3:]]]
            continue
        body = content["application/json"]["schema"]
        assert "$ref" in body or "type" in body, (path, method, body)


def test_every_4xx_is_our_error_body_with_its_codes(schema):
    _client, doc = schema
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    error = doc["components"]["schemas"]["ErrorBody"]
    assert set(error["required"]) == {"code", "message", "message_en", "details"}
    for path, method, operation in operations(doc):
        for status, response in operation["responses"].items():
            if not status.startswith("4"):
                continue
            assert response["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}
            assert response["x-codes"], (path, method, status)
            for code in response["x-codes"]:
                assert f"`{code}`" in response["description"]


def test_routes_list_the_errors_of_their_services(schema):
    _client, doc = schema
    deposit = doc["paths"]["/api/v1/members/{number}/deposits"]["post"]["responses"]
    assert deposit["404"]["x-codes"] == ["unknown_member"]
    assert {"member_not_active", "pokok_already_paid", "period_closed", "request_in_progress"
            } <= set(deposit["409"]["x-codes"])
    assert {"body_too_deep", "duplicate_key", "invalid_utf8", "idempotency_key_required"
            } <= set(deposit["400"]["x-codes"])
    assert deposit["413"]["x-codes"] == ["body_too_large"]
    assert deposit["401"]["x-codes"] == ["unauthenticated", "session_ended",
                                        "wallet_replaced"]
    assert deposit["403"]["x-codes"] == ["forbidden"]
    login = doc["paths"]["/api/v1/auth/login"]["post"]["responses"]
    assert login["401"]["x-codes"] == ["bad_credentials"]


def test_idempotency_key_is_a_required_header_on_every_write(schema):
    _client, doc = schema
    writes = [(p, o) for p, m, o in operations(doc)
              if m == "post" and p not in UNAUTHENTICATED_WRITES]
    assert len(writes) >= 7
    for path, operation in writes:
        keys = [p for p in operation["parameters"] if p["name"] == "Idempotency-Key"]
        assert keys and keys[0]["required"] is True and keys[0]["in"] == "header", path


def test_bearer_scheme_covers_every_route_that_needs_a_token(schema):
    client, doc = schema
    assert doc["components"]["securitySchemes"]["bearer"] == {
        "type": "http", "scheme": "bearer", "description": doc["components"][
            "securitySchemes"]["bearer"]["description"]}
    for path, method, operation in operations(doc):
        names = {p["name"].lower() for p in operation.get("parameters", [])}
        assert "authorization" not in names, (path, method)
        secured = operation.get("security") == [{"bearer": []}]
        assert secured == ("401" in operation["responses"]
                           and "unauthenticated" in operation["responses"]["401"]["x-codes"])
    assert doc["paths"]["/api/v1/members"]["get"]["security"] == [{"bearer": []}]
    assert "security" not in doc["paths"]["/health"]["get"]


def test_docs_page_uses_only_local_assets(schema):
    client, _doc = schema
    page = client.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert not re.search(r"(src|href)=\"https?://", page.text), page.text
    for asset in re.findall(r"(?:src|href)=\"(/vendor/[^\"]+)\"", page.text):
        reply = client.get(asset)
        assert reply.status_code == 200, asset
        assert reply.headers["x-content-type-options"] == "nosniff"
    assert client.get("/redoc").status_code == 404
    assert client.get("/vendor/swagger-ui/package.json").status_code == 404
    assert client.get("/vendor/swagger-ui/..%2F..%2Fpackage.json").status_code == 404
