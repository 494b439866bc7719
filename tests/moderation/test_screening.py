"""SEC-L1: a post or an edit that seems to hold a patient identifier (a medical record number,
a date of birth) is never silently published. Its author is warned first and nothing is
stored; only a confirmed one is posted, and it is then flagged automatically in its own
transaction, so it is in the moderators' queue at once, and its author is told with a link to
edit or delete it. Every door is screened: the plain forms (which offer the form again with
a box to confirm), the WebSocket (on SQLite, the group-commit writer's path) and the JSON
API. A post without one is left alone."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import select
from starlette.testclient import TestClient

from artme_cop.conversations.models import Message
from artme_cop.moderation.models import Flag
from artme_cop.notifications.models import Notification
from tests.factories import World
from tests.forum.api_support import api_client, assert_error
from tests.forum.conftest import start as start_thread
from tests.labs.conftest import Team, team  # noqa: F401  (fixture)
from tests.labs.test_attachments import stored_files, upload
from tests.realtime.conftest import ORIGIN, Spaces, fast, live_app, signed_in, spaces  # noqa: F401  (fixtures)
from tests.samples import PNG
from tests.support import csrf_from, sign_in, snapshot, soup, text_of

IDENTIFYING = "The patient (MRN 12345678) asked about the study."
WARNING = "This message seems to hold a medical record number of a patient."


async def _rows(app: Any, model: type) -> list[Any]:
    async with app.state.uow(read_only=True) as uow:
        return list((await uow.session.execute(select(model).order_by(model.id))).scalars())


def _form_of(page: BeautifulSoup) -> tuple[str, dict[str, str]]:
    """The confirm page's form: its address and its fields as a browser would send them."""
    form = page.find("form", attrs={"method": "post", "action": lambda a: a and a != "/logout"})
    fields = {i["name"]: i.get("value", "") for i in form.find_all("input") if i.get("type") not in ("checkbox", "file")}
    fields["body"] = form.find("textarea", attrs={"name": "body"}).text
    return form["action"], fields


async def test_a_form_post_is_held_for_confirmation_then_reaches_the_moderators(app: Any, client: httpx.AsyncClient, world: World, spaces: Spaces) -> None:
    await sign_in(client, world.student_a.email)
    page = await client.get(f"/conversations/{spaces.cohort_a1}")
    assert "Keep patients unidentifiable" in text_of(page)
    before = await snapshot(app)
    form = {"csrf_token": csrf_from(page), "client_msg_id": "c-1", "body": IDENTIFYING}

    held = await client.post(f"/conversations/{spaces.cohort_a1}/messages", data=form, headers={"Referer": f"http://testserver/conversations/{spaces.cohort_a1}"})

    assert held.status_code == 409 and WARNING in text_of(held)
    assert await snapshot(app) == before  # nothing published, nothing flagged
    page = soup(held)
    assert page.find("a", string="Back, without posting")["href"] == f"/conversations/{spaces.cohort_a1}"
    assert page.find("input", attrs={"type": "checkbox", "name": "confirm"}) is not None
    action, fields = _form_of(page)
    assert action == f"/conversations/{spaces.cohort_a1}/messages" and fields["client_msg_id"] == "c-1" and fields["body"] == IDENTIFYING

    assert (await client.post(action, data=fields)).status_code == 409  # sent again unconfirmed: held again
    assert (await client.post(action, data={**fields, "confirm": "1"})).status_code == 303

    [flag] = await _rows(app, Flag)
    assert (flag.flagger_id, flag.reason, flag.status, flag.note) == (None, "private_details", "open", "Flagged automatically: it may hold a medical record number.")
    [warning] = [n for n in await _rows(app, Notification) if n.recipient_id == world.student_a.id]
    assert warning.kind == "warning" and warning.seq == 1 and "medical record number" in warning.summary
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver") as coach:
        await sign_in(coach, world.coach.email)
        queue = text_of(await coach.get("/moderation/queue"))
    assert "Flagged automatically: it may hold a medical record number." in queue and "MRN 12345678" in queue


async def test_taking_the_identifier_out_posts_without_a_flag(app: Any, client: httpx.AsyncClient, world: World, spaces: Spaces) -> None:
    await sign_in(client, world.student_a.email)
    page = await client.get(f"/conversations/{spaces.cohort_a1}")
    held = await client.post(f"/conversations/{spaces.cohort_a1}/messages", data={"csrf_token": csrf_from(page), "client_msg_id": "c-2", "body": IDENTIFYING})
    action, fields = _form_of(soup(held))
    assert (await client.post(action, data={**fields, "body": "The patient asked about the study."})).status_code == 303
    [message] = await _rows(app, Message)
    assert (message.client_msg_id, message.body) == ("c-2", "The patient asked about the study.")
    assert await _rows(app, Flag) == []


