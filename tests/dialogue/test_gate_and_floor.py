"""The agreement gate and the room rules, enforced by the server over the raw WebSocket
(issue #5): a client that ignores the page is refused with an error frame and nothing is
stored or delivered (SEC-F3, SEC-B3)."""

from __future__ import annotations

from typing import Callable

from starlette.testclient import TestClient

from artme_cop.settings import Settings
from tests.dialogue.conftest import Room, Socket, accept, connect, say, schedule, tool
from tests.factories import World
from tests.realtime.test_gateway import count_messages
from tests.support import MutableClock, soup


def test_no_subscribe_and_no_send_before_accepting_the_current_version(app_client: TestClient, browser: Callable[[str], TestClient], world: World, settings: object) -> None:
    room = schedule(app_client, world)
    student = browser(world.student_a.email)
    facilitator = browser(world.facilitator_a.email)
    with connect(student) as raw, connect(facilitator) as raw_f:
        ws, fac = Socket(raw), Socket(raw_f)
        refused = ws.request({"type": "subscribe", "conversation": room.main})
        assert (refused["type"], refused["code"]) == ("error", "not_found")
        sent = say(ws, room.main, "before accepting", "s0")
        assert (sent["type"], sent["code"]) == ("error", "not_found")
        assert ws.request({"type": "dialogue.snapshot", "session": room.session})["code"] == "forbidden"
        # Accepting an old or made-up version changes nothing.
        assert ws.request({"type": "dialogue.accept", "session": room.session, "version": 2})["code"] == "conflict"
        assert ws.request({"type": "subscribe", "conversation": room.main})["code"] == "not_found"

        assert ws.request({"type": "dialogue.accept", "session": room.session, "version": 1})["type"] == "ack"
        assert ws.request({"type": "subscribe", "conversation": room.main})["type"] == "ack"
        # In the lobby the gate is passed but the room is not open yet.
        assert say(ws, room.main, "too early", "s1")["code"] == "forbidden"
        assert tool(fac, room, "move", to="open")["type"] == "ack"
        assert ws.next("dialogue")["data"]["state"] == "open"
        assert say(ws, room.main, "hello everyone", "s2")["type"] == "ack"

        # A new agreement version takes the student out until they accept it again.
        assert tool(fac, room, "agreement", agreement_text="Version two: also no side chats.")["type"] == "ack"
        assert ws.next("unsubscribed") == {"type": "unsubscribed", "conversation": room.main, "reason": "no_access"}
        assert say(ws, room.main, "still here?", "s3")["code"] == "not_found"
        assert ws.request({"type": "subscribe", "conversation": room.main})["code"] == "not_found"
        assert ws.request({"type": "dialogue.accept", "session": room.session, "version": 1})["code"] == "conflict"
        assert ws.request({"type": "dialogue.accept", "session": room.session, "version": 2})["type"] == "ack"
        assert ws.request({"type": "subscribe", "conversation": room.main, "after_seq": 0})["type"] == "ack"
        assert say(ws, room.main, "back in", "s4")["type"] == "ack"
    assert count_messages(settings, room.main) == 2  # type: ignore[arg-type]


