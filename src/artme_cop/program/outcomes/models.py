"""Tables of outcome mapping: a school's boundary partners (each with its outcome challenge),
their progress markers at three levels, and the outcome journal recording which marker was
observed, when and with what evidence."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from artme_cop.db import Base, UTCDateTime


class MarkerLevel(StrEnum):
    EXPECT = "expect"
    LIKE = "like"
    LOVE = "love"


MARKER_LEVEL_LABELS = {
    MarkerLevel.EXPECT: "Expect to see",
    MarkerLevel.LIKE: "Like to see",
    MarkerLevel.LOVE: "Love to see",
}


class BoundaryPartner(Base):
    """A group the school's change work hopes to influence, with its outcome challenge."""

    __tablename__ = "outcome_partners"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    # The cohort whose coaching maps this partner, if any (its coach may edit).
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    outcome_challenge: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ProgressMarker(Base):
    __tablename__ = "outcome_markers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("outcome_partners.id"), index=True)
    level: Mapped[str] = mapped_column(String(10))
    description: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class JournalEntry(Base):
    """An observation of one progress marker."""

    __tablename__ = "outcome_journal_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    partner_id: Mapped[int] = mapped_column(ForeignKey("outcome_partners.id"), index=True)
    marker_id: Mapped[int] = mapped_column(ForeignKey("outcome_markers.id"), index=True)
    observed_on: Mapped[date] = mapped_column(Date)
    evidence: Mapped[str] = mapped_column(Text)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
