"""The WebSocket gateway end to end in-process: handshake checks (SEC-F1, SEC-F2),
subscribe/send/ack, idempotent retries, resume, authorization (SEC-F3), bad frames
(SEC-F8), flood limits (SEC-F9), presence, revocation (SEC-F5)."""

from __future__ import annotations

import asyncio
import json
from typing import Any, Callable

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from artme_cop.conversations.models import Message
from artme_cop.db import make_engine, make_sessionmaker
from artme_cop.realtime import gateway
from artme_cop.settings import Settings
from tests.factories import World
from tests.realtime.conftest import ORIGIN, Spaces, signed_in
from tests.support import csrf_from


class Socket:
    """A thin helper over TestClient's WebSocket session."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.ref = 0
        self.backlog: list[dict[str, Any]] = []
        ready = self.receive()
        assert ready["type"] == "ready"

    def receive(self) -> dict[str, Any]:
        return json.loads(self.ws.receive_text())

    def request(self, frame: dict[str, Any]) -> dict[str, Any]:
        self.ref += 1
        ref = self.ref
        self.ws.send_text(json.dumps({**frame, "ref": ref}))
        while True:
            reply = self.receive()
            if reply.get("ref") == ref and reply["type"] in {"ack", "error"}:
                return reply
            self.backlog.append(reply)

    def next(self, kind: str) -> dict[str, Any]:
        for index, frame in enumerate(self.backlog):
            if frame["type"] == kind:
                return self.backlog.pop(index)
        while True:
            frame = self.receive()
            if frame["type"] == kind:
                return frame
            self.backlog.append(frame)

    def messages(self, count: int) -> list[dict[str, Any]]:
        return [self.next("message") for _ in range(count)]


def connect(client: TestClient, origin: str | None = ORIGIN) -> Any:
    headers = {"origin": origin} if origin is not None else {}
    return client.websocket_connect("/ws", headers=headers)


def count_messages(settings: Settings, conversation_id: int) -> int:
    async def count() -> int:
        engine = make_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as session:
                return int((await session.execute(select(func.count(Message.id)).where(Message.conversation_id == conversation_id))).scalar_one())
        finally:
            await engine.dispose()

    return asyncio.run(count())


# --- handshake ------------------------------------------------------------------------------------


def test_handshake_refused_without_session(live_app: TestClient, spaces: Spaces) -> None:
    """SEC-F1: no session -> closed before accept (HTTP 403 to the client)."""
    with pytest.raises(WebSocketDisconnect) as refused:
        with connect(live_app):
            pass
    assert refused.value.code == 1008


@pytest.mark.parametrize("origin", [None, "https://evil.example", "null", "http://testserver.evil.example", "http://eviltestserver"])
def test_handshake_refused_with_foreign_origin(live_app: TestClient, world: World, spaces: Spaces, origin: str | None) -> None:
    """SEC-F2: the Origin must be exactly our own."""
    signed_in(live_app, world.student_a.email)
    with pytest.raises(WebSocketDisconnect) as refused:
        with connect(live_app, origin):
            pass
    assert refused.value.code == 1008


def test_handshake_refused_after_sign_out_with_copied_cookie(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, spaces: Spaces) -> None:
    """SEC-D3 on the WebSocket: a cookie copied before sign-out no longer opens a socket."""
    signed_in(live_app, world.student_a.email)
    copy = TestClient(live_app.app, base_url=ORIGIN)
    copy.portal = live_app.portal  # type: ignore[attr-defined]
    copy.cookies.update(dict(live_app.cookies))
    token = csrf_from(live_app.get("/"))
    assert live_app.post("/logout", data={"csrf_token": token}, follow_redirects=False).status_code == 303
    with pytest.raises(WebSocketDisconnect):
        with connect(copy):
            pass


# --- sending ------------------------------------------------------------------------------------------


def test_send_acked_after_commit_and_delivered_to_subscribers(live_app: TestClient, make_client: Callable[[str], TestClient], settings: Settings, world: World, spaces: Spaces) -> None:
    signed_in(live_app, world.student_a.email)
    reader = make_client(world.faculty_a.email)
    with connect(live_app) as raw_writer, connect(reader) as raw_reader:
        writer, listener = Socket(raw_writer), Socket(raw_reader)
        assert listener.request({"type": "subscribe", "conversation": spaces.cohort_a1})["type"] == "ack"
        ack = writer.request({"type": "send", "conversation": spaces.cohort_a1, "client_msg_id": "m-1", "body": "We tried **this**"})
        assert ack["type"] == "ack" and ack["seq"] == 1 and ack["duplicate"] is False
        # Acked means committed: another engine sees the row.
        assert count_messages(settings, spaces.cohort_a1) == 1
        delivered = listener.next("message")
        assert delivered["seq"] == 1 and delivered["topic"] == f"conv:{spaces.cohort_a1}"
        assert delivered["data"]["html"] == "<p>We tried <strong>this</strong></p>"
        assert delivered["data"]["author"]["name"] == "Sam Student"


def test_retried_send_returns_first_ack_and_stores_once(live_app: TestClient, settings: Settings, world: World, spaces: Spaces) -> None:
    signed_in(live_app, world.student_a.email)
    with connect(live_app) as raw:
        ws = Socket(raw)
        first = ws.request({"type": "send", "conversation": spaces.cohort_a1, "client_msg_id": "same", "body": "once"})
        second = ws.request({"type": "send", "conversation": spaces.cohort_a1, "client_msg_id": "same", "body": "once"})
    assert (first["seq"], first["duplicate"]) == (1, False)
    assert (second["seq"], second["duplicate"]) == (1, True)
    assert count_messages(settings, spaces.cohort_a1) == 1


@pytest.mark.fast_limits
def test_resume_replays_exactly_the_missed_messages_in_order(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, spaces: Spaces) -> None:
    signed_in(live_app, world.student_a.email)
    other = make_client(world.faculty_a.email)
    with connect(other) as raw:
        sender = Socket(raw)
        for index in range(5):
            sender.request({"type": "send", "conversation": spaces.cohort_a1, "client_msg_id": f"early-{index}", "body": f"early {index}"})
        # The reader saw up to seq 5, then was away while 500 more were sent.
        for index in range(500):
            sender.request({"type": "send", "conversation": spaces.cohort_a1, "client_msg_id": f"late-{index}", "body": f"late {index}"})
    with connect(live_app) as raw:
        reader = Socket(raw)
        assert reader.request({"type": "subscribe", "conversation": spaces.cohort_a1, "after_seq": 5})["type"] == "ack"
        replayed = reader.backlog
        messages = [f for f in replayed if f["type"] == "message"]
    assert [m["seq"] for m in messages] == list(range(6, 506))
    assert [m["data"]["html"] for m in messages[:2]] == ["<p>late 0</p>", "<p>late 1</p>"]


@pytest.mark.fast_limits
def test_resume_with_messages_arriving_during_replay_has_no_gap_or_duplicate(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, spaces: Spaces) -> None:
    signed_in(live_app, world.student_a.email)
    other = make_client(world.faculty_a.email)
    with connect(other) as raw_sender:
        sender = Socket(raw_sender)
        for index in range(1200):
            sender.ws.send_text(json.dumps({"type": "send", "conversation": spaces.cohort_a1, "client_msg_id": f"pre-{index}", "body": f"pre {index}", "ref": f"p{index}"}))
        with connect(live_app) as raw_reader:
            reader = Socket(raw_reader)
            reader.ws.send_text(json.dumps({"type": "subscribe", "conversation": spaces.cohort_a1, "after_seq": 0, "ref": "sub"}))
            for index in range(300):
                sender.ws.send_text(json.dumps({"type": "send", "conversation": spaces.cohort_a1, "client_msg_id": f"during-{index}", "body": f"during {index}", "ref": f"d{index}"}))
            acked = 0
            while acked < 1500:
                frame = sender.receive()
                if frame["type"] == "ack":
                    acked += 1
                else:
                    assert frame["type"] != "error", frame
            seqs = [reader.next("message")["seq"] for _ in range(1500)]
    assert seqs == list(range(1, 1501))


def test_send_to_another_cohort_is_refused_and_stores_nothing(live_app: TestClient, make_client: Callable[[str], TestClient], settings: Settings, world: World, spaces: Spaces) -> None:
    """SEC-F3, SEC-A4: a person of A cannot subscribe or send to B's cohort space; the
    refusal is the same as for a conversation that does not exist (SEC-A2)."""
    signed_in(live_app, world.student_a.email)
    insider = make_client(world.participant_b.email)
    with connect(live_app) as raw, connect(insider) as raw_insider:
        outsider, member = Socket(raw), Socket(raw_insider)
        member.request({"type": "subscribe", "conversation": spaces.cohort_b1})
        hidden = outsider.request({"type": "subscribe", "conversation": spaces.cohort_b1})
        missing = outsider.request({"type": "subscribe", "conversation": 999999})
        assert (hidden["type"], hidden["code"]) == ("error", "not_found")
        assert {k: v for k, v in hidden.items() if k != "ref"} == {k: v for k, v in missing.items() if k != "ref"}
        refused = outsider.request({"type": "send", "conversation": spaces.cohort_b1, "client_msg_id": "x", "body": "canary-B1"})
        assert refused["code"] == "not_found"
        member.request({"type": "send", "conversation": spaces.cohort_b1, "client_msg_id": "inside", "body": "canary inside"})
        assert outsider.request({"type": "ping"})["pong"] is True
        assert not any(f["type"] == "message" for f in outsider.backlog)
    assert count_messages(settings, spaces.cohort_b1) == 1


# --- bad input ----------------------------------------------------------------------------------------

BAD_FRAMES = [
    ("{", "invalid"),
    ("[]", "invalid"),
    ("null", "invalid"),
    ('{"type": 5}', "invalid"),
    ('{"type": "nonsense"}', "invalid"),
    ('{"type": "send", "conversation": "1", "client_msg_id": "a", "body": "x"}', "invalid"),
    ('{"type": "send", "conversation": 1.5, "client_msg_id": "a", "body": "x"}', "invalid"),
    ('{"type": "send", "conversation": CONV, "client_msg_id": 7, "body": "x"}', "invalid"),
    ('{"type": "send", "conversation": CONV, "client_msg_id": "ok", "body": ["x"]}', "invalid"),
    ('{"type": "send", "conversation": CONV, "client_msg_id": "ok", "body": "a\\u0000b"}', "invalid"),
    ('{"type": "send", "conversation": CONV, "client_msg_id": "ok", "body": NaN}', "invalid"),
    ('{"type": "subscribe", "conversation": true}', "invalid"),
    ('{"type": "subscribe", "conversation": -1}', "invalid"),
    ('{"type": "react", "conversation": CONV, "seq": 1, "emoji": "<script>"}', "not_found"),
    ("[" * 10000 + "]" * 10000, "invalid"),
    ('{"type": "send", "conversation": CONV, "client_msg_id": "big", "body": "' + "x" * 10001 + '"}', "invalid"),
    ('{"type": "ping", "pad": "' + "y" * (70 * 1024) + '"}', "too_large"),
]


@pytest.mark.parametrize(("raw", "code"), BAD_FRAMES, ids=[f"bad-{i}" for i in range(len(BAD_FRAMES))])
def test_bad_frame_gets_error_and_connection_stays_usable(live_app: TestClient, settings: Settings, world: World, spaces: Spaces, raw: str, code: str) -> None:
    signed_in(live_app, world.student_a.email)
    with connect(live_app) as ws:
        socket = Socket(ws)
        ws.send_text(raw.replace("CONV", str(spaces.cohort_a1)))
        error = socket.receive()
        assert (error["type"], error["code"]) == ("error", code), error
        assert socket.request({"type": "ping"})["type"] == "ack"
    assert count_messages(settings, spaces.cohort_a1) == 0


def test_binary_frame_gets_error(live_app: TestClient, world: World, spaces: Spaces) -> None:
    signed_in(live_app, world.student_a.email)
    with connect(live_app) as ws:
        socket = Socket(ws)
        ws.send_bytes(b"\x00\x01binary")
        assert socket.receive()["code"] == "invalid"
        assert socket.request({"type": "ping"})["type"] == "ack"


def test_flood_is_rate_limited_and_server_stays_up(live_app: TestClient, make_client: Callable[[str], TestClient], settings: Settings, world: World, spaces: Spaces) -> None:
    """SEC-F9: 2,000 sends in a burst: most are refused with rate_limited, the socket is
    closed for ignoring the refusals, at most the bucket's worth is stored (every acked one),
    and a fresh connection still works."""
    signed_in(live_app, world.student_a.email)
    replies: list[dict[str, Any]] = []
    with connect(live_app) as ws:
        Socket(ws)
        for index in range(2000):
            ws.send_text(json.dumps({"type": "send", "conversation": spaces.cohort_a1, "client_msg_id": f"flood-{index}", "body": "flood", "ref": index}))
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                replies.append(json.loads(ws.receive_text()))
    assert closed.value.code == 1008
    limited = [r for r in replies if r.get("code") == "rate_limited"]
    assert limited and all(r["retry_after"] >= 1 for r in limited)
    # Every ack means a commit; sends still in flight when the socket closed may or may not
    # be stored (no ack: the client resends with the same client_msg_id). On a busy machine
    # the close can come before the first commit, so zero stored is allowed.
    acked = [r for r in replies if r.get("type") == "ack"]
    stored = count_messages(settings, spaces.cohort_a1)
    assert len(acked) <= stored < 200
    with connect(make_client(world.faculty_a.email)) as ws:
        assert Socket(ws).request({"type": "ping"})["type"] == "ack"


# --- presence, edits, revocation -----------------------------------------------------------------------


def test_presence_join_and_leave_are_seen_by_others(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, spaces: Spaces) -> None:
    signed_in(live_app, world.student_a.email)
    other = make_client(world.faculty_a.email)
    with connect(live_app) as raw:
        watcher = Socket(raw)
        first = watcher.request({"type": "subscribe", "conversation": spaces.cohort_a1})
        assert [p["name"] for p in first["present"]] == ["Sam Student"]
        with connect(other) as raw_other:
            joined = Socket(raw_other).request({"type": "subscribe", "conversation": spaces.cohort_a1})
            assert sorted(p["name"] for p in joined["present"]) == ["Fran Faculty", "Sam Student"]
        events = [watcher.next("presence") for _ in range(3)]
    seen = [(e["op"], e["data"]["person"]["name"]) for e in events]
    assert seen == [("join", "Sam Student"), ("join", "Fran Faculty"), ("leave", "Fran Faculty")]


def test_edit_delete_react_and_moderation_rights(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, spaces: Spaces) -> None:
    signed_in(live_app, world.student_a.email)
    peer = make_client(world.faculty_a.email)
    facilitator = make_client(world.facilitator_a.email)
    conv = spaces.cohort_a1
    with connect(live_app) as raw_author, connect(peer) as raw_peer, connect(facilitator) as raw_fac:
        author, other, moderator = Socket(raw_author), Socket(raw_peer), Socket(raw_fac)
        other.request({"type": "subscribe", "conversation": conv})
        author.request({"type": "send", "conversation": conv, "client_msg_id": "e1", "body": "first draft"})
        assert author.request({"type": "edit", "conversation": conv, "seq": 1, "body": "second draft"})["type"] == "ack"
        edited = other.next("edited")
        assert edited["data"]["html"] == "<p>second draft</p>" and edited["data"]["edited_at"]
        assert other.request({"type": "edit", "conversation": conv, "seq": 1, "body": "hijack"})["code"] == "forbidden"
        assert other.request({"type": "delete", "conversation": conv, "seq": 1})["code"] == "forbidden"
        reacted = other.request({"type": "react", "conversation": conv, "seq": 1, "emoji": "heart"})
        assert reacted["counts"] == {"heart": 1}
        assert other.next("reaction")["data"]["counts"] == {"heart": 1}
        assert other.request({"type": "react", "conversation": conv, "seq": 1, "emoji": "skull"})["code"] == "invalid"
        assert moderator.request({"type": "delete", "conversation": conv, "seq": 1})["type"] == "ack"
        deleted = other.next("deleted")
        assert deleted["data"]["deleted"] is True and deleted["data"]["html"] == ""
        assert other.request({"type": "mark_read", "conversation": conv, "seq": 99})["last_read_seq"] == 1


def test_socket_closed_when_session_is_revoked(live_app: TestClient, world: World, spaces: Spaces, monkeypatch: pytest.MonkeyPatch) -> None:
    """SEC-F5, SEC-D5: after sign-out elsewhere, the next frame finds the session gone."""
    monkeypatch.setattr(gateway, "REVALIDATE_SECONDS", 0.0)
    signed_in(live_app, world.student_a.email)
    with connect(live_app) as raw:
        socket = Socket(raw)
        assert socket.request({"type": "ping"})["type"] == "ack"
        token = csrf_from(live_app.get("/"))
        live_app.post("/logout", data={"csrf_token": token}, follow_redirects=False)
        raw.send_text(json.dumps({"type": "ping", "ref": "after"}))
        with pytest.raises(WebSocketDisconnect) as closed:
            while True:
                raw.receive_text()
    assert closed.value.code == 4401


def test_form_post_appears_live(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, spaces: Spaces) -> None:
    """One intent, one service function: a form post reaches WebSocket subscribers."""
    signed_in(live_app, world.student_a.email)
    poster = make_client(world.faculty_a.email)
    with connect(live_app) as raw:
        reader = Socket(raw)
        reader.request({"type": "subscribe", "conversation": spaces.consortium})
        page = poster.get(f"/conversations/{spaces.consortium}")
        token = csrf_from(page)
        response = poster.post(
            f"/conversations/{spaces.consortium}/messages", data={"csrf_token": token, "client_msg_id": "form-1", "body": "from the form"}, follow_redirects=False
        )
        assert response.status_code == 303
        assert reader.next("message")["data"]["html"] == "<p>from the form</p>"


def test_typing_reaches_other_subscribers_and_needs_a_subscription(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, spaces: Spaces) -> None:
    signed_in(live_app, world.student_a.email)
    other = make_client(world.faculty_a.email)
    with connect(live_app) as raw_typist, connect(other) as raw_other:
        typist, watcher = Socket(raw_typist), Socket(raw_other)
        assert typist.request({"type": "typing", "conversation": spaces.cohort_a1})["code"] == "not_found"
        watcher.request({"type": "subscribe", "conversation": spaces.cohort_a1})
        typist.request({"type": "subscribe", "conversation": spaces.cohort_a1})
        raw_typist.send_text(json.dumps({"type": "typing", "conversation": spaces.cohort_a1}))
        typing = watcher.next("typing")
        assert typing["data"] == {"conversation": spaces.cohort_a1, "person": {"id": world.student_a.id, "name": "Sam Student"}}


def test_mentions_reach_only_people_who_can_read_the_conversation(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, spaces: Spaces) -> None:
    """SEC-A3: mentioning someone outside the space neither renders their name nor notifies them."""
    signed_in(live_app, world.student_a.email)
    insider_client = make_client(world.faculty_a.email)
    outsider_client = make_client(world.participant_b.email)
    with connect(live_app) as raw, connect(insider_client) as raw_insider, connect(outsider_client) as raw_outsider:
        author, insider, outsider = Socket(raw), Socket(raw_insider), Socket(raw_outsider)
        body = f"@**Fran Faculty|{world.faculty_a.id}** and @**Blair Participant|{world.participant_b.id}** please read"
        author.request({"type": "send", "conversation": spaces.cohort_a1, "client_msg_id": "mention-1", "body": body})
        mention = insider.next("mention")
        assert mention["topic"] == f"person:{world.faculty_a.id}" and mention["data"]["seq"] == 1
        assert outsider.request({"type": "ping"})["type"] == "ack"
        assert not any(f["type"] == "mention" for f in outsider.backlog)
        insider.request({"type": "subscribe", "conversation": spaces.cohort_a1, "after_seq": 0})
        html = insider.next("message")["data"]["html"]
    assert 'data-person="%d"' % world.faculty_a.id in html
    assert "data-person=\"%d\"" % world.participant_b.id not in html and "@Blair Participant" in html
