"""A reply made through the JSON API reaches WebSocket readers of the thread live, as the
same `message` payload the API itself answers with (minus the forum's extras)."""

from __future__ import annotations

from functools import partial
from typing import Callable

from starlette.testclient import TestClient

from tests.factories import World
from tests.forum.conftest import start
from tests.realtime.conftest import signed_in
from tests.realtime.test_gateway import Socket, connect


def test_api_reply_is_delivered_to_websocket_readers(live_app: TestClient, make_client: Callable[[str], TestClient], world: World) -> None:
    signed_in(live_app, world.student_a.email)
    thread_id = live_app.portal.call(partial(start, live_app.app, world.student_a, where=f"cohort:{world.cohort_a1.id}"))  # type: ignore[attr-defined]
    conversation_id = live_app.get(f"/api/forum/threads/{thread_id}").json()["thread"]["conversation"]
    reader = make_client(world.faculty_a.email)
    with connect(reader) as raw:
        listener = Socket(raw)
        assert listener.request({"type": "subscribe", "conversation": conversation_id, "after_seq": 1})["type"] == "ack"
        token = live_app.get("/api/session").json()["csrf_token"]

        response = live_app.post(f"/api/forum/threads/{thread_id}/posts", json={"body": "Live from the **API**", "client_msg_id": "api-live"}, headers={"X-CSRF-Token": token})

        assert response.status_code == 201
        delivered = listener.next("message")
    assert delivered["topic"] == f"conv:{conversation_id}" and delivered["seq"] == 2
    assert delivered["data"]["html"] == "<p>Live from the <strong>API</strong></p>"
    post = live_app.get(f"/api/forum/threads/{thread_id}/posts/2").json()
    assert {key: post[key] for key in delivered["data"]} == delivered["data"]
