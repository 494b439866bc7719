"""The forum over HTTP: starting threads (with preview), replying, quoting, replying to a
post, editing with history, deleting, reactions, watch/mute, bookmarks, unread tracking and
pagination, the moderators' lock, pin and move, category management, the mention
autocomplete, and bad input that changes nothing (SEC-A2, SEC-A4, SEC-B4, SEC-J1)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from bs4 import BeautifulSoup
from sqlalchemy import func, select

from artme_cop.conversations.models import Message, MessageEdit
from artme_cop.forum.models import Bookmark, Category, Thread, ThreadWatch
from artme_cop.moderation.models import AuditEntry
from tests.conftest import make_client
from tests.factories import World
from tests.forum.conftest import Threads, reply, start
from tests.support import csrf_from, sign_in, snapshot, soup, text_of


async def _scalar(app: Any, query: Any) -> Any:
    async with app.state.uow(read_only=True) as uow:
        return (await uow.session.execute(query)).scalar_one()


def _form_of(page: httpx.Response, form_id: str) -> dict[str, str]:
    form = soup(page).find("form", id=form_id)
    assert form is not None, form_id
    return {field["name"]: field.get("value", "") for field in form.find_all("input") if field.get("name")}


async def _new_thread_form(client: httpx.AsyncClient) -> dict[str, str]:
    return _form_of(await client.get("/forum/new"), "thread-form")


# --- starting threads --------------------------------------------------------------------------


async def test_the_phases_and_general_categories_are_there(client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.student_a.email)
    names = [a.text for a in soup(await client.get("/forum/")).select(".category-list a strong")]
    assert names == [
        "Onboarding and Assessment", "Preparing for Change", "Creating a Climate for Change", "Engaging and Enabling the Institution",
        "Implementing and Sustaining Change", "Building a Community of Practice", "Introductions", "Short-term wins", "Questions for the consortium",
    ]


async def test_start_a_thread_with_preview_then_post(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.student_a.email)
    form = await _new_thread_form(client)
    data = {**form, "category": "7", "where": f"cohort:{world.cohort_a1.id}", "title": "Our first Chats for Change", "body": "It went **well**"}
    previewed = await client.post("/forum/threads", data={**data, "action": "preview"})
    assert previewed.status_code == 200
    assert soup(previewed).select_one(".preview-body strong").text == "well"
    assert await _scalar(app, select(func.count(Thread.id))) == 0
    posted = await client.post("/forum/threads", data={**data, "action": "post"})
    assert posted.status_code == 303
    again = await client.post("/forum/threads", data={**data, "action": "post"})  # a double submit
    assert again.status_code in {303, 400}
    assert await _scalar(app, select(func.count(Thread.id))) == 1
    page = soup(await client.get(posted.headers["location"]))
    assert page.find("h1").text == "Our first Chats for Change"
    assert page.select_one("#p1 .post-body strong").text == "well"
    assert "Cohort only" in page.select_one(".thread-badges").text


async def test_preview_endpoint_renders_sanitized_html(client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.student_a.email)
    token = csrf_from(await client.get("/forum/new"))
    response = await client.post("/forum/preview", data={"csrf_token": token, "body": "hi <script>alert(1)</script> [x](javascript:alert(1))"})
    assert response.status_code == 200
    html = BeautifulSoup(response.json()["html"], "html.parser")
    assert html.find("script") is None
    assert all(not a.get("href", "").startswith("javascript") for a in html.find_all("a"))
    assert "<script>alert(1)</script>" in html.get_text()  # shown as text
    assert (await client.post("/forum/preview", data={"csrf_token": token, "body": "x" * 10_001})).status_code == 400
    assert (await client.post("/forum/preview", data={"body": "no token"})).status_code == 403


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "bidi \u202e trick"}, "title"),
        ({"body": ""}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"where": "cohort:999999"}, "where"),
        ({"where": "institution:abc"}, "where"),
        ({"client_msg_id": "has spaces"}, "client_msg_id"),
    ],
)
async def test_bad_new_threads_change_nothing(app: Any, client: httpx.AsyncClient, world: World, change: dict[str, str], field: str) -> None:
    await sign_in(client, world.student_a.email)
    form = await _new_thread_form(client)
    before = await snapshot(app)
    data = {**form, "category": "7", "where": "consortium", "title": "Fine", "body": "Fine", **change}
    response = await client.post("/forum/threads", data=data)
    assert response.status_code == 400
    assert soup(response).select(".field-error, .form-error")
    assert await snapshot(app) == before


async def test_another_cohort_and_unknown_category_are_refused(app: Any, client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.student_a.email)
    form = await _new_thread_form(client)
    before = await snapshot(app)
    other_cohort = await client.post("/forum/threads", data={**form, "category": "7", "where": f"cohort:{world.cohort_b1.id}", "title": "x", "body": "x"})
    assert other_cohort.status_code == 400
    unknown = await client.post("/forum/threads", data={**form, "category": "999999", "where": "consortium", "title": "x", "body": "x"})
    assert unknown.status_code == 404
    assert await snapshot(app) == before


async def test_category_start_rule_limits_who_starts_threads(app: Any, world: World) -> None:
    async with app.state.uow() as uow:
        category = await uow.session.get(Category, 8)
        assert category is not None
        category.start_rule = "facilitators"
    async with make_client(app) as student:
        await sign_in(student, world.student_a.email)
        form = await _new_thread_form(student)
        refused = await student.post("/forum/threads", data={**form, "category": "8", "where": "consortium", "title": "A win", "body": "We did it"})
        assert refused.status_code == 403
    async with make_client(app) as facilitator:
        await sign_in(facilitator, world.facilitator_a.email)
        form = await _new_thread_form(facilitator)
        allowed = await facilitator.post("/forum/threads", data={**form, "category": "8", "where": "consortium", "title": "A win", "body": "We did it"})
        assert allowed.status_code == 303
    assert await _scalar(app, select(func.count(Thread.id))) == 1


# --- replying, quoting, editing, deleting ----------------------------------------------------


async def test_reply_quote_and_reply_to(app: Any, client: httpx.AsyncClient, world: World, threads: Threads) -> None:
    await reply(app, world.faculty_a, threads.consortium, "I *disagree* with\nthe framing")
    await sign_in(client, world.student_a.email)
    page = await client.get(f"/forum/threads/{threads.consortium}?quote=2&reply_to=2")
    form = _form_of(page, "reply-form")
    quoted = soup(page).find("textarea", id="body").text
    assert quoted.startswith("Fran Faculty wrote in [#2]") and "> I *disagree* with\n> the framing" in quoted
    assert form["reply_to"] == "2"
    posted = await client.post(f"/forum/threads/{threads.consortium}/posts", data={**form, "body": quoted + "Here is why."})
    assert posted.status_code == 303 and posted.headers["location"].endswith("#p3")
    shown = soup(await client.get(f"/forum/threads/{threads.consortium}"))
    assert shown.select_one("#p3 blockquote em").text == "disagree"
    assert "in reply to #2 by Fran Faculty" in shown.select_one("#p3 .post-meta").get_text(" ", strip=True)


async def test_reply_to_a_missing_post_is_refused(app: Any, client: httpx.AsyncClient, world: World, threads: Threads) -> None:
    await sign_in(client, world.student_a.email)
    form = _form_of(await client.get(f"/forum/threads/{threads.consortium}"), "reply-form")
    before = await snapshot(app)
    for bad in ("99", "abc", "-1"):
        response = await client.post(f"/forum/threads/{threads.consortium}/posts", data={**form, "body": "x", "reply_to": bad})
        assert response.status_code == 400, bad
    assert await snapshot(app) == before


async def test_edit_keeps_history_and_only_the_author_edits(app: Any, world: World, threads: Threads) -> None:
    async with make_client(app) as author:
        await sign_in(author, world.student_a.email)
        page = await author.get(f"/forum/threads/{threads.consortium}/posts/1/edit")
        assert soup(page).find("textarea").text == "First post"
        token = csrf_from(page)
        saved = await author.post(f"/forum/threads/{threads.consortium}/posts/1/edit", data={"csrf_token": token, "body": "First post, **revised**"})
        assert saved.status_code == 303
        shown = soup(await author.get(f"/forum/threads/{threads.consortium}"))
        assert shown.select_one("#p1 .post-body strong").text == "revised"
        assert shown.select_one("#p1 .post-edited") is not None
        assert (await author.post(f"/forum/threads/{threads.consortium}/posts/1/edit", data={"csrf_token": token, "body": ""})).status_code == 400
    assert await _scalar(app, select(MessageEdit.body)) == "First post"
    async with make_client(app) as other:
        await sign_in(other, world.faculty_a.email)
        assert (await other.get(f"/forum/threads/{threads.consortium}/posts/1/edit")).status_code == 403
        token = csrf_from(await other.get("/forum/"))
        before = await snapshot(app)
        assert (await other.post(f"/forum/threads/{threads.consortium}/posts/1/edit", data={"csrf_token": token, "body": "hijack"})).status_code == 403
        assert await snapshot(app) == before


async def test_delete_is_soft_and_shown_as_deleted(app: Any, client: httpx.AsyncClient, world: World, threads: Threads) -> None:
    await reply(app, world.student_a, threads.consortium, "regrettable words")
    await sign_in(client, world.student_a.email)
    token = csrf_from(await client.get(f"/forum/threads/{threads.consortium}"))
    assert (await client.post(f"/forum/threads/{threads.consortium}/posts/2/delete", data={"csrf_token": token})).status_code == 303
    page = await client.get(f"/forum/threads/{threads.consortium}")
    assert "This post was deleted." in soup(page).select_one("#p2").text
    assert "regrettable" not in page.text
    assert await _scalar(app, select(func.count(Message.id))) == 5  # 4 first posts and the reply: nothing removed
    async with make_client(app) as other:
        await sign_in(other, world.participant_b.email)
        token = csrf_from(await other.get("/forum/"))
        assert (await other.post(f"/forum/threads/{threads.consortium}/posts/1/delete", data={"csrf_token": token})).status_code == 403


async def test_reactions_toggle_from_the_fixed_set(app: Any, client: httpx.AsyncClient, world: World, threads: Threads) -> None:
    await sign_in(client, world.faculty_a.email)
    url = f"/forum/threads/{threads.consortium}"
    token = csrf_from(await client.get(url))
    assert (await client.post(f"{url}/posts/1/react", data={"csrf_token": token, "emoji": "heart", "on": "1"})).status_code == 303
    button = soup(await client.get(url)).select_one('#p1 button[data-emoji="heart"]')
    assert button["aria-pressed"] == "true" and button.select_one(".reaction-count").text == "1"
    assert (await client.post(f"{url}/posts/1/react", data={"csrf_token": token, "emoji": "heart", "on": "0"})).status_code == 303
    assert soup(await client.get(url)).select_one('#p1 button[data-emoji="heart"] .reaction-count').text == "0"
    before = await snapshot(app)
    assert (await client.post(f"{url}/posts/1/react", data={"csrf_token": token, "emoji": "<script>"})).status_code == 400
    assert (await client.post(f"{url}/posts/99/react", data={"csrf_token": token, "emoji": "heart"})).status_code == 404
    assert await snapshot(app) == before


# --- reading: unread, pagination, watch, bookmarks ------------------------------------------------


async def test_unread_counts_first_unread_and_the_new_since_line(app: Any, world: World, threads: Threads) -> None:
    async with make_client(app) as reader:
        await sign_in(reader, world.faculty_a.email)
        row = soup(await reader.get("/forum/latest")).find("tr", id=f"t{threads.consortium}")
        assert row.select_one(".badge-new") is not None  # never opened
        await reader.get(f"/forum/threads/{threads.consortium}")
        for number in range(3):
            await reply(app, world.student_a, threads.consortium, f"reply {number}")
        row = soup(await reader.get("/forum/latest")).find("tr", id=f"t{threads.consortium}")
        assert row.select_one(".unread-count").text.strip() == "3"
        page = soup(await reader.get(f"/forum/threads/{threads.consortium}?unread=1"))
        assert "Jump to the first unread post (#2)" in page.get_text()
        assert page.find(id="new-since").find_next("article")["id"] == "p2"
        row = soup(await reader.get("/forum/latest")).find("tr", id=f"t{threads.consortium}")
        assert row.select_one(".unread-count").text.strip() == "0"


async def test_thread_pages_stay_correct_while_posts_are_added(app: Any, client: httpx.AsyncClient, world: World, threads: Threads) -> None:
    for number in range(2, 66):
        await reply(app, world.student_a, threads.consortium, f"post {number}")
    await sign_in(client, world.faculty_a.email)
    url = f"/forum/threads/{threads.consortium}"
    second = [a["data-seq"] for a in soup(await client.get(f"{url}?page=2")).select("article.post")]
    assert second == [str(n) for n in range(31, 61)]
    for number in range(66, 80):
        await reply(app, world.student_a, threads.consortium, f"post {number}")
    assert [a["data-seq"] for a in soup(await client.get(f"{url}?page=2")).select("article.post")] == second
    last = soup(await client.get(f"{url}?page=3"))
    assert [a["data-seq"] for a in last.select("article.post")] == [str(n) for n in range(61, 80)]
    assert "Page 3 of 3" in last.select_one(".pager").text
    assert soup(await client.get(f"{url}?post=45")).select_one("#p45") is not None
    for bad in ("abc", "0", "-3", "99999999999999999999", "²"):
        assert (await client.get(f"{url}?page={bad}")).status_code == 200, bad


async def test_thread_lists_page_by_keyset_while_threads_are_added(app: Any, client: httpx.AsyncClient, world: World, clock: Any) -> None:
    made = []
    for number in range(35):
        clock.advance(seconds=1)
        made.append(await start(app, world.student_a, where="consortium", title=f"Thread {number:02d}"))
    await sign_in(client, world.faculty_a.email)
    first = soup(await client.get("/forum/latest"))
    first_ids = [tr["id"] for tr in first.select("tbody tr")]
    assert first_ids == [f"t{i}" for i in reversed(made[5:])]
    next_link = first.find("a", rel="next")["href"]
    clock.advance(seconds=1)
    await start(app, world.student_a, where="consortium", title="Newest")  # arrives between the two pages
    second = soup(await client.get(next_link))
    assert [tr["id"] for tr in second.select("tbody tr")] == [f"t{i}" for i in reversed(made[:5])]
    active = soup(await client.get("/forum/latest?sort=active"))
    assert len(active.select("tbody tr")) == 30
    for bad in ("?sort=bogus", "?cursor=garbage", "?cursor=2026-01-01T00:00:00~abc", "?sort=active&cursor=x~1"):
        assert (await client.get(f"/forum/latest{bad}")).status_code == 400, bad


async def test_watch_mute_and_bookmarks(app: Any, client: httpx.AsyncClient, world: World, threads: Threads) -> None:
    await sign_in(client, world.faculty_a.email)
    url = f"/forum/threads/{threads.consortium}"
    token = csrf_from(await client.get(url))
    assert (await client.post(f"{url}/watch", data={"csrf_token": token, "level": "muted"})).status_code == 303
    latest = soup(await client.get("/forum/latest"))
    assert latest.find("tr", id=f"t{threads.consortium}") is None  # muted threads leave Latest
    category = soup(await client.get("/forum/c/introductions"))
    assert category.find("tr", id=f"t{threads.consortium}").select_one(".badge").text  # still in its category, marked
    assert (await client.post(f"{url}/watch", data={"csrf_token": token, "level": "loud"})).status_code == 400
    assert (await client.post(f"{url}/posts/1/bookmark", data={"csrf_token": token})).status_code == 303
    listed = soup(await client.get("/forum/bookmarks"))
    assert "Open to all schools · post #1" in listed.get_text()
    assert (await client.post(f"{url}/posts/1/bookmark", data={"csrf_token": token})).status_code == 303
    assert await _scalar(app, select(func.count(Bookmark.id))) == 0
    assert (await client.post(f"/forum/threads/{threads.cohort_b1}/posts/1/bookmark", data={"csrf_token": token})).status_code == 404


async def test_writing_in_a_thread_watches_it(app: Any, world: World, threads: Threads) -> None:
    await reply(app, world.faculty_a, threads.consortium, "joining in")
    async with app.state.uow(read_only=True) as uow:
        rows = (await uow.session.execute(select(ThreadWatch.person_id, ThreadWatch.level).where(ThreadWatch.thread_id == threads.consortium))).all()
    assert sorted(rows) == sorted([(world.student_a.id, "watching"), (world.faculty_a.id, "watching")])


# --- moderation: lock, pin, move ---------------------------------------------------------------


async def test_lock_refuses_posts_and_unlock_reopens(app: Any, world: World, threads: Threads) -> None:
    async with make_client(app) as moderator:
        await sign_in(moderator, world.facilitator_a.email)
        token = csrf_from(await moderator.get(f"/forum/threads/{threads.cohort_a1}"))
        assert (await moderator.post(f"/forum/threads/{threads.cohort_a1}/lock", data={"csrf_token": token, "locked": "1", "reason": "cooling off"})).status_code == 303
    async with make_client(app) as member:
        await sign_in(member, world.student_a.email)
        page = await member.get(f"/forum/threads/{threads.cohort_a1}")
        assert soup(page).find("form", id="reply-form") is None
        assert "This thread is locked" in text_of(page)
        before = await snapshot(app)
        refused = await member.post(f"/forum/threads/{threads.cohort_a1}/posts", data={"csrf_token": csrf_from(page), "body": "let me in", "client_msg_id": "locked-1"})
        assert refused.status_code == 403
        assert await snapshot(app) == before
    assert await _scalar(app, select(AuditEntry.action).where(AuditEntry.action == "thread_locked")) == "thread_locked"


async def test_pin_and_move_are_for_moderators_and_logged(app: Any, world: World, threads: Threads) -> None:
    async with make_client(app) as member:
        await sign_in(member, world.student_a.email)
        token = csrf_from(await member.get(f"/forum/threads/{threads.cohort_a1}"))
        before = await snapshot(app)
        assert (await member.post(f"/forum/threads/{threads.cohort_a1}/pin", data={"csrf_token": token, "pinned": "1"})).status_code == 403
        assert (await member.post(f"/forum/threads/{threads.cohort_a1}/move", data={"csrf_token": token, "category": "3"})).status_code == 403
        assert await snapshot(app) == before
    async with make_client(app) as outsider:  # a lead of another school cannot even see it
        await sign_in(outsider, world.lead_b.email)
        token = csrf_from(await outsider.get("/forum/"))
        assert (await outsider.post(f"/forum/threads/{threads.cohort_a1}/pin", data={"csrf_token": token, "pinned": "1"})).status_code == 404
    async with make_client(app) as coach:
        await sign_in(coach, world.coach.email)
        token = csrf_from(await coach.get(f"/forum/threads/{threads.cohort_a1}"))
        assert (await coach.post(f"/forum/threads/{threads.cohort_a1}/pin", data={"csrf_token": token, "pinned": "1"})).status_code == 303
        assert (await coach.post(f"/forum/threads/{threads.cohort_a1}/move", data={"csrf_token": token, "category": "3"})).status_code == 303
        assert (await coach.post(f"/forum/threads/{threads.cohort_a1}/move", data={"csrf_token": token, "category": "999"})).status_code == 404
        pinned = soup(await coach.get("/forum/c/creating-a-climate-for-change"))
        assert pinned.find(id="pinned-heading") is not None and pinned.find("tr", id=f"t{threads.cohort_a1}") is not None
    async with app.state.uow(read_only=True) as uow:
        actions = set((await uow.session.execute(select(AuditEntry.action, AuditEntry.institution_id))).all())
    assert {("thread_pinned", world.institution_a.id), ("thread_moved", world.institution_a.id)} <= actions


# --- categories -------------------------------------------------------------------------------


async def test_admins_manage_categories(app: Any, world: World) -> None:
    async with make_client(app) as admin:
        await sign_in(admin, world.admin.email)
        page = await admin.get("/forum/categories")
        token = csrf_from(page)
        created = await admin.post("/forum/categories", data={"csrf_token": token, "name": "Site visits", "description": "Notes", "position": "95", "start_rule": "facilitators"})
        assert created.status_code == 303
        before = await snapshot(app)
        bad = await admin.post("/forum/categories", data={"csrf_token": token, "name": "", "description": "", "position": "x", "start_rule": "everyone"})
        assert bad.status_code == 400
        assert (await admin.post("/forum/categories/1", data={"csrf_token": token, "name": "Renamed", "description": "", "position": "5", "start_rule": "nobody"})).status_code == 400
        assert await snapshot(app) == before
        assert (await admin.post("/forum/categories/1", data={"csrf_token": token, "name": "Onboarding", "description": "d", "position": "5", "start_rule": "everyone"})).status_code == 303
    async with app.state.uow(read_only=True) as uow:
        added = (await uow.session.execute(select(Category).where(Category.slug == "site-visits"))).scalar_one()
        assert (added.position, added.start_rule) == (95, "facilitators")
        assert (await uow.session.get(Category, 1)).name == "Onboarding"  # type: ignore[union-attr]
    async with make_client(app) as lead:
        await sign_in(lead, world.lead_a.email)
        assert (await lead.get("/forum/categories")).status_code == 403
        token = csrf_from(await lead.get("/forum/"))
        assert (await lead.post("/forum/categories", data={"csrf_token": token, "name": "Mine", "description": "", "position": "1", "start_rule": "everyone"})).status_code == 403


# --- mentions -----------------------------------------------------------------------------------


async def test_mention_autocomplete_offers_only_people_who_can_read_the_thread(client: httpx.AsyncClient, world: World, threads: Threads) -> None:
    await sign_in(client, world.student_a.email)

    async def names(query: str) -> set[str]:
        response = await client.get(f"/forum/mentions?{query}")
        assert response.status_code == 200
        return {person["name"] for person in response.json()["people"]}

    assert "Blair Participant" in await names(f"q=bl&thread={threads.consortium}")
    assert "Blair Participant" not in await names(f"q=bl&thread={threads.cohort_a1}")
    assert "Alex A2" not in await names(f"q=al&thread={threads.cohort_a1}")
    assert "Fran Faculty" in await names(f"q=fr&thread={threads.cohort_a1}")
    assert "Blair Participant" not in await names(f"q=bl&where=cohort:{world.cohort_a1.id}")
    assert await names("q=%25") == set() and await names("q=_") == set()
    assert (await client.get(f"/forum/mentions?q=bl&thread={threads.cohort_b1}")).status_code == 404


async def test_a_mention_of_someone_outside_the_space_is_not_linked(app: Any, world: World, threads: Threads) -> None:
    seq = await reply(app, world.student_a, threads.cohort_a1, f"cc @**Blair Participant|{world.participant_b.id}** and @**Fran Faculty|{world.faculty_a.id}**")
    async with app.state.uow(read_only=True) as uow:
        html = (await uow.session.execute(select(Message.html).where(Message.seq == seq, Message.body.like("cc %")))).scalar_one()
    assert "Fran Faculty" in html and "mention" in html
    assert f"|{world.participant_b.id}" not in html


HOSTILE_BODIES = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "<a href=\"vbscript:msgbox(1)\">vb</a>",
    "<svg onload=alert(1)></svg>",
    "<iframe src=\"https://evil.example\"></iframe>",
    "<div style=\"background:url(javascript:alert(1))\" onclick=\"alert(1)\">styled</div>",
    "![img](javascript:alert(1))",
    "<form action=\"/logout\"><button>go</button></form>",
]


async def test_hostile_titles_and_posts_render_safe(app: Any, client: httpx.AsyncClient, world: World) -> None:
    """SEC-G1/G2: scripts, event handlers and script URLs never reach a page, in a title
    (escaped text) or a post (sanitized HTML)."""
    title = "<script>alert('title')</script> \" onmouseover=\"alert(1)"
    thread_id = await start(app, world.student_a, where="consortium", title=title, body=HOSTILE_BODIES[0])
    for body in HOSTILE_BODIES[1:]:
        await reply(app, world.student_a, thread_id, body)
    await sign_in(client, world.faculty_a.email)
    for path in (f"/forum/threads/{thread_id}", "/forum/latest", "/forum/"):
        page = soup(await client.get(path))
        main = page.find("main")
        assert main.find("script", src=False) is None, path
        assert main.find_all(["iframe", "svg"]) == [], path
        assert all(form["action"].startswith("/forum/") for form in main.find_all("form")), path  # the page's own forms only
        for tag in main.find_all(True):
            for attribute, value in tag.attrs.items():
                assert not attribute.startswith("on"), (path, tag)
                text = " ".join(value) if isinstance(value, list) else str(value)
                assert not text.strip().lower().startswith(("javascript:", "data:", "vbscript:")), (path, tag)
        assert title in main.get_text(), path  # shown as the text it is
    links = soup(await client.get(f"/forum/threads/{thread_id}")).select(".post-body a")
    assert all("noopener" in link.get("rel", []) and "nofollow" in link.get("rel", []) for link in links if link.get("href"))


# --- flag to queue to hide, on a forum post ------------------------------------------------------


async def test_a_flagged_post_reaches_the_queue_and_is_hidden_from_the_thread(app: Any, world: World, threads: Threads) -> None:
    seq = await reply(app, world.faculty_a, threads.cohort_a1, "canary-9b2: a remark that hurt")
    async with make_client(app) as student:
        await sign_in(student, world.student_a.email)
        page = soup(await student.get(f"/forum/threads/{threads.cohort_a1}"))
        flag_link = page.select_one(f"#p{seq} a[href^='/moderation/flags/new']")
        assert flag_link is not None and page.select_one("#p1 a[href^='/moderation/flags/new']") is None  # not on one's own post
        form_page = soup(await student.get(flag_link["href"]))
        form = form_page.find("form", action="/moderation/flags")
        fields = {field["name"]: field.get("value", "") for field in form.find_all("input") if field.get("name")}
        sent = await student.post("/moderation/flags", data={**fields, "reason": "harmful", "note": "It stung."})
        assert sent.status_code == 303
        landing = await student.get(sent.headers["location"])  # the core's link sends a thread's post to its page
        assert landing.status_code == 303 and landing.headers["location"] == f"/forum/threads/{threads.cohort_a1}?post={seq}#p{seq}"
    async with make_client(app) as facilitator:
        await sign_in(facilitator, world.facilitator_a.email)
        queue = soup(await facilitator.get("/moderation/queue"))
        [item] = queue.select(".queue-item")
        assert "canary-9b2" in item.get_text()
        action = f"/moderation/messages/{fields['conversation']}/{seq}/hide"
        hide_form = queue.find("form", action=action)
        hidden = await facilitator.post(action, data={**{f["name"]: f.get("value", "") for f in hide_form.find_all("input") if f.get("name")}, "reason": "Hurtful"})
        assert hidden.status_code == 303
    async with make_client(app) as reader:
        await sign_in(reader, world.coalition_a.email)
        thread_page = await reader.get(f"/forum/threads/{threads.cohort_a1}")
        assert "canary-9b2" not in thread_page.text
        assert "This post was hidden by a moderator." in soup(thread_page).select_one(f"#p{seq}").get_text()
        assert (await reader.get("/forum/search?q=canary")).status_code == 200
        assert "canary-9b2" not in (await reader.get("/forum/search?q=canary")).text
