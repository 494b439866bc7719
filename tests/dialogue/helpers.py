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
