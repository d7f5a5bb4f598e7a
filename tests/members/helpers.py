"""Moved to tests/support (factories, rows); names kept here so that tests importing this
path still work. New tests import from tests.support."""

from tests.support.factories import BIRTH, deposit, nik, person, register
from tests.support.rows import COUNTED, counts

__all__ = ["BIRTH", "COUNTED", "counts", "deposit", "nik", "person", "register"]
