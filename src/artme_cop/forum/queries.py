"""Read functions of the forum. No permission checks here: callers pass the policy's
visibility clause, and every list query joins the thread's conversation to apply it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from artme_cop.conversations.models import Conversation, Message, Reaction, ReadMarker
from artme_cop.forum.models import Bookmark, Category, Thread, ThreadWatch, WatchLevel
from artme_cop.identity.models import Person


class ThreadOrder(StrEnum):
    LATEST = "latest"
    NEW = "new"
    ACTIVE = "active"


@dataclass(frozen=True)
class Cursor:
    """Where the next page of a thread list starts: the sort value and id of the last row."""

    value: datetime | int
    thread_id: int


@dataclass(frozen=True)
class ThreadRow:
    thread: Thread
    conversation: Conversation
    category: Category
    author: Person
    last_author: Person | None
    last_read_seq: int | None
    watch: str

    @property
    def unread(self) -> int:
        return self.conversation.last_seq - (self.last_read_seq or 0)

    @property
    def is_new(self) -> bool:
        return self.last_read_seq is None


async def list_categories(session: AsyncSession) -> list[Category]:
    return list((await session.execute(select(Category).order_by(Category.position, Category.id))).scalars())


async def get_category(session: AsyncSession, category_id: int) -> Category | None:
    return await session.get(Category, category_id)


async def get_category_by_slug(session: AsyncSession, slug: str) -> Category | None:
    return (await session.execute(select(Category).where(Category.slug == slug))).scalar_one_or_none()


async def get_thread(session: AsyncSession, thread_id: int) -> tuple[Thread, Conversation] | None:
    query = select(Thread, Conversation).join(Conversation, Conversation.id == Thread.conversation_id).where(Thread.id == thread_id)
    row = (await session.execute(query)).first()
    return None if row is None else (row[0], row[1])


async def threads_of_conversations(session: AsyncSession, conversation_ids: set[int]) -> dict[int, Thread]:
    if not conversation_ids:
        return {}
    rows = (await session.execute(select(Thread).where(Thread.conversation_id.in_(sorted(conversation_ids))))).scalars()
    return {row.conversation_id: row for row in rows}


def _order(order: ThreadOrder) -> tuple[ColumnElement[object], ...]:
    column = {ThreadOrder.LATEST: Thread.last_post_at, ThreadOrder.NEW: Thread.created_at, ThreadOrder.ACTIVE: Thread.post_count}[order]
    return (column, Thread.id)


async def list_threads(
    session: AsyncSession,
    *,
    visible: ColumnElement[bool],
    person_id: int,
    order: ThreadOrder,
    limit: int,
    category_id: int | None = None,
    after: Cursor | None = None,
    pinned: bool | None = None,
    exclude_muted: bool = False,
    unread_only: bool = False,
) -> list[ThreadRow]:
    """A page of threads, newest activity (or creation, or post count) first, read by keyset."""
    sort_column, id_column = _order(order)
    query = _thread_rows(person_id).where(visible)
    if unread_only:
        # a thread whose newest post is the person's own has nothing new for them
        query = query.where(
            Conversation.last_seq > func.coalesce(ReadMarker.last_read_seq, 0), or_(Thread.last_author_id.is_(None), Thread.last_author_id != person_id)
        )
    if category_id is not None:
        query = query.where(Thread.category_id == category_id)
    if pinned is not None:
        query = query.where(Thread.is_pinned == pinned)
    if exclude_muted:
        query = query.where(or_(ThreadWatch.level.is_(None), ThreadWatch.level != WatchLevel.MUTED.value))
    if after is not None:
        query = query.where(or_(sort_column < after.value, and_(sort_column == after.value, id_column < after.thread_id)))
    query = query.order_by(sort_column.desc(), id_column.desc()).limit(limit)
    return [ThreadRow(*row) for row in (await session.execute(query)).all()]


async def get_thread_row(session: AsyncSession, thread_id: int, person_id: int) -> ThreadRow | None:
    row = (await session.execute(_thread_rows(person_id).where(Thread.id == thread_id))).first()
    return None if row is None else ThreadRow(*row)


def _thread_rows(person_id: int):  # type: ignore[no-untyped-def]
    author = aliased(Person)
    last_author = aliased(Person)
    return (
        select(Thread, Conversation, Category, author, last_author, ReadMarker.last_read_seq, func.coalesce(ThreadWatch.level, WatchLevel.NORMAL.value))
        .join(Conversation, Conversation.id == Thread.conversation_id)
        .join(Category, Category.id == Thread.category_id)
        .join(author, author.id == Thread.author_id)
        .outerjoin(last_author, last_author.id == Thread.last_author_id)
        .outerjoin(ReadMarker, and_(ReadMarker.conversation_id == Thread.conversation_id, ReadMarker.person_id == person_id))
        .outerjoin(ThreadWatch, and_(ThreadWatch.thread_id == Thread.id, ThreadWatch.person_id == person_id))
    )


async def count_threads_by_category(session: AsyncSession, visible: ColumnElement[bool]) -> dict[int, int]:
    query = (
        select(Thread.category_id, func.count(Thread.id))
        .join(Conversation, Conversation.id == Thread.conversation_id)
        .where(visible)
        .group_by(Thread.category_id)
    )
    return {category_id: count for category_id, count in (await session.execute(query)).all()}


async def posts_in_range(session: AsyncSession, conversation_id: int, first_seq: int, last_seq: int) -> list[tuple[Message, Person]]:
    """Posts with first_seq <= seq <= last_seq, oldest first: a range scan of (conversation_id, seq)."""
    query = (
        select(Message, Person)
        .join(Person, Person.id == Message.author_id)
        .where(Message.conversation_id == conversation_id, Message.seq >= first_seq, Message.seq <= last_seq)
        .order_by(Message.seq)
    )
    return [(m, p) for m, p in (await session.execute(query)).all()]


async def reactions_of(session: AsyncSession, message_ids: list[int], person_id: int) -> tuple[dict[int, dict[str, int]], set[tuple[int, str]]]:
    """Reaction counts per message, and the (message, emoji) pairs the person gave."""
    counts: dict[int, dict[str, int]] = {}
    mine: set[tuple[int, str]] = set()
    if not message_ids:
        return counts, mine
    rows = await session.execute(select(Reaction.message_id, Reaction.emoji, Reaction.person_id).where(Reaction.message_id.in_(message_ids)))
    for message_id, emoji, reactor in rows.all():
        per_message = counts.setdefault(message_id, {})
        per_message[emoji] = per_message.get(emoji, 0) + 1
        if reactor == person_id:
            mine.add((message_id, emoji))
    return counts, mine


async def reply_authors(session: AsyncSession, conversation_id: int, seqs: set[int]) -> dict[int, str]:
    """The display names of the authors of the posts replied to, by seq."""
    if not seqs:
        return {}
    query = (
        select(Message.seq, Person.display_name, Person.is_deleted)
        .join(Person, Person.id == Message.author_id)
        .where(Message.conversation_id == conversation_id, Message.seq.in_(sorted(seqs)))
    )
    return {seq: ("Deleted account" if deleted else name) for seq, name, deleted in (await session.execute(query)).all()}


async def get_watch(session: AsyncSession, person_id: int, thread_id: int) -> ThreadWatch | None:
    return await session.get(ThreadWatch, (person_id, thread_id))


async def watchers(session: AsyncSession, thread_id: int) -> list[int]:
    query = select(ThreadWatch.person_id).where(ThreadWatch.thread_id == thread_id, ThreadWatch.level == WatchLevel.WATCHING.value)
    return list((await session.execute(query)).scalars())


async def muted_by(session: AsyncSession, thread_id: int, person_ids: set[int]) -> set[int]:
    if not person_ids:
        return set()
    query = select(ThreadWatch.person_id).where(
        ThreadWatch.thread_id == thread_id, ThreadWatch.level == WatchLevel.MUTED.value, ThreadWatch.person_id.in_(sorted(person_ids))
    )
    return set((await session.execute(query)).scalars())


async def bookmarked_seqs(session: AsyncSession, person_id: int, thread_id: int) -> set[int]:
    query = select(Bookmark.seq).where(Bookmark.person_id == person_id, Bookmark.thread_id == thread_id)
    return set((await session.execute(query)).scalars())


async def get_bookmark(session: AsyncSession, person_id: int, thread_id: int, seq: int) -> Bookmark | None:
    query = select(Bookmark).where(Bookmark.person_id == person_id, Bookmark.thread_id == thread_id, Bookmark.seq == seq)
    return (await session.execute(query)).scalar_one_or_none()


async def list_bookmarks(session: AsyncSession, person_id: int, visible: ColumnElement[bool], *, limit: int) -> list[tuple[Bookmark, Thread, Message]]:
    query = (
        select(Bookmark, Thread, Message)
        .join(Thread, Thread.id == Bookmark.thread_id)
        .join(Conversation, Conversation.id == Thread.conversation_id)
        .join(Message, and_(Message.conversation_id == Thread.conversation_id, Message.seq == Bookmark.seq))
        .where(Bookmark.person_id == person_id, visible)
        .order_by(Bookmark.id.desc())
        .limit(limit)
    )
    return [(b, t, m) for b, t, m in (await session.execute(query)).all()]
