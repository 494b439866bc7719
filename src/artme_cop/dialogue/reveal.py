"""The break-glass reveal of Chats for Change: who wrote a pseudonymous or anonymous message,
for the session's facilitators and program admins only, with a reason, audited, and the
school's lead told (DOMAIN.md, identity modes)."""

from __future__ import annotations

from dataclasses import dataclass

from artme_cop import policy
from artme_cop.conversations import queries as conversations_queries
from artme_cop.dialogue import queries
from artme_cop.dialogue.service import _audit, access_session
from artme_cop.errors import Forbidden, Invalid, NotFound
from artme_cop.identity.models import Person
from artme_cop.notifications import service as notifications
from artme_cop.policy import Action, Actor
from artme_cop.program import fields
from artme_cop.unit_of_work import UnitOfWork



@dataclass(frozen=True)
class Revealed:
    person: Person
    shown_as: str
    seq: int


async def reveal_author(uow: UnitOfWork, actor: Actor, session_id: object, *, conversation: object, seq: object, reason: object) -> Revealed:
    """Tell a facilitator or program admin who wrote a pseudonymous or anonymous message.

    Who: `dialogue.reveal`. A reason is required; the reveal is audited with it and the
    school's lead is notified (DOMAIN.md: every reveal needs a reason, is logged, the lead is told).
    Raises: Forbidden, NotFound (message not of this session), Invalid (no reason).
    """
    view = await access_session(uow, actor, session_id)
    if not policy.can(actor, Action.DIALOGUE_REVEAL, view.ref):
        raise Forbidden("Only the session's facilitators and program admins can reveal an author.")
    why = fields.long_text(reason, field="reason", label="The reason", max_length=1000)
    if len(why) < 10:
        raise Invalid("Give the reason for revealing this author (at least 10 characters).", field="reason")
    session = view.session
    # The main room unless another of the session's rooms is named.
    conversation_id = session.main_conversation_id if conversation in (None, "") else fields.maybe_key(conversation)
    room = None if conversation_id is None else await queries.get_room(uow.session, conversation_id)
    message = None if room is None or room.session_id != session.id else await conversations_queries.get_message_by_seq(uow.session, room.conversation_id, fields.maybe_key(seq) or 0)
    if message is None or message.author_alias is None:
        raise NotFound("message")
    person = await uow.session.get(Person, message.author_id)
    assert person is not None
    _audit(uow, actor, session, "dialogue_reveal", {"conversation": message.conversation_id, "seq": message.seq, "reason": why})
    leads = await queries.institution_leads(uow.session, session.institution_id)
    await notifications.notify(
        uow, recipients=leads, kind="warning", conversation=None, seq=None, actor_id=actor.person_id,
        summary=f"{actor.display_name} revealed the author of a message in the Chats for Change session {session.title!r}. Reason: {why[:200]}",
        link=f"/dialogue/{session.id}",
    )
    return Revealed(person, message.author_alias, message.seq)
