"""The session calendar: who sees which session (never another cohort's), "my upcoming
sessions" on the home page, who may schedule what, bad input changing nothing, and the
private iCalendar feed (parsed with the icalendar library; only the person's sessions; a
revoked or wrong address is a plain 404)."""

from __future__ import annotations

from datetime import timedelta, timezone
from typing import Any

import httpx
import pytest
from icalendar import Calendar
from sqlalchemy import select

from artme_cop.moderation.models import AuditEntry
from artme_cop.program.calendar.models import CalendarFeed, ProgramSession
from tests.conftest import make_client
from tests.factories import World
from tests.program.conftest import schedule
from tests.support import post_form, sign_in, snapshot, soup, text_of


async def seed_sessions(app: Any, world: World) -> dict[str, int]:
    return {
        "a1": await schedule(app, world.coach, title="A1 framing", audience="cohorts", cohorts=(world.cohort_a1.id,), phase="3"),
        "a2": await schedule(app, world.lead_a, title="A2 coaching", audience="cohorts", cohorts=(world.cohort_a2.id,), kind="coaching_outcome_mapping"),
        "alder": await schedule(app, world.lead_a, title="Alder site visit", audience=f"institution:{world.institution_a.id}", kind="site_visit"),
        "birch": await schedule(app, world.lead_b, title="Birch site visit", audience=f"institution:{world.institution_b.id}", kind="site_visit"),
        "b1": await schedule(app, world.lead_b, title="B1 framing", audience="cohorts", cohorts=(world.cohort_b1.id,)),
        "all": await schedule(app, world.admin, title="Phase 3 introduction", audience="all", kind="phase_introduction", days=5, phase="3"),
    }


TITLES = {"a1": "A1 framing", "a2": "A2 coaching", "alder": "Alder site visit", "birch": "Birch site visit", "b1": "B1 framing", "all": "Phase 3 introduction"}
INVITED = {
    "student_a": {"a1", "alder", "all"},
    "coach": {"a1", "alder", "all"},  # the coach of A1 belongs to Alder
    "participant_a2": {"a2", "alder", "all"},
    "participant_b": {"birch", "b1", "all"},
    "lead_b": {"birch", "b1", "all"},
    "admin": {"all"},
}


def listed_titles(page: httpx.Response, heading_id: str) -> set[str]:
    section = soup(page).find("section", attrs={"aria-labelledby": heading_id})
    if section is None:
        return set()
    return {a.get_text(strip=True) for a in section.select(".session-list a")}


@pytest.mark.parametrize("persona", sorted(INVITED))
async def test_my_upcoming_sessions_are_the_invited_ones(app: Any, client: httpx.AsyncClient, world: World, persona: str) -> None:
    await seed_sessions(app, world)
    await sign_in(client, getattr(world, persona).email)
    expected = {TITLES[key] for key in INVITED[persona]}
    home = await client.get("/")
    assert listed_titles(home, "sessions-heading") == expected
    calendar_page = await client.get("/calendar/")
    assert listed_titles(calendar_page, "upcoming-heading") == expected


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("student_a", {"a1", "alder", "all"}),
        ("participant_a2", {"a2", "alder", "all"}),
        # A's lead manages A's sessions (its school's), never B's
        ("lead_a", {"a1", "a2", "alder", "all"}),
        ("lead_b", {"birch", "b1", "all"}),
        ("participant_b", {"birch", "b1", "all"}),
        ("admin", set(TITLES)),
    ],
)
async def test_session_pages_open_only_to_invitees_and_managers(app: Any, client: httpx.AsyncClient, world: World, persona: str, visible: set[str]) -> None:
    ids = await seed_sessions(app, world)
    await sign_in(client, getattr(world, persona).email)
    missing = await client.get("/calendar/sessions/987654")
    for key, session_id in ids.items():
        response = await client.get(f"/calendar/sessions/{session_id}")
        if key in visible:
            assert response.status_code == 200, key
        else:
            assert response.status_code == 404, key
            assert response.content == missing.content
            assert TITLES[key] not in response.text


