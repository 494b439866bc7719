"""SEC-I3: the expensive requests (searches, markdown previews, uploads, data exports) have
their own per-person budgets, shared by the pages and the JSON API. A person who spends one
gets 429 with Retry-After and nothing more is done for them, while everyone else, and the
same person's other requests, go on as before."""

from __future__ import annotations

from typing import Any, Awaitable, Callable

import httpx
import pytest

from artme_cop import ratelimit
from artme_cop.knowledge.cycle import State
from tests.conftest import make_client
from tests.factories import World
from tests.forum.api_support import ApiClient, api_client, assert_error
from tests.knowledge.helpers import resource_in
from tests.support import csrf_from, sign_in, snapshot, soup

Request = Callable[[httpx.AsyncClient, ApiClient], Awaitable[httpx.Response]]


def allowed(budget: ratelimit.Budget) -> int:
    amount, _, period = budget.limit.partition("/")
    assert period == "minute"
    return int(amount)


async def _forum_search(http: httpx.AsyncClient, api: ApiClient) -> httpx.Response:
    return await http.get("/forum/search", params={"q": "handover"})


async def _forum_search_api(http: httpx.AsyncClient, api: ApiClient) -> httpx.Response:
    return await api.get("/api/forum/search", q="handover")


async def _knowledge_search(http: httpx.AsyncClient, api: ApiClient) -> httpx.Response:
    return await http.get("/knowledge/", params={"q": "handover"})


async def _knowledge_search_api(http: httpx.AsyncClient, api: ApiClient) -> httpx.Response:
    return await api.get("/api/knowledge/resources", q="handover")


async def _preview(http: httpx.AsyncClient, api: ApiClient) -> httpx.Response:
    return await http.post("/forum/preview", data={"body": "**bold**", "csrf_token": api.token})


async def _preview_api(http: httpx.AsyncClient, api: ApiClient) -> httpx.Response:
    return await api.send("POST", "/api/forum/preview", {"body": "**bold**"})


async def _export(http: httpx.AsyncClient, api: ApiClient) -> httpx.Response:
    return await http.get("/me/export")


CASES = [
    pytest.param(ratelimit.SEARCH, [_forum_search, _forum_search_api, _knowledge_search, _knowledge_search_api], id="search"),
    pytest.param(ratelimit.PREVIEW, [_preview, _preview_api], id="preview"),
    pytest.param(ratelimit.EXPORT, [_export], id="export"),
]


@pytest.mark.parametrize(("budget", "doors"), CASES)
async def test_a_spent_budget_is_429_through_every_door(app: Any, world: World, budget: ratelimit.Budget, doors: list[Request]) -> None:
    """The budget's requests pass, taking turns at the pages and the API (one budget for
    both); the next one through any door is 429, a page or JSON as the door speaks."""
    async with api_client(app, world.student_a) as api:
        for number in range(allowed(budget)):
            response = await doors[number % len(doors)](api.http, api)
            assert response.status_code == 200, (number, response.status_code, response.text[:200])
        for door in doors:
            refused = await door(api.http, api)
            assert refused.status_code == 429, (door.__name__, refused.status_code)
            assert 1 <= int(refused.headers["retry-after"]) <= 60
            if refused.headers["content-type"].startswith("application/json"):
                assert_error(refused, 429, "rate_limited")
            else:
                assert budget.refusal in soup(refused).get_text(" ", strip=True)
        # others are not held back, and the same person may still read pages
        assert (await api.http.get("/forum/")).status_code == 200
    async with api_client(app, world.faculty_a) as other:
        assert (await doors[0](other.http, other)).status_code == 200


async def test_browsing_without_a_query_is_not_a_search(app: Any, world: World) -> None:
    async with api_client(app, world.student_a) as api:
        for _ in range(allowed(ratelimit.SEARCH) + 5):
            assert (await api.http.get("/knowledge/")).status_code == 200
            assert (await api.get("/api/knowledge/resources")).status_code == 200
            assert (await api.http.get("/forum/search")).status_code == 200
        assert (await _knowledge_search(api.http, api)).status_code == 200


async def test_uploads_past_the_budget_are_429_and_store_nothing(app: Any, world: World) -> None:
    """Ten files fill two resources' file lists each time; the budget is per person, not
    per resource, and a refused upload leaves neither a row nor a file."""
    resources = [await resource_in(app, world, State.DRAFT, title=f"Worksheet {n}") for n in range(3)]
    async with make_client(app) as steward:
        await sign_in(steward, world.coalition_a.email)
        token = csrf_from(await steward.get(f"/knowledge/{resources[0]}"))

        async def upload(number: int) -> httpx.Response:
            data = {"csrf_token": token}
            return await steward.post(f"/knowledge/{resources[number // 10]}/files", data=data, files={"file": (f"notes{number}.txt", f"note {number}\n".encode(), "text/plain")})

        for number in range(allowed(ratelimit.UPLOAD)):
            assert (await upload(number)).status_code == 303, number
        before = await snapshot(app)
        refused = await upload(allowed(ratelimit.UPLOAD))
        assert refused.status_code == 429 and ratelimit.UPLOAD.refusal in soup(refused).get_text(" ", strip=True)
        assert await snapshot(app) == before
        # only a file counts: the same form without one is judged as usual
        empty = await steward.post(f"/knowledge/{resources[2]}/files", data={"csrf_token": token})
        assert empty.status_code == 400 and "Choose a file to attach." in soup(empty).get_text(" ", strip=True)
