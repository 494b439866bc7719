"""Participant safety and retention (issue #5): ouch/oops as counts never names, the private
line, reporting (live alert, incident snapshot for the incident handlers only), and the purge:
after close the dialogue's messages are gone, reported ones stay, the audit log remains."""

from __future__ import annotations

import json
import subprocess
from contextlib import contextmanager
from typing import Any, Callable, Iterator

from sqlalchemy import select
from starlette.testclient import TestClient

from artme_cop.conversations.models import Message
from artme_cop.dialogue import retention
from artme_cop.moderation.models import AuditEntry
from tests.dialogue.conftest import Room, Socket, accept, connect, run, say, schedule, tool
from tests.factories import World
from tests.servers import ARTME_COP, server_env
from tests.support import MutableClock, csrf_from, soup


def _messages(client: TestClient, room: Room) -> list[str]:
    async def read() -> list[str]:
        async with client.app.state.uow() as uow:  # type: ignore[attr-defined]
            return list((await uow.session.execute(select(Message.body).where(Message.conversation_id.in_((room.main, room.back))).order_by(Message.id))).scalars())

    return run(client, read)  # type: ignore[no-any-return]


def _purge(client: TestClient, keep_days: int = 30) -> int:
    async def work() -> int:
        return await retention.run_purge(client.app.state.uow, keep_days=keep_days)  # type: ignore[attr-defined]

    return run(client, work)  # type: ignore[no-any-return]


def _audit_actions(client: TestClient) -> list[str]:
    async def read() -> list[str]:
        async with client.app.state.uow() as uow:  # type: ignore[attr-defined]
            return list((await uow.session.execute(select(AuditEntry.action).order_by(AuditEntry.id))).scalars())

    return run(client, read)  # type: ignore[no-any-return]


