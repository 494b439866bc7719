"""Participant safety in a Chats for Change room: "ouch" and "oops" signals shown as counts
(never names), a private line to the facilitators, reporting a message (the facilitators get a
live alert; the message is kept past the purge as the incident snapshot, for the incident
handlers only), and the incident handlers' list and resolution."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from artme_cop import policy
from artme_cop.conversations import queries as conversation_queries
from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import ConversationKind, Message
from artme_cop.dialogue import queries
from artme_cop.dialogue.lifecycle import State
from artme_cop.dialogue.models import DialogueParticipant, DialogueReport, DialogueRoom, RoomKind
from artme_cop.dialogue.service import SessionView, _changed, _shown, access_session
from artme_cop.errors import Conflict, Forbidden, Invalid, NotFound
from artme_cop.identity.models import Person
from artme_cop.moderation import service as audit
from artme_cop.policy import Action, Actor, SpaceScope
from artme_cop.program import fields
from artme_cop.realtime.events import Event, person_topic
from artme_cop.unit_of_work import UnitOfWork

SIGNALS = ("ouch", "oops")
LIVE_STATES = (State.LOBBY.value, State.OPEN.value, State.LOCKED.value, State.PAUSED.value)


def _inside(view: SessionView) -> None:
    if not view.in_room:
        raise Forbidden("Enter the room first.")
    if view.session.state not in LIVE_STATES:
        raise Conflict("The session is closed.")


async def signal(uow: UnitOfWork, actor: Actor, session_id: object, *, kind: object) -> dict[str, int]:
    """Send "ouch" (that hurt) or "oops" (I misspoke): the room sees the counts, never who.

    Emits: dialogue/state. Nothing about the sender is stored or sent.
    """
    if kind not in SIGNALS:
        raise Invalid("Choose ouch or oops.", field="kind")
    view = await access_session(uow, actor, session_id)
    _inside(view)
    session = view.session
    if kind == "ouch":
        session.ouch_count += 1
    else:
        session.oops_count += 1
    await _changed(uow, None, session, "", {})
    return {"ouch": session.ouch_count, "oops": session.oops_count}


async def private_line(uow: UnitOfWork, actor: Actor, session_id: object) -> int:
    """Open (or find) the participant's private line to the facilitators; returns its
    conversation. Only the participant and the facilitators are on its list.

    Emits: dialogue/line on each facilitator's person topic when the line is new.
    """
    view = await access_session(uow, actor, session_id)
    _inside(view)
    if view.is_facilitator or view.participant is None:
        raise Forbidden("The private line is for participants; facilitators have the back-channel.")
    session, participant = view.session, view.participant
    found = await _line_of(uow, session.id, participant.key)
    if found is not None:
        return found
    line = await conversations.open_conversation(
        uow, kind=ConversationKind.DIALOGUE, scope=SpaceScope.MEMBERS, title=f"{session.title}: private line {secrets.token_hex(2)}", institution_id=session.institution_id
    )
    uow.session.add(DialogueRoom(conversation_id=line.id, session_id=session.id, kind=RoomKind.LINE.value, name=participant.key, min_size=0))
    await conversations.set_members(uow, line, {actor.person_id: False, **{p.id: True for p in view.facilitators}})
    person = await uow.session.get(Person, actor.person_id)
    assert person is not None
    opened = {"session": session.id, "conversation": line.id, "person": _shown(session, participant, person)}
    for facilitator in view.facilitators:
        uow.emit(Event(person_topic(facilitator.id), "dialogue", "line", line.id, opened))
    return line.id


async def my_line(uow: UnitOfWork, view: SessionView) -> int | None:
    """The participant's private line, if they opened one (None for facilitators)."""
    if view.is_facilitator or view.participant is None:
        return None
    return await _line_of(uow, view.session.id, view.participant.key)


