"""Scheduled lab sessions in a person's calendar: the home page's and the calendar page's
upcoming sessions, and the private iCalendar feed, for the people on the session's teams and
its facilitator only. A session lasts 2.5 hours (DOMAIN.md); one without a start is in no
calendar."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable

from icalendar import Calendar
from starlette.testclient import TestClient

from artme_cop.labs import sessions
from artme_cop.unit_of_work import UnitOfWork
from tests.factories import World
from tests.labs.conftest import Team, actor_of, form_post, run
from tests.realtime.conftest import signed_in
from tests.support import soup


def schedule(client: TestClient, world: World, team_ids: list[int], title: str, starts: datetime | None) -> int:
    async def work(uow: UnitOfWork) -> int:
        facilitator = await actor_of(uow, world.facilitator_a.id)
        day, time = (f"{starts:%Y-%m-%d}", f"{starts:%H:%M}") if starts else ("", "")
        made = await sessions.create_session(
            uow, facilitator, title=title, concept="Bystander intervention", prework="Read the case.", exercise="Map the handover.", team_ids=[str(t) for t in team_ids], day=day, time=time
        )
        return made.id

    return run(client, work)


def upcoming_titles(client: TestClient, path: str) -> list[str]:
    section = soup(client.get(path)).find("section", attrs={"aria-labelledby": ["sessions-heading", "upcoming-heading"]})
    lab_list = section.find("ul", attrs={"aria-labelledby": "lab-sessions-heading"})
    return [] if lab_list is None else [a.get_text(strip=True) for a in lab_list.find_all("a")]


def feed_events(client: TestClient) -> dict[str, object]:
    made = form_post(client, "/calendar/feed", {}, token_from="/me")
    url = soup(made).find(id="feed-url").get_text(strip=True)
    cookieless = TestClient(client.app, base_url="http://testserver")  # the secret in the address is the key
    cookieless.portal = client.portal  # type: ignore[attr-defined]  # the running app's loop and database connections
    fetched = cookieless.get(url.removeprefix("http://testserver"))
    assert fetched.status_code == 200 and fetched.headers["content-type"].startswith("text/calendar")
    return {str(event["uid"]): event for event in Calendar.from_ical(fetched.content).walk("VEVENT")}


def test_team_members_and_the_facilitator_see_scheduled_sessions(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team, other_team: Team) -> None:
    now = datetime.now(timezone.utc).replace(second=0, microsecond=0)
    soon = schedule(live_app, world, [team.id], "Quarter two", now + timedelta(days=3))
    schedule(live_app, world, [team.id], "Quarter three", now + timedelta(days=90))
    schedule(live_app, world, [team.id], "Going on now", now - timedelta(hours=1))
    schedule(live_app, world, [team.id], "Ended this morning", now - timedelta(hours=3))
    schedule(live_app, world, [team.id], "Not scheduled yet", None)
    schedule(live_app, world, [other_team.id], "The wards' session", now + timedelta(days=1))
    expected = ["Going on now", "Quarter two", "Quarter three"]
    student = signed_in(live_app, world.student_a.email)
    assert upcoming_titles(student, "/") == expected
    assert upcoming_titles(student, "/calendar/") == expected
    assert upcoming_titles(make_client(world.facilitator_a.email), "/") == ["Going on now", "The wards' session", "Quarter two", "Quarter three"]
    assert upcoming_titles(make_client(world.coalition_a.email), "/calendar/") == ["The wards' session"]
    for outsider in (world.lead_a, world.lead_b, world.admin, world.participant_b, world.coach):
        assert upcoming_titles(make_client(outsider.email), "/") == [], outsider.email
    link = soup(student.get("/")).find("a", string="Quarter two")
    assert link is not None and link["href"] == f"/labs/sessions/{soon}"
    assert student.get(f"/labs/sessions/{soon}").status_code == 200


def test_the_feed_holds_the_persons_lab_sessions(live_app: TestClient, make_client: Callable[[str], TestClient], world: World, team: Team, other_team: Team) -> None:
    starts = datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(days=7)
    ours = schedule(live_app, world, [team.id], "Quarter two", starts)
    theirs = schedule(live_app, world, [other_team.id], "The wards' session", starts)
    schedule(live_app, world, [team.id], "Not scheduled yet", None)
    events = feed_events(signed_in(live_app, world.student_a.email))
    assert sorted(events) == [f"lab-session-{ours}@testserver"]
    event = events[f"lab-session-{ours}@testserver"]
    assert str(event["summary"]) == "Quarter two"
    assert event.decoded("dtstart") == starts and event.decoded("dtend") == starts + timedelta(hours=2, minutes=30)
    assert str(event["url"]) == f"http://testserver/labs/sessions/{ours}"
    assert str(event["status"]) == "CONFIRMED"
    assert sorted(feed_events(make_client(world.facilitator_a.email))) == sorted([f"lab-session-{ours}@testserver", f"lab-session-{theirs}@testserver"])
    assert feed_events(make_client(world.lead_b.email)) == {}