async def test_past_and_cancelled_sessions_leave_the_upcoming_list(app: Any, client: httpx.AsyncClient, world: World, clock: Any) -> None:
    ids = await seed_sessions(app, world)
    await sign_in(client, world.coach.email)
    assert (await post_form(client, f"/calendar/sessions/{ids['a1']}/cancel", {}, token_from=f"/calendar/sessions/{ids['a1']}")).status_code == 303
    assert listed_titles(await client.get("/"), "sessions-heading") == {"Alder site visit", "Phase 3 introduction"}
    clock.advance(days=10)
    assert listed_titles(await client.get("/"), "sessions-heading") == set()
    async with app.state.uow(read_only=True) as uow:
        actions = (await uow.session.execute(select(AuditEntry.action).where(AuditEntry.target_kind == "session"))).scalars().all()
    assert actions.count("session_scheduled") == 6 and actions.count("session_cancelled") == 1


@pytest.mark.parametrize(("persona", "status"), [("student_a", 403), ("facilitator_a", 403), ("coach", 303), ("lead_a", 303), ("admin", 303), ("lead_b", 404), ("participant_b", 404)])
async def test_who_may_cancel_a_cohort_session(app: Any, client: httpx.AsyncClient, world: World, persona: str, status: int) -> None:
    ids = await seed_sessions(app, world)
    await sign_in(client, getattr(world, persona).email)
    before = await snapshot(app)
    response = await post_form(client, f"/calendar/sessions/{ids['a1']}/cancel", {})
    assert response.status_code == status
    if status != 303:
        assert await snapshot(app) == before


def session_form(world: World, **overrides: str) -> dict[str, str]:
    values = {
        "kind": "dialogue_framing", "title": "Framing: the hidden curriculum", "description": "Bring one example.", "phase": "3",
        "day": "2027-03-04", "start": "13:00", "end": "14:30", "timezone": "America/Chicago", "place": "Room 12", "link": "https://video.example.org/room",
        "audience": "cohorts", "cohorts": str(world.cohort_a1.id),
    }
    values.update(overrides)
    return values


async def test_coach_schedules_through_the_form(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.coach.email)
    page = await client.get("/calendar/new")
    assert page.status_code == 200
    offered = {int(box["value"]) for box in soup(page).select("input[name=cohorts]")}
    assert offered == {world.cohort_a1.id}
    assert soup(page).select("input[name=audience][value=all]") == []

    response = await post_form(client, "/calendar/sessions", session_form(world), token_from="/calendar/new")

    assert response.status_code == 303
    async with app.state.uow(read_only=True) as uow:
        [session] = (await uow.session.execute(select(ProgramSession))).scalars().all()
    # 13:00 in Chicago on 4 March 2027 (CST, UTC-6) is 19:00 UTC.
    assert session.starts_at.isoformat() == "2027-03-04T19:00:00+00:00"
    assert session.ends_at - session.starts_at == timedelta(minutes=90)
    assert (session.institution_id, session.created_by_id, session.phase) == (world.institution_a.id, world.coach.id, 3)
    shown = text_of(await client.get(response.headers["location"]))
    # the coach reads in UTC (not chosen yet), with the time as scheduled beside it
    assert "19:00–20:30 UTC (13:00 America/Chicago)" in shown


@pytest.mark.parametrize(
    ("persona", "overrides"),
    [
        ("coach", {"day": "2027-02-30"}),
        ("coach", {"day": "next tuesday"}),
        ("coach", {"start": "25:00"}),
        ("coach", {"start": "1pm"}),
        ("coach", {"timezone": "Mars/Olympus"}),
        ("coach", {"kind": "party"}),
        ("coach", {"phase": "7"}),
        ("coach", {"title": ""}),
        ("coach", {"title": "x\x00y"}),
        ("coach", {"link": "javascript:alert(1)"}),
        ("coach", {"cohorts": "987654"}),
        ("coach", {"cohorts": "abc"}),
        ("coach", {"cohorts": "99999999999999"}),
        ("coach", {"cohorts": "COHORT_B1"}),
        ("coach", {"cohorts": "COHORT_A2"}),
        ("coach", {"audience": "all", "kind": "phase_introduction"}),
        ("coach", {"audience": "INSTITUTION_A"}),
        ("lead_a", {"kind": "community_of_practice"}),
        ("lead_a", {"audience": "INSTITUTION_B"}),
        ("lead_a", {"cohorts": "COHORT_B1"}),
        ("student_a", {}),
        ("lead_b", {}),
    ],
)
async def test_bad_or_forbidden_sessions_are_400_and_change_nothing(app: Any, client: httpx.AsyncClient, world: World, persona: str, overrides: dict[str, str]) -> None:
    replacements = {
        "COHORT_B1": str(world.cohort_b1.id),
        "COHORT_A2": str(world.cohort_a2.id),
        "INSTITUTION_A": f"institution:{world.institution_a.id}",
        "INSTITUTION_B": f"institution:{world.institution_b.id}",
    }
    data = session_form(world, **{key: replacements.get(value, value) for key, value in overrides.items()})
    await sign_in(client, getattr(world, persona).email)
    before = await snapshot(app)

    response = await post_form(client, "/calendar/sessions", data)

    assert response.status_code == 400
    assert await snapshot(app) == before


