"""Retention of removed messages (SEC-B5): the text of a deleted or hidden message is kept
for the moderators (to review it, to show it again) for `ARTME_REMOVED_RETENTION_DAYS`; then
the purge blanks its text, drops its edit history, its mentions and the notifications that
may quote it, and removes its attachments and their files. The marks stay (who removed it,
when, the moderator's reason), and so does the audit log, which never held the text.

A message waits while a flag on it is open (a moderator has still to look) and while a
feature holds it (`hooks.hold_from_purge`: a reported dialogue message is its incident's
snapshot). Safe to run any number of times, by the server's schedule or the CLI.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta
from typing import Callable

from sqlalchemy import delete, exists, not_, or_, select, tuple_, update

from artme_cop.attachments import service as attachments
from artme_cop.conversations import hooks
from artme_cop.conversations.models import Conversation, Mention, Message, MessageEdit
from artme_cop.moderation import service as audit
from artme_cop.moderation.models import Flag, FlagStatus
from artme_cop.notifications.models import Notification
from artme_cop.unit_of_work import UnitOfWork

log = logging.getLogger(__name__)

BATCH = 500


async def purge_removed(uow: UnitOfWork, *, keep_days: int) -> int:
    """Purge up to BATCH removed messages past their retention; returns how many."""
    due = await _due(uow, keep_days)
    if not due:
        return 0
    ids = [message_id for message_id, _, _, _ in due]
    places = [(conversation_id, seq) for _, conversation_id, seq, _ in due]
    blank = update(Message).where(Message.id.in_(ids), Message.purged_at.is_(None)).values(body="", html="", purged_at=uow.clock.now())
    await uow.session.execute(blank)
    for table, column in ((MessageEdit, MessageEdit.message_id), (Mention, Mention.message_id)):
        await uow.session.execute(delete(table).where(column.in_(ids)))
    await uow.session.execute(delete(Notification).where(tuple_(Notification.conversation_id, Notification.seq).in_(places)))
    files = await attachments.discard_for_messages(uow, places)
    for institution_id, count in Counter(institution for _, _, _, institution in due).items():
        audit.record(uow, actor_id=None, action="removed_messages_purged", institution_id=institution_id, target_kind="messages", detail={"messages": count})
    if files:
        log.info("removed messages: %d file(s) to remove", files)
    return len(due)


async def _due(uow: UnitOfWork, keep_days: int) -> list[tuple[int, int, int, int | None]]:
    """(id, conversation id, seq, institution id) of removed messages past retention."""
    cutoff = uow.clock.now() - timedelta(days=keep_days)
    flagged = exists().where(Flag.message_id == Message.id, Flag.status == FlagStatus.OPEN.value)
    query = (
        select(Message.id, Message.conversation_id, Message.seq, Conversation.institution_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        # REMOVED_UNPURGED term for term, so both databases use the partial index.
        .where(Message.purged_at.is_(None), or_(Message.deleted_at.is_not(None), Message.hidden_at.is_not(None)))
        .where(or_(Message.deleted_at <= cutoff, Message.hidden_at <= cutoff))
        .where(not_(flagged), *(not_(hold) for hold in hooks.purge_holds()))
        .order_by(Message.id)
        .limit(BATCH)
    )
    return [tuple(row) for row in (await uow.session.execute(query)).all()]  # type: ignore[misc]


async def run_purge(uow: Callable[[], UnitOfWork], *, keep_days: int) -> int:
    """Purge every removed message past retention, a batch per transaction; the total."""
    total = 0
    while True:
        async with uow() as unit:
            purged = await purge_removed(unit, keep_days=keep_days)
        total += purged
        if purged < BATCH:
            break
    if total:
        log.info("removed messages: %d purged", total)
    return total
