"""Chats for Change: scheduling, the agreement gate, the lifecycle, the room state and the
facilitation tools. It decides who may enter and speak and keeps the rooms' member lists
in step; it never touches sockets (events leave through the unit of work after commit).

Each room (main, co-facilitators' back-channel) is a members-only conversation of the
messaging core: a participant is on the main room's list only while they have accepted
the current agreement version and were not removed, so the core's own checks (subscribe,
replay, send, page) enforce the gate. The per-send rules (pause, mute, floor, slow mode)
run in the core's write transaction through the accept check registered at the end.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select

from artme_cop import policy, zones
from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import Conversation, ConversationKind
from artme_cop.dialogue import floor, queries
from artme_cop.dialogue.lifecycle import Move, State, admits_entry, next_state
from artme_cop.dialogue.models import (
    DialogueCohort, DialogueFacilitator, DialogueParticipant, DialogueRoom, DialogueSession, IdentityMode, RoomKind,
)
from artme_cop.errors import Conflict, Forbidden, Invalid, NotFound
from artme_cop.identity.models import Cohort, Person
from artme_cop.moderation import service as audit
from artme_cop.policy import Action, Actor, CohortRef, DialoguePlan, DialogueRef, SpaceScope
from artme_cop.program import fields
from artme_cop.program.calendar.models import ProgramSession, SessionKind
from artme_cop.realtime.events import Event, conversation_topic, person_topic
from artme_cop.unit_of_work import UnitOfWork

MIN_FACILITATORS = 2
MAX_SLOW_MODE = 600
MAX_MUTE_MINUTES = 60
MAX_ROUND_MINUTES = 120
ANONYMOUS_NAME = "Participant"
_ADJECTIVES = ("Amber", "Brave", "Calm", "Clear", "Curious", "Gentle", "Golden", "Kind", "Open", "Quiet", "Steady", "Warm", "Bright", "Patient")
_NOUNS = ("Birch", "Cedar", "Heron", "Maple", "Otter", "River", "Sparrow", "Willow", "Harbor", "Meadow", "Lantern", "Compass", "Fern", "Pine")


@dataclass(frozen=True)
class Scheduled:
    """The raw fields of the scheduling form; `schedule_session` validates them."""

    title: object
    cohort_ids: list[object]
    facilitator_ids: list[object]
    starts_at: object
    ends_at: object
    agreement_text: object
    identity_mode: object = IdentityMode.NAMED.value
    topic: object = ""
    content_note: object = ""
    pre_reading: object = ""
    frame: object = ""
    definition: object = ""
    guiding_questions: object = ""
    slow_mode_seconds: object = "0"
    # The calendar entry (of kind Chats for Change, same school) this session runs, if any.
    calendar_session_id: object = ""


@dataclass(frozen=True)
class SessionView:
    """A session as one person sees it: the row, its policy reference and their standing."""

    session: DialogueSession
    ref: DialogueRef
    facilitators: list[Person]
    participant: DialogueParticipant | None
    is_facilitator: bool
    may_join: bool

    @property
    def accepted_current(self) -> bool:
        p = self.participant
        return p is not None and p.removed_at is None and p.accepted_version == self.session.agreement_version

    @property
    def in_room(self) -> bool:
        return self.is_facilitator or self.accepted_current


# --- parsing ---------------------------------------------------------------------------------


def _when(value: object, *, field: str, label: str, zone: str) -> datetime:
    """A `datetime-local` value (YYYY-MM-DDTHH:MM), read in the person's zone, as UTC."""
    text = value.strip() if isinstance(value, str) else ""
    try:
        if not 16 <= len(text) <= 19 or not text.isascii() or text[10] != "T":
            raise ValueError(text)
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise Invalid(f"{label} must be a date and time such as 2027-02-14T15:00.", field=field) from None
    if not 2000 <= parsed.year <= 2100:
        raise Invalid(f"{label} must be between the years 2000 and 2100.", field=field)
    return zones.from_local(parsed.replace(tzinfo=None), zone)


