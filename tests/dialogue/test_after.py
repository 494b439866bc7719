"""After the session (issue #5): the harvest keeps no author and is published only after the
facilitators' review; feedback is anonymous and shown only from five answers; the debrief is
the facilitators' alone."""

from __future__ import annotations

from typing import Any, Callable

from sqlalchemy import inspect
from starlette.testclient import TestClient

from artme_cop.dialogue.models import DialogueFeedback, DialogueTakeaway
from artme_cop.identity.models import Role, RoleAssignment
from tests.dialogue.conftest import Room, Socket, accept, connect, run, schedule, tool
from tests.factories import World, make_person
from tests.support import csrf_from

TAKERS = ("student_a", "faculty_a", "coalition_a", "lead_a")


def _post(client: TestClient, room: Room, path: str, data: dict[str, str]) -> int:
    token = csrf_from(client.get(f"/dialogue/{room.session}/after"))
    return client.post(f"/dialogue/{room.session}{path}", data={**data, "csrf_token": token}, follow_redirects=False).status_code


def test_no_author_is_stored_for_takeaways_or_feedback() -> None:
    for model in (DialogueTakeaway, DialogueFeedback):
        columns = {c.key for c in inspect(model).columns}
        assert not {"author_id", "person_id", "reporter_id", "created_by_id"} & columns, model


