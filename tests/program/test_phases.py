"""Phases: the cohort's coach marks exit-checklist items (who and when are recorded and
audited), moves the cohort forward once the checklist is complete, others cannot; waves'
schedules are the admins'; bad input changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from artme_cop.moderation.models import AuditEntry
from artme_cop.program.phases.catalog import PHASES
from artme_cop.program.phases.models import ChecklistMark, CohortPhase, WavePhase
from tests.conftest import make_client
from tests.factories import World
from tests.support import post_form, sign_in, snapshot, soup, text_of


def cohort_url(world: World) -> str:
    return f"/program/phases/cohorts/{world.cohort_a1.id}"


async def mark(client: httpx.AsyncClient, world: World, phase: int, item: str, done: str = "1") -> httpx.Response:
    return await post_form(client, f"{cohort_url(world)}/checklist", {"phase": str(phase), "item": item, "done": done})


async def test_coach_marks_an_item_with_who_and_when(app: Any, client: httpx.AsyncClient, world: World, clock: Any) -> None:
    await sign_in(client, world.coach.email)
    response = await mark(client, world, 1, "cohort-formed")
    assert response.status_code == 303
    async with app.state.uow(read_only=True) as uow:
        [row] = (await uow.session.execute(select(ChecklistMark))).scalars().all()
        [entry] = (await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "checklist_marked"))).scalars().all()
    assert (row.cohort_id, row.phase, row.item_key, row.completed_by_id, row.completed_at) == (world.cohort_a1.id, 1, "cohort-formed", world.coach.id, clock.now())
    assert (entry.actor_id, entry.institution_id, entry.target_id) == (world.coach.id, world.institution_a.id, world.cohort_a1.id)
    page = await client.get(cohort_url(world))
    assert f"marked by {world.coach.display_name}" in text_of(page)

    assert (await mark(client, world, 1, "cohort-formed", done="0")).status_code == 303
    async with app.state.uow(read_only=True) as uow:
        assert (await uow.session.execute(select(ChecklistMark))).scalars().all() == []
        actions = (await uow.session.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars().all()
    assert actions == ["checklist_marked", "checklist_unmarked"]


@pytest.mark.parametrize(("persona", "status"), [("student_a", 403), ("facilitator_a", 403), ("lead_a", 403), ("participant_a2", 404), ("lead_b", 404), ("participant_b", 404), ("admin", 303)])
async def test_only_the_coach_and_admins_mark(app: Any, client: httpx.AsyncClient, world: World, persona: str, status: int) -> None:
    await sign_in(client, getattr(world, persona).email)
    before = await snapshot(app)
    response = await mark(client, world, 1, "agreements")
    assert response.status_code == status
    if status != 303:
        assert await snapshot(app) == before


@pytest.mark.parametrize(("phase", "item"), [("1", "no-such-item"), ("7", "agreements"), ("0", "agreements"), ("x", "agreements"), ("2", "agreements"), ("", "")])
async def test_unknown_checklist_items_are_400(app: Any, client: httpx.AsyncClient, world: World, phase: str, item: str) -> None:
    await sign_in(client, world.coach.email)
    before = await snapshot(app)
    response = await post_form(client, f"{cohort_url(world)}/checklist", {"phase": phase, "item": item, "done": "1"})
    assert response.status_code == 400
    assert await snapshot(app) == before


@pytest.mark.parametrize("cohort", ["987654", "abc", "99999999999", "-3"])
async def test_unknown_cohorts_are_404(app: Any, client: httpx.AsyncClient, world: World, cohort: str) -> None:
    await sign_in(client, world.coach.email)
    before = await snapshot(app)
    assert (await client.get(f"/program/phases/cohorts/{cohort}")).status_code == 404
    assert (await post_form(client, f"/program/phases/cohorts/{cohort}/checklist", {"phase": "1", "item": "agreements", "done": "1"})).status_code == 404
    assert await snapshot(app) == before


async def test_cohort_moves_forward_only_with_a_complete_checklist(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.coach.email)
    move = f"{cohort_url(world)}/phase"
    before = await snapshot(app)
    assert (await post_form(client, move, {"phase": "2"})).status_code == 409
    assert (await post_form(client, move, {"phase": "3"})).status_code == 409
    assert (await post_form(client, move, {"phase": "9"})).status_code == 400
    assert await snapshot(app) == before

    for item in PHASES[0].checklist:
        assert (await mark(client, world, 1, item.key)).status_code == 303
    assert (await post_form(client, move, {"phase": "2"})).status_code == 303
    async with app.state.uow(read_only=True) as uow:
        row = await uow.session.get(CohortPhase, world.cohort_a1.id)
    assert row is not None and (row.phase, row.changed_by_id) == (2, world.coach.id)
    page = await client.get(cohort_url(world))
    assert "now in phase 2: Preparing for Change" in text_of(page)

    # Back one phase, to correct a mistake, is allowed.
    assert (await post_form(client, move, {"phase": "1"})).status_code == 303


async def test_members_see_their_cohort_progress_and_outsiders_do_not(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.student_a.email)
    page = await client.get(cohort_url(world))
    assert page.status_code == 200
    assert soup(page).select(f"form[action='{cohort_url(world)}/checklist']") == []  # no marking forms
    overview = await client.get("/program/phases/")
    assert world.cohort_a1.name in text_of(overview) and world.cohort_b1.name not in text_of(overview)

    async with make_client(app) as outsider:
        await sign_in(outsider, world.participant_b.email)
        assert (await outsider.get(cohort_url(world))).status_code == 404


async def test_admin_schedules_a_wave(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.admin.email)
    response = await post_form(client, "/program/phases/waves/1/2", {"starts_on": "2027-01-10", "ends_on": "2027-03-31"}, token_from="/program/phases/")
    assert response.status_code == 303
    async with app.state.uow(read_only=True) as uow:
        row = await uow.session.get(WavePhase, (1, 2))
        [entry] = (await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "phase_scheduled"))).scalars().all()
    assert row is not None and (row.starts_on.isoformat(), row.ends_on.isoformat()) == ("2027-01-10", "2027-03-31")
    assert entry.actor_id == world.admin.id
    assert "2027-01-10" in text_of(await client.get("/program/phases/"))


@pytest.mark.parametrize(
    ("path", "data", "status"),
    [
        ("/program/phases/waves/1/2", {"starts_on": "2027-02-30", "ends_on": ""}, 400),
        ("/program/phases/waves/1/2", {"starts_on": "10/01/2027", "ends_on": ""}, 400),
        ("/program/phases/waves/1/2", {"starts_on": "2027-03-01", "ends_on": "2027-01-01"}, 400),
        ("/program/phases/waves/0/2", {"starts_on": "", "ends_on": ""}, 400),
        ("/program/phases/waves/1/9", {"starts_on": "", "ends_on": ""}, 404),
        ("/program/phases/waves/abc/2", {"starts_on": "", "ends_on": ""}, 400),
    ],
)
async def test_bad_schedules_change_nothing(app: Any, client: httpx.AsyncClient, world: World, path: str, data: dict[str, str], status: int) -> None:
    await sign_in(client, world.admin.email)
    before = await snapshot(app)
    assert (await post_form(client, path, data)).status_code == status
    assert await snapshot(app) == before


@pytest.mark.parametrize("persona", ["coach", "lead_a", "student_a"])
async def test_only_admins_schedule_waves(app: Any, client: httpx.AsyncClient, world: World, persona: str) -> None:
    await sign_in(client, getattr(world, persona).email)
    before = await snapshot(app)
    assert (await post_form(client, "/program/phases/waves/1/2", {"starts_on": "2027-01-10", "ends_on": ""})).status_code == 403
    assert await snapshot(app) == before


@pytest.mark.parametrize("bad", ["0", "7", "x", "99999999999"])
async def test_unknown_phase_pages_are_404(client: httpx.AsyncClient, world: World, bad: str) -> None:
    await sign_in(client, world.student_a.email)
    assert (await client.get(f"/program/phases/{bad}")).status_code == 404
