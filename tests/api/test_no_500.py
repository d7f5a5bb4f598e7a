"""Inputs that gave a 500 on old main: huge integers in the URL, year-1 report dates,
and names with invisible characters. Each now gets a 4xx in our shape and writes nothing."""

from __future__ import annotations

import pytest

from ksp.api.types import clean_text
from ksp.auth.models import Role
from tests.members.helpers import counts, person, register
from tests.support.client import KspClient

HUGE = [str(2**63), str(10**23), "-1", "0"]


@pytest.fixture
def setup(settings):
    client = KspClient(settings)
    admin = client.staff(Role.ADMIN)
    return client, admin


def assert_4xx(reply, code: str = "invalid_input") -> dict:
    assert 400 <= reply.status_code < 500, reply.text
    body = reply.json()
    assert body["code"] == code, body
    assert body["message"] and body["message_en"] and isinstance(body["details"], dict)
    return body


@pytest.mark.parametrize("value", HUGE)
def test_huge_seq_in_the_path_is_a_422(setup, value):
    client, admin = setup
    assert_4xx(client.get(f"/api/v1/log/entries/{value}/proof", admin))


@pytest.mark.parametrize("param", ["offset", "limit"])
@pytest.mark.parametrize("value", [str(2**63), str(10**23), "-1"])
def test_huge_offset_and_limit_are_a_422(setup, param, value):
    client, admin = setup
    assert_4xx(client.get(f"/api/v1/anchors?{param}={value}", admin))


@pytest.mark.parametrize("path", ["/api/v1/members/{n}", "/api/v1/members/{n}/savings",
                                  "/api/v1/members/{n}/statement"])
@pytest.mark.parametrize("value", [str(2**63), str(10**23)])
def test_huge_member_numbers_are_a_422(setup, path, value):
    client, admin = setup
    assert_4xx(client.get(path.format(n=value), admin))


def test_a_report_for_year_1_after_an_adart_version_from_year_1_is_a_4xx(setup):
    client, admin = setup
    pengurus = client.staff(Role.PENGURUS)
    changed = client.post("/api/v1/adart", {"effective_date": "0001-01-01",
                                            "changes": {"fiscal_year_start_month": 7}},
                          pengurus)
    assert_4xx(changed, "date_out_of_range")
    for path in ("/api/v1/reports/phu?date=0001-03-01", "/api/v1/reports/neraca?date=0001-03-01",
                 "/api/v1/reports/trial-balance?date=9999-12-31",
                 "/api/v1/adart?date=0001-01-01"):
        assert_4xx(client.get(path, admin), "date_out_of_range")


@pytest.mark.parametrize("name", [
    "Rosma\u202ewati",  # right-to-left override
    "Rosma\u200bwati",  # zero-width space
    "Rosma\u200dwati",  # zero-width joiner
    "Rosma\x00wati",  # NUL
    "Rosma\nwati",
    "Rosma\u2028wati",  # line separator
    "   ",
])
def test_names_with_control_bidi_or_zero_width_characters_are_refused(setup, name):
    client, admin = setup
    before = counts(client)
    body = assert_4xx(client.post("/api/v1/members", person(1, name=name), admin))
    assert body["details"]["field"] == "name"
    assert counts(client) == before


def test_names_are_nfc_normalized_and_trimmed(setup):
    client, admin = setup
    number = register(client, admin, 1, name="  Nurhayati Sige\u0301 ",
                      address=" Jl. Sisingamangaraja 1 ")
    member = client.get(f"/api/v1/members/{number}", admin).json()
    assert member["name"] == "Nurhayati Sig\u00e9"
    assert member["address"] == "Jl. Sisingamangaraja 1"


def test_clean_text_keeps_ordinary_indonesian_text():
    assert clean_text("Ni Luh Putu Ayu Déwi, S.Pd.") == "Ni Luh Putu Ayu Déwi, S.Pd."
