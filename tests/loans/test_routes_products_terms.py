"""Loan products as a versioned setting (pengurus only), and the agreement document."""

from __future__ import annotations

import pytest

from ksp.core import clock
from tests.loans.world import make_world


@pytest.fixture
def world(settings, monkeypatch):
    yield make_world(settings, monkeypatch)
    clock.freeze(None)


RULES = {"name": "Pinjaman Musiman", "method": "flat", "rate_min_bps": 1200,
         "rate_max_bps": 1800, "tenor_min": 3, "tenor_max": 12}


def test_products_are_versions_set_by_the_pengurus(world):
    before = world.ok(world.get("/api/v1/loan-products", "petugas"))
    assert [(p["code"], p["version"], p["rules"]["method"]) for p in before] == [
        ("umum", 0, "annuity")]
    path = "/api/v1/loan-products/musiman"
    body = {"effective_date": "2026-02-01", "rules": RULES}
    assert world.put(path, body, "petugas").json()["code"] == "forbidden"
    bad = world.put(path, {**body, "rules": {**RULES, "tenor_min": 24}}, "ketua")
    assert (bad.status_code, bad.json()["code"]) == (422, "invalid_loan_product")
    made = world.ok(world.put(path, body, "ketua"))
    assert (made["version"], made["effective_date"]) == (1, "2026-02-01")
    same = world.put(path, body, "ketua")
    assert (same.status_code, same.json()["code"]) == (409, "loan_product_unchanged")
    raised = world.ok(world.put(path, {"effective_date": "2026-03-01",
                                       "rules": {**RULES, "rate_max_bps": 2000}}, "ketua"))
    assert raised["version"] == 2

    def in_force(day):
        found = world.ok(world.get(f"/api/v1/loan-products?date={day}", "petugas"))
        return {p["code"]: (p["version"], p["rules"]["rate_max_bps"]) for p in found}

    assert in_force("2026-01-31") == {"umum": (0, 2400)}
    assert in_force("2026-02-15") == {"umum": (0, 2400), "musiman": (1, 1800)}
    assert in_force("2026-03-01") == {"umum": (0, 2400), "musiman": (2, 2000)}


def test_the_agreement_shows_the_terms_schedule_and_hash(world):
    n = world.member(1)
    world.at("2026-01-15")
    loan = world.approved(n)
    terms = world.ok(world.get(f"/api/v1/loans/{loan}/terms", f"anggota:{n}"))
    html = world.get(f"/api/v1/loans/{loan}/terms.html", f"anggota:{n}")
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    text = html.text
    for shown in ("Perjanjian Pinjaman", terms["terms_hash"], "Rp 10.000.000", "18%",
                  "Anuitas", "2026-02-15", "Rp 916.800", "Rp 916.799", "Rp 100.000",
                  "0,1% per hari", "Rp 11.001.599"):
        assert shown in text, shown
    pdf = world.get(f"/api/v1/loans/{loan}/terms.pdf", "petugas")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    before_approval = world.apply(n)
    early = world.get(f"/api/v1/loans/{before_approval}/terms", "petugas")
    assert (early.status_code, early.json()["code"]) == (409, "invalid_loan_state")


def test_kurangi_angsuran_is_refused_rather_than_silently_applied_as_kurangi_tenor(world):
    """Re-spreading a prepayment over smaller instalments is not implemented, so a product may
    not ask for it; the log and the product versions stay as they were."""
    path = "/api/v1/loan-products/musiman"
    before = world.ok(world.get("/api/v1/loan-products", "petugas"))
    reply = world.put(path, {"effective_date": "2026-02-01",
                             "rules": {**RULES, "prepayment": "kurangi_angsuran"}}, "ketua")
    assert reply.status_code == 422, reply.text
    assert reply.json() == {
        "code": "invalid_loan_product",
        "message": "Aturan produk pinjaman tidak valid: prepayment kurangi_angsuran belum "
                   "tersedia; pelunasan dipercepat memperpendek jangka waktu (kurangi_tenor)",
        "message_en": "Invalid loan product rules: prepayment kurangi_angsuran is not "
                      "available; a prepayment shortens the tenor (kurangi_tenor)",
        "details": reply.json()["details"]}
    assert world.ok(world.get("/api/v1/loan-products?date=2026-03-01", "petugas")) == before
    made = world.ok(world.put(path, {"effective_date": "2026-02-01",
                                     "rules": {**RULES, "prepayment": "kurangi_tenor"}}, "ketua"))
    assert made["version"] == 1  # the refused one took no version number