def test_uninvited_people_cannot_accept_or_see_the_session(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    """Another cohort of the same school and another school get the same 404 as a missing id;
    the school's lead and program admins see the framing page but not the room (rule 1)."""
    room = schedule(app_client, world)
    for outsider in (world.participant_a2, world.participant_b):
        client = browser(outsider.email)
        assert client.get(f"/dialogue/{room.session}").status_code == 404
        assert client.get("/dialogue/999999").status_code == 404
        with connect(client) as raw:
            ws = Socket(raw)
            assert ws.request({"type": "dialogue.accept", "session": room.session, "version": 1})["code"] == "not_found"
    admin = browser(world.admin.email)
    page = admin.get(f"/dialogue/{room.session}")
    assert page.status_code == 200 and "Only members of the invited cohorts take part" in page.text
    assert admin.get(f"/conversations/{room.main}").status_code == 404


def test_lock_refuses_late_entry_but_not_those_inside(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = schedule(app_client, world)
    assert accept(browser(world.student_a.email), room) == 303
    with connect(browser(world.facilitator_a.email)) as raw_f:
        fac = Socket(raw_f)
        assert tool(fac, room, "move", to="open")["type"] == "ack"
        assert tool(fac, room, "move", to="lock")["type"] == "ack"
        assert tool(fac, room, "move", to="pause", grounding="Breathe")["type"] == "ack"
    late = browser(world.faculty_a.email)
    assert accept(late, room) == 409
    assert "I accept the agreement and enter" in late.get(f"/dialogue/{room.session}").text  # still outside
    assert late.get(f"/conversations/{room.main}").status_code == 404
    assert accept(browser(world.student_a.email), room) == 303  # already inside: re-accepting is fine


def test_pause_freezes_input_and_resume_restores_the_locked_state(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = schedule(app_client, world)
    student = browser(world.student_a.email)
    assert accept(student, room) == 303
    with connect(student) as raw, connect(browser(world.facilitator_a.email)) as raw_f:
        ws, fac = Socket(raw), Socket(raw_f)
        assert ws.request({"type": "subscribe", "conversation": room.main})["type"] == "ack"
        tool(fac, room, "move", to="open")
        tool(fac, room, "move", to="lock")
        assert tool(fac, room, "move", to="pause", grounding="Let's take a breath.")["type"] == "ack"
        states = [ws.next("dialogue")["data"] for _ in range(3)]
        assert [s["state"] for s in states] == ["open", "locked", "paused"]
        assert states[-1]["grounding_message"] == "Let's take a breath."
        refused = say(ws, room.main, "during the pause", "p1")
        assert (refused["type"], refused["code"]) == ("error", "forbidden")
        assert say(fac, room.main, "facilitators pause too", "f1")["code"] == "forbidden"
        assert tool(fac, room, "move", to="open")["code"] == "conflict"  # not a move from paused
        assert tool(fac, room, "move", to="resume")["type"] == "ack"
        assert ws.next("dialogue")["data"]["state"] == "locked"
        assert say(ws, room.main, "after the pause", "p2")["type"] == "ack"
        assert tool(fac, room, "move", to="close")["type"] == "ack"
        assert say(ws, room.main, "after close", "p3")["code"] == "forbidden"


def test_a_post_refused_during_the_pause_keeps_its_text_and_leads_back(app_client: TestClient, browser: Callable[[str], TestClient], world: World, settings: Settings) -> None:
    """The session page's plain form (no script): refused, the text is kept and the way back
    to the session is offered; nothing is stored."""
    room = schedule(app_client, world)
    student = browser(world.student_a.email)
    assert accept(student, room) == 303
    with connect(browser(world.facilitator_a.email)) as raw_f:
        fac = Socket(raw_f)
        tool(fac, room, "move", to="open")
        assert tool(fac, room, "move", to="pause", grounding="Breathe")["type"] == "ack"
    page = soup(student.get(f"/dialogue/{room.session}"))
    form = page.find("form", id="post-form")
    fields = {field["name"]: field.get("value", "") for field in form.find_all("input") if field.get("name")}
    before = count_messages(settings, room.main)
    refused = student.post(form["action"], data={**fields, "body": "words written during the pause"}, follow_redirects=False)
    assert refused.status_code == 403
    shown = soup(refused)
    assert shown.find("textarea", id="body").get_text() == "words written during the pause"
    assert shown.find("a", string="Go back to where you were writing")["href"] == f"/dialogue/{room.session}"
    assert count_messages(settings, room.main) == before


def test_slow_mode_and_mute_follow_the_clock(app_client: TestClient, browser: Callable[[str], TestClient], world: World, clock: MutableClock) -> None:
    room = schedule(app_client, world)
    student = browser(world.student_a.email)
    assert accept(student, room) == 303
    with connect(student) as raw, connect(browser(world.facilitator_a.email)) as raw_f:
        ws, fac = Socket(raw), Socket(raw_f)
        tool(fac, room, "move", to="open")
        assert tool(fac, room, "slow_mode", seconds=30)["type"] == "ack"
        assert say(ws, room.main, "first", "m1")["type"] == "ack"
        refused = say(ws, room.main, "second too soon", "m2")
        assert (refused["code"], refused["retry_after"]) == ("rate_limited", 30)
        assert say(fac, room.main, "facilitators are not slowed", "f1")["type"] == "ack"
        assert say(fac, room.main, "nor twice", "f2")["type"] == "ack"
        clock.advance(seconds=31)
        assert say(ws, room.main, "second in time", "m3")["type"] == "ack"
        assert tool(fac, room, "slow_mode", seconds=0)["type"] == "ack"

        key = ws.request({"type": "dialogue.snapshot", "session": room.session})["me"]["key"]
        assert tool(fac, room, "mute", participant=key, minutes=5)["type"] == "ack"
        assert ws.next("dialogue")["op"] in {"state", "muted"}
        muted = say(ws, room.main, "while muted", "m4")
        assert (muted["type"], muted["code"]) == ("error", "forbidden") and "muted" in muted["message"]
        clock.advance(minutes=5, seconds=1)
        assert say(ws, room.main, "mute over", "m5")["type"] == "ack"


def test_floor_mode_lets_only_the_called_speaker_post(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = schedule(app_client, world)
    student, faculty = browser(world.student_a.email), browser(world.faculty_a.email)
    assert accept(student, room) == 303 and accept(faculty, room) == 303
    with connect(student) as raw_s, connect(faculty) as raw_t, connect(browser(world.facilitator_a.email)) as raw_f:
        s, t, fac = Socket(raw_s), Socket(raw_t), Socket(raw_f)
        assert s.request({"type": "subscribe", "conversation": room.main})["type"] == "ack"
        tool(fac, room, "move", to="open")
        assert tool(fac, room, "floor_mode", on=True)["type"] == "ack"
        assert tool(fac, room, "call_next")["code"] == "conflict"  # nobody raised a hand
        assert say(s, room.main, "may I?", "s1")["code"] == "forbidden"
        assert s.request({"type": "dialogue.raise_hand", "session": room.session})["type"] == "ack"
        assert t.request({"type": "dialogue.raise_hand", "session": room.session})["type"] == "ack"
        snapshot = s.request({"type": "dialogue.snapshot", "session": room.session})
        assert [q["person"]["name"] for q in snapshot["room"]["queue"]] == ["Sam Student", "Fran Faculty"]
        assert snapshot["me"]["hand_raised"] is True
        assert tool(fac, room, "call_next")["type"] == "ack"
        assert say(s, room.main, "thank you for the floor", "s2")["type"] == "ack"
        assert say(t, room.main, "me too", "t1")["code"] == "forbidden"
        assert say(fac, room.main, "facilitators always may", "f1")["type"] == "ack"
        after = s.request({"type": "dialogue.snapshot", "session": room.session})
        assert after["room"]["floor"]["person"]["name"] == "Sam Student"
        assert [q["person"]["name"] for q in after["room"]["queue"]] == ["Fran Faculty"]
        assert s.request({"type": "dialogue.lower_hand", "session": room.session})["type"] == "ack"
        assert say(s, room.main, "yielded", "s3")["code"] == "forbidden"


def test_removed_participant_is_cut_off_at_once_and_cannot_return(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = schedule(app_client, world)
    student = browser(world.student_a.email)
    assert accept(student, room) == 303
    with connect(student) as raw, connect(browser(world.facilitator_a.email)) as raw_f:
        ws, fac = Socket(raw), Socket(raw_f)
        assert ws.request({"type": "subscribe", "conversation": room.main})["type"] == "ack"
        tool(fac, room, "move", to="open")
        key = ws.request({"type": "dialogue.snapshot", "session": room.session})["me"]["key"]
        assert tool(fac, room, "remove", participant=key)["type"] == "ack"
        assert ws.next("unsubscribed")["conversation"] == room.main
        assert say(ws, room.main, "let me back", "r1")["code"] == "not_found"
        assert ws.request({"type": "dialogue.accept", "session": room.session, "version": 1})["code"] == "forbidden"
    assert accept(student, room) == 403


def test_participants_cannot_use_facilitator_tools(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    """SEC-B3 over the WebSocket and HTTP: refused, and no state change is broadcast."""
    room = schedule(app_client, world)
    student = browser(world.student_a.email)
    assert accept(student, room) == 303
    with connect(student) as raw:
        ws = Socket(raw)
        assert ws.request({"type": "subscribe", "conversation": room.main})["type"] == "ack"
        for action, params in [("move", {"to": "open"}), ("slow_mode", {"seconds": 5}), ("mute", {"participant": "abcdef0123456789", "minutes": 5}), ("call_next", {})]:
            refused = tool(ws, room, action, **params)
            assert (refused["type"], refused["code"]) == ("error", "forbidden"), action
        assert ws.request({"type": "ping"})["type"] == "ack"
        assert all(frame["type"] != "dialogue" for frame in ws.backlog)
    from tests.support import csrf_from

    token = csrf_from(student.get(f"/dialogue/{room.session}"))
    response = student.post(f"/dialogue/{room.session}/facilitate", data={"csrf_token": token, "action": "move", "to": "open"}, follow_redirects=False)
    assert response.status_code == 403
    assert "lobby" in student.get(f"/dialogue/{room.session}").text


def test_bad_frames_and_forms_get_clear_errors_and_change_nothing(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = schedule(app_client, world)
    with connect(browser(world.facilitator_a.email)) as raw_f:
        fac = Socket(raw_f)
        cases = [
            ({"type": "dialogue.facilitate", "session": "one", "action": "move"}, "invalid"),
            ({"type": "dialogue.facilitate", "session": room.session, "action": "dance"}, "invalid"),
            ({"type": "dialogue.facilitate", "session": room.session, "action": "move", "params": []}, "invalid"),
            ({"type": "dialogue.facilitate", "session": room.session, "action": "move", "params": {"to": "purge"}}, "invalid"),
            ({"type": "dialogue.facilitate", "session": room.session, "action": "move", "params": {"to": 5}}, "invalid"),
            ({"type": "dialogue.facilitate", "session": room.session, "action": "slow_mode", "params": {"seconds": -1}}, "invalid"),
            ({"type": "dialogue.facilitate", "session": room.session, "action": "slow_mode", "params": {"seconds": 10**9}}, "invalid"),
            ({"type": "dialogue.facilitate", "session": room.session, "action": "mute", "params": {"participant": "nobody-here", "minutes": 5}}, "not_found"),
            ({"type": "dialogue.facilitate", "session": room.session, "action": "mute", "params": {"participant": ["x"], "minutes": 5}}, "not_found"),
            ({"type": "dialogue.facilitate", "session": room.session, "action": "floor_mode", "params": {"on": "maybe"}}, "invalid"),
            ({"type": "dialogue.facilitate", "session": 999999, "action": "call_next"}, "not_found"),
            ({"type": "dialogue.snapshot", "session": 999999}, "not_found"),
            ({"type": "dialogue.accept", "session": room.session, "version": "x"}, "forbidden"),
        ]
        for frame, code in cases:
            reply = fac.request(frame)
            assert (reply["type"], reply["code"]) == ("error", code), frame
        assert fac.request({"type": "dialogue.snapshot", "session": room.session})["room"]["state"] == "lobby"
        assert fac.request({"type": "dialogue.snapshot", "session": room.session})["room"]["slow_mode_seconds"] == 0
