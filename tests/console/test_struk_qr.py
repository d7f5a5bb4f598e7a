"""The console receipt carries the signed receipt's QR code (issue 9 item 3): on the page,
as an SVG, and in an A6 PDF whose text verifies to the operator's address; without a chain
the receipt prints without it and says why."""

from __future__ import annotations

import io
import re

from eth_account import Account
from pypdf import PdfReader

from ksp.auth.models import Role
from ksp.chain.runtime import ChainRuntime
from ksp.ledger.models import LogEntry
from ksp.receipts.service import domain_of, parse_qr_text, recover_signer
from tests.console.test_console import hidden, sign_in
from tests.support.client import KspClient
from tests.support.factories import anggota


def line_tos(reader: PdfReader) -> list[str]:
    return re.findall(r" l\b", reader.pages[0].get_contents().get_data().decode("latin-1"))


def teller_deposit(client: KspClient, csrf: str, number: int, amount: str) -> str:
    """A sukarela deposit through the teller screen; the receipt's key."""
    key = hidden(client.http.get(f"/staff/teller?anggota={number}").text, "kunci")
    saved = client.http.post("/staff/teller/simpan", data={
        "csrf": csrf, "kunci": key, "member": str(number), "arah": "setor",
        "jenis": "sukarela", "amount": amount}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"] == f"/staff/struk/{key}"
    return key


def test_receipt_page_svg_and_pdf_carry_a_qr_that_verifies(chain_settings):
    runtime = ChainRuntime(chain_settings)
    runtime.deploy()
    client = KspClient(chain_settings)
    number = anggota(client, client.staff(Role.PENGURUS), 1)
    csrf = sign_in(client, Role.ADMIN)
    key = teller_deposit(client, csrf, number, "Rp 50.000")
    operator = Account.from_key(chain_settings.operator_private_key()).address

    page = client.http.get(f"/staff/struk/{key}")
    assert page.status_code == 200
    assert f'<img src="/staff/struk/{key}/qr.svg"' in page.text
    text = re.search(r'id="receipt-qr-text">([^<]+)<', page.text)
    assert text is not None
    claim, signature = parse_qr_text(text.group(1))
    with client.app.state.sessionmaker() as session:
        seq = session.query(LogEntry.seq).order_by(LogEntry.seq.desc()).first()[0]
        leaf = bytes(session.get(LogEntry, seq).leaf_hash)
    assert (claim.seq, claim.member, claim.amount, claim.leaf_hash) == (seq, number, 50_000,
                                                                       leaf)
    domain = domain_of(runtime)
    assert recover_signer(domain, claim, signature) == operator

    svg = client.http.get(f"/staff/struk/{key}/qr.svg")
    assert svg.status_code == 200 and svg.headers["content-type"] == "image/svg+xml"
    assert svg.text.startswith("<svg") and "<path" in svg.text

    pdf = client.http.get(f"/staff/struk/{key}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox  # A6: 105 x 148 mm in points
    assert (round(float(box.width)), round(float(box.height))) == (298, 420)
    # The QR code is drawn as vector paths: hundreds of line-to operators (a receipt
    # without it has none, see the test below).
    assert len(line_tos(reader)) > 200
    words = reader.pages[0].extract_text()
    assert "Rp 50.000" in words and "Rosmawati Sinaga 1" in words
    compact = re.sub(r"\s+", "", words)
    found = re.search(r"KSP-RECEIPT:1:[0-9:-]+:[0-9A-F]{64}:[0-9A-F]{130}", compact)
    assert found is not None, words
    pdf_claim, pdf_signature = parse_qr_text(found.group(0))
    assert pdf_claim == claim and recover_signer(domain, pdf_claim, pdf_signature) == operator


def test_without_a_chain_the_receipt_prints_without_the_qr_and_says_why(settings):
    client = KspClient(settings)
    number = anggota(client, client.staff(Role.PENGURUS), 1)
    csrf = sign_in(client, Role.ADMIN)
    key = teller_deposit(client, csrf, number, "25.000")
    page = client.http.get(f"/staff/struk/{key}")
    assert page.status_code == 200 and 'id="receipt-qr"' not in page.text
    why = re.search(r'id="receipt-no-qr">Tanpa QR tanda terima: ([^<]+)<small class="en">'
                    r"No receipt QR: ([^<]+)<", page.text)
    assert why is not None
    assert why.group(1).strip() == ("Tanda terima belum dapat ditandatangani: rantai tidak "
                                    "dapat dihubungi. Coba lagi nanti.")
    assert why.group(2).strip() == ("The receipt cannot be signed yet: the chain cannot be "
                                    "reached. Try again later.")
    assert re.search(r'id="receipt-amount">Rp 25\.000<', page.text)
    assert client.http.get(f"/staff/struk/{key}/qr.svg").status_code == 503
    pdf = client.http.get(f"/staff/struk/{key}.pdf")
    assert pdf.status_code == 200
    reader = PdfReader(io.BytesIO(pdf.content))
    words = reader.pages[0].extract_text()
    assert "Rp 25.000" in words and "Tanpa QR tanda terima" in words
    assert line_tos(reader) == []
    assert "KSP-RECEIPT" not in words
    # Another staff member cannot open this receipt, nor its PDF.
    sign_in(client, Role.PENGURUS, "pengurus2")
    for path in (f"/staff/struk/{key}", f"/staff/struk/{key}.pdf", f"/staff/struk/{key}/qr.svg"):
        assert client.http.get(path).status_code == 404, path
