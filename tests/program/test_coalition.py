"""The guiding coalition (#8): spheres with exactly two co-leads and their term, SMART targets,
the DARCI grid with exactly one Accountable (in the service and in the database), and who may
edit targets and plans: the sphere's members and co-leads and the school's lead."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from artme_cop.errors import Forbidden, Invalid, NotFound
from artme_cop.moderation.models import AuditEntry
from artme_cop.program.coalition import service as coalition
from artme_cop.program.coalition.models import ChangeTarget, DarciEntry, PlanStep, SphereMember
from tests.conftest import make_client
from tests.factories import World
from tests.program import helpers as program
from tests.support import post_form, sign_in, snapshot, soup, text_of


async def _grid(app: Any, target_id: int) -> list[tuple[int, str]]:
    async with app.state.uow(read_only=True) as uow:
        rows = (await uow.session.execute(select(DarciEntry).where(DarciEntry.target_id == target_id).order_by(DarciEntry.person_id))).scalars()
        return [(row.person_id, row.letter) for row in rows]


async def test_sphere_has_two_co_leads_with_their_term(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.lead_a.email)
    data = {"name": "Curriculum", "description": "", "co_leads": [str(world.lead_a.id), str(world.coalition_a.id)], "term_starts_on": "2026-09-01", "term_ends_on": "2027-08-31"}
    response = await post_form(client, f"/coalition/institutions/{world.institution_a.id}/spheres", data)  # type: ignore[arg-type]
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    rows = [[td.get_text(" ", strip=True) for td in tr.find_all("td")] for tr in soup(page).find("table").find("tbody").find_all("tr")]
    assert sorted((row[1], row[2]) for row in rows) == [("Co-lead", "2026-09-01 to 2027-08-31")] * 2
    assert {row[0].split(" (")[0] for row in rows} == {world.lead_a.display_name, world.coalition_a.display_name}


@pytest.mark.parametrize(
    ("co_leads", "message"),
    [
        (["lead_a"], "exactly two co-leads"),
        (["lead_a", "lead_a"], "exactly two co-leads"),
        (["lead_a", "coalition_a", "faculty_a"], "exactly two co-leads"),
        (["lead_a", "student_a"], "guiding coalition"),  # not a coalition member
        (["lead_a", "lead_b"], "guiding coalition"),  # another school's lead
    ],
)
async def test_sphere_refused_without_two_coalition_co_leads(app: Any, client: httpx.AsyncClient, world: World, co_leads: list[str], message: str) -> None:
    await sign_in(client, world.lead_a.email)
    before = await snapshot(app)
    data = {"name": "Curriculum", "description": "", "co_leads": [str(getattr(world, name).id) for name in co_leads], "term_starts_on": "2026-09-01", "term_ends_on": "2027-08-31"}
    response = await post_form(client, f"/coalition/institutions/{world.institution_a.id}/spheres", data)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert message in text_of(response)
    assert await snapshot(app) == before


async def test_sphere_refused_when_term_ends_before_it_starts(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.lead_a.email)
    before = await snapshot(app)
    data = {"name": "Curriculum", "description": "", "co_leads": [str(world.lead_a.id), str(world.coalition_a.id)], "term_starts_on": "2027-09-01", "term_ends_on": "2026-08-31"}
    response = await post_form(client, f"/coalition/institutions/{world.institution_a.id}/spheres", data)  # type: ignore[arg-type]
    assert response.status_code == 400
    assert await snapshot(app) == before


async def test_new_target_has_exactly_one_accountable(app: Any, world: World) -> None:
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    assert await _grid(app, target) == [(world.lead_a.id, "A")]


@pytest.mark.parametrize(
    "letters",
    [
        {"lead_a": "D", "coalition_a": "R"},  # no Accountable
        {"lead_a": "A", "coalition_a": "A"},  # two
        {"lead_a": "A", "coalition_a": "A", "faculty_a": "A"},  # three
        {},  # an empty grid has none either
    ],
    ids=["none", "two", "three", "empty"],
)
async def test_darci_grid_without_exactly_one_accountable_is_refused_and_changes_nothing(app: Any, client: httpx.AsyncClient, world: World, letters: dict[str, str]) -> None:
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    await sign_in(client, world.lead_a.email)
    before = await snapshot(app)
    data = {"person": [str(getattr(world, name).id) for name in letters], "letter": list(letters.values())}
    response = await post_form(client, f"/coalition/targets/{target}/darci", data)  # type: ignore[arg-type]
    assert response.status_code == 400
    count = sum(1 for letter in letters.values() if letter == "A")
    alert = soup(response).find(id="grid-error")
    assert alert is not None and alert.get_text(strip=True) == f"A DARCI grid has exactly one Accountable; this one has {count}."
    assert await snapshot(app) == before
    assert await _grid(app, target) == [(world.lead_a.id, "A")]


async def test_darci_grid_with_one_accountable_replaces_the_grid(app: Any, client: httpx.AsyncClient, world: World) -> None:
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    await sign_in(client, world.coalition_a.email)  # a co-lead of the sphere
    people = [world.lead_a, world.coalition_a, world.faculty_a, world.student_a]
    data = {"person": [str(p.id) for p in people] + ["", ""], "letter": ["D", "A", "R", "I", "", ""]}
    response = await post_form(client, f"/coalition/targets/{target}/darci", data)  # type: ignore[arg-type]
    assert response.status_code == 303
    assert await _grid(app, target) == sorted([(world.lead_a.id, "D"), (world.coalition_a.id, "A"), (world.faculty_a.id, "R"), (world.student_a.id, "I")])
    page = await client.get(f"/coalition/targets/{target}")
    grid = [tr.get_text(" ", strip=True) for tr in soup(page).find(id="darci-grid").find("tbody").find_all("tr")]
    assert f"{world.coalition_a.display_name} Accountable (A)" in grid
    async with app.state.uow(read_only=True) as uow:
        actions = (await uow.session.execute(select(AuditEntry.action).where(AuditEntry.target_kind == "target"))).scalars().all()
    assert "darci_saved" in actions


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("lead_a", "A"), ("lead_a", "R")], "Each person appears once"),
        ([("lead_a", "A"), ("lead_b", "R")], "person of the school"),
        ([("lead_a", "A"), ("coalition_a", "X")], "a letter"),
        ([("lead_a", "A"), ("coalition_a", "")], "a letter"),
    ],
)
async def test_darci_grid_bad_rows_refused(app: Any, world: World, rows: list[tuple[str, str]], message: str) -> None:
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    async with app.state.uow() as uow:
        lead = await program.actor_of(uow, world.lead_a)
        with pytest.raises(Invalid, match=message):
            await coalition.save_grid(uow, lead, target, [(str(getattr(world, name).id), letter) for name, letter in rows])


async def test_database_refuses_a_second_accountable(app: Any, world: World) -> None:
    """The partial unique index holds even for a write that skips the service."""
    target = await program.make_target(app, world, await program.make_sphere(app, world))
    with pytest.raises(IntegrityError):
        async with app.state.uow() as uow:
            await uow.session.execute(insert(DarciEntry).values(target_id=target, person_id=world.coalition_a.id, letter="A"))
    async with app.state.uow() as uow:  # another letter for the same person is fine
        await uow.session.execute(insert(DarciEntry).values(target_id=target, person_id=world.coalition_a.id, letter="R"))
    assert await _grid(app, target) == sorted([(world.lead_a.id, "A"), (world.coalition_a.id, "R")])


# --- who may edit targets and plans -------------------------------------------------------------------

# Editors: the sphere's co-leads (A's lead and coalition member), a plain member of the sphere
# (faculty_a, made a coalition member and added), and the lead. Not editors: a coalition member
# outside the sphere (participant_a2, made a coalition member), the coach and the program admin
# (they read, 403), a student of A and another school's lead (they cannot see it, 404).
EDITORS = ["lead_a", "coalition_a", "faculty_a"]
READ_ONLY = ["participant_a2", "coach", "admin"]
OUTSIDERS = ["student_a", "lead_b"]


@pytest.fixture
async def plan(app: Any, world: World) -> dict[str, int]:
    await program.grant_coalition(app, world.faculty_a)
    await program.grant_coalition(app, world.participant_a2)
    sphere = await program.make_sphere(app, world)
    async with app.state.uow() as uow:
        await coalition.add_member(uow, await program.actor_of(uow, world.lead_a), sphere, person_id=str(world.faculty_a.id))
    target = await program.make_target(app, world, sphere)
    return {"sphere": sphere, "target": target, "step": await program.add_step(app, world, target)}


def _edits(world: World, plan: dict[str, int]) -> list[tuple[str, str, dict[str, Any]]]:
    target = {"specific": "Grading review published", "measure": "Review", "baseline": "", "target_value": "1", "unit": "report", "due_on": "2027-03-01", "status": "active"}
    return [
        ("new target", f"/coalition/spheres/{plan['sphere']}/targets", {**target, "accountable": str(world.coalition_a.id)}),
        ("edit target", f"/coalition/targets/{plan['target']}", {**target, "status": "achieved"}),
        ("add step", f"/coalition/targets/{plan['target']}/steps", {"step_description": "Pilot", "owner": str(world.faculty_a.id), "step_due_on": "2027-02-01", "step_status": "planned"}),
        ("move step", f"/coalition/steps/{plan['step']}", {"status": "blocked"}),
        ("darci", f"/coalition/targets/{plan['target']}/darci", {"person": [str(world.faculty_a.id)], "letter": ["A"]}),
    ]


@pytest.mark.parametrize("who", EDITORS + READ_ONLY + OUTSIDERS)
async def test_who_may_edit_targets_and_plans(app: Any, world: World, plan: dict[str, int], who: str) -> None:
    async with make_client(app) as http:
        await sign_in(http, getattr(world, who).email)
        for name, path, data in _edits(world, plan):
            before = await snapshot(app)
            response = await post_form(http, path, data)
            if who in EDITORS:
                assert response.status_code == 303, (who, name, response.status_code)
                assert await snapshot(app) != before
            else:
                assert response.status_code == (403 if who in READ_ONLY else 404), (who, name, response.status_code)
                assert await snapshot(app) == before
    async with app.state.uow(read_only=True) as uow:
        targets = (await uow.session.execute(select(ChangeTarget.status))).scalars().all()
        steps = (await uow.session.execute(select(PlanStep.status).where(PlanStep.id == plan["step"]))).scalars().all()
    if who in EDITORS:
        assert len(targets) == 2 and "achieved" in targets and steps == ["blocked"]
    else:
        assert targets == ["active"] and steps == ["planned"]


async def test_member_removed_from_sphere_can_no_longer_edit(app: Any, world: World, plan: dict[str, int]) -> None:
    async with app.state.uow() as uow:
        await coalition.remove_member(uow, await program.actor_of(uow, world.coalition_a), plan["sphere"], str(world.faculty_a.id))
    async with app.state.uow() as uow:
        with pytest.raises(Forbidden):
            await coalition.update_step(uow, await program.actor_of(uow, world.faculty_a), plan["step"], status="done")


async def test_co_lead_cannot_be_removed_and_co_leads_are_set_by_the_lead_only(app: Any, world: World, plan: dict[str, int]) -> None:
    async with app.state.uow() as uow:
        co_lead = await program.actor_of(uow, world.coalition_a)
        with pytest.raises(Exception, match="co-lead"):
            await coalition.remove_member(uow, co_lead, plan["sphere"], str(world.lead_a.id))
    async with app.state.uow() as uow:
        with pytest.raises(Forbidden):
            await coalition.set_co_leads(uow, await program.actor_of(uow, world.coalition_a), plan["sphere"], co_leads=[str(world.coalition_a.id), str(world.faculty_a.id)], term_starts_on="2026-09-01", term_ends_on="2027-08-31")
    async with app.state.uow() as uow:
        await coalition.set_co_leads(uow, await program.actor_of(uow, world.lead_a), plan["sphere"], co_leads=[str(world.coalition_a.id), str(world.faculty_a.id)], term_starts_on="2026-10-01", term_ends_on="2027-09-30")
    async with app.state.uow(read_only=True) as uow:
        rows = (await uow.session.execute(select(SphereMember).where(SphereMember.sphere_id == plan["sphere"]))).scalars().all()
    assert {(r.person_id, r.is_co_lead) for r in rows} == {(world.lead_a.id, False), (world.coalition_a.id, True), (world.faculty_a.id, True)}


async def test_admin_reading_a_schools_coalition_is_a_logged_privileged_read(app: Any, client: httpx.AsyncClient, world: World, plan: dict[str, int]) -> None:
    await sign_in(client, world.admin.email)
    assert (await client.get(f"/coalition/targets/{plan['target']}")).status_code == 200
    async with app.state.uow(read_only=True) as uow:
        entries = (await uow.session.execute(select(AuditEntry).where(AuditEntry.action == "privileged_read"))).scalars().all()
    assert [(e.actor_id, e.institution_id, e.target_kind) for e in entries] == [(world.admin.id, world.institution_a.id, "coalition")]


async def test_other_school_sees_no_sphere_by_id(app: Any, world: World, plan: dict[str, int]) -> None:
    async with app.state.uow() as uow:
        with pytest.raises(NotFound):
            await coalition.access_sphere(uow, await program.actor_of(uow, world.lead_b), plan["sphere"])


@pytest.mark.parametrize("value", ["abc", "-1", "0", "99999999999999", "1.5", "١"])
async def test_malformed_ids_are_not_found(client: httpx.AsyncClient, world: World, value: str) -> None:
    await sign_in(client, world.lead_a.email)
    for path in (f"/coalition/institutions/{value}", f"/coalition/spheres/{value}", f"/coalition/targets/{value}", f"/outcomes/partners/{value}", f"/monitoring/institutions/{value}"):
        assert (await client.get(path)).status_code == 404, path


@pytest.mark.parametrize(
    ("field", "value"),
    [("specific", ""), ("specific", "x" * 301), ("due_on", "next week"), ("due_on", "1999-01-01"), ("status", "finished"), ("target_value", "a\x00b"), ("measure", "right\u202eleft")],
)
async def test_bad_target_fields_give_400_and_change_nothing(app: Any, client: httpx.AsyncClient, world: World, plan: dict[str, int], field: str, value: str) -> None:
    await sign_in(client, world.lead_a.email)
    data = {"specific": "Grading review", "measure": "Review", "baseline": "", "target_value": "1", "unit": "", "due_on": "2027-03-01", "status": "active", field: value}
    before = await snapshot(app)
    response = await post_form(client, f"/coalition/targets/{plan['target']}", data)
    assert response.status_code == 400
    assert await snapshot(app) == before
