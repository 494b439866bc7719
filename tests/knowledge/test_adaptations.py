"""Adaptations: another school starts a draft from a shared resource, and the lineage (which
resource and version it came from, what was adapted from it) shows on both, as far as each
reader may see, with the original's attribution kept ("a partner school" stays anonymous)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from artme_cop.knowledge import service as knowledge
from artme_cop.knowledge.cycle import State
from tests.conftest import make_client
from tests.factories import World
from tests.knowledge.helpers import CONTENT, CONTEXT, accept_both, actor_of, move, resource_in, state_of, submit
from tests.program.helpers import grant_coalition
from tests.support import csrf_from, sign_in, snapshot, soup, text_of


async def _adapt(client: httpx.AsyncClient, public_id: str) -> httpx.Response:
    token = csrf_from(await client.get("/"))
    return await client.post(f"/knowledge/{public_id}/adapt", data={"csrf_token": token})


async def test_another_school_adapts_a_resource_and_keeps_its_lineage(app: Any, client: httpx.AsyncClient, world: World) -> None:
    original = await resource_in(app, world, State.SHARED_PROGRAM, attribution="partner")
    await sign_in(client, world.lead_b.email)
    response = await _adapt(client, original)
    assert response.status_code == 303
    adaptation = response.headers["location"].rsplit("/", 1)[1]
    assert adaptation != original and await state_of(app, adaptation) == "draft"

    page = await client.get(f"/knowledge/{adaptation}")
    assert soup(page).find("h1").get_text(strip=True) == CONTENT["title"]
    assert soup(page).find(id="resource-origin").get_text(strip=True) == "Birch College of Medicine"
    lineage = soup(page).find(id="adapted-from").get_text(" ", strip=True)
    assert "A partner school" in lineage and "version 1" in lineage and "Alder" not in text_of(page)

    original_page = await client.get(f"/knowledge/{original}")
    assert [a["href"] for a in soup(original_page).select("#adaptations a")] == [f"/knowledge/{adaptation}"]
    # the adaptation is Birch's draft: Alder's people do not see it listed
    async with make_client(app) as school_a:
        await sign_in(school_a, world.student_a.email)
        assert soup(await school_a.get(f"/knowledge/{original}")).select("#adaptations a") == []


@pytest.mark.parametrize(("persona", "state", "status"), [("student_a", State.SHARED_PROGRAM, 409), ("participant_b", State.SHARED_PROGRAM, 403), ("lead_b", State.DRAFT, 404), ("admin", State.SHARED_PROGRAM, 403)])
async def test_adaptation_refused(app: Any, client: httpx.AsyncClient, world: World, persona: str, state: State, status: int) -> None:
    """Not by the original's own school (409), not by someone who cannot post resources (403),
    not of a resource one cannot read (404); nothing changes."""
    if persona == "student_a":  # of the original's school, and allowed to post resources
        await grant_coalition(app, world.student_a)
    original = await resource_in(app, world, state)
    await sign_in(client, getattr(world, persona).email)
    before = await snapshot(app)
    assert (await _adapt(client, original)).status_code == status
    assert await snapshot(app) == before


async def test_lineage_survives_withdrawal_of_the_original(app: Any, client: httpx.AsyncClient, world: World) -> None:
    original = await resource_in(app, world, State.SHARED_PROGRAM)
    await sign_in(client, world.lead_b.email)
    adaptation = (await _adapt(client, original)).headers["location"].rsplit("/", 1)[1]
    await move(app, world.lead_a, original, "withdraw", reason="Revising.")
    text = soup(await client.get(f"/knowledge/{adaptation}")).find(id="adapted-from").get_text(" ", strip=True)
    assert text == "Adapted from a resource that is no longer shared with you."


async def _share_with_program(app: Any, world: World, public_id: str) -> None:
    """Birch's adaptation through the cycle, by its steward (Birch's lead), to the program."""
    await submit(app, world, public_id, by=world.lead_b)
    await accept_both(app, world, public_id)
    async with app.state.uow() as uow:
        await knowledge.contextualize(uow, await actor_of(uow, world.lead_b), public_id, contact=str(world.lead_b.id), **CONTEXT)
    await move(app, world.lead_b, public_id, "share_institution")
    await move(app, world.lead_b, public_id, "propose_program", attribution="named")
    await move(app, world.admin, public_id, "publish_program")


@pytest.mark.parametrize("original_state", [State.SHARED_PROGRAM, State.IN_USE])
async def test_an_adaptation_shared_with_the_program_makes_the_original_due_for_update(app: Any, client: httpx.AsyncClient, world: World, original_state: State) -> None:
    """DOMAIN.md: adaptations trigger update_due. Starting one, or sharing it within its own
    school, leaves the original as it is; sharing it with the program, where the original's
    school can read it, flags the original (by the system) and tells its stewards."""
    original = await resource_in(app, world, original_state)
    await sign_in(client, world.lead_b.email)
    adaptation = (await _adapt(client, original)).headers["location"].rsplit("/", 1)[1]
    await submit(app, world, adaptation, by=world.lead_b)
    await accept_both(app, world, adaptation)
    async with app.state.uow() as uow:
        await knowledge.contextualize(uow, await actor_of(uow, world.lead_b), adaptation, contact=str(world.lead_b.id), **CONTEXT)
    await move(app, world.lead_b, adaptation, "share_institution")
    assert await state_of(app, original) == original_state.value
    await move(app, world.lead_b, adaptation, "propose_program", attribution="named")
    await move(app, world.admin, adaptation, "publish_program")
    assert await state_of(app, original) == State.UPDATE_DUE.value

    async with make_client(app) as steward:
        await sign_in(steward, world.coalition_a.email)
        page = await steward.get(f"/knowledge/{original}")
        assert "An adaptation by another school was shared with the program." in text_of(page)
        assert [a["href"] for a in soup(page).select("#adaptations a")] == [f"/knowledge/{adaptation}"]
        told = text_of(await steward.get("/notifications/"))
        assert "is due for update: an adaptation of it by another school is now shared with the program" in told
        assert "Birch" not in told


async def test_an_original_already_due_is_left_as_it_is(app: Any, client: httpx.AsyncClient, world: World) -> None:
    due = await resource_in(app, world, State.UPDATE_DUE)
    await sign_in(client, world.lead_b.email)
    adaptation = (await _adapt(client, due)).headers["location"].rsplit("/", 1)[1]
    async with app.state.uow(read_only=True) as uow:
        moves_before = len(await knowledge.queries.list_history(uow.session, (await knowledge.queries.get_resource(uow.session, due)).id))
    await _share_with_program(app, world, adaptation)
    assert await state_of(app, adaptation) == State.SHARED_PROGRAM.value
    assert await state_of(app, due) == State.UPDATE_DUE.value
    async with app.state.uow(read_only=True) as uow:
        assert len(await knowledge.queries.list_history(uow.session, (await knowledge.queries.get_resource(uow.session, due)).id)) == moves_before
