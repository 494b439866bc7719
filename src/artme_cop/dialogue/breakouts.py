"""Breakouts of a Chats for Change session: split the room into groups of 4 to 8 (random, or
mixed by constituency), or open self-selected affinity rooms that need a minimum size before
they open; broadcast to every breakout, move a person, bring everyone back.

Each breakout is a members-only conversation whose list `service._sync_members` keeps: the
facilitators, and the people placed in it while it is open. So a member hears only their
breakout, and who is in which room (an affinity room discloses identity) is known only to
that room's members and the facilitators (DOMAIN.md, what never crosses a boundary).
"""

from __future__ import annotations

import random
from datetime import timedelta
from sqlalchemy import select

from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import ConversationKind
from artme_cop.dialogue import queries
from artme_cop.dialogue.lifecycle import State
from artme_cop.dialogue.models import DialogueParticipant, DialogueRoom, DialogueSession, RoomKind
from artme_cop.dialogue.service import _audit, _changed, _facilitate, _participant, _seconds, _sync_members, access_session
from artme_cop.errors import Conflict, DomainError, Forbidden, Invalid, NotFound
from artme_cop.identity.models import CohortMembership
from artme_cop.dialogue.models import DialogueCohort
from artme_cop.policy import Actor, SpaceScope
from artme_cop.program import fields
from artme_cop.realtime.events import Event, person_topic
from artme_cop.unit_of_work import UnitOfWork

MIN_GROUP, MAX_GROUP = 4, 8
MAX_AFFINITY_ROOMS = 12
_random = random.SystemRandom()


