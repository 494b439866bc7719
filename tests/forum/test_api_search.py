"""Forum search through the JSON API (GET /api/forum/search): only what the searcher may read,
snippets as plain-text pieces (never HTML), keyset pages by `next_cursor`, filters, and bad
queries answered by 400 JSON naming the parameter. Runs on SQLite (FTS5) and, with
ARTMETEST_DB=postgres, on PostgreSQL full-text search."""

from __future__ import annotations

from typing import Any

import pytest

from artme_cop.forum import search
from tests.factories import World
from tests.forum.api_support import api_client, assert_error, assert_schema, served_document
from tests.forum.conftest import reply, start
from tests.support import snapshot

SPACES = ("consortium", "institution_a", "cohort_a1", "cohort_b1")


@pytest.fixture
async def spec(app: Any) -> dict[str, Any]:
    return await served_document(app)


@pytest.fixture
async def canaries(app: Any, world: World) -> dict[str, int]:
    """A thread per space whose title and first reply carry words found nowhere else, plus
    a word (`sharedcanary`) in every space."""
    where = {
        "consortium": "consortium",
        "institution_a": f"institution:{world.institution_a.id}",
        "cohort_a1": f"cohort:{world.cohort_a1.id}",
        "cohort_b1": f"cohort:{world.cohort_b1.id}",
    }
    author = {"consortium": world.student_a, "institution_a": world.faculty_a, "cohort_a1": world.student_a, "cohort_b1": world.participant_b}
    threads = {}
    for space in SPACES:
        name = space.replace("_", "")
        threads[space] = await start(app, author[space], where=where[space], title=f"Heading titlecanary{name}", body="Opening words")
        await reply(app, author[space], threads[space], f"Our notes on bodycanary{name} and sharedcanary for the record")
    return threads


# (person, the spaces they may read): rule 1, authority is not visibility.
READERS = [
    ("student_a", {"consortium", "institution_a", "cohort_a1"}),
    ("participant_a2", {"consortium", "institution_a"}),
    ("participant_b", {"consortium", "cohort_b1"}),
    ("lead_a", {"consortium", "institution_a", "cohort_a1"}),
    ("lead_b", {"consortium", "cohort_b1"}),
    ("admin", {"consortium"}),
]


@pytest.mark.parametrize(("persona", "readable"), READERS, ids=[persona for persona, _ in READERS])
async def test_search_finds_only_what_the_searcher_may_read(app: Any, world: World, canaries: dict[str, int], spec: dict[str, Any], persona: str, readable: set[str]) -> None:
    async with api_client(app, getattr(world, persona)) as api:
        shared = await api.get("/api/forum/search", q="sharedcanary")
        assert shared.status_code == 200, shared.text
        assert_schema(spec, "SearchResults", shared.json())
        assert {hit["thread"] for hit in shared.json()["hits"]} == {canaries[space] for space in readable}
        for space in SPACES:
            name = space.replace("_", "")
            for word in (f"bodycanary{name}", f"titlecanary{name}"):
                response = await api.get("/api/forum/search", q=word)
                assert response.status_code == 200
                threads = [hit["thread"] for hit in response.json()["hits"]]
                assert threads == ([canaries[space]] if space in readable else []), (persona, word)


async def test_hits_carry_text_pieces_and_no_html(app: Any, world: World, spec: dict[str, Any]) -> None:
    thread = await start(app, world.student_a, where="consortium", title="Tea <b>time</b>", body="First")
    await reply(app, world.student_a, thread, "A <script>alert(1)</script> **teapot** & more")
    async with api_client(app, world.participant_b) as api:
        response = await api.get("/api/forum/search", q="teapot")
    [hit] = response.json()["hits"]
    assert_schema(spec, "SearchHit", hit)
    assert (hit["thread"], hit["seq"], hit["page"], hit["scope"], hit["author"]) == (thread, 2, 1, "consortium", "Sam Student")
    assert hit["category"] == {"slug": "introductions", "name": hit["category"]["name"]}
    assert [piece["text"] for piece in hit["snippet"] if piece["highlighted"]] == ["teapot"]
    assert "".join(piece["text"] for piece in hit["title"]) == "Tea <b>time</b>"  # the title as typed: text, not markup
    for piece in hit["snippet"] + hit["title"]:
        assert set(piece) == {"text", "highlighted"}
        assert search.MARK_START not in piece["text"] and search.MARK_END not in piece["text"]
    assert "<mark" not in response.text