def test_harvest_is_reviewed_before_the_cohort_sees_it(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = schedule(app_client, world)
    student, faculty, facilitator = browser(world.student_a.email), browser(world.faculty_a.email), browser(world.facilitator_a.email)
    assert accept(student, room) == 303 and accept(faculty, room) == 303
    with connect(facilitator) as raw_f:
        tool(Socket(raw_f), room, "move", to="open")
    assert _post(student, room, "/takeaways", {"room": str(room.main), "text": "Sam from the wards said grading is unfair."}) == 303
    assert "grading is unfair" not in faculty.get(f"/dialogue/{room.session}/after").text
    page = facilitator.get(f"/dialogue/{room.session}/after").text
    assert "grading is unfair" in page and "Sam Student" not in page
    takeaway_id = page.split("/takeaways/")[1].split("/review")[0]
    assert _post(faculty, room, f"/takeaways/{takeaway_id}/review", {"decision": "publish"}) == 403
    assert _post(facilitator, room, f"/takeaways/{takeaway_id}/review", {"decision": "maybe"}) == 400
    assert _post(facilitator, room, f"/takeaways/{takeaway_id}/review", {"decision": "publish", "text": "Someone said grading feels unfair."}) == 303
    shown = faculty.get(f"/dialogue/{room.session}/after").text
    assert "Someone said grading feels unfair." in shown and "Sam from the wards" not in shown
    assert _post(student, room, "/takeaways", {"room": str(room.main), "text": ""}) == 400
    assert _post(student, room, "/takeaways", {"room": "999999", "text": "x"}) == 404
    for n in range(2):
        assert _post(student, room, "/takeaways", {"room": str(room.main), "text": f"more {n}"}) == 303
    assert _post(student, room, "/takeaways", {"room": str(room.main), "text": "a fourth"}) == 409


def test_a_facilitator_in_the_coalition_drafts_the_published_harvest_for_the_repository(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    """Only published takeaways go into the draft, which is the school's and private to its
    people; a facilitator outside the coalition, a participant and a second draft are refused."""
    room = schedule(app_client, world)
    student, facilitator, coach = browser(world.student_a.email), browser(world.facilitator_a.email), browser(world.coach.email)
    assert accept(student, room) == 303
    with connect(facilitator) as raw_f:
        tool(Socket(raw_f), room, "move", to="open")
    for text in ("Naming harm early helps.", "Still waiting for review."):
        assert _post(student, room, "/takeaways", {"room": str(room.main), "text": text}) == 303
    assert _post(facilitator, room, "/harvest-draft", {"title": "Our harvest"}) == 403  # not in the coalition yet
    page = facilitator.get(f"/dialogue/{room.session}/after").text
    first = page.split("/takeaways/")[1].split("/review")[0]
    assert _post(facilitator, room, f"/takeaways/{first}/review", {"decision": "publish"}) == 303
    run(app_client, _grant, app_client.app, world.facilitator_a.id, world.institution_a.id)
    assert "Draft it for the knowledge repository" in facilitator.get(f"/dialogue/{room.session}/after").text
    assert _post(student, room, "/harvest-draft", {"title": "Mine"}) == 403
    assert _post(coach, room, "/harvest-draft", {"title": "Coach's"}) == 403  # a co-facilitator outside the school's coalition
    assert _post(facilitator, room, "/harvest-draft", {"title": ""}) == 400
    token = csrf_from(facilitator.get(f"/dialogue/{room.session}/after"))
    drafted = facilitator.post(f"/dialogue/{room.session}/harvest-draft", data={"title": "Harvest of our first dialogue", "csrf_token": token}, follow_redirects=False)
    assert drafted.status_code == 303 and drafted.headers["location"].startswith("/knowledge/")
    assert _post(facilitator, room, "/harvest-draft", {"title": "Again"}) == 409
    resource = facilitator.get(drafted.headers["location"]).text
    assert "Naming harm early helps." in resource and "Still waiting for review." not in resource and "Sam Student" not in resource
    assert browser(world.lead_b.email).get(drafted.headers["location"]).status_code == 404


async def _grant(app: Any, person_id: int, institution_id: int) -> None:
    async with app.state.uow() as uow:
        uow.session.add(RoleAssignment(person_id=person_id, role=Role.COALITION_MEMBER.value, institution_id=institution_id, granted_at=uow.clock.now()))


def test_feedback_is_anonymous_once_each_and_shown_from_five_answers(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = schedule(app_client, world)
    people = [browser(getattr(world, name).email) for name in TAKERS]
    for client in people:
        assert accept(client, room) == 303
    facilitator = browser(world.facilitator_a.email)
    with connect(facilitator) as raw_f:
        tool(Socket(raw_f), room, "move", to="open")
    assert _post(people[0], room, "/feedback", {"safety": "9"}) == 400
    assert _post(people[0], room, "/feedback", {"safety": "x"}) == 400
    for score, client in enumerate(people, start=2):
        assert _post(client, room, "/feedback", {"safety": str(min(score, 5)), "learned": f"learned {score}", "change": ""}) == 303
    assert _post(people[0], room, "/feedback", {"safety": "3"}) == 409  # once each
    assert _post(facilitator, room, "/feedback", {"safety": "3"}) == 403
    page = facilitator.get(f"/dialogue/{room.session}/after").text
    assert "Results are shown once 5 people answered." in page and "learned 2" not in page
    assert browser(world.lead_b.email).get(f"/dialogue/{room.session}/after").status_code == 404
    # A fifth person of the cohort takes part and answers: now the aggregate shows.

    async def fifth() -> None:
        async with app_client.app.state.uow() as uow:  # type: ignore[attr-defined]
            await make_person(uow, "fifth@alder.example.edu", "Fifth Person", institution=world.institution_a, cohort=world.cohort_a1, roles=((Role.PARTICIPANT, world.cohort_a1),))

    run(app_client, fifth)
    newcomer = browser("fifth@alder.example.edu")
    assert accept(newcomer, room) == 303
    assert _post(newcomer, room, "/feedback", {"safety": "5", "learned": "learned 6", "change": "more time"}) == 303
    page = facilitator.get(f"/dialogue/{room.session}/after").text
    assert "5 answers · average safety 3.8 of 5" in page and "learned 6" in page and "more time" in page
    assert "Fifth Person" not in page
    assert "average safety" not in people[0].get(f"/dialogue/{room.session}/after").text


def test_debrief_is_for_the_facilitators_only(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = schedule(app_client, world)
    student, facilitator = browser(world.student_a.email), browser(world.facilitator_a.email)
    assert accept(student, room) == 303
    assert _post(facilitator, room, "/debrief", {"note": "canary-debrief: the pause helped."}) == 303
    assert "canary-debrief" in facilitator.get(f"/dialogue/{room.session}/after").text
    assert browser(world.coach.email).get(f"/dialogue/{room.session}/after").text.count("canary-debrief") == 1
    assert "canary-debrief" not in student.get(f"/dialogue/{room.session}/after").text
    assert "canary-debrief" not in browser(world.lead_a.email).get(f"/dialogue/{room.session}/after").text
    assert _post(student, room, "/debrief", {"note": "mine now"}) == 403
