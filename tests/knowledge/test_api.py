"""The knowledge JSON API: the same resources, attribution and cycle as the pages, documented
in /api/openapi.json, with JSON errors for bad input and refused steps (nothing changes)."""

from __future__ import annotations

from typing import Any

import pytest

from artme_cop.knowledge.cycle import State
from tests.factories import World
from tests.forum.api_support import api_client, assert_error, assert_schema
from tests.knowledge.helpers import CONTENT, resource_in, state_of
from tests.support import snapshot


async def test_browse_and_read_as_json_with_partner_attribution(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.SHARED_PROGRAM, attribution="partner")
    async with api_client(app, world.participant_b) as api:
        spec = (await api.http.get("/api/openapi.json")).json()
        listing = (await api.http.get("/api/knowledge/resources", params={"q": "four", "tag": "bystander"})).json()
        assert_schema(spec, "ResourceList", listing)
        assert [r["id"] for r in listing["resources"]] == [public_id]
        assert listing["resources"][0]["origin"] == "A partner school"
        one = await api.http.get(f"/api/knowledge/resources/{public_id}")
        assert one.status_code == 200
        assert_schema(spec, "Resource", one.json())
        assert "Alder" not in one.text and "Cam Coalition" not in one.text
        assert one.json()["title"] == CONTENT["title"] and one.json()["version"] == 1
        assert (await api.http.get("/api/knowledge/resources", params={"origin": str(world.institution_a.id)})).json() == {"resources": [], "page": 1, "has_next": False}


async def test_reports_and_lineage_as_json(app: Any, world: World) -> None:
    from artme_cop.knowledge import service as knowledge
    from tests.knowledge.helpers import actor_of

    public_id = await resource_in(app, world, State.SHARED_PROGRAM, attribution="partner")
    async with app.state.uow() as uow:
        faculty = await actor_of(uow, world.faculty_a)
        await knowledge.report_use(uow, faculty, public_id, kind="value_story", where="Our wards", applied_on="2026-09-01", what_happened="It helped.", evidence="")
        adaptation = await knowledge.adapt_resource(uow, await actor_of(uow, world.lead_b), public_id)
    async with api_client(app, world.participant_b) as api:
        spec = (await api.http.get("/api/openapi.json")).json()
        original = (await api.http.get(f"/api/knowledge/resources/{public_id}")).json()
        assert_schema(spec, "Resource", original)
        assert original["reports"] == [{"kind": "value_story", "where": "Our wards", "applied_on": "2026-09-01", "what_happened": "It helped.", "evidence": "", "who": "someone at the originating school"}]
        assert original["adaptations"] == []  # Birch's draft is not the student's to read
    async with api_client(app, world.lead_b) as api:
        adapted = (await api.http.get(f"/api/knowledge/resources/{adaptation.public_id}")).json()
        assert adapted["adapted_from"] == {"id": public_id, "title": CONTENT["title"], "origin": "A partner school", "version": 1}


async def test_draft_is_not_found_for_outsiders(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.DRAFT)
    async with api_client(app, world.participant_b) as api:
        assert_error(await api.http.get(f"/api/knowledge/resources/{public_id}"), 404, "not_found")
        assert (await api.http.get("/api/knowledge/resources")).json() == {"resources": [], "page": 1, "has_next": False}


async def test_steps_through_the_api(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.SHARED_INSTITUTION)
    async with api_client(app, world.lead_a) as lead:
        moved = await lead.http.post(f"/api/knowledge/resources/{public_id}/transitions", json={"move": "propose_program", "attribution": "named"}, headers={"X-CSRF-Token": lead.token})
        assert moved.status_code == 200 and moved.json() == {"id": public_id, "state": "proposed_program"}
    async with api_client(app, world.admin) as admin:
        moved = await admin.http.post(f"/api/knowledge/resources/{public_id}/transitions", json={"move": "publish_program"}, headers={"X-CSRF-Token": admin.token})
        assert moved.json()["state"] == "shared_program"
    assert await state_of(app, public_id) == "shared_program"


BAD = [
    ({"move": "teleport"}, 400, "invalid", "move"),
    ({"move": 3}, 400, "invalid", "move"),
    ({}, 400, "invalid", "move"),
    ({"move": "flag_update", "reason": "x", "extra": 1}, 400, "invalid", "extra"),
    ({"move": "flag_update", "reason": "x" * 1001}, 400, "invalid", "reason"),
    ({"move": "flag_update"}, 400, "invalid", "reason"),
    ({"move": "publish_program"}, 409, "conflict", "move"),
    ({"move": "propose_program", "attribution": "named"}, 403, "forbidden", None),
    ({"move": "submit", "content_reviewer": "1", "safety_reviewer": 2}, 400, "invalid", "content_reviewer"),
]


@pytest.mark.parametrize(("body", "status", "code", "field"), BAD, ids=[str(i) for i in range(len(BAD))])
async def test_bad_or_refused_step_is_a_json_error_and_changes_nothing(app: Any, world: World, body: dict[str, Any], status: int, code: str, field: str | None) -> None:
    public_id = await resource_in(app, world, State.SHARED_INSTITUTION)
    async with api_client(app, world.coalition_a) as api:
        before = await snapshot(app)
        response = await api.http.post(f"/api/knowledge/resources/{public_id}/transitions", json=body, headers={"X-CSRF-Token": api.token})
        assert_error(response, status, code, field)
        assert await snapshot(app) == before


@pytest.mark.parametrize("path", ["/api/knowledge/resources/nope", "/api/knowledge/resources/" + "0" * 32, "/api/knowledge/resources/{id}/diff?from=1&to=5"])
async def test_unknown_ids_are_json_404(app: Any, world: World, path: str) -> None:
    public_id = await resource_in(app, world, State.SHARED_INSTITUTION)
    async with api_client(app, world.coalition_a) as api:
        assert_error(await api.http.get(path.replace("{id}", public_id)), 404, "not_found")


@pytest.mark.parametrize("query", ["phase=0", "phase=x", "type=poster", "state=lost", "origin=abc", "q=%00"])
async def test_bad_facets_are_json_400(app: Any, world: World, query: str) -> None:
    async with api_client(app, world.student_a) as api:
        assert_error(await api.http.get(f"/api/knowledge/resources?{query}"), 400, "invalid")


async def test_diff_as_json(app: Any, world: World) -> None:
    public_id = await resource_in(app, world, State.UPDATE_DUE)
    async with api_client(app, world.coalition_a) as api:
        diff = await api.http.get(f"/api/knowledge/resources/{public_id}/diff", params={"from": 1, "to": 1})
        assert diff.status_code == 200 and diff.json()["changes"] == 0
