"""Lab fixtures: teams registered through the service on the running app (Starlette's
TestClient with its lifespan), so HTTP pages and the WebSocket share one database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Awaitable, Callable, TypeVar

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from artme_cop.identity import service as identity
from artme_cop.labs import service as labs
from artme_cop.labs import sessions
from artme_cop.labs.models import LabChannel
from artme_cop.policy import Actor
from artme_cop.unit_of_work import UnitOfWork
from tests.factories import World
from tests.realtime.conftest import fast, live_app, make_client, spaces  # noqa: F401  (the live fixtures)
from tests.support import csrf_from

T = TypeVar("T")


def run(client: TestClient, work: Callable[[UnitOfWork], Awaitable[T]]) -> T:
    """Run `work` in a unit of work of the running app and return its result."""

    async def call() -> T:
        async with client.app.state.uow() as uow:  # type: ignore[attr-defined]
            return await work(uow)

    return client.portal.call(call)  # type: ignore[attr-defined]


async def actor_of(uow: UnitOfWork, person_id: int) -> Actor:
    [actor] = await identity.actors_for(uow, [person_id])
    return actor


@dataclass(frozen=True)
class Team:
    id: int
    general: int  # the general channel's id
    conversation: int  # its conversation


def register(client: TestClient, world: World, *, name: str, members: list[int], leads: list[int], facilitator: int) -> Team:
    async def work(uow: UnitOfWork) -> Team:
        lead = await actor_of(uow, world.lead_a.id)
        roster = labs.Roster(frozenset(members), frozenset(leads), facilitator)
        team = await labs.register_team(uow, lead, institution_id=world.institution_a.id, name=name, unit="Emergency medicine", purpose="", roster=roster)
        channel = (await uow.session.execute(select(LabChannel).where(LabChannel.team_id == team.id))).scalar_one()
        return Team(team.id, channel.id, channel.conversation_id)

    return run(client, work)


@pytest.fixture
def team(live_app: TestClient, world: World) -> Team:
    """Team Alder ED: the student and the faculty member (who leads it), facilitated by A's facilitator."""
    return register(live_app, world, name="Alder ED", members=[world.student_a.id, world.faculty_a.id], leads=[world.faculty_a.id], facilitator=world.facilitator_a.id)


@pytest.fixture
def other_team(live_app: TestClient, world: World) -> Team:
    """Team Alder Wards: the coalition member and the A2 participant, same facilitator."""
    return register(live_app, world, name="Alder Wards", members=[world.coalition_a.id, world.participant_a2.id], leads=[world.coalition_a.id], facilitator=world.facilitator_a.id)


def form_post(client: TestClient, path: str, data: dict[str, Any] | list[tuple[str, str]], *, token_from: str = "/labs/") -> Any:
    token = csrf_from(client.get(token_from))
    fields: dict[str, list[str]] = {}
    for key, value in (data.items() if isinstance(data, dict) else data):
        fields.setdefault(key, []).append(value)
    fields["csrf_token"] = [token]
    return client.post(path, data=fields, follow_redirects=False)


def new_session(client: TestClient, world: World, team_ids: list[int], *, questions: int = 2) -> int:
    async def work(uow: UnitOfWork) -> int:
        facilitator = await actor_of(uow, world.facilitator_a.id)
        made = await sessions.create_session(
            uow, facilitator, title="Bias to action", concept="From awareness to action on bias", prework="Read the case.", exercise="Redesign triage handover.", team_ids=[str(t) for t in team_ids]
        )
        for number in range(questions):
            await sessions.add_question(uow, facilitator, made.id, prompt=f"Question {number + 1}?", options="Alpha\nBravo\nCharlie", correct=str(number % 3 + 1))
        return made.id

    return run(client, work)


async def _advance(uow: UnitOfWork, world: World, session_id: int, stage: str) -> None:
    facilitator = await actor_of(uow, world.facilitator_a.id)
    await sessions.advance(uow, facilitator, session_id, to=stage)