# --- the iCalendar feed -------------------------------------------------------------------------


async def make_feed(client: httpx.AsyncClient) -> str:
    response = await post_form(client, "/calendar/feed", {}, token_from="/me")
    assert response.status_code == 200
    url = soup(response).find(id="feed-url").get_text(strip=True)
    assert url.startswith("http://testserver/calendar/feed/") and url.endswith(".ics")
    return url.removeprefix("http://testserver")


async def fetch_without_cookie(app: Any, path: str) -> httpx.Response:
    async with make_client(app) as calendar_program:
        return await calendar_program.get(path)


@pytest.mark.parametrize("persona", ["student_a", "participant_a2", "participant_b", "coach"])
async def test_feed_parses_and_holds_only_the_persons_sessions(app: Any, client: httpx.AsyncClient, world: World, persona: str) -> None:
    ids = await seed_sessions(app, world)
    await sign_in(client, getattr(world, persona).email)
    path = await make_feed(client)

    response = await fetch_without_cookie(app, path)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    events = {str(event["UID"]): event for event in calendar.walk("VEVENT")}
    expected = {key for key in INVITED[persona]}
    assert set(events) == {f"session-{ids[key]}@testserver" for key in expected}
    async with app.state.uow(read_only=True) as uow:
        rows = {row.id: row for row in (await uow.session.execute(select(ProgramSession))).scalars()}
    for key in expected:
        event = events[f"session-{ids[key]}@testserver"]
        row = rows[ids[key]]
        assert str(event["SUMMARY"]) == TITLES[key]
        assert event.decoded("DTSTART") == row.starts_at
        assert event.decoded("DTSTART").tzinfo is not None and event.decoded("DTSTART").utcoffset() == timezone.utc.utcoffset(None)
        assert event.decoded("DTEND") == row.ends_at
        assert str(event["STATUS"]) == "CONFIRMED"
    for key in set(TITLES) - expected:
        assert TITLES[key].encode() not in response.content


async def test_cancelled_session_stays_in_the_feed_as_cancelled(app: Any, client: httpx.AsyncClient, world: World) -> None:
    ids = await seed_sessions(app, world)
    async with make_client(app) as coach:
        await sign_in(coach, world.coach.email)
        await post_form(coach, f"/calendar/sessions/{ids['a1']}/cancel", {})
    await sign_in(client, world.student_a.email)
    calendar = Calendar.from_ical((await fetch_without_cookie(app, await make_feed(client))).content)
    statuses = {str(e["UID"]): str(e["STATUS"]) for e in calendar.walk("VEVENT")}
    assert statuses[f"session-{ids['a1']}@testserver"] == "CANCELLED"


