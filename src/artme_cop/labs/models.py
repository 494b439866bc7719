"""Tables of the team learning labs.

A team's channels are members-only conversations of the messaging core; the roster here is
the source the channels' member lists are kept in step with. Readiness answers are split by
who may read them: an individual's answers (the person alone) and a team's attempts (the
team and its facilitator).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import Boolean, Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from artme_cop.db import Base, UTCDateTime


class Stage(StrEnum):
    """The team-based learning sequence of a lab session, in order."""

    PREWORK = "prework"
    INDIVIDUAL = "individual"
    TEAM = "team"
    CLARIFICATION = "clarification"
    APPLICATION = "application"
    REVEALED = "revealed"
    CLOSED = "closed"


STAGES = list(Stage)


class CommitmentStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    DROPPED = "dropped"


class LabManager(Base):
    """A unit manager an institution lead named: they register the school's teams."""

    __tablename__ = "lab_managers"

    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    named_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    named_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LabTeam(Base):
    __tablename__ = "lab_teams"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(120))
    purpose: Mapped[str] = mapped_column(Text, default="")
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LabTeamMember(Base):
    __tablename__ = "lab_team_members"

    team_id: Mapped[int] = mapped_column(ForeignKey("lab_teams.id"), primary_key=True)
    # Serves "the teams of this person" (the labs index) through the primary key's second column.
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True, index=True)
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)


class LabChannel(Base):
    __tablename__ = "lab_channels"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("lab_teams.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), unique=True)
    name: Mapped[str] = mapped_column(String(80))
    is_general: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LabThread(Base):
    """A thread inside a channel: the root message and its reply count, kept by the post hook."""

    __tablename__ = "lab_threads"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    root_seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    reply_count: Mapped[int] = mapped_column(Integer, default=0)
    last_reply_seq: Mapped[int] = mapped_column(Integer, default=0)


class LabPin(Base):
    __tablename__ = "lab_pins"

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    pinned_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    pinned_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LabSession(Base):
    __tablename__ = "lab_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    facilitator_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    title: Mapped[str] = mapped_column(String(200))
    concept: Mapped[str] = mapped_column(String(120))
    prework: Mapped[str] = mapped_column(Text, default="")
    exercise: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[str] = mapped_column(String(20), default=Stage.PREWORK.value)
    starts_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revealed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LabSessionTeam(Base):
    """A team taking part in a session, with its sealed report-out answer."""

    __tablename__ = "lab_session_teams"

    session_id: Mapped[int] = mapped_column(ForeignKey("lab_sessions.id"), primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("lab_teams.id"), primary_key=True, index=True)
    report: Mapped[str] = mapped_column(Text, default="")
    report_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LabQuestion(Base):
    __tablename__ = "lab_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("lab_sessions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    prompt: Mapped[str] = mapped_column(Text)
    # The choices, one per line (2 to 5 of them).
    options: Mapped[str] = mapped_column(Text)
    correct: Mapped[int] = mapped_column(Integer)


class LabIndividualAnswer(Base):
    """One person's answer in the individual readiness check: theirs alone to read."""

    __tablename__ = "lab_individual_answers"

    question_id: Mapped[int] = mapped_column(ForeignKey("lab_questions.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    choice: Mapped[int] = mapped_column(Integer)
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LabTeamAttempt(Base):
    """A team's try at a readiness question (scratch-card style: try until correct)."""

    __tablename__ = "lab_team_attempts"
    __table_args__ = (UniqueConstraint("question_id", "team_id", "choice"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("lab_questions.id"))
    team_id: Mapped[int] = mapped_column(ForeignKey("lab_teams.id"), index=True)
    choice: Mapped[int] = mapped_column(Integer)
    is_correct: Mapped[bool] = mapped_column(Boolean)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    answered_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LabCommitment(Base):
    __tablename__ = "lab_commitments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("lab_teams.id"), index=True)
    concept: Mapped[str] = mapped_column(String(120))
    job_function: Mapped[str] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    check_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(20), default=CommitmentStatus.OPEN.value)
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LabSuccessReport(Base):
    __tablename__ = "lab_success_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("lab_teams.id"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    what_changed: Mapped[str] = mapped_column(Text)
    evidence: Mapped[str] = mapped_column(Text)
    reported_on: Mapped[date] = mapped_column(Date)
    promoted_win_id: Mapped[int | None] = mapped_column(Integer)
    # The knowledge-repository draft a team lead made of it (the resource's public id).
    drafted_resource_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LabValueStory(Base):
    """After four sessions: what we did, what changed in practice, what difference it made."""

    __tablename__ = "lab_value_stories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("lab_teams.id"), index=True)
    what_we_did: Mapped[str] = mapped_column(Text)
    what_changed: Mapped[str] = mapped_column(Text)
    difference: Mapped[str] = mapped_column(Text)
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
