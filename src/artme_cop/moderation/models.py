"""Tables of the moderation package: the append-only audit log, flags on messages (the
moderation queue) and warnings moderators send to authors.

The audit log's rows are only ever inserted; the migration adds triggers that refuse UPDATE
and DELETE on both SQLite and PostgreSQL. Flags and warnings point at messages of the
messaging core, so they work for every kind of conversation.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from artme_cop.db import Base, UTCDateTime


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_institution_id_id", "institution_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(60))
    # The institution whose lead may read this entry; None for program-level entries.
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    target_kind: Mapped[str] = mapped_column(String(40), default="")
    target_id: Mapped[int | None] = mapped_column(Integer)
    detail: Mapped[str] = mapped_column(Text, default="")
    address: Mapped[str] = mapped_column(String(64), default="")


class FlagReason(StrEnum):
    HARMFUL = "harmful"
    PRIVATE_DETAILS = "private_details"
    HARASSMENT = "harassment"
    SPAM = "spam"
    OTHER = "other"


FLAG_REASON_LABELS = {
    FlagReason.HARMFUL: "Harmful or hurtful language",
    FlagReason.PRIVATE_DETAILS: "Personal or identifying details about a student or patient",
    FlagReason.HARASSMENT: "Harassment or a named accusation",
    FlagReason.SPAM: "Spam or off-topic",
    FlagReason.OTHER: "Something else",
}


class FlagStatus(StrEnum):
    OPEN = "open"
    DISMISSED = "dismissed"
    ACTIONED = "actioned"


class Flag(Base):
    """One person's report of one message. A person has at most one open flag per message;
    once a moderator resolves it (dismissed, or actioned by hiding or a warning) they may
    flag the message again."""

    __tablename__ = "moderation_flags"
    __table_args__ = (
        # serves: de-duplication, and the open flags of a message when it is resolved
        Index(
            "ux_moderation_flags_open_message_id_flagger_id",
            "message_id",
            "flagger_id",
            unique=True,
            sqlite_where=sql_text("status = 'open'"),
            postgresql_where=sql_text("status = 'open'"),
        ),
        # serves: the queue, one status at a time, newest first (keyset on id)
        Index("ix_moderation_flags_status_id", "status", "id"),
        # serves: the flags of a message in the resolved view
        Index("ix_moderation_flags_message_id", "message_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    # None: flagged automatically (the screening for patient identifiers), by nobody.
    flagger_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    reason: Mapped[str] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(String(1000), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(20), default=FlagStatus.OPEN.value)
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolution_note: Mapped[str] = mapped_column(String(500), default="")


class ModerationWarning(Base):
    """A moderator's warning to the author of a message; the author reads it on their page."""

    __tablename__ = "moderation_warnings"
    # serves: a person's warnings, newest first
    __table_args__ = (Index("ix_moderation_warnings_person_id_id", "person_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    moderator_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    text: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
