"""Moderation seen live: a message hidden through the queue's form vanishes for readers
subscribed over the WebSocket, shows again when unhidden, and a warning reaches every socket
of its author on their person topic (docs/protocol.md)."""

from __future__ import annotations

from typing import Callable

from starlette.testclient import TestClient

from tests.factories import World
from tests.realtime.conftest import Spaces, signed_in
from tests.realtime.test_gateway import Socket, connect
from tests.support import csrf_from


def test_hide_unhide_and_warn_reach_live_readers_and_the_author(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, spaces: Spaces) -> None:
    signed_in(live_app, world.faculty_a.email)
    reader = make_client(world.student_a.email)
    coach = make_client(world.coach.email)
    token = csrf_from(coach.get("/"))
    with connect(live_app) as raw_author, connect(reader) as raw_reader:
        author, listener = Socket(raw_author), Socket(raw_reader)
        assert listener.request({"type": "subscribe", "conversation": spaces.cohort_a1})["type"] == "ack"
        ack = author.request({"type": "send", "conversation": spaces.cohort_a1, "client_msg_id": "live-1", "body": "canary-live words"})
        seq = ack["seq"]
        assert listener.next("message")["data"]["html"] == "<p>canary-live words</p>"

        hidden = coach.post(f"/moderation/messages/{spaces.cohort_a1}/{seq}/hide", data={"reason": "Under review", "csrf_token": token}, follow_redirects=False)
        assert hidden.status_code == 303
        event = listener.next("hidden")
        assert (event["op"], event["topic"], event["id"]) == ("update", f"conv:{spaces.cohort_a1}", seq)
        assert (event["data"]["seq"], event["data"]["hidden"], event["data"]["html"]) == (seq, True, "")
        assert "canary-live" not in str(event) and "Under review" not in str(event)

        shown = coach.post(f"/moderation/messages/{spaces.cohort_a1}/{seq}/unhide", data={"note": "", "csrf_token": token}, follow_redirects=False)
        assert shown.status_code == 303
        event = listener.next("unhidden")
        assert (event["data"]["hidden"], event["data"]["html"]) == (False, "<p>canary-live words</p>")

        warned = coach.post(f"/moderation/messages/{spaces.cohort_a1}/{seq}/warn", data={"text": "Please check the agreements.", "csrf_token": token}, follow_redirects=False)
        assert warned.status_code == 303
        warning = author.next("warning")
        assert (warning["op"], warning["topic"]) == ("add", f"person:{world.faculty_a.id}")
        assert {k: warning["data"][k] for k in ("conversation", "seq", "text")} == {"conversation": spaces.cohort_a1, "seq": seq, "text": "Please check the agreements."}
        # The warning is the author's alone: the reader's socket got no warning frame.
        assert listener.request({"type": "ping"})["type"] == "ack"
        assert all(frame["type"] != "warning" for frame in listener.backlog)
