"""The conversation pages over HTTP: the list is filtered by the policy, a hidden
conversation looks exactly like a missing one, the form posts once per client_msg_id, and
bad input changes nothing (SEC-A1, SEC-A2, SEC-A3, SEC-J1)."""

from __future__ import annotations

import httpx
from sqlalchemy import func, select

from artme_cop.conversations.models import Message
from artme_cop.unit_of_work import UnitOfWork
from tests.conftest import make_client
from tests.factories import World
from tests.realtime.conftest import Spaces
from tests.support import csrf_from, sign_in, soup


async def _count(app: object, conversation_id: int) -> int:
    async with app.state.uow(read_only=True) as uow:  # type: ignore[attr-defined]
        assert isinstance(uow, UnitOfWork)
        return int((await uow.session.execute(select(func.count(Message.id)).where(Message.conversation_id == conversation_id))).scalar_one())


async def test_list_shows_only_readable_conversations(client: httpx.AsyncClient, world: World, spaces: Spaces) -> None:
    await sign_in(client, world.student_a.email)
    page = soup(await client.get("/conversations/"))
    titles = {a.text for a in page.select("main li a")}
    assert titles == {"Consortium lounge", "A1", "Alder"}


async def test_hidden_conversation_looks_like_a_missing_one(client: httpx.AsyncClient, world: World, spaces: Spaces) -> None:
    await sign_in(client, world.student_a.email)
    hidden = await client.get(f"/conversations/{spaces.cohort_b1}")
    missing = await client.get("/conversations/999999")
    assert hidden.status_code == missing.status_code == 404
    assert soup(hidden).find("main").text == soup(missing).find("main").text


async def test_authority_does_not_open_a_cohort_space(app: object, world: World, spaces: Spaces) -> None:
    """Rule 1: neither the school's lead who is not in the cohort, nor another school's
    lead, nor a program admin reads a cohort's private space."""
    for person in (world.lead_a, world.lead_b, world.admin):
        async with make_client(app) as client:
            await sign_in(client, person.email)
            assert (await client.get(f"/conversations/{spaces.cohort_a2}")).status_code == 404, person.email


async def test_form_post_stores_once_per_client_msg_id(app: object, client: httpx.AsyncClient, world: World, spaces: Spaces) -> None:
    await sign_in(client, world.student_a.email)
    page = await client.get(f"/conversations/{spaces.cohort_a1}")
    form = {"csrf_token": csrf_from(page), "client_msg_id": soup(page).find("input", attrs={"name": "client_msg_id"})["value"], "body": "twice?"}
    first = await client.post(f"/conversations/{spaces.cohort_a1}/messages", data=form)
    again = await client.post(f"/conversations/{spaces.cohort_a1}/messages", data=form)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"] == f"/conversations/{spaces.cohort_a1}#m1"
    assert await _count(app, spaces.cohort_a1) == 1
    shown = soup(await client.get(f"/conversations/{spaces.cohort_a1}"))
    assert [li.select_one(".message-body").text.strip() for li in shown.select("#messages > li")] == ["twice?"]


async def test_bad_posts_change_nothing(app: object, client: httpx.AsyncClient, world: World, spaces: Spaces) -> None:
    await sign_in(client, world.student_a.email)
    page = await client.get(f"/conversations/{spaces.cohort_a1}")
    token = csrf_from(page)
    cases = [
        ({"body": "", "client_msg_id": "a1"}, 400),
        ({"body": "x" * 10_001, "client_msg_id": "a2"}, 400),
        ({"body": "nul \x00 inside", "client_msg_id": "a3"}, 400),
        ({"body": "fine", "client_msg_id": "bad id with spaces"}, 400),
    ]
    for data, status in cases:
        response = await client.post(f"/conversations/{spaces.cohort_a1}/messages", data={**data, "csrf_token": token})
        assert response.status_code == status, data
        assert soup(response).find(class_="field-error") is not None
    outsider = await client.post(f"/conversations/{spaces.cohort_b1}/messages", data={"body": "canary", "client_msg_id": "a4", "csrf_token": token})
    assert outsider.status_code == 404
    assert await _count(app, spaces.cohort_a1) == 0 and await _count(app, spaces.cohort_b1) == 0
    for key in ("abc", "²", "99999999999999999999", "-1"):
        assert (await client.get(f"/conversations/{spaces.cohort_a1}?before={key}")).status_code == 200
    assert (await client.get("/conversations/abc")).status_code == 404