def test_signals_are_counts_and_never_names(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = schedule(app_client, world)
    student, faculty = browser(world.student_a.email), browser(world.faculty_a.email)
    assert accept(student, room) == 303 and accept(faculty, room) == 303
    with connect(student) as raw_s, connect(faculty) as raw_t:
        s, t = Socket(raw_s), Socket(raw_t)
        assert t.request({"type": "subscribe", "conversation": room.main})["type"] == "ack"
        assert s.request({"type": "dialogue.signal", "session": room.session, "kind": "ouch"})["ouch"] == 1
        state = t.next("dialogue")
        assert state["data"]["signals"] == {"ouch": 1, "oops": 0}
        assert "Sam" not in json.dumps(state)
        assert s.request({"type": "dialogue.signal", "session": room.session, "kind": "yikes"})["code"] == "invalid"
    assert not any("signal" in action for action in _audit_actions(app_client))  # nothing about who signalled


def test_private_line_reaches_the_facilitators_only(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = schedule(app_client, world)
    student, faculty = browser(world.student_a.email), browser(world.faculty_a.email)
    assert accept(student, room) == 303 and accept(faculty, room) == 303
    with connect(student) as raw_s, connect(faculty) as raw_t, connect(browser(world.coach.email)) as raw_c:
        s, t, coach = Socket(raw_s), Socket(raw_t), Socket(raw_c)
        line = s.request({"type": "dialogue.private_line", "session": room.session})["conversation"]
        assert s.request({"type": "dialogue.private_line", "session": room.session})["conversation"] == line  # the same line again
        assert coach.request({"type": "subscribe", "conversation": line})["type"] == "ack"
        assert say(s, line, "I need a moment", "l1")["type"] == "ack"  # also in the lobby
        assert coach.next("message")["data"]["html"] == "<p>I need a moment</p>"
        assert t.request({"type": "subscribe", "conversation": line})["code"] == "not_found"
        assert coach.request({"type": "dialogue.private_line", "session": room.session})["code"] == "forbidden"


@contextmanager
def open_room(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> Iterator[tuple[Room, Socket, Socket, Socket]]:
    """An open session of cohort A1 with Sam (student) and Fran (faculty) in it and Frankie
    facilitating, each on a socket of their own: (room, Sam, Fran, Frankie)."""
    room = schedule(app_client, world)
    assert accept(browser(world.student_a.email), room) == 303 and accept(browser(world.faculty_a.email), room) == 303
    with connect(browser(world.student_a.email)) as raw_s, connect(browser(world.faculty_a.email)) as raw_t, connect(browser(world.facilitator_a.email)) as raw_f:
        fac = Socket(raw_f)
        tool(fac, room, "move", to="open")
        yield room, Socket(raw_s), Socket(raw_t), fac


def test_report_alerts_facilitators_and_purge_keeps_only_reported(app_client: TestClient, browser: Callable[[str], TestClient], world: World, clock: MutableClock) -> None:
    student, faculty, facilitator = browser(world.student_a.email), browser(world.faculty_a.email), browser(world.facilitator_a.email)
    with open_room(app_client, browser, world) as (room, s, t, fac):
        harmful = say(t, room.main, "canary-reported remark", "t1")["seq"]
        assert say(s, room.main, "canary-ordinary words", "s1")["type"] == "ack"
        assert say(fac, room.back, "canary-backchannel note", "f1")["type"] == "ack"
        assert s.request({"type": "dialogue.report", "session": room.session, "conversation": room.main, "seq": 999})["code"] == "not_found"
        assert s.request({"type": "dialogue.report", "session": room.session, "conversation": room.back, "seq": 1})["code"] == "not_found"
        assert s.request({"type": "dialogue.report", "session": room.session, "conversation": room.main, "seq": harmful, "reason": "Hurtful"})["type"] == "ack"
        alert = fac.next("dialogue")
        while alert["op"] != "report":
            alert = fac.next("dialogue")
        assert (alert["data"]["seq"], alert["data"]["reason"]) == (harmful, "Hurtful")
        assert str(world.student_a.id) not in json.dumps(alert["data"]) and "Sam" not in json.dumps(alert)
        assert tool(fac, room, "move", to="close")["type"] == "ack"
    # The incident list: the incident handlers only.
    assert faculty.get(f"/dialogue/{room.session}/incidents").status_code == 403
    assert browser(world.lead_a.email).get(f"/dialogue/{room.session}/incidents").status_code == 403
    assert "canary-reported remark" in facilitator.get(f"/dialogue/{room.session}/incidents").text

    assert _purge(app_client) == 2
    assert _messages(app_client, room) == ["canary-reported remark"]
    assert _purge(app_client) == 0  # safe to run again
    assert "purged" in student.get(f"/dialogue/{room.session}").text
    assert student.get(f"/conversations/{room.main}").status_code == 404
    assert "canary-reported remark" in facilitator.get(f"/dialogue/{room.session}/incidents").text
    assert "canary-reported remark" not in faculty.get("/forum/search?q=canary").text
    actions = _audit_actions(app_client)
    assert {"dialogue_scheduled", "dialogue_open", "dialogue_close", "dialogue_purged"} <= set(actions)

    # Resolved, then kept N more days, then gone.
    token = csrf_from(facilitator.get(f"/dialogue/{room.session}/incidents"))
    page = facilitator.get(f"/dialogue/{room.session}/incidents").text
    report_id = page.split("/incidents/")[1].split("/resolve")[0]
    assert facilitator.post(f"/dialogue/{room.session}/incidents/{report_id}/resolve", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    clock.advance(days=29)
    assert _purge(app_client, keep_days=30) == 0
    clock.advance(days=2)
    assert _purge(app_client, keep_days=30) == 1
    assert _messages(app_client, room) == []
    assert "dialogue_incident_resolved" in _audit_actions(app_client)


def test_purge_leaves_open_sessions_alone(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = schedule(app_client, world)
    with connect(browser(world.facilitator_a.email)) as raw_f:
        fac = Socket(raw_f)
        say(fac, room.main, "welcome", "f1")
    assert _purge(app_client) == 0
    assert _messages(app_client, room) == ["welcome"]


def test_cli_purge_deletes_closed_sessions_messages(app_client: TestClient, browser: Callable[[str], TestClient], world: World, settings: Any, monkeypatch: Any, capsys: Any) -> None:
    from artme_cop import cli

    room = schedule(app_client, world)
    with connect(browser(world.facilitator_a.email)) as raw_f:
        fac = Socket(raw_f)
        say(fac, room.main, "welcome", "f1")
        assert tool(fac, room, "move", to="close")["type"] == "ack"
    monkeypatch.setenv("ARTME_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("ARTME_DATA_DIR", str(settings.data_dir))
    assert cli.main(["dialogue", "purge"]) == 0
    assert "Dialogue messages purged: 1." in capsys.readouterr().out
    assert _messages(app_client, room) == []


def test_a_reported_message_keeps_its_text_past_the_purge_of_removed_messages(app_client: TestClient, browser: Callable[[str], TestClient], world: World, settings: Any) -> None:
    """SEC-B5 and the incident snapshot: hidden messages of a session still open lose their
    text to `artme-cop moderation purge`, except the reported one, which the dialogue holds
    for its incident handlers. The CLI runs as its own process, so it must load the dialogue's
    hold by itself."""
    with open_room(app_client, browser, world) as (room, s, t, fac):
        reported = say(t, room.main, "canary-reported remark", "t1")["seq"]
        other = say(t, room.main, "canary-other remark", "t2")["seq"]
        assert s.request({"type": "dialogue.report", "session": room.session, "conversation": room.main, "seq": reported, "reason": "Hurtful"})["type"] == "ack"
        for seq in (reported, other):
            assert tool(fac, room, "hide", seq=seq, reason="Pending review")["type"] == "ack"
    env = server_env(ARTME_DATABASE_URL=settings.database_url, ARTME_DATA_DIR=str(settings.data_dir), ARTME_REMOVED_RETENTION_DAYS="0")
    done = subprocess.run([str(ARTME_COP), "moderation", "purge"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Removed messages purged: 1." in done.stdout
    assert _messages(app_client, room) == ["canary-reported remark", ""]
    assert "canary-reported remark" in browser(world.facilitator_a.email).get(f"/dialogue/{room.session}/incidents").text


def _form_post(client: TestClient, page: str, action: str, **fields: str) -> int:
    token = csrf_from(client.get(page))
    return client.post(action, data={"csrf_token": token, **fields}, follow_redirects=False).status_code


def test_private_line_shows_the_pseudonym_to_the_facilitators_and_works_without_the_page_script(
    app_client: TestClient, browser: Callable[[str], TestClient], world: World
) -> None:
    """DOMAIN identity modes: facilitators see the pseudonym on the line, never the name; the
    line opens, posts and reads through plain forms; facilitators hear of a new line live."""
    room = schedule(app_client, world, mode="pseudonymous")
    student, facilitator = browser(world.student_a.email), browser(world.facilitator_a.email)
    assert accept(student, room) == 303
    page = f"/dialogue/{room.session}"
    assert 'id="line-panel" hidden' in student.get(page).text  # no line yet
    with connect(facilitator) as raw_f:
        fac = Socket(raw_f)
        assert _form_post(student, page, f"{page}/line") == 303
        opened = fac.next("dialogue")
        assert opened["op"] == "line" and opened["data"]["session"] == room.session
        alias, line = opened["data"]["person"]["name"], opened["data"]["conversation"]
        assert alias and alias != world.student_a.display_name and opened["data"]["person"]["id"] is None
        assert fac.request({"type": "subscribe", "conversation": line})["type"] == "ack"
        shown = soup(student.get(page))
        form = shown.find("form", id="line-send")
        assert form is not None and form["action"] == f"/conversations/{line}/messages"
        client_msg_id = form.find("input", attrs={"name": "client_msg_id"})["value"]
        assert _form_post(student, page, form["action"], body="I need a moment", client_msg_id=client_msg_id) == 303
        frame = fac.next("message")["data"]
        assert frame["html"] == "<p>I need a moment</p>" and frame["author"]["name"] == alias and frame["author"]["id"] is None
    # The student reads the line on the page; the facilitators' page lists it under the alias.
    assert "I need a moment" in soup(student.get(page)).find(id="line-messages").get_text()
    lines = soup(facilitator.get(page)).find(id="lines")
    assert lines is not None and f"From {alias}" in lines.get_text() and "I need a moment" in lines.get_text()
    assert world.student_a.display_name not in str(lines)
    reply = lines.find("form")
    assert _form_post(facilitator, page, reply["action"], body="We are here.", client_msg_id="reply-1") == 303
    assert "We are here." in soup(student.get(page)).find(id="line-messages").get_text()
    # Nobody else sees a line section or its messages.
    faculty = browser(world.faculty_a.email)
    assert accept(faculty, room) == 303
    other = faculty.get(page).text
    assert "I need a moment" not in other and 'id="lines"' not in other


def test_a_participant_talks_in_the_breakout_without_the_page_script(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    """The page renders an open breakout (questions, roster, messages) with a plain form."""
    room = schedule(app_client, world)
    clients = [browser(person.email) for person in (world.student_a, world.faculty_a)]
    for client in clients:
        accept(client, room)
    page = f"/dialogue/{room.session}"
    with connect(browser(world.facilitator_a.email)) as raw_f:
        fac = Socket(raw_f)
        tool(fac, room, "move", to="open")
        assert tool(fac, room, "affinity", names="Students\nStaff", min_size=2)["type"] == "ack"
        first = fac.request({"type": "dialogue.snapshot", "session": room.session})["room"]["breakouts"][0]["conversation"]
    student = clients[0]
    # Below its minimum the room is not open, and the page shows no breakout form.
    assert _form_post(student, page, f"{page}/affinity", room=str(first)) == 303
    assert soup(student.get(page)).find(id="breakout-room").has_attr("hidden")
    assert _form_post(clients[1], page, f"{page}/affinity", room=str(first)) == 303
    shown = soup(student.get(page))
    panel = shown.find(id="breakout-room")
    assert not panel.has_attr("hidden") and "Students" in panel.get_text() and "Where does bias enter grading?" in panel.get_text()
    assert world.faculty_a.display_name in panel.find(id="breakout-roster").get_text()
    form = shown.find("form", id="breakout-form")
    assert form["action"] == f"/conversations/{first}/messages"
    assert _form_post(student, page, form["action"], body="Breakout by form", client_msg_id="bf-1") == 303
    assert "Breakout by form" in soup(clients[1].get(page)).find(id="breakout-messages").get_text()
    # Back in the main room: the panel is gone from the page.
    with connect(browser(world.facilitator_a.email)) as raw_f:
        assert tool(Socket(raw_f), room, "bring_back")["type"] == "ack"
    assert soup(student.get(page)).find(id="breakout-room").has_attr("hidden")
