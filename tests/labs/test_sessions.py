"""Lab sessions in the team-based learning format: individual answers are the person's alone,
team answers and their feedback reach the team live (team-scoped events on its general
channel), and the simultaneous report-out shows no team's answer early, not on a page and
not over the raw WebSocket."""

from __future__ import annotations

from typing import Callable

from bs4 import BeautifulSoup
from sqlalchemy import select
from starlette.testclient import TestClient

from artme_cop.labs.models import LabIndividualAnswer, LabTeamAttempt
from tests.factories import World
from tests.labs.conftest import Team, _advance, form_post, new_session, run
from tests.realtime.conftest import signed_in
from tests.realtime.test_gateway import Socket, connect


def advance(client: TestClient, world: World, session_id: int, *stages: str) -> None:
    for stage in stages:
        run(client, lambda uow, s=stage: _advance(uow, world, session_id, s))


def text_of(response: object) -> str:
    return BeautifulSoup(response.text, "html.parser").get_text(" ")  # type: ignore[attr-defined]


def test_individual_answers_are_the_persons_alone(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    """The teammate and the facilitator see nothing of someone's individual answers."""
    session_id = new_session(live_app, world, [team.id])
    advance(live_app, world, session_id, "individual")
    student = signed_in(live_app, world.student_a.email)
    questions = run(live_app, lambda uow: _question_ids(uow, session_id))
    answers = {f"q{qid}": "3" for qid in questions}
    assert form_post(student, f"/labs/sessions/{session_id}/individual", answers).status_code == 303
    assert form_post(student, f"/labs/sessions/{session_id}/individual", answers).status_code == 409  # once
    mine = text_of(student.get(f"/labs/sessions/{session_id}"))
    assert "Your own answers" in mine and "Charlie" in mine
    teammate = make_client(world.faculty_a.email)
    assert "Your own answers" not in text_of(teammate.get(f"/labs/sessions/{session_id}"))
    facilitator = make_client(world.facilitator_a.email)
    assert "Your own answers" not in text_of(facilitator.get(f"/labs/sessions/{session_id}"))
    assert form_post(facilitator, f"/labs/sessions/{session_id}/individual", answers).status_code == 409
    for email in (world.lead_a.email, world.admin.email, world.coalition_a.email):
        assert make_client(email).get(f"/labs/sessions/{session_id}").status_code == 404
    assert "the answer was" not in mine  # no key before the team check
    advance(live_app, world, session_id, "team")
    # question 1's key is option 1, question 2's option 2: the person answered 3 to both
    assert text_of(student.get(f"/labs/sessions/{session_id}")).count("the answer was") == 2
    assert "the answer was" not in text_of(teammate.get(f"/labs/sessions/{session_id}"))

    async def stored(uow: object) -> list[int]:
        return list((await uow.session.execute(select(LabIndividualAnswer.person_id))).scalars())  # type: ignore[attr-defined]

    assert run(live_app, stored) == [world.student_a.id] * len(questions)


async def _question_ids(uow: object, session_id: int) -> list[int]:
    from artme_cop.labs import queries

    return [q.id for q in await queries.questions(uow.session, session_id)]  # type: ignore[attr-defined]


def test_bad_individual_answers_are_refused(live_app: TestClient, world: World, team: Team) -> None:
    session_id = new_session(live_app, world, [team.id])
    student = signed_in(live_app, world.student_a.email)
    questions = run(live_app, lambda uow: _question_ids(uow, session_id))
    full = {f"q{qid}": "1" for qid in questions}
    assert form_post(student, f"/labs/sessions/{session_id}/individual", full).status_code == 409  # not open yet
    advance(live_app, world, session_id, "individual")
    assert form_post(student, f"/labs/sessions/{session_id}/individual", {f"q{questions[0]}": "1"}).status_code == 400
    assert form_post(student, f"/labs/sessions/{session_id}/individual", {**full, f"q{questions[0]}": "9"}).status_code == 400
    assert form_post(student, f"/labs/sessions/{session_id}/individual", {**full, f"q{questions[0]}": "x"}).status_code == 400
    assert form_post(student, "/labs/sessions/nope/individual", full).status_code == 404
    assert run(live_app, lambda uow: _count(uow, LabIndividualAnswer)) == 0


async def _count(uow: object, model: type) -> int:
    return len((await uow.session.execute(select(model))).all())  # type: ignore[attr-defined]


def test_team_answers_are_live_for_the_team_only(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team, other_team: Team) -> None:
    """Each try gets immediate feedback; teammates and the facilitator hear it on the team's
    channel, the other team cannot subscribe to it and hears nothing on its own."""
    session_id = new_session(live_app, world, [team.id, other_team.id])
    advance(live_app, world, session_id, "individual", "team")
    [first, _second] = run(live_app, lambda uow: _question_ids(uow, session_id))
    student = signed_in(live_app, world.student_a.email)
    teammate, facilitator, rival = make_client(world.faculty_a.email), make_client(world.facilitator_a.email), make_client(world.coalition_a.email)
    with connect(teammate) as t_ws, connect(facilitator) as f_ws, connect(rival) as r_ws:
        mate, fac, other = Socket(t_ws), Socket(f_ws), Socket(r_ws)
        assert mate.request({"type": "subscribe", "conversation": team.conversation})["type"] == "ack"
        assert fac.request({"type": "subscribe", "conversation": team.conversation})["type"] == "ack"
        refused = other.request({"type": "subscribe", "conversation": team.conversation})
        assert (refused["type"], refused["code"]) == ("error", "not_found")
        assert other.request({"type": "subscribe", "conversation": other_team.conversation})["type"] == "ack"

        wrong = form_post(student, f"/labs/sessions/{session_id}/team-answers", {"question": str(first), "choice": "2"})
        assert wrong.status_code == 303
        event = mate.next("lab")
        assert (event["op"], event["data"]["question"], event["data"]["choice"], event["data"]["correct"]) == ("team_answer", first, 2, False)
        assert fac.next("lab")["data"]["correct"] is False
        assert form_post(student, f"/labs/sessions/{session_id}/team-answers", {"question": str(first), "choice": "2"}).status_code == 409
        assert form_post(student, f"/labs/sessions/{session_id}/team-answers", {"question": str(first), "choice": "1"}).status_code == 303
        assert mate.next("lab")["data"]["correct"] is True
        assert form_post(teammate, f"/labs/sessions/{session_id}/team-answers", {"question": str(first), "choice": "3"}).status_code == 409  # solved
        assert other.request({"type": "ping"})["type"] == "ack"
        assert [f for f in other.backlog if f["type"] == "lab"] == []
    page = BeautifulSoup(rival.get(f"/labs/sessions/{session_id}").text, "html.parser")
    assert [div["data-team"] for div in page.find_all(class_="team-progress")] == [str(other_team.id)]
    assert form_post(facilitator, f"/labs/sessions/{session_id}/team-answers", {"question": str(first), "choice": "3"}).status_code == 409
    for bad in ({"question": "abc", "choice": "1"}, {"question": str(first), "choice": "7"}, {"question": "99999", "choice": "1"}, {"choice": "1"}):
        assert form_post(rival, f"/labs/sessions/{session_id}/team-answers", bad).status_code == 400
    assert run(live_app, lambda uow: _count(uow, LabTeamAttempt)) == 2


def test_report_out_is_revealed_to_all_teams_at_once(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team, other_team: Team) -> None:
    """No team's answer shows early: not on the other team's page, not on the facilitator's,
    not in any WebSocket frame; the reveal brings every answer in one event per team."""
    session_id = new_session(live_app, world, [team.id, other_team.id])
    advance(live_app, world, session_id, "individual", "team", "clarification", "application")
    student = signed_in(live_app, world.student_a.email)
    rival, facilitator = make_client(world.coalition_a.email), make_client(world.facilitator_a.email)
    with connect(rival) as r_ws, connect(facilitator) as f_ws, connect(make_client(world.faculty_a.email)) as t_ws:
        other, fac, mate = Socket(r_ws), Socket(f_ws), Socket(t_ws)
        assert other.request({"type": "subscribe", "conversation": other_team.conversation})["type"] == "ack"
        for conversation in (team.conversation, other_team.conversation):
            assert fac.request({"type": "subscribe", "conversation": conversation})["type"] == "ack"
        assert mate.request({"type": "subscribe", "conversation": team.conversation})["type"] == "ack"
        assert form_post(student, f"/labs/sessions/{session_id}/report", {"report": "canary-ED-answer"}).status_code == 303
        assert form_post(rival, f"/labs/sessions/{session_id}/report", {"report": "canary-Wards-answer"}).status_code == 303
        assert mate.next("lab")["op"] == "report_in"
        assert "canary-Wards-answer" not in text_of(student.get(f"/labs/sessions/{session_id}"))
        assert "canary-ED-answer" in student.get(f"/labs/sessions/{session_id}").text  # one's own team's draft
        assert "canary-ED-answer" not in rival.get(f"/labs/sessions/{session_id}").text
        assert "canary" not in facilitator.get(f"/labs/sessions/{session_id}").text
        for socket in (other, fac, mate):
            assert socket.request({"type": "ping"})["type"] == "ack"
            assert all("canary" not in str(frame) for frame in socket.backlog)

        assert form_post(facilitator, f"/labs/sessions/{session_id}/stage", {"to": "revealed"}).status_code == 303
        reveal = other.next("lab")
        while reveal["op"] != "revealed":
            reveal = other.next("lab")
        assert {r["report"] for r in reveal["data"]["reports"]} == {"canary-ED-answer", "canary-Wards-answer"}
    after = text_of(rival.get(f"/labs/sessions/{session_id}"))
    assert "canary-ED-answer" in after and "canary-Wards-answer" in after
    assert form_post(student, f"/labs/sessions/{session_id}/report", {"report": "too late"}).status_code == 409


def test_only_the_facilitator_runs_the_session(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team) -> None:
    session_id = new_session(live_app, world, [team.id], questions=0)
    student = signed_in(live_app, world.student_a.email)
    assert form_post(student, f"/labs/sessions/{session_id}/stage", {"to": "individual"}).status_code == 403
    assert form_post(student, f"/labs/sessions/{session_id}/questions", {"prompt": "Q?", "options": "a\nb", "correct": "1"}).status_code == 403
    facilitator = make_client(world.facilitator_a.email)
    assert form_post(facilitator, f"/labs/sessions/{session_id}/stage", {"to": "individual"}).status_code == 409  # no questions yet
    assert form_post(facilitator, f"/labs/sessions/{session_id}/questions", {"prompt": "Q?", "options": "only one", "correct": "1"}).status_code == 400
    assert form_post(facilitator, f"/labs/sessions/{session_id}/questions", {"prompt": "Q?", "options": "a\nb", "correct": "3"}).status_code == 400
    assert form_post(facilitator, f"/labs/sessions/{session_id}/questions", {"prompt": "Q?", "options": "a\nb", "correct": "2"}).status_code == 303
    assert form_post(facilitator, f"/labs/sessions/{session_id}/stage", {"to": "team"}).status_code == 409  # no skipping
    assert form_post(facilitator, f"/labs/sessions/{session_id}/stage", {"to": "individual"}).status_code == 303
    assert form_post(facilitator, f"/labs/sessions/{session_id}/stage", {"to": "prework"}).status_code == 409  # never back
    created = form_post(facilitator, "/labs/sessions", {"title": "Second", "concept": "Systems thinking", "prework": "", "exercise": "Map the discharge flow.", "teams": str(team.id)})
    assert created.status_code == 303
    assert form_post(student, "/labs/sessions", {"title": "Mine", "concept": "x", "exercise": "y", "teams": str(team.id)}).status_code == 403
    assert form_post(facilitator, "/labs/sessions", {"title": "Bad", "concept": "x", "exercise": "y", "teams": "abc"}).status_code == 400
    assert form_post(facilitator, "/labs/sessions", {"title": "Bad", "concept": "x", "exercise": "y", "teams": str(team.id), "day": "31/12/2027", "time": "10:00"}).status_code == 400
    dated = form_post(facilitator, "/labs/sessions", {"title": "Dated", "concept": "x", "exercise": "y", "teams": str(team.id), "day": "2027-03-01", "time": "14:30"})
    assert dated.status_code == 303
    assert "2027-03-01 14:30 UTC" in text_of(student.get(dated.headers["location"]))
