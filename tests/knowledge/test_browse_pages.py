"""Browse pages through every resource the reader may see, 50 at a time, with the facets kept
in the links; a bad page number is a clear 400 (SEC-J1)."""

from __future__ import annotations

from typing import Any


from tests.conftest import make_client
from tests.factories import World
from tests.knowledge.helpers import make_resource
from tests.support import sign_in, soup


async def test_more_than_a_page_of_resources_is_reachable(app: Any, world: World) -> None:
    made = {await make_resource(app, world, title=f"Worksheet {n:02}") for n in range(51)}
    http = make_client(app)
    await sign_in(http, world.coalition_a.email)
    first = await http.get("/knowledge/?tag=climate")
    cards = {a["href"].rsplit("/", 1)[1] for a in soup(first).select("article.resource-card h3 a")}
    assert len(cards) == 50 and "on this page" in soup(first).find(id="results-heading").get_text()
    following = soup(first).find(id="next-page")["href"]
    assert following == "/knowledge/?tag=climate&page=2"
    second = await http.get(following)
    rest = {a["href"].rsplit("/", 1)[1] for a in soup(second).select("article.resource-card h3 a")}
    assert cards | rest == made and not cards & rest and soup(second).find(id="next-page") is None
    api = (await http.get("/api/knowledge/resources?page=1")).json()
    assert len(api["resources"]) == 50 and api["has_next"] is True and api["page"] == 1
    for bad in ("0", "abc", "1001"):
        response = await http.get(f"/knowledge/?page={bad}")
        assert response.status_code == 400, bad
    outsider = make_client(app)
    await sign_in(outsider, world.lead_b.email)
    assert not soup(await outsider.get("/knowledge/?page=2")).select("article.resource-card")


async def test_the_post_button_shows_only_to_people_who_may_post(app: Any, world: World) -> None:
    for person, shown in ((world.coalition_a, True), (world.lead_a, True), (world.student_a, False), (world.admin, False)):
        http = make_client(app)
        await sign_in(http, person.email)
        page = await http.get("/knowledge/")
        assert (soup(page).find("a", href="/knowledge/new") is not None) is shown, person.email
        assert (await http.get("/knowledge/new")).status_code == (200 if shown else 403)
