"""The notification pages over HTTP: one's own notifications only, unread ones marked, the
keyset "older" link, marking read (someone else's id, malformed ids: refused, nothing
changes), the email settings form, the JSON count and the navigation badge."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from artme_cop.notifications.models import Notification, NotificationPreference
from tests.conftest import make_client
from tests.factories import World
from tests.notifications.conftest import Recorder, notify_about
from tests.realtime.conftest import Spaces
from tests.support import csrf_from, sign_in, snapshot, soup


def items(response: httpx.Response) -> list[dict[str, Any]]:
    page = soup(response)
    return [
        {
            "id": int(li["data-id"]),
            "summary": li.select_one(".notification-summary a").get_text(strip=True),
            "link": li.select_one(".notification-summary a")["href"],
            "unread": "notification-unread" in li["class"],
        }
        for li in page.select("#notifications > li")
    ]


def badge(response: httpx.Response) -> str:
    count = soup(response).find(id="notification-count")
    assert count is not None and count["aria-live"] == "polite"
    return str(count["data-unread"])


async def read_state(app: Any) -> list[tuple[int, object]]:
    async with app.state.uow(read_only=True) as uow:
        return [tuple(row) for row in (await uow.session.execute(select(Notification.id, Notification.read_at).order_by(Notification.id))).all()]


async def test_page_lists_own_notifications_newest_first_with_unread_marked(app: Any, client: httpx.AsyncClient, world: World, spaces: Spaces) -> None:
    recorder = Recorder(app)
    first = (await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=1, summary="first for Sam"))[0]
    second = (await notify_about(recorder, spaces.cohort_a1, [world.student_a.id], seq=2, summary="second for Sam"))[0]
    await notify_about(recorder, spaces.consortium, [world.faculty_a.id], seq=3, summary="for Fran only")
    await sign_in(client, world.student_a.email)
    token = csrf_from(await client.get("/notifications/"))
    await client.post("/notifications/read", data={"id": str(first), "csrf_token": token})

    response = await client.get("/notifications/")

    assert response.status_code == 200
    assert items(response) == [
        {"id": second, "summary": "second for Sam", "link": f"/conversations/{spaces.cohort_a1}#m2", "unread": True},
        {"id": first, "summary": "first for Sam", "link": f"/conversations/{spaces.consortium}#m1", "unread": False},
    ]
    assert "for Fran only" not in response.text
    assert badge(response) == "1"


async def test_cohort_outsider_sees_nothing_in_page_count_or_badge(app: Any, client: httpx.AsyncClient, world: World, spaces: Spaces) -> None:
    """SEC-A3: notifying an A2 member about an A1 conversation leaves no trace for them."""
    await notify_about(Recorder(app), spaces.cohort_a1, [world.participant_a2.id, world.student_a.id], summary="canary-A1-notification")
    await sign_in(client, world.participant_a2.email)

    page = await client.get("/notifications/")
    assert items(page) == [] and "canary-A1-notification" not in page.text
    assert badge(page) == "0"
    assert (await client.get("/notifications/unread")).json() == {"unread": 0}


async def test_older_link_pages_by_id(app: Any, client: httpx.AsyncClient, world: World, spaces: Spaces) -> None:
    recorder = Recorder(app)
    ids = [(await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=seq))[0] for seq in range(1, 33)]
    await sign_in(client, world.student_a.email)

    first = await client.get("/notifications/")
    older = soup(first).find("a", attrs={"rel": "next"})
    assert older is not None
    second = await client.get(str(older["href"]))

    assert [i["id"] for i in items(first) + items(second)] == ids[::-1]
    assert soup(second).find("a", attrs={"rel": "next"}) is None
    assert (await client.get("/notifications/?before=abc")).status_code == 200  # a bad key is the first page


async def test_mark_one_and_all_read(app: Any, client: httpx.AsyncClient, world: World, spaces: Spaces) -> None:
    recorder = Recorder(app)
    first = (await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=1))[0]
    await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=2)
    await sign_in(client, world.student_a.email)
    token = csrf_from(await client.get("/notifications/"))

    one = await client.post("/notifications/read", data={"id": str(first), "csrf_token": token})
    assert one.status_code == 303 and one.headers["location"] == "/notifications/"
    assert (await client.get("/notifications/unread")).json() == {"unread": 1}

    everything = await client.post("/notifications/read", data={"all": "1", "csrf_token": token})
    assert everything.status_code == 303
    assert (await client.get("/notifications/unread")).json() == {"unread": 0}
    assert all(read_at is not None for _, read_at in await read_state(app))


@pytest.mark.parametrize(
    ("data", "status"),
    [({"id": "OTHER"}, 404), ({"id": "987654"}, 404), ({"id": "abc"}, 400), ({"id": "-3"}, 400), ({"id": "1e3"}, 400), ({}, 400)],
    ids=["someone-elses", "missing", "letters", "negative", "exponent", "nothing-chosen"],
)
async def test_mark_read_refuses_bad_ids_and_changes_nothing(app: Any, client: httpx.AsyncClient, world: World, spaces: Spaces, data: dict[str, str], status: int) -> None:
    recorder = Recorder(app)
    [theirs] = await notify_about(recorder, spaces.consortium, [world.faculty_a.id])
    await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=2)
    await sign_in(client, world.student_a.email)
    token = csrf_from(await client.get("/notifications/"))
    chosen = {key: str(theirs) if value == "OTHER" else value for key, value in data.items()}
    before = await snapshot(app)

    response = await client.post("/notifications/read", data={**chosen, "csrf_token": token})

    assert response.status_code == status
    assert await snapshot(app) == before


async def test_someone_elses_id_answers_like_a_missing_one(app: Any, client: httpx.AsyncClient, world: World, spaces: Spaces) -> None:
    """SEC-A2: the ids of other people's notifications cannot be probed."""
    [theirs] = await notify_about(Recorder(app), spaces.consortium, [world.faculty_a.id])
    await sign_in(client, world.student_a.email)
    token = csrf_from(await client.get("/notifications/"))
    other = await client.post("/notifications/read", data={"id": str(theirs), "csrf_token": token})
    missing = await client.post("/notifications/read", data={"id": "987654", "csrf_token": token})
    assert other.status_code == missing.status_code == 404
    assert other.content == missing.content