async def test_revoked_and_replaced_feed_addresses_stop_working(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await seed_sessions(app, world)
    await sign_in(client, world.student_a.email)
    first = await make_feed(client)
    assert (await fetch_without_cookie(app, first)).status_code == 200
    unknown = await fetch_without_cookie(app, "/calendar/feed/" + "A" * 43 + ".ics")
    assert unknown.status_code == 404

    second = await make_feed(client)  # a new address replaces the old one
    assert second != first
    gone = await fetch_without_cookie(app, first)
    assert gone.status_code == 404 and gone.content == unknown.content
    assert (await fetch_without_cookie(app, second)).status_code == 200

    revoked = await post_form(client, "/calendar/feed/revoke", {}, token_from="/me")
    assert revoked.status_code == 303
    after = await fetch_without_cookie(app, second)
    assert after.status_code == 404 and after.content == unknown.content
    async with app.state.uow(read_only=True) as uow:
        assert (await uow.session.execute(select(CalendarFeed))).scalars().all() == []


async def test_feed_stores_only_a_hash_and_ends_with_the_account(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.student_a.email)
    path = await make_feed(client)
    token = path.removeprefix("/calendar/feed/").removesuffix(".ics")
    async with app.state.uow(read_only=True) as uow:
        [feed] = (await uow.session.execute(select(CalendarFeed))).scalars().all()
    assert token not in feed.token_hash and len(feed.token_hash) == 64
    assert token not in str(client.cookies)  # never put in the session cookie
    me = await client.get("/me")
    assert token not in me.text
    response = await post_form(client, "/me/delete", {"password": "Plum orchard 47 lanterns"}, token_from="/me/delete")
    assert response.status_code == 303
    assert (await fetch_without_cookie(app, path)).status_code == 404


@pytest.mark.parametrize("bad", ["short", "x" * 300, "%00" * 30, "..%2F..%2Fetc%2Fpasswd"])
async def test_malformed_feed_addresses_are_404(app: Any, world: World, bad: str) -> None:
    assert (await fetch_without_cookie(app, f"/calendar/feed/{bad}.ics")).status_code == 404


async def test_phase_page_links_its_forum_category_and_lists_its_sessions(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await seed_sessions(app, world)
    await sign_in(client, world.student_a.email)
    page = await client.get("/program/phases/3")
    assert page.status_code == 200
    links = {a["href"] for a in soup(page).find_all("a")}
    assert "/forum/c/creating-a-climate-for-change" in links
    assert listed_titles(page, "sessions-heading") == {"A1 framing", "Phase 3 introduction"}


async def test_curated_wins_name_the_next_community_of_practice_session(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.admin.email)
    assert "No community-of-practice session is scheduled yet" in text_of(await client.get("/wins/curated"))
    later = await schedule(app, world.admin, title="CoP: spring", audience="all", kind="community_of_practice", days=40)
    sooner = await schedule(app, world.admin, title="CoP: winter", audience="all", kind="community_of_practice", days=10)
    await schedule(app, world.admin, title="Phase 4 introduction", audience="all", kind="phase_introduction", days=2)
    link = soup(await client.get("/wins/curated")).select_one("main a[href^='/calendar/sessions/']")
    assert link is not None and link.text == "CoP: winter" and link["href"] == f"/calendar/sessions/{sooner}"
    assert later != sooner


async def test_a_manager_moves_a_session_and_the_feed_follows(app: Any, client: httpx.AsyncClient, world: World) -> None:
    session_id = await schedule(app, world.coach, title="A1 framing", audience="cohorts", cohorts=(world.cohort_a1.id,))
    await sign_in(client, world.coach.email)
    page = await client.get(f"/calendar/sessions/{session_id}/edit")
    form = {field["name"]: field.get("value", "") for field in soup(page).select("form input") if field.get("name")}
    assert form["title"] == "A1 framing" and form["start"] == "14:00"
    before = await snapshot(app)
    bad = await client.post(f"/calendar/sessions/{session_id}/edit", data={**form, "timezone": "America/Chicago", "description": "", "day": "2031-02-30"})
    assert bad.status_code == 400 and await snapshot(app) == before
    moved = await client.post(f"/calendar/sessions/{session_id}/edit", data={**form, "timezone": "America/Chicago", "description": "", "start": "16:00", "end": "17:00", "title": "A1 framing, moved"})
    assert moved.status_code == 303
    assert "A1 framing, moved" in text_of(await client.get(f"/calendar/sessions/{session_id}"))
    async with app.state.uow(read_only=True) as uow:
        session = await uow.session.get(ProgramSession, session_id)
        assert session is not None and session.starts_at.astimezone(timezone.utc).hour in (21, 22)  # 16:00 in Chicago, summer or winter
        actions = (await uow.session.execute(select(AuditEntry.action).where(AuditEntry.target_id == session_id))).scalars().all()
    assert "session_changed" in actions
    async with make_client(app) as student:
        await sign_in(student, world.student_a.email)
        assert (await student.get(f"/calendar/sessions/{session_id}/edit")).status_code == 403
        token = soup(await student.get("/calendar/")).find("input", attrs={"name": "csrf_token"})["value"]
        assert (await student.post(f"/calendar/sessions/{session_id}/edit", data={**form, "csrf_token": token})).status_code == 403
