"""Participant safety and retention (issue #5): ouch/oops as counts never names, the private
line, reporting (live alert, incident snapshot for the incident handlers only), and the purge:
after close the dialogue's messages are gone, reported ones stay, the audit log remains."""

from __future__ import annotations

import json
from typing import Any, Callable

from sqlalchemy import func, select
from starlette.testclient import TestClient

from artme_cop.conversations.models import Message
from artme_cop.dialogue import retention
from artme_cop.moderation.models import AuditEntry
from tests.dialogue.conftest import Room, Socket, accept, connect, run, say, schedule, tool
from tests.factories import World
from tests.support import MutableClock, csrf_from


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


def test_report_alerts_facilitators_and_purge_keeps_only_reported(app_client: TestClient, browser: Callable[[str], TestClient], world: World, clock: MutableClock) -> None:
    room = schedule(app_client, world)
    student, faculty, facilitator = browser(world.student_a.email), browser(world.faculty_a.email), browser(world.facilitator_a.email)
    assert accept(student, room) == 303 and accept(faculty, room) == 303
    with connect(student) as raw_s, connect(faculty) as raw_t, connect(facilitator) as raw_f:
        s, t, fac = Socket(raw_s), Socket(raw_t), Socket(raw_f)
        tool(fac, room, "move", to="open")
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
