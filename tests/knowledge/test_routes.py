"""The knowledge pages over HTTP: posting through the form, the whole cycle driven by the
forms (revision asked, revised, accepted, contextualized, shared, approved as "a partner
school", published, applied by another school), versions and their diff, and bad input:
each refused with a clear 4xx and nothing changed (SEC-J1, SEC-A4, SEC-G1)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from artme_cop.knowledge.cycle import State
from tests.conftest import make_client
from tests.factories import World
from tests.knowledge.helpers import CONTENT, CONTEXT, resource_in, state_of
from tests.support import csrf_from, sign_in, snapshot, soup, text_of

FORM = {k: v for k, v in CONTENT.items() if k != "phases"} | {"phases": "3"}


async def _post(client: httpx.AsyncClient, path: str, data: dict[str, str]) -> httpx.Response:
    token = csrf_from(await client.get("/"))
    return await client.post(path, data={**data, "csrf_token": token})


async def _as(app: Any, person: Any) -> httpx.AsyncClient:
    http = make_client(app)
    await sign_in(http, person.email)
    return http


def _rows(response: httpx.Response, heading: str) -> list[list[str]]:
    section = soup(response).find(id=heading).find_parent("section")
    return [[cell.get_text(" ", strip=True) for cell in row.find_all("td")] for row in section.find("tbody").find_all("tr")]


async def test_coalition_member_posts_a_draft_through_the_form(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.coalition_a.email)
    form = await client.get("/knowledge/new")
    assert form.status_code == 200
    body = {**FORM, "body": "# Steps\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))"}
    response = await _post(client, "/knowledge/new", body)
    assert response.status_code == 303
    page = await client.get(response.headers["location"])
    html = soup(page)
    assert html.find("h1").get_text(strip=True) == CONTENT["title"]
    assert html.find(id="resource-state").get_text(strip=True) == "Draft"
    article = html.find("article", class_="resource-body")
    assert article.find("h1").get_text(strip=True) == "Steps"
    assert article.find("script") is None  # SEC-G1: raw HTML never survives
    assert all(not str(a.get("href", "")).startswith("javascript") for a in article.find_all("a"))
    assert "Alder School of Medicine" in html.find(id="resource-origin").get_text()


async def test_whole_cycle_through_the_forms(app: Any, world: World) -> None:
    """A coalition member submits, the reviewers ask for a revision, it is revised, accepted,
    contextualized, shared with the institution, approved for the program as "a partner
    school", published, and a member of another school records that they applied it."""
    author, coach, facilitator, lead, admin, other = [await _as(app, p) for p in (world.coalition_a, world.coach, world.facilitator_a, world.lead_a, world.admin, world.participant_b)]
    try:
        created = await _post(author, "/knowledge/new", FORM)
        path = created.headers["location"]
        public_id = path.rsplit("/", 1)[1]
        submit = {"move": "submit", "reason": "", "content_reviewer": str(world.coach.id), "safety_reviewer": str(world.facilitator_a.id)}
        assert (await _post(author, f"{path}/transitions", submit)).status_code == 303
        assert (await _post(coach, f"{path}/reviews", {"role": "content", "decision": "revise", "comments": "Cite the source."})).status_code == 303
        assert await state_of(app, public_id) == "draft"
        assert (await _post(author, f"{path}/edit", {**FORM, "body": FORM["body"] + "\n\nSource: Right To Be."})).status_code == 303
        assert (await _post(author, f"{path}/transitions", submit)).status_code == 303
        for client, role in ((coach, "content"), (facilitator, "safety")):
            assert (await _post(client, f"{path}/reviews", {"role": role, "decision": "accept", "comments": ""})).status_code == 303
        assert await state_of(app, public_id) == "contextualizing"
        assert (await _post(author, f"{path}/context", {**CONTEXT, "contact": str(world.coalition_a.id)})).status_code == 303
        assert (await _post(author, f"{path}/transitions", {"move": "share_institution", "reason": ""})).status_code == 303
        assert (await _post(lead, f"{path}/transitions", {"move": "propose_program", "attribution": "partner", "reason": "Good for everyone."})).status_code == 303
        assert (await other.get(path)).status_code == 404  # not in program scope until curated
        assert (await _post(admin, f"{path}/transitions", {"move": "publish_program", "reason": ""})).status_code == 303
        report = {"kind": "applied", "where": "Internal medicine clerkship", "applied_on": "2026-10-01", "what_happened": "Students used the card.", "evidence": "Survey"}
        assert (await _post(other, f"{path}/reports", report)).status_code == 303
        assert await state_of(app, public_id) == "in_use"

        page = await other.get(path)
        assert soup(page).find(id="use-counts").get_text(strip=True).startswith("Applied 1 time")
        assert soup(page).find(id="resource-origin").get_text(strip=True) == "A partner school"
        assert "Alder" not in text_of(page) and "Cam Coalition" not in text_of(page) and "Lee Lead" not in text_of(page)
        history = _rows(await author.get(path), "history-heading")
        assert [row[1].split(" (")[0] for row in history] == [
            "Submit for assessment", "Returned for revision", "Submit for assessment", "Accepted by both reviewers", "Share with the institution",
            "Approve and propose to the program", "Share with the program", "First “we applied this” report",
        ]
        assert history[1][4] == "Casey Coach" and history[1][5] == "Cite the source."
        versions = soup(await other.get(path)).find(id="versions-heading").find_parent("section").find_all("li")
        assert len(versions) == 1  # version 1 was never shared; version 2 is what the program reads
        diff = await author.get(f"{path}/diff?from=1&to=2")
        assert diff.status_code == 200
        added = [d.get_text(strip=True) for d in soup(diff).find_all(class_="diff-added")]
        assert any("Source: Right To Be." in line for line in added)
    finally:
        for http in (author, coach, facilitator, lead, admin, other):
            await http.aclose()


