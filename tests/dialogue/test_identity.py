"""Identity modes hold everywhere (issue #5, DOMAIN.md): in pseudonymous and anonymous rooms
no frame, page, presence list, typing event, search result or mention reveals a participant
to peers; a break-glass reveal needs a reason, is logged and tells the school's lead."""

from __future__ import annotations

import json
from typing import Callable

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from artme_cop.moderation.models import AuditEntry
from artme_cop.notifications.models import Notification
from tests.dialogue.conftest import Room, Socket, accept, connect, run, say, schedule, tool
from tests.factories import World
from tests.support import csrf_from


def _enter_both(app_client: TestClient, browser: Callable[[str], TestClient], world: World, mode: str) -> Room:
    room = schedule(app_client, world, mode=mode)
    assert accept(browser(world.student_a.email), room) == 303
    assert accept(browser(world.faculty_a.email), room) == 303
    return room


@pytest.mark.parametrize(("mode", "shown"), [("pseudonymous", None), ("anonymous", "Participant")])
def test_peers_never_see_who_speaks(app_client: TestClient, browser: Callable[[str], TestClient], world: World, mode: str, shown: str | None) -> None:
    room = _enter_both(app_client, browser, world, mode)
    student, faculty = browser(world.student_a.email), browser(world.faculty_a.email)
    with connect(student) as raw_s, connect(faculty) as raw_t, connect(browser(world.facilitator_a.email)) as raw_f:
        s, t, fac = Socket(raw_s), Socket(raw_t), Socket(raw_f)
        tool(fac, room, "move", to="open")
        joined = t.request({"type": "subscribe", "conversation": room.main})
        assert s.request({"type": "subscribe", "conversation": room.main})["type"] == "ack"
        own, presence = t.next("presence"), t.next("presence")
        assert own["data"]["person"]["name"] != presence["data"]["person"]["name"] or shown is not None
        alias = presence["data"]["person"]["name"]
        assert alias != "Sam Student" and (shown is None or alias == shown)
        assert presence["data"]["person"]["id"] is None and presence["id"] != world.student_a.id
        assert all(p.get("name") != "Sam Student" for p in joined["present"])
        # Typing would identify people in a room of handles: it is not sent at all.
        s.ws.send_text(json.dumps({"type": "typing", "conversation": room.main}))
        mention = f"@**{world.faculty_a.display_name}|{world.faculty_a.id}** I hear you"
        assert say(s, room.main, mention, "s1")["type"] == "ack"
        message = t.next("message")
        assert message["data"]["author"] == {"id": None, "name": alias if shown is None else shown, "pronouns": ""}
        # A mention names nobody the room cannot already see: no person id, no resolved name.
        assert "data-person" not in message["data"]["html"] and str(world.faculty_a.id) not in message["data"]["html"]
        mentioned = t.next("mention")
        assert mentioned["data"]["by"]["id"] is None and mentioned["data"]["by"]["name"] != "Sam Student"
        snapshot = t.request({"type": "dialogue.raise_hand", "session": room.session})
        assert snapshot["type"] == "ack"
        s.request({"type": "dialogue.raise_hand", "session": room.session})
        state = t.request({"type": "dialogue.snapshot", "session": room.session})["room"]
        assert [q["person"]["id"] for q in state["queue"]] == [None, None]
        frames = json.dumps(t.backlog + [state, joined])
        assert "Sam Student" not in frames and "student@alder" not in frames
        assert all(f["type"] != "typing" for f in t.backlog)
        # The facilitator sees the handle too, never the name (break-glass only).
        assert "Sam Student" not in json.dumps(fac.request({"type": "dialogue.snapshot", "session": room.session}))
    page = faculty.get(f"/dialogue/{room.session}").text
    assert "I hear you" in page and "Sam Student" not in page
    facilitator_page = browser(world.facilitator_a.email).get(f"/dialogue/{room.session}").text
    assert "I hear you" in facilitator_page and "Sam Student" not in facilitator_page
    assert "I hear you" not in faculty.get("/forum/search?q=hear").text.replace("value=\"hear\"", "")


