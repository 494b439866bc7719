"""Tables of the forum: categories, threads, watch/mute choices and bookmarks.

A thread's posts are the messages of its conversation (the messaging core); its scope
(consortium, institution, cohort) lives on that conversation, where the policy reads it.
The thread row keeps what lists sort and show (title, activity, counts) so a list page is
one indexed query.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from artme_cop.db import Base, UTCDateTime


class StartRule(StrEnum):
    """Who may start threads in a category."""

    EVERYONE = "everyone"
    FACILITATORS = "facilitators"
    ADMINS = "admins"


class WatchLevel(StrEnum):
    WATCHING = "watching"
    NORMAL = "normal"
    MUTED = "muted"


class Category(Base):
    __tablename__ = "forum_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text, default="")
    position: Mapped[int] = mapped_column(Integer, default=0)
    # The program phase (1-6) a category follows; None for the general ones.
    phase: Mapped[int | None] = mapped_column(Integer)
    start_rule: Mapped[str] = mapped_column(String(20), default=StartRule.EVERYONE.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Thread(Base):
    __tablename__ = "forum_threads"
    __table_args__ = (
        Index("ix_forum_threads_category_id_last_post_at", "category_id", "last_post_at", "id"),
        Index("ix_forum_threads_last_post_at", "last_post_at", "id"),
        Index("ix_forum_threads_created_at", "created_at", "id"),
        Index("ix_forum_threads_post_count", "post_count", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), unique=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("forum_categories.id"))
    author_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    title: Mapped[str] = mapped_column(String(200))
    is_pinned: Mapped[bool] = mapped_column(Boolean, default=False)
    post_count: Mapped[int] = mapped_column(Integer, default=0)
    last_post_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_author_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ThreadWatch(Base):
    """A person's choice for one thread: watching (notified of every post), or muted."""

    __tablename__ = "forum_thread_watches"

    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), primary_key=True)
    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_threads.id"), primary_key=True, index=True)
    level: Mapped[str] = mapped_column(String(20))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Bookmark(Base):
    __tablename__ = "forum_bookmarks"
    __table_args__ = (UniqueConstraint("person_id", "thread_id", "seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    thread_id: Mapped[int] = mapped_column(ForeignKey("forum_threads.id"))
    seq: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
