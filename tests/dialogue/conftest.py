"""Dialogue tests run the app in Starlette's TestClient with the test's MutableClock, so time
boxes, slow mode and mutes are checked by moving the clock, never by waiting."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator

import pytest
from starlette.testclient import TestClient

from artme_cop.app import create_app
from artme_cop.dialogue import service as dialogue
from artme_cop.identity import service as identity
from artme_cop.settings import Settings
from tests.factories import World
from tests.realtime.conftest import ORIGIN, signed_in
from tests.realtime.test_gateway import Socket, connect
from tests.support import MutableClock, csrf_from

AGREEMENT = "Brave space. Chatham House rule. No recording."


@dataclass
class Room:
    session: int
    main: int
    back: int
    version: int = 1


@pytest.fixture
def app_client(settings: Settings, world: World, clock: MutableClock) -> Iterator[TestClient]:
    app = create_app(settings, clock=clock)
    with TestClient(app, base_url=ORIGIN) as client:
        yield client


@pytest.fixture
def browser(app_client: TestClient) -> Iterator[Callable[[str], TestClient]]:
    """A signed-in browser per person on the same running app."""
    made: dict[str, TestClient] = {}

    def factory(email: str) -> TestClient:
        if email not in made:
            client = TestClient(app_client.app, base_url=ORIGIN)
            client.portal = app_client.portal  # type: ignore[attr-defined]
            made[email] = signed_in(client, email)
        return made[email]

    yield factory


def run(client: TestClient, work: Callable[..., Any], *args: Any) -> Any:
    return client.portal.call(work, *args)  # type: ignore[attr-defined]


def schedule(client: TestClient, world: World, *, mode: str = "named", slow: str = "0") -> Room:
    """Frankie Facilitator and Casey Coach co-facilitate a session for cohort A1."""

    async def work() -> Room:
        async with client.app.state.uow() as uow:  # type: ignore[attr-defined]
            [actor] = await identity.actors_for(uow, [world.facilitator_a.id])
            form = dialogue.Scheduled(
                title="Naming racism in assessment", cohort_ids=[world.cohort_a1.id], facilitator_ids=[world.facilitator_a.id, world.coach.id],
                starts_at="2027-02-14T15:00", ends_at="2027-02-14T16:00", agreement_text=AGREEMENT, identity_mode=mode, slow_mode_seconds=slow,
                guiding_questions="Where does bias enter grading?\nWhat could we change?",
            )
            session = await dialogue.schedule_session(uow, actor, form)
            return Room(session.id, session.main_conversation_id, session.backchannel_conversation_id)

    return run(client, work)  # type: ignore[no-any-return]


def accept(client: TestClient, room: Room, version: int | None = None) -> int:
    token = csrf_from(client.get(f"/dialogue/{room.session}"))
    response = client.post(f"/dialogue/{room.session}/accept", data={"csrf_token": token, "version": str(version or room.version)}, follow_redirects=False)
    return response.status_code


def tool(socket: Socket, room: Room, action: str, **params: Any) -> dict[str, Any]:
    return socket.request({"type": "dialogue.facilitate", "session": room.session, "action": action, "params": params})


def say(socket: Socket, conversation: int, body: str, client_id: str) -> dict[str, Any]:
    return socket.request({"type": "send", "conversation": conversation, "client_msg_id": client_id, "body": body})


__all__ = ["Room", "Socket", "connect", "schedule", "accept", "tool", "say", "run", "AGREEMENT"]
