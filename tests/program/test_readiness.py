"""The readiness assessment: anonymous answers (inspecting the stored rows ties no answer to
a person), nobody answers twice (also when two submissions race), results only to the
school's lead and the cohort's coach, only as suppressed aggregates, and bad input changes
nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text

from artme_cop.errors import Conflict
from artme_cop.identity.models import Person
from artme_cop.moderation.models import AuditEntry
from artme_cop.program.readiness import service as readiness
from artme_cop.program.readiness.aggregates import ITEMS
from artme_cop.program.readiness.models import Answered, Response, Survey
from tests.conftest import BACKEND, make_client
from tests.factories import World
from tests.program.conftest import actor_of, add_members
from tests.support import post_form, sign_in, snapshot, soup, text_of


async def open_survey(app: Any, world: World, title: str = "Readiness, phase 1") -> int:
    async with app.state.uow() as uow:
        survey = await readiness.open_survey(uow, await actor_of(uow, world.coach), cohort_id=world.cohort_a1.id, title=title)
        return survey.id


def form(score: int, comment: str = "") -> dict[str, str]:
    return {**{item.key: str(score) for item in ITEMS}, "comment": comment}


async def answer(app: Any, person: Person, survey_id: int, score: int, comment: str = "") -> None:
    async with app.state.uow() as uow:
        await readiness.answer_survey(uow, await actor_of(uow, person), survey_id, scores=form(score), comment=comment)


async def close(app: Any, world: World, survey_id: int) -> None:
    async with app.state.uow() as uow:
        await readiness.close_survey(uow, await actor_of(uow, world.coach), survey_id)


async def response_rows(app: Any) -> list[Response]:
    async with app.state.uow(read_only=True) as uow:
        return list((await uow.session.execute(select(Response))).scalars())


async def test_participant_answers_through_the_form(app: Any, client: httpx.AsyncClient, world: World) -> None:
    survey_id = await open_survey(app, world)
    await sign_in(client, world.student_a.email)
    page = await client.get(f"/program/readiness/surveys/{survey_id}")
    assert page.status_code == 200
    assert len(soup(page).select("fieldset")) == len(ITEMS)

    response = await post_form(client, f"/program/readiness/surveys/{survey_id}/answers", form(4, "We need more time."), token_from=f"/program/readiness/surveys/{survey_id}")

    assert response.status_code == 303
    [row] = await response_rows(app)
    assert (row.constituency, row.scores, row.comment) == ("student", ",".join(["4"] * len(ITEMS)), "We need more time.")
    assert "You have answered this survey" in text_of(await client.get(f"/program/readiness/surveys/{survey_id}"))


async def test_stored_answers_cannot_be_tied_to_a_person(app: Any, world: World) -> None:
    """Inspect the tables as someone with the database would: the answer rows hold no person
    and no time, their ids and order are redrawn at every answer, and (per backend) neither
    a hidden rowid nor the inserting transaction lines them up with the "answered" rows."""
    survey_id = await open_survey(app, world)
    people = [world.student_a, world.faculty_a, world.coalition_a, world.lead_a, world.facilitator_a]

    columns = {column.name for column in Response.__table__.columns}
    assert columns == {"id", "survey_id", "constituency", "scores", "comment"}
    assert {column.name for column in Answered.__table__.columns} == {"survey_id", "person_id"}

    seen_ids: set[str] = set()
    for number, person in enumerate(people, start=1):
        await answer(app, person, survey_id, number, comment=f"comment {number}")
        rows = await response_rows(app)
        assert len(rows) == number
        ids = {row.id for row in rows}
        assert not ids & seen_ids, "every answer's id is drawn afresh at each new answer"
        seen_ids |= ids

    async with app.state.uow(read_only=True) as uow:
        answered = (await uow.session.execute(select(Answered.person_id).where(Answered.survey_id == survey_id))).scalars().all()
        assert sorted(answered) == sorted(p.id for p in people)
        if BACKEND == "postgres":
            # Every answer row was written by the last transaction: xmin says nothing of who.
            xmins = (await uow.session.execute(text("SELECT DISTINCT xmin::text FROM program_readiness_responses"))).scalars().all()
            assert len(xmins) == 1
        else:
            # The table has no hidden rowid that would keep the insertion order.
            with pytest.raises(Exception, match="rowid"):
                await uow.session.execute(text("SELECT rowid FROM program_readiness_responses"))
    # The rows themselves name nobody: no person id, email or name appears in them.
    for row in await response_rows(app):
        values = {row.id, str(row.survey_id), row.constituency, row.scores, row.comment}
        for person in people:
            assert person.email not in values and person.display_name not in values
    # Answering writes no audit entry that would time-stamp a person's answer.
    async with app.state.uow(read_only=True) as uow:
        actions = (await uow.session.execute(select(AuditEntry.action))).scalars().all()
    assert actions == ["readiness_opened"]


async def test_nobody_answers_twice(app: Any, client: httpx.AsyncClient, world: World) -> None:
    survey_id = await open_survey(app, world)
    await sign_in(client, world.student_a.email)
    page = f"/program/readiness/surveys/{survey_id}"
    assert (await post_form(client, f"{page}/answers", form(3), token_from=page)).status_code == 303
    before = await snapshot(app)

    again = await post_form(client, f"{page}/answers", form(5), token_from=page)

    assert again.status_code == 409
    assert await snapshot(app) == before
    assert len(await response_rows(app)) == 1


async def test_concurrent_double_submit_stores_one_answer(app: Any, world: World) -> None:
    survey_id = await open_survey(app, world)
    outcomes = await asyncio.gather(answer(app, world.student_a, survey_id, 2), answer(app, world.student_a, survey_id, 4), return_exceptions=True)

    assert sorted(type(o).__name__ for o in outcomes) == ["Conflict", "NoneType"]
    assert all(o is None or isinstance(o, Conflict) for o in outcomes)
    assert len(await response_rows(app)) == 1
    async with app.state.uow(read_only=True) as uow:
        assert len((await uow.session.execute(select(Answered))).scalars().all()) == 1


async def test_concurrent_answers_of_different_people_are_all_kept(app: Any, world: World) -> None:
    survey_id = await open_survey(app, world)
    people = [world.student_a, world.faculty_a, world.coalition_a, world.lead_a]
    await asyncio.gather(*(answer(app, person, survey_id, 3) for person in people))
    assert len(await response_rows(app)) == len(people)


@pytest.mark.parametrize(
    "bad",
    [
        {"c1": "6"},
        {"c1": "0"},
        {"c1": "three"},
        {"c1": ""},
        {"c1": "²"},
        {"e7": "4.5"},
        {"comment": "x" * 2001},
        {"comment": "nul\x00byte"},
    ],
    ids=["six", "zero", "word", "missing", "superscript", "fraction", "long-comment", "nul"],
)
async def test_bad_answers_are_400_and_store_nothing(app: Any, client: httpx.AsyncClient, world: World, bad: dict[str, str]) -> None:
    survey_id = await open_survey(app, world)
    await sign_in(client, world.student_a.email)
    page = f"/program/readiness/surveys/{survey_id}"
    before = await snapshot(app)

    response = await post_form(client, f"{page}/answers", {**form(3), **bad}, token_from=page)

    assert response.status_code == 400
    assert await snapshot(app) == before


@pytest.mark.parametrize(("persona", "status"), [("coach", 403), ("admin", 403), ("participant_a2", 404), ("participant_b", 404), ("lead_b", 404)])
async def test_only_cohort_members_answer(app: Any, client: httpx.AsyncClient, world: World, persona: str, status: int) -> None:
    """The coach and the admin see the survey but are not members of A1, so they answer
    nothing; people of other cohorts do not even see it."""
    survey_id = await open_survey(app, world)
    await sign_in(client, getattr(world, persona).email)
    before = await snapshot(app)
    response = await post_form(client, f"/program/readiness/surveys/{survey_id}/answers", form(3))
    assert response.status_code == status
    assert await snapshot(app) == before


async def test_closed_survey_takes_no_answer(app: Any, client: httpx.AsyncClient, world: World) -> None:
    survey_id = await open_survey(app, world)
    await close(app, world, survey_id)
    await sign_in(client, world.student_a.email)
    before = await snapshot(app)
    response = await post_form(client, f"/program/readiness/surveys/{survey_id}/answers", form(3))
    assert response.status_code == 409
    assert await snapshot(app) == before


@pytest.mark.parametrize(("persona", "status"), [("coach", 200), ("lead_a", 200), ("student_a", 403), ("facilitator_a", 403), ("admin", 403), ("lead_b", 404), ("participant_b", 404), ("participant_a2", 404)])
async def test_results_only_for_lead_and_coach(app: Any, client: httpx.AsyncClient, world: World, persona: str, status: int) -> None:
    survey_id = await open_survey(app, world)
    await close(app, world, survey_id)
    await sign_in(client, getattr(world, persona).email)
    assert (await client.get(f"/program/readiness/surveys/{survey_id}/results")).status_code == status


async def test_results_wait_for_the_survey_to_close(app: Any, client: httpx.AsyncClient, world: World) -> None:
    survey_id = await open_survey(app, world)
    for person in await add_members(app, world.cohort_a1, "faculty", 5, prefix="prof"):
        await answer(app, person, survey_id, 4)
    await sign_in(client, world.lead_a.email)
    page = await client.get(f"/program/readiness/surveys/{survey_id}/results")
    assert page.status_code == 200
    assert "still open" in text_of(page)
    assert soup(page).find("table") is None


def cells(page: httpx.Response) -> dict[str, list[str]]:
    table = soup(page).find("table", id="cells")
    assert table is not None
    return {tr.find("th").get_text(strip=True): [td.get_text(strip=True) for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")}


async def test_results_show_cells_of_ten_and_suppress_a_recoverable_cell(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """Ten faculty, eleven staff and two students answered: the students' cell is hidden (a
    constituency needs ten), and so is the faculty cell (the smallest other), so total minus
    staff gives no single group."""
    survey_id = await open_survey(app, world)
    faculty = await add_members(app, world.cohort_a1, "faculty", 10, prefix="prof")
    staff = await add_members(app, world.cohort_a1, "staff", 11, prefix="staffer")
    students = await add_members(app, world.cohort_a1, "student", 2, prefix="learner")
    for person in faculty:
        await answer(app, person, survey_id, 4, comment=f"faculty says {person.id}")
    for person in staff:
        await answer(app, person, survey_id, 2)
    for person in students:
        await answer(app, person, survey_id, 1, comment="student says hello")
    await close(app, world, survey_id)

    await sign_in(client, world.coach.email)
    page = await client.get(f"/program/readiness/surveys/{survey_id}/results")

    assert page.status_code == 200
    rows = cells(page)
    assert rows["Student"] == ["not shown"]
    assert rows["Faculty"] == ["not shown"]
    assert rows["Staff"] == ["11", "2.00", "2.00"]
    assert rows["Everyone"][0] == "23"
    comments = [li.get_text(strip=True) for li in soup(page).select("#comments li")]
    assert sorted(comments) == sorted([f"faculty says {p.id}" for p in faculty] + ["student says hello"] * 2)
    # Comments carry no constituency.
    assert all(li.find(class_="badge") is None for li in soup(page).select("#comments li"))


async def test_results_below_five_show_nothing(app: Any, client: httpx.AsyncClient, world: World) -> None:
    survey_id = await open_survey(app, world)
    for person in (world.student_a, world.faculty_a, world.coalition_a, world.lead_a):
        await answer(app, person, survey_id, 5, comment="a comment that must not show")
    await close(app, world, survey_id)
    await sign_in(client, world.lead_a.email)
    page = await client.get(f"/program/readiness/surveys/{survey_id}/results")
    assert page.status_code == 200
    assert soup(page).find(id="too-few") is not None
    assert "a comment that must not show" not in page.text
    assert soup(page).find("table") is None


async def test_coach_opens_and_closes_through_forms_and_it_is_audited(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.coach.email)
    response = await post_form(client, "/program/readiness/surveys", {"cohort_id": str(world.cohort_a1.id), "title": "Baseline"}, token_from="/program/readiness/")
    assert response.status_code == 303
    survey_id = int(response.headers["location"].rsplit("/", 1)[1])
    closed = await post_form(client, f"/program/readiness/surveys/{survey_id}/close", {}, token_from=f"/program/readiness/surveys/{survey_id}")
    assert closed.status_code == 303
    async with app.state.uow(read_only=True) as uow:
        survey = await uow.session.get(Survey, survey_id)
        entries = (await uow.session.execute(select(AuditEntry.action, AuditEntry.institution_id, AuditEntry.actor_id).order_by(AuditEntry.id))).all()
    assert survey is not None and survey.closed_at is not None
    assert [tuple(e) for e in entries] == [("readiness_opened", world.institution_a.id, world.coach.id), ("readiness_closed", world.institution_a.id, world.coach.id)]


@pytest.mark.parametrize("cohort", ["cohort_b1", "cohort_a2", "missing", "abc", "-1", "99999999999"])
async def test_coach_cannot_open_a_survey_for_another_cohort(app: Any, client: httpx.AsyncClient, world: World, cohort: str) -> None:
    cohort_id = str(getattr(world, cohort).id) if cohort.startswith("cohort") else ("987654" if cohort == "missing" else cohort)
    await sign_in(client, world.coach.email)
    before = await snapshot(app)
    response = await post_form(client, "/program/readiness/surveys", {"cohort_id": cohort_id, "title": "Sneaky"}, token_from="/program/readiness/")
    assert response.status_code == 400
    assert await snapshot(app) == before


async def test_other_school_cannot_see_the_survey(app: Any, world: World) -> None:
    survey_id = await open_survey(app, world, title="Alder only canary")
    async with make_client(app) as other:
        await sign_in(other, world.lead_b.email)
        assert (await other.get(f"/program/readiness/surveys/{survey_id}")).status_code == 404
        assert "Alder only canary" not in (await other.get("/program/readiness/")).text
