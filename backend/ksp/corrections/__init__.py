"""Koreksi: a posting is undone by a reversal entry, proposed by one staff member and
approved by a different pengurus (maker-checker)."""