async def test_a_new_thread_keeps_its_fields_through_the_confirmation(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.student_a.email)
    page = await client.get("/forum/new")
    form = {"csrf_token": csrf_from(page), "category": "introductions", "where": "consortium", "title": "A hard week", "body": "DOB: 03/04/1950, seen twice.", "client_msg_id": "t-1"}
    held = await client.post("/forum/threads", data=form)
    assert held.status_code == 409 and "a date of birth" in text_of(held)
    action, fields = _form_of(soup(held))
    assert action == "/forum/threads" and {fields[k] for k in ("category", "where", "title")} == {"introductions", "consortium", "A hard week"}
    created = await client.post(action, data={**fields, "confirm": "1"})
    assert created.status_code == 303
    thread_page = text_of(await client.get(created.headers["location"]))
    assert "A hard week" in thread_page and "DOB: 03/04/1950" in thread_page
    assert len(await _rows(app, Flag)) == 1


async def test_an_edit_from_the_forum_form_is_held_until_confirmed(app: Any, client: httpx.AsyncClient, world: World) -> None:
    thread = await start_thread(app, world.student_a, where="consortium", body="Ward round went well.")
    await sign_in(client, world.student_a.email)
    path = f"/forum/threads/{thread}/posts/1/edit"
    form = {"csrf_token": csrf_from(await client.get(path)), "body": "Ward round went well. MRN 7654321"}
    held = await client.post(path, data=form)
    assert held.status_code == 409 and WARNING in text_of(held)
    action, fields = _form_of(soup(held))
    assert action == path and (await client.post(action, data={**fields, "confirm": "1"})).status_code == 303
    [message] = await _rows(app, Message)
    assert message.body.endswith("MRN 7654321") and len(await _rows(app, Flag)) == 1


def test_a_websocket_send_and_edit_are_held_until_confirmed(live_app: TestClient, world: World, spaces: Spaces) -> None:
    student = signed_in(live_app, world.student_a.email)

    def reply(socket: Any, ref: str) -> dict[str, Any]:
        frame = socket.receive_json()
        while frame.get("ref") != ref:
            frame = socket.receive_json()
        return frame

    with student.websocket_connect("/ws", headers={"Origin": ORIGIN}) as socket:
        socket.send_json({"type": "hello", "protocol": 1})
        socket.receive_json()
        dob = "Born on 12/03/1961, admitted twice."
        socket.send_json({"type": "send", "conversation": spaces.cohort_a1, "client_msg_id": "w1", "body": dob, "ref": "a"})
        refused = reply(socket, "a")
        assert (refused["type"], refused["code"]) == ("error", "confirm_needed") and "a date of birth" in refused["message"]
        socket.send_json({"type": "send", "conversation": spaces.cohort_a1, "client_msg_id": "w1", "body": dob, "confirm": "yes", "ref": "b"})
        assert reply(socket, "b")["code"] == "invalid"
        socket.send_json({"type": "send", "conversation": spaces.cohort_a1, "client_msg_id": "w1", "body": dob, "confirm": True, "ref": "c"})
        assert reply(socket, "c")["type"] == "ack"
        socket.send_json({"type": "send", "conversation": spaces.cohort_a1, "client_msg_id": "w2", "body": "Notes from the debrief.", "ref": "d"})
        assert reply(socket, "d")["type"] == "ack"
        edit = {"type": "edit", "conversation": spaces.cohort_a1, "seq": 2, "body": "Notes: MRN 00123456."}
        socket.send_json({**edit, "ref": "e"})
        assert reply(socket, "e")["code"] == "confirm_needed"
        socket.send_json({**edit, "confirm": True, "ref": "f"})
        assert reply(socket, "f")["type"] == "ack"
        socket.send_json({**edit, "body": "Notes: MRN 00123457.", "confirm": True, "ref": "g"})  # flagged already
        assert reply(socket, "g")["type"] == "ack"

    async def rows() -> tuple[list[Any], list[Any]]:
        return await _rows(live_app.app, Message), await _rows(live_app.app, Flag)

    messages, flags = live_app.portal.call(rows)  # type: ignore[attr-defined]
    assert [(m.seq, m.client_msg_id) for m in messages] == [(1, "w1"), (2, "w2")]
    assert [(f.message_id, f.note) for f in flags] == [
        (messages[0].id, "Flagged automatically: it may hold a date of birth."),
        (messages[1].id, "Flagged automatically: it may hold a medical record number."),
    ]