def _ids(values: list[object], *, field: str, label: str) -> list[int]:
    return sorted({fields.key(v, field=field, label=label) for v in values})


def _seconds(value: object, *, high: int, field: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit() or not str(value).strip().isascii():
        raise Invalid(f"{label} must be a whole number from 0 to {high}.", field=field)
    number = int(str(value).strip())
    if number > high:
        raise Invalid(f"{label} must be a whole number from 0 to {high}.", field=field)
    return number


def _key_text(value: object) -> str:
    if not isinstance(value, str) or not 8 <= len(value) <= 32 or not value.isascii() or not value.isalnum():
        raise NotFound("participant")
    return value


# --- reading ---------------------------------------------------------------------------------


async def _ref(uow: UnitOfWork, session: DialogueSession) -> tuple[DialogueRef, list[Person]]:
    people = await queries.facilitators(uow.session, session.id)
    cohorts = await queries.cohort_ids(uow.session, session.id)
    return DialogueRef(session.institution_id, cohorts, frozenset(p.id for p in people), session.created_by_id), people


async def access_session(uow: UnitOfWork, actor: Actor, session_id: object) -> SessionView:
    """Fetch a session the actor may see, with their standing in it.

    Raises: NotFound for a missing and an invisible session alike (SEC-A2).
    """
    key = fields.maybe_key(session_id)
    session = None if key is None else await queries.get_session(uow.session, key)
    if session is None:
        raise NotFound("dialogue session")
    ref, people = await _ref(uow, session)
    if not policy.can(actor, Action.DIALOGUE_VIEW, ref):
        raise NotFound("dialogue session")
    participant = await queries.get_participant(uow.session, session.id, actor.person_id)
    return SessionView(
        session, ref, people, participant,
        is_facilitator=policy.can(actor, Action.DIALOGUE_FACILITATE, ref), may_join=policy.can(actor, Action.DIALOGUE_JOIN, ref),
    )


async def _facilitate(uow: UnitOfWork, actor: Actor, session_id: object) -> SessionView:
    view = await access_session(uow, actor, session_id)
    if not view.is_facilitator:
        raise Forbidden("Only the session's facilitators can do that.")
    if view.session.state == State.PURGED.value:
        raise Conflict("This session is over.")
    return view


async def list_sessions(uow: UnitOfWork, actor: Actor) -> list[DialogueSession]:
    """The sessions the actor may see, newest first."""
    candidates = await queries.list_candidate_sessions(
        uow.session, cohort_ids=actor.cohort_ids, person_id=actor.person_id, institution_ids=actor.lead_institution_ids, everything=policy.sees_every_dialogue_session(actor)
    )
    return [s for s in candidates if policy.can(actor, Action.DIALOGUE_VIEW, (await _ref(uow, s))[0])]


async def schedulable_cohorts(uow: UnitOfWork, actor: Actor) -> list[Cohort]:
    """The cohorts the actor may schedule a dialogue for (the scheduling form's choices)."""
    rows = (await uow.session.execute(select(Cohort).order_by(Cohort.institution_id, Cohort.name))).scalars()
    return [c for c in rows if policy.can(actor, Action.DIALOGUE_SCHEDULE, DialoguePlan(c.institution_id, (CohortRef(c.id, c.institution_id),)))]


async def facilitator_choices(uow: UnitOfWork, cohorts: list[Cohort]) -> list[Person]:
    """The people who may co-facilitate a session of these cohorts: anyone of their school."""
    return await queries.people_of_institutions(uow.session, sorted({c.institution_id for c in cohorts}))


# --- scheduling ------------------------------------------------------------------------------


async def schedule_session(uow: UnitOfWork, actor: Actor, form: Scheduled) -> DialogueSession:
    """Schedule a Chats for Change session with its agreement (version 1), rooms and co-facilitators.

    Who: `dialogue.schedule` for its school and every invited cohort.
    Raises: Invalid (fields; fewer than two co-facilitators; a facilitator from elsewhere), Forbidden.
    """
    title = fields.line(form.title, field="title", label="The title", max_length=200)
    cohort_ids = _ids(form.cohort_ids, field="cohorts", label="A cohort")
    if not cohort_ids:
        raise Invalid("Invite at least one cohort.", field="cohorts")
    cohorts = [c for c in [await uow.session.get(Cohort, cid) for cid in cohort_ids] if c is not None]
    if len(cohorts) != len(cohort_ids) or len({c.institution_id for c in cohorts}) != 1:
        raise Invalid("Invite cohorts of one school.", field="cohorts")
    institution_id = cohorts[0].institution_id
    policy.require(actor, Action.DIALOGUE_SCHEDULE, DialoguePlan(institution_id, tuple(CohortRef(c.id, c.institution_id) for c in cohorts)))
    facilitator_ids = _ids(form.facilitator_ids, field="facilitators", label="A facilitator")
    if len(facilitator_ids) < MIN_FACILITATORS:
        raise Invalid("Name at least two co-facilitators.", field="facilitators")
    people = [p for p in [await uow.session.get(Person, pid) for pid in facilitator_ids] if p is not None and not p.is_deleted]
    if len(people) != len(facilitator_ids) or any(p.institution_id != institution_id for p in people):
        raise Invalid("Co-facilitators must be people of the session's school.", field="facilitators")
    starts_at = _when(form.starts_at, field="starts_at", label="The start", zone=actor.time_zone)
    ends_at = _when(form.ends_at, field="ends_at", label="The end", zone=actor.time_zone)
    if ends_at <= starts_at:
        raise Invalid("The end must come after the start.", field="ends_at")
    mode = fields.choice(form.identity_mode, IdentityMode, field="identity_mode", label="an identity mode")
    calendar_id = await _calendar_entry(uow, form.calendar_session_id, institution_id)
    main = await conversations.open_conversation(uow, kind=ConversationKind.DIALOGUE, scope=SpaceScope.MEMBERS, title=title, institution_id=institution_id)
    back = await conversations.open_conversation(uow, kind=ConversationKind.DIALOGUE, scope=SpaceScope.MEMBERS, title=f"{title}: facilitators", institution_id=institution_id)
    session = DialogueSession(
        title=title,
        topic=fields.long_text(form.topic, field="topic", label="The topic", required=False),
        content_note=fields.long_text(form.content_note, field="content_note", label="The content note", required=False),
        pre_reading=fields.long_text(form.pre_reading, field="pre_reading", label="The pre-reading", required=False),
        frame=fields.long_text(form.frame, field="frame", label="The frame", required=False),
        definition=fields.long_text(form.definition, field="definition", label="The definition", required=False),
        guiding_questions=fields.long_text(form.guiding_questions, field="guiding_questions", label="The guiding questions", required=False),
        institution_id=institution_id, calendar_session_id=calendar_id, starts_at=starts_at, ends_at=ends_at, identity_mode=mode.value, state=State.LOBBY.value,
        paused_from="", grounding_message="", agreement_version=1,
        agreement_text=fields.long_text(form.agreement_text, field="agreement_text", label="The agreement", max_length=8000),
        slow_mode_seconds=_seconds(form.slow_mode_seconds, high=MAX_SLOW_MODE, field="slow_mode_seconds", label="Slow mode"),
        floor_mode=False, agenda_step="", prompt="", debrief_note="", ouch_count=0, oops_count=0, state_version=1,
        main_conversation_id=main.id, backchannel_conversation_id=back.id, created_by_id=actor.person_id, created_at=uow.clock.now(),
    )
    uow.session.add(session)
    await uow.flush()
    uow.session.add_all([DialogueCohort(session_id=session.id, cohort_id=c.id) for c in cohorts])
    uow.session.add_all([DialogueFacilitator(session_id=session.id, person_id=pid) for pid in facilitator_ids])
    uow.session.add_all([DialogueRoom(conversation_id=main.id, session_id=session.id, kind=RoomKind.MAIN.value, name="Main room"),
                         DialogueRoom(conversation_id=back.id, session_id=session.id, kind=RoomKind.BACKCHANNEL.value, name="Facilitators")])
    await uow.flush()
    await _sync_members(uow, session)
    _audit(uow, actor, session, "dialogue_scheduled", {"cohorts": cohort_ids, "facilitators": facilitator_ids, "identity_mode": mode.value})
    return session


async def _calendar_entry(uow: UnitOfWork, value: object, institution_id: int) -> int | None:
    if value in ("", None):
        return None
    key = fields.maybe_key(value)
    entry = None if key is None else await uow.session.get(ProgramSession, key)
    if entry is None or entry.kind != SessionKind.CHATS_FOR_CHANGE.value or entry.institution_id != institution_id:
        raise Invalid("Link a Chats for Change entry of the school's calendar.", field="calendar_session_id")
    return entry.id


# --- the agreement gate ----------------------------------------------------------------------


async def accept_agreement(uow: UnitOfWork, actor: Actor, session_id: object, *, version: object) -> DialogueParticipant:
    """Accept the session's current agreement and enter the room (the lobby before it opens).

    Who: `dialogue.join` (members of an invited cohort who do not facilitate it).
    Raises: Conflict when the version is not the current one or the room is locked to late
    entry; Forbidden after a removal.
    """
    view = await access_session(uow, actor, session_id)
    session = view.session
    if not view.may_join:
        raise Forbidden("Only members of the invited cohorts take part; facilitators are in the room already.")
    accepted = fields.maybe_key(version)
    if accepted != session.agreement_version:
        raise Conflict("The agreement changed; read the current version and accept it.")
    participant = view.participant
    if participant is not None and participant.removed_at is not None:
        raise Forbidden("You were removed from this room.")
    state = State(session.state)
    entered_before = participant is not None and participant.accepted_version > 0
    if not entered_before and not admits_entry(state, State(session.paused_from) if session.paused_from else None):
        raise Conflict("The room is closed to late entry.")
    if participant is None:
        participant = DialogueParticipant(session_id=session.id, person_id=actor.person_id, alias=await _unused_alias(uow, session.id), key=secrets.token_hex(8))
        uow.session.add(participant)
    participant.accepted_version = session.agreement_version
    participant.accepted_at = uow.clock.now()
    await uow.flush()
    await _sync_members(uow, session)
    return participant


async def publish_agreement(uow: UnitOfWork, actor: Actor, session_id: object, *, text: object) -> DialogueSession:
    """Replace the agreement with a new version: everyone must accept it again to stay in.

    Who: `dialogue.facilitate`. Emits: dialogue/state on the main room.
    """
    view = await _facilitate(uow, actor, session_id)
    session = view.session
    if State(session.state) in (State.CLOSED, State.PURGED):
        raise Conflict("The session is closed.")
    session.agreement_text = fields.long_text(text, field="agreement_text", label="The agreement", max_length=8000)
    session.agreement_version += 1
    await _sync_members(uow, session)
    await _changed(uow, actor, session, "dialogue_agreement_changed", {"version": session.agreement_version})
    return session


def _new_alias() -> str:
    # Random for each room: the same person gets unrelated names in two rooms (not linkable).
    return f"{secrets.choice(_ADJECTIVES)} {secrets.choice(_NOUNS)} {secrets.randbelow(90) + 10}"


async def _unused_alias(uow: UnitOfWork, session_id: int) -> str:
    """A random alias nobody in the session has (a few hundred people among some 17,000 names
    would otherwise collide now and then); a longer number if the draws keep colliding."""
    taken = set((await uow.session.execute(select(DialogueParticipant.alias).where(DialogueParticipant.session_id == session_id))).scalars())
    for _ in range(20):
        alias = _new_alias()
        if alias not in taken:
            return alias
    return f"{_new_alias()}{secrets.randbelow(900) + 100}"


async def _sync_members(uow: UnitOfWork, session: DialogueSession) -> None:
    """Main room: facilitators (moderating) and participants who accepted the current version
    and were not removed. Back-channel: facilitators only. The core tells open sockets."""
    facilitator_ids = [p.id for p in await queries.facilitators(uow.session, session.id)]
    main = {pid: True for pid in facilitator_ids}
    if session.state != State.PURGED.value:
        for p in await queries.participants(uow.session, session.id):
            if p.removed_at is None and p.accepted_version == session.agreement_version:
                main.setdefault(p.person_id, False)
    lists = [(session.main_conversation_id, main), (session.backchannel_conversation_id, {pid: True for pid in facilitator_ids})]
    lists += await _breakout_lists(uow, session, facilitator_ids, main)
    for conversation_id, members in lists:
        conversation = await uow.session.get(Conversation, conversation_id)
        assert conversation is not None
        await conversations.set_members(uow, conversation, members)


async def _breakout_lists(uow: UnitOfWork, session: DialogueSession, facilitator_ids: list[int], main: dict[int, bool]) -> list[tuple[int, dict[int, bool]]]:
    """Each breakout: the facilitators, and the people in it who are in the main room, once it
    is open (an affinity room below its minimum size opens to nobody yet). Closed: nobody."""
    rooms = await queries.breakouts(uow.session, session.id)
    if not rooms:
        return []
    inside: dict[int, list[int]] = {}
    for p in await queries.participants(uow.session, session.id):
        if p.breakout_id is not None and main.get(p.person_id) is False:
            inside.setdefault(p.breakout_id, []).append(p.person_id)
    lists = []
    for room in rooms:
        people = inside.get(room.conversation_id, [])
        opened = room.closed_at is None and len(people) >= room.min_size
        lists.append((room.conversation_id, {**{pid: False for pid in (people if opened else [])}, **({pid: True for pid in facilitator_ids} if room.closed_at is None else {})}))
    return lists


# --- lifecycle -------------------------------------------------------------------------------


async def move(uow: UnitOfWork, actor: Actor, session_id: object, *, to: object, grounding: object = "") -> DialogueSession:
    """Open, lock, unlock, pause (with a grounding message), resume or close the room.

    Who: `dialogue.facilitate`. Emits: dialogue/state on the main room.
    Raises: Invalid (unknown move), Conflict (not allowed from the current state).
    """
    chosen = fields.choice(to, Move, field="to", label="a room change")
    if chosen is Move.PURGE:
        raise Invalid("Purging is the retention job's work.", field="to")
    view = await _facilitate(uow, actor, session_id)
    session = view.session
    current = State(session.state)
    new = next_state(current, chosen, paused_from=State(session.paused_from) if session.paused_from else None)
    if chosen is Move.PAUSE:
        session.paused_from = current.value
        session.grounding_message = fields.line(grounding, field="grounding", label="The grounding message", max_length=500, required=False) or floor.PAUSED_TEXT
    elif chosen is Move.RESUME:
        session.paused_from = ""
        session.grounding_message = ""
    if new is State.CLOSED:
        session.closed_at = uow.clock.now()
        session.floor_person_id = None
    session.state = new.value
    await _changed(uow, actor, session, f"dialogue_{chosen.value}", {"from": current.value, "to": new.value})
    return session


# --- facilitation ----------------------------------------------------------------------------


async def set_agenda(uow: UnitOfWork, actor: Actor, session_id: object, *, step: object, prompt: object, round_minutes: object = "") -> DialogueSession:
    """Pin the current agenda step and prompt for everyone, and start a round time box.

    Who: `dialogue.facilitate`. Emits: dialogue/state.
    """
    session = (await _facilitate(uow, actor, session_id)).session
    session.agenda_step = fields.line(step, field="step", label="The agenda step", max_length=200, required=False)
    session.prompt = fields.long_text(prompt, field="prompt", label="The prompt", required=False, max_length=1000)
    minutes = _seconds(round_minutes or "0", high=MAX_ROUND_MINUTES, field="round_minutes", label="The round")
    session.round_ends_at = uow.clock.now() + timedelta(minutes=minutes) if minutes else None
    await _changed(uow, actor, session, "dialogue_agenda", {"step": session.agenda_step, "round_minutes": minutes})
    return session


async def set_slow_mode(uow: UnitOfWork, actor: Actor, session_id: object, *, seconds: object) -> DialogueSession:
    """Allow each participant one message every N seconds (0 turns it off)."""
    session = (await _facilitate(uow, actor, session_id)).session
    session.slow_mode_seconds = _seconds(seconds, high=MAX_SLOW_MODE, field="seconds", label="Slow mode")
    await _changed(uow, actor, session, "dialogue_slow_mode", {"seconds": session.slow_mode_seconds})
    return session


async def set_floor_mode(uow: UnitOfWork, actor: Actor, session_id: object, *, on: object) -> DialogueSession:
    """In floor mode only the facilitators and the person holding the floor post."""
    if not isinstance(on, bool):
        raise Invalid("Floor mode is on or off.", field="on")
    session = (await _facilitate(uow, actor, session_id)).session
    session.floor_mode = on
    await _changed(uow, actor, session, "dialogue_floor_mode", {"on": on})
    return session


async def call_next(uow: UnitOfWork, actor: Actor, session_id: object) -> DialogueParticipant:
    """Give the floor to the first raised hand (their hand goes down).

    Raises: Conflict when no hand is raised.
    """
    session = (await _facilitate(uow, actor, session_id)).session
    queue = await queries.raised_hands(uow.session, session.id)
    if not queue:
        raise Conflict("No hand is raised.")
    first = queue[0]
    first.hand_raised_at = None
    session.floor_person_id = first.person_id
    await _changed(uow, actor, session, "dialogue_floor_granted", {"participant": first.id})
    return first


async def mute(uow: UnitOfWork, actor: Actor, session_id: object, *, participant: object, minutes: object) -> DialogueParticipant:
    """Mute a participant for N minutes (1 to 60); 0 lifts a mute. Tells them on person:<id>."""
    session = (await _facilitate(uow, actor, session_id)).session
    target = await _participant(uow, session, participant)
    count = _seconds(minutes, high=MAX_MUTE_MINUTES, field="minutes", label="The mute")
    target.muted_until = uow.clock.now() + timedelta(minutes=count) if count else None
    uow.emit(Event(person_topic(target.person_id), "dialogue", "muted", session.id, {"session": session.id, "muted_until": _iso(target.muted_until)}))
    await _changed(uow, actor, session, "dialogue_mute", {"participant": target.id, "minutes": count})
    return target


async def remove(uow: UnitOfWork, actor: Actor, session_id: object, *, participant: object) -> DialogueParticipant:
    """Remove a participant: off the room's list at once (their sockets are told), no return."""
    session = (await _facilitate(uow, actor, session_id)).session
    target = await _participant(uow, session, participant)
    target.removed_at = uow.clock.now()
    target.hand_raised_at = None
    if session.floor_person_id == target.person_id:
        session.floor_person_id = None
    await uow.flush()
    await _sync_members(uow, session)
    uow.emit(Event(person_topic(target.person_id), "dialogue", "removed", session.id, {"session": session.id}))
    await _changed(uow, actor, session, "dialogue_remove", {"participant": target.id})
    return target


async def raise_hand(uow: UnitOfWork, actor: Actor, session_id: object, *, up: object = True) -> DialogueSession:
    """Raise or lower one's hand in the speaking queue. Who: a participant in the room."""
    if not isinstance(up, bool):
        raise Invalid("A hand is up or down.", field="up")
    view = await access_session(uow, actor, session_id)
    if not view.accepted_current or view.participant is None:
        raise Forbidden("Enter the room first.")
    if view.session.state not in (State.OPEN.value, State.LOCKED.value, State.PAUSED.value):
        raise Conflict("The room is not open.")
    participant = view.participant
    if up and participant.hand_raised_at is None:
        participant.hand_raised_at = uow.clock.now()
    elif not up:
        participant.hand_raised_at = None
        if view.session.floor_person_id == actor.person_id:
            view.session.floor_person_id = None  # lowering the hand also yields the floor
    await _changed(uow, None, view.session, "", {})
    return view.session


async def _participant(uow: UnitOfWork, session: DialogueSession, key: object) -> DialogueParticipant:
    found = await queries.get_participant_by_key(uow.session, session.id, _key_text(key))
    if found is None:
        raise NotFound("participant")
    return found


# --- room state ------------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _audit(uow: UnitOfWork, actor: Actor, session: DialogueSession, action: str, detail: dict[str, object]) -> None:
    audit.record(uow, actor_id=actor.person_id, action=action, institution_id=session.institution_id, target_kind="dialogue_session", target_id=session.id, detail=detail)


async def _changed(uow: UnitOfWork, actor: Actor | None, session: DialogueSession, action: str, detail: dict[str, object]) -> None:
    """Record a facilitator's action (a participant's own hand is not audited) and send the
    new room state to everyone in the room."""
    session.state_version += 1
    if actor is not None and action:
        _audit(uow, actor, session, action, detail)
    await uow.flush()
    state = await room_state(uow, session)
    uow.emit(Event(conversation_topic(session.main_conversation_id), "dialogue", "state", session.state_version, state))


def _shown(session: DialogueSession, participant: DialogueParticipant, person: Person) -> dict[str, Any]:
    """How a participant appears to peers in this room's identity mode."""
    if session.identity_mode == IdentityMode.NAMED.value:
        return conversations.author_payload(person)
    name = participant.alias if session.identity_mode == IdentityMode.PSEUDONYMOUS.value else ANONYMOUS_NAME
    return {"id": None, "key": participant.key, "name": name, "pronouns": ""}


async def room_state(uow: UnitOfWork, session: DialogueSession) -> dict[str, Any]:
    """The room state everyone in the room sees (never a name in a non-named room).

    Built in the facilitator's write transaction for every change, so it reads only what it
    shows (the queue, the floor, counts per breakout), not the whole room of hundreds."""
    queue = await queries.raised_hands(uow.session, session.id)
    holder = session.floor_person_id
    holder_standing = None if holder is None else await queries.get_participant(uow.session, session.id, holder)
    people = {p.id: p for p in await _people(uow, [p.person_id for p in queue] + ([holder] if holder is not None else []))}
    facilitators = await queries.facilitators(uow.session, session.id)

    def entry(p: DialogueParticipant) -> dict[str, Any]:
        return {"key": p.key, "person": _shown(session, p, people[p.person_id])}

    floor_entry: dict[str, Any] | None = None
    if holder is not None:
        floor_entry = entry(holder_standing) if holder_standing is not None else {"key": None, "person": conversations.author_payload(people.get(holder) or facilitators[0])}
    return {
        "session": session.id,
        "conversation": session.main_conversation_id,
        "version": session.state_version,
        "state": session.state,
        "grounding_message": session.grounding_message,
        "agreement_version": session.agreement_version,
        "identity_mode": session.identity_mode,
        "agenda_step": session.agenda_step,
        "prompt": session.prompt,
        "round_ends_at": _iso(session.round_ends_at),
        "slow_mode_seconds": session.slow_mode_seconds,
        "floor_mode": session.floor_mode,
        "floor": floor_entry,
        "queue": [entry(p) for p in queue],
        "signals": {"ouch": session.ouch_count, "oops": session.oops_count},
        "facilitators": [conversations.author_payload(p) for p in facilitators],
        "breakouts": await public_rooms(uow, session),
    }


async def public_rooms(uow: UnitOfWork, session: DialogueSession) -> list[dict[str, Any]]:
    """What everyone sees of the breakouts: names, kinds, timers; for affinity rooms how many
    chose them and the minimum (not who)."""
    # A side room is nobody else's business: it is not listed to the room.
    rooms = [r for r in await queries.breakouts(uow.session, session.id) if r.closed_at is None and r.kind != RoomKind.SIDE.value]
    chosen = await queries.breakout_counts(uow.session, session.id) if any(r.kind == RoomKind.AFFINITY.value for r in rooms) else {}
    return [
        {"conversation": r.conversation_id, "name": r.name, "kind": r.kind, "ends_at": r.ends_at.isoformat() if r.ends_at else None,
         **({"chosen": chosen.get(r.conversation_id, 0), "min_size": r.min_size} if r.kind == RoomKind.AFFINITY.value else {})}
        for r in rooms
    ]


async def rosters(uow: UnitOfWork, session: DialogueSession, *, only: int | None) -> dict[int, list[dict[str, Any]]]:
    """Who is in each open breakout (all of them for facilitators, `only` one's own room for
    a participant), shown in the room's identity mode."""
    rooms = {r.conversation_id for r in await queries.breakouts(uow.session, session.id) if r.closed_at is None}
    members = [p for p in await queries.participants(uow.session, session.id) if p.breakout_id in rooms and (only is None or p.breakout_id == only)]
    people = {p.id: p for p in await _people(uow, [m.person_id for m in members])}
    result: dict[int, list[dict[str, Any]]] = {}
    for m in members:
        assert m.breakout_id is not None
        result.setdefault(m.breakout_id, []).append({"key": m.key, "person": _shown(session, m, people[m.person_id])})
    return result


async def harvest_rooms(uow: UnitOfWork, session: DialogueSession) -> list[DialogueRoom]:
    """The rooms a takeaway may come from: the main room and every breakout, open or closed."""
    rooms = [r for r in await queries.breakouts(uow.session, session.id) if r.kind != RoomKind.SIDE.value]
    main = await queries.get_room(uow.session, session.main_conversation_id)
    return ([main] if main is not None else []) + rooms


async def _people(uow: UnitOfWork, ids: list[int]) -> list[Person]:
    if not ids:
        return []
    return list((await uow.session.execute(select(Person).where(Person.id.in_(sorted(set(ids)))))).scalars())


async def snapshot(uow: UnitOfWork, actor: Actor, session_id: object) -> dict[str, Any]:
    """The room state plus the actor's own standing: what a (re)connecting client shows first.

    Raises: NotFound for sessions the actor may not see; Forbidden before entering the room.
    """
    view = await access_session(uow, actor, session_id)
    if not view.in_room:
        raise Forbidden("Accept the current agreement first.")
    p = view.participant
    me = {
        "role": "facilitator" if view.is_facilitator else "participant",
        "key": p.key if p is not None else None,
        "muted_until": _iso(p.muted_until) if p is not None and p.muted_until and p.muted_until > uow.clock.now() else None,
        "hand_raised": p is not None and p.hand_raised_at is not None,
        "holds_floor": view.session.floor_person_id == actor.person_id,
        "backchannel": view.session.backchannel_conversation_id if view.is_facilitator else None,
    }
    if view.is_facilitator:
        me["rosters"] = {str(k): v for k, v in (await rosters(uow, view.session, only=None)).items()}
    else:
        breakout = await my_breakout(uow, view)
        if breakout is not None:
            me["breakout"] = breakout
    return {"room": await room_state(uow, view.session), "me": me}


async def my_breakout(uow: UnitOfWork, view: SessionView) -> dict[str, Any] | None:
    """The breakout a participant is placed in: its name, whether it is open (an affinity room
    waits for its minimum), its roster once open, timer and guiding questions."""
    p = view.participant
    if view.is_facilitator or p is None or p.breakout_id is None:
        return None
    room = await queries.get_room(uow.session, p.breakout_id)
    roster = (await rosters(uow, view.session, only=p.breakout_id)).get(p.breakout_id, [])
    opened = room is not None and len(roster) >= room.min_size
    return {"conversation": p.breakout_id, "name": room.name if room else "", "open": opened, "roster": roster if opened else [],
            "ends_at": _iso(room.ends_at) if room else None,
            "guiding_questions": [q for q in view.session.guiding_questions.splitlines() if q.strip()]}


# The messaging core's hooks for dialogue rooms live in dialogue/room.py; importing it here
# registers them whenever this service is loaded (it imports this module, hence at the end).
from artme_cop.dialogue import room as _room  # noqa: E402,F401
