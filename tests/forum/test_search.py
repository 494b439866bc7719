"""Forum search (issue 4, item 5): only what the searcher may read, never deleted or hidden
posts, edits followed, filters, keyset pages, hostile queries answered with 200 or 400 and
snippets that carry the posts' text as text (SEC-A3, SEC-B4, SEC-J). Runs on SQLite (FTS5)
and, with ARTMETEST_DB=postgres, on PostgreSQL full-text search."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, update

from artme_cop.conversations import service as conversations
from artme_cop.conversations.models import ConversationKind, Message
from artme_cop.errors import Invalid
from artme_cop.forum import search
from artme_cop.forum import service as forum
from artme_cop.forum.models import Thread
from artme_cop.policy import SpaceScope
from tests.conftest import BACKEND
from tests.factories import World
from tests.forum.conftest import actor_of, reply, start
from tests.support import MutableClock, sign_in, soup, text_of

# --- helpers ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Found:
    """One result as the page shows it."""

    href: str
    title_html: str
    snippet_html: str


def found(response: httpx.Response) -> list[Found]:
    page = soup(response)
    results = []
    for item in page.select("ol.search-results > li"):
        link = item.select_one("header a")
        snippet = item.select_one("p.snippet")
        assert link is not None and snippet is not None
        results.append(Found(str(link["href"]), link.decode_contents(), snippet.decode_contents()))
    return results


async def search_as(client: httpx.AsyncClient, **params: str) -> httpx.Response:
    return await client.get("/forum/search", params=params)


async def service_search(app: Any, person: Any, **kwargs: Any) -> search.SearchResults:
    async with app.state.uow(read_only=True) as uow:
        return await search.search_posts(uow, await actor_of(uow, person), **kwargs)


# --- the visibility matrix ------------------------------------------------------------------------

SPACES = ("consortium", "institution_a", "cohort_a1", "cohort_b1")


@pytest.fixture
async def canaries(app: Any, world: World) -> dict[str, int]:
    """A thread per space whose title and first reply carry words found nowhere else."""
    where = {
        "consortium": "consortium",
        "institution_a": f"institution:{world.institution_a.id}",
        "cohort_a1": f"cohort:{world.cohort_a1.id}",
        "cohort_b1": f"cohort:{world.cohort_b1.id}",
    }
    author = {"consortium": world.student_a, "institution_a": world.faculty_a, "cohort_a1": world.student_a, "cohort_b1": world.participant_b}
    threads = {}
    for space in SPACES:
        threads[space] = await start(app, author[space], where=where[space], title=f"Heading titlecanary{space.replace('_', '')}", body="Opening words")
        await reply(app, author[space], threads[space], f"Our notes on bodycanary{space.replace('_', '')} for the record")
    return threads


VISIBLE = {
    "student_a": {"consortium", "institution_a", "cohort_a1"},
    "faculty_a": {"consortium", "institution_a", "cohort_a1"},
    "coach": {"consortium", "institution_a", "cohort_a1"},
    "participant_a2": {"consortium", "institution_a"},
    "lead_a": {"consortium", "institution_a", "cohort_a1"},
    "participant_b": {"consortium", "cohort_b1"},
    "lead_b": {"consortium", "cohort_b1"},
    # Rule 1: program-wide power is not membership of a school's or a cohort's spaces.
    "admin": {"consortium"},
}


@pytest.mark.parametrize("persona", sorted(VISIBLE))
async def test_search_finds_only_threads_the_searcher_may_read(app: Any, client: httpx.AsyncClient, world: World, canaries: dict[str, int], persona: str) -> None:
    """SEC-A3: by title and by post text, inside a space a member finds it, outside nothing shows."""
    await sign_in(client, getattr(world, persona).email)
    for space in SPACES:
        word = space.replace("_", "")
        by_title = await search_as(client, q=f"titlecanary{word}")
        by_body = await search_as(client, q=f"bodycanary{word}")
        assert by_title.status_code == by_body.status_code == 200
        if space in VISIBLE[persona]:
            assert [hit.href for hit in found(by_title)] == [f"/forum/threads/{canaries[space]}?post=1#p1"]
            assert [hit.href for hit in found(by_body)] == [f"/forum/threads/{canaries[space]}?post=2#p2"]
        else:
            for response in (by_title, by_body):
                assert found(response) == []
                assert "Nothing found" in text_of(response)
                assert f"canary{word}" not in text_of(response)


async def test_an_outsiders_search_looks_like_a_search_for_nothing(app: Any, client: httpx.AsyncClient, world: World, canaries: dict[str, int]) -> None:
    """Not even a count: the results of a hidden match and of no match are the same markup."""
    await sign_in(client, world.participant_b.email)
    hidden = soup(await search_as(client, q="bodycanarycohorta1")).select_one("section")
    nothing = soup(await search_as(client, q="bodycanarynowhere")).select_one("section")
    assert hidden is not None and nothing is not None
    assert hidden.decode() == nothing.decode()


async def test_posts_of_other_kinds_of_conversation_are_not_searched(app: Any, world: World, canaries: dict[str, int]) -> None:
    """Only forum threads are indexed: a consortium-wide lounge message stays out."""
    async with app.state.uow() as uow:
        lounge = await conversations.open_conversation(uow, kind=ConversationKind.LOUNGE, scope=SpaceScope.CONSORTIUM, title="Lounge")
        await conversations.post_message(uow, await actor_of(uow, world.student_a), lounge.id, body="loungeonlyword here", client_msg_id="lounge-1")
    assert (await service_search(app, world.student_a, query="loungeonlyword")).hits == []


# --- what is indexed ------------------------------------------------------------------------------


async def test_deleted_and_hidden_posts_are_not_found(app: Any, world: World) -> None:
    """SEC-B4: a deleted post and a hidden post leave the index; unhiding brings it back."""
    thread = await start(app, world.student_a, where="consortium", title="Removals")
    deleted_seq = await reply(app, world.student_a, thread, "deletedword stays out")
    hidden_seq = await reply(app, world.faculty_a, thread, "hiddenword stays out")
    async with app.state.uow() as uow:
        await forum.delete_post(uow, await actor_of(uow, world.student_a), thread, deleted_seq)
    assert (await service_search(app, world.student_a, query="deletedword")).hits == []

    async def set_hidden(hidden: bool) -> None:
        async with app.state.uow() as uow:  # the moderation queue's hide, as a plain update
            _, conversation = await forum.access_thread(uow, await actor_of(uow, world.admin), thread)
            await uow.session.execute(
                update(Message).where(Message.conversation_id == conversation.id, Message.seq == hidden_seq).values(hidden_at=uow.clock.now() if hidden else None)
            )

    assert [hit.seq for hit in (await service_search(app, world.student_a, query="hiddenword")).hits] == [hidden_seq]
    await set_hidden(True)
    assert (await service_search(app, world.student_a, query="hiddenword")).hits == []
    await set_hidden(False)
    assert [hit.seq for hit in (await service_search(app, world.student_a, query="hiddenword")).hits] == [hidden_seq]


async def test_an_edited_post_is_found_by_its_new_text_only(app: Any, world: World) -> None:
    thread = await start(app, world.student_a, where="consortium", title="Edits")
    seq = await reply(app, world.student_a, thread, "originalwording here")
    async with app.state.uow() as uow:
        await forum.edit_post(uow, await actor_of(uow, world.student_a), thread, seq, body="revisedwording here")
    assert (await service_search(app, world.faculty_a, query="originalwording")).hits == []
    assert [(hit.thread_id, hit.seq) for hit in (await service_search(app, world.faculty_a, query="revisedwording")).hits] == [(thread, seq)]


async def test_the_index_follows_a_new_title_and_a_removed_post(app: Any, world: World) -> None:
    """Writers outside the services too: a retitled thread, a message row deleted outright."""
    thread = await start(app, world.student_a, where="consortium", title="Before xylophones", body="opening")
    seq = await reply(app, world.student_a, thread, "purgedword here")
    async with app.state.uow() as uow:
        _, conversation = await forum.access_thread(uow, await actor_of(uow, world.student_a), thread)
        await uow.session.execute(update(Thread).where(Thread.id == thread).values(title="Afterwards marimbas"))
        await uow.session.execute(delete(Message).where(Message.conversation_id == conversation.id, Message.seq == seq))
    assert (await service_search(app, world.student_a, query="xylophones")).hits == []
    assert [hit.seq for hit in (await service_search(app, world.student_a, query="marimbas")).hits] == [1]
    assert (await service_search(app, world.student_a, query="purgedword")).hits == []


async def test_a_title_match_is_the_first_post_with_the_title_highlighted(app: Any, world: World) -> None:
    thread = await start(app, world.student_a, where="consortium", title="Mentoring circles that work", body="We started small.")
    await reply(app, world.faculty_a, thread, "No mention of the topic here.")
    [hit] = (await service_search(app, world.student_a, query="circles")).hits
    assert (hit.thread_id, hit.seq) == (thread, 1)
    assert ("circles", True) in hit.title
    assert "".join(text for text, _ in hit.title) == "Mentoring circles that work"
    assert hit.author_name == world.student_a.display_name


async def test_phrases_exclusions_and_alternatives(app: Any, world: World) -> None:
    thread = await start(app, world.student_a, where="consortium", title="Language")
    one = await reply(app, world.student_a, thread, "grounding assumptions help the room")
    two = await reply(app, world.student_a, thread, "assumptions about grounding differ")
    three = await reply(app, world.student_a, thread, "brave space norms")

    async def seqs(query: str) -> set[int]:
        return {hit.seq for hit in (await service_search(app, world.student_a, query=query)).hits}

    assert await seqs("grounding assumptions") == {one, two}
    assert await seqs('"grounding assumptions"') == {one}
    assert await seqs("grounding -room") == {two}
    assert await seqs("room OR brave") == {one, three}


# --- filters and pages --------------------------------------------------------------------------


async def test_filters_by_category_scope_author_and_date(app: Any, world: World, clock: MutableClock) -> None:
    early = await start(app, world.student_a, where="consortium", title="Early", body="filterword early post", category="introductions")
    clock.advance(days=10)
    school = await start(app, world.faculty_a, where=f"institution:{world.institution_a.id}", title="School", body="filterword school post", category="short-term-wins")
    today = clock.now().date()

    async def threads(**filters: Any) -> list[int]:
        return [hit.thread_id for hit in (await service_search(app, world.student_a, query="filterword", **filters)).hits]

    assert await threads() == [school, early]
    assert await threads(category="introductions") == [early]
    assert await threads(scope="institution") == [school]
    assert await threads(scope="consortium") == [early]
    assert await threads(author="fran faculty") == [school]
    assert await threads(author=world.student_a.display_name) == [early]
    assert await threads(author="Nobody Here") == []
    assert await threads(since=today.isoformat()) == [school]
    assert await threads(until=(today - timedelta(days=1)).isoformat()) == [early]
    assert await threads(since=(today - timedelta(days=20)).isoformat(), until=today.isoformat()) == [school, early]


async def test_results_come_in_keyset_pages_newest_first(app: Any, client: httpx.AsyncClient, world: World) -> None:
    thread = await start(app, world.student_a, where="consortium", title="Many", body="first")
    seqs = [await reply(app, world.student_a, thread, f"pagingword number {n}") for n in range(25)]
    await sign_in(client, world.student_a.email)
    first = await search_as(client, q="pagingword")
    more = soup(first).find("a", rel="next")
    assert more is not None
    second = await client.get(str(more["href"]))
    hrefs = [hit.href for hit in found(first)] + [hit.href for hit in found(second)]
    assert hrefs == [f"/forum/threads/{thread}?post={seq}#p{seq}" for seq in reversed(seqs)]
    assert soup(second).find("a", rel="next") is None


# --- hostile input -------------------------------------------------------------------------------

HOSTILE_QUERIES = [
    '"', '""', '"unterminated', "*", "a*", "^start", "NEAR(a b)", "NEAR(", "title:secret", "body:x", "-", "--", "-only",
    "a OR", "OR", "OR OR OR", "AND", "NOT x", "(", ")", "a AND (b", "{title body}:x", "x:y:z", "'; DROP TABLE messages; --",
    "<script>alert(1)</script>", "\\", "%", "_", "naïve café 日本語 🙂", "ǅemal Ώ", "\u200b", "a\x00b", "\x1b[31m", "x" * 200, "word " * 40, "-a " * 15 + "x", "² ǅ \u0301a ᾯ",
]


@pytest.mark.parametrize("query", HOSTILE_QUERIES)
async def test_hostile_queries_get_an_answer_never_a_server_error(app: Any, client: httpx.AsyncClient, world: World, canaries: dict[str, int], query: str) -> None:
    await sign_in(client, world.student_a.email)
    response = await search_as(client, q=query)
    assert response.status_code in (200, 400), response.status_code
    if response.status_code == 400:
        assert soup(response).select_one("[role=alert]") is not None


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"q": "x" * 201}, "at most 200 characters"),
        ({"q": "***"}, "at least one word"),
        ({"q": "-alone"}, "cannot only leave words out"),
        ({"q": "notes", "since": "2026-13-45"}, "must be a date"),
        ({"q": "notes", "until": "yesterday"}, "must be a date"),
        ({"q": "notes", "since": "2026-09-02", "until": "2026-09-01"}, "start date is after the end date"),
        ({"q": "notes", "category": "no-such-category"}, "no such category"),
        ({"q": "notes", "scope": "galaxy"}, "Choose the whole consortium"),
        ({"q": "notes", "author": "n" * 101}, "at most 100 characters"),
        ({"q": "notes", "cursor": "abc"}, "page link is not valid"),
        ({"q": "notes", "cursor": "99999999999999999999"}, "page link is not valid"),
    ],
)
async def test_bad_queries_and_filters_give_a_400_page_with_a_clear_message(client: httpx.AsyncClient, world: World, params: dict[str, str], message: str) -> None:
    await sign_in(client, world.student_a.email)
    response = await search_as(client, **params)
    assert response.status_code == 400
    assert message in text_of(response)
    assert soup(response).select_one("search form[action='/forum/search']") is not None


async def test_the_search_page_without_a_query_shows_the_form(client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.student_a.email)
    response = await search_as(client)
    assert response.status_code == 200
    page = soup(response)
    for name in ("q", "category", "scope", "author", "since", "until"):
        assert page.find("label", attrs={"for": name}) is not None
    assert page.select_one('nav.forum-nav a[aria-current="page"]')["href"] == "/forum/search"  # type: ignore[index]
    assert page.select_one("ol.search-results") is None


async def test_anonymous_visitors_are_sent_to_sign_in(client: httpx.AsyncClient, world: World) -> None:
    response = await search_as(client, q="anything")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")


async def test_snippets_show_post_html_as_text_with_only_marks_added(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """SEC-G: the snippet is built from the markdown source, escaped, then marked."""
    thread = await start(app, world.student_a, where="consortium", title="<script>alert('t')</script> markword title", body="plain")
    await reply(app, world.student_a, thread, "<img src=x onerror=alert(1)> markword <b>bold</b> & \"quoted\"")
    await sign_in(client, world.faculty_a.email)
    results = found(await search_as(client, q="markword"))
    assert len(results) == 2
    for result in results:
        for fragment in (result.title_html, result.snippet_html):
            tags = {tag.name for tag in soup_fragment(fragment).find_all(True)}
            assert tags <= {"mark"}, fragment
    reply_hit, title_hit = results
    assert "<mark>markword</mark>" in reply_hit.snippet_html
    assert "onerror=alert(1)&gt;" in reply_hit.snippet_html
    if BACKEND == "sqlite":  # PostgreSQL's headline parser drops what it reads as tags
        assert "&lt;img src=x onerror=alert(1)&gt; <mark>markword</mark> &lt;b&gt;bold&lt;/b&gt; &amp;" in reply_hit.snippet_html
    assert title_hit.title_html.startswith("&lt;script&gt;alert('t')&lt;/script&gt; <mark>markword</mark>")


def soup_fragment(html: str) -> Any:
    from bs4 import BeautifulSoup

    return BeautifulSoup(html, "html.parser")


# --- the query language, without a database ----------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "fts5", "websearch"),
    [
        ("racism", '("racism")', '"racism"'),
        ('anti-racist "brave space"', '("anti-racist" AND "brave space")', '"anti-racist" "brave space"'),
        ("a -b OR c", '("a" NOT "b") OR ("c")', '"a" -"b" OR "c"'),
        ('NEAR(x y) title:z', '("NEAR(x" AND "y)" AND "title:z")', '"NEAR(x" "y)" "title:z"'),
        ('say "it', '("say" AND "it")', '"say" "it"'),
        ('x" OR "y', '("x") OR ("y")', '"x" OR "y"'),
    ],
)
def test_queries_are_rendered_with_every_item_quoted(raw: str, fts5: str, websearch: str) -> None:
    parsed = search.parse_query(raw)
    assert parsed.to_fts5() == fts5
    assert parsed.to_websearch() == websearch


@pytest.mark.parametrize("raw", ["", "   ", "***", '"" ^ *', "-x", "OR", None, 42])
def test_queries_without_a_word_to_find_are_invalid(raw: object) -> None:
    with pytest.raises(Invalid):
        search.parse_query(raw)


def test_segments_split_marked_text() -> None:
    marked = f"a {search.MARK_START}b{search.MARK_END} c"
    assert search.segments(marked) == (("a ", False), ("b", True), (" c", False))
