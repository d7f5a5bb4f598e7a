"""The pengawas (supervisor) may open every console page and change nothing. The pages and
forms are found from the app's own routes, so a screen added later is covered without
editing this test: every GET answers without a server error, every form POST (other than
signing out, changing one's own password, the one loan approval the law gives the pengawas,
and co-signing a RAT paper count) is refused with 403 and no table gains or loses a row."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.routing import APIRoute
from sqlalchemy import func, select

from ksp.auth.models import Role
from ksp.core.db import Base
from ksp.core.settings import Settings
from tests.console.test_console import sign_in
from tests.support.client import KspClient
from tests.support.factories import anggota

# Every role may do these for itself; they are not writes to the cooperative's data.
OWN_ACCOUNT = {"/staff/masuk", "/staff/keluar", "/staff/sandi"}
# The pengawas approves a related-party loan (Permenkop 8/2023): the form reaches the loan
# service, which refuses every other case; here there is no such loan, so nothing is written.
PENGAWAS_DECIDES = {"/staff/pinjaman/{loan_id}/setujui"}
# The pengawas' other write in the console (docs/RAT.md): co-signing the chair's paper count.
PENGAWAS_WRITES = {"/staff/rat/{meeting_id}/acara/{position}/tandatangan"}
PARAM = re.compile(r"\{([^}:]+)(?::[^}]*)?\}")
# Tables a sign-in or a page view may touch by design (sessions, throttles, challenges).
BOOKKEEPING = {"login_throttle", "wallet_challenges"}
# A form rich enough that a route which forgot its role check would write something.
FORM = {"member": "{number}", "arah": "setor", "jenis": "sukarela", "amount": "50.000",
        "reason": "uji pengawas", "alasan": "uji pengawas", "seq": "1", "code": "ABCD-EFGH",
        "username": "staf.baru", "role": "admin", "password": "sandi-yang-cukup-panjang-9",
        "phone": "081234567899", "address": "Jl. Baru 2", "occupation": "Guru",
        "new_address": "0x" + "12" * 20, "identity_checked": "1", "tanggal": "",
        "anggota": "{number}", "confirm": "1"}


def table_counts(client: KspClient) -> dict[str, int]:
    with client.app.state.sessionmaker() as session:
        return {table.name: session.scalar(select(func.count()).select_from(table)) or 0
                for table in Base.metadata.sorted_tables if table.name not in BOOKKEEPING}


def walk(routes: list[Any], prefix: str = "") -> list[tuple[str, set[str]]]:
    """Every route with its full path (FastAPI keeps included routers as their own nodes)."""
    found: list[tuple[str, set[str]]] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            found += walk(inner.routes, prefix + route.include_context.prefix)
        elif isinstance(route, APIRoute):
            found.append((prefix + route.path, set(route.methods)))
    return found


def staff_routes(client: KspClient, method: str) -> list[str]:
    return sorted({path for path, methods in walk(client.app.routes)
                   if path.startswith("/staff/") and method in methods
                   and not path.startswith("/staff/aset")})


def fill(path: str, number: int) -> str:
    values = {"number": str(number)}
    return PARAM.sub(lambda m: values.get(m.group(1), "1"), path)


@pytest.fixture
def client(settings: Settings) -> KspClient:
    return KspClient(settings)


def test_pengawas_opens_every_console_page_and_every_write_is_refused(
        client: KspClient) -> None:
    pengurus = client.staff(Role.PENGURUS)
    number = anggota(client, pengurus, 1)
    csrf = sign_in(client, Role.PENGAWAS)
    http = client.http

    pages = staff_routes(client, "GET")
    assert len(pages) >= 20, pages
    for path in pages:
        reply = http.get(fill(path, number), follow_redirects=False)
        assert reply.status_code < 500, (path, reply.status_code)
        if "{" not in path and reply.status_code == 200 and "text/html" in reply.headers.get(
                "content-type", ""):
            assert 'id="read-only"' in reply.text, path

    posts = staff_routes(client, "POST")
    assert PENGAWAS_WRITES <= set(posts)
    writes = [p for p in posts if p not in OWN_ACCOUNT | PENGAWAS_WRITES]
    assert len(writes) >= 14, writes
    before = table_counts(client)
    for path in writes:
        body: dict[str, Any] = {k: v.replace("{number}", str(number)) for k, v in FORM.items()}
        reply = http.post(fill(path, number), data=body | {"csrf": csrf, "kunci": "k-" + str(
            abs(hash(path)))}, follow_redirects=False,
            headers={"X-CSRF-Token": csrf})  # the file upload's token travels as a header
        if path in PENGAWAS_DECIDES:
            assert reply.status_code == 404 and "tidak ditemukan" in reply.text, path
            continue
        assert reply.status_code == 403, (path, reply.status_code)
        assert "hanya boleh melihat" in reply.text and "may only view" in reply.text, path
    for path in PENGAWAS_WRITES:  # allowed to the pengawas; here there is nothing to co-sign
        reply = http.post(fill(path, number), data={"csrf": csrf, "kunci": "k-cosign"},
                          follow_redirects=False)
        assert reply.status_code == 404 and "tidak ditemukan" in reply.text, path
    assert table_counts(client) == before