async def test_settings_form_saves_the_email_mode(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.student_a.email)
    page = await client.get("/notifications/settings")
    checked = soup(page).find("input", attrs={"name": "email_mode", "checked": True})
    assert checked is not None and checked["value"] == "daily"
    for radio in soup(page).find_all("input", attrs={"name": "email_mode"}):
        assert soup(page).find("label", attrs={"for": radio["id"]}) is not None

    response = await client.post("/notifications/settings", data={"email_mode": "immediate", "csrf_token": csrf_from(page)})

    assert response.status_code == 303
    shown = await client.get(response.headers["location"])
    assert soup(shown).find("input", attrs={"name": "email_mode", "checked": True})["value"] == "immediate"
    assert soup(shown).find(attrs={"role": "status"}) is not None


@pytest.mark.parametrize("mode", ["weekly", "", "IMMEDIATE", "daily\n"])
async def test_settings_refuse_an_unknown_mode_and_change_nothing(app: Any, client: httpx.AsyncClient, world: World, mode: str) -> None:
    await sign_in(client, world.student_a.email)
    token = csrf_from(await client.get("/notifications/settings"))
    before = await snapshot(app)

    response = await client.post("/notifications/settings", data={"email_mode": mode, "csrf_token": token})

    assert response.status_code == 400
    assert soup(response).find(id="email_mode-error") is not None
    assert await snapshot(app) == before
    async with app.state.uow(read_only=True) as uow:
        assert (await uow.session.execute(select(NotificationPreference))).first() is None


async def test_unread_json_counts_own_unread(app: Any, client: httpx.AsyncClient, world: World, spaces: Spaces) -> None:
    recorder = Recorder(app)
    await notify_about(recorder, spaces.consortium, [world.student_a.id], seq=1)
    await notify_about(recorder, spaces.institution_a, [world.student_a.id], seq=2)
    await sign_in(client, world.student_a.email)
    response = await client.get("/notifications/unread")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"unread": 2}


async def test_every_signed_in_page_shows_the_badge_and_loads_its_script(app: Any, client: httpx.AsyncClient, world: World, spaces: Spaces) -> None:
    await notify_about(Recorder(app), spaces.consortium, [world.student_a.id])
    await sign_in(client, world.student_a.email)
    for path in ("/", "/me", "/conversations/", f"/conversations/{spaces.consortium}"):
        response = await client.get(path)
        assert badge(response) == "1", path
        link = soup(response).find("a", attrs={"href": "/notifications/"})
        assert link is not None and link.get_text(" ", strip=True) == "Notifications 1 unread"
        assert soup(response).find("script", attrs={"src": "/static/js/notifications.js"}) is not None


async def test_anonymous_visitors_are_sent_to_sign_in(app: Any, world: World) -> None:
    async with make_client(app) as anonymous:
        for path in ("/notifications/", "/notifications/unread", "/notifications/settings"):
            response = await anonymous.get(path)
            assert response.status_code == 303 and response.headers["location"].startswith("/login"), path
        page = await anonymous.get("/login")
        assert soup(page).find(id="notification-count") is None