async def lines(uow: UnitOfWork, view: SessionView) -> list[dict[str, Any]]:
    """For the facilitators: every private line of the session, oldest first, each with its
    participant as the room's identity mode shows them (a pseudonym or "Participant")."""
    if not view.is_facilitator:
        raise Forbidden("Only the session's facilitators read the private lines.")
    rows = await uow.session.execute(
        select(DialogueRoom.conversation_id, DialogueParticipant, Person)
        .join(DialogueParticipant, (DialogueParticipant.session_id == DialogueRoom.session_id) & (DialogueParticipant.key == DialogueRoom.name))
        .join(Person, Person.id == DialogueParticipant.person_id)
        .where(DialogueRoom.session_id == view.session.id, DialogueRoom.kind == RoomKind.LINE.value)
        .order_by(DialogueRoom.conversation_id)
    )
    return [{"conversation": conversation_id, "person": _shown(view.session, participant, person)} for conversation_id, participant, person in rows.all()]


async def _line_of(uow: UnitOfWork, session_id: int, participant_key: str) -> int | None:
    return (await uow.session.execute(
        select(DialogueRoom.conversation_id).where(DialogueRoom.session_id == session_id, DialogueRoom.kind == RoomKind.LINE.value, DialogueRoom.name == participant_key)
    )).scalar_one_or_none()


async def report_message(uow: UnitOfWork, actor: Actor, session_id: object, *, conversation: object, seq: object, reason: object) -> DialogueReport:
    """Report a message of one of the session's rooms the actor reads.

    Emits: dialogue/report on each facilitator's person topic (not who reported).
    Raises: NotFound (not a message the actor reads in this session), Conflict (after the purge).
    """
    view = await access_session(uow, actor, session_id)
    _inside(view)
    session = view.session
    room = await queries.get_room(uow.session, fields.maybe_key(conversation) or 0)
    if room is None or room.session_id != session.id:
        raise NotFound("message")
    readable = await conversations.access_conversation(uow, actor, room.conversation_id)
    message = await conversation_queries.get_message_by_seq(uow.session, readable.id, fields.maybe_key(seq) or 0)
    if message is None:
        raise NotFound("message")
    why = fields.long_text(reason, field="reason", label="The reason", required=False, max_length=1000)
    report = DialogueReport(session_id=session.id, message_id=message.id, reporter_id=actor.person_id, reason=why, created_at=uow.clock.now())
    uow.session.add(report)
    await uow.flush()
    alert = {"session": session.id, "conversation": message.conversation_id, "seq": message.seq, "reason": why, "report": report.id}
    for person in view.facilitators:
        uow.emit(Event(person_topic(person.id), "dialogue", "report", report.id, alert))
    return report


@dataclass(frozen=True)
class Incident:
    report: DialogueReport
    message: dict[str, Any] | None


async def incidents(uow: UnitOfWork, actor: Actor, session_id: object) -> tuple[SessionView, list[Incident]]:
    """The session's reports with their kept messages. Who: `dialogue.incidents`."""
    view = await access_session(uow, actor, session_id)
    if not policy.can(actor, Action.DIALOGUE_INCIDENTS, view.ref):
        raise Forbidden("Only the incident handlers read reports.")
    reports = list((await uow.session.execute(select(DialogueReport).where(DialogueReport.session_id == view.session.id).order_by(DialogueReport.id))).scalars())
    found: list[Incident] = []
    for report in reports:
        message = await uow.session.get(Message, report.message_id)
        author = None if message is None else await uow.session.get(Person, message.author_id)
        # The incident snapshot shows the text even when a facilitator hid it.
        shown = None if message is None or author is None else {**conversations.message_payload(message, author), "html": message.html}
        found.append(Incident(report, shown))
    return view, found


async def resolve(uow: UnitOfWork, actor: Actor, session_id: object, report_id: object) -> DialogueReport:
    """Mark an incident resolved; its message is kept for the set number of days more."""
    view, found = await incidents(uow, actor, session_id)
    key = fields.maybe_key(report_id)
    report = next((i.report for i in found if i.report.id == key), None)
    if report is None:
        raise NotFound("report")
    if report.resolved_at is not None:
        raise Conflict("This incident is resolved already.")
    report.resolved_at = uow.clock.now()
    report.resolved_by_id = actor.person_id
    audit.record(uow, actor_id=actor.person_id, action="dialogue_incident_resolved", institution_id=view.session.institution_id, target_kind="dialogue_report", target_id=report.id)
    return report