def split(people: list[int], size: int, *, groups_of: dict[int, str] | None = None) -> list[list[int]]:
    """Deal people into ceil(n / size) groups: shuffled, or (mixed) dealt constituency by
    constituency so that each group gets a mix. Pure apart from the shuffle."""
    if not people:
        return []
    count = max(1, -(-len(people) // size))
    order = list(people)
    _random.shuffle(order)
    if groups_of is not None:
        order.sort(key=lambda pid: groups_of.get(pid, ""))
    groups: list[list[int]] = [[] for _ in range(count)]
    for index, pid in enumerate(order):
        groups[index % count].append(pid)
    return groups


async def _in_room(uow: UnitOfWork, session: DialogueSession) -> list[DialogueParticipant]:
    return [p for p in await queries.participants(uow.session, session.id) if p.removed_at is None and p.accepted_version == session.agreement_version]


async def _new_room(uow: UnitOfWork, session: DialogueSession, kind: RoomKind, name: str, *, min_size: int = 0, minutes: int = 0) -> DialogueRoom:
    conversation = await conversations.open_conversation(
        uow, kind=ConversationKind.DIALOGUE, scope=SpaceScope.MEMBERS, title=f"{session.title}: {name}", institution_id=session.institution_id
    )
    ends_at = uow.clock.now() + timedelta(minutes=minutes) if minutes else None
    room = DialogueRoom(conversation_id=conversation.id, session_id=session.id, kind=kind.value, name=name, min_size=min_size, ends_at=ends_at)
    uow.session.add(room)
    return room


def _running(session: DialogueSession) -> None:
    if session.state not in (State.OPEN.value, State.LOCKED.value, State.PAUSED.value):
        raise Conflict("Breakouts run while the room is open.")


async def _none_open(uow: UnitOfWork, session: DialogueSession) -> None:
    if any(r.closed_at is None and r.kind != RoomKind.SIDE.value for r in await queries.breakouts(uow.session, session.id)):
        raise Conflict("Breakouts are open already; bring everyone back first.")


async def open_breakouts(uow: UnitOfWork, actor: Actor, session_id: object, *, size: object, method: object, minutes: object = "0") -> list[DialogueRoom]:
    """Split the room into breakouts of `size` (4 to 8), `random` or `mixed` by constituency.

    Who: `dialogue.facilitate`. Emits: dialogue/state, and dialogue/breakout on each person's topic.
    """
    session = (await _facilitate(uow, actor, session_id)).session
    _running(session)
    group_size = fields.key(size, field="size", label="The breakout size")
    if not MIN_GROUP <= group_size <= MAX_GROUP:
        raise Invalid(f"Breakouts have {MIN_GROUP} to {MAX_GROUP} people.", field="size")
    if method not in ("random", "mixed"):
        raise Invalid("Choose random or mixed breakouts.", field="method")
    length = _seconds(minutes or "0", high=120, field="minutes", label="The breakout time")
    await _none_open(uow, session)
    # Someone a facilitator took to a side room stays there until brought back.
    aside = {r.conversation_id for r in await queries.breakouts(uow.session, session.id) if r.kind == RoomKind.SIDE.value and r.closed_at is None}
    people = [p for p in await _in_room(uow, session) if p.breakout_id not in aside]
    if not people:
        raise Conflict("Nobody is in the room yet.")
    constituency = await _constituencies(uow, session) if method == "mixed" else None
    groups = split([p.person_id for p in people], group_size, groups_of=constituency)
    by_person = {p.person_id: p for p in people}
    for number, group in enumerate(groups, start=1):
        room = await _new_room(uow, session, RoomKind.BREAKOUT, f"Breakout {number}", minutes=length)
        await uow.flush()
        for pid in group:
            by_person[pid].breakout_id = room.conversation_id
    await _placed(uow, actor, session, "dialogue_breakouts_opened", {"groups": len(groups), "size": group_size, "method": method})
    return await queries.breakouts(uow.session, session.id)


async def open_affinity(uow: UnitOfWork, actor: Actor, session_id: object, *, names: object, min_size: object, minutes: object = "0") -> list[DialogueRoom]:
    """Offer self-selected affinity rooms (one name per line); each opens once `min_size`
    people chose it. Who: `dialogue.facilitate`."""
    session = (await _facilitate(uow, actor, session_id)).session
    _running(session)
    labels = [line.strip() for line in fields.long_text(names, field="names", label="The affinity rooms", max_length=2000).splitlines() if line.strip()]
    if not 1 <= len(labels) <= MAX_AFFINITY_ROOMS or any(len(label) > 80 for label in labels):
        raise Invalid(f"Name 1 to {MAX_AFFINITY_ROOMS} affinity rooms, one per line, each up to 80 characters.", field="names")
    minimum = fields.key(min_size, field="min_size", label="The minimum size")
    if not 2 <= minimum <= MAX_GROUP:
        raise Invalid(f"The minimum size is 2 to {MAX_GROUP}.", field="min_size")
    length = _seconds(minutes or "0", high=120, field="minutes", label="The breakout time")
    await _none_open(uow, session)
    for label in labels:
        await _new_room(uow, session, RoomKind.AFFINITY, label, min_size=minimum, minutes=length)
    await uow.flush()
    await _placed(uow, actor, session, "dialogue_affinity_offered", {"rooms": len(labels), "min_size": minimum})
    return await queries.breakouts(uow.session, session.id)


async def join_affinity(uow: UnitOfWork, actor: Actor, session_id: object, *, room: object) -> DialogueRoom:
    """Choose an affinity room (or change one's choice). Who: a participant in the room."""
    view = await access_session(uow, actor, session_id)
    if not view.accepted_current or view.participant is None:
        raise Forbidden("Enter the room first.")
    chosen = await _open_room_of(uow, view.session, room)
    if chosen.kind != RoomKind.AFFINITY.value:
        raise Forbidden("Facilitators place people in breakouts.")
    view.participant.breakout_id = chosen.conversation_id
    await _placed(uow, None, view.session, "", {})
    return chosen


async def move_person(uow: UnitOfWork, actor: Actor, session_id: object, *, participant: object, to: object) -> DialogueParticipant:
    """Move a participant into a breakout, or back to the main room (`to` = "main")."""
    session = (await _facilitate(uow, actor, session_id)).session
    target = await _participant(uow, session, participant)
    target.breakout_id = None if to == "main" else (await _open_room_of(uow, session, to)).conversation_id
    await _placed(uow, actor, session, "dialogue_person_moved", {"participant": target.id, "to": target.breakout_id})
    return target


async def merge_affinity(uow: UnitOfWork, actor: Actor, session_id: object, *, room: object, into: object) -> DialogueRoom:
    """Merge an affinity room that did not reach its minimum size into another: everyone who
    chose it moves over, and it closes. Who: `dialogue.facilitate`."""
    session = (await _facilitate(uow, actor, session_id)).session
    source, target = await _open_room_of(uow, session, room), await _open_room_of(uow, session, into)
    if source.conversation_id == target.conversation_id or RoomKind.AFFINITY.value not in (source.kind, target.kind) or source.kind != target.kind:
        raise Invalid("Merge one affinity room into another.", field="into")
    for p in await queries.participants(uow.session, session.id):
        if p.breakout_id == source.conversation_id:
            p.breakout_id = target.conversation_id
    source.closed_at = uow.clock.now()
    await _placed(uow, actor, session, "dialogue_affinity_merged", {"room": source.conversation_id, "into": target.conversation_id})
    return target


async def side_room(uow: UnitOfWork, actor: Actor, session_id: object, *, participant: object) -> DialogueRoom:
    """Move a participant to a side room with the facilitators (the hot-moment playbook's
    "offer a side room"). Nobody else learns of it; bring them back with `move_person` to "main"."""
    session = (await _facilitate(uow, actor, session_id)).session
    _running(session)
    target = await _participant(uow, session, participant)
    room = await _new_room(uow, session, RoomKind.SIDE, "Side room with the facilitators")
    await uow.flush()
    target.breakout_id = room.conversation_id
    await _placed(uow, actor, session, "dialogue_side_room", {"participant": target.id})
    return room


async def bring_back(uow: UnitOfWork, actor: Actor, session_id: object) -> None:
    """Close every breakout: everyone is back in the main room; the rooms keep no members."""
    session = (await _facilitate(uow, actor, session_id)).session
    rooms = [r for r in await queries.breakouts(uow.session, session.id) if r.closed_at is None]
    if not rooms:
        raise Conflict("No breakout is open.")
    for room in rooms:
        room.closed_at = uow.clock.now()
    for p in await queries.participants(uow.session, session.id):
        p.breakout_id = None
    await _placed(uow, actor, session, "dialogue_breakouts_closed", {"rooms": len(rooms)})


async def broadcast(uow: UnitOfWork, actor: Actor, session_id: object, *, text: object, confirmed: bool = False) -> int:
    """Post the same message from a facilitator into every open breakout; returns how many.
    A text the screen warns about waits for the facilitator's confirmation, as a post does."""
    session = (await _facilitate(uow, actor, session_id)).session
    rooms = [r for r in await queries.breakouts(uow.session, session.id) if r.closed_at is None]
    if not rooms:
        raise Conflict("No breakout is open.")
    if isinstance(text, str):
        conversations.require_confirmed(text, confirmed, field="text")
    stamp = uow.clock.now().strftime("%H%M%S%f")
    # One batch through the write path, not a post per room: the room's writes wait less.
    requests = [
        conversations.SendRequest(actor, room.conversation_id, text, f"broadcast-{room.conversation_id}-{stamp}", confirmed=confirmed) for room in rooms
    ]
    for outcome in await conversations.post_messages(uow, requests):
        if isinstance(outcome, DomainError):
            raise outcome
    # The room's state is unchanged: audited, but no state event to everyone in the room.
    _audit(uow, actor, session, "dialogue_broadcast", {"rooms": len(rooms)})
    return len(rooms)


async def _open_room_of(uow: UnitOfWork, session: DialogueSession, room: object) -> DialogueRoom:
    key = fields.maybe_key(room)
    found = None if key is None else await queries.get_room(uow.session, key)
    if found is None or found.session_id != session.id or found.kind not in (RoomKind.BREAKOUT.value, RoomKind.AFFINITY.value, RoomKind.SIDE.value) or found.closed_at is not None:
        raise NotFound("breakout")
    return found


async def _constituencies(uow: UnitOfWork, session: DialogueSession) -> dict[int, str]:
    cohorts = select(DialogueCohort.cohort_id).where(DialogueCohort.session_id == session.id)
    rows = await uow.session.execute(select(CohortMembership.person_id, CohortMembership.constituency).where(CohortMembership.cohort_id.in_(cohorts)))
    return {pid: constituency for pid, constituency in rows.all()}


async def _placed(uow: UnitOfWork, actor: Actor | None, session: DialogueSession, action: str, detail: dict[str, object]) -> None:
    """Update every room's list, tell each participant where they are, and send the room state."""
    await uow.flush()
    await _sync_members(uow, session)
    rooms = {r.conversation_id: r for r in await queries.breakouts(uow.session, session.id)}
    for p in await queries.participants(uow.session, session.id):
        room = rooms.get(p.breakout_id) if p.breakout_id is not None else None
        data = {"session": session.id, "conversation": None if room is None else room.conversation_id, "name": "Main room" if room is None else room.name}
        uow.emit(Event(person_topic(p.person_id), "dialogue", "breakout", session.id, data))
    await _changed(uow, actor, session, action, detail)


# --- the facilitator tools (facilitation.TOOLS) -----------------------------------------------


async def tool_open(uow: UnitOfWork, actor: Actor, sid: object, p: dict[str, object]) -> None:
    await open_breakouts(uow, actor, sid, size=p.get("size"), method=p.get("method"), minutes=p.get("minutes", "0"))


async def tool_affinity(uow: UnitOfWork, actor: Actor, sid: object, p: dict[str, object]) -> None:
    await open_affinity(uow, actor, sid, names=p.get("names"), min_size=p.get("min_size"), minutes=p.get("minutes", "0"))


async def tool_broadcast(uow: UnitOfWork, actor: Actor, sid: object, p: dict[str, object]) -> None:
    await broadcast(uow, actor, sid, text=p.get("text"), confirmed=p.get("confirm") in ("1", True))


async def tool_move_person(uow: UnitOfWork, actor: Actor, sid: object, p: dict[str, object]) -> None:
    await move_person(uow, actor, sid, participant=p.get("participant"), to=p.get("to"))


async def tool_merge(uow: UnitOfWork, actor: Actor, sid: object, p: dict[str, object]) -> None:
    await merge_affinity(uow, actor, sid, room=p.get("room"), into=p.get("into"))


async def tool_side_room(uow: UnitOfWork, actor: Actor, sid: object, p: dict[str, object]) -> None:
    await side_room(uow, actor, sid, participant=p.get("participant"))


async def tool_bring_back(uow: UnitOfWork, actor: Actor, sid: object, p: dict[str, object]) -> None:
    await bring_back(uow, actor, sid)
