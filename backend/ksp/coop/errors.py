"""Errors of the AD/ART settings."""

from __future__ import annotations

from ksp.core.errors import InvalidInput


class AdArtUnchanged(InvalidInput):
    code = "adart_unchanged"
    message_id = ("Perubahan AD/ART kosong: tidak ada nilai yang berbeda dari versi yang berlaku "
                  "pada {effective_date}.")
    message_en = ("Empty AD/ART change: nothing differs from the version in force on "
                  "{effective_date}.")
