"""Breakouts (issue #5): members receive only their breakout's messages; moves and returns;
affinity rooms open only at their minimum size; rosters only to members and facilitators."""

from __future__ import annotations

import json
from typing import Callable

from starlette.testclient import TestClient

from artme_cop.dialogue import breakouts
from tests.dialogue.conftest import Room, Socket, accept, connect, say, schedule, tool
from tests.factories import World

PEOPLE = ("student_a", "faculty_a", "coalition_a", "lead_a")


def _room_with_four(app_client: TestClient, browser: Callable[[str], TestClient], world: World, mode: str = "named") -> Room:
    room = schedule(app_client, world, mode=mode)
    for name in PEOPLE:
        assert accept(browser(getattr(world, name).email), room) == 303
    return room


def test_split_deals_groups_of_the_chosen_size_and_mixes_constituencies() -> None:
    people = list(range(1, 18))
    groups = breakouts.split(people, 6)
    assert len(groups) == 3 and sorted(sum(groups, [])) == people and {len(g) for g in groups} == {5, 6}
    kinds = {pid: ("student" if pid <= 6 else "faculty") for pid in people[:12]}
    mixed = breakouts.split(people[:12], 4, groups_of=kinds)
    assert all({kinds[pid] for pid in group} == {"student", "faculty"} for group in mixed)
    assert breakouts.split([], 4) == []


