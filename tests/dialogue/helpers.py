"""Async helpers that drive the dialogue service directly (for the security tables, which run
on the test's own loop): schedule a session of cohort A1, let someone enter, open the room."""

from __future__ import annotations

from typing import Any

from artme_cop.dialogue import service as dialogue
from artme_cop.identity import service as identity
from artme_cop.identity.models import Person
from tests.factories import World


async def make_session(app: Any, world: World, *, mode: str = "named") -> int:
    """Frankie Facilitator and Casey Coach co-facilitate a session for cohort A1."""
    async with app.state.uow() as uow:
        [actor] = await identity.actors_for(uow, [world.facilitator_a.id])
        form = dialogue.Scheduled(
            title="Matrix dialogue", cohort_ids=[world.cohort_a1.id], facilitator_ids=[world.facilitator_a.id, world.coach.id],
            starts_at="2027-02-14T15:00", ends_at="2027-02-14T16:00", agreement_text="Brave space.", identity_mode=mode,
        )
        return (await dialogue.schedule_session(uow, actor, form)).id


async def enter(app: Any, session_id: int, person: Person) -> None:
    async with app.state.uow() as uow:
        [actor] = await identity.actors_for(uow, [person.id])
        await dialogue.accept_agreement(uow, actor, session_id, version=1)


async def open_room(app: Any, world: World, session_id: int) -> None:
    async with app.state.uow() as uow:
        [actor] = await identity.actors_for(uow, [world.facilitator_a.id])
        await dialogue.move(uow, actor, session_id, to="open")


async def say(app: Any, session_id: int, person: Person, body: str) -> int:
    """Post in the session's main room as `person`; returns the seq."""
    from artme_cop.conversations import service as conversations
    from artme_cop.dialogue import queries

    async with app.state.uow() as uow:
        [actor] = await identity.actors_for(uow, [person.id])
        session = await queries.get_session(uow.session, session_id)
        assert session is not None
        posted = await conversations.post_message(uow, actor, session.main_conversation_id, body=body, client_msg_id=f"h-{person.id}-{len(body)}")
        return posted.seq


async def pseudonymous_post(app: Any, world: World) -> tuple[int, int]:
    """A pseudonymous A1 session, open, with one message by the student: (session id, main conversation id)."""
    from artme_cop.dialogue import queries

    session_id = await make_session(app, world, mode="pseudonymous")
    await enter(app, session_id, world.student_a)
    await open_room(app, world, session_id)
    await say(app, session_id, world.student_a, "something only a student would say")
    async with app.state.uow() as uow:
        session = await queries.get_session(uow.session, session_id)
        assert session is not None
        return session_id, session.main_conversation_id


async def affinity_room(app: Any, world: World) -> tuple[int, int]:
    """An open A1 session with the student inside and two affinity rooms offered: (session, first room)."""
    from artme_cop.dialogue import breakouts

    session_id = await make_session(app, world)
    await enter(app, session_id, world.student_a)
    await open_room(app, world, session_id)
    async with app.state.uow() as uow:
        [actor] = await identity.actors_for(uow, [world.facilitator_a.id])
        rooms = await breakouts.open_affinity(uow, actor, session_id, names="Students\nStaff", min_size=2)
        return session_id, rooms[0].conversation_id


async def reported(app: Any, world: World) -> tuple[int, int, int]:
    """An open A1 session where the faculty member said something and the student reported it:
    (session, main conversation, report id)."""
    from artme_cop.dialogue import queries, safety

    session_id = await make_session(app, world)
    await enter(app, session_id, world.student_a)
    await enter(app, session_id, world.faculty_a)
    await open_room(app, world, session_id)
    seq = await say(app, session_id, world.faculty_a, "a remark to report")
    async with app.state.uow() as uow:
        session = await queries.get_session(uow.session, session_id)
        assert session is not None
        [actor] = await identity.actors_for(uow, [world.student_a.id])
        report = await safety.report_message(uow, actor, session_id, conversation=session.main_conversation_id, seq=seq, reason="Hurtful")
        return session_id, session.main_conversation_id, report.id


async def inside(app: Any, world: World) -> tuple[int, int]:
    """An open A1 session with the student inside and one message by the faculty member: (session, main)."""
    from artme_cop.dialogue import queries

    session_id = await make_session(app, world)
    await enter(app, session_id, world.student_a)
    await enter(app, session_id, world.faculty_a)
    await open_room(app, world, session_id)
    await say(app, session_id, world.faculty_a, "words to report")
    async with app.state.uow() as uow:
        session = await queries.get_session(uow.session, session_id)
        assert session is not None
        return session_id, session.main_conversation_id


async def takeaway(app: Any, world: World) -> tuple[int, int]:
    """An open A1 session where the student posted a takeaway of the main room: (session, takeaway)."""
    from artme_cop.dialogue import after

    session_id, main = await inside(app, world)
    async with app.state.uow() as uow:
        [actor] = await identity.actors_for(uow, [world.student_a.id])
        made = await after.post_takeaway(uow, actor, session_id, room=main, text="Grades need a second reader.")
        return session_id, made.id
