"""WebSocket tests run the app in Starlette's TestClient (its own loop and engine, with the
lifespan), after the `world` fixture seeded the database on the test's loop."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Iterator

import pytest
from starlette.testclient import TestClient

from artme_cop.app import create_app
from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import ConversationKind
from artme_cop.db import make_engine, make_sessionmaker
from artme_cop.policy import SpaceScope
from artme_cop.settings import Settings
from artme_cop.unit_of_work import UnitOfWork
from tests.factories import World
from tests.support import PASSWORD, MutableClock, csrf_from

ORIGIN = "http://testserver"


@dataclass
class Spaces:
    consortium: int
    cohort_a1: int
    cohort_b1: int
    institution_a: int
    cohort_a2: int


async def open_spaces(uow: UnitOfWork, world: World) -> Spaces:
    async def lounge(scope: SpaceScope, title: str, institution_id: int | None = None, cohort_id: int | None = None) -> int:
        made = await conversations.open_conversation(uow, kind=ConversationKind.LOUNGE, scope=scope, title=title, institution_id=institution_id, cohort_id=cohort_id)
        return made.id

    return Spaces(
        consortium=await lounge(SpaceScope.CONSORTIUM, "Consortium lounge"),
        cohort_a1=await lounge(SpaceScope.COHORT, "A1", world.institution_a.id, world.cohort_a1.id),
        cohort_b1=await lounge(SpaceScope.COHORT, "B1", world.institution_b.id, world.cohort_b1.id),
        institution_a=await lounge(SpaceScope.INSTITUTION, "Alder", world.institution_a.id),
        cohort_a2=await lounge(SpaceScope.COHORT, "A2", world.institution_a.id, world.cohort_a2.id),
    )


@pytest.fixture
async def spaces(settings: Settings, world: World, clock: MutableClock) -> Spaces:
    engine = make_engine(settings.database_url)
    try:
        async with UnitOfWork(make_sessionmaker(engine), clock, settings) as uow:
            return await open_spaces(uow, world)
    finally:
        await engine.dispose()


def signed_in(client: TestClient, email: str, password: str = PASSWORD) -> TestClient:
    token = csrf_from(client.get("/login"))
    response = client.post("/login", data={"email": email, "password": password, "csrf_token": token, "next": "/"}, follow_redirects=False)
    assert response.status_code == 303, response.text
    return client


@pytest.fixture
def fast(request: pytest.FixtureRequest) -> bool:
    """Tests marked `fast_limits` lift the rate limits so they can send in bulk."""
    return request.node.get_closest_marker("fast_limits") is not None


@pytest.fixture
def live_app(settings: Settings, spaces: Spaces, fast: bool, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    if fast:
        from artme_cop.realtime import gateway

        monkeypatch.setattr(gateway, "FRAME_RATE", 1e6)
        monkeypatch.setattr(gateway, "FRAME_BURST", 1e6)
        settings = dataclasses.replace(settings, message_rate=1_000_000)
    app = create_app(settings)
    with TestClient(app, base_url=ORIGIN) as client:
        yield client


@pytest.fixture
def make_client(settings: Settings, live_app: TestClient) -> Iterator[object]:
    """More browsers on the same running app, each with its own cookies."""
    clients: list[TestClient] = []

    def factory(email: str) -> TestClient:
        client = TestClient(live_app.app, base_url=ORIGIN)
        client.portal = live_app.portal  # type: ignore[attr-defined]
        clients.append(client)
        return signed_in(client, email)

    yield factory