async def test_diff_escapes_markup(app: Any, client: httpx.AsyncClient, world: World) -> None:
    public_id = await resource_in(app, world, State.UPDATE_DUE)
    await sign_in(client, world.coalition_a.email)
    assert (await _post(client, f"/knowledge/{public_id}/edit", {**FORM, "body": "<img src=x onerror=alert(1)>"})).status_code == 303
    submit = {"move": "submit", "reason": "", "content_reviewer": str(world.coach.id), "safety_reviewer": str(world.facilitator_a.id)}
    assert (await _post(client, f"/knowledge/{public_id}/transitions", submit)).status_code == 303
    diff = await client.get(f"/knowledge/{public_id}/diff?from=1&to=2")
    assert diff.status_code == 200
    assert soup(diff).find("img") is None
    assert "&lt;img src=x onerror=alert(1)&gt;" in diff.text


BAD_RESOURCES = [
    ({"title": ""}, "title"),
    ({"title": "x" * 201}, "title"),
    ({"title": "nul\x00title"}, "title"),
    ({"type": "poster"}, "type"),
    ({"priority": "urgent"}, "priority"),
    ({"phases": "9"}, "phase"),
    ({"phases": "²"}, "phase"),
    ({"tags": "x" * 41}, "tag"),
    ({"tags": ",".join(f"t{i}" for i in range(11))}, "tags"),
    ({"summary": "s" * 1001}, "summary"),
    ({"body": "b" * 20001}, "text"),
    ({"body": "bidi \u202e override"}, "text"),
    ({"authors": "999999"}, "people of the school"),
    ({"stewards": "abc"}, "person"),
]


@pytest.mark.parametrize(("change", "said"), BAD_RESOURCES, ids=[str(i) for i in range(len(BAD_RESOURCES))])
async def test_bad_resource_form_is_refused_and_changes_nothing(app: Any, client: httpx.AsyncClient, world: World, change: dict[str, str], said: str) -> None:
    await sign_in(client, world.coalition_a.email)
    before = await snapshot(app)
    response = await _post(client, "/knowledge/new", {**FORM, **change})
    assert response.status_code == 400
    assert said in (soup(response).find(class_="form-error") or soup(response).find(class_="field-error")).get_text().lower() or said in text_of(response).lower()
    assert await snapshot(app) == before


async def test_other_schools_member_cannot_be_named_steward(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.coalition_a.email)
    before = await snapshot(app)
    response = await _post(client, "/knowledge/new", {**FORM, "stewards": str(world.participant_b.id)})
    assert response.status_code == 400
    assert await snapshot(app) == before


BAD_STEPS = [
    ("draft", {"move": "teleport"}, 400, "Choose what to do"),
    ("draft", {"move": "accept"}, 400, "follows from the reviews"),
    ("draft", {"move": "publish_program"}, 409, "is not possible while the resource is “Draft”"),
    ("draft", {"move": "submit", "content_reviewer": "abc", "safety_reviewer": "1"}, 400, "not valid"),
    ("shared_institution", {"move": "flag_update", "reason": ""}, 400, "reason is required"),
    ("shared_institution", {"move": "propose_program", "attribution": "anonymous"}, 400, "how the school is named"),
    ("shared_institution", {"move": "withdraw", "reason": "x"}, 409, "nothing to withdraw"),
    ("in_assessment", {"move": "retire", "reason": "x"}, 409, "is not possible"),
]


