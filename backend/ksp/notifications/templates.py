"""Every message the cooperative sends, in Bahasa Indonesia, by stable code.

Callers pass plain values: amounts as int rupiah and dates as `datetime.date`; the template
formats them (`Rp 1.250.000`, `15 Maret 2026`). `nama` (the member's name) and `koperasi`
(KSP_COOP_NAME) are filled in by `service.queue` when the caller leaves them out.

Nothing personal beyond the name goes into a message: parameters named like NIK, address
or phone are refused, and so is any text with a 16-digit run (a NIK)."""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ksp.core.money import LossyMoney, format_rupiah, rupiah
from ksp.core.tanggal import format_tanggal
from ksp.notifications.errors import TemplateParamsInvalid, UnknownTemplate


@dataclass(frozen=True)
class Template:
    subject: str
    body: str
    title_en: str  # what it is, for staff lists
    amounts: frozenset[str] = field(default_factory=frozenset)  # int rupiah
    dates: frozenset[str] = field(default_factory=frozenset)  # datetime.date
    dates_with_weekday: frozenset[str] = field(default_factory=frozenset)


PENGINGAT_JATUH_TEMPO = "pinjaman.pengingat_jatuh_tempo"
TERLAMBAT = "pinjaman.terlambat"
DISETUJUI = "pinjaman.disetujui"
LUNAS = "pinjaman.lunas"
RAT_UNDANGAN = "rat.undangan"

TEMPLATES: dict[str, Template] = {
    PENGINGAT_JATUH_TEMPO: Template(
        subject="Pengingat angsuran pinjaman no. {pinjaman_id}",
        body=("Yth. {nama}, angsuran ke-{angsuran_ke} pinjaman no. {pinjaman_id} sebesar "
              "{jumlah} jatuh tempo pada {jatuh_tempo}. Mohon dibayar paling lambat pada "
              "tanggal tersebut agar tidak dikenakan denda. Abaikan pesan ini bila sudah "
              "membayar. Terima kasih. - {koperasi}"),
        title_en="Instalment due-date reminder",
        amounts=frozenset({"jumlah"}), dates=frozenset({"jatuh_tempo"})),
    TERLAMBAT: Template(
        subject="Angsuran pinjaman no. {pinjaman_id} terlambat {hari_terlambat} hari",
        body=("Yth. {nama}, angsuran ke-{angsuran_ke} pinjaman no. {pinjaman_id} yang jatuh "
              "tempo pada {jatuh_tempo} belum kami terima ({hari_terlambat} hari terlambat). "
              "Tunggakan: {tunggakan}; denda sampai hari ini: {denda}. Mohon segera dibayar "
              "atau hubungi kantor koperasi. Abaikan pesan ini bila sudah membayar. "
              "- {koperasi}"),
        title_en="Instalment overdue",
        amounts=frozenset({"tunggakan", "denda"}), dates=frozenset({"jatuh_tempo"})),
    DISETUJUI: Template(
        subject="Pinjaman no. {pinjaman_id} disetujui",
        body=("Yth. {nama}, pengajuan pinjaman no. {pinjaman_id} sebesar {pokok} disetujui: "
              "jangka waktu {tenor_bulan} bulan, angsuran {angsuran} per bulan, angsuran "
              "pertama jatuh tempo {jatuh_tempo_pertama}. Silakan datang ke kantor koperasi "
              "untuk akad dan pencairan. - {koperasi}"),
        title_en="Loan approved",
        amounts=frozenset({"pokok", "angsuran"}), dates=frozenset({"jatuh_tempo_pertama"})),
    LUNAS: Template(
        subject="Pinjaman no. {pinjaman_id} lunas",
        body=("Yth. {nama}, pinjaman no. {pinjaman_id} telah lunas pada {tanggal_lunas}. "
              "Terima kasih atas kepercayaan Anda. - {koperasi}"),
        title_en="Loan paid off",
        dates=frozenset({"tanggal_lunas"})),
    RAT_UNDANGAN: Template(
        subject="Undangan {judul}",
        body=("Yth. {nama}, Anda diundang menghadiri {judul} pada {tanggal} pukul {waktu} "
              "di {tempat}. Acara: {agenda}. Kehadiran anggota menentukan sahnya keputusan "
              "rapat. - Pengurus {koperasi}"),
        title_en="Annual members' meeting (RAT) notice",
        dates_with_weekday=frozenset({"tanggal"})),
}

# Personal data that must never be put into a message (it would be stored in clear).
_FORBIDDEN_PARAMS = frozenset({"nik", "alamat", "address", "telepon", "phone", "hp", "email"})
_NIK_LIKE = re.compile(r"\d{16}")


def fields_of(template: Template) -> set[str]:
    names = set()
    for text in (template.subject, template.body):
        names |= {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name}
    return names


def render(code: str, params: Mapping[str, Any]) -> tuple[str, str]:
    """(subject, body) of template `code` with `params`; refuses what does not fit."""
    template = TEMPLATES.get(code)
    if template is None:
        raise UnknownTemplate(template=code)

    def refuse(reason_id: str, reason_en: str) -> TemplateParamsInvalid:
        return TemplateParamsInvalid(template=code, reason_id=reason_id, reason_en=reason_en)

    personal = sorted(_FORBIDDEN_PARAMS & set(params))
    if personal:
        raise refuse(f"data pribadi tidak boleh masuk pesan: {', '.join(personal)}",
                     f"personal data must not go into a message: {', '.join(personal)}")
    wanted = fields_of(template)
    missing, extra = sorted(wanted - set(params)), sorted(set(params) - wanted)
    if missing:
        raise refuse(f"kurang {', '.join(missing)}", f"missing {', '.join(missing)}")
    if extra:
        raise refuse(f"tidak dikenal {', '.join(extra)}", f"unknown {', '.join(extra)}")
    shown: dict[str, str] = {}
    for name, value in params.items():
        if name in template.amounts:
            try:
                shown[name] = format_rupiah(rupiah(value))
            except LossyMoney:
                raise refuse(f"{name} harus rupiah utuh (int)",
                             f"{name} must be whole rupiah (int)") from None
        elif name in template.dates or name in template.dates_with_weekday:
            if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
                raise refuse(f"{name} harus tanggal", f"{name} must be a date")
            shown[name] = format_tanggal(value,
                                         with_weekday=name in template.dates_with_weekday)
        else:
            shown[name] = str(value)
    subject, body = template.subject.format(**shown), template.body.format(**shown)
    if _NIK_LIKE.search(subject + body):
        raise refuse("teks memuat angka 16 digit (NIK?)", "text holds a 16-digit number (NIK?)")
    return subject, body
