"""Tables of the messaging core: conversations, messages with their per-conversation seq,
edit history, reactions, mentions and read markers.

A conversation carries the scope the policy reads (consortium, institution, cohort); the
feature that owns it (thread, dialogue room, lab channel, resource discussion) keeps its
own state in its own tables and points here.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from artme_cop.db import Base, UTCDateTime


class ConversationKind(StrEnum):
    THREAD = "thread"
    DIALOGUE = "dialogue"
    CHANNEL = "channel"
    RESOURCE = "resource"
    LOUNGE = "lounge"


# The messages whose text and files the retention purge has still to take (SEC-B5).
REMOVED_UNPURGED = "purged_at IS NULL AND (deleted_at IS NOT NULL OR hidden_at IS NOT NULL)"

REACTIONS = ("+1", "heart", "pray", "bulb", "clap", "raised_hands")


class Conversation(Base):
    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200), default="")
    scope: Mapped[str] = mapped_column(String(20))
    institution_id: Mapped[int | None] = mapped_column(ForeignKey("institutions.id"))
    cohort_id: Mapped[int | None] = mapped_column(ForeignKey("cohorts.id"))
    # The highest seq handed out; incremented in the same transaction as each insert, which
    # on PostgreSQL row-locks the conversation so concurrent writers get distinct seqs.
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    is_locked: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("conversation_id", "seq"),
        UniqueConstraint("author_id", "client_msg_id"),
        # serves: the retention purge's "removed and not yet purged" (SEC-B5), a few rows
        Index(
            "ix_messages_removed_unpurged",
            "id",
            sqlite_where=sql_text(REMOVED_UNPURGED),
            postgresql_where=sql_text(REMOVED_UNPURGED),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"))
    seq: Mapped[int] = mapped_column(Integer)
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    client_msg_id: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    html: Mapped[str] = mapped_column(Text)
    renderer_version: Mapped[int] = mapped_column(Integer, default=1)
    reply_to_seq: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    edited_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    hide_reason: Mapped[str] = mapped_column(String(500), default="")
    # When the retention purge blanked the text of this deleted or hidden message, dropped its
    # edit history and removed its files (SEC-B5); the marks above stay.
    purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The name shown for the author instead of theirs, fixed at write time by the feature
    # (a dialogue room's per-room pseudonym or "Participant"); None shows the person.
    author_alias: Mapped[str | None] = mapped_column(String(80))


class MessageEdit(Base):
    """The text a message had before an edit; moderators can read the history."""

    __tablename__ = "message_edits"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    edited_at: Mapped[datetime] = mapped_column(UTCDateTime())
    editor_id: Mapped[int] = mapped_column(ForeignKey("people.id"))


class Reaction(Base):
    __tablename__ = "reactions"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    emoji: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Mention(Base):
    __tablename__ = "mentions"
    __table_args__ = (Index("ix_mentions_person_id_message_id", "person_id", "message_id"),)

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)


class ReadMarker(Base):
    __tablename__ = "read_markers"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    last_read_seq: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConversationMember(Base):
    """Who belongs to a conversation of the `members` scope (a team channel, a breakout, a
    co-facilitators' back-channel): only they read it, and moderators among them moderate it.
    The feature that owns the conversation keeps this list in step with its own rosters."""

    __tablename__ = "conversation_members"
    __table_args__ = (Index("ix_conversation_members_person_id", "person_id"),)

    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    is_moderator: Mapped[bool] = mapped_column(Boolean, default=False)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime())
