"""Read functions of the messaging core. No permission checks here."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import ColumnElement, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from artme_cop.conversations.models import Conversation, ConversationMember, Message, Reaction, ReadMarker
from artme_cop.conversations.statements import AUTHOR_COLUMNS, AuthorRow, author_row
from artme_cop.identity.models import Person


async def get_conversation(session: AsyncSession, conversation_id: int) -> Conversation | None:
    return await session.get(Conversation, conversation_id)


async def list_members(session: AsyncSession, conversation_id: int) -> list[ConversationMember]:
    query = select(ConversationMember).where(ConversationMember.conversation_id == conversation_id).order_by(ConversationMember.person_id)
    return list((await session.execute(query)).scalars())


async def get_message(session: AsyncSession, message_id: int) -> Message | None:
    return await session.get(Message, message_id)


async def get_message_by_seq(session: AsyncSession, conversation_id: int, seq: int) -> Message | None:
    query = select(Message).where(Message.conversation_id == conversation_id, Message.seq == seq)
    return (await session.execute(query)).scalar_one_or_none()


class ReplayedMessage(NamedTuple):
    """What a message event shows of a stored message (service.message_payload)."""

    conversation_id: int
    seq: int
    author_id: int
    html: str
    reply_to_seq: int | None
    client_msg_id: str
    created_at: datetime
    edited_at: datetime | None
    deleted_at: datetime | None
    hidden_at: datetime | None
    author_alias: str | None


_REPLAYED_COLUMNS = [getattr(Message, name) for name in ReplayedMessage._fields]


async def list_messages_after(
    session: AsyncSession, conversation_id: int, after_seq: int, *, limit: int, up_to_seq: int | None = None
) -> list[tuple[ReplayedMessage, AuthorRow]]:
    """Messages with seq > after_seq (and <= up_to_seq), oldest first, with their authors.
    Plain rows, not ORM instances: a resume replays thousands, and loading each as an
    instance cost more than encoding it."""
    split = len(_REPLAYED_COLUMNS)
    query = (
        select(*_REPLAYED_COLUMNS, *AUTHOR_COLUMNS)
        .join(Person, Person.id == Message.author_id)
        .where(Message.conversation_id == conversation_id, Message.seq > after_seq)
        .order_by(Message.seq)
        .limit(limit)
    )
    if up_to_seq is not None:
        query = query.where(Message.seq <= up_to_seq)
    return [(ReplayedMessage(*row[:split]), author_row(row[split:])) for row in await session.execute(query)]


async def list_messages_before(session: AsyncSession, conversation_id: int, before_seq: int | None, *, limit: int) -> list[tuple[Message, Person]]:
    """The page of messages just before `before_seq` (the newest when None), oldest first."""
    query = (
        select(Message, Person)
        .join(Person, Person.id == Message.author_id)
        .where(Message.conversation_id == conversation_id)
        .order_by(Message.seq.desc())
        .limit(limit)
    )
    if before_seq is not None:
        query = query.where(Message.seq < before_seq)
    rows = [(m, p) for m, p in (await session.execute(query)).all()]
    rows.reverse()
    return rows


async def list_conversations(session: AsyncSession, where: ColumnElement[bool]) -> list[Conversation]:
    query = select(Conversation).where(where).order_by(Conversation.id)
    return list((await session.execute(query)).scalars())


async def reaction_counts(session: AsyncSession, message_id: int) -> dict[str, int]:
    rows = (await session.execute(select(Reaction.emoji).where(Reaction.message_id == message_id))).scalars()
    counts: dict[str, int] = {}
    for emoji in rows:
        counts[emoji] = counts.get(emoji, 0) + 1
    return counts


async def advance_read_marker(session: AsyncSession, person_id: int, conversation_id: int, seq: int, now: datetime) -> int:
    """Move the person's marker forward to `seq` (never back) in one statement, so two requests
    of one person at once cannot both insert it; returns the marker."""
    insert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(ReadMarker).values(person_id=person_id, conversation_id=conversation_id, last_read_seq=seq, updated_at=now)
    statement = statement.on_conflict_do_update(
        index_elements=[ReadMarker.person_id, ReadMarker.conversation_id],
        set_={"last_read_seq": statement.excluded.last_read_seq, "updated_at": statement.excluded.updated_at},
        where=ReadMarker.last_read_seq < statement.excluded.last_read_seq,
    )
    await session.execute(statement)
    marker = select(ReadMarker.last_read_seq).where(ReadMarker.person_id == person_id, ReadMarker.conversation_id == conversation_id)
    return (await session.execute(marker)).scalar_one()


async def kinds_of(session: AsyncSession, conversation_ids: set[int]) -> dict[int, str]:
    rows = await session.execute(select(Conversation.id, Conversation.kind).where(Conversation.id.in_(sorted(conversation_ids))))
    return {conversation_id: kind for conversation_id, kind in rows.all()}


async def find_by_client_ids(session: AsyncSession, keys: set[tuple[int, str]]) -> dict[tuple[int, str], tuple[int, int]]:
    """(author_id, client_msg_id) -> (conversation_id, seq) for the keys already stored."""
    if not keys:
        return {}
    authors = {author for author, _ in keys}
    client_ids = {client_id for _, client_id in keys}
    query = select(Message.author_id, Message.client_msg_id, Message.conversation_id, Message.seq).where(
        Message.author_id.in_(sorted(authors)), Message.client_msg_id.in_(sorted(client_ids))
    )
    found = {(a, c): (conv, seq) for a, c, conv, seq in (await session.execute(query)).all()}
    return {key: value for key, value in found.items() if key in keys}


async def get_conversations(session: AsyncSession, ids: set[int]) -> dict[int, Conversation]:
    if not ids:
        return {}
    rows = (await session.execute(select(Conversation).where(Conversation.id.in_(sorted(ids))))).scalars()
    return {row.id: row for row in rows}
