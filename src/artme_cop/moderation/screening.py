"""Screening posts for patient identifiers (SEC-L1). A post or an edit that seems to hold a
medical record number or a date of birth is first refused with a warning (nothing is
published): its author takes the identifier out, or, since a false alarm must not silence
anyone, confirms it. A confirmed one is posted but never silently: in the same transaction it
gets an open flag from no one ("flagged automatically", reason: identifying details), so it
reaches the moderators' queue, and its author is told, with the link to edit or delete it.
Registered with the messaging core for every kind of conversation, so every door (forms, the
API, the WebSocket) is screened alike.
"""

from __future__ import annotations

from sqlalchemy import select

from artme_cop.conversations import hooks
from artme_cop.moderation import identifiers
from artme_cop.moderation.flags import message_link
from artme_cop.moderation.models import Flag, FlagReason, FlagStatus
from artme_cop.notifications import service as notifications
from artme_cop.notifications.models import NotificationKind
from artme_cop.unit_of_work import UnitOfWork


def warning(body: str, subject: str) -> str:
    kinds = identifiers.described(body)
    return (
        f"{subject} seems to hold {kinds} of a patient. Nobody may be identifiable here: take it out."
        " If it is not what it seems, send it again and confirm; the moderators will be asked to look."
    )


async def flag_identifiers(uow: UnitOfWork, stored: list[hooks.StoredMessage]) -> None:
    now = uow.clock.now()
    already = set(await uow.session.scalars(select(Flag.message_id).where(
        Flag.message_id.in_([m.message_id for m in stored]), Flag.flagger_id.is_(None), Flag.status == FlagStatus.OPEN.value,
    )))
    for message in stored:
        if message.message_id in already:
            continue  # an edit of a message the moderators are asked about already
        kinds = identifiers.described(message.body)
        uow.session.add(Flag(
            message_id=message.message_id, conversation_id=message.conversation.id, flagger_id=None, reason=FlagReason.PRIVATE_DETAILS.value,
            note=f"Flagged automatically: it may hold {kinds}.", created_at=now, status=FlagStatus.OPEN.value,
        ))
        await notifications.notify(
            uow, recipients=[message.author_id], kind=NotificationKind.WARNING.value, conversation=message.conversation, seq=message.seq, actor_id=None,
            summary=f"Your message may hold {kinds} of a patient. The moderators were asked to look; edit or delete it if it does.",
            link=message_link(message.conversation.id, message.seq),
        )
    await uow.flush()


hooks.screen_every_post(identifiers.any_found, flag_identifiers, warning)
