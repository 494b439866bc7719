"""Notifications through the JSON API (/api/notifications): one's own only and only about
content one may still see, keyset pages by `before`, the unread count, marking read (someone
else's id answers like a missing one and nothing changes), the email mode, and bad input
answered by 400 JSON that changes nothing. Responses are checked against /api/openapi.json."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from artme_cop.notifications import service as notifications
from artme_cop.notifications.models import Notification, NotificationPreference
from tests.factories import World
from tests.forum.api_support import api_client, assert_error, assert_schema, served_document
from tests.notifications.conftest import Recorder, notify_about
from tests.realtime.conftest import Spaces
from tests.support import snapshot

MISSING = 987654


@pytest.fixture
async def spec(app: Any) -> dict[str, Any]:
    return await served_document(app)


async def read_state(app: Any) -> dict[int, bool]:
    async with app.state.uow(read_only=True) as uow:
        rows = (await uow.session.execute(select(Notification.id, Notification.read_at))).all()
    return {notification_id: read_at is not None for notification_id, read_at in rows}


async def test_list_shows_own_notifications_newest_first(app: Any, world: World, spaces: Spaces, spec: dict[str, Any]) -> None:
    recorder = Recorder(app)
    [first] = await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=1, summary="first for Sam")
    [second] = await notify_about(recorder, spaces.cohort_a1, [world.student_a.id], seq=2, summary="second for Sam")
    await notify_about(recorder, spaces.consortium, [world.faculty_a.id], seq=3, summary="for Fran only")
    async with api_client(app, world.student_a) as api:
        response = await api.get("/api/notifications")
    assert response.status_code == 200
    assert_schema(spec, "NotificationPage", response.json())
    listed = response.json()["notifications"]
    assert [(n["id"], n["summary"], n["read_at"]) for n in listed] == [(second, "second for Sam", None), (first, "first for Sam", None)]
    assert listed[0] | {"created_at": None} == {
        "id": second, "kind": "mention", "summary": "second for Sam", "link": f"/conversations/{spaces.cohort_a1}#m2",
        "conversation": spaces.cohort_a1, "seq": 2, "created_at": None, "read_at": None,
    }
    assert response.json()["next_before"] is None
    assert "for Fran only" not in response.text


async def test_nothing_about_a_space_one_may_not_read(app: Any, world: World, spaces: Spaces) -> None:
    """SEC-A3: notifying an A2 member about an A1 conversation leaves no trace for them."""
    await notify_about(Recorder(app), spaces.cohort_a1, [world.participant_a2.id, world.student_a.id], summary="canary-A1-notification")
    async with api_client(app, world.participant_a2) as api:
        listed = await api.get("/api/notifications")
        unread = await api.get("/api/notifications/unread")
    assert listed.json() == {"notifications": [], "next_before": None}
    assert unread.json() == {"unread": 0}


async def test_pages_by_before_without_gaps_or_repeats(app: Any, world: World, spaces: Spaces) -> None:
    recorder = Recorder(app)
    ids = [(await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=seq))[0] for seq in range(1, notifications.PAGE_SIZE + 3)]
    async with api_client(app, world.student_a) as api:
        first = (await api.get("/api/notifications")).json()
        second = (await api.get("/api/notifications", before=first["next_before"])).json()
    assert len(first["notifications"]) == notifications.PAGE_SIZE
    assert [n["id"] for n in first["notifications"] + second["notifications"]] == ids[::-1]
    assert second["next_before"] is None


async def test_mark_some_then_all_read(app: Any, world: World, spaces: Spaces, spec: dict[str, Any]) -> None:
    recorder = Recorder(app)
    ids = [(await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=seq))[0] for seq in (1, 2, 3)]
    async with api_client(app, world.student_a) as api:
        assert (await api.get("/api/notifications/unread")).json() == {"unread": 3}
        some = await api.send("POST", "/api/notifications/read", {"ids": ids[:2]})
        assert some.status_code == 200 and some.json() == {"unread": 1}
        assert_schema(spec, "UnreadCount", some.json())
        listed = (await api.get("/api/notifications")).json()["notifications"]
        assert [n["read_at"] is not None for n in listed] == [False, True, True]
        everything = await api.send("POST", "/api/notifications/read", {"all": True})
        assert everything.json() == {"unread": 0}
        assert (await api.get("/api/notifications/unread")).json() == {"unread": 0}
    assert set((await read_state(app)).values()) == {True}


async def test_someone_elses_notification_answers_like_a_missing_one(app: Any, world: World, spaces: Spaces) -> None:
    """SEC-A2/SEC-A4: another person's id gets the bytes of a missing id; nothing is marked,
    not even the caller's own id sent along with it."""
    recorder = Recorder(app)
    [theirs] = await notify_about(recorder, spaces.consortium, [world.faculty_a.id], seq=1)
    [mine] = await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=2)
    async with api_client(app, world.student_a) as api:
        before = await snapshot(app)
        other = await api.send("POST", "/api/notifications/read", {"ids": [theirs]})
        mixed = await api.send("POST", "/api/notifications/read", {"ids": [mine, theirs]})
        missing = await api.send("POST", "/api/notifications/read", {"ids": [MISSING]})
        assert await snapshot(app) == before
    assert_error(other, 404, "not_found")
    assert other.content == missing.content == mixed.content
    assert await read_state(app) == {theirs: False, mine: False}


