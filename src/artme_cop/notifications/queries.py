"""Reads of notifications and email preferences; the service adds the policy's filters.

Every read that shows or counts notifications leaves out those about a message that was
deleted or hidden since: its summary may quote words nobody may read any more (SEC-B4).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from artme_cop.conversations.models import Conversation, Message
from artme_cop.notifications.models import DEFAULT_EMAIL_MODE, EmailMode, Notification, NotificationPreference


def _with_content(query: Select[Any]) -> Select[Any]:
    """Join each notification's conversation and message, and drop those whose message is
    gone (deleted or hidden); notifications about no message stay."""
    message = and_(Message.conversation_id == Notification.conversation_id, Message.seq == Notification.seq)
    return (
        query.outerjoin(Conversation, Conversation.id == Notification.conversation_id)
        .outerjoin(Message, message)
        .where(Message.deleted_at.is_(None), Message.hidden_at.is_(None))
    )


async def list_for_recipient(
    session: AsyncSession, recipient_id: int, visible: ColumnElement[bool], *, before_id: int | None, limit: int
) -> list[Notification]:
    """A person's notifications newest first, those with id < before_id when given."""
    query = (
        _with_content(select(Notification))
        .where(Notification.recipient_id == recipient_id, visible)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    if before_id is not None:
        query = query.where(Notification.id < before_id)
    return list((await session.execute(query)).scalars().all())


async def unread_by_conversation(session: AsyncSession, recipient_ids: list[int]) -> list[Row[tuple[int, str | None, int | None, int | None, int | None, int]]]:
    """(recipient, scope, institution, cohort, conversation, count) of unread notifications per
    conversation (scope None for notifications about no conversation), for the policy to sum up."""
    query = (
        _with_content(
            select(
                Notification.recipient_id, Conversation.scope, Conversation.institution_id, Conversation.cohort_id,
                Notification.conversation_id, func.count(Notification.id),
            )
        )
        .where(Notification.recipient_id.in_(recipient_ids), Notification.read_at.is_(None))
        .group_by(Notification.recipient_id, Notification.conversation_id, Conversation.scope, Conversation.institution_id, Conversation.cohort_id)
    )
    return list((await session.execute(query)).all())


async def for_message(session: AsyncSession, conversation_id: int, seq: int, recipient_ids: list[int]) -> dict[int, Notification]:
    """The notifications these people already have about one message, by recipient."""
    query = select(Notification).where(
        Notification.conversation_id == conversation_id, Notification.seq == seq, Notification.recipient_id.in_(recipient_ids)
    )
    return {row.recipient_id: row for row in (await session.execute(query)).scalars()}


async def get_notifications(session: AsyncSession, ids: set[int]) -> list[Notification]:
    query = select(Notification).where(Notification.id.in_(sorted(ids)))
    return list((await session.execute(query)).scalars())


async def email_modes(session: AsyncSession, person_ids: list[int]) -> dict[int, EmailMode]:
    """Each person's email mode; the default for people who never chose."""
    query = select(NotificationPreference.person_id, NotificationPreference.email_mode).where(NotificationPreference.person_id.in_(person_ids))
    chosen = {person_id: EmailMode(mode) for person_id, mode in (await session.execute(query)).all()}
    return {person_id: chosen.get(person_id, DEFAULT_EMAIL_MODE) for person_id in person_ids}


async def digest_recipients(session: AsyncSession, *, due_before: datetime, window_start: datetime) -> list[int]:
    """People on the daily digest (by choice or by default) whose last digest is older than
    `due_before` and who have unread notifications newer than it (or than `window_start` for
    a first digest)."""
    preference = NotificationPreference
    since = func.coalesce(preference.last_digest_at, window_start)
    query = (
        select(Notification.recipient_id)
        .outerjoin(preference, preference.person_id == Notification.recipient_id)
        .where(
            Notification.read_at.is_(None),
            func.coalesce(preference.email_mode, DEFAULT_EMAIL_MODE.value) == EmailMode.DAILY.value,
            preference.last_digest_at.is_(None) | (preference.last_digest_at <= due_before),
            Notification.created_at > since,
        )
        .group_by(Notification.recipient_id)
        .order_by(Notification.recipient_id)
    )
    return list((await session.execute(query)).scalars())


async def unread_since(session: AsyncSession, recipient_id: int, since: datetime) -> list[tuple[Notification, Conversation | None]]:
    """A person's unread notifications created after `since`, oldest first, with their conversation."""
    query = (
        _with_content(select(Notification, Conversation))
        .where(Notification.recipient_id == recipient_id, Notification.read_at.is_(None), Notification.created_at > since)
        .order_by(Notification.id)
    )
    return [(notification, conversation) for notification, conversation in (await session.execute(query)).all()]
