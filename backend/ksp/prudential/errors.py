"""Errors of the prudential report, each with a stable code and a message in Bahasa
Indonesia and English."""

from __future__ import annotations

from ksp.core.errors import InvalidInput


class BeforeFounding(InvalidInput):
    code = "report_before_founding"
    message_id = ("Tanggal {date} sebelum koperasi berdiri: catatan pertama tanggal {first}. "
                  "Pilih tanggal {first} atau sesudahnya.")
    message_en = ("{date} is before the cooperative existed: its first record is dated "
                  "{first}. Choose {first} or later.")


class NoRecordsYet(InvalidInput):
    code = "report_no_records"
    message_id = "Belum ada catatan apa pun: laporan kehatian belum dapat dibuat."
    message_en = "There are no records yet: no prudential report can be made."
