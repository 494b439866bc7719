"""Read functions of the moderation queue and of warnings. No permission checks here: the
callers pass the policy's clauses in `where`."""

from __future__ import annotations

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from artme_cop.conversations.models import Conversation, Message, MessageEdit
from artme_cop.moderation.models import Flag, FlagStatus, ModerationWarning

RESOLVED = (FlagStatus.DISMISSED.value, FlagStatus.ACTIONED.value)


def statuses(resolved: bool) -> tuple[str, ...]:
    return RESOLVED if resolved else (FlagStatus.OPEN.value,)


async def get_flag(session: AsyncSession, flag_id: int) -> Flag | None:
    return await session.get(Flag, flag_id)


async def get_open_flag(session: AsyncSession, message_id: int, flagger_id: int) -> Flag | None:
    query = select(Flag).where(Flag.message_id == message_id, Flag.flagger_id == flagger_id, Flag.status == FlagStatus.OPEN.value)
    return (await session.execute(query)).scalar_one_or_none()


async def list_open_flags(session: AsyncSession, message_id: int) -> list[Flag]:
    query = select(Flag).where(Flag.message_id == message_id, Flag.status == FlagStatus.OPEN.value).order_by(Flag.id)
    return list((await session.execute(query)).scalars())


async def flagged_messages(
    session: AsyncSession, where: ColumnElement[bool], *, resolved: bool, before_id: int | None, limit: int
) -> list[tuple[int, int, int]]:
    """(message id, newest flag id, number of flags) per flagged message, newest flag first,
    for flags in the given state on messages that `where` (over Conversation and Message) admits."""
    newest = func.max(Flag.id)
    query = (
        select(Flag.message_id, newest, func.count(Flag.id))
        .join(Message, Message.id == Flag.message_id)
        .join(Conversation, Conversation.id == Flag.conversation_id)
        .where(Flag.status.in_(statuses(resolved)), where)
        .group_by(Flag.message_id)
        .order_by(newest.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.having(newest < before_id)
    return [(int(message_id), int(latest), int(count)) for message_id, latest, count in (await session.execute(query)).all()]


async def flags_of_messages(session: AsyncSession, message_ids: list[int], *, resolved: bool) -> list[Flag]:
    if not message_ids:
        return []
    query = select(Flag).where(Flag.message_id.in_(message_ids), Flag.status.in_(statuses(resolved))).order_by(Flag.id)
    return list((await session.execute(query)).scalars())


async def get_messages(session: AsyncSession, message_ids: list[int]) -> dict[int, Message]:
    if not message_ids:
        return {}
    rows = (await session.execute(select(Message).where(Message.id.in_(message_ids)))).scalars()
    return {row.id: row for row in rows}


async def list_warnings(session: AsyncSession, person_id: int, *, before_id: int | None, limit: int) -> list[tuple[ModerationWarning, Message, Conversation]]:
    """A person's warnings, newest first, with the message and conversation each is about."""
    query = (
        select(ModerationWarning, Message, Conversation)
        .join(Message, Message.id == ModerationWarning.message_id)
        .join(Conversation, Conversation.id == ModerationWarning.conversation_id)
        .where(ModerationWarning.person_id == person_id)
        .order_by(ModerationWarning.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(ModerationWarning.id < before_id)
    return [(w, m, c) for w, m, c in (await session.execute(query)).all()]


async def list_edits(session: AsyncSession, message_id: int) -> list[MessageEdit]:
    """The texts a message had before each edit, oldest first."""
    query = select(MessageEdit).where(MessageEdit.message_id == message_id).order_by(MessageEdit.id)
    return list((await session.execute(query)).scalars())
