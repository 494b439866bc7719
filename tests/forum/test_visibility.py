"""The forum's visibility matrix (DESIGN.md "Security", SECURITY.md SEC-A1/A2/A3/F3): for a
consortium, an institution and a cohort thread, people inside and outside the scope, through
the lists, by id (the thread page, its posts, replies, reactions, bookmarks, watch), and by
WebSocket subscription. Outside the scope a thread looks exactly like a missing one. The
table of who is inside is written out by hand, not computed with the policy under test."""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest
from starlette.testclient import TestClient

from tests.conftest import make_client
from tests.factories import World
from tests.forum.conftest import Threads
from tests.realtime.conftest import ORIGIN, Spaces
from tests.support import csrf_from, sign_in, snapshot, soup

MISSING = 987654

# persona -> the threads they are inside of (consortium is everyone's).
INSIDE: dict[str, set[str]] = {
    "student_a": {"consortium", "institution_a", "cohort_a1"},
    "faculty_a": {"consortium", "institution_a", "cohort_a1"},
    "facilitator_a": {"consortium", "institution_a", "cohort_a1"},
    "coach": {"consortium", "institution_a", "cohort_a1"},
    "lead_a": {"consortium", "institution_a", "cohort_a1"},
    "participant_a2": {"consortium", "institution_a"},
    "lead_b": {"consortium", "cohort_b1"},
    "participant_b": {"consortium", "cohort_b1"},
    # Rule 1: program-wide power opens no school's or cohort's private space.
    "admin": {"consortium"},
}
KINDS = ("consortium", "institution_a", "cohort_a1", "cohort_b1")


@pytest.mark.parametrize("persona", sorted(INSIDE))
async def test_lists_and_pages_show_exactly_the_threads_in_scope(app: Any, world: World, threads: Threads, persona: str) -> None:
    async with make_client(app) as client:
        await sign_in(client, getattr(world, persona).email)
        latest = {tr["id"] for tr in soup(await client.get("/forum/latest")).select("tbody tr")}
        category = {tr["id"] for tr in soup(await client.get("/forum/c/introductions")).select("tbody tr")}
        index = {tr["id"] for tr in soup(await client.get("/forum/")).select("tbody tr")}
        expected = {f"t{getattr(threads, kind)}" for kind in INSIDE[persona]}
        assert latest == category == index == expected
        counted = soup(await client.get("/forum/")).select_one(".category-list li:nth-of-type(7)").get_text(" ", strip=True)
        assert f"{len(expected)} thread" in counted
        missing = await client.get(f"/forum/threads/{MISSING}")
        for kind in KINDS:
            thread_id = getattr(threads, kind)
            page = await client.get(f"/forum/threads/{thread_id}")
            if kind in INSIDE[persona]:
                assert page.status_code == 200, kind
            else:
                assert page.status_code == missing.status_code == 404, kind
                assert soup(page).find("main").text == soup(missing).find("main").text


@pytest.mark.parametrize("persona", ["participant_a2", "lead_b", "admin"])
async def test_every_write_outside_the_scope_is_a_404_and_changes_nothing(app: Any, world: World, threads: Threads, persona: str) -> None:
    async with make_client(app) as client:
        await sign_in(client, getattr(world, persona).email)
        token = csrf_from(await client.get("/forum/"))
        before = await snapshot(app)
        base = f"/forum/threads/{threads.cohort_a1}"
        attempts = [
            (f"{base}/posts", {"body": "canary", "client_msg_id": "outside-1"}),
            (f"{base}/posts/1/react", {"emoji": "heart"}),
            (f"{base}/posts/1/bookmark", {}),
            (f"{base}/posts/1/edit", {"body": "canary"}),
            (f"{base}/posts/1/delete", {}),
            (f"{base}/watch", {"level": "watching"}),
            (f"{base}/lock", {"locked": "1"}),
        ]
        for path, data in attempts:
            assert (await client.post(path, data={**data, "csrf_token": token})).status_code == 404, path
        assert (await client.get(f"{base}/posts/1/edit")).status_code == 404
        assert (await client.get(f"/forum/mentions?q=sa&thread={threads.cohort_a1}")).status_code == 404
        assert (await client.get(f"{base}?quote=1")).status_code == 404
        assert await snapshot(app) == before


async def test_a_bookmark_of_a_thread_that_left_ones_scope_is_not_listed(app: Any, world: World, threads: Threads) -> None:
    from artme_cop.conversations.models import Conversation
    from artme_cop.forum.models import Thread

    async with make_client(app) as client:
        await sign_in(client, world.participant_a2.email)
        token = csrf_from(await client.get(f"/forum/threads/{threads.institution_a}"))
        assert (await client.post(f"/forum/threads/{threads.institution_a}/posts/1/bookmark", data={"csrf_token": token})).status_code == 303
        assert "Alder only" in soup(await client.get("/forum/bookmarks")).get_text()
        async with app.state.uow() as uow:  # the thread now belongs to cohort A1 only
            thread = await uow.session.get(Thread, threads.institution_a)
            conversation = await uow.session.get(Conversation, thread.conversation_id)  # type: ignore[union-attr]
            conversation.scope, conversation.cohort_id = "cohort", world.cohort_a1.id  # type: ignore[union-attr]
        assert "Alder only" not in soup(await client.get("/forum/bookmarks")).get_text()


# --- by WebSocket subscription --------------------------------------------------------------------


def _frames_until(ws: Any, ref: str) -> dict[str, Any]:
    while True:
        frame = json.loads(ws.receive_text())
        if frame.get("ref") == ref:
            return frame


@pytest.mark.parametrize("persona", ["student_a", "participant_a2", "lead_b", "admin"])
def test_subscription_to_a_thread_follows_the_same_rule(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, threads: Threads, spaces: Spaces, persona: str) -> None:
    reader = make_client(getattr(world, persona).email)
    inside = INSIDE[persona]
    for kind in KINDS:
        page = reader.get(f"/forum/threads/{getattr(threads, kind)}")
        conversation = int(soup(page).find(id="posts")["data-conversation"]) if page.status_code == 200 else None
        if conversation is None:
            # Find the conversation id as an insider would see it.
            owner = {"institution_a": world.faculty_a, "cohort_a1": world.student_a, "cohort_b1": world.participant_b}[kind]
            insider = make_client(owner.email)
            conversation = int(soup(insider.get(f"/forum/threads/{getattr(threads, kind)}")).find(id="posts")["data-conversation"])
        with reader.websocket_connect("/ws", headers={"origin": ORIGIN}) as ws:
            assert json.loads(ws.receive_text())["type"] == "ready"
            ws.send_text(json.dumps({"type": "subscribe", "conversation": conversation, "after_seq": 0, "ref": "s"}))
            reply = _frames_until(ws, "s")
            if kind in inside:
                assert reply["type"] == "ack", (persona, kind)
            else:
                assert reply["type"] == "error" and reply["code"] == "not_found", (persona, kind)
                ws.send_text(json.dumps({"type": "subscribe", "conversation": MISSING, "after_seq": 0, "ref": "m"}))
                missing = _frames_until(ws, "m")
                assert {k: v for k, v in missing.items() if k != "ref"} == {k: v for k, v in reply.items() if k != "ref"}
