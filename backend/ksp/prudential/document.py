"""The prudential report as data (the JSON of the API), as one flat table (the CSV) and as a
PDF with the printing module's provenance (cooperative, period, log seq, anchored root)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ksp.core.money import format_rupiah
from ksp.printing import documents
from ksp.printing.render import html_to_pdf, render_html
from ksp.prudential.rules import Prudential, Ratio, percent_text

TITLE = ("Laporan Rasio Kehatian", "Prudential report")

# (key, attribute of Prudential, Indonesian, English) of each ratio, in the order printed.
RATIOS = (("likuiditas", "liquidity", "Likuiditas: (kas + bank) / kewajiban jangka pendek",
           "Liquidity: (cash + bank) / short-term liabilities"),
          ("modal_sendiri_per_aset", "capital_to_assets", "Modal sendiri / total aset",
           "Own capital / total assets"),
          ("pinjaman_per_simpanan", "loans_to_savings", "Pinjaman / simpanan anggota",
           "Loans / member savings"),
          ("pihak_terkait_per_modal", "related_party_to_capital",
           "Pinjaman pihak terkait / modal sendiri", "Related-party loans / own capital"))


def _ratio(r: Ratio) -> dict[str, Any]:
    return {"pembilang": r.numerator, "penyebut": r.denominator, "bps": r.bps,
            "persen": r.text}


def as_dict(p: Prudential) -> dict[str, Any]:
    q, b = p.quality, p.balances
    return {
        "tanggal": p.date,
        "npl_bps": q.npl_bps, "npl_persen": percent_text(q.npl_bps),
        "kesehatan": q.health_band, "kesehatan_en": q.health_band_en,
        "likuiditas": _ratio(p.liquidity),
        "modal_sendiri_per_aset": _ratio(p.capital_to_assets),
        "pinjaman_per_simpanan": _ratio(p.loans_to_savings),
        "pihak_terkait_per_modal": _ratio(p.related_party_to_capital),
        "saldo": {"kas": b.kas, "bank": b.bank,
                  "kewajiban_jangka_pendek": b.short_term_liabilities,
                  "modal_sendiri": b.own_capital, "total_aset": b.total_assets,
                  "pinjaman": b.loans, "simpanan_anggota": b.member_savings},
        "pinjaman_beredar": q.outstanding,
        "pihak_terkait": q.related_party_outstanding,
        "batas_pihak_terkait": q.related_party_cap,
        "batas_pihak_terkait_bps": q.related_party_cap_bps,
        "pihak_terkait_dalam_batas": p.related_party_within_cap,
        "penyisihan_wajib": q.provision_required,
        "penyisihan_tercatat": q.provision_posted,
        "penyisihan_kurang": p.provision_shortfall,
        "melebihi_bmpp": [{"anggota": e.member, "outstanding": e.outstanding, "bmpp": e.bmpp,
                           "kelebihan": e.excess} for e in p.above_bmpp],
    }


HEADER = ["pos", "item", "nilai", "pembilang", "penyebut", "bps"]


def table(p: Prudential) -> list[list[Any]]:
    """The CSV rows: amounts as plain integers, ratios with their exact parts and bps."""
    q = p.quality
    rows: list[list[Any]] = [["npl", "NPL / non-performing loans", percent_text(q.npl_bps),
                              "", "", q.npl_bps],
                             ["kesehatan", "Kesehatan / health band", q.health_band, "", "", ""]]
    for key, attr, label_id, label_en in RATIOS:
        r: Ratio = getattr(p, attr)
        bps = "" if r.bps is None else r.bps
        rows.append([key, f"{label_id} / {label_en}", r.text, r.numerator, r.denominator, bps])
    rows += [["pihak_terkait", "Pinjaman pihak terkait / related-party loans",
              q.related_party_outstanding, "", "", ""],
             ["batas_pihak_terkait", "Batas pihak terkait / related-party cap",
              q.related_party_cap, "", "", q.related_party_cap_bps],
             ["penyisihan_wajib", "Penyisihan wajib / provision required",
              q.provision_required, "", "", ""],
             ["penyisihan_tercatat", "Penyisihan tercatat / provision posted",
              q.provision_posted, "", "", ""]]
    rows += [["melebihi_bmpp", f"Anggota {e.member} (BMPP {e.bmpp})", e.outstanding, "", "", ""]
             for e in p.above_bmpp]
    return rows


def pdf(session: Session, coop_name: str, p: Prudential) -> bytes:
    return html_to_pdf(html(session, coop_name, p))


def html(session: Session, coop_name: str, p: Prudential) -> str:
    title, title_en = TITLE
    rows = [(label_id, label_en, getattr(p, attr)) for _k, attr, label_id, label_en in RATIOS]
    return render_html("prudensial.html", p=documents.provenance(session, coop_name),
                       title=title, title_en=title_en, period=f"per / as of {p.date}",
                       r=p, ratios=rows, pct=percent_text, rp=format_rupiah)
