"""After a Chats for Change session: the harvest board (one to three takeaways per breakout,
stored without any author, reviewed by the facilitators for re-identifying details before
they are published to the invited cohorts), the anonymous feedback form (shown only in
aggregate with at least five answers), and the facilitators' private debrief note."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from artme_cop import policy

from artme_cop.dialogue import queries
from artme_cop.dialogue.lifecycle import State
from artme_cop.dialogue.models import DialogueFeedback, DialogueFeedbackGiven, DialogueSession, DialogueTakeaway, RoomKind
from artme_cop.dialogue.service import SessionView, _audit, _facilitate, access_session
from artme_cop.errors import Conflict, Forbidden, Invalid, NotFound
from artme_cop.knowledge import service as knowledge
from artme_cop.knowledge.models import Priority, ResourceType
from artme_cop.policy import Action, Actor
from artme_cop.program import fields
from artme_cop.unit_of_work import UnitOfWork

MAX_TAKEAWAYS = 3
# Feedback is shown only in aggregate, and only from this many answers (DOMAIN.md).
MIN_ANSWERS = 5


def _took_part(view: SessionView) -> None:
    p = view.participant
    if view.is_facilitator or p is None or p.accepted_version == 0 or p.removed_at is not None:
        raise Forbidden("Only the people who took part do this.")
    if view.session.state in (State.LOBBY.value, State.PURGED.value):
        raise Conflict("Not now: the session has not started, or it is over.")


async def post_takeaway(uow: UnitOfWork, actor: Actor, session_id: object, *, room: object, text: object) -> DialogueTakeaway:
    """Add a takeaway of a breakout (or of the main room) to the harvest, without attribution.

    Raises: Forbidden (did not take part), NotFound (not a room of this session),
    Conflict (the room has its three takeaways), Invalid (text).
    """
    view = await access_session(uow, actor, session_id)
    _took_part(view)
    session = view.session
    found = await queries.get_room(uow.session, fields.maybe_key(room) or 0)
    if found is None or found.session_id != session.id or found.kind not in (RoomKind.MAIN.value, RoomKind.BREAKOUT.value, RoomKind.AFFINITY.value):
        raise NotFound("breakout")
    body = fields.long_text(text, field="text", label="The takeaway", max_length=1000)
    count = (await uow.session.execute(select(func.count(DialogueTakeaway.id)).where(DialogueTakeaway.room_id == found.conversation_id))).scalar_one()
    if count >= MAX_TAKEAWAYS:
        raise Conflict(f"This room posted its {MAX_TAKEAWAYS} takeaways already.")
    takeaway = DialogueTakeaway(session_id=session.id, room_id=found.conversation_id, text=body, status="pending", created_at=uow.clock.now())
    uow.session.add(takeaway)
    await uow.flush()
    return takeaway


async def review_takeaway(uow: UnitOfWork, actor: Actor, session_id: object, takeaway_id: object, *, decision: object, text: object = "") -> DialogueTakeaway:
    """Publish (optionally with re-identifying details taken out) or reject a takeaway.

    Who: `dialogue.facilitate`. Audited.
    """
    session = (await _facilitate(uow, actor, session_id)).session
    takeaway = await uow.session.get(DialogueTakeaway, fields.maybe_key(takeaway_id) or 0)
    if takeaway is None or takeaway.session_id != session.id:
        raise NotFound("takeaway")
    if decision not in ("publish", "reject"):
        raise Invalid("Publish or reject the takeaway.", field="decision")
    if text not in ("", None):
        takeaway.text = fields.long_text(text, field="text", label="The takeaway", max_length=1000)
    takeaway.status = "published" if decision == "publish" else "rejected"
    takeaway.reviewed_at = uow.clock.now()
    _audit(uow, actor, session, f"dialogue_takeaway_{takeaway.status}", {"takeaway": takeaway.id})
    return takeaway


async def harvest(uow: UnitOfWork, actor: Actor, session_id: object) -> tuple[SessionView, list[DialogueTakeaway]]:
    """The harvest board: published takeaways for everyone who sees the session; the
    facilitators also see those waiting for review and the rejected ones."""
    view = await access_session(uow, actor, session_id)
    query = select(DialogueTakeaway).where(DialogueTakeaway.session_id == view.session.id).order_by(DialogueTakeaway.room_id, DialogueTakeaway.id)
    if not view.is_facilitator:
        query = query.where(DialogueTakeaway.status == "published")
    return view, list((await uow.session.execute(query)).scalars())


def may_draft_harvest(actor: Actor, view: SessionView) -> bool:
    """Whether the actor may make the harvest a knowledge-repository draft (the form shows)."""
    return view.is_facilitator and view.session.harvest_resource_id is None and policy.can(actor, Action.RESOURCE_CREATE, view.session.institution_id)


async def draft_harvest_resource(uow: UnitOfWork, actor: Actor, session_id: object, *, title: object) -> str:
    """A facilitator who may post to the knowledge repository (the school's coalition or lead)
    turns the published harvest into a draft harvest digest of the school. Only published
    takeaways go in: they carry no names and passed the facilitators' review. The draft stays
    private to its author, stewards and the school's lead until it passes assessment.

    Who: the session's facilitators with `resource.create`. Audit: dialogue_harvest_drafted.
    Returns the resource's public id. Raises Forbidden, Conflict, Invalid, NotFound.
    """
    session = (await _facilitate(uow, actor, session_id)).session
    if not policy.can(actor, Action.RESOURCE_CREATE, session.institution_id):
        raise Forbidden("Only a facilitator who sits in the school's coalition posts to the knowledge repository; ask a coalition member.")
    if session.harvest_resource_id is not None:
        raise Conflict("This harvest is a knowledge-repository draft already.")
    published = [t.text for t in (await harvest(uow, actor, session.id))[1] if t.status == "published"]
    if not published:
        raise Conflict("Publish at least one takeaway first.")
    content = knowledge.clean_content(
        type=ResourceType.HARVEST_DIGEST.value, title=title, summary=f"Takeaways of the Chats for Change session “{session.title}”."[:1000],
        body="\n".join(f"- {_as_list_item(text)}" for text in published), change_target="", priority=Priority.MEDIUM.value,
        tags="chats for change, harvest", phases=["3"],
    )
    resource = await knowledge.create_resource(uow, actor, content)
    session.harvest_resource_id = resource.public_id
    _audit(uow, actor, session, "dialogue_harvest_drafted", {"resource": resource.public_id, "takeaways": len(published)})
    return resource.public_id


def _as_list_item(text: str) -> str:
    """A takeaway as one markdown list item: its own line breaks indented under the bullet."""
    return "\n  ".join(line for line in text.splitlines() if line.strip())


async def answer_feedback(uow: UnitOfWork, actor: Actor, session_id: object, *, learned: object, safety: object, change: object) -> None:
    """Answer the anonymous feedback form once: what you learned, how safe you felt (1 to 5),
    one thing to change. The answer and the fact of answering are stored apart."""
    view = await access_session(uow, actor, session_id)
    _took_part(view)
    score = fields.key(safety, field="safety", label="How safe you felt")
    if not 1 <= score <= 5:
        raise Invalid("How safe you felt is a number from 1 to 5.", field="safety")
    answer = DialogueFeedback(
        session_id=view.session.id, safety=score,
        learned=fields.long_text(learned, field="learned", label="What you learned", required=False, max_length=2000),
        change=fields.long_text(change, field="change", label="One thing to change", required=False, max_length=2000),
    )
    if await uow.session.get(DialogueFeedbackGiven, (view.session.id, actor.person_id)) is not None:
        raise Conflict("You answered the feedback form already. Thank you.")
    uow.session.add(DialogueFeedbackGiven(session_id=view.session.id, person_id=actor.person_id))
    uow.session.add(answer)
    await uow.flush()


@dataclass(frozen=True)
class FeedbackResults:
    answers: int
    shown: bool
    average_safety: float | None
    learned: list[str]
    change: list[str]


async def feedback_results(uow: UnitOfWork, actor: Actor, session_id: object) -> FeedbackResults:
    """The feedback in aggregate for the facilitators, only from MIN_ANSWERS answers on;
    below that only the number of answers (the comments come in random order, not answer by answer)."""
    session = (await _facilitate(uow, actor, session_id)).session
    rows = list((await uow.session.execute(select(DialogueFeedback).where(DialogueFeedback.session_id == session.id))).scalars())
    if len(rows) < MIN_ANSWERS:
        return FeedbackResults(len(rows), False, None, [], [])
    return FeedbackResults(
        len(rows), True, round(sum(r.safety for r in rows) / len(rows), 1),
        sorted(r.learned for r in rows if r.learned), sorted(r.change for r in rows if r.change),
    )


async def save_debrief(uow: UnitOfWork, actor: Actor, session_id: object, *, note: object) -> DialogueSession:
    """The facilitators' private debrief note (only they read it)."""
    session = (await _facilitate(uow, actor, session_id)).session
    session.debrief_note = fields.long_text(note, field="note", label="The debrief", required=False, max_length=8000)
    return session
