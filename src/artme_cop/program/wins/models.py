"""Tables of short-term wins: the win (recorded against a change target or a progress
marker), its de-identification checklist, the lead's sharing choice and the program's
curation, and the people credited with their consent to be named."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from artme_cop.db import Base, UTCDateTime


class Sharing(StrEnum):
    UNDECIDED = "undecided"
    LOCAL = "local"
    NAMED = "named"
    PARTNER = "partner"


class Consent(StrEnum):
    PENDING = "pending"
    GIVEN = "given"
    DECLINED = "declined"


class Win(Base):
    __tablename__ = "wins"
    __table_args__ = (
        CheckConstraint("(target_id IS NULL) <> (marker_id IS NULL)", name="target_or_marker"),
        CheckConstraint("sharing IN ('undecided', 'local', 'named', 'partner')", name="sharing_choice"),
        # The consortium's list of shared wins, newest first.
        Index("ix_wins_sharing_shared_at", "sharing", "shared_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Random, for the addresses of shared wins: a sequential id would let anyone line the
    # shared wins up with a school's other activity (SEC-A7).
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    target_id: Mapped[int | None] = mapped_column(ForeignKey("change_targets.id"), index=True)
    marker_id: Mapped[int | None] = mapped_column(ForeignKey("outcome_markers.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    evidence: Mapped[str] = mapped_column(Text)
    theme: Mapped[str] = mapped_column(String(40))
    phase: Mapped[int] = mapped_column(Integer)
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The de-identification checklist, each item ticked by a coalition member or the lead.
    no_student_or_patient_details: Mapped[bool] = mapped_column(Boolean, default=False)
    no_named_accusations: Mapped[bool] = mapped_column(Boolean, default=False)
    small_numbers_checked: Mapped[bool] = mapped_column(Boolean, default=False)
    no_identifying_context: Mapped[bool] = mapped_column(Boolean, default=False)
    checked_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sharing: Mapped[str] = mapped_column(String(20), default=Sharing.UNDECIDED.value)
    shared_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    shared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Program curation for the next community-of-practice session.
    curated_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    curated_phase: Mapped[int | None] = mapped_column(Integer)
    curated_theme: Mapped[str | None] = mapped_column(String(40))


class WinCredit(Base):
    """A person credited on a win; named only once they consent."""

    __tablename__ = "win_credits"

    win_id: Mapped[int] = mapped_column(ForeignKey("wins.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True, index=True)
    consent: Mapped[str] = mapped_column(String(20), default=Consent.PENDING.value)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
