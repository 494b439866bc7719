"""SEC-L1: a post that seems to hold a patient identifier (a medical record number, a date of
birth) is never silently published: it is flagged automatically in its own transaction, so
it is in the moderators' queue at once, and its author is warned with a link to edit or
delete it. Every door is screened: the plain form and the WebSocket (on SQLite, the
group-commit writer's path). A post without one is left alone."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from artme_cop.moderation.models import Flag
from artme_cop.notifications.models import Notification
from tests.factories import World
from tests.realtime.conftest import ORIGIN, Spaces, fast, live_app, signed_in, spaces  # noqa: F401  (fixtures)
from tests.support import csrf_from, sign_in, text_of

IDENTIFYING = "The patient (MRN 12345678) asked about the study."


async def _rows(app: Any, model: type) -> list[Any]:
    async with app.state.uow(read_only=True) as uow:
        return list((await uow.session.execute(select(model).order_by(model.id))).scalars())


async def test_a_form_post_with_a_record_number_reaches_the_moderators_and_warns_its_author(app: Any, client: httpx.AsyncClient, world: World, spaces: Spaces) -> None:
    await sign_in(client, world.student_a.email)
    for body in ("We met the ward team today.", IDENTIFYING):
        page = await client.get(f"/conversations/{spaces.cohort_a1}")
        form = {"csrf_token": csrf_from(page), "client_msg_id": f"c-{len(body)}", "body": body}
        assert (await client.post(f"/conversations/{spaces.cohort_a1}/messages", data=form)).status_code == 303
    [flag] = await _rows(app, Flag)
    assert (flag.flagger_id, flag.reason, flag.status, flag.note) == (None, "private_details", "open", "Flagged automatically: it may hold a medical record number.")
    [warning] = [n for n in await _rows(app, Notification) if n.recipient_id == world.student_a.id]
    assert warning.kind == "warning" and warning.seq == 2 and "medical record number" in warning.summary
    assert "Your message may hold a medical record number" in text_of(await client.get("/notifications/"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as coach:
        await sign_in(coach, world.coach.email)
        queue = text_of(await coach.get("/moderation/queue"))
    assert "Flagged automatically: it may hold a medical record number." in queue and "MRN 12345678" in queue


def test_a_websocket_send_is_screened_too(live_app: TestClient, world: World, spaces: Spaces) -> None:
    student = signed_in(live_app, world.student_a.email)
    with student.websocket_connect("/ws", headers={"Origin": ORIGIN}) as socket:
        socket.send_json({"type": "hello", "protocol": 1})
        socket.receive_json()
        for ref, body in (("a", "Notes from the debrief."), ("b", "Born on 12/03/1961, admitted twice.")):
            socket.send_json({"type": "send", "conversation": spaces.cohort_a1, "client_msg_id": ref, "body": body, "ref": ref})
            frame = socket.receive_json()
            while frame.get("type") != "ack" or frame.get("client_msg_id") != ref:
                frame = socket.receive_json()

    async def flags() -> list[Any]:
        return await _rows(live_app.app, Flag)

    [flag] = live_app.portal.call(flags)  # type: ignore[attr-defined]
    assert flag.flagger_id is None and flag.note == "Flagged automatically: it may hold a date of birth."


@pytest.mark.parametrize("body", ["MRN is short for medical record number.", "She was born in 1961.", "Session on 2026/11/29 at 15:00", "Call 555-1234"])
async def test_ordinary_words_are_left_alone(app: Any, client: httpx.AsyncClient, world: World, spaces: Spaces, body: str) -> None:
    await sign_in(client, world.student_a.email)
    page = await client.get(f"/conversations/{spaces.cohort_a1}")
    assert (await client.post(f"/conversations/{spaces.cohort_a1}/messages", data={"csrf_token": csrf_from(page), "client_msg_id": "c1", "body": body})).status_code == 303
    assert await _rows(app, Flag) == []
