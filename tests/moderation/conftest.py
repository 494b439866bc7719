"""Fixtures of the moderation tests: units of work whose published events are recorded,
the actors of the cast, and a conversation in every kind of space."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import AsyncIterator, Callable

import pytest

from artme_cop.conversations import service as conversations
from artme_cop.db import make_engine, make_sessionmaker
from artme_cop.identity import service as identity
from artme_cop.identity.models import Person, Role
from artme_cop.policy import Actor
from artme_cop.realtime.events import Event
from artme_cop.settings import Settings
from artme_cop.unit_of_work import UnitOfWork
from tests.factories import World, make_person
from tests.realtime.conftest import Spaces, open_spaces
from tests.support import MutableClock

UowFactory = Callable[[], UnitOfWork]


@pytest.fixture
def published() -> list[Event]:
    """Every event the units of work of `units` published, in order (after their commits)."""
    return []


@pytest.fixture
async def units(settings: Settings, world: World, clock: MutableClock, published: list[Event]) -> AsyncIterator[UowFactory]:
    engine = make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(engine)

    async def publish(event: Event) -> None:
        published.append(event)

    yield lambda: UnitOfWork(sessionmaker, clock, settings, publish=publish, strict_events=True)
    await engine.dispose()


@pytest.fixture
async def spaces(units: UowFactory, world: World) -> Spaces:
    async with units() as uow:
        return await open_spaces(uow, world)


@dataclass
class Extras:
    """People the fixed cast lacks: facilitators of cohorts A2 and B1."""

    facilitator_a2: Person
    facilitator_b1: Person


@pytest.fixture
async def extras(units: UowFactory, world: World) -> Extras:
    async with units() as uow:
        return Extras(
            facilitator_a2=await make_person(uow, "fac-a2@alder.example.edu", "Flo A2", institution=world.institution_a, cohort=world.cohort_a2, roles=((Role.FACILITATOR, world.cohort_a2),)),
            facilitator_b1=await make_person(uow, "fac-b1@birch.example.edu", "Fay B1", institution=world.institution_b, cohort=world.cohort_b1, roles=((Role.FACILITATOR, world.cohort_b1),)),
        )


async def actor_of(units: UowFactory, person: Person) -> Actor:
    async with units() as uow:
        [actor] = await identity.actors_for(uow, [person.id])
    return actor


async def post(units: UowFactory, person: Person, conversation_id: int, body: str) -> int:
    """Post as `person`; returns the seq."""
    actor = await actor_of(units, person)
    async with units() as uow:
        posted = await conversations.post_message(uow, actor, conversation_id, body=body, client_msg_id=uuid.uuid4().hex)
    return posted.seq