async def test_search_pages_by_cursor_without_gaps_or_repeats(app: Any, world: World) -> None:
    thread = await start(app, world.student_a, where="consortium", title="Many")
    for number in range(search.RESULTS_PAGE + 5):
        await reply(app, world.student_a, thread, f"pagecanary number {number}")
    async with api_client(app, world.participant_b) as api:
        first = (await api.get("/api/forum/search", q="pagecanary")).json()
        await reply(app, world.student_a, thread, "pagecanary newest, after the first page")
        second = (await api.get("/api/forum/search", q="pagecanary", cursor=first["next_cursor"])).json()
    assert len(first["hits"]) == search.RESULTS_PAGE and first["next_cursor"] is not None
    assert second["next_cursor"] is None
    seqs = [hit["seq"] for hit in first["hits"] + second["hits"]]
    assert seqs == list(range(search.RESULTS_PAGE + 6, 1, -1))


async def test_filters_narrow_the_hits(app: Any, world: World, canaries: dict[str, int]) -> None:
    async with api_client(app, world.student_a) as api:
        by_scope = await api.get("/api/forum/search", q="sharedcanary", scope="cohort")
        by_author = await api.get("/api/forum/search", q="sharedcanary", author="fran faculty")
        by_category = await api.get("/api/forum/search", q="sharedcanary", category="short-term-wins")
        by_date = await api.get("/api/forum/search", q="sharedcanary", since="2001-01-01", until="2001-01-02")
    assert [hit["thread"] for hit in by_scope.json()["hits"]] == [canaries["cohort_a1"]]
    assert [hit["thread"] for hit in by_author.json()["hits"]] == [canaries["institution_a"]]
    assert by_category.json() == {"hits": [], "next_cursor": None}
    assert by_date.json() == {"hits": [], "next_cursor": None}


BAD_SEARCHES = [
    ({}, "q"),
    ({"q": "   "}, "q"),
    ({"q": "-only -excluded"}, "q"),
    ({"q": "x" * (search.MAX_QUERY + 1)}, "q"),
    ({"q": "a\x00b"}, "q"),
    ({"q": "notes", "scope": "galaxy"}, "scope"),
    ({"q": "notes", "category": "no-such-category"}, "category"),
    ({"q": "notes", "since": "yesterday"}, "since"),
    ({"q": "notes", "until": "2026-13-01"}, "until"),
    ({"q": "notes", "since": "2026-02-01", "until": "2026-01-01"}, "since"),
    ({"q": "notes", "author": "x" * (search.AUTHOR_LIMIT + 1)}, "author"),
    ({"q": "notes", "cursor": "abc"}, "cursor"),
    ({"q": "notes", "cursor": "99999999999999999999"}, "cursor"),
]


@pytest.mark.parametrize(("params", "field"), BAD_SEARCHES, ids=[f"{field}-{n}" for n, (_, field) in enumerate(BAD_SEARCHES)])
async def test_bad_search_is_refused_naming_the_parameter(app: Any, world: World, params: dict[str, str], field: str) -> None:
    async with api_client(app, world.student_a) as api:
        before = await snapshot(app)
        response = await api.get("/api/forum/search", **params)
    assert_error(response, 400, "invalid", field)
    assert await snapshot(app) == before


async def test_hostile_query_syntax_is_plain_words(app: Any, world: World, canaries: dict[str, int]) -> None:
    """FTS5 and tsquery syntax in the box is searched as words: 200, never a database error."""
    async with api_client(app, world.student_a) as api:
        for q in ('sharedcanary"', "sharedcanary NEAR(x y)", "sharedcanary*", "sharedcanary) OR (", "sharedcanary:*", "title:sharedcanary"):
            response = await api.get("/api/forum/search", q=q)
            assert response.status_code == 200, (q, response.text)


async def test_search_needs_a_session(app: Any, world: World) -> None:
    async with api_client(app, None) as anonymous:
        response = await anonymous.get("/api/forum/search", q="notes")
    assert_error(response, 401, "sign_in_required")
