"""The upload route takes files above the general body limit (KSP_MAX_UPLOAD_BYTES), and
only that route; above its own limit it is refused before anything is read. (Small limits
here; the defaults are 1 MiB and 16 MiB.)"""

from __future__ import annotations

from ksp.auth.models import Role
from tests.support.client import KspClient

KIB = 1024
LINE = b"9999;50.000\n"  # 12 bytes, a member that does not exist


def test_only_the_upload_route_takes_a_big_body_and_it_has_its_limit_too(settings):
    client = KspClient(settings.model_copy(update={"max_body_bytes": 16 * KIB,
                                                    "max_upload_bytes": 48 * KIB}))
    pengurus = client.staff(Role.PENGURUS)
    lines = 32 * KIB // len(LINE)
    big = b"nomor_anggota;wajib\n" + LINE * lines  # about 32 KiB

    def send(path, body):
        headers = client.headers(pengurus) | {"Content-Type": "text/csv"}
        return client.http.post(path, content=body, headers=headers)

    accepted = send("/api/v1/payroll-imports?period=2026-11", big)
    too_big = send("/api/v1/payroll-imports?period=2026-11", big + big)
    elsewhere = send("/api/v1/members", big)

    assert accepted.status_code == 201, accepted.text[:300]
    assert (accepted.json()["lines"], accepted.json()["rejected"]) == (lines, lines)
    assert (too_big.status_code, too_big.json()["code"]) == (413, "body_too_large")
    assert too_big.json()["details"]["limit"] == 48 * KIB
    assert (elsewhere.status_code, elsewhere.json()["details"]["limit"]) == (413, 16 * KIB)
