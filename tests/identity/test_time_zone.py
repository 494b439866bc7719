"""A person's time zone: chosen on the account page (an unknown zone is refused and changes
nothing), kept in the data export; pages show stored times in it, with the organiser's own
zone beside a session's time when it differs; and forms read the times typed into them in it."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import httpx
from sqlalchemy import select

from artme_cop.conversations import service as conversations
from artme_cop.dialogue.models import DialogueSession
from artme_cop.identity.models import Person
from artme_cop.labs.models import LabSession
from tests.factories import World
from tests.labs.seed import team as make_team
from tests.program.conftest import schedule
from tests.program.helpers import actor_of
from tests.realtime.conftest import Spaces, open_spaces
from tests.support import MutableClock, post_form, sign_in, snapshot, soup, text_of


async def choose(client: httpx.AsyncClient, zone: str) -> httpx.Response:
    return await post_form(client, "/me", {"display_name": "Sam Student", "pronouns": "", "title": "", "time_zone": zone}, token_from="/me")


async def stored_zone(app: Any, person: Person) -> str:
    async with app.state.uow(read_only=True) as uow:
        return (await uow.session.execute(select(Person.time_zone).where(Person.id == person.id))).scalar_one()


async def test_the_account_page_sets_the_zone(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.student_a.email)
    page = soup(await client.get("/me"))
    assert page.find("label", attrs={"for": "time_zone"}) is not None
    assert page.select_one("#time_zone option[selected]")["value"] == "UTC"
    assert (await choose(client, "America/Chicago")).status_code == 303
    assert await stored_zone(app, world.student_a) == "America/Chicago"
    assert soup(await client.get("/me")).select_one("#time_zone option[selected]")["value"] == "America/Chicago"
    # a form without the field (an older page) keeps the zone
    await post_form(client, "/me", {"display_name": "Sam Student", "pronouns": "", "title": ""}, token_from="/me")
    assert await stored_zone(app, world.student_a) == "America/Chicago"
    assert (await client.get("/me/export")).json()["person"]["time_zone"] == "America/Chicago"


async def test_an_unknown_zone_is_refused_and_changes_nothing(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.student_a.email)
    before = await snapshot(app)
    for bad in ("Mars/Olympus", "", "../../etc/localtime", "utc", "America/Chicago\x00"):
        refused = await choose(client, bad)
        assert refused.status_code == 400, bad
        assert "Choose one of the listed time zones." in text_of(refused)
        assert soup(refused).find(id="time_zone")["aria-invalid"] == "true"
    assert await snapshot(app) == before


async def test_pages_show_times_in_the_readers_zone(app: Any, client: httpx.AsyncClient, world: World, clock: MutableClock) -> None:
    """A session scheduled for 14:00 Chicago time; a message written at 18:05 UTC in January."""
    clock.current = datetime(2027, 1, 15, 18, 5, tzinfo=timezone.utc)
    session_id = await schedule(app, world.coach, title="A1 framing", audience="cohorts", cohorts=(world.cohort_a1.id,))
    async with app.state.uow() as uow:
        spaces: Spaces = await open_spaces(uow, world)
        await conversations.post_message(uow, await actor_of(uow, world.faculty_a), spaces.cohort_a1, body="Welcome, all.", client_msg_id="tz-1")
    await sign_in(client, world.student_a.email)

    as_utc = text_of(await client.get(f"/calendar/sessions/{session_id}"))
    assert "Mon 18 Jan 2027, 20:00–21:30 UTC (14:00 America/Chicago)" in as_utc
    assert soup(await client.get(f"/conversations/{spaces.cohort_a1}")).select_one(".message-meta time").get_text() == "2027-01-15 18:05"

    await choose(client, "America/Chicago")
    as_chicago = text_of(await client.get(f"/calendar/sessions/{session_id}"))
    assert "Mon 18 Jan 2027, 14:00–15:30 CST" in as_chicago and "(14:00 America/Chicago)" not in as_chicago
    home = text_of(await client.get("/"))
    assert "Mon 18 Jan 2027, 14:00–15:30 CST" in home
    assert soup(await client.get(f"/conversations/{spaces.cohort_a1}")).select_one(".message-meta time").get_text() == "2027-01-15 12:05"

    await choose(client, "America/New_York")
    assert "Mon 18 Jan 2027, 15:00–16:30 EST (14:00 America/Chicago)" in text_of(await client.get(f"/calendar/sessions/{session_id}"))


async def test_forms_read_times_in_the_writers_zone(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """Frankie (facilitator of A1) in Denver schedules a Chats for Change session at 15:00
    and a lab session at 14:30: both are stored as Denver times, and shown back in Denver."""
    team = await make_team(app, world)
    await sign_in(client, world.facilitator_a.email)
    await post_form(client, "/me", {"display_name": "Frankie Facilitator", "pronouns": "", "title": "", "time_zone": "America/Denver"}, token_from="/me")
    new_page = text_of(await client.get("/dialogue/new"))
    assert "Starts (America/Denver time)" in new_page
    created = await post_form(client, "/dialogue/", {
        "title": "Framing race in clerkship grading", "cohorts": str(world.cohort_a1.id), "facilitators": [str(world.facilitator_a.id), str(world.coach.id)],  # type: ignore[dict-item]
        "starts_at": "2027-03-01T15:00", "ends_at": "2027-03-01T16:00", "agreement_text": "Brave space.", "identity_mode": "named", "slow_mode_seconds": "0",
    }, token_from="/dialogue/new")
    assert created.status_code == 303
    lab = await post_form(client, "/labs/sessions", {"title": "Dated", "concept": "Bias to action", "exercise": "Map the handover.", "teams": str(team), "day": "2027-03-01", "time": "14:30"}, token_from="/labs/")
    assert lab.status_code == 303
    async with app.state.uow(read_only=True) as uow:
        dialogue = (await uow.session.execute(select(DialogueSession))).scalar_one()
        lab_session = (await uow.session.execute(select(LabSession))).scalar_one()
    # 15:00 and 14:30 in Denver on 1 March 2027 (MST, UTC-7)
    assert dialogue.starts_at.astimezone(timezone.utc).isoformat() == "2027-03-01T22:00:00+00:00"
    assert lab_session.starts_at.astimezone(timezone.utc).isoformat() == "2027-03-01T21:30:00+00:00"
    assert "2027-03-01 15:00" in text_of(await client.get(created.headers["location"]))
    assert "2027-03-01 14:30 MST" in text_of(await client.get(lab.headers["location"]))
