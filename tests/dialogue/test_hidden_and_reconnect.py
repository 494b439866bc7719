"""Hidden messages appear correctly to each role, live and after reconnect; a reconnecting
client gets the room state first (issue #5)."""

from __future__ import annotations

from typing import Callable

from starlette.testclient import TestClient

from tests.dialogue.conftest import Socket, accept, connect, say, schedule, tool
from tests.factories import World
from tests.support import soup


def test_hidden_message_shows_to_author_and_facilitators_only(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = schedule(app_client, world, mode="pseudonymous")
    student, faculty, facilitator = browser(world.student_a.email), browser(world.faculty_a.email), browser(world.facilitator_a.email)
    assert accept(student, room) == 303 and accept(faculty, room) == 303
    with connect(student) as raw_s, connect(faculty) as raw_t, connect(facilitator) as raw_f:
        s, t, fac = Socket(raw_s), Socket(raw_t), Socket(raw_f)
        tool(fac, room, "move", to="open")
        for ws in (s, t, fac):
            assert ws.request({"type": "subscribe", "conversation": room.main})["type"] == "ack"
        seq = say(s, room.main, "a hurtful remark", "s1")["seq"]
        assert tool(t, room, "hide", seq=seq)["code"] == "forbidden"  # a peer cannot hide
        assert tool(fac, room, "hide", seq=seq, reason="Pending review")["type"] == "ack"
        for ws in (s, t, fac):
            live = ws.next("hidden")
            assert (live["data"]["hidden"], live["data"]["html"]) == (True, "")  # the text never travels again
        # After reconnecting: the author and the facilitators read it, marked hidden; peers do not.
        for ws, sees in ((s, True), (t, False), (fac, True)):
            ws.request({"type": "unsubscribe", "conversation": room.main})
            ws.backlog.clear()
            ws.request({"type": "subscribe", "conversation": room.main, "after_seq": 0})
            replayed = ws.next("message")["data"]
            assert replayed["hidden"] is True
            assert ("hurtful remark" in replayed["html"]) is sees
    for client, sees in ((student, True), (faculty, False), (facilitator, True)):
        page = soup(client.get(f"/dialogue/{room.session}"))
        item = page.find(id=f"m{room.main}-{seq}")
        assert item is not None
        assert ("hurtful remark" in item.get_text()) is sees
        assert "Hidden by a facilitator" in item.get_text()
    with connect(facilitator) as raw_f:
        assert tool(Socket(raw_f), room, "unhide", seq=seq)["type"] == "ack"
    assert "hurtful remark" in faculty.get(f"/dialogue/{room.session}").text


def test_reconnect_gets_the_room_state_first(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    """The snapshot carries agenda step, queue, floor, slow mode, pause, lock and the person's
    own mute, so a client that was away shows the room as it is now."""
    room = schedule(app_client, world)
    student = browser(world.student_a.email)
    assert accept(student, room) == 303
    with connect(browser(world.facilitator_a.email)) as raw_f:
        fac = Socket(raw_f)
        tool(fac, room, "move", to="open")
        with connect(student) as raw_s:
            key = Socket(raw_s).request({"type": "dialogue.snapshot", "session": room.session})["me"]["key"]
        # While the student is away:
        assert tool(fac, room, "agenda", step="Breakouts", prompt="Where does bias enter grading?", round_minutes=10)["type"] == "ack"
        assert tool(fac, room, "slow_mode", seconds=20)["type"] == "ack"
        assert tool(fac, room, "floor_mode", on=True)["type"] == "ack"
        assert tool(fac, room, "mute", participant=key, minutes=3)["type"] == "ack"
        assert tool(fac, room, "move", to="lock")["type"] == "ack"
        assert tool(fac, room, "move", to="pause", grounding="Two minutes of quiet.")["type"] == "ack"
    with connect(student) as raw_s:
        s = Socket(raw_s)
        snap = s.request({"type": "dialogue.snapshot", "session": room.session})
        state, me = snap["room"], snap["me"]
        assert (state["state"], state["grounding_message"], state["agenda_step"]) == ("paused", "Two minutes of quiet.", "Breakouts")
        assert state["prompt"] == "Where does bias enter grading?" and state["round_ends_at"] is not None
        assert (state["slow_mode_seconds"], state["floor_mode"]) == (20, True)
        assert me["muted_until"] is not None and me["role"] == "participant"
        assert state["version"] > 1
    page = student.get(f"/dialogue/{room.session}").text
    assert "Two minutes of quiet." in page and "Breakouts" in page
