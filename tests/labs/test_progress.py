"""A team's progress between sessions: commitments and their reminders, success reports over
time (an SVG chart with the numbers beside it), a success report made a short-term win, the
value story after four sessions, and the next session opening with a review of commitments."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Callable

import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select
from starlette.testclient import TestClient

from artme_cop import cli
from artme_cop.db import make_engine, make_sessionmaker
from artme_cop.identity import service as identity
from artme_cop.labs import jobs, progress
from artme_cop.labs import service as labs
from artme_cop.knowledge.models import Resource
from artme_cop.labs.models import LabCommitment, LabSuccessReport
from artme_cop.notifications.models import Notification
from artme_cop.program.wins.models import Win
from artme_cop.settings import Settings
from artme_cop.unit_of_work import UnitOfWork
from tests.factories import World
from tests.labs.conftest import Team, _advance, form_post, new_session, run
from tests.program import helpers as program
from tests.realtime.conftest import signed_in
from tests.support import MutableClock


def commit(client: TestClient, team: Team, owner: int, check_on: str = "2027-01-15") -> object:
    data = {"concept": "Bystander intervention", "job_function": "Triage nurse", "action": "Name it when it happens.", "owner": str(owner), "check_on": check_on}
    return form_post(client, f"/labs/teams/{team.id}/commitments", data)


def test_commitments_and_their_reminders(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    """The owner is reminded once when the check date comes, and nobody off the team is."""
    student = signed_in(live_app, world.student_a.email)
    assert commit(student, team, world.student_a.id).status_code == 303
    assert commit(student, team, world.lead_a.id).status_code == 400  # the owner must be on the team
    assert commit(student, team, world.student_a.id, check_on="15/01/2027").status_code == 400
    assert commit(make_client(world.facilitator_a.email), team, world.student_a.id).status_code == 403
    clock = MutableClock(datetime(2027, 1, 14, 9, tzinfo=timezone.utc))
    uow_factory = live_app.app.state.uow  # type: ignore[attr-defined]
    assert live_app.portal.call(jobs.send_due_reminders, uow_factory, clock) == 0  # type: ignore[attr-defined]
    clock.current = datetime(2027, 1, 15, 9, tzinfo=timezone.utc)
    assert live_app.portal.call(jobs.send_due_reminders, uow_factory, clock) == 1  # type: ignore[attr-defined]
    assert live_app.portal.call(jobs.send_due_reminders, uow_factory, clock) == 0  # once  # type: ignore[attr-defined]

    async def reminders(uow: object) -> list[tuple[int, str]]:
        rows = await uow.session.execute(select(Notification.recipient_id, Notification.kind))  # type: ignore[attr-defined]
        return [tuple(r) for r in rows.all()]

    assert run(live_app, reminders) == [(world.student_a.id, "reminder")]
    assert "Check date of your team commitment" in student.get("/notifications/").text
    [commitment_id] = run(live_app, lambda uow: _ids(uow, LabCommitment))
    assert form_post(student, f"/labs/commitments/{commitment_id}/status", {"status": "finished"}).status_code == 400
    assert form_post(student, f"/labs/commitments/{commitment_id}/status", {"status": "done"}).status_code == 303
    assert form_post(make_client(world.lead_a.email), f"/labs/commitments/{commitment_id}/status", {"status": "open"}).status_code == 404


async def _ids(uow: object, model: type) -> list[int]:
    return list((await uow.session.execute(select(model.id))).scalars())  # type: ignore[attr-defined]


def test_success_reports_chart_with_numbers(live_app: TestClient, world: World, team: Team) -> None:
    """The chart is server-rendered SVG, and the same numbers stand in a table beside it."""
    student = signed_in(live_app, world.student_a.email)
    today = date.today()
    for what in ("Interpreters named at handover", "Huddle includes bias check"):
        assert form_post(student, f"/labs/teams/{team.id}/reports", {"what_changed": what, "evidence": "Audit of 20 handovers", "reported_on": today.isoformat()}).status_code == 303
    assert form_post(student, f"/labs/teams/{team.id}/reports", {"what_changed": "Later", "evidence": "x", "reported_on": "2999-01-01"}).status_code == 400
    assert form_post(student, f"/labs/teams/{team.id}/reports", {"what_changed": "", "evidence": "x", "reported_on": ""}).status_code == 400
    page = BeautifulSoup(student.get(f"/labs/teams/{team.id}").text, "html.parser")
    svg = page.find("svg", class_="bar-chart")
    assert svg is not None and svg.find("title").get_text() == "Success reports per quarter"
    quarter = f"{today.year} Q{(today.month - 1) // 3 + 1}"
    numbers = {row.th.get_text(): row.td.get_text() for row in page.find("table", class_="chart-table").tbody.find_all("tr")}
    assert numbers[quarter] == "2" and sum(int(n) for n in numbers.values()) == 2
    assert "Interpreters named at handover" in page.get_text()


def test_a_team_lead_in_the_coalition_makes_a_report_a_win(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, other_team: Team) -> None:
    """The win is recorded undecided through the wins service; a second promotion is refused."""
    target = live_app.portal.call(_target, live_app.app, world)  # type: ignore[attr-defined]
    member = signed_in(live_app, world.participant_a2.email)
    assert form_post(member, f"/labs/teams/{other_team.id}/reports", {"what_changed": "Rounds name the interpreter", "evidence": "Ten rounds", "reported_on": ""}).status_code == 303
    [report_id] = run(live_app, lambda uow: _ids(uow, LabSuccessReport))
    assert form_post(member, f"/labs/reports/{report_id}/promote", {"title": "Interpreters", "against": f"target:{target}"}).status_code == 403  # not a lead
    lead = make_client(world.coalition_a.email)
    assert form_post(lead, f"/labs/reports/{report_id}/promote", {"title": "Interpreters", "against": "target:999999"}).status_code == 400
    promoted = form_post(lead, f"/labs/reports/{report_id}/promote", {"title": "Interpreters named", "against": f"target:{target}"})
    assert promoted.status_code == 303 and promoted.headers["location"].startswith("/wins/")
    assert form_post(lead, f"/labs/reports/{report_id}/promote", {"title": "Again", "against": f"target:{target}"}).status_code == 409

    async def wins(uow: object) -> list[tuple[str, str]]:
        return [tuple(r) for r in (await uow.session.execute(select(Win.title, Win.sharing))).all()]  # type: ignore[attr-defined]

    assert run(live_app, wins) == [("Interpreters named", "undecided")]


def test_a_team_lead_in_the_coalition_drafts_a_lesson_learned(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, other_team: Team) -> None:
    """The draft is the school's, in the knowledge cycle's first state, private to its author
    and the school's lead; a second draft of the same report is refused, as are a member who
    does not lead and an empty title."""
    member = signed_in(live_app, world.participant_a2.email)
    assert form_post(member, f"/labs/teams/{other_team.id}/reports", {"what_changed": "Rounds name the interpreter", "evidence": "Ten rounds", "reported_on": ""}).status_code == 303
    [report_id] = run(live_app, lambda uow: _ids(uow, LabSuccessReport))
    assert form_post(member, f"/labs/reports/{report_id}/draft-resource", {"title": "Interpreters"}).status_code == 403  # not a lead
    lead = make_client(world.coalition_a.email)
    assert "Draft it for the knowledge repository" in lead.get(f"/labs/teams/{other_team.id}").text
    assert form_post(lead, f"/labs/reports/{report_id}/draft-resource", {"title": ""}).status_code == 400
    drafted = form_post(lead, f"/labs/reports/{report_id}/draft-resource", {"title": "Naming the interpreter on rounds"})
    assert drafted.status_code == 303 and drafted.headers["location"].startswith("/knowledge/")
    assert form_post(lead, f"/labs/reports/{report_id}/draft-resource", {"title": "Again"}).status_code == 409
    resource_page = lead.get(drafted.headers["location"])
    assert resource_page.status_code == 200 and "Rounds name the interpreter" in resource_page.text
    assert make_client(world.lead_b.email).get(drafted.headers["location"]).status_code == 404

    async def drafts(uow: object) -> list[tuple[str, str, str]]:
        return [tuple(r) for r in (await uow.session.execute(select(Resource.title, Resource.state, Resource.type))).all()]  # type: ignore[attr-defined]

    assert run(live_app, drafts) == [("Naming the interpreter on rounds", "draft", "lesson_learned")]
    assert "Knowledge-repository draft made of this report" in lead.get(f"/labs/teams/{other_team.id}").text


async def _target(app: object, world: World) -> int:
    return await program.make_target(app, world, await program.make_sphere(app, world))


def test_value_story_after_four_sessions_and_review_of_commitments(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    student = signed_in(live_app, world.student_a.email)
    story = {"what_we_did": "Four labs", "what_changed": "Handover", "difference": "Fewer missed interpreters"}
    assert commit(student, team, world.student_a.id).status_code == 303
    session_id = new_session(live_app, world, [team.id], questions=1)
    review = BeautifulSoup(student.get(f"/labs/sessions/{session_id}").text, "html.parser").find(id="review-heading").parent
    assert "Name it when it happens." in review.get_text()
    assert form_post(student, f"/labs/teams/{team.id}/value-story", story).status_code == 409
    stages = ["individual", "team", "clarification", "application", "revealed", "closed"]
    for number in range(4):
        session = session_id if number == 0 else new_session(live_app, world, [team.id], questions=1)
        for stage in stages:
            run(live_app, lambda uow, s=stage, i=session: _advance(uow, world, i, s))
    assert form_post(student, f"/labs/teams/{team.id}/value-story", {**story, "difference": ""}).status_code == 400
    assert form_post(student, f"/labs/teams/{team.id}/value-story", story).status_code == 303
    assert "Fewer missed interpreters" in make_client(world.facilitator_a.email).get(f"/labs/teams/{team.id}").text


def test_cli_reminds_owners_whose_check_date_has_come(settings: Settings, world: World, clock: MutableClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    """`artme-cop labs remind` runs the server's check once (for cron): due owners, once."""
    asyncio.run(_seed_due_commitment(settings, world, clock))
    monkeypatch.setenv("ARTME_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ARTME_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ARTME_SECRET_KEY", "x" * 40)
    assert cli.main(["labs", "remind"]) == 0
    assert "Commitment reminders sent: 1." in capsys.readouterr().out
    assert cli.main(["labs", "remind"]) == 0
    assert "Commitment reminders sent: 0." in capsys.readouterr().out


async def _seed_due_commitment(settings: Settings, world: World, clock: MutableClock) -> None:
    engine = make_engine(settings.database_url)
    try:
        async with UnitOfWork(make_sessionmaker(engine), clock, settings) as uow:
            lead = (await identity.actors_for(uow, [world.lead_a.id]))[0]
            roster = labs.Roster(frozenset({world.student_a.id}), frozenset({world.student_a.id}), world.facilitator_a.id)
            team = await labs.register_team(uow, lead, institution_id=world.institution_a.id, name="Alder ED", unit="ED", purpose="", roster=roster)
        async with UnitOfWork(make_sessionmaker(engine), clock, settings) as uow:
            student = (await identity.actors_for(uow, [world.student_a.id]))[0]
            yesterday = (clock.now().date() - timedelta(days=1)).isoformat()
            await progress.add_commitment(uow, student, team.id, concept="Bias", job_function="Nurse", action="Speak up", owner=str(world.student_a.id), check_on=yesterday)
    finally:
        await engine.dispose()
