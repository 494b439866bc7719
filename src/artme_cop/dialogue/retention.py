"""Retention of Chats for Change (issue #5, DOMAIN.md): a dialogue's messages are never
exported or recorded; when a session closes the purge deletes the messages of all its rooms,
except reported messages, which stay for the incident handlers until the incident is resolved
plus a set number of days (and are deleted by a later purge). The audit log keeps only who
did what and when. Safe to run any number of times, by the server's schedule or the CLI."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import delete, or_, select

from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import Conversation, Mention, Message, MessageEdit, Reaction, ReadMarker
from artme_cop.dialogue.lifecycle import Move, State, next_state
from artme_cop.dialogue.models import DialogueReport, DialogueRoom, DialogueSession
from artme_cop.dialogue.service import _changed
from artme_cop.moderation import service as audit
from artme_cop.moderation.models import Flag, ModerationWarning
from artme_cop.schedule import Sleep, run_every
from artme_cop.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)


async def purge(uow: UnitOfWork, *, keep_days: int) -> int:
    """Purge every closed session (and expired incident snapshots of purged ones); returns the
    number of messages deleted."""
    now = uow.clock.now()
    sessions = (await uow.session.execute(select(DialogueSession).where(DialogueSession.state.in_((State.CLOSED.value, State.PURGED.value))))).scalars().all()
    deleted = 0
    for session in sessions:
        deleted += await _purge_session(uow, session, now, keep_days)
    return deleted


async def _purge_session(uow: UnitOfWork, session: DialogueSession, now: datetime, keep_days: int) -> int:
    rooms = list((await uow.session.execute(select(DialogueRoom.conversation_id).where(DialogueRoom.session_id == session.id))).scalars())
    kept = select(DialogueReport.message_id).where(
        DialogueReport.session_id == session.id,
        or_(DialogueReport.resolved_at.is_(None), DialogueReport.resolved_at > now - timedelta(days=keep_days)),
    )
    doomed = select(Message.id).where(Message.conversation_id.in_(rooms), Message.id.not_in(kept))
    ids = list((await uow.session.execute(doomed)).scalars())
    if ids:
        for table, column in ((Reaction, Reaction.message_id), (Mention, Mention.message_id), (MessageEdit, MessageEdit.message_id), (Flag, Flag.message_id), (ModerationWarning, ModerationWarning.message_id)):
            await uow.session.execute(delete(table).where(column.in_(ids)))
        await uow.session.execute(delete(DialogueReport).where(DialogueReport.message_id.in_(ids)))
        await uow.session.execute(delete(Message).where(Message.id.in_(ids)))
    if session.state == State.CLOSED.value:
        session.state = next_state(State.CLOSED, Move.PURGE).value
        session.purged_at = now
        await uow.session.execute(delete(ReadMarker).where(ReadMarker.conversation_id.in_(rooms)))
        for conversation_id in rooms:
            conversation = await uow.session.get(Conversation, conversation_id)
            assert conversation is not None
            await conversations.set_members(uow, conversation, {})
        await _changed(uow, None, session, "", {})
    if ids or session.purged_at == now:
        audit.record(uow, actor_id=None, action="dialogue_purged", institution_id=session.institution_id, target_kind="dialogue_session", target_id=session.id, detail={"messages": len(ids)})
    return len(ids)


async def run_purge(uow: Callable[[], UnitOfWork], *, keep_days: int) -> int:
    async with uow() as unit:
        deleted = await purge(unit, keep_days=keep_days)
    if deleted:
        log.info("dialogue purge: %d message(s) deleted", deleted)
    return deleted


async def run_purge_schedule(uow: Callable[[], UnitOfWork], *, interval: float, keep_days: int, sleep: Sleep = asyncio.sleep) -> None:
    """Purge now and then until cancelled; a failed run is logged and the next one tries again."""
    await run_every(lambda: run_purge(uow, keep_days=keep_days), interval=interval, what="dialogue purge", sleep=sleep)
