"""Tables of Chats for Change: the dialogue session with its agreement, lifecycle state and
facilitation settings, its co-facilitators and invited cohorts, each participant's
acceptance and room standing, and the rooms (main, back-channel) that are members-only
conversations of the messaging core. Messages themselves live in the core's tables.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from artme_cop.db import Base, UTCDateTime


class IdentityMode(StrEnum):
    NAMED = "named"
    PSEUDONYMOUS = "pseudonymous"
    ANONYMOUS = "anonymous"


class RoomKind(StrEnum):
    MAIN = "main"
    BACKCHANNEL = "backchannel"
    BREAKOUT = "breakout"
    AFFINITY = "affinity"
    # A participant's private line to the facilitators.
    LINE = "line"
    # A person moved aside with the facilitators (a hot moment); not listed to the room.
    SIDE = "side"


class DialogueSession(Base):
    __tablename__ = "dialogue_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    topic: Mapped[str] = mapped_column(Text, default="")
    content_note: Mapped[str] = mapped_column(Text, default="")
    pre_reading: Mapped[str] = mapped_column(Text, default="")
    frame: Mapped[str] = mapped_column(Text, default="")
    definition: Mapped[str] = mapped_column(Text, default="")
    # One guiding question per line.
    guiding_questions: Mapped[str] = mapped_column(Text, default="")
    institution_id: Mapped[int] = mapped_column(ForeignKey("institutions.id"), index=True)
    # The calendar entry of kind Chats for Change this room runs, when there is one.
    calendar_session_id: Mapped[int | None] = mapped_column(ForeignKey("program_sessions.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    identity_mode: Mapped[str] = mapped_column(String(20), default=IdentityMode.NAMED.value)
    state: Mapped[str] = mapped_column(String(20), default="lobby")
    # The state a pause returns to (open or locked).
    paused_from: Mapped[str] = mapped_column(String(20), default="")
    grounding_message: Mapped[str] = mapped_column(String(500), default="")
    agreement_text: Mapped[str] = mapped_column(Text)
    agreement_version: Mapped[int] = mapped_column(Integer, default=1)
    slow_mode_seconds: Mapped[int] = mapped_column(Integer, default=0)
    floor_mode: Mapped[bool] = mapped_column(Boolean, default=False)
    floor_person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    agenda_step: Mapped[str] = mapped_column(String(200), default="")
    prompt: Mapped[str] = mapped_column(String(1000), default="")
    round_ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Counts, never names (issue #5, participant safety).
    ouch_count: Mapped[int] = mapped_column(Integer, default=0)
    oops_count: Mapped[int] = mapped_column(Integer, default=0)
    # Bumped with every change of the room state, so clients keep the newest snapshot.
    state_version: Mapped[int] = mapped_column(Integer, default=1)
    main_conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    backchannel_conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    created_by_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The facilitators' private debrief; nobody else reads it.
    debrief_note: Mapped[str] = mapped_column(Text, default="")
    # The knowledge-repository draft the facilitators made of the published harvest.
    harvest_resource_id: Mapped[str | None] = mapped_column(String(32))


class DialogueCohort(Base):
    __tablename__ = "dialogue_cohorts"

    session_id: Mapped[int] = mapped_column(ForeignKey("dialogue_sessions.id"), primary_key=True)
    # Serves "the dialogue sessions a person is invited to" through their cohorts.
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), primary_key=True, index=True)


class DialogueFacilitator(Base):
    __tablename__ = "dialogue_facilitators"

    session_id: Mapped[int] = mapped_column(ForeignKey("dialogue_sessions.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True, index=True)


class DialogueParticipant(Base):
    """A person's standing in one session: the agreement version they accepted, their
    per-room alias (never reused in another room), and the facilitators' measures."""

    __tablename__ = "dialogue_participants"
    __table_args__ = (UniqueConstraint("session_id", "person_id"), UniqueConstraint("session_id", "alias"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("dialogue_sessions.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    accepted_version: Mapped[int] = mapped_column(Integer, default=0)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    alias: Mapped[str] = mapped_column(String(80))
    # A random handle for this person in this room (queue, presence, facilitator actions).
    key: Mapped[str] = mapped_column(String(32), unique=True)
    muted_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hand_raised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The breakout (its conversation) the person is in or chose, while breakouts run.
    breakout_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))


class DialogueReport(Base):
    """A reported message: the facilitators are alerted, and the message is kept past the purge
    as the incident snapshot, for the incident handlers only, until resolved plus N days."""

    __tablename__ = "dialogue_reports"
    # serves: the purge's "which messages are kept" and a session's incident list
    __table_args__ = (Index("ix_dialogue_reports_session_id", "session_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("dialogue_sessions.id"))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    reporter_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    reason: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))


class DialogueTakeaway(Base):
    """One takeaway of a breakout for the harvest board. It has no author column: attribution
    is stripped at the source. Facilitators review it for re-identifying details first."""

    __tablename__ = "dialogue_takeaways"
    # serves: a session's harvest board
    __table_args__ = (Index("ix_dialogue_takeaways_session_id", "session_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("dialogue_sessions.id"))
    room_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    text: Mapped[str] = mapped_column(String(1000))
    status: Mapped[str] = mapped_column(String(20), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DialogueFeedback(Base):
    """An anonymous feedback answer: no person column (who answered is kept apart, below)."""

    __tablename__ = "dialogue_feedback"
    __table_args__ = (Index("ix_dialogue_feedback_session_id", "session_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("dialogue_sessions.id"))
    learned: Mapped[str] = mapped_column(String(2000), default="")
    safety: Mapped[int] = mapped_column(Integer)
    change: Mapped[str] = mapped_column(String(2000), default="")


class DialogueFeedbackGiven(Base):
    """That a person answered a session's feedback (once each), never which answer is theirs."""

    __tablename__ = "dialogue_feedback_given"

    session_id: Mapped[int] = mapped_column(ForeignKey("dialogue_sessions.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)


class DialogueRoom(Base):
    """A conversation that belongs to a session (main room, back-channel)."""

    __tablename__ = "dialogue_rooms"
    __table_args__ = (Index("ix_dialogue_rooms_session_id", "session_id"),)

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("dialogue_sessions.id"))
    kind: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(200), default="")
    # Affinity rooms open only with this many people in them (0: no minimum).
    min_size: Mapped[int] = mapped_column(Integer, default=0)
    ends_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when everyone was brought back; the room keeps no members after that.
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
