"""The review-due job: shared resources past their review date move to "update due" with a
recorded transition by nobody in particular, their stewards are told, reviewers near the end
of their time box are reminded once; the same check runs in the server's lifespan and from
`artme-cop knowledge review-due`."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, update
from starlette.testclient import TestClient

from artme_cop import cli
from artme_cop.app import create_app
from artme_cop.knowledge import service as knowledge
from artme_cop.knowledge.cycle import State
from artme_cop.knowledge.models import Resource, Transition
from artme_cop.notifications.models import Notification
from artme_cop.settings import Settings
from tests.conftest import SECRET
from tests.factories import World
from tests.knowledge.helpers import CONTENT, resource_in, state_of
from tests.support import MutableClock, sign_in, soup


async def _run(app: Any) -> tuple[int, int]:
    async with app.state.uow() as uow:
        return await knowledge.run_review_due(uow)


async def _notes(app: Any, person: Any) -> list[Notification]:
    async with app.state.uow(read_only=True) as uow:
        return list((await uow.session.execute(select(Notification).where(Notification.recipient_id == person.id, Notification.kind == "knowledge").order_by(Notification.id))).scalars())


@pytest.mark.parametrize("state", [State.SHARED_INSTITUTION, State.SHARED_PROGRAM, State.IN_USE])
async def test_resource_past_its_review_date_falls_due_and_stewards_are_told(app: Any, world: World, clock: MutableClock, state: State) -> None:
    public_id = await resource_in(app, world, state)
    clock.advance(days=364)
    assert await _run(app) == (0, 0)
    assert await state_of(app, public_id) == state.value

    clock.advance(days=2)
    assert await _run(app) == (1, 0)

    assert await state_of(app, public_id) == State.UPDATE_DUE.value
    async with app.state.uow(read_only=True) as uow:
        last = (await uow.session.execute(select(Transition).order_by(Transition.id.desc()).limit(1))).scalar_one()
    assert (last.move, last.from_state, last.actor_id) == ("flag_update", state.value, None)
    assert "review date" in last.reason
    [note] = [n for n in await _notes(app, world.coalition_a) if "due for update" in n.summary]
    assert note.summary == f"“{CONTENT['title']}” is due for update: its review date has come."
    assert note.link == f"/knowledge/{public_id}"
    assert [n for n in await _notes(app, world.participant_b)] == []
    assert await _run(app) == (0, 0)  # nothing twice


async def test_drafts_and_retired_resources_never_fall_due(app: Any, world: World, clock: MutableClock) -> None:
    for state in (State.DRAFT, State.CONTEXTUALIZING, State.RETIRED, State.UPDATE_DUE):
        await resource_in(app, world, state)
    clock.advance(days=800)
    assert (await _run(app))[0] == 0


async def test_reviewers_are_reminded_once_near_their_time_limit(app: Any, world: World, clock: MutableClock) -> None:
    public_id = await resource_in(app, world, State.IN_ASSESSMENT)
    [asked] = await _notes(app, world.coach)
    assert asked.summary.startswith(f"You are asked to review “{CONTENT['title']}”")
    clock.advance(days=11)
    assert await _run(app) == (0, 0)
    clock.advance(days=1, hours=1)
    assert await _run(app) == (0, 2)
    for reviewer in (world.coach, world.facilitator_a):
        reminders = [n for n in await _notes(app, reviewer) if n.summary.startswith("Reminder")]
        assert len(reminders) == 1 and reminders[0].link == f"/knowledge/{public_id}"
    clock.advance(days=1)
    assert await _run(app) == (0, 0)


async def test_history_shows_the_scheduled_check(app: Any, client: Any, world: World, clock: MutableClock) -> None:
    public_id = await resource_in(app, world, State.SHARED_INSTITUTION)
    clock.advance(days=366)
    await _run(app)
    await sign_in(client, world.coalition_a.email)
    cells = [td.get_text(strip=True) for td in soup(await client.get(f"/knowledge/{public_id}")).find(id="history-heading").find_parent("section").find_all("td")]
    assert "the scheduled review check" in cells


def test_lifespan_runs_the_review_schedule_only_when_enabled(settings: Settings, world: World) -> None:
    app = create_app(settings)
    with TestClient(app, base_url="http://testserver"):
        task = app.state.knowledge_review_task
        assert task is not None and not task.done()
    assert task.cancelled()
    quiet = create_app(dataclasses.replace(settings, digest_interval=0))
    with TestClient(quiet, base_url="http://testserver"):
        assert quiet.state.knowledge_review_task is None


def test_cli_review_due(settings: Settings, world: World, clock: MutableClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    app = create_app(settings, clock=clock)

    async def seed() -> str:
        public_id = await resource_in(app, world, State.SHARED_PROGRAM)
        async with app.state.uow() as uow:  # the CLI reads the real time: put the date behind it
            await uow.session.execute(update(Resource).values(review_due_on=clock.now().date() - timedelta(days=400)))
        await app.state.engine.dispose()
        return public_id

    public_id = asyncio.run(seed())
    for name, value in {"ARTME_DATA_DIR": str(tmp_path), "ARTME_DATABASE_URL": settings.database_url, "ARTME_SECRET_KEY": SECRET}.items():
        monkeypatch.setenv(name, value)

    assert cli.main(["knowledge", "review-due"]) == 0
    assert "Resources now due for update: 1. Reviewers reminded: 0." in capsys.readouterr().out
    assert cli.main(["knowledge", "review-due"]) == 0
    assert "Resources now due for update: 0." in capsys.readouterr().out

    async def check() -> str:
        try:
            return await state_of(app, public_id)
        finally:
            await app.state.engine.dispose()

    assert asyncio.run(check()) == State.UPDATE_DUE.value