def test_members_hear_only_their_breakout_and_come_back(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = _room_with_four(app_client, browser, world)
    with connect(browser(world.facilitator_a.email)) as raw_f, connect(browser(world.student_a.email)) as raw_s, connect(browser(world.faculty_a.email)) as raw_t:
        fac, s, t = Socket(raw_f), Socket(raw_s), Socket(raw_t)
        tool(fac, room, "move", to="open")
        assert tool(fac, room, "breakouts", size=3, method="random")["code"] == "invalid"  # below 4
        assert tool(fac, room, "breakouts", size=4, method="random", minutes=10)["type"] == "ack"
        mine = s.next("dialogue")
        while mine["op"] != "breakout":
            mine = s.next("dialogue")
        first = mine["data"]["conversation"]
        snap = s.request({"type": "dialogue.snapshot", "session": room.session})["me"]["breakout"]
        assert snap["conversation"] == first and len(snap["roster"]) == 4 and snap["guiding_questions"]
        assert tool(fac, room, "breakouts", size=4, method="random")["code"] == "conflict"  # already open
        # Make a second breakout and move the faculty member there.
        assert tool(fac, room, "bring_back")["type"] == "ack"
        assert tool(fac, room, "affinity", names="Students\nFaculty and staff", min_size=2)["type"] == "ack"
        rooms = fac.request({"type": "dialogue.snapshot", "session": room.session})["room"]["breakouts"]
        students, staff = rooms[0]["conversation"], rooms[1]["conversation"]
        assert s.request({"type": "dialogue.join_affinity", "session": room.session, "room": students})["type"] == "ack"
        # Below the minimum the room is not open: nobody but the facilitators reads it.
        assert s.request({"type": "subscribe", "conversation": students})["code"] == "not_found"
        waiting = s.request({"type": "dialogue.snapshot", "session": room.session})
        assert (waiting["me"]["breakout"]["open"], waiting["me"]["breakout"]["roster"]) == (False, [])
        # The room sees how many chose each affinity room and its minimum, never who.
        assert [(r["chosen"], r["min_size"]) for r in waiting["room"]["breakouts"]] == [(1, 2), (0, 2)]
        key_t = t.request({"type": "dialogue.snapshot", "session": room.session})["me"]["key"]
        assert tool(fac, room, "move_person", participant=key_t, to=students)["type"] == "ack"
        assert s.request({"type": "subscribe", "conversation": students})["type"] == "ack"
        assert t.request({"type": "subscribe", "conversation": students})["type"] == "ack"
        assert say(s, students, "only for this room", "b1")["type"] == "ack"
        assert t.next("message")["data"]["html"] == "<p>only for this room</p>"
        assert fac.request({"type": "subscribe", "conversation": staff})["type"] == "ack"
        assert fac.request({"type": "subscribe", "conversation": students})["type"] == "ack"
        # Others cannot read a breakout they are not in.
        with connect(browser(world.lead_a.email)) as raw_l:
            lead = Socket(raw_l)
            assert lead.request({"type": "subscribe", "conversation": students})["code"] == "not_found"
            assert say(lead, students, "let me listen", "l1")["code"] == "not_found"
            lead_snapshot = json.dumps(lead.request({"type": "dialogue.snapshot", "session": room.session}))
        assert "Sam Student" not in lead_snapshot and "Fran Faculty" not in lead_snapshot
        rosters = fac.request({"type": "dialogue.snapshot", "session": room.session})["me"]["rosters"]
        assert sorted(e["person"]["name"] for e in rosters[str(students)]) == ["Fran Faculty", "Sam Student"]
        # Broadcast reaches every open breakout; the room's state (and its version) is unchanged.
        version = fac.request({"type": "dialogue.snapshot", "session": room.session})["room"]["version"]
        assert tool(fac, room, "broadcast", text="Five minutes left")["type"] == "ack"
        assert t.next("message")["data"]["html"] == "<p>Five minutes left</p>"
        assert fac.request({"type": "dialogue.snapshot", "session": room.session})["room"]["version"] == version
        # Move back to the main room: the socket is told at once.
        assert tool(fac, room, "move_person", participant=key_t, to="main")["type"] == "ack"
        assert t.next("unsubscribed")["conversation"] == students
        assert tool(fac, room, "bring_back")["type"] == "ack"
        assert s.next("unsubscribed")["conversation"] == students
        assert say(s, students, "after return", "b2")["code"] == "not_found"
        assert say(fac, students, "closed", "f9")["code"] == "not_found"
        assert fac.request({"type": "dialogue.snapshot", "session": room.session})["room"]["breakouts"] == []


def test_breakout_tools_refuse_bad_input_and_participants(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = _room_with_four(app_client, browser, world)
    with connect(browser(world.facilitator_a.email)) as raw_f, connect(browser(world.student_a.email)) as raw_s:
        fac, s = Socket(raw_f), Socket(raw_s)
        assert tool(fac, room, "breakouts", size=4, method="random")["code"] == "conflict"  # the lobby
        tool(fac, room, "move", to="open")
        for params, code in [
            ({"size": 9, "method": "random"}, "invalid"), ({"size": "four", "method": "random"}, "invalid"), ({"size": 4, "method": "sorted"}, "invalid"),
        ]:
            assert tool(fac, room, "breakouts", **params)["code"] == code, params
        assert tool(fac, room, "affinity", names="", min_size=2)["code"] == "invalid"
        assert tool(fac, room, "affinity", names="A", min_size=1)["code"] == "invalid"
        assert tool(fac, room, "bring_back")["code"] == "conflict"
        assert tool(fac, room, "broadcast", text="hi")["code"] == "conflict"
        assert tool(s, room, "breakouts", size=4, method="random")["code"] == "forbidden"
        assert tool(fac, room, "affinity", names="A\nB", min_size=2)["type"] == "ack"
        assert s.request({"type": "dialogue.join_affinity", "session": room.session, "room": 999999})["code"] == "not_found"
        assert s.request({"type": "dialogue.join_affinity", "session": room.session, "room": room.main})["code"] == "not_found"
        assert tool(fac, room, "move_person", participant="0123456789abcdef", to="main")["code"] == "not_found"


def test_side_room_holds_one_person_and_the_facilitators_unseen_by_the_room(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = _room_with_four(app_client, browser, world, mode="pseudonymous")
    with connect(browser(world.facilitator_a.email)) as raw_f, connect(browser(world.student_a.email)) as raw_s, connect(browser(world.faculty_a.email)) as raw_t:
        fac, s, t = Socket(raw_f), Socket(raw_s), Socket(raw_t)
        tool(fac, room, "move", to="open")
        key = s.request({"type": "dialogue.snapshot", "session": room.session})["me"]["key"]
        assert tool(t, room, "side_room", participant=key)["code"] == "forbidden"
        assert tool(fac, room, "side_room", participant=key)["type"] == "ack"
        side = s.request({"type": "dialogue.snapshot", "session": room.session})["me"]["breakout"]["conversation"]
        assert s.request({"type": "subscribe", "conversation": side})["type"] == "ack"
        assert fac.request({"type": "subscribe", "conversation": side})["type"] == "ack"
        assert say(s, side, "thank you for the space", "x1")["type"] == "ack"
        assert fac.next("message")["data"]["html"] == "<p>thank you for the space</p>"
        assert t.request({"type": "subscribe", "conversation": side})["code"] == "not_found"
        assert t.request({"type": "dialogue.snapshot", "session": room.session})["room"]["breakouts"] == []
        # Ordinary breakouts can still open beside it, without dealing the person out of the
        # side room; bringing everyone back brings them back to the main room too.
        assert tool(fac, room, "breakouts", size=4, method="mixed")["type"] == "ack"
        assert s.request({"type": "dialogue.snapshot", "session": room.session})["me"]["breakout"]["conversation"] == side
        assert tool(fac, room, "bring_back")["type"] == "ack"
        assert s.next("unsubscribed")["conversation"] in {side}


def test_affinity_room_below_its_minimum_merges_into_another(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = _room_with_four(app_client, browser, world)
    with connect(browser(world.facilitator_a.email)) as raw_f, connect(browser(world.student_a.email)) as raw_s, connect(browser(world.faculty_a.email)) as raw_t:
        fac, s, t = Socket(raw_f), Socket(raw_s), Socket(raw_t)
        tool(fac, room, "move", to="open")
        assert tool(fac, room, "affinity", names="First\nSecond", min_size=2, minutes=10)["type"] == "ack"
        first, second = (r["conversation"] for r in fac.request({"type": "dialogue.snapshot", "session": room.session})["room"]["breakouts"])
        assert s.request({"type": "dialogue.join_affinity", "session": room.session, "room": first})["type"] == "ack"
        assert t.request({"type": "dialogue.join_affinity", "session": room.session, "room": second})["type"] == "ack"
        assert s.request({"type": "subscribe", "conversation": first})["code"] == "not_found"  # one person: not open
        def merge(ws: Socket, source: int, into: int) -> dict[str, object]:
            return ws.request({"type": "dialogue.facilitate", "session": room.session, "action": "merge", "params": {"room": source, "into": into}})

        assert merge(fac, first, first)["code"] == "invalid"
        assert merge(t, first, second)["code"] == "forbidden"
        assert merge(fac, first, second)["type"] == "ack"
        mine = s.request({"type": "dialogue.snapshot", "session": room.session})["me"]["breakout"]
        assert (mine["conversation"], mine["open"], len(mine["roster"])) == (second, True, 2) and mine["ends_at"] is not None
        assert s.request({"type": "subscribe", "conversation": second})["type"] == "ack"
        assert [r["conversation"] for r in fac.request({"type": "dialogue.snapshot", "session": room.session})["room"]["breakouts"]] == [second]


def test_a_broadcast_with_a_patient_identifier_waits_for_the_facilitators_confirmation(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    """SEC-L1 for the facilitator's broadcast, over the WebSocket and from the plain form."""
    from bs4 import BeautifulSoup

    room = _room_with_four(app_client, browser, world)
    facilitator = browser(world.facilitator_a.email)
    with connect(facilitator) as raw_f, connect(browser(world.student_a.email)) as raw_s:
        fac, s = Socket(raw_f), Socket(raw_s)
        tool(fac, room, "move", to="open")
        assert tool(fac, room, "breakouts", size=4, method="random")["type"] == "ack"
        mine = s.request({"type": "dialogue.snapshot", "session": room.session})["me"]["breakout"]["conversation"]
        assert s.request({"type": "subscribe", "conversation": mine})["type"] == "ack"
        refused = tool(fac, room, "broadcast", text="Remember the case, DOB 01/02/1950")
        assert refused["code"] == "confirm_needed" and "a date of birth" in refused["message"]
        assert tool(fac, room, "broadcast", text="Remember the case, DOB 01/02/1950", confirm="1")["type"] == "ack"
        assert s.next("message")["data"]["html"] == "<p>Remember the case, DOB 01/02/1950</p>"

    page = facilitator.get(f"/dialogue/{room.session}")
    token = BeautifulSoup(page.text, "html.parser").find("input", attrs={"name": "csrf_token"})["value"]
    held = facilitator.post(f"/dialogue/{room.session}/facilitate", data={"csrf_token": token, "action": "broadcast", "text": "MRN 12345678 is back"}, follow_redirects=False)
    assert held.status_code == 409
    form = BeautifulSoup(held.text, "html.parser").find("form", attrs={"action": f"/dialogue/{room.session}/facilitate"})
    assert form.find("textarea", attrs={"name": "text"}).text == "MRN 12345678 is back"
    assert form.find("input", attrs={"name": "action"})["value"] == "broadcast"
    confirmed = facilitator.post(f"/dialogue/{room.session}/facilitate", data={"csrf_token": token, "action": "broadcast", "text": "MRN 12345678 is back", "confirm": "1"}, follow_redirects=False)
    assert confirmed.status_code == 303
