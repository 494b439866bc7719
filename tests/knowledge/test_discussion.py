"""Each shared resource has a live discussion in the messaging core (a conversation of kind
`resource`) whose space follows the resource's reach: the school once shared with it, the
whole program once shared with it by name; narrowing locks the old discussion so nothing new
reaches anyone who lost access (SEC-A5); a "partner school" resource is discussed only
within its school, since its people taking part would name it."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from artme_cop.knowledge.cycle import State
from tests.conftest import make_client
from tests.factories import World
from tests.knowledge.helpers import add_context, move, resource_in
from tests.support import csrf_from, sign_in, soup


async def _link(client: httpx.AsyncClient, public_id: str) -> str | None:
    link = soup(await client.get(f"/knowledge/{public_id}")).find(id="discussion-link")
    return str(link["href"]) if link else None


async def _say(client: httpx.AsyncClient, path: str, body: str) -> httpx.Response:
    token = csrf_from(await client.get("/"))
    return await client.post(f"{path}/messages", data={"body": body, "client_msg_id": uuid.uuid4().hex, "csrf_token": token})


async def test_discussion_follows_the_resources_reach(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.CONTEXTUALIZING)
    async with make_client(app) as school, make_client(app) as outsider:
        await sign_in(school, world.student_a.email)
        await sign_in(outsider, world.participant_b.email)
        assert await _link(school, public_id) is None  # not shared yet: no discussion

        await add_context(app, world, public_id)
        await move(app, world.coalition_a, public_id, "share_institution")
        first = await _link(school, public_id)
        assert first is not None
        assert (await _say(school, first, "How long did the grounding take?")).status_code == 303
        assert (await outsider.get(first)).status_code == 404

        await move(app, world.lead_a, public_id, "propose_program", attribution="named")
        await move(app, world.admin, public_id, "publish_program")
        assert await _link(outsider, public_id) == first
        assert (await _say(outsider, first, "We would like to try it.")).status_code == 303

        await move(app, world.lead_a, public_id, "withdraw", reason="Revising it.")
        assert (await outsider.get(first)).status_code == 404
        assert await _link(outsider, public_id) is None
        second = await _link(school, public_id)
        assert second is not None and second != first
        assert (await _say(school, first, "Still there?")).status_code == 403  # the old one is locked
        assert (await _say(school, second, "Back in the school.")).status_code == 303


async def test_partner_school_resource_is_discussed_within_the_school(app: Any, client: httpx.AsyncClient, world: World) -> None:
    public_id = await resource_in(app, world, State.SHARED_PROGRAM, attribution="partner")
    await sign_in(client, world.participant_b.email)
    assert (await client.get(f"/knowledge/{public_id}")).status_code == 200
    assert await _link(client, public_id) is None
