from __future__ import annotations

import datetime as dt

from sqlalchemy import Date, ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from ksp.core.db import Base, BigId


class AdArtVersion(Base):
    """One version of the AD/ART settings, in force from `effective_date`."""

    __tablename__ = "adart_versions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    effective_date: Mapped[dt.date] = mapped_column(Date, index=True)
    values: Mapped[str] = mapped_column(Text)  # AdArt as JSON
    seq: Mapped[int] = mapped_column(ForeignKey("log_entries.seq"), unique=True)
