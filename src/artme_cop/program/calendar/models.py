"""Tables of the session calendar: sessions, the cohorts a session invites, and each
person's private iCalendar feed (only a hash of its secret token is stored).

A session invites everyone (`all`), one school (`institution`), or a set of cohorts
(`cohorts`, listed in `program_session_cohorts`). Times are stored in UTC.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from artme_cop.db import Base, UTCDateTime


class SessionKind(StrEnum):
    PHASE_INTRODUCTION = "phase_introduction"
    DIALOGUE_FRAMING = "dialogue_framing"
    COACHING = "coaching_outcome_mapping"
    COMMUNITY_OF_PRACTICE = "community_of_practice"
    CHATS_FOR_CHANGE = "chats_for_change"
    LEARNING_LAB = "learning_lab"
    SITE_VISIT = "site_visit"
    CONFERENCE = "conference"


KIND_LABELS = {
    SessionKind.PHASE_INTRODUCTION: "Phase introduction (all cohorts)",
    SessionKind.DIALOGUE_FRAMING: "Dialogue and framing",
    SessionKind.COACHING: "Coaching and outcome mapping",
    SessionKind.COMMUNITY_OF_PRACTICE: "Community of practice (all cohorts)",
    SessionKind.CHATS_FOR_CHANGE: "Chats for Change",
    SessionKind.LEARNING_LAB: "Team learning lab",
    SessionKind.SITE_VISIT: "Site visit",
    SessionKind.CONFERENCE: "Conference",
}


class ProgramSession(Base):
    __tablename__ = "program_sessions"
    __table_args__ = (Index("ix_program_sessions_starts_at", "starts_at", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    # The program phase (1-6) the session belongs to, if any.
    phase: Mapped[int | None] = mapped_column(Integer)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The zone the organiser scheduled in, to show the time as they meant it.
    timezone: Mapped[str] = mapped_column(String(60), default="UTC")
    place: Mapped[str] = mapped_column(String(200), default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    audience: Mapped[str] = mapped_column(String(20))
    # The school the session belongs to (its lead manages it); None for program-wide ones.
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SessionCohort(Base):
    __tablename__ = "program_session_cohorts"

    session_id: Mapped[int] = mapped_column(ForeignKey("program_sessions.id"), primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), primary_key=True, index=True)


class CalendarFeed(Base):
    """A person's private feed URL; deleting the row revokes it."""

    __tablename__ = "program_calendar_feeds"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    # sha256 of the secret in the URL: a database leak yields no working feed address.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
