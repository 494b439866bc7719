"""Tables of the guiding coalition: spheres, their members and co-leads (with terms), change
targets written as SMART fields, the steps of each target's tactical plan, the DARCI grid of
each target, and each school's choice to share its aggregates with the program.

The database itself refuses a second Accountable on a target (a partial unique index that
SQLite and PostgreSQL both support); the service refuses a grid without one.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from artme_cop.db import Base, UTCDateTime


class TargetStatus(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    ACHIEVED = "achieved"
    DROPPED = "dropped"


class StepStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    BLOCKED = "blocked"


class Darci(StrEnum):
    DECIDER = "D"
    ACCOUNTABLE = "A"
    RESPONSIBLE = "R"
    CONSULTED = "C"
    INFORMED = "I"


DARCI_LABELS = {
    Darci.DECIDER: "Decider",
    Darci.ACCOUNTABLE: "Accountable",
    Darci.RESPONSIBLE: "Responsible",
    Darci.CONSULTED: "Consulted",
    Darci.INFORMED: "Informed",
}


class Sphere(Base):
    """A functional area of one school's guiding coalition."""

    __tablename__ = "coalition_spheres"
    __table_args__ = (UniqueConstraint("institution_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SphereMember(Base):
    """A coalition member in a sphere; two per sphere are co-leads, each with a term."""

    __tablename__ = "coalition_sphere_members"
    __table_args__ = (CheckConstraint("NOT is_co_lead OR (term_starts_on IS NOT NULL AND term_ends_on IS NOT NULL)", name="co_lead_has_term"),)

    sphere_id: Mapped[int] = mapped_column(ForeignKey("coalition_spheres.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True, index=True)
    is_co_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    term_starts_on: Mapped[date | None] = mapped_column(Date)
    term_ends_on: Mapped[date | None] = mapped_column(Date)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChangeTarget(Base):
    """A SMART change target owned by a sphere: specific, measurable (measure, baseline,
    target value, unit), time-bound (due date)."""

    __tablename__ = "change_targets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sphere_id: Mapped[int] = mapped_column(ForeignKey("coalition_spheres.id"), index=True)
    # The sphere's school, kept here so visibility checks and aggregates need no join.
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    specific: Mapped[str] = mapped_column(String(300))
    measure: Mapped[str] = mapped_column(String(300))
    baseline: Mapped[str] = mapped_column(String(60), default="")
    target_value: Mapped[str] = mapped_column(String(60))
    unit: Mapped[str] = mapped_column(String(60), default="")
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=TargetStatus.ACTIVE.value)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PlanStep(Base):
    """One step of a target's tactical plan."""

    __tablename__ = "plan_steps"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("change_targets.id"), index=True)
    description: Mapped[str] = mapped_column(String(300))
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=StepStatus.PLANNED.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class DarciEntry(Base):
    """One row of a target's DARCI grid: a person and their letter."""

    __tablename__ = "darci_entries"
    __table_args__ = (
        UniqueConstraint("target_id", "person_id"),
        CheckConstraint("letter IN ('D', 'A', 'R', 'C', 'I')", name="letter_is_darci"),
        # At most one Accountable per target, in the database itself (see #8); the service
        # adds "at least one". Serves no query.
        Index(
            "uq_darci_entries_one_accountable",
            "target_id",
            unique=True,
            sqlite_where=text("letter = 'A'"),
            postgresql_where=text("letter = 'A'"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("change_targets.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    letter: Mapped[str] = mapped_column(String(1))


class MonitoringShare(Base):
    """A school's choice to let its plan and target totals count in the program's aggregates."""

    __tablename__ = "monitoring_shares"

    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    shares_aggregates: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime())
