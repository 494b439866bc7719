from __future__ import annotations

import json

from starlette.testclient import TestClient

from tests.factories import World
from tests.realtime.conftest import ORIGIN, Spaces, signed_in


def frames_until(ws, predicate, limit=50):  # type: ignore[no-untyped-def]
    seen = []
    for _ in range(limit):
        frame = json.loads(ws.receive_text())
        seen.append(frame)
        if predicate(frame):
            return frame, seen
    raise AssertionError(f"no matching frame in {seen}")


def test_send_is_acked_and_delivered(live_app: TestClient, world: World, spaces: Spaces) -> None:
    signed_in(live_app, world.student_a.email)
    with live_app.websocket_connect("/ws", headers={"origin": ORIGIN}) as ws:
        ready = json.loads(ws.receive_text())
        assert ready["type"] == "ready"
        ws.send_text(json.dumps({"type": "subscribe", "conversation": spaces.cohort_a1, "after_seq": 0, "ref": 1}))
        frames_until(ws, lambda f: f["type"] == "ack" and f["ref"] == 1)
        ws.send_text(json.dumps({"type": "send", "conversation": spaces.cohort_a1, "client_msg_id": "c1", "body": "hello **there**", "ref": 2}))
        ack, seen = frames_until(ws, lambda f: f["type"] == "ack" and f["ref"] == 2)
        assert ack["seq"] == 1 and ack["duplicate"] is False
        message, _ = frames_until(ws, lambda f: f["type"] == "message") if not any(f["type"] == "message" for f in seen) else (next(f for f in seen if f["type"] == "message"), seen)
        assert message["data"]["html"] == "<p>hello <strong>there</strong></p>"