async def test_the_api_answers_409_until_confirmed(app: Any, world: World) -> None:
    thread = await start_thread(app, world.student_a, where="consortium")
    async with api_client(app, world.student_a) as api:
        path = f"/api/forum/threads/{thread}/posts"
        assert_error(await api.send("POST", path, {"body": IDENTIFYING, "client_msg_id": "a-1"}), 409, "confirm_needed", "body")
        assert_error(await api.send("POST", path, {"body": IDENTIFYING, "client_msg_id": "a-1", "confirm": "true"}), 400, "invalid", "confirm")
        assert len(await _rows(app, Message)) == 1
        posted = await api.send("POST", path, {"body": IDENTIFYING, "client_msg_id": "a-1", "confirm": True})
        assert posted.status_code == 201 and posted.json()["seq"] == 2
        assert_error(await api.send("PATCH", f"{path}/1", {"body": "First post, DOB 1/2/1980"}), 409, "confirm_needed", "body")
        assert (await api.send("PATCH", f"{path}/1", {"body": "First post, DOB 1/2/1980", "confirm": True})).status_code == 200
    assert len(await _rows(app, Flag)) == 2


def test_a_lab_post_with_a_file_is_held_and_leaves_nothing(live_app: TestClient, world: World, team: Team) -> None:
    student = signed_in(live_app, world.student_a.email)
    held = upload(student, team, "notes.png", PNG, body=IDENTIFYING, cid="f-1")
    assert held.status_code == 409
    page = BeautifulSoup(held.text, "html.parser")
    form = page.find("form", attrs={"enctype": "multipart/form-data"})
    assert form is not None and form.find("input", attrs={"type": "file", "name": "file"}) is not None
    assert stored_files(live_app) == []

    token = csrf_from(held)
    confirmed = student.post(
        f"/labs/channels/{team.general}/messages", data={"body": IDENTIFYING, "client_msg_id": "f-1", "csrf_token": token, "confirm": "1"},
        files={"file": ("notes.png", PNG, "application/octet-stream")}, follow_redirects=False,
    )
    assert confirmed.status_code == 303 and len(stored_files(live_app)) == 1


def test_a_text_file_is_screened_as_its_post_is(live_app: TestClient, world: World, team: Team) -> None:
    student = signed_in(live_app, world.student_a.email)
    notes = b"Ward round notes\npatient DOB 04/05/1949, stable\n"
    held = upload(student, team, "round notes.txt", notes, body="Notes from today.", cid="t-1")
    assert held.status_code == 409 and "The file round notes.txt seems to hold a date of birth" in text_of(held)
    assert stored_files(live_app) == []
    token = csrf_from(held)
    confirmed = student.post(
        f"/labs/channels/{team.general}/messages", data={"body": "Notes from today.", "client_msg_id": "t-1", "csrf_token": token, "confirm": "1"},
        files={"file": ("round notes.txt", notes, "application/octet-stream")}, follow_redirects=False,
    )
    assert confirmed.status_code == 303 and len(stored_files(live_app)) == 1

    async def rows() -> tuple[list[Any], list[Any]]:
        return await _rows(live_app.app, Message), await _rows(live_app.app, Flag)

    messages, flags = live_app.portal.call(rows)  # type: ignore[attr-defined]
    assert [(f.message_id, f.note) for f in flags] == [(messages[-1].id, "Flagged automatically: it may hold a date of birth.")]


@pytest.mark.parametrize("body", ["MRN is short for medical record number.", "She was born in 1961.", "Session on 2026/11/29 at 15:00", "Call 555-1234"])
async def test_ordinary_words_are_left_alone(app: Any, client: httpx.AsyncClient, world: World, spaces: Spaces, body: str) -> None:
    await sign_in(client, world.student_a.email)
    page = await client.get(f"/conversations/{spaces.cohort_a1}")
    assert (await client.post(f"/conversations/{spaces.cohort_a1}/messages", data={"csrf_token": csrf_from(page), "client_msg_id": "c1", "body": body})).status_code == 303
    assert await _rows(app, Flag) == []
