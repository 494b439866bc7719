"""Tables of the phases: each wave's schedule of the six phases, each cohort's current phase,
and the exit-checklist items a coach has marked complete (with who and when).

The phases and their checklist items are data in `catalog.py`; these tables hold only what
changes per wave and cohort.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from artme_cop.db import Base, UTCDateTime


class WavePhase(Base):
    """When a wave of schools runs one phase; a missing row means "not scheduled yet"."""

    __tablename__ = "program_wave_phases"

    wave: Mapped[int] = mapped_column(Integer, primary_key=True)
    phase: Mapped[int] = mapped_column(Integer, primary_key=True)
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class CohortPhase(Base):
    """The phase a cohort is in; a cohort without a row is in phase 1."""

    __tablename__ = "program_cohort_phases"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), primary_key=True)
    phase: Mapped[int] = mapped_column(Integer)
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class ChecklistMark(Base):
    """One exit-checklist item of one phase marked complete for one cohort."""

    __tablename__ = "program_checklist_marks"

    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), primary_key=True)
    phase: Mapped[int] = mapped_column(Integer, primary_key=True)
    item_key: Mapped[str] = mapped_column(String(40), primary_key=True)
    completed_at: Mapped[datetime] = mapped_column(UTCDateTime())
    completed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
