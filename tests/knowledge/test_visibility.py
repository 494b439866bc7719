"""Who sees which resource, through every door: the resource page, browse, text search, the
facets and notifications (SEC-A1, SEC-A3). A resource attributed to "a partner school" never
names its school, or people who would name it, to anyone outside that school (DOMAIN.md):
not on its page, not in browse, not through the origin filter, not by searching the school's
name. Retired resources stay findable as retired."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from artme_cop.knowledge import service as knowledge
from artme_cop.knowledge.cycle import State
from tests.factories import World
from tests.knowledge.helpers import CONTENT, actor_of, move, resource_in, submit
from tests.support import sign_in, soup, text_of

PERSONAS = ("admin", "coach", "facilitator_a", "lead_a", "coalition_a", "student_a", "faculty_a", "participant_a2", "lead_b", "participant_b")
IN_A = {"coach", "facilitator_a", "lead_a", "coalition_a", "student_a", "faculty_a", "participant_a2"}
READERS = {
    State.DRAFT: {"coalition_a", "lead_a"},
    State.IN_ASSESSMENT: {"coalition_a", "lead_a", "coach", "facilitator_a"},
    State.CONTEXTUALIZING: {"coalition_a", "lead_a", "coach", "facilitator_a"},
    State.SHARED_INSTITUTION: IN_A,
    State.PROPOSED_PROGRAM: IN_A | {"admin"},
    State.SHARED_PROGRAM: set(PERSONAS),
    State.IN_USE: set(PERSONAS),
    State.UPDATE_DUE: set(PERSONAS),
    State.RETIRED: {"coalition_a", "lead_a", "coach", "facilitator_a"},  # declined in assessment: never shared
}
CASES = [(state, persona) for state in State for persona in PERSONAS]


def _cards(response: httpx.Response) -> list[str]:
    return [a["href"].rsplit("/", 1)[1] for a in soup(response).select(".resource-card h3 a")]


@pytest.mark.parametrize(("state", "persona"), CASES, ids=[f"{s}-{p}" for s, p in CASES])
async def test_page_browse_and_search_show_only_readable_resources(app: Any, client: httpx.AsyncClient, world: World, state: State, persona: str) -> None:
    public_id = await resource_in(app, world, state)
    await sign_in(client, getattr(world, persona).email)
    readable = persona in READERS[state]

    page = await client.get(f"/knowledge/{public_id}")
    browse = await client.get("/knowledge/")
    search = await client.get("/knowledge/", params={"q": "four Ds"})
    faceted = await client.get("/knowledge/", params={"tag": "bystander", "phase": "3", "type": "tool", "state": state.value})

    assert page.status_code == (200 if readable else 404)
    for listing in (browse, search, faceted):
        assert _cards(listing) == ([public_id] if readable else [])
    if not readable:  # not even as a facet value
        assert "bystander" not in [o["value"] for o in soup(browse).select("#tag option")]


async def _partner_resource(app: Any, world: World) -> str:
    return await resource_in(app, world, State.SHARED_PROGRAM, attribution="partner")


@pytest.mark.parametrize("persona", ["participant_b", "lead_b", "admin"])
async def test_partner_school_is_never_named_outside_it(app: Any, client: httpx.AsyncClient, world: World, persona: str) -> None:
    public_id = await _partner_resource(app, world)
    await sign_in(client, getattr(world, persona).email)

    page = await client.get(f"/knowledge/{public_id}")
    browse = await client.get("/knowledge/")
    assert page.status_code == 200
    assert soup(page).find(id="resource-origin").get_text(strip=True) == "A partner school"
    for response in (page, browse):
        words = text_of(response)
        for revealing in ("Alder", "Cam Coalition", "Lee Lead", "Frankie Facilitator"):
            assert revealing not in words, revealing
    assert "someone at the originating school" in text_of(page)
    # the origin facet offers "A partner school", never the school, and filtering by the school finds nothing
    origins = {o["value"]: o.get_text(strip=True) for o in soup(browse).select("#origin option") if o["value"]}
    assert origins == {"partner": "A partner school"}
    assert _cards(await client.get("/knowledge/", params={"origin": str(world.institution_a.id)})) == []
    assert _cards(await client.get("/knowledge/", params={"origin": "partner"})) == [public_id]
    assert _cards(await client.get("/knowledge/", params={"q": "Alder"})) == []


async def test_partner_school_is_named_inside_it(app: Any, client: httpx.AsyncClient, world: World) -> None:
    public_id = await _partner_resource(app, world)
    await sign_in(client, world.student_a.email)
    page = await client.get(f"/knowledge/{public_id}")
    assert soup(page).find(id="resource-origin").get_text(strip=True) == "Alder School of Medicine"
    assert "Cam Coalition" in text_of(page)
    assert _cards(await client.get("/knowledge/", params={"origin": str(world.institution_a.id)})) == [public_id]


async def test_named_attribution_names_the_school_everywhere(app: Any, client: httpx.AsyncClient, world: World) -> None:
    public_id = await resource_in(app, world, State.SHARED_PROGRAM, attribution="named")
    await sign_in(client, world.participant_b.email)
    page = await client.get(f"/knowledge/{public_id}")
    assert soup(page).find(id="resource-origin").get_text(strip=True) == "Alder School of Medicine"
    assert _cards(await client.get("/knowledge/", params={"origin": str(world.institution_a.id)})) == [public_id]


async def test_reports_by_the_originating_school_stay_anonymous_outside_it(app: Any, client: httpx.AsyncClient, world: World) -> None:
    public_id = await _partner_resource(app, world)
    async with app.state.uow() as uow:
        await knowledge.report_use(uow, await actor_of(uow, world.faculty_a), public_id, kind="value_story", where="Our wards", applied_on="2026-09-01", what_happened="It helped.", evidence="")
        await knowledge.report_use(uow, await actor_of(uow, world.participant_b), public_id, kind="applied", where="Surgery", applied_on="2026-09-02", what_happened="We used it.", evidence="")
    await sign_in(client, world.lead_b.email)
    page = text_of(await client.get(f"/knowledge/{public_id}"))
    assert "Fran Faculty" not in page and "Blair Participant" in page


async def test_draft_text_of_a_new_version_stays_with_the_school(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """While a new version is written and assessed, other schools read the shared version and
    find nothing by searching the new words."""
    public_id = await resource_in(app, world, State.UPDATE_DUE)
    async with app.state.uow() as uow:
        content = knowledge.clean_content(**{**CONTENT, "title": "Renamed canary card", "body": "canary-draft-words"})
        await knowledge.edit_resource(uow, await actor_of(uow, world.coalition_a), public_id, content)
    await submit(app, world, public_id)
    await sign_in(client, world.participant_b.email)
    page = await client.get(f"/knowledge/{public_id}")
    assert soup(page).find("h1").get_text(strip=True) == CONTENT["title"]
    assert "canary" not in text_of(page)
    assert _cards(await client.get("/knowledge/", params={"q": "canary"})) == []
    assert (await client.get(f"/knowledge/{public_id}/versions/2")).status_code == 404
    assert (await client.get(f"/knowledge/{public_id}/versions/1")).status_code == 200
    card = soup(await client.get("/knowledge/")).select_one(".resource-card h3 a")
    assert card.get_text(strip=True) == CONTENT["title"]


async def test_retired_stays_findable_as_retired(app: Any, client: httpx.AsyncClient, world: World) -> None:
    public_id = await resource_in(app, world, State.UPDATE_DUE)
    await move(app, world.coalition_a, public_id, "retire", reason="Replaced by the new card.")
    await sign_in(client, world.participant_b.email)
    assert _cards(await client.get("/knowledge/", params={"state": "retired"})) == [public_id]
    assert soup(await client.get(f"/knowledge/{public_id}")).find(id="resource-state").get_text(strip=True) == "Retired"


async def test_notifications_go_only_to_the_people_concerned(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.IN_ASSESSMENT)
    await move(app, world.participant_b, await resource_in(app, world, State.SHARED_PROGRAM, attribution="partner"), "flag_update", reason="Outdated")
    from sqlalchemy import select

    from artme_cop.notifications.models import Notification

    async with app.state.uow(read_only=True) as uow:
        rows = list((await uow.session.execute(select(Notification).where(Notification.kind == "knowledge"))).scalars())
    recipients = {row.recipient_id for row in rows}
    assert recipients <= {world.coach.id, world.facilitator_a.id, world.coalition_a.id}
    assert world.participant_b.id not in recipients
    assert all("Alder" not in row.summary for row in rows)
    assert any(row.link == f"/knowledge/{public_id}" for row in rows)


async def test_partner_resource_cannot_later_gain_words_naming_the_school(app: Any, world: World) -> None:
    """Tags and context show beside every version: editing them may not undo the alias."""
    from artme_cop.errors import Invalid

    public_id = await resource_in(app, world, State.UPDATE_DUE, attribution="partner")
    with pytest.raises(Invalid, match="names the school"):  # raised out of the unit of work: it rolls back
        async with app.state.uow() as uow:
            await knowledge.edit_resource(uow, await actor_of(uow, world.coalition_a), public_id, knowledge.clean_content(**{**CONTENT, "tags": "alder, climate"}))
    with pytest.raises(Invalid, match="names the school"):
        async with app.state.uow() as uow:
            await knowledge.contextualize(uow, await actor_of(uow, world.coalition_a), public_id, conditions="Only at Alder.", when_not_to_use="x", contact=str(world.coalition_a.id))
    async with app.state.uow(read_only=True) as uow:
        assert (await knowledge.queries.list_tags(uow.session, [(await knowledge.queries.get_resource(uow.session, public_id)).id])).popitem()[1] == ["bystander", "climate"]
