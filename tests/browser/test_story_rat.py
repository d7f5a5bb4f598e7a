"""The RAT for people, in Debian Chromium against the real app and a real Anvil (its own:
the test moves the chain's clock), with every request outside this server (and, for the
phone, the chain's RPC) blocked:

- a member gives a surat kuasa on the page and revokes it once accepted; they accept
  another member's and vote for them;
- a member votes on the wallet page at 360x740: the page says before signing that the
  choice will be public on chain, recomputes the item's content hash, signs the EIP-712
  ballot with the key held on the phone, and shows the receipt;
- the secretary records attendance in the console by typed member number; after the window
  the chair records the in-person counts and a pengawas co-signs each;
- the meeting is closed, finalized on chain and the results recorded; the member's page
  then shows "suara saya dihitung ✓", the quorum held, the result's online count equal to
  the chain's tally, and the result entry's proof against the anchor on chain.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from ksp.anchoring.job import AnchorJob
from ksp.api.app import create_app
from ksp.auth.models import Role
from ksp.auth.service import create_staff
from ksp.chain.runtime import ChainRuntime
from ksp.chain.worker import OutboxWorker
from ksp.core import clock
from ksp.core.db import transaction
from ksp.core.settings import PROJECT_ROOT, Settings
from ksp.rat.signing import RatDomain
from tests.browser.guard import guarded_context, staff_sign_in
from tests.browser.test_wallet_page import PASSWORD, TIMEOUT_MS, browser, import_key, serve
from tests.rat import story
from tests.rat.conftest import make_coop

pytestmark = pytest.mark.browser
__all__ = ["browser"]  # the shared Chromium fixture

SCREENS = PROJECT_ROOT / "docs/screens"
STAFF_PASSWORD = "rahasia-uji-rat-12"  # test-only staff password, per test database
PHONE_MEMBER = 5


def drain(worker: OutboxWorker) -> None:
    report = worker.run_once()
    assert report.failed == 0 and not report.errors, report.errors


def move_chain_to(runtime: ChainRuntime, instant: dt.datetime) -> None:
    w3 = runtime.connect()
    w3.provider.make_request("evm_setNextBlockTimestamp", [int(instant.timestamp())])
    w3.provider.make_request("evm_mine", [])
    clock.freeze(instant)


def sign_in_phone(phone: Any) -> None:
    phone.get_by_role("button", name="Masuk", exact=True).click()
    from playwright.sync_api import expect

    expect(phone.locator("#signed-as")).to_have_text(
        f"Masuk sebagai anggota no. {PHONE_MEMBER}")


def test_the_rat_on_the_page_and_in_the_console(browser: Any, settings: Settings,
                                                own_anvil: Any) -> None:
    from playwright.sync_api import expect

    expect.set_options(timeout=TIMEOUT_MS)
    chain_settings = settings.model_copy(update={"rpc_url": own_anvil.url})
    runtime = ChainRuntime(chain_settings)
    runtime.deploy()
    w3 = runtime.connect()
    now = dt.datetime.fromtimestamp(int(w3.eth.get_block("latest")["timestamp"]), dt.UTC)
    clock.freeze(now)
    try:
        app = create_app(chain_settings, runtime)
        coop = make_coop(chain_settings, joined=clock.today() - dt.timedelta(days=30))
        coop.domain = RatDomain(int(w3.eth.chain_id),
                                runtime.deployment["contracts"]["RatVoting"]["address"])
        with transaction(app.state.sessionmaker) as session:
            for username, role in (("bu.ketua", Role.PENGURUS), ("sekretaris", Role.ADMIN),
                                   ("bu.pengawas", Role.PENGAWAS)):
                create_staff(session, username=username, password=STAFF_PASSWORD, role=role)
        worker = OutboxWorker(app.state.sessionmaker, w3, runtime.deployment,
                              chain_settings.operator_private_key())
        drain(worker)  # the 30 members are on the roll
        start = (now + dt.timedelta(days=16)).replace(minute=0, second=0, microsecond=0)
        meeting, items = story.announced_meeting(
            coop, record_date=clock.today(), voting_start=start,
            held_at=start + dt.timedelta(hours=1), voting_end=start + dt.timedelta(hours=8))
        drain(worker)
        move_chain_to(runtime, start + dt.timedelta(hours=1))
        for n in [*range(1, 5), *range(6, 17)]:  # 15 others vote for, online
            coop.ballot(meeting.id, items[0], n, story.FOR)

        with serve(app) as base:
            rpc = chain_settings.rpc_url
            desk_context, desk, desk_outside, desk_problems = guarded_context(
                browser, (base,), viewport={"width": 1024, "height": 768})
            phone_context, phone, phone_outside, phone_problems = guarded_context(
                browser, (base, rpc), viewport={"width": 360, "height": 740})

            # A server that shows the member another text than it committed: the page
            # recomputes the item's hash, refuses to sign, and nothing is sent.
            def altered(route: Any) -> None:
                reply = route.fetch()
                shown = reply.json()
                shown[0]["items"][0]["text"] += " (diubah)"
                route.fulfill(response=reply, json=shown)

            phone.route(re.compile(r".*/api/v1/rat/meetings$"), altered)
            phone.goto(base + "/")
            import_key(phone, coop.keys[PHONE_MEMBER].key.hex().removeprefix("0x"))
            sign_in_phone(phone)
            rat = phone.locator("#rat")
            lpj = rat.locator(".rat-item").nth(0)
            expect(lpj).to_contain_text("(diubah)")
            lpj.get_by_label("Setuju", exact=True).check()
            lpj.get_by_role("button", name="Tanda tangani dan kirim suara").click()
            expect(rat.locator("#rat-error")).to_contain_text(
                "Isi acara ini tidak sama dengan yang dicatat")
            assert coop.rows()["rat_ballots"] == 15
            phone.unroute(re.compile(r".*/api/v1/rat/meetings$"))
            phone.get_by_role("button", name="Keluar", exact=True).click()
            coop.appoint(meeting, 17, PHONE_MEMBER)  # member 17 asks member 5 to vote for them

            # The member votes on the LPJ on the phone, as committed; first a surat kuasa
            # to member 6, accepted by 6, then revoked: the member votes themself.
            sign_in_phone(phone)
            proxies = phone.locator(f"#rat-proxies-{meeting.id}")
            proxies.get_by_label("Nomor anggota penerima kuasa").fill("6")
            proxies.get_by_role("button", name="Tanda tangani surat kuasa").click()
            expect(proxies).to_contain_text(
                "Kuasa kepada anggota no. 6: menunggu persetujuan penerima.")
            coop.accept(meeting, PHONE_MEMBER, 6)
            proxies.get_by_role("button", name="Cabut kuasa").click()
            expect(proxies).to_contain_text("Kuasa kepada anggota no. 6: dicabut.")
            expect(proxies).to_contain_text(
                "Kuasa dari anggota no. 17: menunggu persetujuan penerima.")
            proxies.get_by_role("button", name="Terima kuasa").click()
            expect(proxies).to_contain_text("Kuasa dari anggota no. 17: diterima.")
            drain(worker)  # the appointments, acceptances and the revocation on chain
            expect(rat.locator(".rat-public")).to_contain_text(
                "pilihan Anda akan terlihat di rantai publik")
            lpj = rat.locator(".rat-item").nth(0)
            expect(lpj).to_contain_text("Pengesahan LPJ 2025")
            expect(rat.locator(".rat-item").nth(1)).to_contain_text("Rp 48.000.000")
            expect(rat.locator(".rat-item").nth(2)).to_contain_text("Anggota no. 3")
            lpj.get_by_label("Setuju", exact=True).first.check()  # own; then for member 17
            lpj.get_by_role("button", name="Tanda tangani dan kirim suara").click()
            expect(lpj.locator(".rat-receipt").first).to_contain_text("Setuju")
            for_17 = lpj.locator(f"#rat-for-{meeting.id}-0-17")
            for_17.get_by_label("Setuju", exact=True).check()
            for_17.get_by_role("button", name="Tanda tangani suara untuk anggota no. 17").click()
            expect(for_17.locator(".rat-receipt")).to_contain_text("Setuju")
            phone.screenshot(path=str(SCREENS / "wallet-rat.png"), full_page=True)
            # The page and the contract are a pair: 360 px wide and nothing scrolls sideways.
            assert phone.evaluate("document.documentElement.scrollWidth") <= 360

            # The secretary records two members present, by their numbers.
            staff_sign_in(desk, base, "sekretaris", STAFF_PASSWORD)
            desk.goto(f"{base}/staff/rat/{meeting.id}")
            for number in (23, 24):
                desk.locator("#code").fill(str(number))
                desk.get_by_role("button", name=re.compile("Catat hadir")).click()
                expect(desk.locator("#rat-attendance")).to_contain_text(str(number))
            expect(desk.locator("#rat-present-count")).to_have_text("2")
            desk.screenshot(path=str(SCREENS / "console-rat-hadir.png"), full_page=True)
            drain(worker)  # the ballots go to the chain

            # After the window: the chair's paper counts, co-signed by the pengawas.
            move_chain_to(runtime, start + dt.timedelta(hours=8, minutes=5))
            staff_sign_in(desk, base, "bu.ketua", STAFF_PASSWORD)
            paper = {0: ({"c0": "0", "c1": "2", "c2": "0"}),
                     1: ({"c0": "1", "c1": "1", "c2": "0"}),
                     2: ({"c0": "2", "c1": "1", "c2": "1", "ballots": "2"})}
            for position, fields in paper.items():
                desk.goto(f"{base}/staff/rat/{meeting.id}")
                form = desk.locator(f"#rat-counts-{position}")
                for name, value in fields.items():
                    form.locator(f"input[name={name}]").fill(value)
                form.get_by_role("button", name=re.compile("Catat hitungan")).click()
                expect(desk.locator(f"#rat-count-{position}")).to_contain_text(
                    "menunggu pengawas")
            staff_sign_in(desk, base, "bu.pengawas", STAFF_PASSWORD)
            for position in paper:
                desk.goto(f"{base}/staff/rat/{meeting.id}")
                desk.locator(f"#rat-cosign-{position}").get_by_role("button").click()
                expect(desk.locator(f"#rat-count-{position}")).to_contain_text(
                    "co-signed bu.pengawas")
            staff_sign_in(desk, base, "bu.ketua", STAFF_PASSWORD)
            desk.goto(f"{base}/staff/rat/{meeting.id}")
            desk.get_by_role("button", name=re.compile("Tutup RAT")).click()
            expect(desk.locator("#rat-status")).to_contain_text("Ditutup")
            drain(worker)  # finalize on chain
            desk.get_by_role("button", name=re.compile("Tetapkan hasil")).click()
            hasil = desk.locator("#rat-hasil")
            # LPJ: 17 online for (one by proxy) + 2 on paper = 19 for: passed.
            expect(hasil).to_contain_text("0 / 17 / 0")
            expect(hasil).to_contain_text("0 / 19 / 0")
            expect(hasil).to_contain_text("DITERIMA")
            expect(desk.locator("#rat-status")).to_contain_text("Diputuskan")
            desk.screenshot(path=str(SCREENS / "console-rat-hasil.png"), full_page=True)
            registry = runtime.deployment["contracts"]["AnchorRegistry"]
            anchored = AnchorJob(app.state.sessionmaker, w3, registry["address"],
                                 chain_settings, from_block=registry["block"]).anchor_now()
            assert anchored.block is not None, anchored.message
            pdf = desk.request.get(desk.locator("#rat-risalah").get_attribute("href")
                                   and f"{base}/staff/rat/{meeting.id}/risalah.pdf")
            assert pdf.status == 200 and pdf.body().startswith(b"%PDF")

            # The member's page, later: the ballot was counted, quorum held, and the
            # result's online count equals the chain's tally.
            phone.reload()
            phone.locator("#u-pw").fill(PASSWORD)
            phone.get_by_role("button", name="Buka dompet").click()
            sign_in_phone(phone)
            lpj = phone.locator("#rat .rat-item").nth(0)
            expect(phone.locator("#rat .rat-quorum")).to_contain_text("Kuorum tercapai ✓")
            lpj.get_by_role("button", name="Periksa suara saya di rantai").click()
            expect(lpj.locator(".rat-check")).to_contain_text("Suara saya dihitung ✓",
                                                               timeout=30_000)
            expect(lpj.locator(".rat-check")).to_contain_text(
                "Hitungan daring di risalah sama dengan hitungan di rantai ✓")
            expect(lpj.locator(".rat-check")).to_contain_text(
                f"tercatat di log yang di-anchor di blockchain (blok {anchored.block}) ✓")
            phone.screenshot(path=str(SCREENS / "wallet-rat-dihitung.png"), full_page=True)

            assert desk_outside == [] and phone_outside == []
            assert (desk_problems, phone_problems) == ([], [])
            for context in (phone_context, desk_context):
                context.close()
    finally:
        clock.freeze(None)
        expect.set_options(timeout=5_000)
