"""SEC-K1 and SEC-F12: each security event writes one line on the `artme_cop.security`
logger with the person, the address, the act and its outcome: sign-ins (and failures),
permission denials (pages and API), role changes and moderation acts (everything the audit
log keeps), uploads, rate-limit trips, and WebSocket connections, refusals and closes. No
line holds a password, a message's text, a code or a cookie, and no value can break a line."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from artme_cop import security_log
from artme_cop.moderation import flags
from tests.factories import World
from tests.moderation.conftest import UowFactory, actor_of, post, published, units  # noqa: F401  (fixtures)
from tests.realtime.conftest import ORIGIN, Spaces, fast, live_app, signed_in, spaces  # noqa: F401  (fixtures)
from tests.support import PASSWORD, csrf_from, sign_in

LOGGER = "artme_cop.security"


def events(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == LOGGER]


def fields(line: str) -> dict[str, str]:
    assert line.startswith("security ")
    return dict(part.split("=", 1) for part in line.removeprefix("security ").split(" "))


async def test_sign_ins_denials_and_audited_acts_are_logged(app: Any, client: httpx.AsyncClient, units: UowFactory, world: World, spaces: Spaces, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    token = csrf_from(await client.get("/login"))
    await client.post("/login", data={"email": world.student_a.email, "password": "wrong secret words", "csrf_token": token, "next": "/"})
    await sign_in(client, world.student_a.email)
    assert (await client.get("/admin/people")).status_code == 403
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "canary-text of the message")
    assert (await client.get(f"/api/moderation/messages/{spaces.cohort_a1}/{seq}/history")).status_code == 403
    async with units() as uow:
        await flags.hide_message(uow, await actor_of(units, world.coach), spaces.cohort_a1, seq, reason="canary-reason")

    lines = events(caplog)
    by_event = [(f["event"], f["outcome"], f["person"]) for f in map(fields, lines)]
    assert by_event == [
        ("sign_in_failed", "failed", "-"),
        ("sign_in", "ok", str(world.student_a.id)),
        ("permission_denied", "refused", str(world.student_a.id)),
        ("permission_denied", "refused", str(world.student_a.id)),
        ("message_hidden", "ok", str(world.coach.id)),
    ]
    assert fields(lines[0])["target"] == f"person:{world.student_a.id}" and fields(lines[0])["address"] != "-"
    assert fields(lines[2])["path"] == "/admin/people" and fields(lines[3])["path"] == f"/api/moderation/messages/{spaces.cohort_a1}/{seq}/history"
    text = "\n".join(lines)
    for secret in ("wrong secret words", PASSWORD, "canary-text", "canary-reason", client.cookies.get(app.state.session_cookie) or "no cookie"):
        assert secret not in text
    assert [r.levelno for r in caplog.records if r.name == LOGGER] == [logging.WARNING, logging.INFO, logging.WARNING, logging.WARNING, logging.INFO]


def test_websocket_connections_refusals_and_closes_are_logged(live_app: TestClient, world: World, spaces: Spaces, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    student = signed_in(live_app, world.student_a.email)
    with pytest.raises(Exception):
        with student.websocket_connect("/ws", headers={"Origin": "https://evil.example"}):
            pass
    with student.websocket_connect("/ws", headers={"Origin": ORIGIN}) as socket:
        socket.send_json({"type": "hello", "protocol": 1})
        socket.receive_json()
        socket.send_json({"type": "subscribe", "conversation": spaces.cohort_b1, "after_seq": 0, "ref": "r1"})
        frame = socket.receive_json()
        while frame.get("type") != "error":
            frame = socket.receive_json()
        assert frame["code"] == "not_found"
        socket.send_json({"type": "send", "conversation": spaces.cohort_a1, "client_msg_id": "k1", "body": "canary-ws-body"})
        socket.receive_json()
    lines = [fields(line) for line in events(caplog)]
    assert [(f["event"], f["outcome"]) for f in lines if f["event"].startswith("ws_")] == [
        ("ws_connect", "refused"), ("ws_connect", "ok"), ("ws_refused", "refused"), ("ws_disconnect", "ok"),
    ]
    refused = next(f for f in lines if f["event"] == "ws_connect")
    assert refused["reason"] == "foreign_origin" and refused["origin"] == "https://evil.example" and refused["person"] == str(world.student_a.id)
    assert "canary-ws-body" not in "\n".join(events(caplog))


async def test_rate_limit_trips_are_logged(app: Any, client: httpx.AsyncClient, world: World, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    for _ in range(6):
        token = csrf_from(await client.get("/login"))
        await client.post("/login", data={"email": world.lead_a.email, "password": "not it at all", "csrf_token": token, "next": "/"})
    trips = [fields(line) for line in events(caplog) if "event=rate_limited" in line]
    assert len(trips) == 1 and trips[0]["limit"] == "sign-in-account" and int(trips[0]["retry_after"]) > 0


@pytest.mark.parametrize("value", ["a b", "x\nsecurity event=sign_in outcome=ok person=1", "k=v", 'quote"d', "\x1b[31mred"])
def test_no_value_can_forge_a_field_or_a_line(value: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger=LOGGER)
    security_log.event("upload", outcome=security_log.OK, person=3, address=value, origin=value)
    [line] = events(caplog)
    assert "\n" not in line and "\x1b" not in line
    assert fields(line) == {"event": "upload", "outcome": "ok", "person": "3", "address": fields(line)["address"], "origin": fields(line)["origin"]}
    assert " " not in fields(line)["address"] and "=" not in fields(line)["origin"]