def test_pseudonyms_are_per_room_and_not_linkable(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    first = _enter_both(app_client, browser, world, "pseudonymous")
    second = _enter_both(app_client, browser, world, "pseudonymous")
    names = []
    with connect(browser(world.student_a.email)) as raw:
        s = Socket(raw)
        for room in (first, second):
            names.append(s.request({"type": "dialogue.snapshot", "session": room.session})["me"]["key"])
    assert names[0] != names[1]


def test_named_rooms_show_names_pronouns_and_typing(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = _enter_both(app_client, browser, world, "named")
    with connect(browser(world.student_a.email)) as raw_s, connect(browser(world.faculty_a.email)) as raw_t, connect(browser(world.facilitator_a.email)) as raw_f:
        s, t, fac = Socket(raw_s), Socket(raw_t), Socket(raw_f)
        tool(fac, room, "move", to="open")
        t.request({"type": "subscribe", "conversation": room.main})
        s.request({"type": "subscribe", "conversation": room.main})
        assert [t.next("presence")["data"]["person"]["name"] for _ in range(2)] == ["Fran Faculty", "Sam Student"]
        s.ws.send_text(json.dumps({"type": "typing", "conversation": room.main}))
        assert t.next("typing")["data"]["person"]["name"] == "Sam Student"
        assert fac.request({"type": "subscribe", "conversation": room.main})["type"] == "ack"
        facilitator = t.next("presence")["data"]["person"]
        assert (facilitator["name"], facilitator["facilitator"]) == ("Frankie Facilitator", True)


def test_break_glass_reveal_needs_a_reason_is_logged_and_tells_the_lead(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    room = _enter_both(app_client, browser, world, "anonymous")
    with connect(browser(world.student_a.email)) as raw_s, connect(browser(world.facilitator_a.email)) as raw_f:
        s, fac = Socket(raw_s), Socket(raw_f)
        tool(fac, room, "move", to="open")
        seq = say(s, room.main, "a worrying disclosure", "s1")["seq"]
    facilitator = browser(world.facilitator_a.email)
    token = csrf_from(facilitator.get(f"/dialogue/{room.session}"))
    no_reason = facilitator.post(f"/dialogue/{room.session}/reveal", data={"csrf_token": token, "seq": str(seq), "reason": ""})
    assert no_reason.status_code == 400 and "Sam Student" not in no_reason.text
    assert facilitator.post(f"/dialogue/{room.session}/reveal", data={"csrf_token": token, "seq": "99", "reason": "Risk of imminent harm."}).status_code == 404
    peer = browser(world.faculty_a.email)
    peer_token = csrf_from(peer.get(f"/dialogue/{room.session}"))
    refused = peer.post(f"/dialogue/{room.session}/reveal", data={"csrf_token": peer_token, "seq": str(seq), "reason": "Just curious who it was."})
    assert refused.status_code == 403 and "Sam Student" not in refused.text
    revealed = facilitator.post(f"/dialogue/{room.session}/reveal", data={"csrf_token": token, "seq": str(seq), "reason": "Risk of imminent harm."})
    assert revealed.status_code == 200 and "Sam Student" in revealed.text

    async def logged() -> tuple[list[tuple[int | None, str]], list[int]]:
        async with app_client.app.state.uow() as uow:  # type: ignore[attr-defined]
            entries = (await uow.session.execute(select(AuditEntry.actor_id, AuditEntry.detail).where(AuditEntry.action == "dialogue_reveal"))).all()
            told = (await uow.session.execute(select(Notification.recipient_id).where(Notification.kind == "warning"))).scalars().all()
            return [(a, str(d)) for a, d in entries], list(told)

    entries, told = run(app_client, logged)
    assert len(entries) == 1 and entries[0][0] == world.facilitator_a.id and "Risk of imminent harm." in entries[0][1]
    assert told == [world.lead_a.id]


def test_moderation_views_keep_the_alias(app_client: TestClient, browser: Callable[[str], TestClient], world: World) -> None:
    """The facilitators moderate the room, but its message history and queue show the alias."""
    from artme_cop.identity import service as identity
    from artme_cop.moderation import flags

    room = _enter_both(app_client, browser, world, "pseudonymous")
    with connect(browser(world.student_a.email)) as raw_s, connect(browser(world.facilitator_a.email)) as raw_f:
        s, fac = Socket(raw_s), Socket(raw_f)
        tool(fac, room, "move", to="open")
        seq = say(s, room.main, "first words", "s1")["seq"]
        assert s.request({"type": "edit", "conversation": room.main, "seq": seq, "body": "second words"})["type"] == "ack"

    async def history() -> str:
        async with app_client.app.state.uow() as uow:  # type: ignore[attr-defined]
            [actor] = await identity.actors_for(uow, [world.facilitator_a.id])
            found = await flags.message_history(uow, actor, room.main, seq)
            return json.dumps({"author": found.author, "names": [found.current.editor, *[e.editor for e in found.earlier]]})

    shown = json.loads(run(app_client, history))
    alias = shown["author"]["name"]
    assert shown["author"]["id"] is None and alias != "Sam Student"
    assert shown["names"] == [alias, alias]


def test_two_people_never_draw_the_same_alias_in_a_room(app_client: TestClient, browser: Callable[[str], TestClient], world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    """Random handles collide now and then in a large room; the second person gets another
    one instead of a failed entry (the benchmark's 300-person rooms hit this)."""
    from artme_cop.dialogue import service as dialogue_service
    from artme_cop.dialogue.models import DialogueParticipant

    draws = iter(["Calm Heron 11", "Calm Heron 11", "Calm Heron 11", "Warm Finch 12"])
    monkeypatch.setattr(dialogue_service, "_new_alias", lambda: next(draws))
    room = schedule(app_client, world, mode="pseudonymous")
    assert accept(browser(world.student_a.email), room) == 303
    assert accept(browser(world.faculty_a.email), room) == 303

    async def aliases() -> list[str]:
        async with app_client.app.state.uow(read_only=True) as uow:  # type: ignore[attr-defined]
            return sorted((await uow.session.execute(select(DialogueParticipant.alias))).scalars())

    assert run(app_client, aliases) == ["Calm Heron 11", "Warm Finch 12"]
