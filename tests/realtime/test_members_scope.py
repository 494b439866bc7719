"""Members-only conversations (team channels, breakouts, back-channels): only the people on the
list read them, through every door (SEC-A2, SEC-F3, DOMAIN privacy rules), and a change of the
list reaches open sockets at once."""

from __future__ import annotations

from typing import Callable

from starlette.testclient import TestClient

from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import Conversation, ConversationKind
from artme_cop.notifications import service as notifications
from artme_cop.policy import SpaceScope
from tests.factories import World
from tests.realtime.conftest import Spaces, signed_in
from tests.realtime.test_gateway import Socket, connect


def open_members_room(client: TestClient, members: dict[int, bool]) -> int:
    async def run() -> int:
        async with client.app.state.uow() as uow:  # type: ignore[attr-defined]
            room = await conversations.open_conversation(uow, kind=ConversationKind.CHANNEL, scope=SpaceScope.MEMBERS, title="Team room")
            await conversations.set_members(uow, room, members)
            return room.id

    return client.portal.call(run)  # type: ignore[attr-defined]


def set_members(client: TestClient, conversation_id: int, members: dict[int, bool]) -> set[int]:
    async def run() -> set[int]:
        async with client.app.state.uow() as uow:  # type: ignore[attr-defined]
            room = await uow.session.get(Conversation, conversation_id)
            return await conversations.set_members(uow, room, members)

    return client.portal.call(run)  # type: ignore[attr-defined]


def test_only_members_subscribe_send_and_list(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, spaces: Spaces) -> None:
    """A program admin and a same-cohort peer are outsiders of a members-only room: their
    subscribe and send get the same not_found as a missing id, and the room is not listed."""
    room = open_members_room(live_app, {world.student_a.id: False, world.facilitator_a.id: True})
    signed_in(live_app, world.student_a.email)
    admin = make_client(world.admin.email)
    peer = make_client(world.faculty_a.email)
    with connect(live_app) as member_ws, connect(admin) as admin_ws, connect(peer) as peer_ws:
        member, outsider_admin, outsider_peer = Socket(member_ws), Socket(admin_ws), Socket(peer_ws)
        assert member.request({"type": "subscribe", "conversation": room})["type"] == "ack"
        for outsider in (outsider_admin, outsider_peer):
            refused = outsider.request({"type": "subscribe", "conversation": room})
            assert (refused["type"], refused["code"]) == ("error", "not_found")
            sent = outsider.request({"type": "send", "conversation": room, "client_msg_id": "x1", "body": "let me in"})
            assert (sent["type"], sent["code"]) == ("error", "not_found")
        assert member.request({"type": "send", "conversation": room, "client_msg_id": "m1", "body": "hello team"})["type"] == "ack"
        assert member.next("message")["data"]["html"] == "<p>hello team</p>"
    assert live_app.get(f"/conversations/{room}").status_code == 200
    assert admin.get(f"/conversations/{room}").status_code == 404
    assert "Team room" not in admin.get("/conversations").text
    assert "Team room" in live_app.get("/conversations").text


def test_removed_member_stops_hearing_at_once_and_is_told(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, spaces: Spaces) -> None:
    """Taking someone off the list unsubscribes their open socket without waiting for the
    periodic check; adding them back lets them subscribe again."""
    room = open_members_room(live_app, {world.student_a.id: False, world.facilitator_a.id: True})
    signed_in(live_app, world.student_a.email)
    facilitator = make_client(world.facilitator_a.email)
    with connect(live_app) as student_ws, connect(facilitator) as facilitator_ws:
        student, moderator = Socket(student_ws), Socket(facilitator_ws)
        assert student.request({"type": "subscribe", "conversation": room})["type"] == "ack"
        assert moderator.request({"type": "subscribe", "conversation": room})["type"] == "ack"

        assert set_members(live_app, room, {world.facilitator_a.id: True}) == {world.student_a.id}
        assert student.next("unsubscribed") == {"type": "unsubscribed", "conversation": room, "reason": "no_access"}
        assert moderator.request({"type": "send", "conversation": room, "client_msg_id": "f1", "body": "after removal"})["type"] == "ack"
        assert student.request({"type": "ping"})["type"] == "ack"
        assert all(frame.get("type") != "message" for frame in student.backlog)
        again = student.request({"type": "subscribe", "conversation": room, "after_seq": 0})
        assert (again["type"], again["code"]) == ("error", "not_found")

        set_members(live_app, room, {world.facilitator_a.id: True, world.student_a.id: False})
        rejoined = student.request({"type": "subscribe", "conversation": room, "after_seq": 0})
        assert rejoined["type"] == "ack", rejoined
        assert [m["data"]["html"] for m in student.backlog if m["type"] == "message"] == ["<p>after removal</p>"]


