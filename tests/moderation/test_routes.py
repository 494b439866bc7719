"""The moderation pages over HTTP: flag from a conversation page into the queue, act from
the queue, read one's warnings and a message's edit history; the `next` of the flag form is
never an open redirect; bad input gives 400/404 and changes nothing (SEC-A2, SEC-A4, SEC-B4,
SEC-J1). The authorization matrix and CSRF cases of every route are in tests/security/."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup

from artme_cop.conversations import service as conversations
from artme_cop.moderation import flags
from tests.conftest import make_client
from tests.factories import World
from tests.moderation.conftest import UowFactory, actor_of, post
from tests.realtime.conftest import Spaces
from tests.support import csrf_from, sign_in, snapshot, soup, text_of


def _form(page: BeautifulSoup, action: str) -> dict[str, str]:
    """The hidden and prefilled fields of the form posting to `action`."""
    form = page.find("form", attrs={"action": action})
    assert form is not None, f"no form for {action}"
    return {field["name"]: field.get("value", "") for field in form.find_all("input") if field.get("name")}


async def test_flag_from_the_conversation_page_reaches_the_moderators_queue(app: Any, client: httpx.AsyncClient, units: UowFactory, world: World, spaces: Spaces) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "words to **review**")
    await post(units, world.student_a, spaces.cohort_a1, "my own words")
    await sign_in(client, world.student_a.email)

    page = soup(await client.get(f"/conversations/{spaces.cohort_a1}"))
    links = page.select(".message-actions a")
    assert [a["aria-label"] for a in links] == [f"Flag the message of {world.faculty_a.display_name} for the moderators"]  # not on one's own
    form_page = await client.get(links[0]["href"])
    assert form_page.status_code == 200
    fields = _form(soup(form_page), "/moderation/flags")
    assert fields["next"] == f"/conversations/{spaces.cohort_a1}?seq={seq}#m{seq}"

    response = await client.post("/moderation/flags", data={**fields, "reason": "harmful", "note": "It stung."})

    assert response.status_code == 303
    assert response.headers["location"] == f"/conversations/{spaces.cohort_a1}?seq={seq}#m{seq}"
    assert "The moderators will review the message." in text_of(await client.get(f"/conversations/{spaces.cohort_a1}"))
    async with make_client(app) as facilitator:
        await sign_in(facilitator, world.facilitator_a.email)
        queue = await facilitator.get("/moderation/queue")
    assert queue.status_code == 200
    [item] = soup(queue).select(".queue-item")
    shown = item.get_text(" ", strip=True)
    assert "words to review" in shown and "Harmful or hurtful language (1)" in shown and "It stung." in shown
    assert world.student_a.display_name not in shown


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example", "/\t/evil.example", "javascript:alert(1)", " /conversations/", ""])
async def test_flag_next_is_never_an_open_redirect(client: httpx.AsyncClient, units: UowFactory, world: World, spaces: Spaces, target: str) -> None:
    seq = await post(units, world.faculty_a, spaces.consortium, "a post")
    await sign_in(client, world.student_a.email)
    token = csrf_from(await client.get("/"))

    response = await client.post(
        "/moderation/flags", data={"conversation": str(spaces.consortium), "seq": str(seq), "reason": "spam", "note": "", "next": target, "csrf_token": token}
    )

    assert response.status_code == 200
    assert "location" not in response.headers
    assert soup(response).find("h1").get_text(strip=True) == "Flag sent"


async def test_hide_from_the_queue_blanks_the_page_and_shows_in_the_leads_audit_log(app: Any, client: httpx.AsyncClient, units: UowFactory, world: World, spaces: Spaces) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "canary-7f3 words")
    student = await actor_of(units, world.student_a)
    async with units() as uow:
        await flags.flag_message(uow, student, spaces.cohort_a1, seq, reason="harmful", note="")
    await sign_in(client, world.coach.email)
    queue = soup(await client.get("/moderation/queue"))
    action = f"/moderation/messages/{spaces.cohort_a1}/{seq}/hide"

    response = await client.post(action, data={**_form(queue, action), "reason": "Names a patient"})

    assert response.status_code == 303 and response.headers["location"] == "/moderation/queue?status=open"
    assert "No open flags" in text_of(await client.get("/moderation/queue"))
    resolved = text_of(await client.get("/moderation/queue?status=resolved"))
    assert "Actioned by Casey Coach" in resolved and "Names a patient" in resolved
    async with make_client(app) as reader:
        await sign_in(reader, world.student_a.email)
        page = await reader.get(f"/conversations/{spaces.cohort_a1}")
    assert "canary-7f3" not in page.text
    assert "This message is hidden pending review." in text_of(page)
    async with make_client(app) as lead:
        await sign_in(lead, world.lead_a.email)
        audit = text_of(await lead.get("/moderation/audit"))
    assert "message hidden" in audit and "Names a patient" in audit and "canary-7f3" not in audit


async def test_warning_sent_from_the_queue_shows_on_the_authors_page_only(app: Any, client: httpx.AsyncClient, units: UowFactory, world: World, spaces: Spaces) -> None:
    seq = await post(units, world.participant_b, spaces.consortium, "a sharp reply")
    await sign_in(client, world.facilitator_a.email)
    token = csrf_from(await client.get("/"))

    response = await client.post(f"/moderation/messages/{spaces.consortium}/{seq}/warn", data={"text": "Please <b>mind</b> the agreements.", "csrf_token": token, "next": "//evil.example"})

    assert response.status_code == 303 and response.headers["location"] == "/moderation/queue"
    async with make_client(app) as author:
        await sign_in(author, world.participant_b.email)
        page = await author.get("/moderation/warnings")
    [warning] = soup(page).select(".warning-text")
    assert warning.get_text() == "Please <b>mind</b> the agreements."  # shown as text, never as markup
    assert "Consortium lounge" in text_of(page) and world.facilitator_a.display_name not in text_of(page)
    other = text_of(await client.get("/moderation/warnings"))
    assert "You have no warnings." in other


async def test_edit_history_page_for_moderators_only(app: Any, client: httpx.AsyncClient, units: UowFactory, world: World, spaces: Spaces) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "before the edit")
    author = await actor_of(units, world.faculty_a)
    async with units() as uow:
        await conversations.edit_message(uow, author, spaces.cohort_a1, seq, body="after the edit")
    path = f"/moderation/messages/{spaces.cohort_a1}/{seq}/history"
    expected = {world.facilitator_a: 200, world.coach: 200, world.student_a: 403, world.faculty_a: 403, world.lead_a: 403, world.lead_b: 404, world.admin: 404}
    for person, status in expected.items():
        async with make_client(app) as http:
            await sign_in(http, person.email)
            response = await http.get(path)
        assert response.status_code == status, person.display_name
        if status == 200:
            shown = text_of(response)
            assert "before the edit" in shown and "after the edit" in shown


async def test_moderation_queue_link_only_for_moderators(app: Any, world: World) -> None:
    for person, shown in ((world.student_a, False), (world.coalition_a, False), (world.facilitator_a, True), (world.lead_b, True), (world.admin, True)):
        async with make_client(app) as http:
            await sign_in(http, person.email)
            nav = soup(await http.get("/")).find("nav", attrs={"aria-label": "Main"})
        assert (nav.find("a", attrs={"href": "/moderation/queue"}) is not None) is shown, person.display_name


async def test_bad_input_gives_400_or_404_and_changes_nothing(app: Any, client: httpx.AsyncClient, units: UowFactory, world: World, spaces: Spaces) -> None:
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "steady words")
    b1 = await post(units, world.participant_b, spaces.cohort_b1, "in B1")
    await sign_in(client, world.student_a.email)
    token = csrf_from(await client.get("/"))
    coach = make_client(app)
    await sign_in(coach, world.coach.email)
    coach_token = csrf_from(await coach.get("/"))
    before = await snapshot(app)
    good = {"conversation": str(spaces.cohort_a1), "seq": str(seq), "reason": "harmful", "note": "", "next": "/", "csrf_token": token}
    cases = [
        ({"reason": "rude"}, 400),
        ({"reason": ""}, 400),
        ({"note": "x" * 1001}, 400),
        ({"reason": "other", "note": ""}, 400),
        ({"seq": "abc"}, 400),
        ({"seq": "99999999999"}, 400),
        ({"seq": str(seq + 5)}, 404),
        ({"conversation": str(spaces.cohort_b1), "seq": str(b1)}, 404),
        ({"conversation": "abc"}, 404),
        ({"conversation": "987654"}, 404),
    ]
    for change, status in cases:
        response = await client.post("/moderation/flags", data={**good, **change})
        assert response.status_code == status, change
    rerendered = await client.post("/moderation/flags", data={**good, "reason": "rude"})
    assert soup(rerendered).find(id="reason-error") is not None
    assert (await client.get("/moderation/flags/new?conversation=abc&seq=1")).status_code == 404
    assert (await client.get(f"/moderation/flags/new?conversation={spaces.cohort_a1}&seq=x")).status_code == 400
    assert (await coach.get("/moderation/queue?status=everything")).status_code == 400
    assert (await coach.get("/moderation/queue?before=²")).status_code == 200
    for path, data, status in (
        (f"/moderation/messages/{spaces.cohort_a1}/abc/hide", {"reason": "x"}, 400),
        (f"/moderation/messages/{spaces.cohort_a1}/{seq}/hide", {"reason": ""}, 400),
        (f"/moderation/messages/{spaces.cohort_a1}/{seq + 5}/hide", {"reason": "x"}, 404),
        (f"/moderation/messages/abc/{seq}/warn", {"text": "x"}, 404),
        (f"/moderation/messages/{spaces.cohort_a1}/{seq}/warn", {"text": "x" * 2001}, 400),
        (f"/moderation/messages/{spaces.cohort_a1}/{seq}/unhide", {}, 409),
        ("/moderation/flags/abc/dismiss", {}, 404),
        ("/moderation/flags/99999999999/dismiss", {}, 404),
    ):
        response = await coach.post(path, data={**data, "csrf_token": coach_token})
        assert response.status_code == status, path
    await coach.aclose()
    assert await snapshot(app) == before


async def test_data_export_holds_ones_flags_and_warnings(app: Any, client: httpx.AsyncClient, units: UowFactory, world: World, spaces: Spaces) -> None:
    """SEC-L2: the flags a person made and the warnings they received are in their export."""
    seq = await post(units, world.faculty_a, spaces.cohort_a1, "exported words")
    student, coach = await actor_of(units, world.student_a), await actor_of(units, world.coach)
    async with units() as uow:
        await flags.flag_message(uow, student, spaces.cohort_a1, seq, reason="spam", note="mine to export")
    async with units() as uow:
        await flags.warn_author(uow, coach, spaces.cohort_a1, seq, text="a warning to export")
    for person, key, expected in ((world.student_a, "flags_made", "mine to export"), (world.faculty_a, "warnings_received", "a warning to export")):
        async with make_client(app) as http:
            await sign_in(http, person.email)
            data = (await http.get("/me/export")).json()
        assert [entry.get("note") or entry.get("text") for entry in data[key]] == [expected]
        other = "warnings_received" if key == "flags_made" else "flags_made"
        assert data[other] == []
