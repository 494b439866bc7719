"""The knowledge-health page: the cycle month by month, assessments waiting, resources due
for update and the most applied, counted over only what the reader may read."""

from __future__ import annotations

from typing import Any

import httpx

from artme_cop.knowledge import service as knowledge
from artme_cop.knowledge.cycle import State
from tests.conftest import make_client
from tests.factories import World
from tests.knowledge.helpers import CONTENT, actor_of, resource_in, submit
from tests.support import MutableClock, sign_in, soup


def _figures(response: httpx.Response) -> dict[str, list[str]]:
    page = soup(response)
    rows = page.select("#health-months tbody tr")
    return {
        # the six months' totals per column (the test's clock may cross a month's end)
        "totals": [str(sum(int(row.find_all("td")[i].get_text(" ", strip=True).split()[-1]) for row in rows)) for i in range(4)],
        "waiting": [li.get_text(" ", strip=True) for li in page.select("#health-waiting li")],
        "due": [li.get_text(" ", strip=True) for li in page.select("#health-due li")],
        "applied": [li.get_text(" ", strip=True) for li in page.select("#health-applied li")],
    }


async def test_health_counts_only_what_the_reader_may_read(app: Any, client: httpx.AsyncClient, world: World, clock: MutableClock) -> None:
    applied = await resource_in(app, world, State.SHARED_PROGRAM, title="Applied card")
    async with app.state.uow() as uow:
        await knowledge.report_use(uow, await actor_of(uow, world.participant_b), applied, kind="applied", where="Ward", applied_on="2026-01-01", what_happened="Used.", evidence="")
    await resource_in(app, world, State.IN_ASSESSMENT, title="Private draft in assessment")
    due = await resource_in(app, world, State.UPDATE_DUE, title="Old card")
    async with app.state.uow() as uow:  # a new working title must not show outside the school
        await knowledge.edit_resource(uow, await actor_of(uow, world.coalition_a), due, knowledge.clean_content(**{**CONTENT, "title": "Secret new title"}))
    await submit(app, world, due)
    clock.advance(days=3)

    await sign_in(client, world.participant_b.email)
    outside = _figures(await client.get("/knowledge/health"))
    assert outside["totals"] == ["2", "2", "2", "1"]  # captured, assessed, shared, applied (the program's two)
    assert outside["waiting"] == ["Old card : waiting 3 days"]
    assert outside["applied"] == ["Applied card : applied 1 time"]
    assert "Secret" not in (await client.get("/knowledge/health")).text

    async with make_client(app) as school:
        await sign_in(school, world.coalition_a.email)
        inside = _figures(await school.get("/knowledge/health"))
    assert inside["totals"][0] == "3"
    assert sorted(inside["waiting"]) == ["Private draft in assessment : waiting 3 days", "Secret new title : waiting 3 days"]
