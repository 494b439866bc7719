"""Forum fixtures: threads in each kind of space, started through the service."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from artme_cop.forum import service as forum
from artme_cop.identity.models import Person
from artme_cop.policy import Actor
from artme_cop.unit_of_work import UnitOfWork
from tests.factories import World
from tests.realtime.conftest import fast, live_app, make_client, spaces  # noqa: F401  (the live fixtures, for forum tests)

_ids = itertools.count(1)


async def actor_of(uow: UnitOfWork, person: Person) -> Actor:
    from artme_cop.identity import service as identity

    [actor] = await identity.actors_for(uow, [person.id])
    return actor


async def start(app: Any, person: Person, *, where: str, title: str = "A thread", body: str = "First post", category: str = "introductions") -> int:
    async with app.state.uow() as uow:
        actor = await actor_of(uow, person)
        thread = await forum.start_thread(uow, actor, category=category, where=where, title=title, body=body, client_msg_id=f"fixture-{next(_ids)}")
        return thread.id


async def reply(app: Any, person: Person, thread_id: int, body: str, *, reply_to: int | None = None) -> int:
    async with app.state.uow() as uow:
        actor = await actor_of(uow, person)
        posted = await forum.reply(uow, actor, thread_id, body=body, client_msg_id=f"fixture-{next(_ids)}", reply_to=reply_to)
        return posted.seq


@dataclass(frozen=True)
class Threads:
    consortium: int
    institution_a: int
    cohort_a1: int
    cohort_b1: int


@pytest.fixture
async def threads(app: Any, world: World) -> Threads:
    return Threads(
        consortium=await start(app, world.student_a, where="consortium", title="Open to all schools"),
        institution_a=await start(app, world.faculty_a, where=f"institution:{world.institution_a.id}", title="Alder only"),
        cohort_a1=await start(app, world.student_a, where=f"cohort:{world.cohort_a1.id}", title="Alder cohort 1 only"),
        cohort_b1=await start(app, world.participant_b, where=f"cohort:{world.cohort_b1.id}", title="Birch cohort 1 only"),
    )