def test_moderators_on_the_list_moderate_and_others_do_not(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, spaces: Spaces) -> None:
    """The list's moderator flag, not a cohort role, decides who deletes others' messages."""
    room = open_members_room(live_app, {world.student_a.id: False, world.faculty_a.id: False, world.facilitator_a.id: True})
    signed_in(live_app, world.student_a.email)
    faculty = make_client(world.faculty_a.email)
    facilitator = make_client(world.facilitator_a.email)
    with connect(live_app) as student_ws, connect(faculty) as faculty_ws, connect(facilitator) as facilitator_ws:
        student, peer, moderator = Socket(student_ws), Socket(faculty_ws), Socket(facilitator_ws)
        sent = student.request({"type": "send", "conversation": room, "client_msg_id": "s1", "body": "words"})
        refused = peer.request({"type": "delete", "conversation": room, "seq": sent["seq"]})
        assert (refused["type"], refused["code"]) == ("error", "forbidden")
        assert moderator.request({"type": "delete", "conversation": room, "seq": sent["seq"]})["type"] == "ack"


def test_mentions_and_notifications_reach_members_only(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, spaces: Spaces) -> None:
    """A mention of an outsider is not resolved, and a notification about the room is neither
    counted nor listed for someone who was taken off the list."""
    room = open_members_room(live_app, {world.student_a.id: False, world.facilitator_a.id: True})
    signed_in(live_app, world.student_a.email)
    with connect(live_app) as student_ws:
        student = Socket(student_ws)
        body = f"thanks @**{world.faculty_a.display_name}|{world.faculty_a.id}** and @**{world.facilitator_a.display_name}|{world.facilitator_a.id}**"
        sent = student.request({"type": "send", "conversation": room, "client_msg_id": "m1", "body": body})
        assert sent["type"] == "ack"

    async def unread(person_id: int) -> int:
        async with live_app.app.state.uow() as uow:  # type: ignore[attr-defined]
            from artme_cop.identity import service as identity

            [actor] = await identity.actors_for(uow, [person_id])
            return await notifications.unread_count(uow, actor)

    async def notify_both() -> None:
        async with live_app.app.state.uow() as uow:  # type: ignore[attr-defined]
            about = await uow.session.get(Conversation, room)
            await notifications.notify(
                uow, recipients=[world.facilitator_a.id, world.faculty_a.id], kind="mention", conversation=about, seq=sent["seq"],
                actor_id=world.student_a.id, summary="in the team room", link=f"/conversations/{room}",
            )

    live_app.portal.call(notify_both)  # type: ignore[attr-defined]
    assert live_app.portal.call(unread, world.faculty_a.id) == 0  # type: ignore[attr-defined]
    facilitator_unread = live_app.portal.call(unread, world.facilitator_a.id)  # type: ignore[attr-defined]
    assert facilitator_unread >= 1
    set_members(live_app, room, {world.student_a.id: False})
    assert live_app.portal.call(unread, world.facilitator_a.id) == facilitator_unread - 1  # type: ignore[attr-defined]
    facilitator = make_client(world.facilitator_a.email)
    assert "in the team room" not in facilitator.get("/notifications").text


def test_set_members_refuses_a_scoped_conversation(live_app: TestClient, world: World, spaces: Spaces) -> None:
    async def run() -> str:
        async with live_app.app.state.uow() as uow:  # type: ignore[attr-defined]
            lounge = await uow.session.get(Conversation, spaces.cohort_a1)
            try:
                await conversations.set_members(uow, lounge, {world.student_a.id: False})
            except Exception as exc:  # noqa: BLE001 - the test reads the error's type and text
                return f"{type(exc).__name__}: {exc}"
            return "accepted"

    assert live_app.portal.call(run) == "Invalid: Only a members-only conversation has a member list."  # type: ignore[attr-defined]
