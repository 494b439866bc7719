"""What the messaging core asks of dialogue rooms, registered as its per-kind hooks: the
accept check run in the write transaction for every send (the floor rules of dialogue/floor.py,
the slow-mode post time, the author alias of the room's identity mode), how people appear in
presence and typing, which page shows a room, and that hidden messages stay readable to their
author and the facilitators."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import ColumnElement, Connection, exists, select, update

from artme_cop import policy
from artme_cop.conversations import hooks
from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import Conversation, ConversationKind, Message
from artme_cop.conversations.statements import ConversationRow
from artme_cop.dialogue import floor, queries
from artme_cop.dialogue.lifecycle import State
from artme_cop.dialogue.models import DialogueFacilitator, DialogueParticipant, DialogueReport, DialogueRoom, DialogueSession, IdentityMode, RoomKind
from artme_cop.dialogue.service import ANONYMOUS_NAME, _people, _shown
from artme_cop.errors import Forbidden, NotFound
from artme_cop.policy import Action, Actor, DialogueRef
from artme_cop.unit_of_work import UnitOfWork


_S = DialogueSession.__table__
_R = DialogueRoom.__table__
_F = DialogueFacilitator.__table__
_P = DialogueParticipant.__table__


def check_send(connection: Connection, actor: Actor, conversation: ConversationRow, now: datetime) -> str | None:
    """The accept check of dialogue rooms, in the write transaction: the floor rules, then note
    the post time for slow mode; returns the author alias of the room's identity mode."""
    row = connection.execute(
        select(_S.c.id, _S.c.state, _S.c.institution_id, _S.c.floor_mode, _S.c.floor_person_id, _S.c.slow_mode_seconds, _S.c.identity_mode, _S.c.agreement_version, _R.c.kind)
        .join(_R, _R.c.session_id == _S.c.id).where(_R.c.conversation_id == conversation.id)
    ).first()
    if row is None:
        raise NotFound("conversation")
    facilitator_ids = frozenset(connection.execute(select(_F.c.person_id).where(_F.c.session_id == row.id)).scalars())
    facilitates = policy.can(actor, Action.DIALOGUE_FACILITATE, DialogueRef(row.institution_id, frozenset(), facilitator_ids))
    me = None if facilitates else connection.execute(
        select(_P.c.id, _P.c.accepted_version, _P.c.removed_at, _P.c.muted_until, _P.c.last_posted_at, _P.c.alias)
        .where(_P.c.session_id == row.id, _P.c.person_id == actor.person_id)
    ).first()
    if row.kind in (RoomKind.BACKCHANNEL.value, RoomKind.LINE.value):
        # Only the co-facilitators (and, on a private line, its participant) are on the list;
        # they talk there until the session closes, also in the lobby and during a pause.
        if row.state in (State.CLOSED.value, State.PURGED.value):
            raise Forbidden("The session is closed.")
        # The room's identity mode holds on the private line too: facilitators see the
        # pseudonym or "Participant", never the name, short of a logged reveal.
        return None if me is None else _alias(row.identity_mode, me.alias)
    if facilitates:
        floor.check_post(floor.Standing(State(row.state), facilitator=True), now)
        return None
    standing = floor.Standing(
        State(row.state), facilitator=False,
        accepted_current=me is not None and me.accepted_version == row.agreement_version, removed=me is not None and me.removed_at is not None,
        muted_until=_aware(me.muted_until) if me is not None else None, floor_mode=row.floor_mode and row.kind == RoomKind.MAIN.value, holds_floor=row.floor_person_id == actor.person_id,
        slow_mode_seconds=row.slow_mode_seconds, last_posted_at=_aware(me.last_posted_at) if me is not None else None, time_zone=actor.time_zone,
    )
    floor.check_post(standing, now)
    assert me is not None
    connection.execute(update(_P).where(_P.c.id == me.id).values(last_posted_at=now))
    return _alias(row.identity_mode, me.alias)


def _alias(identity_mode: str, alias: str) -> str | None:
    """The name a participant's post carries in the room's identity mode (None: their own)."""
    if identity_mode == IdentityMode.PSEUDONYMOUS.value:
        return str(alias)
    return ANONYMOUS_NAME if identity_mode == IdentityMode.ANONYMOUS.value else None


def _aware(value: datetime | None) -> datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)


async def present(uow: UnitOfWork, conversation: Conversation, person_ids: list[int]) -> dict[int, dict[str, Any] | None]:
    """How people appear in a dialogue room's presence list (facilitators by name, with a badge)."""
    room = await queries.get_room(uow.session, conversation.id)
    session = None if room is None else await queries.get_session(uow.session, room.session_id)
    people = {p.id: p for p in await _people(uow, person_ids)}
    if session is None:
        return {pid: conversations.author_payload(people[pid]) for pid in person_ids if pid in people}
    facilitator_ids = {p.id for p in await queries.facilitators(uow.session, session.id)}
    standing = {p.person_id: p for p in await queries.participants(uow.session, session.id)}
    shown: dict[int, dict[str, Any] | None] = {}
    for pid in person_ids:
        if pid not in people:
            continue
        if pid in facilitator_ids:
            shown[pid] = {**conversations.author_payload(people[pid]), "facilitator": True}
        elif pid in standing:
            shown[pid] = _shown(session, standing[pid], people[pid])
        else:
            shown[pid] = None
    return shown


async def room_page(uow: UnitOfWork, conversation: Conversation, seq: int | None) -> str | None:
    room = await queries.get_room(uow.session, conversation.id)
    return None if room is None else f"/dialogue/{room.session_id}"


def reported() -> ColumnElement[bool]:
    """A reported message is the incident's snapshot: the dialogue purge deletes it once its
    incident has been resolved long enough, never the purge of removed text before that."""
    return exists().where(DialogueReport.message_id == Message.id)


hooks.on_accept(ConversationKind.DIALOGUE.value, check_send)
hooks.on_present(ConversationKind.DIALOGUE.value, present)
hooks.on_page(ConversationKind.DIALOGUE.value, room_page)
hooks.keep_hidden_for_author_and_moderators(ConversationKind.DIALOGUE.value)
hooks.hold_from_purge(reported)