@pytest.mark.parametrize(("state", "data", "status", "said"), BAD_STEPS, ids=[f"{s}-{d['move']}" for s, d, _, _ in BAD_STEPS])
async def test_bad_or_illegal_step_is_refused_with_its_reason(app: Any, client: httpx.AsyncClient, world: World, state: str, data: dict[str, str], status: int, said: str) -> None:
    public_id = await resource_in(app, world, State(state))
    await sign_in(client, world.lead_a.email)
    before = await snapshot(app)
    response = await _post(client, f"/knowledge/{public_id}/transitions", {"reason": "", **data})
    assert response.status_code == status
    assert said in soup(response).find(class_="form-error").get_text()
    assert await snapshot(app) == before


BAD_OTHER = [
    ("in_assessment", "reviews", {"role": "content", "decision": "maybe", "comments": ""}, 400),
    ("in_assessment", "reviews", {"role": "style", "decision": "accept", "comments": ""}, 400),
    ("contextualizing", "context", {"conditions": "", "when_not_to_use": "x", "contact": "1"}, 400),
    ("contextualizing", "context", {"conditions": "x", "when_not_to_use": "x", "contact": "999999"}, 400),
    ("draft", "context", {"conditions": "x", "when_not_to_use": "x", "contact": "1"}, 409),
    ("shared_institution", "reports", {"kind": "applied", "where": "Ward", "applied_on": "yesterday", "what_happened": "x"}, 400),
    ("shared_institution", "reports", {"kind": "rumour", "where": "Ward", "applied_on": "2026-01-01", "what_happened": "x"}, 400),
    ("draft", "reports", {"kind": "applied", "where": "Ward", "applied_on": "2026-01-01", "what_happened": "x"}, 409),
    ("shared_institution", "edit", FORM, 409),
]


@pytest.mark.parametrize(("state", "action", "data", "status"), BAD_OTHER, ids=[f"{s}-{a}-{i}" for i, (s, a, _, _) in enumerate(BAD_OTHER)])
async def test_bad_review_context_report_or_edit_is_refused(app: Any, client: httpx.AsyncClient, world: World, state: str, action: str, data: dict[str, str], status: int) -> None:
    public_id = await resource_in(app, world, State(state))
    await sign_in(client, (world.coach if action == "reviews" else world.coalition_a).email)
    before = await snapshot(app)
    response = await _post(client, f"/knowledge/{public_id}/{action}", data)
    assert response.status_code == status
    assert soup(response).find(class_="form-error") is not None
    assert await snapshot(app) == before


@pytest.mark.parametrize(
    "path",
    ["/knowledge/nope", "/knowledge/" + "z" * 32, "/knowledge/" + "0" * 32 + "/edit", "/knowledge/{id}/versions/abc", "/knowledge/{id}/versions/99", "/knowledge/{id}/diff?from=x&to=1", "/knowledge/{id}/diff"],
)
async def test_unknown_ids_are_not_found(app: Any, client: httpx.AsyncClient, world: World, path: str) -> None:
    public_id = await resource_in(app, world, State.SHARED_INSTITUTION)
    await sign_in(client, world.coalition_a.email)
    assert (await client.get(path.replace("{id}", public_id))).status_code == 404


@pytest.mark.parametrize("query", ["phase=9", "type=poster", "state=lost", "origin=abc", "q=" + "x" * 201, "q=%00", "tag=" + "t" * 41])
async def test_bad_facet_is_a_400(client: httpx.AsyncClient, world: World, query: str) -> None:
    await sign_in(client, world.student_a.email)
    assert (await client.get(f"/knowledge/?{query}")).status_code == 400


async def test_like_wildcards_match_only_themselves(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """SEC-J2: `%` and `_` are literal in the text search."""
    await resource_in(app, world, State.SHARED_PROGRAM)
    await sign_in(client, world.participant_b.email)
    for query in ("%", "_", "' OR 1=1 --"):
        assert soup(await client.get("/knowledge/", params={"q": query})).find_all(class_="resource-card") == []
    assert len(soup(await client.get("/knowledge/", params={"q": "four"})).find_all(class_="resource-card")) == 1


async def test_participant_cannot_post_a_resource(client: httpx.AsyncClient, app: Any, world: World) -> None:
    await sign_in(client, world.student_a.email)
    before = await snapshot(app)
    assert (await _post(client, "/knowledge/new", FORM)).status_code == 403
    assert await snapshot(app) == before
