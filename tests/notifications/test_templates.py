"""Every message in Bahasa Indonesia with exact rupiah and Indonesian dates; what does not
fit a template (floats, personal data, missing or unknown fields) is refused."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksp.core.tanggal import BULAN, format_tanggal
from ksp.notifications.errors import TemplateParamsInvalid, UnknownTemplate
from ksp.notifications.templates import (
    DISETUJUI,
    LUNAS,
    PENGINGAT_JATUH_TEMPO,
    RAT_UNDANGAN,
    TEMPLATES,
    TERLAMBAT,
    render,
)

KOP = {"nama": "Rosmawati Sinaga", "koperasi": "KSP Sejahtera Bersama"}


def test_reminder_before_the_due_date():
    subject, body = render(PENGINGAT_JATUH_TEMPO, KOP | {
        "pinjaman_id": 12, "angsuran_ke": 3, "jumlah": 1_250_000,
        "jatuh_tempo": dt.date(2026, 3, 15)})

    assert subject == "Pengingat angsuran pinjaman no. 12"
    assert body == ("Yth. Rosmawati Sinaga, angsuran ke-3 pinjaman no. 12 sebesar "
                    "Rp 1.250.000 jatuh tempo pada 15 Maret 2026. Mohon dibayar paling "
                    "lambat pada tanggal tersebut agar tidak dikenakan denda. Abaikan pesan "
                    "ini bila sudah membayar. Terima kasih. - KSP Sejahtera Bersama")


def test_overdue_notice_names_days_late_arrears_and_denda():
    subject, body = render(TERLAMBAT, KOP | {
        "pinjaman_id": 12, "angsuran_ke": 3, "jatuh_tempo": dt.date(2026, 3, 15),
        "hari_terlambat": 7, "tunggakan": 1_250_000, "denda": 8_750})

    assert subject == "Angsuran pinjaman no. 12 terlambat 7 hari"
    assert ("yang jatuh tempo pada 15 Maret 2026 belum kami terima (7 hari terlambat). "
            "Tunggakan: Rp 1.250.000; denda sampai hari ini: Rp 8.750.") in body


def test_approved_and_paid_off():
    _subject, approved = render(DISETUJUI, KOP | {
        "pinjaman_id": 12, "pokok": 15_000_000, "tenor_bulan": 12, "angsuran": 1_425_000,
        "jatuh_tempo_pertama": dt.date(2026, 1, 31)})
    subject, paid = render(LUNAS, KOP | {"pinjaman_id": 12,
                                         "tanggal_lunas": dt.date(2026, 12, 1)})

    assert ("pinjaman no. 12 sebesar Rp 15.000.000 disetujui: jangka waktu 12 bulan, angsuran "
            "Rp 1.425.000 per bulan, angsuran pertama jatuh tempo 31 Januari 2026.") in approved
    assert subject == "Pinjaman no. 12 lunas"
    assert "telah lunas pada 1 Desember 2026." in paid


def test_rat_notice_names_the_weekday():
    subject, body = render(RAT_UNDANGAN, KOP | {
        "judul": "Rapat Anggota Tahunan 2025", "tanggal": dt.date(2026, 3, 14),
        "waktu": "09.00 WIB", "tempat": "Balai Desa Pangururan",
        "agenda": "laporan pengurus, pembagian SHU"})

    assert subject == "Undangan Rapat Anggota Tahunan 2025"
    assert ("Anda diundang menghadiri Rapat Anggota Tahunan 2025 pada Sabtu, 14 Maret 2026 "
            "pukul 09.00 WIB di Balai Desa Pangururan. Acara: laporan pengurus, pembagian "
            "SHU.") in body
    assert body.endswith("- Pengurus KSP Sejahtera Bersama")


def test_every_month_and_weekday_in_indonesian():
    assert [format_tanggal(dt.date(2026, m, 1)) for m in (1, 8, 12)] == [
        "1 Januari 2026", "1 Agustus 2026", "1 Desember 2026"]
    assert format_tanggal(dt.date(2026, 11, 27), with_weekday=True) == "Jumat, 27 November 2026"
    assert format_tanggal(dt.date(2026, 11, 29), with_weekday=True) == "Minggu, 29 November 2026"


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 31)))
def test_a_date_reads_back_as_the_same_day(day):
    d, month, year = format_tanggal(day).split(" ")
    assert dt.date(int(year), BULAN.index(month) + 1, int(d)) == day


@given(st.integers(min_value=0, max_value=10**15))
def test_amounts_show_with_dot_grouping_and_read_back(amount):
    _s, body = render(PENGINGAT_JATUH_TEMPO, KOP | {
        "pinjaman_id": 1, "angsuran_ke": 1, "jumlah": amount, "jatuh_tempo": dt.date(2026, 1, 1)})
    shown = body.split("sebesar Rp ")[1].split(" jatuh")[0]
    assert int(shown.replace(".", "")) == amount
    assert all(len(group) == 3 for group in shown.split(".")[1:])


def params(**over):
    return KOP | {"pinjaman_id": 12, "angsuran_ke": 3, "jumlah": 1_250_000,
                  "jatuh_tempo": dt.date(2026, 3, 15)} | over


@pytest.mark.parametrize("bad, reason", [
    (params(jumlah=1_250_000.0), "jumlah harus rupiah utuh"),
    (params(jumlah=True), "jumlah harus rupiah utuh"),
    (params(jatuh_tempo="2026-03-15"), "jatuh_tempo harus tanggal"),
    (params(jatuh_tempo=dt.datetime(2026, 3, 15, 9)), "jatuh_tempo harus tanggal"),
    (params(nik="1217014507900001"), "data pribadi tidak boleh masuk pesan: nik"),
    (params(telepon="081234567801"), "data pribadi tidak boleh masuk pesan: telepon"),
    (params(nama="Ani 1217014507900001"), "angka 16 digit"),
    ({k: v for k, v in params().items() if k != "jumlah"}, "kurang jumlah"),
    (params(catatan="x"), "tidak dikenal catatan"),
])
def test_what_does_not_fit_is_refused(bad, reason):
    with pytest.raises(TemplateParamsInvalid) as refused:
        render(PENGINGAT_JATUH_TEMPO, bad)
    assert reason in refused.value.render_id()
    assert refused.value.render_en()


def test_unknown_template_is_refused():
    with pytest.raises(UnknownTemplate):
        render("pinjaman.tidak_ada", KOP)
    assert {PENGINGAT_JATUH_TEMPO, TERLAMBAT, DISETUJUI, LUNAS, RAT_UNDANGAN} <= set(TEMPLATES)
