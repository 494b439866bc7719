"""The forum live: a reply posted through the HTML form reaches WebSocket readers of the
thread; edits, deletions, reactions and a lock arrive as events; a post sent over the
WebSocket is a forum post like any other (the thread's counts follow); a locked thread
refuses posts over the WebSocket too and stores nothing."""

from __future__ import annotations

import json
from typing import Any, Callable

from starlette.testclient import TestClient

from tests.factories import World
from tests.forum.conftest import Threads
from tests.realtime.conftest import ORIGIN, Spaces
from tests.support import csrf_from, soup


def _open(client: TestClient) -> Any:
    ws = client.websocket_connect("/ws", headers={"origin": ORIGIN})
    socket = ws.__enter__()
    assert json.loads(socket.receive_text())["type"] == "ready"
    return ws, socket


def _next(socket: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = json.loads(socket.receive_text())
        if frame["type"] == kind:
            return frame


def _subscribe(socket: Any, conversation: int, after_seq: int) -> None:
    socket.send_text(json.dumps({"type": "subscribe", "conversation": conversation, "after_seq": after_seq, "ref": "sub"}))
    assert _next(socket, "ack")["ref"] == "sub"


def _conversation(client: TestClient, thread_id: int) -> int:
    return int(soup(client.get(f"/forum/threads/{thread_id}")).find(id="posts")["data-conversation"])


def test_a_form_reply_edit_delete_and_reaction_reach_live_readers(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, threads: Threads, spaces: Spaces) -> None:
    writer = make_client(world.student_a.email)
    reader = make_client(world.faculty_a.email)
    conversation = _conversation(reader, threads.cohort_a1)
    ws, socket = _open(reader)
    try:
        _subscribe(socket, conversation, 1)
        page = writer.get(f"/forum/threads/{threads.cohort_a1}")
        form = {field["name"]: field.get("value", "") for field in soup(page).find("form", id="reply-form").find_all("input")}
        posted = writer.post(f"/forum/threads/{threads.cohort_a1}/posts", data={**form, "body": "live **reply**"}, follow_redirects=False)
        assert posted.status_code == 303
        message = _next(socket, "message")
        assert message["seq"] == 2 and "<strong>reply</strong>" in message["data"]["html"]
        assert message["data"]["author"]["name"] == "Sam Student"
        token = csrf_from(page)
        writer.post(f"/forum/threads/{threads.cohort_a1}/posts/2/edit", data={"csrf_token": token, "body": "live reply, edited"}, follow_redirects=False)
        assert "edited" in _next(socket, "edited")["data"]["html"]
        writer.post(f"/forum/threads/{threads.cohort_a1}/posts/2/react", data={"csrf_token": token, "emoji": "bulb"}, follow_redirects=False)
        assert _next(socket, "reaction")["data"]["counts"] == {"bulb": 1}
        writer.post(f"/forum/threads/{threads.cohort_a1}/posts/2/delete", data={"csrf_token": token}, follow_redirects=False)
        deleted = _next(socket, "deleted")
        assert deleted["data"]["deleted"] is True and deleted["data"]["html"] == ""
    finally:
        ws.__exit__(None, None, None)


def test_a_lock_is_live_and_refuses_websocket_sends(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, threads: Threads, spaces: Spaces) -> None:
    moderator = make_client(world.facilitator_a.email)
    member = make_client(world.student_a.email)
    conversation = _conversation(member, threads.cohort_a1)
    ws, socket = _open(member)
    try:
        _subscribe(socket, conversation, 1)
        token = csrf_from(moderator.get(f"/forum/threads/{threads.cohort_a1}"))
        assert moderator.post(f"/forum/threads/{threads.cohort_a1}/lock", data={"csrf_token": token, "locked": "1"}, follow_redirects=False).status_code == 303
        assert _next(socket, "thread")["data"]["locked"] is True
        socket.send_text(json.dumps({"type": "send", "conversation": conversation, "body": "over the socket", "client_msg_id": "locked-ws", "ref": "s"}))
        refused = _next(socket, "error")
        assert refused["code"] == "forbidden"
    finally:
        ws.__exit__(None, None, None)
    page = soup(member.get(f"/forum/threads/{threads.cohort_a1}"))
    assert [a["data-seq"] for a in page.select("article.post")] == ["1"]


def test_a_websocket_send_is_a_forum_post(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, threads: Threads, spaces: Spaces) -> None:
    member = make_client(world.faculty_a.email)
    conversation = _conversation(member, threads.consortium)
    ws, socket = _open(member)
    try:
        socket.send_text(json.dumps({"type": "send", "conversation": conversation, "body": "from the socket", "client_msg_id": "ws-post-1", "ref": "s"}))
        assert _next(socket, "ack")["seq"] == 2
    finally:
        ws.__exit__(None, None, None)
    reader = make_client(world.participant_b.email)
    row = soup(reader.get("/forum/latest")).find("tr", id=f"t{threads.consortium}")
    assert row.select_one(".post-count").text == "2"
    assert "Fran Faculty" in row.select_one(".last-activity").text