async def test_all_marks_only_ones_own(app: Any, world: World, spaces: Spaces) -> None:
    recorder = Recorder(app)
    [theirs] = await notify_about(recorder, spaces.consortium, [world.faculty_a.id], seq=1)
    [mine] = await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=2)
    async with api_client(app, world.student_a) as api:
        assert (await api.send("POST", "/api/notifications/read", {"all": True})).status_code == 200
    assert await read_state(app) == {theirs: False, mine: True}


BAD_READS = [
    ("empty-body", {}, "ids"),
    ("all-false", {"all": False}, "ids"),
    ("both", {"ids": [1], "all": True}, "all"),
    ("ids-empty", {"ids": []}, "ids"),
    ("ids-not-a-list", {"ids": 1}, "ids"),
    ("ids-strings", {"ids": ["1"]}, "ids"),
    ("ids-floats", {"ids": [1.0]}, "ids"),
    ("ids-bools", {"ids": [True]}, "ids"),
    ("ids-zero", {"ids": [0]}, "ids"),
    ("ids-negative", {"ids": [-4]}, "ids"),
    ("ids-huge", {"ids": [2**31]}, "ids"),
    ("ids-too-many", {"ids": list(range(1, notifications.MAX_IDS + 2))}, "ids"),
    ("all-string", {"all": "true"}, "all"),
    ("unknown-field", {"all": True, "everyone": True}, "everyone"),
]


@pytest.mark.parametrize(("case", "body", "field"), BAD_READS, ids=[case for case, _, _ in BAD_READS])
async def test_bad_mark_read_is_refused_and_changes_nothing(app: Any, world: World, spaces: Spaces, case: str, body: dict[str, object], field: str) -> None:
    await notify_about(Recorder(app), spaces.consortium, [world.student_a.id], seq=1)
    async with api_client(app, world.student_a) as api:
        before = await snapshot(app)
        response = await api.send("POST", "/api/notifications/read", body)
    assert_error(response, 400, "invalid", field)
    assert await snapshot(app) == before


async def test_email_mode_read_and_chosen(app: Any, world: World, spec: dict[str, Any]) -> None:
    async with api_client(app, world.student_a) as api:
        default = await api.get("/api/notifications/settings")
        chosen = await api.send("PUT", "/api/notifications/settings", {"email_mode": "immediate"})
        again = await api.get("/api/notifications/settings")
    assert_schema(spec, "EmailSetting", default.json())
    assert default.json() == {"email_mode": "daily"}
    assert chosen.status_code == 200 and chosen.json() == {"email_mode": "immediate"}
    assert again.json() == {"email_mode": "immediate"}
    async with app.state.uow(read_only=True) as uow:
        rows = (await uow.session.execute(select(NotificationPreference.person_id, NotificationPreference.email_mode))).all()
    assert [tuple(row) for row in rows] == [(world.student_a.id, "immediate")]


@pytest.mark.parametrize("body", [{"email_mode": "weekly"}, {"email_mode": ""}, {"email_mode": 1}, {"email_mode": None}, {}], ids=["weekly", "empty", "number", "null", "missing"])
async def test_unknown_email_mode_is_refused_and_changes_nothing(app: Any, world: World, body: dict[str, object]) -> None:
    async with api_client(app, world.student_a) as api:
        before = await snapshot(app)
        response = await api.send("PUT", "/api/notifications/settings", body)
    assert_error(response, 400, "invalid", "email_mode")
    assert await snapshot(app) == before


@pytest.mark.parametrize("before", ["abc", "0", "-1", "99999999999999999999"])
async def test_bad_page_key_is_refused(app: Any, world: World, before: str) -> None:
    async with api_client(app, world.student_a) as api:
        response = await api.get("/api/notifications", before=before)
    assert_error(response, 400, "invalid", "before")


async def test_every_operation_needs_a_session(app: Any, world: World, spaces: Spaces) -> None:
    [made] = await notify_about(Recorder(app), spaces.consortium, [world.student_a.id], seq=1)
    async with api_client(app, None) as anonymous:
        before = await snapshot(app)
        responses = [
            await anonymous.get("/api/notifications"),
            await anonymous.get("/api/notifications/unread"),
            await anonymous.get("/api/notifications/settings"),
            await anonymous.send("POST", "/api/notifications/read", {"ids": [made]}),
            await anonymous.send("PUT", "/api/notifications/settings", {"email_mode": "off"}),
        ]
        assert await snapshot(app) == before
    for response in responses:
        assert_error(response, 401, "sign_in_required")


async def test_writes_need_the_csrf_token(app: Any, world: World, spaces: Spaces) -> None:
    [made] = await notify_about(Recorder(app), spaces.consortium, [world.student_a.id], seq=1)
    async with api_client(app, world.student_a) as api:
        before = await snapshot(app)
        read = await api.http.post("/api/notifications/read", json={"ids": [made]})
        mode = await api.http.put("/api/notifications/settings", json={"email_mode": "off"})
        assert await snapshot(app) == before
    assert_error(read, 403, "csrf_failed")
    assert_error(mode, 403, "csrf_failed")
