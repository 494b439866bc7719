"""Tables of notifications: one row per thing a person is told about, and each person's
email preference.

A notification points at a conversation and a seq when it is about a message, so its
visibility can be checked again whenever it is shown or mailed (content moves, people leave
cohorts). Kinds are stored as short strings, so later features add kinds without a migration.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from artme_cop.db import Base, UTCDateTime


class NotificationKind(StrEnum):
    MENTION = "mention"
    REPLY = "reply"
    WATCHED_POST = "watched_post"
    WARNING = "warning"
    # about a knowledge resource (a review asked, a review due, an update due): no conversation
    KNOWLEDGE = "knowledge"
    # A team lab commitment's check date has come (labs/progress.py).
    REMINDER = "reminder"


class EmailMode(StrEnum):
    IMMEDIATE = "immediate"
    DAILY = "daily"
    OFF = "off"


# Daily by default: people hear about activity without a mail per post (see README).
DEFAULT_EMAIL_MODE = EmailMode.DAILY


class Notification(Base):
    __tablename__ = "notifications"
    __table_args__ = (
        # One notification per person per message, whatever the number of reasons (de-dup).
        UniqueConstraint("recipient_id", "conversation_id", "seq"),
        # The notifications page: a person's newest first, keyset on id.
        Index("ix_notifications_recipient_id_id", "recipient_id", "id"),
        # The unread badge and the digest: a person's unread ones.
        Index("ix_notifications_recipient_id_read_at", "recipient_id", "read_at", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    kind: Mapped[str] = mapped_column(String(30))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int | None] = mapped_column(Integer)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    # Plain text, never HTML; the templates escape it like any other text.
    summary: Mapped[str] = mapped_column(String(300))
    # A path on this server (`/forum/threads/12#p5`); mails prefix the base URL.
    link: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NotificationPreference(Base):
    """A person's email choice; people without a row get DEFAULT_EMAIL_MODE."""

    __tablename__ = "notification_preferences"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    email_mode: Mapped[str] = mapped_column(String(20))
    last_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
